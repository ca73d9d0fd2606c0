//! Faults in what a bot depends on: the connector answers 429 or 500, hangs, or resets the
//! connection; the token endpoint fails; the store is unreachable or answers conflicts; the
//! bot panics. In each case the turn's error reaches `on_turn_error`, the HTTP caller gets a
//! 500 that says nothing about what failed, the state saved before the fault is intact, and
//! the next turn works once the fault clears.
//!
//! Retries wait on a `ManualClock` (no real backoff); the only real wait is the HTTP client's
//! 300 ms timeout against a connector that never answers.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tower::ServiceExt;

use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::hosting;
use botbuilder_connector::{ConnectorError, RetryPolicy};
use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState, StatePropertyAccessor};
use botbuilder_core::storage::{ETags, MemoryStorage, Storage, StoreItems};
use botbuilder_core::{
    ActivityHandler, Bot, BoxError, Error, TurnContext, TurnResult, async_trait, turn_error_handler,
};
use support::auth::{APP_ID, KeyServer, PASSWORD, TestKey, channel_claims, start_time};
use support::{Mock, Reply};

/// What the generic 500 says, whatever failed.
const GENERIC_500: &str = r#"{"error":{"code":"InternalServerError","message":"the bot could not process the activity"}}"#;

/// Counts messages per conversation and replies `count: n`; panics on `panic`.
struct CountingBot {
    count: StatePropertyAccessor<u32>,
}

#[async_trait]
impl ActivityHandler for CountingBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        if ctx.activity().text() == "panic" {
            panic!("the bot panicked on purpose");
        }
        let n = self
            .count
            .update(ctx, |n| {
                *n += 1;
                *n
            })
            .await?;
        ctx.send_activity(format!("count: {n}")).await?;
        Ok(())
    }
}

/// A store that fails on demand.
#[derive(Clone)]
struct FaultyStorage {
    inner: MemoryStorage,
    mode: Arc<AtomicU8>,
}

const HEALTHY: u8 = 0;
const UNREACHABLE: u8 = 1;
const CONFLICTS: u8 = 2;
const WRITES_FAIL: u8 = 3;

impl FaultyStorage {
    fn new() -> Self {
        Self {
            inner: MemoryStorage::new(),
            mode: Arc::default(),
        }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn unreachable() -> Error {
        Error::storage(
            "talking to the store",
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"),
        )
    }

    /// The stored count of conversation `c1`, read behind the faults.
    async fn count(&self) -> Option<u64> {
        let keys = self.inner.keys();
        let key = keys.iter().find(|k| k.ends_with("/conversations/c1"))?;
        let items = self.inner.read(&[key.as_str()]).await.unwrap();
        items[key.as_str()]["count"].as_u64()
    }
}

#[async_trait]
impl Storage for FaultyStorage {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        match self.mode.load(Ordering::SeqCst) {
            UNREACHABLE => Err(Self::unreachable()),
            _ => self.inner.read(keys).await,
        }
    }

    async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
        match self.mode.load(Ordering::SeqCst) {
            UNREACHABLE | WRITES_FAIL => Err(Self::unreachable()),
            CONFLICTS => Err(Error::StorageConflict {
                key: changes.keys().next().cloned().unwrap_or_default(),
            }),
            _ => self.inner.write(changes).await,
        }
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        match self.mode.load(Ordering::SeqCst) {
            UNREACHABLE | WRITES_FAIL => Err(Self::unreachable()),
            _ => self.inner.delete(keys).await,
        }
    }
}

/// The first error of type `T` in a chain of sources.
fn find<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// What `on_turn_error` was handed, classified.
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Throttled,
    ConnectorStatus(u16),
    Timeout,
    Transport,
    Token,
    StoreUnreachable,
    Conflict,
    Panic(String),
    Other(String),
}

