//! The flagship end to end, over HTTP: the proactive job bot served on a loopback port, two
//! mock channels (one per conversation, each with its own service URL) capturing what the bot
//! sends, a job started in one window and completed from the other, the jobs HTTP API, and a
//! restart on the same store completing a job started before it.
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
#[path = "../crates/botbuilder-connector/tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use botbuilder::core::testing::server_url;
use botbuilder::prelude::*;
use serde_json::{Value, json};
use support::{Mock, Recorded};
use tokio::sync::oneshot;

/// One running instance of the example's server.
struct Server {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(storage_url: &str, jobs_api_key: Option<&str>) -> Self {
        let mut values = HashMap::from([("BOT_STORAGE".to_owned(), storage_url.to_owned())]);
        if let Some(key) = jobs_api_key {
            values.insert("JOBS_API_KEY".to_owned(), key.to_owned());
        }
        let settings = common::Settings::from_values(values, BotConfig::anonymous()).unwrap();
        let app = app::App::build(&settings).await.unwrap();
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
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap();
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
    let a = Window {
        http: http.clone(),
        server: &server,
        channel: &channel_a,
        conversation: "conversation-A",
        user: "alice",
        next_id: Default::default(),
    };
    let b = Window {
        http: http.clone(),
        server: &server,
        channel: &channel_b,
        conversation: "conversation-B",
        user: "bob",
        next_id: Default::default(),
    };

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
