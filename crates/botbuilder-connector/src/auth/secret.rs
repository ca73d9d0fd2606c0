//! [`Secret`] and [`AccessToken`]: values that never show in `Debug`, `Display` or logs.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// What [`redact`] writes in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// `text` with every occurrence of `secret` replaced by [`REDACTED`]: as is, JSON-escaped,
/// form-encoded or percent-encoded, the forms in which a service that echoes its request
/// (in an error message, say) would give it back.
pub(crate) fn redact<'a>(text: &'a str, secret: &str) -> Cow<'a, str> {
    if secret.is_empty() {
        return Cow::Borrowed(text);
    }
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"');
    // `application/x-www-form-urlencoded`, as a token request's body carries the password.
    let form = reqwest::Url::parse("http://redact.invalid/")
        .ok()
        .and_then(|mut url| {
            url.query_pairs_mut().append_pair("s", secret);
            url.query()
                .and_then(|q| q.strip_prefix("s="))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let percent = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
    let mut out = Cow::Borrowed(text);
    for form in [secret, json, form.as_str(), percent.as_str()] {
        if !form.is_empty() && out.contains(form) {
            out = Cow::Owned(out.replace(form, REDACTED));
        }
    }
    out
}

/// A secret string (an app password, an access token) that does not print.
///
/// `Debug` writes `Secret(<redacted>)`; there is no `Display` and no `Serialize`. Read the value
/// with [`expose`](Secret::expose) at the one place it is needed. Clones share one allocation.
///
/// ```
/// use botbuilder_connector::auth::Secret;
///
/// let password = Secret::new("p@ss");
/// assert_eq!(format!("{password:?}"), "Secret(<redacted>)");
/// assert_eq!(password.expose(), "p@ss");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// The secret value. Do not log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// An OAuth access token and when it expires.
///
/// `Debug` shows the expiry, never the token.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use botbuilder_connector::auth::AccessToken;
///
/// let token = AccessToken::new("eyJ0eXAi", UNIX_EPOCH + Duration::from_secs(3600));
/// assert!(!format!("{token:?}").contains("eyJ0eXAi"));
/// assert_eq!(token.secret().expose(), "eyJ0eXAi");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    secret: Secret,
    expires_at: SystemTime,
}

impl AccessToken {
    /// A token valid until `expires_at`.
    #[must_use]
    pub fn new(token: impl Into<Secret>, expires_at: SystemTime) -> Self {
        Self {
            secret: token.into(),
            expires_at,
        }
    }

    /// The token itself.
    #[must_use]
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// When the token stops being valid.
    #[must_use]
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The `Authorization` header value `Bearer <token>`, marked sensitive so that HTTP
    /// libraries do not print it.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidResponse`](crate::ConnectorError::InvalidResponse) if the token
    /// has characters a header cannot carry.
    pub fn authorization_header(
        &self,
    ) -> Result<reqwest::header::HeaderValue, crate::ConnectorError> {
        let mut value =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.secret.expose()))
                .map_err(|e| crate::ConnectorError::InvalidResponse {
                    context: "the access token (not a valid header value)".into(),
                    source: Box::new(e),
                })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.secret)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_encoding_of_the_secret() {
        let secret = "Pa55~w0rd \"x\"/+&";
        for text in [
            format!("bad secret {secret}!"),
            format!(
                "{{\"error_description\":{}}}",
                serde_json::to_string(secret).unwrap()
            ),
            "client_secret=Pa55%7Ew0rd+%22x%22%2F%2B%26&scope=s".to_owned(),
            format!("x={}", utf8_percent_encode(secret, NON_ALPHANUMERIC)),
        ] {
            let redacted = redact(&text, secret);
            assert!(redacted.contains(REDACTED), "{text} -> {redacted}");
            assert!(!redacted.contains("Pa55"), "{text} -> {redacted}");
        }
        assert_eq!(redact("nothing here", secret), "nothing here");
        assert_eq!(redact("text", ""), "text");
    }
}
