//! [`ConnectorClient`]: the Bot Connector v3 REST API of one service URL.

mod attachments;
mod conversations;
mod factory;
mod request;
mod user_token;

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use botbuilder_schema::ErrorResponse;

use crate::ConnectorError;
use crate::auth::AppCredentials;
use crate::clock::Clock;
use crate::error::one_line;
use crate::retry::{Replay, RetryPolicy};
use crate::throttle::ConversationThrottle;
use crate::transport::{Answer, Transport};
use crate::trust::TrustedHosts;

pub use attachments::Attachments;
pub use conversations::Conversations;
pub use factory::{ConnectorClientFactory, ConnectorClientFactoryBuilder};
pub use request::{ConnectorRequest, ConnectorResponse};
pub use user_token::{SignInResourceOptions, UserTokenClient};

/// What path segments are encoded like: everything but RFC 3986's unreserved characters, as
/// BotBuilder does (`encodeURIComponent`, `Uri.EscapeDataString`). `19:abc@thread.skype`
/// becomes `19%3Aabc%40thread.skype`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The process-wide HTTP client (one connection pool) that clients and credentials use when
/// given none: rustls, a 10 s connect timeout, a 100 s request timeout, and no credentials
/// forwarded on redirects to another host.
///
/// # Errors
/// [`ConnectorError::Transport`] if the TLS backend cannot be initialised.
pub fn default_http_client() -> Result<reqwest::Client, ConnectorError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    let client = reqwest::Client::builder()
        .user_agent(concat!("botbuilder-rs/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(100))
        .build()
        .map_err(|e| ConnectorError::transport("building the HTTP client", e))?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// What every client made by one factory shares.
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    pub(crate) credentials: Arc<dyn AppCredentials>,
    pub(crate) trusted: TrustedHosts,
    pub(crate) retry: RetryPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) throttle: Option<ConversationThrottle>,
    /// Requests without a token go only to loopback and trusted hosts too (an anonymous bot
    /// reachable beyond loopback).
    pub(crate) anonymous_trusted_only: bool,
}

/// A client of the Bot Connector v3 REST API at one service URL.
///
/// Operations are grouped as in BotBuilder: [`conversations`](Self::conversations) and
/// [`attachments`](Self::attachments). Cheap to clone (an `Arc`); clones share the connection
/// pool, the credentials and their token cache. Get clients from a
/// [`ConnectorClientFactory`], which caches one per service URL.
///
/// Every request:
/// - carries `Authorization: Bearer <app token>` unless the credentials are anonymous;
/// - goes only to a trusted host when it would carry a token ([`TrustedHosts`]), otherwise
///   fails with [`ConnectorError::UntrustedServiceUrl`] before any token is fetched;
/// - is retried as [`RetryPolicy`] says (see [`crate::retry`]), and once more with a fresh
///   token after a 401;
/// - is cancel-safe to drop, though a dropped send may or may not have reached the service.
///
/// ```no_run
/// use std::sync::Arc;
/// use botbuilder_connector::{ConnectorClientFactory, schema::Activity};
/// use botbuilder_connector::auth::{MicrosoftAppCredentials, OutgoingAuthSettings};
///
/// # async fn demo() -> Result<(), botbuilder_connector::ConnectorError> {
/// let credentials = MicrosoftAppCredentials::new("app-id", "app-password", OutgoingAuthSettings::default())?;
/// let factory = ConnectorClientFactory::new(Arc::new(credentials))?;
/// let client = factory.client_for("https://smba.trafficmanager.net/amer/")?;
/// let sent = client
///     .conversations()
///     .send_to_conversation("19:abc@thread.skype", &Activity::message("build finished"))
///     .await?;
/// println!("sent {}", sent.id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ConnectorClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    base: Url,
    scope: String,
    shared: Arc<Shared>,
}

impl fmt::Debug for ConnectorClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorClient")
            .field("service_url", &self.inner.base.as_str())
            .field("oauth_scope", &self.inner.scope)
            .field("credentials", &self.inner.shared.credentials)
            .finish_non_exhaustive()
    }
}