fn classify(error: &BoxError) -> Seen {
    let error: &(dyn StdError + 'static) = &**error;
    if let Some(e) = find::<Error>(error) {
        match e {
            Error::Panic { message } => return Seen::Panic(message.clone()),
            Error::StorageConflict { .. } => return Seen::Conflict,
            Error::Storage { .. } => return Seen::StoreUnreachable,
            _ => {}
        }
    }
    match find::<ConnectorError>(error) {
        Some(ConnectorError::Throttled { .. }) => Seen::Throttled,
        Some(ConnectorError::Service { status, .. }) => Seen::ConnectorStatus(status.as_u16()),
        Some(ConnectorError::Token { .. }) => Seen::Token,
        Some(ConnectorError::Transport { .. }) => {
            if find::<reqwest::Error>(error).is_some_and(reqwest::Error::is_timeout) {
                Seen::Timeout
            } else {
                Seen::Transport
            }
        }
        _ => Seen::Other(error.to_string()),
    }
}

struct Harness {
    router: axum::Router,
    storage: FaultyStorage,
    errors: Arc<Mutex<Vec<Seen>>>,
    next_id: std::sync::atomic::AtomicU32,
}

impl Harness {
    /// The adapter the builder makes, with the counting bot over a faulty store and an
    /// `on_turn_error` that records what it sees.
    fn new(builder: botbuilder_connector::adapter::CloudAdapterBuilder) -> Self {
        let storage = FaultyStorage::new();
        let conversation = ConversationState::new(storage.clone());
        let bot: Arc<dyn Bot> = Arc::new(CountingBot {
            count: conversation.create_property("count"),
        });
        let errors: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let seen = errors.clone();
        let adapter = builder
            .build()
            .unwrap()
            .with_middleware(AutoSaveStateMiddleware::default().with(conversation))
            .with_on_turn_error(turn_error_handler(async move |_ctx, error| {
                let class = classify(error);
                seen.lock().unwrap().push(class);
            }));
        Self {
            router: hosting::router(adapter, bot),
            storage,
            errors,
            next_id: Default::default(),
        }
    }

    fn activity(&self, service_url: &str, text: &str) -> Value {
        let n = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        json!({
            "type": "message", "id": format!("a{n}"), "text": text, "channelId": "msteams",
            "serviceUrl": service_url, "conversation": {"id": "c1"},
            "from": {"id": "u1"}, "recipient": {"id": APP_ID},
        })
    }

    /// Posts an activity through the router; returns the status and the body as text.
    async fn post(&self, authorization: Option<String>, activity: &Value) -> (u16, String) {
        let mut request =
            Request::post("/api/messages").header(header::CONTENT_TYPE, "application/json");
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let request = request
            .body(Body::from(serde_json::to_vec(activity).unwrap()))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Asserts a generic 500 after `on_turn_error` saw `expected`.
    #[track_caller]
    fn assert_failed(&self, (status, body): (u16, String), expected: Seen) {
        assert_eq!(status, 500, "{body}");
        assert_eq!(body, GENERIC_500, "a 500 body must not carry details");
        let errors = self.errors.lock().unwrap();
        assert_eq!(
            errors.last(),
            Some(&expected),
            "on_turn_error saw {errors:?}"
        );
    }

    fn errors(&self) -> usize {
        self.errors.lock().unwrap().len()
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    }
}

fn anonymous(clock: &ManualClock) -> botbuilder_connector::adapter::CloudAdapterBuilder {
    CloudAdapter::builder(BotConfig::anonymous())
        .clock(Arc::new(clock.clone()))
        .retry_policy(fast_retry())
}

fn reply_path(id: &str) -> String {
    format!("/v3/conversations/c1/activities/{id}")
}

#[tokio::test]
async fn connector_throttling_and_server_errors_fail_the_turn_and_lose_nothing() {
    let clock = ManualClock::new(start_time());
    let h = Harness::new(anonymous(&clock));
    let connector = Mock::connector().await;
    let url = connector.url();

    assert_eq!(h.post(None, &h.activity(&url, "hi")).await.0, 200);
    assert_eq!(connector.last().json()["text"], "count: 1");
    assert_eq!(h.storage.count().await, Some(1));

    // 429 on every attempt: retried as the policy says (on the manual clock), then the turn
    // fails.
    let activity = h.activity(&url, "hi");
    for _ in 0..3 {
        connector.script(
            Method::POST,
            &reply_path(activity["id"].as_str().unwrap()),
            Reply::json(
                429,
                json!({"error": {"code": "Throttled", "message": "slow down"}}),
            )
            .header("retry-after", "1"),
        );
    }
    let sent_before = connector.requests().len();
    h.assert_failed(h.post(None, &activity).await, Seen::Throttled);
    assert_eq!(
        connector.requests().len(),
        sent_before + 3,
        "1 try + 2 retries"
    );
    assert_eq!(
        h.storage.count().await,
        Some(1),
        "the failed turn saved nothing"
    );

    // A 500 is not retried for a POST (the message may have been accepted).
    let activity = h.activity(&url, "hi");
    connector.script(
        Method::POST,
        &reply_path(activity["id"].as_str().unwrap()),
        Reply::json(500, json!({"error": {"code": "ServiceError", "message": "boom at https://internal.example/?sig=secret"}})),
    );
    let sent_before = connector.requests().len();
    let (status, body) = h.post(None, &activity).await;
    assert!(
        !body.contains("internal.example") && !body.contains("sig="),
        "{body}"
    );
    h.assert_failed((status, body), Seen::ConnectorStatus(500));
    assert_eq!(connector.requests().len(), sent_before + 1);
    assert_eq!(h.storage.count().await, Some(1));

    // The fault clears: the next turn continues from the saved state.
    assert_eq!(h.post(None, &h.activity(&url, "hi")).await.0, 200);
    assert_eq!(connector.last().json()["text"], "count: 2");
    assert_eq!(h.storage.count().await, Some(2));
    assert_eq!(h.errors(), 2);
}

/// A connector that accepts connections and never answers, or answers by hanging up.
async fn broken_connector(hang_up: bool) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            if hang_up {
                // Read the start of the request, then drop the connection.
                let mut buf = [0u8; 64];
                let _ = stream.read(&mut buf).await;
                drop(stream);
            } else {
                held.push(stream);
            }
        }
    });
    (url, task)
}

