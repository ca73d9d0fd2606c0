//! The flagship end to end, over HTTP: the proactive job bot served on a loopback port, two
//! mock channels (one per conversation, each with its own service URL) capturing what the bot
//! sends, the two-window scenario of the example's header, the jobs HTTP API, a
//! restart on the same store completing a job started before it, and notifications that
//! wait in the outbox while the channel is down, across a restart, and arrive exactly once.
//!
//! Runs on SQLite always, and on Redis and PostgreSQL when `BOTBUILDER_TEST_REDIS_URL` /
//! `BOTBUILDER_TEST_POSTGRES_URL` are set (`.ci/run` starts both servers and sets
//! `BOTBUILDER_REQUIRE_SERVERS=1`, which turns a missing URL into a failure).

#![allow(clippy::unwrap_used, clippy::print_stdout, dead_code)]

#[path = "../examples/proactive/app.rs"]
mod app;
#[path = "../examples/proactive/bot.rs"]
mod bot;
#[path = "../examples/common/mod.rs"]
mod common;
use botbuilder_test_support as support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use botbuilder::core::outbox::{OutboxPolicy, OutboxWorker};

use botbuilder::core::testing::server_url;
use botbuilder::prelude::*;
use serde_json::{Value, json};
use support::{Mock, Recorded, Reply};
use tokio::sync::oneshot;

/// One running instance of the example's server, with its outbox worker.
struct Server {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    outbox: OutboxWorker,
}

/// Retries within the test's time: 50 ms doubling to 200 ms, a 1 s lease.
fn quick_outbox() -> OutboxPolicy {
    OutboxPolicy {
        first_retry: Duration::from_millis(50),
        max_retry: Duration::from_millis(200),
        lease: Duration::from_secs(1),
        poll_interval: Duration::from_millis(100),
        ..OutboxPolicy::default()
    }
}

impl Server {
    async fn start(storage_url: &str, jobs_api_key: Option<&str>) -> Self {
        Self::start_with(storage_url, jobs_api_key, OutboxPolicy::default()).await
    }

    async fn start_with(
        storage_url: &str,
        jobs_api_key: Option<&str>,
        policy: OutboxPolicy,
    ) -> Self {
        let mut values = HashMap::from([("BOT_STORAGE".to_owned(), storage_url.to_owned())]);
        if let Some(key) = jobs_api_key {
            values.insert("JOBS_API_KEY".to_owned(), key.to_owned());
        }
        let settings = common::Settings::from_values(values, BotConfig::anonymous()).unwrap();
        let app = app::App::build_with(&settings, policy).await.unwrap();
        let outbox = app.start_outbox();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            botbuilder::hosting::serve_with_shutdown(listener, app.router(), async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            stop: Some(stop),
            task,
            outbox,
        }
    }

    /// Stops serving and stops the outbox worker, as a process that exits does.
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.unwrap();
        self.outbox.stop().await;
    }
}

/// A chat window: one conversation, one user, one channel service URL.
struct Window<'a> {
    http: reqwest::Client,
    server: &'a Server,
    channel: &'a Mock,
    conversation: &'static str,
    user: &'static str,
    next_id: std::cell::Cell<u32>,
}

/// Alice's window (conversation A) on `channel_a`, Bob's (conversation B) on `channel_b`.
fn two_windows<'a>(
    http: &reqwest::Client,
    server: &'a Server,
    channel_a: &'a Mock,
    channel_b: &'a Mock,
) -> (Window<'a>, Window<'a>) {
    let window = |channel, conversation, user| Window {
        http: http.clone(),
        server,
        channel,
        conversation,
        user,
        next_id: Default::default(),
    };
    (
        window(channel_a, "conversation-A", "alice"),
        window(channel_b, "conversation-B", "bob"),
    )
}

