//! [`ConnectorError`]: everything that can go wrong talking to the Bot Connector service or to
//! the identity provider.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use botbuilder_core::ChannelFailure;
use reqwest::StatusCode;
use thiserror::Error;

/// A boxed error from a library this crate uses (reqwest, serde_json, ...), reached through
/// [`std::error::Error::source`].
pub(crate) type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What can go wrong calling the Bot Connector REST API or getting an app token.
///
/// The variants are the cases a caller acts on: back off on [`Throttled`](Self::Throttled),
/// fix the app registration on [`Refused`](Self::Refused) or [`Token`](Self::Token),
/// allow-list a host on [`UntrustedServiceUrl`](Self::UntrustedServiceUrl). The errors of the
/// libraries underneath are reached through [`std::error::Error::source`]; render the whole
/// chain with [`botbuilder_core::error::report`].
///
/// Once it reaches the bot as a `botbuilder_core::Error`, ask
/// [`Error::channel_failure`](botbuilder_core::Error::channel_failure) whether the channel
/// throttled, refused or could not be reached ([`ConnectorError::channel_failure`] says how
/// each variant is classified).
///
/// `Display` is one lowercase line, never repeats its source, and never contains a token or a
/// password.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_connector::ConnectorError;
///
/// fn wait_hint(error: &ConnectorError) -> Option<Duration> {
///     match error {
///         ConnectorError::Throttled { retry_after, .. } => *retry_after,
///         other => other.retry_after(),
///     }
/// }
/// let e = ConnectorError::Throttled {
///     retry_after: Some(Duration::from_secs(3)),
///     code: None,
///     message: None,
/// };
/// assert_eq!(wait_hint(&e), Some(Duration::from_secs(3)));
/// assert_eq!(e.to_string(), "the connector service is throttling requests (429), retry after 3s");
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// The service answered with an error status other than 401, 403 or 429.
    #[error("the connector service answered {status}{}", detail(code, message))]
    Service {
        /// The HTTP status.
        status: StatusCode,
        /// The service's error code (`ErrorResponse.error.code`), such as `BadArgument`.
        code: Option<String>,
        /// The service's message, or the start of a body that was not an `ErrorResponse`.
        message: Option<String>,
        /// The `Retry-After` the service sent, if any.
        retry_after: Option<Duration>,
    },
    /// The service answered 429 Too Many Requests, and retrying did not help (or the wait it
    /// asked for was longer than the retry policy allows).
    #[error(
        "the connector service is throttling requests (429){}{}",
        after(retry_after),
        detail(code, message)
    )]
    Throttled {
        /// How long the service asked to wait.
        retry_after: Option<Duration>,
        /// The service's error code.
        code: Option<String>,
        /// The service's message.
        message: Option<String>,
    },
    /// The service refused the app token (401) or the bot may not do this (403).
    ///
    /// On a 401 the client has already fetched a fresh token once and tried again. Check the
    /// app id, password and tenant, and that the bot is registered on this channel.
    ///
    /// Not to be confused with [`Unauthenticated`](Self::Unauthenticated), an *incoming*
    /// request this bot refused.
    #[error(
        "the connector service refused the request ({status}){}",
        detail(code, message)
    )]
    Refused {
        /// 401 or 403.
        status: StatusCode,
        /// The service's error code.
        code: Option<String>,
        /// The service's message.
        message: Option<String>,
    },
    /// The app token would have gone to a host that is not trusted; nothing was sent.
    ///
    /// Trust the host with [`TrustedHosts::allow`](crate::TrustedHosts::allow) if it is a real
    /// channel endpoint, or with [`TrustedHosts::trust`](crate::TrustedHosts::trust) when it
    /// comes from an authenticated incoming activity.
    #[error("refusing to send the app token to untrusted host `{host}`")]
    UntrustedServiceUrl {
        /// The host of the service URL.
        host: String,
    },
    /// An anonymous bot that listens beyond loopback (`AllowAnonymousBeyondLoopback`) was
    /// asked to send to a host that is neither loopback nor trusted; nothing was sent. Such a
    /// bot cannot check who names its `serviceUrl`, so it does not relay to arbitrary hosts.
    /// Allow the host with [`TrustedHosts::allow`](crate::TrustedHosts::allow) if it is meant.
    #[error(
        "refusing to send to `{host}`: an anonymous bot reachable beyond loopback sends only to loopback and trusted hosts"
    )]
    AnonymousUntrustedServiceUrl {
        /// The host of the service URL.
        host: String,
    },
    /// The identity provider did not give an app token.
    #[error(
        "could not get an app token from {endpoint}{}{}{}",
        status_part(status),
        detail(code, message),
        hint(message)
    )]
    Token {
        /// The token endpoint (never contains a secret).
        endpoint: String,
        /// The HTTP status of the answer, when there was one.
        status: Option<StatusCode>,
        /// The identity provider's error code, such as `unauthorized_client`.
        code: Option<String>,
        /// The identity provider's description (with its `AADSTS` code), or what went wrong.
        message: Option<String>,
        /// The transport or parse error underneath, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// A URL (service URL, login URL, endpoint) is malformed or not allowed.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL (or what was given).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value passed in code is not acceptable (an empty id or password, a malformed tenant
    /// or host pattern, a value that cannot be written as JSON, ...). A bad value read from
    /// the configuration is a [`Setting`](Self::Setting) instead.
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
    /// A setting is missing, malformed or inconsistent with another; `key` is its name in the
    /// configuration (`MicrosoftAppType`, `ToBotFromChannelOpenIdMetadataUrl`, ...), so the
    /// start-up error says which line of the `.env` file or which variable to fix.
    #[error("invalid setting `{key}`: {message}")]
    Setting {
        /// The configuration key, as BotBuilder names it.
        key: &'static str,
        /// What is wrong with it (never the value of a secret).
        message: String,
    },
    /// An incoming request was not proven to come from the Bot Framework or the Emulator: no
    /// or a malformed `Authorization` header, a bad signature, the wrong issuer or audience,
    /// an expired token, ... The adapter answers 401 and runs no turn.
    ///
    /// `reason` says which check failed, for the logs; it never contains the token.
    #[error("the request is not authenticated: {reason}")]
    Unauthenticated {
        /// Which check failed.
        reason: String,
    },
    /// The operation is not supported where the activity goes (an in-process
    /// [`DeliveryTarget`](crate::adapter::DeliveryTarget) that cannot update, delete or create
    /// conversations).
    #[error("{operation} is not supported by this delivery target")]
    Unsupported {
        /// The operation, such as `update activity`.
        operation: &'static str,
    },
    /// The request could not be sent or its answer not read (connection refused, timeout,
    /// reset), after the retries the policy allows. The source says why.
    #[error("{context} failed")]
    Transport {
        /// What was being done, such as `POST https://.../v3/conversations/...`.
        context: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// A cryptographic operation of this process failed (the system's random source, signing
    /// a token). The source says why.
    #[error("{context}")]
    Crypto {
        /// What failed, such as `the system's random source failed`.
        context: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The service answered with success but a body this SDK could not read.
    #[error("unreadable answer from the connector service to {context}")]
    InvalidResponse {
        /// Which request, such as `GET .../members`.
        context: String,
        /// The parse error.
        #[source]
        source: BoxError,
    },
}

impl ConnectorError {
    /// The HTTP status the service answered with, for the variants that have one.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ConnectorError::Service { status, .. } | ConnectorError::Refused { status, .. } => {
                Some(*status)
            }
            ConnectorError::Throttled { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            ConnectorError::Token { status, .. } => *status,
            _ => None,
        }
    }

    /// How long the service asked to wait before trying again (`Retry-After`), if it said.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ConnectorError::Service { retry_after, .. }
            | ConnectorError::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The service's or identity provider's error code, if it sent one.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            ConnectorError::Service { code, .. }
            | ConnectorError::Throttled { code, .. }
            | ConnectorError::Refused { code, .. }
            | ConnectorError::Token { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// What the channel did, as `botbuilder_core` classifies it (the adapter attaches it to
    /// the `botbuilder_core::Error` a send returns):
    ///
    /// | variant | class |
    /// |---|---|
    /// | [`Throttled`](Self::Throttled) | [`ChannelFailure::Throttled`], with its `Retry-After` |
    /// | [`Refused`](Self::Refused) (401, 403) | [`ChannelFailure::Refused`], with the status and the channel's error code |
    /// | [`Transport`](Self::Transport) (connection refused, DNS, timeout, reset) | [`ChannelFailure::Unreachable`] |
    /// | [`Service`](Self::Service) with a 5xx status | [`ChannelFailure::Unreachable`]: the channel is down or overloaded |
    /// | anything else (a 400 or 404, a token the identity provider refused, an untrusted host) | `None`: not the channel's doing |
    ///
    /// ```
    /// use std::time::Duration;
    /// use botbuilder_connector::ConnectorError;
    /// use botbuilder_core::ChannelFailure;
    ///
    /// let e = ConnectorError::Throttled { retry_after: Some(Duration::from_secs(2)), code: None, message: None };
    /// assert_eq!(
    ///     e.channel_failure(),
    ///     Some(ChannelFailure::Throttled { retry_after: Some(Duration::from_secs(2)) })
    /// );
    /// ```
    #[must_use]
    pub fn channel_failure(&self) -> Option<ChannelFailure> {
        match self {
            ConnectorError::Throttled { retry_after, .. } => Some(ChannelFailure::Throttled {
                retry_after: *retry_after,
            }),
            ConnectorError::Refused { status, code, .. } => Some(ChannelFailure::Refused {
                status: status.as_u16(),
                code: code.clone(),
            }),
            ConnectorError::Transport { .. } => Some(ChannelFailure::Unreachable),
            ConnectorError::Service { status, .. } if status.is_server_error() => {
                Some(ChannelFailure::Unreachable)
            }
            _ => None,
        }
    }

    pub(crate) fn transport(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        ConnectorError::Transport {
            context: context.into(),
            source: source.into(),
        }
    }

    pub(crate) fn invalid_url(url: impl Into<String>, reason: impl Into<String>) -> Self {
        ConnectorError::InvalidUrl {
            url: url.into(),
            reason: reason.into(),
        }
    }

    /// A bad setting, naming its key ([`ConnectorError::Setting`]); for crates that read
    /// settings of their own (the Direct Line channel's secret).
    pub fn setting(key: &'static str, message: impl Into<String>) -> Self {
        ConnectorError::Setting {
            key,
            message: message.into(),
        }
    }

    pub(crate) fn unauthenticated(reason: impl Into<String>) -> Self {
        ConnectorError::Unauthenticated {
            reason: reason.into(),
        }
    }

    /// A bad value passed in code ([`ConnectorError::InvalidArgument`]).
    pub fn invalid_argument(reason: impl Into<String>) -> Self {
        ConnectorError::InvalidArgument {
            reason: reason.into(),
        }
    }

    /// The random source or a signature failed ([`ConnectorError::Crypto`]).
    pub fn crypto(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        ConnectorError::Crypto {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// `: CODE: message` (each part only when present).
fn detail(code: &Option<String>, message: &Option<String>) -> String {
    let mut out = String::new();
    for part in [code, message].into_iter().flatten() {
        if !part.is_empty() {
            out.push_str(": ");
            out.push_str(part);
        }
    }
    out
}

fn after(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(", retry after {}", HumanDuration(d)))
        .unwrap_or_default()
}

fn status_part(status: &Option<StatusCode>) -> String {
    status.map(|s| format!(" ({s})")).unwrap_or_default()
}

/// An actionable hint for the identity provider's best-known failures.
fn hint(message: &Option<String>) -> &'static str {
    match message.as_deref() {
        Some(m) if m.contains("AADSTS700016") => {
            " (the app is not in that tenant: a single-tenant bot needs MicrosoftAppTenantId)"
        }
        Some(m) if m.contains("AADSTS7000215") => " (the app password is wrong or expired)",
        _ => "",
    }
}

struct HumanDuration(Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.subsec_millis() == 0 {
            write!(f, "{}s", d.as_secs())
        } else {
            write!(f, "{}ms", d.as_millis())
        }
    }
}

/// Makes text from the network fit on one line and bounds its length.
pub(crate) fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars));
    let mut count = 0;
    let mut last_space = false;
    for c in text.trim().chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if count == max_chars {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_lowercase_line() {
        let errors = [
            ConnectorError::Service {
                status: StatusCode::NOT_FOUND,
                code: Some("BadArgument".into()),
                message: Some("Unknown conversation".into()),
                retry_after: None,
            },
            ConnectorError::Refused {
                status: StatusCode::UNAUTHORIZED,
                code: None,
                message: None,
            },
            ConnectorError::UntrustedServiceUrl {
                host: "evil.example".into(),
            },
            ConnectorError::AnonymousUntrustedServiceUrl {
                host: "10.0.0.5".into(),
            },
            ConnectorError::Token {
                endpoint: "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
                    .into(),
                status: Some(StatusCode::BAD_REQUEST),
                code: Some("unauthorized_client".into()),
                message: Some("AADSTS700016: Application with identifier 'x' was not found".into()),
                source: None,
            },
        ];
        for e in errors {
            let s = e.to_string();
            assert!(!s.contains('\n'), "{s}");
            assert!(s.starts_with(|c: char| c.is_lowercase()), "{s}");
        }
    }

    #[test]
    fn display_names_status_code_message_and_hint() {
        let e = ConnectorError::Service {
            status: StatusCode::NOT_FOUND,
            code: Some("BadArgument".into()),
            message: Some("Unknown conversation".into()),
            retry_after: None,
        };
        assert_eq!(
            e.to_string(),
            "the connector service answered 404 Not Found: BadArgument: Unknown conversation"
        );
        let t = ConnectorError::Token {
            endpoint: "https://login/t".into(),
            status: Some(StatusCode::BAD_REQUEST),
            code: Some("unauthorized_client".into()),
            message: Some("AADSTS700016: not found".into()),
            source: None,
        };
        assert!(t.to_string().contains("MicrosoftAppTenantId"), "{t}");
        assert_eq!(t.code(), Some("unauthorized_client"));
        assert_eq!(t.status(), Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn one_line_flattens_and_bounds() {
        assert_eq!(one_line("  a\n\n b\tc  ", 10), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}
