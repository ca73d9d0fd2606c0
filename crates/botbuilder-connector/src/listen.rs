//! The rule for endpoints that accept requests nobody authenticated: open on loopback only.
//!
//! On a loopback address only programs of this machine reach an endpoint, so it may run
//! without a secret (local development, the Emulator). Beyond loopback anyone on the network
//! reaches it; it then needs its secret (or an explicit opt-in). The bot's messaging endpoint
//! when anonymous, the Direct Line endpoint and the examples' jobs API all follow this one
//! rule, through [`require_beyond_loopback`].

use std::net::SocketAddr;

use crate::ConnectorError;

/// Whether `addr` is reachable from other machines (any address but loopback; `0.0.0.0` and
/// `[::]` listen on every interface).
///
/// ```
/// use botbuilder_connector::listen::is_beyond_loopback;
///
/// assert!(!is_beyond_loopback(&"127.0.0.1:3978".parse()?));
/// assert!(!is_beyond_loopback(&"[::1]:3978".parse()?));
/// assert!(is_beyond_loopback(&"0.0.0.0:3978".parse()?));
/// assert!(is_beyond_loopback(&"10.1.2.3:3978".parse()?));
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[must_use]
pub fn is_beyond_loopback(addr: &SocketAddr) -> bool {
    !addr.ip().is_loopback()
}

/// Refuses to serve `what` on `listen` beyond loopback unless `satisfied` (its secret, or an
/// opt-in, is set): the error names `key`, the setting to set.
///
/// ```
/// use botbuilder_connector::listen::require_beyond_loopback;
///
/// let everywhere = "0.0.0.0:8080".parse()?;
/// let error = require_beyond_loopback(everywhere, false, "JOBS_API_KEY", "the jobs API").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid setting `JOBS_API_KEY`: is required when the jobs API listens beyond loopback (on 0.0.0.0:8080); set it, or listen on 127.0.0.1"
/// );
/// require_beyond_loopback(everywhere, true, "JOBS_API_KEY", "the jobs API")?;
/// require_beyond_loopback("127.0.0.1:8080".parse()?, false, "JOBS_API_KEY", "the jobs API")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ConnectorError::Setting`] naming `key` when `listen` is beyond loopback and `satisfied`
/// is false.
pub fn require_beyond_loopback(
    listen: SocketAddr,
    satisfied: bool,
    key: &'static str,
    what: &str,
) -> Result<(), ConnectorError> {
    if satisfied || !is_beyond_loopback(&listen) {
        return Ok(());
    }
    Err(ConnectorError::setting(
        key,
        format!(
            "is required when {what} listens beyond loopback (on {listen}); set it, or listen on 127.0.0.1"
        ),
    ))
}