impl Window<'_> {
    fn activity(&self, kind: &str) -> Value {
        let n = self.next_id.get() + 1;
        self.next_id.set(n);
        json!({
            "type": kind,
            "id": format!("{}-{n}", self.conversation),
            "channelId": "emulator",
            "serviceUrl": self.channel.url(),
            "conversation": {"id": self.conversation},
            "from": {"id": self.user, "name": self.user},
            "recipient": {"id": "job-bot", "name": "Job bot"},
            "locale": "en-US",
        })
    }

    async fn post(&self, activity: Value) -> u16 {
        self.http
            .post(format!("{}/api/messages", self.server.base))
            .json(&activity)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Sends text and returns the bot's reply text in this window.
    async fn say(&self, text: &str) -> String {
        let before = self.channel.requests().len();
        let mut activity = self.activity("message");
        activity["text"] = json!(text);
        assert_eq!(self.post(activity).await, 200, "posting {text:?}");
        let reply = wait_for(self.channel, before, |r| {
            r.json()["conversation"]["id"] == self.conversation
        })
        .await;
        reply.json()["text"].as_str().unwrap().to_owned()
    }
}

/// Waits for a request after the first `skip` ones that matches.
async fn wait_for(mock: &Mock, skip: usize, matches: impl Fn(&Recorded) -> bool) -> Recorded {
    for _ in 0..200 {
        if let Some(found) = mock.requests().into_iter().skip(skip).find(|r| matches(r)) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no matching request reached the mock channel");
}

fn job_number(text: &str) -> u64 {
    text.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no job number in {text:?}"))
}

async fn jobs_api(http: &reqwest::Client, server: &Server, key: Option<&str>) -> (u16, Value) {
    let mut request = http.get(format!("{}/api/jobs", server.base));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn complete_with_body(http: &reqwest::Client, server: &Server, number: u64) -> (u16, Value) {
    let response = http
        .post(format!("{}/api/jobs/{number}/complete", server.base))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn complete(http: &reqwest::Client, server: &Server, number: &str, key: Option<&str>) -> u16 {
    let mut request = http.post(format!("{}/api/jobs/{number}/complete", server.base));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap().status().as_u16()
}

/// The whole scenario on one store.
async fn scenario(storage_url: &str) {
    let channel_a = Mock::connector().await;
    let channel_b = Mock::connector().await;
    let http = reqwest::Client::new();
    let server = Server::start(storage_url, None).await;
    let (a, b) = two_windows(&http, &server, &channel_a, &channel_b);

    // Welcome on joining.
    let mut update = a.activity("conversationUpdate");
    update["membersAdded"] = json!([{"id": "job-bot"}, {"id": "alice"}]);
    assert_eq!(a.post(update).await, 200);
    let welcome = wait_for(&channel_a, 0, |_| true).await;
    assert!(welcome.json()["text"].as_str().unwrap().contains("Welcome"));

    // Window A: run twice.
    let first = job_number(&a.say("run").await);
    let second = job_number(&a.say("run job").await);
    assert_ne!(first, second);

    // Window B: show, then done <second>.
    let table = b.say("show").await;
    assert!(
        table.contains(&format!("| {first} | conversation-A | no |")),
        "{table}"
    );
    assert!(
        table.contains(&format!("| {second} | conversation-A | no |")),
        "{table}"
    );

    let before_a = channel_a.requests().len();
    let reply = b.say(&format!("done {second}")).await;
    assert!(reply.contains("is completing"), "{reply}");
    let proactive = wait_for(&channel_a, before_a, |r| {
        r.json()["text"] == format!("Job {second} is complete.")
    })
    .await;
    // In A's conversation, on A's service URL, to A's user, as a new message (no replyToId).
    assert_eq!(
        proactive.path,
        "/v3/conversations/conversation-A/activities"
    );
    let body = proactive.json();
    assert_eq!(body["conversation"]["id"], "conversation-A");
    assert_eq!(body["recipient"]["id"], "alice");
    assert!(body.get("replyToId").is_none());
    assert!(
        channel_b
            .requests()
            .iter()
            .all(|r| r.json()["text"] != format!("Job {second} is complete.")),
        "the notification goes to A only"
    );

    // Again, unknown, malformed.
    assert_eq!(
        b.say(&format!("done {second}")).await,
        format!("Job {second} is already complete.")
    );
    assert_eq!(
        b.say("done 42").await,
        "There is no job 42. Type `show` to see the jobs."
    );
    assert!(b.say("done abc").await.contains("Tell me which job"));
    assert!(
        b.say("hello?")
            .await
            .contains("Sorry, I did not understand that.")
    );

    // The outside system's event completes the first job.
    let before_a = channel_a.requests().len();
    let mut event = b.activity("event");
    event["name"] = json!("jobComplete");
    event["value"] = json!(first);
    assert_eq!(b.post(event).await, 200);
    wait_for(&channel_a, before_a, |r| {
        r.json()["text"] == format!("Job {first} is complete.")
    })
    .await;

    // The HTTP endpoint.
    let third = job_number(&a.say("run").await);
    let (status, list) = jobs_api(&http, &server, None).await;
    assert_eq!(status, 200);
    let listed: Vec<u64> = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["number"].as_u64().unwrap())
        .collect();
    assert!(listed.contains(&first) && listed.contains(&second) && listed.contains(&third));
    let before_a = channel_a.requests().len();
    assert_eq!(
        complete(&http, &server, &third.to_string(), None).await,
        200
    );
    // 200 means the notification was sent: it is already at the channel.
    assert!(
        channel_a
            .requests()
            .iter()
            .skip(before_a)
            .any(|r| r.json()["text"] == format!("Job {third} is complete."))
    );
    assert_eq!(
        complete(&http, &server, &third.to_string(), None).await,
        409
    );
    assert_eq!(complete(&http, &server, "999", None).await, 404);
    assert_eq!(complete(&http, &server, "abc", None).await, 400);

    // A job started before a restart completes and notifies after it.
    let survivor = job_number(&a.say("run").await);
    server.stop().await;
    let server = Server::start(storage_url, Some("s3cret-key")).await;
    assert_eq!(
        complete(&http, &server, &survivor.to_string(), None).await,
        401
    );
    assert_eq!(
        complete(&http, &server, &survivor.to_string(), Some("wrong")).await,
        401
    );
    assert_eq!(jobs_api(&http, &server, None).await.0, 401);
    assert_eq!(jobs_api(&http, &server, Some("s3cret-key")).await.0, 200);
    let before_a = channel_a.requests().len();
    assert_eq!(
        complete(&http, &server, &survivor.to_string(), Some("s3cret-key")).await,
        200
    );
    let after_restart = wait_for(&channel_a, before_a, |_| true).await;
    assert_eq!(
        after_restart.json()["text"],
        format!("Job {survivor} is complete.")
    );
    assert_eq!(after_restart.json()["recipient"]["id"], "alice");
    server.stop().await;
}

/// What the flaky channel answers: 0 = accepts, 1 = busy (429), 2 = refuses (403).
const ACCEPTS: u8 = 0;
const BUSY: u8 = 1;
const REFUSES: u8 = 2;

/// `POST /api/jobs/{number}/complete`: the status, the `Retry-After` header and the body.
async fn complete_answer(
    http: &reqwest::Client,
    server: &Server,
    number: u64,
) -> (u16, Option<String>, Value) {
    let response = http
        .post(format!("{}/api/jobs/{number}/complete", server.base))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        retry_after,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// The jobs API says what the channel did. The job is complete either way and its
/// notification waits in the outbox (202): a channel that keeps answering 429 is "busy", with
/// the wait it asked for; one that answers 403 "refused", naming the refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_api_says_whether_the_channel_throttled_or_refused() {
    let mode = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(ACCEPTS));
    let answers = mode.clone();
    let channel = Mock::start(move |_, n| {
        match answers.load(std::sync::atomic::Ordering::SeqCst) {
            // A wait longer than the retry policy allows ends the client's retries at once.
            BUSY => support::Reply::json(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
            )
            .header("Retry-After", "120"),
            REFUSES => support::Reply::json(
                403,
                json!({"error": {"code": "BotNotInConversationRoster", "message": "removed"}}),
            ),
            _ => support::Reply::json(200, json!({"id": format!("id-{n}")})),
        }
    })
    .await;
    let http = reqwest::Client::new();
    let server = Server::start(&temp_db(), None).await;
    let window = Window {
        http: http.clone(),
        server: &server,
        channel: &channel,
        conversation: "conversation-T",
        user: "tess",
        next_id: Default::default(),
    };
    let busy_job = job_number(&window.say("run").await);
    let refused_job = job_number(&window.say("run").await);

    mode.store(BUSY, std::sync::atomic::Ordering::SeqCst);
    let before = channel.requests().len();
    let (status, _, body) = complete_answer(&http, &server, busy_job).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "complete; notification queued");
    assert_eq!(
        body["reason"],
        "the channel is busy (429); the outbox retries when it allows"
    );
    assert_eq!(body["retryAfterSeconds"], 120);
    assert!(
        channel
            .requests()
            .iter()
            .skip(before)
            .any(|r| r.json()["text"] == format!("Job {busy_job} is complete.")),
        "the notification was tried"
    );

    mode.store(REFUSES, std::sync::atomic::Ordering::SeqCst);
    let (status, _, body) = complete_answer(&http, &server, refused_job).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body["reason"],
        "the channel refused the notification (403, BotNotInConversationRoster)"
    );
    assert_eq!(body["retryAfterSeconds"], Value::Null);

    // Both jobs are complete: completing them again is refused, not a second notification.
    let (status, _, _) = complete_answer(&http, &server, busy_job).await;
    assert_eq!(status, 409);
    server.stop().await;
}

