//! Hostile input on the messaging endpoint, over a real loopback server: empty, malformed,
//! truncated, deeply nested, non-UTF-8 and huge bodies, wrong content types, methods and
//! paths, missing fields, unknown activity types, slow clients (headers and bodies dribbled
//! byte by byte). Each gets its status (400, 401, 404, 405, 408, 413, 415 or 200), no turn runs
//! for a refused request, and the server keeps serving.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tower::ServiceExt;

use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::hosting::{self, HostingOptions};
use botbuilder_core::{Bot, TurnContext, TurnResult, async_trait};
use support::Mock;
use support::auth::{APP_ID, KeyServer, PASSWORD, TestKey};

/// Echoes messages and counts turns.
#[derive(Default)]
struct Counter {
    turns: AtomicUsize,
}

#[async_trait]
impl Bot for Counter {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.turns.fetch_add(1, Ordering::SeqCst);
        if ctx.activity().activity_type == "message" {
            let text = ctx.activity().text().to_owned();
            ctx.send_activity(format!("Echo: {text}")).await?;
        }
        Ok(())
    }
}

impl Counter {
    fn turns(&self) -> usize {
        self.turns.load(Ordering::SeqCst)
    }
}

/// Short client timeouts, so that slow-client tests take a fraction of a second.
fn options() -> HostingOptions {
    HostingOptions {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        shutdown_grace_period: Duration::from_secs(5),
        ..HostingOptions::default()
    }
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), botbuilder_connector::ConnectorError>>,
}

