//! The token cache behind every credential: one token per scope, refreshed before expiry, one
//! refresh in flight per scope.

use botbuilder_core::error::report;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use tracing::Instrument;

use crate::ConnectorError;
use crate::auth::{AccessToken, default_scope_for};
use crate::clock::Clock;
use crate::error::one_line;
use crate::retry::Replay;
use crate::transport::{Answer, Transport};

/// The most a token is refreshed ahead of its expiry.
const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// Tokens by scope.
///
/// Callers asking for a scope while its token is being fetched wait for that fetch (they queue
/// on the scope's async lock and then find the fresh token), so concurrent sends make one
/// token request. Cancel-safe: a dropped fetch releases the lock and the next caller fetches.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Cached>>>>>,
}

#[derive(Debug, Clone)]
struct Cached {
    token: AccessToken,
    refresh_at: SystemTime,
}

impl TokenCache {
    fn slot(&self, scope: &str) -> Arc<tokio::sync::Mutex<Option<Cached>>> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(scope.to_owned()).or_default())
    }

    /// The cached token for `scope`, or a new one from `fetch` when there is none or it is due
    /// for refresh. If a refresh fails while the old token is still valid, the old token is
    /// returned (and the failure logged).
    pub(crate) async fn get_or_fetch<F, Fut>(
        &self,
        scope: &str,
        clock: &dyn Clock,
        fetch: F,
    ) -> Result<AccessToken, ConnectorError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, ConnectorError>>,
    {
        let slot = self.slot(scope);
        let mut cached = slot.lock().await;
        let now = clock.now();
        if let Some(c) = cached.as_ref()
            && now < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let span = tracing::info_span!(
            "botbuilder.token.acquire",
            botbuilder.token.scope = scope,
            botbuilder.token.refresh = cached.is_some(),
            otel.status_code = tracing::field::Empty,
        );
        let fetched = fetch().instrument(span.clone()).await;
        botbuilder_core::telemetry::record(botbuilder_core::telemetry::Measurement::TokenRefresh {
            outcome: if fetched.is_ok() { "ok" } else { "error" },
        });
        if fetched.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        match fetched {
            Ok(token) => {
                let fetched_at = clock.now();
                let lifetime = token
                    .expires_at()
                    .duration_since(fetched_at)
                    .unwrap_or(Duration::ZERO);
                let ahead = REFRESH_AHEAD.min(lifetime / 2);
                *cached = Some(Cached {
                    token: token.clone(),
                    refresh_at: token.expires_at() - ahead,
                });
                tracing::debug!(scope, lifetime_s = lifetime.as_secs(), "app token fetched");
                Ok(token)
            }
            Err(e) => match cached.as_ref() {
                Some(c) if now < c.token.expires_at() => {
                    tracing::warn!(scope, error = %report(&e), "app token refresh failed; using the current token until it expires");
                    Ok(c.token.clone())
                }
                _ => Err(e),
            },
        }
    }

    /// What `AppCredentials::token` answers for `scope` (a resource, or a scope ending in
    /// `/.default`): the cached token of its `/.default` scope, or a new one from `fetch`,
    /// which is given that scope.
    pub(crate) async fn app_token<F, Fut>(
        &self,
        scope: &str,
        clock: &dyn Clock,
        fetch: F,
    ) -> Result<Option<AccessToken>, ConnectorError>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<AccessToken, ConnectorError>>,
    {
        let scope = default_scope_for(scope);
        self.get_or_fetch(&scope, clock, || fetch(scope.clone()))
            .await
            .map(Some)
    }

    /// What `AppCredentials::invalidate` does for `scope` (a resource or a `/.default`
    /// scope): drops the cached token of its `/.default` scope if it is `rejected`.
    pub(crate) async fn invalidate_app_token(&self, scope: &str, rejected: &AccessToken) {
        self.invalidate(&default_scope_for(scope), rejected).await;
    }

    /// Drops the cached token for `scope` if it is `rejected` (a newer one is kept).
    pub(crate) async fn invalidate(&self, scope: &str, rejected: &AccessToken) {
        let slot = self.slot(scope);
        let mut cached = slot.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == rejected) {
            tracing::debug!(scope, "app token dropped after the service refused it");
            *cached = None;
        }
    }
}