/// A channel that can be taken down (it answers 503) and brought back up; it keeps the text
/// of every activity it accepted (answered 200).
struct Switchable {
    mock: Mock,
    down: Arc<AtomicBool>,
    accepted: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Switchable {
    async fn start() -> Self {
        let down = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (flag, log) = (down.clone(), accepted.clone());
        let mock = Mock::start(move |request, n| {
            if flag.load(Ordering::SeqCst) {
                return Reply::json(503, json!({"error": {"code": "ServiceUnavailable"}}));
            }
            if let Some(text) = request.json()["text"].as_str() {
                log.lock().unwrap().push(text.to_owned());
            }
            Reply::json(200, json!({"id": format!("id-{n}")}))
        })
        .await;
        Self {
            mock,
            down,
            accepted,
        }
    }

    /// How many times the channel accepted this text.
    fn delivered(&self, text: &str) -> usize {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .filter(|t| *t == text)
            .count()
    }
}

/// Jobs completed while the channel is down (over HTTP, and with `done <n>` in chat) are
/// complete, their notifications queued; the bot restarts; the channel comes back: each
/// user is told exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_queued_while_the_channel_is_down_arrive_once_after_a_restart() {
    let storage_url = temp_db();
    let switchable = Switchable::start().await;
    let (channel_a, a_down) = (&switchable.mock, &switchable.down);
    let channel_b = Mock::connector().await;
    let http = reqwest::Client::new();
    let server = Server::start_with(&storage_url, None, quick_outbox()).await;
    let (a, b) = two_windows(&http, &server, channel_a, &channel_b);
    let over_http = job_number(&a.say("run").await);
    let in_chat = job_number(&a.say("run").await);

