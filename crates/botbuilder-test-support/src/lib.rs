//! Test scaffolding shared by botbuilder-rs's own tests and benchmarks (a private crate, not
//! published): [`Mock`], a scriptable HTTP mock on 127.0.0.1 (axum) that records every
//! request and answers with scripted replies per method and path, or a default; and
//! [`auth`], test-only signing keys, claims and an OpenID metadata + JWKS server; and
//! [`transcript`], which checks an example's documented conversation against its bot.
//!
//! Tests use it as `use botbuilder_test_support as support;`.

// Test support: a failure here is a failed test, so unwrapping is the point; its items are
// named by the tests that use them.
#![allow(missing_docs, missing_debug_implementations, clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub mod auth;
pub mod transcript;

/// One request as the server saw it (the path as sent, still percent-encoded).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn form(&self) -> HashMap<String, String> {
        url_decode_form(std::str::from_utf8(&self.body).unwrap())
    }

    pub fn query_pairs(&self) -> HashMap<String, String> {
        url_decode_form(self.query.as_deref().unwrap_or(""))
    }
}

fn url_decode_form(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// A scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).unwrap(),
        }
    }

    pub fn bytes(status: u16, content_type: &str, body: &[u8]) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.to_vec(),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: vec![],
            body: vec![],
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Default = Arc<dyn Fn(&Recorded, u32) -> Reply + Send + Sync>;
type Script = Arc<Mutex<HashMap<(Method, String), VecDeque<Reply>>>>;

#[derive(Clone)]
struct Inner {
    log: Arc<Mutex<Vec<Recorded>>>,
    script: Script,
    default: Default,
    count: Arc<AtomicU32>,
}

/// A mock server; dropped with the test's runtime.
pub struct Mock {
    pub addr: SocketAddr,
    inner: Inner,
}

impl Mock {
    /// A server answering unscripted requests with `default(request, n)` (n counts from 1).
    pub async fn start(default: impl Fn(&Recorded, u32) -> Reply + Send + Sync + 'static) -> Self {
        let inner = Inner {
            log: Arc::default(),
            script: Arc::default(),
            default: Arc::new(default),
            count: Arc::default(),
        };
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, inner }
    }

    /// A connector: `{"id": "id-N"}` for everything unscripted.
    pub async fn connector() -> Self {
        Self::start(|_, n| Reply::json(200, json!({"id": format!("id-{n}")}))).await
    }

    /// A token endpoint: `tok-N` valid for `expires_in` seconds.
    pub async fn token_endpoint(expires_in: u64) -> Self {
        Self::start(move |_, n| {
            Reply::json(
                200,
                json!({"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": format!("tok-{n}")}),
            )
        })
        .await
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// Answers the next `method path` request with `reply` (queued in order).
    pub fn script(&self, method: Method, path: &str, reply: Reply) {
        self.inner
            .script
            .lock()
            .unwrap()
            .entry((method, path.to_owned()))
            .or_default()
            .push_back(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.log.lock().unwrap().clone()
    }

    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("a request")
    }
}

async fn handle(
    State(inner): State<Inner>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        method: method.clone(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body,
    };
    let n = inner.count.fetch_add(1, Ordering::SeqCst) + 1;
    inner.log.lock().unwrap().push(recorded.clone());
    let scripted = inner
        .script
        .lock()
        .unwrap()
        .get_mut(&(method, recorded.path.clone()))
        .and_then(VecDeque::pop_front);
    let reply = scripted.unwrap_or_else(|| (inner.default)(&recorded, n));
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (k, v) in reply.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    response
}