#[tokio::test]
async fn a_connector_that_hangs_or_hangs_up_fails_the_turn_in_bounded_time() {
    let clock = ManualClock::new(start_time());
    // The client's request timeout bounds a connector that never answers (the default HTTP
    // client has one of 100 s; 300 ms here).
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let h = Harness::new(anonymous(&clock).http_client(http));
    let connector = Mock::connector().await;

    assert_eq!(
        h.post(None, &h.activity(&connector.url(), "hi")).await.0,
        200
    );
    assert_eq!(h.storage.count().await, Some(1));

    let (hanging, hanging_task) = broken_connector(false).await;
    let outcome = tokio::time::timeout(
        Duration::from_secs(20),
        h.post(None, &h.activity(&hanging, "hi")),
    )
    .await
    .expect("the turn ends although the connector never answers");
    h.assert_failed(outcome, Seen::Timeout);
    assert_eq!(h.storage.count().await, Some(1));

    let (hanging_up, hang_up_task) = broken_connector(true).await;
    h.assert_failed(
        h.post(None, &h.activity(&hanging_up, "hi")).await,
        Seen::Transport,
    );
    assert_eq!(h.storage.count().await, Some(1));

    assert_eq!(
        h.post(None, &h.activity(&connector.url(), "hi")).await.0,
        200
    );
    assert_eq!(connector.last().json()["text"], "count: 2");
    hanging_task.abort();
    hang_up_task.abort();
}