impl Server {
    async fn start(adapter: CloudAdapter, bot: Arc<dyn Bot>) -> Self {
        let options = options();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let router = hosting::router_with(adapter, bot, &options);
        let task = tokio::spawn(async move {
            hosting::serve_with_options(
                listener,
                router,
                async move {
                    let _ = stopped.await;
                },
                &options,
            )
            .await
        });
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(mut self) {
        assert!(!self.task.is_finished(), "the server stopped by itself");
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

fn activity(service_url: &str) -> Value {
    json!({
        "type": "message", "id": "a1", "text": "hi", "channelId": "emulator",
        "serviceUrl": service_url, "conversation": {"id": "c1"},
        "from": {"id": "u1"}, "recipient": {"id": "b1"},
    })
}

/// Sends raw bytes on a new connection and reads the answer until the server closes it.
async fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    parse_answer(&answer)
}

/// The status and body of a raw HTTP/1.1 answer.
fn parse_answer(answer: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn request_head(content_type: &str, extra: &str) -> String {
    format!(
        "POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: {content_type}\r\nConnection: close\r\n{extra}\r\n"
    )
}

/// Posts a body with reqwest; returns the status and the JSON error code, if any.
async fn post(
    http: &reqwest::Client,
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Option<String>) {
    let mut request = http.post(url).body(body);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().map(str::to_owned);
    (status, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_their_status_and_the_server_keeps_serving() {
    let connector = Mock::connector().await;
    let bot = Arc::new(Counter::default());
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let server = Server::start(adapter, bot.clone()).await;
    let http = reqwest::Client::new();
    let url = server.url("/api/messages");
    let good = serde_json::to_vec(&activity(&connector.url())).unwrap();

    // Bodies that are not an activity a turn can run on: 400 with a JSON error.
    let mut bad_bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("whitespace", b"  \n ".to_vec()),
        ("malformed", b"{\"type\": message}".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("not an object", b"[1, 2, 3]".to_vec()),
        ("a string", b"\"message\"".to_vec()),
        ("not UTF-8", b"{\"type\": \"\xff\xfe\"}".to_vec()),
        ("NUL bytes", b"\x00\x00\x00\x00".to_vec()),
        (
            "deeply nested",
            format!(
                r#"{{"type":"message","value":{}{}}}"#,
                "[".repeat(20_000),
                "]".repeat(20_000)
            )
            .into_bytes(),
        ),
        (
            "deeply nested objects",
            format!(
                r#"{{"type":"message","channelData":{}1{}}}"#,
                r#"{"a":"#.repeat(5_000),
                "}".repeat(5_000)
            )
            .into_bytes(),
        ),
        (
            "a huge number",
            format!(r#"{{"type":"message","text":{}}}"#, "9".repeat(50_000)).into_bytes(),
        ),
        (
            "a field of the wrong type",
            br#"{"type":"message","conversation":{"id":"c"},"serviceUrl":"http://x","channelId":"t","from":"alice"}"#.to_vec(),
        ),
    ];
    for field in ["type", "conversation", "serviceUrl", "channelId"] {
        let mut missing = activity(&connector.url());
        missing.as_object_mut().unwrap().remove(field);
        bad_bodies.push((field, serde_json::to_vec(&missing).unwrap()));
    }
    let mut not_http = activity(&connector.url());
    not_http["serviceUrl"] = json!("file:///etc/passwd");
    bad_bodies.push((
        "serviceUrl not http",
        serde_json::to_vec(&not_http).unwrap(),
    ));
    for (case, body) in bad_bodies {
        let (status, code) = post(&http, &url, Some("application/json"), body).await;
        assert_eq!(status, 400, "{case}");
        assert_eq!(code.as_deref(), Some("BadRequest"), "{case}");
    }

    // Wrong content types: 415, whatever the body.
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
        Some(""),
    ] {
        let (status, code) = post(&http, &url, content_type, good.clone()).await;
        assert_eq!(status, 415, "{content_type:?}");
        assert_eq!(code.as_deref(), Some("UnsupportedMediaType"));
    }

    // Wrong methods: 405; unknown paths: 404.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let status = http
            .request(method.clone(), &url)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 405, "{method}");
    }
    for path in [
        "/",
        "/api/message",
        "/api/messages/extra",
        "/api/../api/messages%00",
    ] {
        let status = http
            .post(server.url(path))
            .header(header::CONTENT_TYPE, "application/json")
            .body(good.clone())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{path}");
    }

    // A declared body over the limit: 413 before anything is read.
    let (status, body) = raw(
        server.addr,
        request_head("application/json", "Content-Length: 104857600\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 413);
    assert!(body.contains("PayloadTooLarge"), "{body}");
    // An actual body over the limit, with its length.
    let mut big = activity(&connector.url());
    big["text"] = json!("x".repeat(300 * 1024));
    let (status, code) = post(
        &http,
        &url,
        Some("application/json"),
        serde_json::to_vec(&big).unwrap(),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(code.as_deref(), Some("PayloadTooLarge"));

    // Garbage instead of HTTP: 400 from the HTTP layer.
    let (status, _) = raw(
        server.addr,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400);

    // An activity type the bot does not know: a turn runs, 200.
    let before = bot.turns();
    let mut unknown = activity(&connector.url());
    unknown["type"] = json!("somethingNew");
    let (status, _) = post(
        &http,
        &url,
        Some("application/json"),
        serde_json::to_vec(&unknown).unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(bot.turns(), before + 1);

    // Nothing refused ran a turn; the server still serves a normal request.
    assert_eq!(bot.turns(), 1, "only the unknown type ran a turn");
    let (status, _) = post(&http, &url, Some("application/json"), good.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(bot.turns(), 2);
    assert_eq!(connector.last().json()["text"], "Echo: hi");
    server.stop().await;
}

#[tokio::test]
async fn a_body_streamed_past_the_limit_is_413() {
    // No Content-Length: the limit applies while reading (checked without a port).
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let router = hosting::router_with(adapter, Arc::new(Counter::default()), &options());
    let chunks = (0..5).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024]));
    let request = Request::post("/api/messages")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_the_server_keeps_serving() {
    let connector = Mock::connector().await;
    let bot = Arc::new(Counter::default());
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let server = Server::start(adapter, bot.clone()).await;

    // Headers dribbled one byte at a time: the connection is closed (no status can be
    // written in the middle of a request's headers).
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /api/messages HTTP/1.1\r\nHost: bot\r\nX-Slow: ")
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 256];
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => break read.map_or(0, |n| n),
                () = tokio::time::sleep(Duration::from_millis(20)) => {
                    if stream.write_all(b"x").await.is_err() {
                        break 0;
                    }
                }
            }
        }
    })
    .await
    .expect("the server closes a connection whose headers never end");
    assert_eq!(closed, 0, "the server answered instead of closing");

    // A body dribbled one byte at a time: 408 with a JSON error, and the connection closes.
    let body = serde_json::to_vec(&activity(&connector.url())).unwrap();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = request_head(
        "application/json",
        &format!("Content-Length: {}\r\n", body.len()),
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        let mut next = 0;
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break answer,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                },
                () = tokio::time::sleep(Duration::from_millis(20)), if next < body.len() => {
                    if stream.write_all(&body[next..=next]).await.is_ok() {
                        next += 1;
                    }
                }
            }
        }
    })
    .await
    .expect("the server answers a body that never ends");
    let (status, answer_body) = parse_answer(&answer);
    assert_eq!(status, 408, "{answer_body}");
    assert!(answer_body.contains("RequestTimeout"), "{answer_body}");

    // A keep-alive connection left idle after its request is closed after the header timeout
    // too (a waiting connection is a request whose headers have not come).
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an idle keep-alive connection is closed")
        .unwrap();
    assert_eq!(parse_answer(&answer).0, 200);

    let http = reqwest::Client::new();
    let (status, _) = post(
        &http,
        &server.url("/api/messages"),
        Some("application/json"),
        body.clone(),
    )
    .await;
    assert_eq!(status, 200, "the server still serves");
    assert_eq!(bot.turns(), 2, "only the complete requests ran a turn");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticated_bot_refuses_requests_without_a_valid_token_with_401() {
    let connector = Mock::connector().await;
    let keys = KeyServer::start(vec![TestKey::A.jwk("key-1", &["msteams"])]).await;
    let config = BotConfig::new(APP_ID, PASSWORD)
        .with_channel_open_id_metadata_url(keys.metadata_url())
        .with_emulator_open_id_metadata_url(keys.metadata_url());
    let bot = Arc::new(Counter::default());
    let server = Server::start(CloudAdapter::new(&config).unwrap(), bot.clone()).await;
    let http = reqwest::Client::new();
    let body = serde_json::to_vec(&activity(&connector.url())).unwrap();
    for authorization in [
        None,
        Some("Bearer"),
        Some("Basic dXNlcjpwYXNz"),
        Some("Bearer not.a.jwt"),
        Some("Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2FwaS5ib3RmcmFtZXdvcmsuY29tIn0."),
    ] {
        let mut request = http
            .post(server.url("/api/messages"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.clone());
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{authorization:?}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "Unauthorized");
    }
    assert_eq!(bot.turns(), 0);
    assert!(connector.requests().is_empty());
    server.stop().await;
}