/// Parses a service URL into the base requests are made under (no query, no trailing `/`).
pub(crate) fn parse_service_url(service_url: &str) -> Result<Url, ConnectorError> {
    let trimmed = service_url.trim();
    let mut url = Url::parse(trimmed)
        .map_err(|e| ConnectorError::invalid_url(service_url, format!("service URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(ConnectorError::invalid_url(
            service_url,
            "a service URL is an http(s) URL with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConnectorError::invalid_url(
            service_url,
            "a service URL must not contain credentials",
        ));
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

impl ConnectorClient {
    /// A client for one service URL with its own defaults: the shared default HTTP client,
    /// the default trusted hosts, the default retry policy, the system clock and no throttle.
    /// Prefer a [`ConnectorClientFactory`] in applications.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] for a service URL that is not an http(s) URL.
    pub fn new(
        service_url: &str,
        credentials: Arc<dyn AppCredentials>,
    ) -> Result<Self, ConnectorError> {
        ConnectorClientFactory::new(credentials)?.client_for(service_url)
    }

    pub(crate) fn from_parts(base: Url, scope: String, shared: Arc<Shared>) -> Self {
        Self {
            inner: Arc::new(ClientInner {
                base,
                scope,
                shared,
            }),
        }
    }

    /// Whether two clients are the same cached client (clones of one another).
    #[must_use]
    pub fn ptr_eq(&self, other: &ConnectorClient) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The service URL requests go to (without a trailing `/`).
    #[must_use]
    pub fn service_url(&self) -> &str {
        self.inner.base.as_str().trim_end_matches('/')
    }

    /// The scope of the app tokens this client sends.
    #[must_use]
    pub fn oauth_scope(&self) -> &str {
        &self.inner.scope
    }

    /// The credentials this client sends.
    #[must_use]
    pub fn credentials(&self) -> &Arc<dyn AppCredentials> {
        &self.inner.shared.credentials
    }

    /// The hosts this client may send the app token to.
    #[must_use]
    pub fn trusted_hosts(&self) -> &TrustedHosts {
        &self.inner.shared.trusted
    }

    /// Conversation operations: send, reply, update, delete, members, history, ...
    #[must_use]
    pub fn conversations(&self) -> Conversations<'_> {
        Conversations::new(self)
    }

    /// Attachment operations: info and views.
    #[must_use]
    pub fn attachments(&self) -> Attachments<'_> {
        Attachments::new(self)
    }

    /// `{service URL}/{segments...}`, each segment percent-encoded.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url, ConnectorError> {
        // The base was parsed and normalised once; only the path is new. Every segment is
        // percent-encoded (`/`, `?`, `#` and `%` included), so setting the path cannot change
        // the scheme, host or query, and the host is not parsed again.
        let base = &self.inner.base;
        let base_path = base.path().trim_end_matches('/');
        let mut path = String::with_capacity(
            base_path.len() + segments.iter().map(|s| 1 + 3 * s.len()).sum::<usize>(),
        );
        path.push_str(base_path);
        for segment in segments {
            path.push('/');
            path.extend(utf8_percent_encode(segment, SEGMENT));
        }
        let mut url = base.clone();
        url.set_path(&path);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends one REST call and returns its successful answer.
    async fn call(&self, call: Call<'_>) -> Result<Answer, ConnectorError> {
        let shared = &self.inner.shared;
        let url = self.url(call.segments, call.query)?;
        let what = RequestName {
            method: &call.method,
            url: &url,
        };
        let authenticated = shared.credentials.app_id().is_some();
        if authenticated {
            shared.trusted.check(&url)?;
        } else if shared.anonymous_trusted_only {
            shared.trusted.check_anonymous(&url)?;
        }
        let _permit = match (call.throttle, &shared.throttle) {
            (Some(conversation), Some(throttle)) => {
                let key = format!("{}|{conversation}", self.service_url());
                Some(throttle.acquire(&key, Arc::clone(&shared.clock)).await)
            }
            _ => None,
        };
        let transport = Transport {
            retry: &shared.retry,
            clock: shared.clock.as_ref(),
        };
        let mut refreshed = false;
        loop {
            let token = if authenticated {
                shared.credentials.token(&self.inner.scope).await?
            } else {
                None
            };
            let authorization = token
                .as_ref()
                .map(crate::auth::AccessToken::authorization_header)
                .transpose()?;
            let build = || {
                let mut request = shared.http.request(call.method.clone(), url.clone());
                if let Some(value) = &authorization {
                    request = request.header(AUTHORIZATION, value.clone());
                }
                if let Some(body) = &call.body {
                    // A static value: not checked and copied on every attempt.
                    request = request
                        .header(
                            CONTENT_TYPE,
                            HeaderValue::from_static("application/json; charset=utf-8"),
                        )
                        .body(body.clone());
                }
                request
            };
            let answer = transport
                .send(
                    route_of(&call.method, call.segments),
                    &what,
                    call.replay,
                    &build,
                )
                .await?;
            if answer.status == StatusCode::UNAUTHORIZED
                && !refreshed
                && let Some(rejected) = &token
            {
                tracing::warn!(request = %what, "the service refused the app token; retrying once with a new one");
                shared
                    .credentials
                    .invalidate(&self.inner.scope, rejected)
                    .await;
                refreshed = true;
                continue;
            }
            if answer.status.is_success() {
                return Ok(answer);
            }
            // A service that echoes the request must not put the token into the error.
            let answer = match &token {
                Some(token) => answer.redacting(token.secret().expose()),
                None => answer,
            };
            return Err(service_error(&answer));
        }
    }
}