/// A seconds value written as a number or a string (IMDS writes strings).
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(u64),
    Text(String),
}

impl Seconds {
    fn get(&self) -> Option<u64> {
        match self {
            Seconds::Number(n) => Some(*n),
            Seconds::Text(s) => s.trim().parse().ok(),
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<Seconds>,
    #[serde(default)]
    expires_on: Option<Seconds>,
}

#[derive(Deserialize)]
struct TokenErrorAnswer {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// The lifetime assumed when a token answer gives none.
const ASSUMED_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Reads an OAuth token endpoint's (or IMDS's) answer.
/// A transport failure while asking for a token, as a token error saying which endpoint
/// could not be reached; other errors pass through.
pub(crate) fn unreachable_token_endpoint(
    error: ConnectorError,
    endpoint: &str,
    message: &str,
) -> ConnectorError {
    match error {
        ConnectorError::Transport { source, .. } => ConnectorError::Token {
            endpoint: endpoint.to_owned(),
            status: None,
            code: None,
            message: Some(message.to_owned()),
            source: Some(source),
        },
        other => other,
    }
}

/// Posts a client-credentials `form` to an OAuth token endpoint (with the retry policy) and
/// reads the token; on a refusal, `secret` (the password or assertion the form carries) is
/// redacted from the answer first, so an endpoint that echoes the request cannot leak it.
pub(crate) async fn post_token_form(
    http: &reqwest::Client,
    transport: &Transport<'_>,
    endpoint: &reqwest::Url,
    form: &[(&str, &str)],
    secret: &str,
    clock: &dyn Clock,
) -> Result<AccessToken, ConnectorError> {
    let shown = endpoint.as_str();
    let what = format!("POST {shown}");
    let answer = transport
        .send(
            "POST /{tenant}/oauth2/v2.0/token",
            &what,
            Replay::Idempotent,
            &|| http.post(endpoint.clone()).form(form),
        )
        .await
        .map_err(|e| {
            unreachable_token_endpoint(e, shown, "the token endpoint could not be reached")
        })?;
    let answer = if answer.status.is_success() {
        answer
    } else {
        answer.redacting(secret)
    };
    read_token_answer(&answer, shown, clock.now())
}

/// The client-credentials request of a JWT client assertion (certificate, federated and
/// workload identity credentials): `grant_type=client_credentials`, `client_id`,
/// `client_assertion_type` (JWT bearer), `client_assertion` and `scope`, through
/// [`post_token_form`] (the assertion is redacted from refusals).
pub(crate) async fn post_assertion_form(
    http: &reqwest::Client,
    transport: &Transport<'_>,
    endpoint: &reqwest::Url,
    client_id: &str,
    assertion: &str,
    scope: &str,
    clock: &dyn Clock,
) -> Result<AccessToken, ConnectorError> {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        (
            "client_assertion_type",
            crate::auth::JWT_BEARER_ASSERTION_TYPE,
        ),
        ("client_assertion", assertion),
        ("scope", scope),
    ];
    post_token_form(http, transport, endpoint, &form, assertion, clock).await
}

pub(crate) fn read_token_answer(
    answer: &Answer,
    endpoint: &str,
    now: SystemTime,
) -> Result<AccessToken, ConnectorError> {
    if !answer.status.is_success() {
        let parsed: Option<TokenErrorAnswer> = serde_json::from_slice(&answer.body).ok();
        let (code, message) = match parsed {
            Some(p) if p.error.is_some() || p.error_description.is_some() => (
                p.error.map(|c| one_line(&c, 100)),
                p.error_description.map(|d| one_line(&d, 400)),
            ),
            _ => (
                None,
                Some(one_line(&String::from_utf8_lossy(&answer.body), 200))
                    .filter(|m| !m.is_empty()),
            ),
        };
        return Err(ConnectorError::Token {
            endpoint: endpoint.to_owned(),
            status: Some(answer.status),
            code,
            message,
            source: None,
        });
    }
    let parsed: TokenAnswer =
        serde_json::from_slice(&answer.body).map_err(|e| ConnectorError::Token {
            endpoint: endpoint.to_owned(),
            status: Some(answer.status),
            code: None,
            message: Some("the answer is not a token response".into()),
            source: Some(Box::new(e)),
        })?;
    let token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ConnectorError::Token {
            endpoint: endpoint.to_owned(),
            status: Some(answer.status),
            code: None,
            message: Some("the answer has no access_token".into()),
            source: None,
        })?;
    let expires_at = if let Some(secs) = parsed.expires_in.as_ref().and_then(Seconds::get) {
        now + Duration::from_secs(secs)
    } else if let Some(epoch) = parsed.expires_on.as_ref().and_then(Seconds::get) {
        SystemTime::UNIX_EPOCH + Duration::from_secs(epoch)
    } else {
        now + ASSUMED_LIFETIME
    };
    Ok(AccessToken::new(token, expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use bytes::Bytes;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
            retry_after: None,
        }
    }

