//! [`TrustedHosts`]: the hosts the app token may be sent to.
//!
//! A token sent to an attacker's `serviceUrl` is a leaked credential, so a client with
//! credentials refuses to send a request to any other host
//! ([`ConnectorError::UntrustedServiceUrl`]), before asking for a token.
//!
//! Trusted are: the Bot Framework's own channel hosts ([`DEFAULT_TRUSTED_HOSTS`]), loopback
//! hosts, the hosts the application allow-lists, and the hosts of service URLs seen on
//! authenticated incoming activities. Because the channel hosts are trusted from the start, a
//! proactive message sent after a restart, before any activity came in, does not fail.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

use reqwest::Url;

use crate::ConnectorError;
use crate::urls::is_loopback_host;

/// The channel hosts trusted by default: every Bot Framework channel (`*.botframework.com`),
/// Teams (`smba.trafficmanager.net`, and its GCC, GCC High and DoD hosts), and the US
/// Government channels (`*.botframework.azure.us`).
pub const DEFAULT_TRUSTED_HOSTS: &[&str] = &[
    "*.botframework.com",
    "smba.trafficmanager.net",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
    "*.botframework.azure.us",
];

/// The most hosts remembered from incoming activities.
const MAX_SEEN: usize = 4096;

/// A shared, cloneable set of hosts the app token may be sent to.
///
/// Clones share one set: trust a host on the adapter's copy and every client sees it.
///
/// ```
/// use botbuilder_connector::TrustedHosts;
///
/// let trusted = TrustedHosts::default();
/// assert!(trusted.is_trusted("https://smba.trafficmanager.net/amer/"));
/// assert!(trusted.is_trusted("https://europe.webchat.botframework.com/"));
/// assert!(trusted.is_trusted("http://localhost:3978/"));
/// assert!(!trusted.is_trusted("https://evil.example/"));
/// assert!(!trusted.is_trusted("https://smba.trafficmanager.net.evil.example/"));
///
/// trusted.allow("*.bots.contoso.com")?;
/// assert!(trusted.is_trusted("https://eu.bots.contoso.com/api"));
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TrustedHosts {
    inner: Arc<RwLock<TrustList>>,
}

#[derive(Debug, Default)]
struct TrustList {
    /// Exact host names.
    exact: HashSet<String>,
    /// Wildcard suffixes, with their leading dot (`.botframework.com`).
    suffixes: Vec<String>,
    /// Hosts of service URLs on authenticated incoming activities.
    seen: HashSet<String>,
}

impl Default for TrustedHosts {
    /// The default channel hosts and loopback.
    fn default() -> Self {
        let list = Self::empty();
        for pattern in DEFAULT_TRUSTED_HOSTS {
            if let Ok(p) = Pattern::parse(pattern) {
                list.insert(p);
            }
        }
        list
    }
}

enum Pattern {
    Exact(String),
    Suffix(String),
}

impl Pattern {
    fn parse(pattern: &str) -> Result<Self, ConnectorError> {
        let raw = pattern.trim();
        let host = if raw.contains("://") {
            let url =
                Url::parse(raw).map_err(|e| ConnectorError::invalid_url(raw, e.to_string()))?;
            url.host_str()
                .ok_or_else(|| ConnectorError::invalid_url(raw, "no host"))?
                .to_owned()
        } else {
            raw.to_owned()
        };
        let host = normalize(&host);
        let invalid = |reason: &str| {
            ConnectorError::invalid_argument(format!("trusted host `{host}`: {reason}"))
        };
        if let Some(suffix) = host.strip_prefix("*.") {
            if suffix.split('.').filter(|l| !l.is_empty()).count() < 2 {
                return Err(invalid("a wildcard needs at least two labels after `*.`"));
            }
            check_host_chars(suffix).map_err(|()| invalid("not a host name"))?;
            Ok(Pattern::Suffix(format!(".{suffix}")))
        } else {
            if host.is_empty() {
                return Err(invalid("empty"));
            }
            check_host_chars(&host).map_err(|()| invalid("not a host name"))?;
            Ok(Pattern::Exact(host))
        }
    }
}

fn check_host_chars(host: &str) -> Result<(), ()> {
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'));
    if ok { Ok(()) } else { Err(()) }
}