/// `METHOD url`, the name of a request in logs and errors, written out only when needed.
/// The method and route template of a Bot Connector call, for its span and metrics: ids are
/// placeholders, so that the name never carries one and calls group by operation.
fn route_of(method: &Method, segments: &[&str]) -> &'static str {
    match (method.as_str(), segments) {
        ("GET", ["v3", "conversations"]) => "GET /v3/conversations",
        ("POST", ["v3", "conversations"]) => "POST /v3/conversations",
        ("POST", ["v3", "conversations", _, "activities"]) => {
            "POST /v3/conversations/{conversationId}/activities"
        }
        ("POST", ["v3", "conversations", _, "activities", "history"]) => {
            "POST /v3/conversations/{conversationId}/activities/history"
        }
        ("POST", ["v3", "conversations", _, "activities", _]) => {
            "POST /v3/conversations/{conversationId}/activities/{activityId}"
        }
        ("PUT", ["v3", "conversations", _, "activities", _]) => {
            "PUT /v3/conversations/{conversationId}/activities/{activityId}"
        }
        ("DELETE", ["v3", "conversations", _, "activities", _]) => {
            "DELETE /v3/conversations/{conversationId}/activities/{activityId}"
        }
        ("GET", ["v3", "conversations", _, "activities", _, "members"]) => {
            "GET /v3/conversations/{conversationId}/activities/{activityId}/members"
        }
        ("GET", ["v3", "conversations", _, "members"]) => {
            "GET /v3/conversations/{conversationId}/members"
        }
        ("GET", ["v3", "conversations", _, "members", _]) => {
            "GET /v3/conversations/{conversationId}/members/{memberId}"
        }
        ("DELETE", ["v3", "conversations", _, "members", _]) => {
            "DELETE /v3/conversations/{conversationId}/members/{memberId}"
        }
        ("GET", ["v3", "conversations", _, "pagedmembers"]) => {
            "GET /v3/conversations/{conversationId}/pagedmembers"
        }
        ("POST", ["v3", "conversations", _, "attachments"]) => {
            "POST /v3/conversations/{conversationId}/attachments"
        }
        ("GET", ["v3", "attachments", _]) => "GET /v3/attachments/{attachmentId}",
        ("GET", ["v3", "attachments", _, "views", _]) => {
            "GET /v3/attachments/{attachmentId}/views/{viewId}"
        }
        ("GET", ["api", "usertoken", "GetToken"]) => "GET /api/usertoken/GetToken",
        ("GET", ["api", "usertoken", "GetTokenStatus"]) => "GET /api/usertoken/GetTokenStatus",
        ("DELETE", ["api", "usertoken", "SignOut"]) => "DELETE /api/usertoken/SignOut",
        ("GET", ["api", "botsignin", "GetSignInResource"]) => {
            "GET /api/botsignin/GetSignInResource"
        }
        ("GET", _) => "GET",
        ("POST", _) => "POST",
        ("PUT", _) => "PUT",
        ("DELETE", _) => "DELETE",
        _ => "HTTP",
    }
}

