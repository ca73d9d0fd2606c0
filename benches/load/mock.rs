//! The fast mock Bot Connector (and the token endpoint, OpenID metadata and JWKS of the
//! authenticated mode), served on 127.0.0.1 by the orchestrating process.
//!
//! It checks every reply it gets (a message into the conversation the URL names, answering
//! the activity the URL names, the echo of the request's text) and counts them, so that the
//! report can prove that every turn's reply arrived.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// The app token the mock token endpoint hands out.
pub const APP_TOKEN: &str = "bench-app-token";

/// What the mock has seen, since it started.
#[derive(Debug, Default)]
pub struct Counters {
    /// Correct replies (`POST .../activities/{replyToId}`).
    pub replies: AtomicU64,
    /// Correct proactive messages (`POST .../activities`).
    pub proactive: AtomicU64,
    /// Connector requests that were not what the bot should send.
    pub bad: AtomicU64,
    /// Connector requests carrying `Authorization: Bearer APP_TOKEN`.
    pub with_app_token: AtomicU64,
    /// Connector requests carrying another `Authorization` header.
    pub with_other_authorization: AtomicU64,
    /// Token endpoint requests.
    pub token_requests: AtomicU64,
    /// OpenID metadata requests.
    pub metadata_requests: AtomicU64,
    /// JWKS requests.
    pub key_requests: AtomicU64,
    /// OTLP export requests (`sdk-otel`).
    pub otlp_exports: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub replies: u64,
    pub proactive: u64,
    pub bad: u64,
    pub with_app_token: u64,
    pub with_other_authorization: u64,
    pub token_requests: u64,
    pub metadata_requests: u64,
    pub key_requests: u64,
}

impl Snapshot {
    /// What happened between `earlier` and this snapshot.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            replies: self.replies - earlier.replies,
            proactive: self.proactive - earlier.proactive,
            bad: self.bad - earlier.bad,
            with_app_token: self.with_app_token - earlier.with_app_token,
            with_other_authorization: self.with_other_authorization
                - earlier.with_other_authorization,
            token_requests: self.token_requests - earlier.token_requests,
            metadata_requests: self.metadata_requests - earlier.metadata_requests,
            key_requests: self.key_requests - earlier.key_requests,
        }
    }
}

impl Counters {
    pub fn snapshot(&self) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::SeqCst);
        Snapshot {
            replies: get(&self.replies),
            proactive: get(&self.proactive),
            bad: get(&self.bad),
            with_app_token: get(&self.with_app_token),
            with_other_authorization: get(&self.with_other_authorization),
            token_requests: get(&self.token_requests),
            metadata_requests: get(&self.metadata_requests),
            key_requests: get(&self.key_requests),
        }
    }
}

struct Inner {
    counters: Arc<Counters>,
    metadata: Vec<u8>,
    jwks: Vec<u8>,
    token: Vec<u8>,
    echo_prefix: String,
}

/// The running mock.
pub struct MockConnector {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
}

impl MockConnector {
    /// Binds 127.0.0.1 and serves on the current runtime; `jwk` is the one key of the JWKS.
    pub async fn start(jwk: Value, expected_text: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let counters = Arc::new(Counters::default());
        let inner = Arc::new(Inner {
            counters: Arc::clone(&counters),
            metadata: serde_json::to_vec(&json!({
                "issuer": "https://api.botframework.com",
                "jwks_uri": format!("{base}/keys"),
                "id_token_signing_alg_values_supported": ["RS256"],
            }))?,
            jwks: serde_json::to_vec(&json!({ "keys": [jwk] }))?,
            token: serde_json::to_vec(&json!({
                "token_type": "Bearer",
                "expires_in": 3600,
                "ext_expires_in": 3600,
                "access_token": APP_TOKEN,
            }))?,
            echo_prefix: format!("Echo: {expected_text}"),
        });
        let app = Router::new().fallback(handle).with_state(inner);
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("the mock connector stopped: {error}");
            }
        });
        Ok(Self { addr, counters })
    }

    /// The service URL activities name (with a trailing `/`, as channels send it).
    pub fn service_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

#[derive(Deserialize)]
struct Sent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    conversation: Option<Conversation>,
    #[serde(rename = "replyToId", default)]
    reply_to_id: Option<String>,
}

#[derive(Deserialize)]
struct Conversation {
    id: String,
}

const RESOURCE: &[u8] = br#"{"id":"1"}"#;

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let counters = &inner.counters;
    if let Some(rest) = path.strip_prefix("/v3/conversations/")
        && method == Method::POST
    {
        match headers.get(header::AUTHORIZATION) {
            Some(value) if value.as_bytes() == format!("Bearer {APP_TOKEN}").as_bytes() => {
                counters.with_app_token.fetch_add(1, Ordering::Relaxed);
            }
            Some(_) => {
                counters
                    .with_other_authorization
                    .fetch_add(1, Ordering::Relaxed);
            }
            None => {}
        }
        let counter = match check(&inner, rest, &body) {
            Some(Kind::Reply) => &counters.replies,
            Some(Kind::Proactive) => &counters.proactive,
            None => &counters.bad,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        return json(StatusCode::OK, RESOURCE.to_vec());
    }
    match (method, path) {
        (Method::POST, p) if p.ends_with("/oauth2/v2.0/token") => {
            counters.token_requests.fetch_add(1, Ordering::Relaxed);
            json(StatusCode::OK, inner.token.clone())
        }
        (Method::GET, "/metadata") => {
            counters.metadata_requests.fetch_add(1, Ordering::Relaxed);
            json(StatusCode::OK, inner.metadata.clone())
        }
        // OTLP/HTTP export of the `sdk-otel` server: an empty protobuf answer is a success.
        (Method::POST, "/v1/traces" | "/v1/metrics") => {
            counters.otlp_exports.fetch_add(1, Ordering::Relaxed);
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/x-protobuf")],
                Vec::new(),
            )
                .into_response()
        }
        (Method::GET, "/keys") => {
            counters.key_requests.fetch_add(1, Ordering::Relaxed);
            json(StatusCode::OK, inner.jwks.clone())
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

enum Kind {
    Reply,
    Proactive,
}

/// `rest` is the path after `/v3/conversations/`: `{conversation}/activities[/{id}]`, with
/// the ids percent-encoded.
fn check(inner: &Inner, rest: &str, body: &[u8]) -> Option<Kind> {
    let mut segments = rest.split('/');
    let conversation = segments.next()?;
    if segments.next()? != "activities" {
        return None;
    }
    let reply_to = segments.next();
    if segments.next().is_some() {
        return None;
    }
    let sent: Sent = serde_json::from_slice(body).ok()?;
    if sent.kind != "message" || sent.conversation?.id != conversation {
        return None;
    }
    let text = sent.text?;
    match reply_to {
        Some(reply_to) => {
            // The workload's activity ids are `{conversation}|0000001`: `|` is sent as `%7C`.
            let expected = format!("{conversation}%7C0000001");
            (reply_to == expected
                && sent.reply_to_id.as_deref() == Some(&*format!("{conversation}|0000001"))
                && text == inner.echo_prefix)
                .then_some(Kind::Reply)
        }
        None => (!text.is_empty()).then_some(Kind::Proactive),
    }
}