#[tokio::test]
async fn a_failing_token_endpoint_fails_the_turn_and_sends_nothing() {
    let clock = ManualClock::new(start_time());
    let failing = Arc::new(AtomicBool::new(false));
    let login = {
        let failing = failing.clone();
        Mock::start(move |_, n| {
            if failing.load(Ordering::SeqCst) {
                Reply::json(
                    401,
                    json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}),
                )
            } else {
                Reply::json(200, json!({"token_type": "Bearer", "expires_in": 3600, "access_token": format!("tok-{n}")}))
            }
        })
        .await
    };
    let keys = KeyServer::start(vec![TestKey::A.jwk("key-1", &["msteams"])]).await;
    let config = BotConfig::from_map([
        ("MicrosoftAppId", APP_ID.to_owned()),
        ("MicrosoftAppPassword", PASSWORD.to_owned()),
        (
            "ToChannelFromBotLoginUrl",
            format!("{}/botframework.com", login.url()),
        ),
        ("ToBotFromChannelOpenIdMetadataUrl", keys.metadata_url()),
    ])
    .unwrap();
    let h = Harness::new(
        CloudAdapter::builder(config)
            .clock(Arc::new(clock.clone()))
            .retry_policy(fast_retry()),
    );
    let connector = Mock::connector().await;
    let service_url = format!("{}/", connector.url());
    let token = |clock: &ManualClock| {
        Some(format!(
            "Bearer {}",
            TestKey::A.sign("key-1", &channel_claims(clock.now(), &service_url))
        ))
    };

    assert_eq!(
        h.post(token(&clock), &h.activity(&service_url, "hi"))
            .await
            .0,
        200
    );
    assert_eq!(
        connector.last().header("authorization"),
        Some("Bearer tok-1")
    );
    assert_eq!(h.storage.count().await, Some(1));

    // The app token expires and the token endpoint refuses a new one.
    clock.advance(Duration::from_secs(2 * 3600));
    failing.store(true, Ordering::SeqCst);
    let sent_before = connector.requests().len();
    let (status, body) = h.post(token(&clock), &h.activity(&service_url, "hi")).await;
    assert!(
        !body.contains("AADSTS") && !body.contains(&login.url()),
        "{body}"
    );
    h.assert_failed((status, body), Seen::Token);
    assert_eq!(
        connector.requests().len(),
        sent_before,
        "nothing was sent without a token"
    );
    assert_eq!(h.storage.count().await, Some(1));

    failing.store(false, Ordering::SeqCst);
    assert_eq!(
        h.post(token(&clock), &h.activity(&service_url, "hi"))
            .await
            .0,
        200
    );
    assert_eq!(connector.last().json()["text"], "count: 2");
    assert!(
        connector
            .last()
            .header("authorization")
            .unwrap()
            .starts_with("Bearer tok-")
    );
}

#[tokio::test]
async fn an_unreachable_or_conflicting_store_fails_the_turn_and_loses_nothing() {
    let clock = ManualClock::new(start_time());
    let h = Harness::new(anonymous(&clock));
    let connector = Mock::connector().await;
    let url = connector.url();

    assert_eq!(h.post(None, &h.activity(&url, "hi")).await.0, 200);
    assert_eq!(h.storage.count().await, Some(1));

    // Unreachable: the state cannot be read; the bot replies nothing.
    h.storage.set(UNREACHABLE);
    let sent_before = connector.requests().len();
    h.assert_failed(
        h.post(None, &h.activity(&url, "hi")).await,
        Seen::StoreUnreachable,
    );
    assert_eq!(connector.requests().len(), sent_before);

    // Writes fail, or conflict: the reply went out, the save did not, the turn failed.
    for (mode, seen) in [
        (WRITES_FAIL, Seen::StoreUnreachable),
        (CONFLICTS, Seen::Conflict),
    ] {
        h.storage.set(mode);
        h.assert_failed(h.post(None, &h.activity(&url, "hi")).await, seen);
        assert_eq!(connector.last().json()["text"], "count: 2");
    }
    h.storage.set(HEALTHY);
    assert_eq!(h.storage.count().await, Some(1), "what was saved is intact");

    assert_eq!(h.post(None, &h.activity(&url, "hi")).await.0, 200);
    assert_eq!(connector.last().json()["text"], "count: 2");
    assert_eq!(h.storage.count().await, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_turn_is_caught_and_the_server_keeps_serving() {
    let clock = ManualClock::new(start_time());
    let h = Harness::new(anonymous(&clock));
    let connector = Mock::connector().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/messages", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hosting::serve_with_shutdown(
        listener,
        h.router.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    let http = reqwest::Client::new();

    for round in 1..=2 {
        let response = http
            .post(&url)
            .json(&h.activity(&connector.url(), "panic"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        let body = response.text().await.unwrap();
        assert_eq!(body, GENERIC_500, "round {round}");
        assert_eq!(
            h.errors.lock().unwrap().last(),
            Some(&Seen::Panic("the bot panicked on purpose".into()))
        );
        let response = http
            .post(&url)
            .json(&h.activity(&connector.url(), "hi"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "the server serves after a panic");
        assert_eq!(connector.last().json()["text"], format!("count: {round}"));
    }
    assert!(!server.is_finished());
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