struct RequestName<'a> {
    method: &'a Method,
    url: &'a Url,
}

/// Query parameters whose values are secrets (the token service's magic code) and never go
/// into logs or errors.
const SECRET_QUERY: &[&str] = &["code"];

impl fmt::Display for RequestName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let has_secret = self
            .url
            .query_pairs()
            .any(|(k, _)| SECRET_QUERY.contains(&k.as_ref()));
        if !has_secret {
            return write!(f, "{} {}", self.method, self.url);
        }
        let mut shown = self.url.clone();
        let pairs: Vec<(String, String)> = self
            .url
            .query_pairs()
            .map(|(k, v)| {
                let v = if SECRET_QUERY.contains(&k.as_ref()) {
                    "<redacted>".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
        write!(f, "{} {}", self.method, shown)
    }
}

/// One REST call.
struct Call<'a> {
    method: Method,
    segments: &'a [&'a str],
    query: &'a [(&'a str, &'a str)],
    body: Option<Bytes>,
    replay: Replay,
    /// The conversation, when the call is a send the throttle spaces out.
    throttle: Option<&'a str>,
}

impl<'a> Call<'a> {
    fn get(segments: &'a [&'a str]) -> Self {
        Self {
            method: Method::GET,
            segments,
            query: &[],
            body: None,
            replay: Replay::Idempotent,
            throttle: None,
        }
    }

    fn delete(segments: &'a [&'a str]) -> Self {
        Self {
            method: Method::DELETE,
            ..Self::get(segments)
        }
    }

    fn post(segments: &'a [&'a str], body: Bytes) -> Self {
        Self {
            method: Method::POST,
            body: Some(body),
            replay: Replay::OnlyIfNotAccepted,
            ..Self::get(segments)
        }
    }

    fn put(segments: &'a [&'a str], body: Bytes) -> Self {
        Self {
            method: Method::PUT,
            body: Some(body),
            ..Self::get(segments)
        }
    }

    fn query(mut self, query: &'a [(&'a str, &'a str)]) -> Self {
        self.query = query;
        self
    }

    fn throttled(mut self, conversation_id: &'a str) -> Self {
        self.throttle = Some(conversation_id);
        self
    }
}

/// The typed error of a failed answer.
fn service_error(answer: &Answer) -> ConnectorError {
    let parsed = serde_json::from_slice::<ErrorResponse>(&answer.body).ok();
    let nonempty = |s: &str, max| Some(one_line(s, max)).filter(|s| !s.is_empty());
    let (code, message) = match parsed {
        Some(e) if !e.error.code.is_empty() || !e.error.message.is_empty() => (
            nonempty(&e.error.code, 100),
            nonempty(&e.error.message, 400),
        ),
        _ => (None, nonempty(&String::from_utf8_lossy(&answer.body), 200)),
    };
    match answer.status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ConnectorError::Refused {
            status: answer.status,
            code,
            message,
        },
        StatusCode::TOO_MANY_REQUESTS => ConnectorError::Throttled {
            retry_after: answer.retry_after,
            code,
            message,
        },
        status => ConnectorError::Service {
            status,
            code,
            message,
            retry_after: answer.retry_after,
        },
    }
}

