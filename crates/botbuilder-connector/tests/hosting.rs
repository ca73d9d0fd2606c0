//! The axum layer: status codes and JSON error bodies (with `oneshot`, no port), and a real
//! loopback server that shuts down gracefully, letting a request in flight finish.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};
use tower::ServiceExt;

use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::hosting::{self, HostingOptions};
use botbuilder_core::{Bot, TurnContext, TurnResult, async_trait};
use support::Mock;

#[derive(Default)]
struct Counter {
    turns: AtomicUsize,
}

#[async_trait]
impl Bot for Counter {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.turns.fetch_add(1, Ordering::SeqCst);
        let text = ctx.activity().text().to_owned();
        ctx.send_activity(format!("Echo: {text}")).await?;
        Ok(())
    }
}

fn activity(service_url: &str) -> Value {
    json!({
        "type": "message", "id": "a1", "text": "hi", "channelId": "emulator",
        "serviceUrl": service_url, "conversation": {"id": "c1"},
        "from": {"id": "u1"}, "recipient": {"id": "b1"},
    })
}

async fn send(router: axum::Router, request: Request<Body>) -> (StatusCode, Option<String>, Value) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, content_type, body)
}

fn post(path: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::builder().method(Method::POST).uri(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

#[tokio::test]
async fn the_router_answers_each_case_with_the_right_status() {
    let connector = Mock::connector().await;
    let bot = Arc::new(Counter::default());
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let router = hosting::router(adapter, bot.clone());
    let body = serde_json::to_vec(&activity(&connector.url())).unwrap();

    // A normal turn: 200, and the reply reached the connector.
    let (status, _, _) = send(
        router.clone(),
        post(
            "/api/messages",
            Some("application/json; charset=utf-8"),
            body.clone(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(connector.last().json()["text"], "Echo: hi");

    // Not JSON: 415 with a JSON error.
    let (status, content_type, error) = send(
        router.clone(),
        post("/api/messages", Some("text/plain"), body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(error["error"]["code"], "UnsupportedMediaType");
    let (status, _, _) = send(router.clone(), post("/api/messages", None, body.clone())).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Malformed JSON and missing fields: 400 with a JSON error.
    let (status, _, error) = send(
        router.clone(),
        post("/api/messages", Some("application/json"), "{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "BadRequest");
    let (status, _, error) = send(
        router.clone(),
        post(
            "/api/messages",
            Some("application/json"),
            r#"{"type":"message"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("conversation.id")
    );

    // Too large: 413 with a JSON error.
    let mut big = activity(&connector.url());
    big["text"] = json!("x".repeat(300 * 1024));
    let (status, _, error) = send(
        router.clone(),
        post(
            "/api/messages",
            Some("application/json"),
            serde_json::to_vec(&big).unwrap(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error["error"]["code"], "PayloadTooLarge");

    // Wrong method: 405.
    let (status, _, _) = send(
        router.clone(),
        Request::get("/api/messages").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    // A header that is not text: 401.
    let mut request = post("/api/messages", Some("application/json"), body.clone());
    request.headers_mut().insert(
        header::AUTHORIZATION,
        header::HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
    );
    let (status, _, _) = send(router.clone(), request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // No health route unless asked for.
    let (status, _, _) = send(
        router.clone(),
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(
        bot.turns.load(Ordering::SeqCst),
        1,
        "only the valid request ran a turn"
    );
}

#[tokio::test]
async fn options_move_the_routes_and_the_limit() {
    let connector = Mock::connector().await;
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let options = HostingOptions {
        messages_path: "/bot".into(),
        body_limit: 64,
        ..HostingOptions::default()
    };
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .merge(hosting::router_with(
            adapter,
            Arc::new(Counter::default()),
            &options,
        ));
    let body = serde_json::to_vec(&activity(&connector.url())).unwrap();
    let (status, _, _) = send(app.clone(), post("/bot", Some("application/json"), body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, _) = send(
        app.clone(),
        post("/api/messages", Some("application/json"), "{}"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the default path is not mounted"
    );
    let (status, _, home) = send(app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home, "home");
}

#[tokio::test]
async fn an_out_of_range_invoke_status_becomes_500() {
    let response = botbuilder_connector::AdapterResponse {
        status: 1000,
        body: None,
    }
    .into_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// Holds its turn until released.
struct Slow {
    started: Notify,
    release: Notify,
}

#[async_trait]
impl Bot for Slow {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        let released = self.release.notified();
        self.started.notify_one();
        released.await;
        ctx.send_activity("done").await?;
        Ok(())
    }
}

#[tokio::test]
async fn graceful_shutdown_lets_the_request_in_flight_finish() {
    let connector = Mock::connector().await;
    let bot = Arc::new(Slow {
        started: Notify::new(),
        release: Notify::new(),
    });
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(hosting::serve_with_shutdown(
        listener,
        hosting::router(adapter, bot.clone()),
        async move {
            let _ = stopped.await;
        },
    ));

    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/messages");
    let in_flight = tokio::spawn({
        let client = client.clone();
        let url = url.clone();
        let body = activity(&connector.url());
        async move { client.post(url).json(&body).send().await }
    });
    bot.started.notified().await;
    stop.send(()).unwrap();
    // The server is draining; the turn still finishes and its answer arrives.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !server.is_finished(),
        "the server waits for the request in flight"
    );
    bot.release.notify_one();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(connector.last().json()["text"], "done");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // Stopped: no new connections.
    assert!(client.post(&url).json(&json!({})).send().await.is_err());
}

/// Holds its turn until released, and notes whether the turn was cancelled (its future
/// dropped) before the end.
#[derive(Default)]
struct Gated {
    started: Notify,
    release: Notify,
    cancelled: std::sync::atomic::AtomicBool,
    finished: std::sync::atomic::AtomicBool,
}

/// Sets its flag when dropped while armed.
struct CancelGuard<'a> {
    flag: &'a std::sync::atomic::AtomicBool,
    armed: bool,
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

#[async_trait]
impl Bot for Gated {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        let mut guard = CancelGuard {
            flag: &self.cancelled,
            armed: true,
        };
        let released = self.release.notified();
        self.started.notify_one();
        released.await;
        ctx.send_activity("done").await?;
        guard.armed = false;
        self.finished.store(true, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_turn_runs_to_its_end_when_the_client_hangs_up() {
    use tokio::io::AsyncWriteExt;

    let connector = Mock::connector().await;
    let bot = Arc::new(Gated::default());
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(hosting::serve_with_shutdown(
        listener,
        hosting::router(adapter, bot.clone()),
        async move {
            let _ = stopped.await;
        },
    ));

    // A channel posts, then stops waiting (Teams gives up after about 15 s) and hangs up.
    let body = serde_json::to_vec(&activity(&connector.url())).unwrap();
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).await.unwrap();
    client.write_all(&body).await.unwrap();
    bot.started.notified().await;
    drop(client);
    // Give the server time to see the hang-up (a cancelled turn shows at once).
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            !bot.cancelled.load(Ordering::SeqCst),
            "the turn was cancelled when the client hung up"
        );
    }
    bot.release.notify_one();
    for _ in 0..200 {
        if bot.finished.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        bot.finished.load(Ordering::SeqCst),
        "the turn ran to its end"
    );
    assert!(!bot.cancelled.load(Ordering::SeqCst));
    assert_eq!(connector.last().json()["text"], "done");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_closes_what_is_still_busy_after_the_grace_period() {
    let connector = Mock::connector().await;
    let bot = Arc::new(Gated::default());
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let options = HostingOptions {
        shutdown_grace_period: Duration::from_millis(100),
        ..HostingOptions::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn({
        let router = hosting::router_with(adapter, bot.clone(), &options);
        let options = options.clone();
        async move {
            hosting::serve_with_options(
                listener,
                router,
                async move {
                    let _ = stopped.await;
                },
                &options,
            )
            .await
        }
    });
    let in_flight = tokio::spawn({
        let body = activity(&connector.url());
        async move {
            reqwest::Client::new()
                .post(format!("http://{addr}/api/messages"))
                .json(&body)
                .send()
                .await
        }
    });
    bot.started.notified().await;
    // A turn that never ends does not hold the process: after the grace period its
    // connection is closed (cancelling the turn) and serving returns.
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serving returns after the grace period")
        .unwrap()
        .unwrap();
    assert!(
        bot.cancelled.load(Ordering::SeqCst),
        "the turn was cancelled"
    );
    assert!(!bot.finished.load(Ordering::SeqCst));
    assert!(
        in_flight.await.unwrap().is_err(),
        "the client saw the connection close"
    );
    assert!(connector.requests().is_empty());
}

/// An app's own state, unknown to the SDK.
#[derive(Clone)]
struct Site {
    name: &'static str,
}

async fn site_name(axum::extract::State(site): axum::extract::State<Site>) -> String {
    site.name.to_owned()
}

#[tokio::test]
async fn the_routes_merge_into_an_app_with_its_own_state_either_way() {
    let connector = Mock::connector().await;
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot = Arc::new(Counter::default());
    let body = serde_json::to_vec(&activity(&connector.url())).unwrap();

    // The app's router first, its state given before the bot's routes are merged...
    let mine_first: axum::Router = axum::Router::new()
        .route("/mine", axum::routing::get(site_name))
        .with_state(Site { name: "contoso" })
        .merge(hosting::router(adapter.clone(), bot.clone()));
    // ...or the bot's routes first, in a router whose state is the app's, given last.
    let bot_first: axum::Router = hosting::router::<Site>(adapter, bot.clone())
        .route("/mine", axum::routing::get(site_name))
        .merge(hosting::health_route())
        .with_state(Site { name: "fabrikam" });

    for (app, name) in [(mine_first, "contoso"), (bot_first, "fabrikam")] {
        let (status, _, mine) = send(
            app.clone(),
            Request::get("/mine").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!((status, mine), (StatusCode::OK, json!(name)));
        let (status, _, _) = send(
            app.clone(),
            post("/api/messages", Some("application/json"), body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(connector.last().json()["text"], "Echo: hi");
    }
    assert_eq!(bot.turns.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_health_route_is_opt_in() {
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot = Arc::new(Counter::default());
    let without = hosting::router(adapter.clone(), bot.clone());
    let (status, _, _) = send(
        without,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let with = hosting::router(adapter, bot)
        .merge(hosting::health_route())
        .route("/live", axum::routing::get(hosting::health_check));
    for path in [hosting::HEALTH_PATH, "/live"] {
        let (status, content_type, health) = send(
            with.clone(),
            Request::get(path).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(
            content_type.as_deref(),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(health, json!({"status": "ok"}));
    }
}

/// The handler docs/hosting.md shows: plain axum, the SDK's answer returned as it is.
#[derive(Clone)]
struct AppState {
    adapter: CloudAdapter,
    bot: Arc<dyn Bot>,
}

async fn my_messages(
    axum::extract::State(app): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> botbuilder_connector::AdapterResponse {
    let Ok(authorization) = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str())
        .transpose()
    else {
        return botbuilder_connector::AdapterResponse::error(
            401,
            "Unauthorized",
            "the request is not authorized",
        );
    };
    app.adapter
        .process(authorization, &body, app.bot.as_ref())
        .await
}

#[tokio::test]
async fn a_plain_axum_handler_returns_what_the_adapter_answers() {
    let connector = Mock::connector().await;
    let bot = Arc::new(Counter::default());
    let state = AppState {
        adapter: CloudAdapter::new(&BotConfig::anonymous()).unwrap(),
        bot: bot.clone(),
    };
    let app = axum::Router::new()
        .route("/api/messages", axum::routing::post(my_messages))
        .with_state(state);

    let body = serde_json::to_vec(&activity(&connector.url())).unwrap();
    let (status, _, _) = send(
        app.clone(),
        post("/api/messages", Some("application/json"), body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(connector.last().json()["text"], "Echo: hi");

    // expectReplies: the replies in the body, as JSON.
    let mut expect = activity(&connector.url());
    expect["deliveryMode"] = json!("expectReplies");
    let (status, content_type, replies) = send(
        app.clone(),
        post(
            "/api/messages",
            Some("application/json"),
            serde_json::to_vec(&expect).unwrap(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(replies["activities"][0]["text"], "Echo: hi");

    // The adapter's error answers come through with their status and JSON body.
    let (status, _, error) = send(
        app.clone(),
        post("/api/messages", Some("application/json"), "{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "BadRequest");
    let mut request = post("/api/messages", Some("application/json"), body);
    request.headers_mut().insert(
        header::AUTHORIZATION,
        header::HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
    );
    let (status, _, error) = send(app, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"]["code"], "Unauthorized");
    assert_eq!(bot.turns.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_taken_port_fails_to_bind_with_the_address_in_the_message() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let error = hosting::Server::bind(addr).await.unwrap_err();
    assert!(
        matches!(
            error,
            botbuilder_connector::ConnectorError::Transport { .. }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("cannot listen on {addr}")),
        "{error}"
    );
    // The one-call `serve` fails the same way, at once.
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let served = tokio::time::timeout(
        Duration::from_secs(5),
        hosting::serve(addr, adapter, Arc::new(Counter::default())),
    )
    .await
    .expect("serve returns at once");
    assert_eq!(served.unwrap_err().to_string(), error.to_string());
}

#[tokio::test]
async fn a_server_serves_on_its_bound_address_until_the_signal() {
    let connector = Mock::connector().await;
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot = Arc::new(Counter::default());
    let options = HostingOptions {
        shutdown_grace_period: Duration::from_secs(1),
        ..HostingOptions::default()
    };
    let server = hosting::Server::bind("127.0.0.1:0")
        .await
        .unwrap()
        .options(&options);
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0, "the port the system chose");
    let (stop, stopped) = oneshot::channel::<()>();
    let app = hosting::router(adapter, bot.clone()).merge(hosting::health_route());
    let serving = tokio::spawn(
        server
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .serve(app),
    );
    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let answer = client
        .post(format!("http://{addr}/api/messages"))
        .json(&activity(&connector.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(connector.last().json()["text"], "Echo: hi");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // Stopped, and the port is free again.
    drop(tokio::net::TcpListener::bind(addr).await.unwrap());
}