    #[test]
    fn reads_token_answers() {
        let now = SystemTime::UNIX_EPOCH;
        let t = read_token_answer(
            &answer(
                200,
                r#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc"}"#,
            ),
            "e",
            now,
        )
        .unwrap();
        assert_eq!(t.expires_at(), now + Duration::from_secs(3599));
        let t = read_token_answer(
            &answer(
                200,
                r#"{"access_token":"abc","expires_in":"86399","expires_on":"1"}"#,
            ),
            "e",
            now,
        )
        .unwrap();
        assert_eq!(t.expires_at(), now + Duration::from_secs(86399));
        let e = read_token_answer(
            &answer(400, r#"{"error":"unauthorized_client","error_description":"AADSTS700016: Application not found.\r\nTrace ID: 1"}"#),
            "https://login/t",
            now,
        )
        .unwrap_err();
        assert_eq!(e.code(), Some("unauthorized_client"));
        assert!(
            e.to_string()
                .contains("AADSTS700016: Application not found. Trace ID: 1"),
            "{e}"
        );
        assert!(read_token_answer(&answer(200, r#"{"access_token":""}"#), "e", now).is_err());
        assert!(read_token_answer(&answer(200, "<html>"), "e", now).is_err());
    }

    #[tokio::test]
    async fn refreshes_ahead_of_expiry_and_falls_back_to_a_valid_token() {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        let cache = TokenCache::default();
        let fetches = AtomicU32::new(0);
        let fetch = |ok: bool| {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            let expires = clock.now() + Duration::from_secs(3600);
            async move {
                if ok {
                    Ok(AccessToken::new(format!("t{n}"), expires))
                } else {
                    Err(ConnectorError::invalid_argument("down"))
                }
            }
        };
        let a = cache
            .get_or_fetch("s", &clock, || fetch(true))
            .await
            .unwrap();
        let b = cache
            .get_or_fetch("s", &clock, || fetch(true))
            .await
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // Inside the refresh window: a failing refresh keeps the still-valid token.
        clock.advance(Duration::from_secs(3600 - 60));
        let c = cache
            .get_or_fetch("s", &clock, || fetch(false))
            .await
            .unwrap();
        assert_eq!(c, a);
        // A working refresh replaces it.
        let d = cache
            .get_or_fetch("s", &clock, || fetch(true))
            .await
            .unwrap();
        assert_ne!(d, a);
        // Past expiry, a failure is an error.
        clock.advance(Duration::from_secs(7200));
        assert!(
            cache
                .get_or_fetch("s", &clock, || fetch(false))
                .await
                .is_err()
        );
        // Invalidation drops only the rejected token.
        let e = cache
            .get_or_fetch("s", &clock, || fetch(true))
            .await
            .unwrap();
        cache.invalidate("s", &a).await;
        assert_eq!(
            cache
                .get_or_fetch("s", &clock, || fetch(true))
                .await
                .unwrap(),
            e
        );
        cache.invalidate("s", &e).await;
        assert_ne!(
            cache
                .get_or_fetch("s", &clock, || fetch(true))
                .await
                .unwrap(),
            e
        );
    }
}