fn normalize(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl TrustedHosts {
    /// The default channel hosts and loopback (the same as `default()`).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Loopback hosts only: every other host must be allowed or trusted explicitly.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            inner: Arc::new(RwLock::new(TrustList::default())),
        }
    }

    fn insert(&self, pattern: Pattern) {
        let mut list = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        match pattern {
            Pattern::Exact(h) => {
                list.exact.insert(h);
            }
            Pattern::Suffix(s) => {
                if !list.suffixes.contains(&s) {
                    list.suffixes.push(s);
                }
            }
        }
    }

    /// Allow-lists a host: `bots.contoso.com`, a wildcard `*.contoso.com` (any subdomain), or a
    /// URL whose host is taken.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for something that is not a host name, or a wildcard
    /// over a top-level domain (`*.com`).
    pub fn allow(&self, pattern: &str) -> Result<(), ConnectorError> {
        self.insert(Pattern::parse(pattern)?);
        Ok(())
    }

    /// Trusts the host of a service URL that came on an **authenticated** incoming activity
    /// (the adapter calls this after validating the request's token). Never call it with a
    /// service URL from an unauthenticated request.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] when the service URL has no host.
    pub fn trust(&self, service_url: &str) -> Result<(), ConnectorError> {
        let url = Url::parse(service_url.trim())
            .map_err(|e| ConnectorError::invalid_url(service_url, e.to_string()))?;
        let host = url
            .host_str()
            .map(normalize)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| ConnectorError::invalid_url(service_url, "no host"))?;
        if self.is_trusted_host(&host) {
            return Ok(());
        }
        let mut list = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if list.seen.len() >= MAX_SEEN {
            tracing::warn!(%host, "too many trusted service hosts; not trusting another");
            return Ok(());
        }
        tracing::debug!(%host, "trusting the service URL host of an authenticated activity");
        list.seen.insert(host);
        Ok(())
    }

    /// Whether a host is trusted.
    #[must_use]
    pub fn is_trusted_host(&self, host: &str) -> bool {
        let host = normalize(host);
        if is_loopback_host(&host) {
            return true;
        }
        let list = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        list.exact.contains(&host)
            || list.seen.contains(&host)
            || list.suffixes.iter().any(|s| host.ends_with(s.as_str()))
    }

    /// Whether the host of a service URL is trusted (`false` for a malformed URL).
    #[must_use]
    pub fn is_trusted(&self, service_url: &str) -> bool {
        Url::parse(service_url.trim())
            .ok()
            .and_then(|u| u.host_str().map(|h| self.is_trusted_host(h)))
            .unwrap_or(false)
    }

    /// Checks that the app token may go to `url`: a trusted host, over https (loopback hosts
    /// may use http).
    ///
    /// # Errors
    /// [`ConnectorError::UntrustedServiceUrl`] for an untrusted host,
    /// [`ConnectorError::InvalidUrl`] for a trusted host over plain http.
    pub fn check(&self, url: &Url) -> Result<(), ConnectorError> {
        let host = url
            .host_str()
            .ok_or_else(|| ConnectorError::invalid_url(url.as_str(), "no host"))?;
        if is_loopback_host(host) {
            return Ok(());
        }
        if !self.is_trusted_host(host) {
            tracing::warn!(%host, "refusing to send the app token to an untrusted host");
            return Err(ConnectorError::UntrustedServiceUrl {
                host: normalize(host),
            });
        }
        if url.scheme() != "https" {
            return Err(ConnectorError::invalid_url(
                url.as_str(),
                "the app token is only sent over https",
            ));
        }
        Ok(())
    }
}

impl TrustedHosts {
    /// Checks that a request without a token may go to `url`: a loopback or trusted host (any
    /// scheme). For anonymous bots reachable beyond loopback.
    ///
    /// # Errors
    /// [`ConnectorError::AnonymousUntrustedServiceUrl`] for any other host.
    pub fn check_anonymous(&self, url: &Url) -> Result<(), ConnectorError> {
        let host = url
            .host_str()
            .ok_or_else(|| ConnectorError::invalid_url(url.as_str(), "no host"))?;
        if self.is_trusted_host(host) {
            return Ok(());
        }
        tracing::warn!(%host, "an anonymous bot reachable beyond loopback refused to send to an untrusted host");
        Err(ConnectorError::AnonymousUntrustedServiceUrl {
            host: normalize(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_the_channels() {
        let t = TrustedHosts::default();
        for u in [
            "https://smba.trafficmanager.net/teams/",
            "https://smba.trafficmanager.net/emea/",
            "https://smba.infra.gcc.teams.microsoft.com/gcc",
            "https://smba.infra.gov.teams.microsoft.us/gcch",
            "https://smba.infra.dod.teams.microsoft.us/dod",
            "https://webchat.botframework.com/",
            "https://europe.directline.botframework.com/",
            "https://slack.botframework.com",
            "https://webchat.botframework.azure.us/",
            "https://SMBA.TrafficManager.net./x",
            "http://127.0.0.1:53000/",
            "http://[::1]:3978/",
        ] {
            assert!(t.is_trusted(u), "{u}");
        }
        for u in [
            "https://evil.example/",
            "https://botframework.com.evil.example/",
            "https://evilbotframework.com/",
            "https://attacker.trafficmanager.net/",
            "https://smba.trafficmanager.net.evil.example/",
            "not a url",
        ] {
            assert!(!t.is_trusted(u), "{u}");
        }
    }

    #[test]
    fn trust_and_allow_are_shared_by_clones() {
        let t = TrustedHosts::empty();
        let clone = t.clone();
        assert!(!clone.is_trusted("https://smba.trafficmanager.net/"));
        t.trust("https://bots.example.org/api/").unwrap();
        assert!(clone.is_trusted("https://BOTS.example.org/other"));
        t.allow("https://ours.example.net:8443/x").unwrap();
        assert!(clone.is_trusted_host("ours.example.net"));
        assert!(t.allow("*.com").is_err());
        assert!(t.allow("*").is_err());
        assert!(t.allow("").is_err());
        assert!(t.allow("a b").is_err());
        assert!(t.trust("nope").is_err());
    }

    #[test]
    fn check_requires_https_except_loopback() {
        let t = TrustedHosts::default();
        let ok = |u: &str| t.check(&Url::parse(u).unwrap());
        assert!(ok("https://smba.trafficmanager.net/amer/").is_ok());
        assert!(ok("http://localhost:3978/").is_ok());
        assert!(matches!(
            ok("http://smba.trafficmanager.net/amer/"),
            Err(ConnectorError::InvalidUrl { .. })
        ));
        assert!(matches!(
            ok("https://evil.example/"),
            Err(ConnectorError::UntrustedServiceUrl { host }) if host == "evil.example"
        ));
    }
}