    // A's channel goes down (503 on every send).
    a_down.store(true, Ordering::SeqCst);
    let (status, body) = complete_with_body(&http, &server, over_http).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "complete; notification queued");
    assert_eq!(body["completed"], true);
    assert!(
        body["lastError"].as_str().unwrap().contains("503"),
        "{body}"
    );
    // Complete: asking again is a conflict, and the job log says so.
    assert_eq!(
        complete(&http, &server, &over_http.to_string(), None).await,
        409
    );
    let reply = b.say(&format!("done {in_chat}")).await;
    assert!(reply.contains("is completing"), "{reply}");

    // The operator sees both notifications waiting, with their attempts and errors.
    let mut waiting = Value::Null;
    for _ in 0..200 {
        waiting = http
            .get(format!("{}/api/outbox", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Both recorded, and both tried once (the chat's completes in the background).
        let entries = waiting["entries"].as_array().unwrap();
        if entries.len() == 2 && entries.iter().all(|e| e["lastError"].is_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let entries = waiting["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{waiting}");
    for entry in entries {
        assert_eq!(entry["state"], "pending");
        assert_eq!(entry["conversationId"], "conversation-A");
        assert!(entry["attempts"].as_u64().unwrap() >= 1);
        assert!(entry["lastError"].as_str().unwrap().contains("503"));
    }
    let (_, jobs) = jobs_api(&http, &server, None).await;
    assert!(
        jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["completed"] == true)
    );

    // The bot restarts (a new adapter and outbox on the same store); then the channel is back.
    server.stop().await;
    let first_texts = [
        format!("Job {over_http} is complete."),
        format!("Job {in_chat} is complete."),
    ];
    assert!(first_texts.iter().all(|t| switchable.delivered(t) == 0));
    let server = Server::start_with(&storage_url, None, quick_outbox()).await;
    a_down.store(false, Ordering::SeqCst);
    for text in &first_texts {
        for _ in 0..200 {
            if switchable.delivered(text) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    // Give a duplicate every chance to show up: many worker passes.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for text in &first_texts {
        assert_eq!(switchable.delivered(text), 1, "{text} exactly once");
    }
    // To Alice, in A, as new messages.
    let notification = channel_a
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.json()["text"] == first_texts[0].as_str())
        .unwrap();
    assert_eq!(notification.json()["recipient"]["id"], "alice");
    let waiting: Value = http
        .get(format!("{}/api/outbox", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(waiting["entries"], json!([]));
    assert_eq!(
        complete(&http, &server, &over_http.to_string(), None).await,
        409
    );
    server.stop().await;
}

fn temp_db() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("botbuilder-e2e-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite:{}", dir.join("jobs.db").display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_on_sqlite() {
    scenario(&temp_db()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_on_redis() {
    if let Some(url) = server_url(
        "BOTBUILDER_TEST_REDIS_URL",
        "proactive_e2e::scenario_on_redis",
    ) {
        // A fresh key prefix per run, so runs never see each other's jobs.
        let prefix = format!("e2e-{}-{}:", std::process::id(), fastrand_suffix());
        let separator = if url.contains('?') { '&' } else { '?' };
        scenario(&format!("{url}{separator}prefix={prefix}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_on_postgres() {
    if let Some(url) = server_url(
        "BOTBUILDER_TEST_POSTGRES_URL",
        "proactive_e2e::scenario_on_postgres",
    ) {
        let table = format!("e2e_{}_{}", std::process::id(), fastrand_suffix());
        let separator = if url.contains('?') { '&' } else { '?' };
        scenario(&format!("{url}{separator}table={table}")).await;
    }
}

fn fastrand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        .into()
}

/// The flagship's start banner as `main` builds it, for a bot with an app id listening where
/// such a bot does by default (every interface) without a `DirectLineSecret`: every line
/// matches that configuration.
#[tokio::test]
async fn the_banner_of_the_flagship_with_an_app_id_matches_its_configuration() {
    let values = HashMap::from([("BOT_STORAGE".to_owned(), "memory".to_owned())]);
    let config = BotConfig::new("flagship-app-id", "the-app-pa55word");
    let settings = common::Settings::from_values(values, config).unwrap();
    let app = app::App::build(&settings).await.unwrap();
    // The address `main` binds (not bound here: tests listen on loopback only).
    let bound = settings.address();
    assert_eq!(bound, "0.0.0.0:3978".parse().unwrap());
    let bot: Arc<dyn Bot> = Arc::new(app.bot.clone());
    let direct_line = botbuilder::directline::DirectLine::builder(app.adapter.clone(), bot, bound)
        .build_if_allowed()
        .unwrap();
    let chat = botbuilder::directline::ChatPage::of(direct_line.as_ref());

    let lines = app.banner(&settings).lines(&settings, bound, &chat);
    let text = lines.join("\n");
    let port = bound.port();
    assert_eq!(
        lines[0],
        format!("Proactive job bot listening on http://0.0.0.0:{port}")
    );
    assert!(
        text.contains(&format!(
            "Emulator: open http://localhost:{port}/api/messages with app id flagship-app-id and its password"
        )),
        "{text}"
    );
    assert!(!text.contains("no app id"), "{text}");
    assert!(!text.contains("curl -s"), "{text}");
    assert!(text.contains("need a channel's token"), "{text}");
    assert!(
        text.contains("off (listening beyond loopback: set DirectLineSecret"),
        "{text}"
    );
    assert!(text.contains("Jobs API:"), "{text}");
    assert!(text.contains("Job log:  memory"), "{text}");
    assert!(
        text.contains("Mode:     authenticated as app id flagship-app-id"),
        "{text}"
    );
    assert!(!text.contains("anonymous"), "{text}");
    assert!(!text.contains("pa55word"), "{text}");
}

/// Beyond loopback the flagship refuses to start without a `JOBS_API_KEY` (anyone could list
/// the conversations and complete jobs), and, with no app id, without
/// `AllowAnonymousBeyondLoopback`; its banner says whether the jobs API takes a key.
#[tokio::test]
async fn the_flagship_refuses_to_listen_beyond_loopback_unguarded() {
    let memory = || HashMap::from([("BOT_STORAGE".to_owned(), "memory".to_owned())]);
    let everywhere: std::net::SocketAddr = "0.0.0.0:3978".parse().unwrap();
    let loopback: std::net::SocketAddr = "127.0.0.1:3978".parse().unwrap();

    let config = BotConfig::new("flagship-app-id", "the-app-pa55word");
    let settings = common::Settings::from_values(memory(), config.clone()).unwrap();
    let app = app::App::build(&settings).await.unwrap();
    let error = app.check_listen(everywhere).unwrap_err().to_string();
    assert!(
        error.contains("`JOBS_API_KEY`") && error.contains("beyond loopback"),
        "{error}"
    );
    app.check_listen(loopback).unwrap();
    let banner = app.banner(&settings).lines(
        &settings,
        loopback,
        &botbuilder::directline::ChatPage::Disabled,
    );
    assert!(
        banner.join("\n").contains("no JOBS_API_KEY: loopback only"),
        "{banner:?}"
    );

    let mut keyed = memory();
    keyed.insert("JOBS_API_KEY".to_owned(), "k3y-of-the-jobs-api".to_owned());
    let settings = common::Settings::from_values(keyed.clone(), config).unwrap();
    let app = app::App::build(&settings).await.unwrap();
    app.check_listen(everywhere).unwrap();
    let banner = app
        .banner(&settings)
        .lines(
            &settings,
            everywhere,
            &botbuilder::directline::ChatPage::NeedsSecret,
        )
        .join("\n");
    assert!(
        banner.contains("Authorization: Bearer <JOBS_API_KEY>"),
        "{banner}"
    );
    assert!(!banner.contains("k3y-of-the-jobs-api"), "{banner}");

    // Anonymous, even with a key: refused beyond loopback unless opted in.
    let settings = common::Settings::from_values(keyed.clone(), BotConfig::anonymous()).unwrap();
    let app = app::App::build(&settings).await.unwrap();
    let error = app.check_listen(everywhere).unwrap_err().to_string();
    assert!(
        error.contains("`MicrosoftAppId`") && error.contains("AllowAnonymousBeyondLoopback"),
        "{error}"
    );
    app.check_listen(loopback).unwrap();
    let open = BotConfig::from_map([("AllowAnonymousBeyondLoopback", "true")]).unwrap();
    let settings = common::Settings::from_values(keyed, open).unwrap();
    let app = app::App::build(&settings).await.unwrap();
    app.check_listen(everywhere).unwrap();
}