/// JSON of a request body.
fn to_body<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Bytes, ConnectorError> {
    // Room for a usual activity at once (serde_json starts at 128 bytes and doubles), and
    // small enough for the allocator's per-thread cache (glibc: up to 1 KiB).
    let mut body = Vec::with_capacity(768);
    serde_json::to_writer(&mut body, value)
        .map(|()| Bytes::from(body))
        .map_err(|e| {
            ConnectorError::invalid_argument(format!("{what} could not be written as JSON: {e}"))
        })
}

/// Reads a JSON answer.
fn from_body<T: DeserializeOwned>(answer: &Answer, what: &str) -> Result<T, ConnectorError> {
    serde_json::from_slice(&answer.body).map_err(|e| ConnectorError::InvalidResponse {
        context: what.to_owned(),
        source: Box::new(e),
    })
}

/// Reads a JSON answer that some channels leave empty.
fn from_body_or_default<T: DeserializeOwned + Default>(
    answer: &Answer,
    what: &str,
) -> Result<T, ConnectorError> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    from_body(answer, what)
}

/// Rejects an empty id before it makes a wrong URL.
fn require<'a>(value: &'a str, name: &str) -> Result<&'a str, ConnectorError> {
    if value.trim().is_empty() {
        Err(ConnectorError::invalid_argument(format!("{name} is empty")))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AnonymousCredentials;

    #[test]
    fn segments_are_percent_encoded() {
        let client = ConnectorClient::new(
            "https://smba.trafficmanager.net/amer/",
            Arc::new(AnonymousCredentials),
        )
        .unwrap();
        let url = client
            .url(
                &[
                    "v3",
                    "conversations",
                    "19:abc@thread.skype;messageid=1",
                    "activities",
                    "a/b?c#d %",
                ],
                &[("continuationToken", "x&y=z")],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://smba.trafficmanager.net/amer/v3/conversations/19%3Aabc%40thread.skype%3Bmessageid%3D1/activities/a%2Fb%3Fc%23d%20%25?continuationToken=x%26y%3Dz"
        );
    }

    #[test]
    fn magic_codes_are_not_in_request_names() {
        let url = Url::parse(
            "https://api.botframework.com/api/usertoken/GetToken?userId=u&code=123456&channelId=c",
        )
        .unwrap();
        let shown = RequestName {
            method: &Method::GET,
            url: &url,
        }
        .to_string();
        assert!(!shown.contains("123456"), "{shown}");
        assert!(
            shown.contains("userId=u") && shown.contains("channelId=c"),
            "{shown}"
        );
    }

    #[test]
    fn service_urls_are_normalised() {
        let u = parse_service_url(" https://webchat.botframework.com/?x=1#f ").unwrap();
        assert_eq!(u.as_str(), "https://webchat.botframework.com/");
        let u = parse_service_url("https://smba.trafficmanager.net/amer/").unwrap();
        assert_eq!(u.as_str(), "https://smba.trafficmanager.net/amer");
        assert!(parse_service_url("ftp://x/").is_err());
        assert!(parse_service_url("https://u:p@x/").is_err());
        assert!(parse_service_url("relative/path").is_err());
    }

    #[test]
    fn errors_are_typed() {
        let answer = |status: u16, body: &str| Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: reqwest::header::HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
            retry_after: Some(Duration::from_secs(2)),
        };
        let e = service_error(&answer(
            404,
            r#"{"error":{"code":"ConversationNotFound","message":"Conversation not found."}}"#,
        ));
        assert!(
            matches!(&e, ConnectorError::Service { status, code: Some(c), .. } if status.as_u16() == 404 && c == "ConversationNotFound")
        );
        assert!(matches!(
            service_error(&answer(403, "")),
            ConnectorError::Refused { message: None, .. }
        ));
        assert!(
            matches!(service_error(&answer(429, "slow down")), ConnectorError::Throttled { retry_after: Some(_), message: Some(m), .. } if m == "slow down")
        );
    }
}
