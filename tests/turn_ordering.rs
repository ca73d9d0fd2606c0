//! Turn ordering across instances, over real loopback HTTP: three OS processes serving the
//! flagship (this test binary, started three times, each serving the example's `App` with
//! `TURN_ORDERING=distributed`) share one Redis, or one PostgreSQL. 200 `run`s in ONE
//! conversation, spread over the three at once: every turn succeeds and the conversation's
//! own count (`JobsStarted`, conversation state read and saved in each turn, which
//! overlapping turns would break with eTag conflicts) ends at 200. Then again with one
//! instance killed mid-way: nothing an instance acknowledged (HTTP 200) is lost, and the
//! surviving instances fail no turn (they wait out the dead one's lease).
//!
//! The servers come from `BOTBUILDER_TEST_REDIS_URL` / `BOTBUILDER_TEST_POSTGRES_URL`
//! (`.ci/run` starts them); without them the tests say they were skipped.

#![allow(clippy::unwrap_used, clippy::print_stdout, dead_code)]

#[path = "../examples/proactive/app.rs"]
mod app;
#[path = "../examples/proactive/bot.rs"]
mod bot;
#[path = "../examples/common/mod.rs"]
mod common;
use botbuilder_test_support as support;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use botbuilder::core::testing::server_url;
use botbuilder::prelude::*;
use serde_json::{Value, json};
use support::Mock;

const MESSAGES: usize = 200;
const INSTANCES: usize = 3;

/// Set in the server processes: the port to serve on, and the store they share.
const CHILD_PORT: &str = "TURN_ORDERING_SERVE_PORT";
const CHILD_STORAGE: &str = "TURN_ORDERING_SERVE_STORAGE";

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}_{}_{nanos:x}", std::process::id())
}

/// A free loopback port (bound, then released for the child to bind).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process, killed when dropped.
struct Process(Child);

impl Process {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// In a server process: serves the flagship as `main.rs` builds it, with distributed turn
/// ordering from its settings, until the parent kills the process.
async fn serve_as_child(port: String) {
    let values = HashMap::from([
        (
            "BOT_STORAGE".to_owned(),
            std::env::var(CHILD_STORAGE).unwrap(),
        ),
        ("PORT".to_owned(), port),
        ("TURN_ORDERING".to_owned(), "distributed".to_owned()),
    ]);
    let settings = common::Settings::from_values(values, BotConfig::anonymous()).unwrap();
    let app = app::App::build(&settings).await.unwrap();
    assert!(app.adapter.pipeline().turn_leases().is_some());
    let listener = tokio::net::TcpListener::bind(settings.address())
        .await
        .unwrap();
    botbuilder::hosting::serve_with_shutdown(listener, app.router(), std::future::pending())
        .await
        .unwrap();
}

/// Starts the instances: this binary, running `test` (which serves when `CHILD_PORT` is
/// set), on loopback ports of their own.
async fn start_instances(test: &str, storage_url: &str) -> (Vec<Process>, Vec<String>) {
    let exe = std::env::current_exe().unwrap();
    let mut processes = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..INSTANCES {
        let port = free_port();
        let child = Command::new(&exe)
            .args([test, "--exact", "--nocapture", "--test-threads", "1"])
            .env(CHILD_PORT, port.to_string())
            .env(CHILD_STORAGE, storage_url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        processes.push(Process(child));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    for (base, process) in bases.iter().zip(processes.iter_mut()) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(format!("{base}/api/jobs")).await
                && response.status().is_success()
            {
                break;
            }
            if let Some(status) = process.0.try_wait().unwrap() {
                panic!("the server at {base} exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the server at {base} never started"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    (processes, bases)
}

fn run_message(conversation: &str, n: usize, channel: &Mock) -> Value {
    json!({
        "type": "message",
        "id": format!("m-{n}"),
        "text": "run",
        "channelId": "emulator",
        "serviceUrl": channel.url(),
        "conversation": {"id": conversation},
        "from": {"id": "user-1"},
        "recipient": {"id": "job-bot"},
    })
}

/// What the store holds for `conversation` once the instances are done: its count, and the
/// ids of the activities whose job is in the log.
async fn stored(storage_url: &str, conversation: &str) -> (u64, HashSet<String>) {
    let store = botbuilder::storage::open(storage_url).await.unwrap();
    let key = format!("emulator/conversations/{conversation}");
    let state = store.read(&[&key]).await.unwrap();
    let count = state
        .get(&key)
        .and_then(|doc| doc[bot::JOBS_STARTED_PROPERTY].as_u64())
        .unwrap_or(0);
    let jobs = bot::JobBot::new(store).jobs().await.unwrap();
    let ids = jobs
        .values()
        .filter(|job| job.conversation.conversation_id() == Some(conversation))
        .map(|job| job.conversation.activity_id.clone().unwrap())
        .collect();
    (count, ids)
}

/// Both scenarios against the store at `storage_url`.
async fn three_instances_one_conversation(test: &str, storage_url: &str) {
    let channel = Mock::connector().await;
    let (mut processes, bases) = start_instances(test, storage_url).await;
    // A connection per request: a kept-alive one the server closed meanwhile would fail a
    // POST that was never sent.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();

    // 1. 200 messages to one conversation, spread over the three at once.
    let conversation = unique("ordered");
    let started = Instant::now();
    let posts = (0..MESSAGES).map(|n| {
        let request = http
            .post(format!("{}/api/messages", bases[n % INSTANCES]))
            .json(&run_message(&conversation, n, &channel));
        async move { request.send().await.map_or(0, |r| r.status().as_u16()) }
    });
    let statuses = futures::future::join_all(posts).await;
    let elapsed = started.elapsed();
    println!("{MESSAGES} turns of one conversation across {INSTANCES} instances: {elapsed:?}");
    let failed: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        failed.is_empty(),
        "{} turns failed: {failed:?}",
        failed.len()
    );
    let replies: Vec<Value> = channel.requests().iter().map(|r| r.json()).collect();
    let errors: Vec<_> = replies
        .iter()
        .filter(|r| !r["text"].as_str().unwrap_or("").contains("started"))
        .collect();
    assert!(errors.is_empty(), "error replies: {errors:?}");
    assert_eq!(replies.len(), MESSAGES, "one reply per message");
    let (count, ids) = stored(storage_url, &conversation).await;
    assert_eq!(
        count, MESSAGES as u64,
        "the conversation's count lost updates"
    );
    assert_eq!(ids.len(), MESSAGES, "every job is in the log");

    // 2. Again in another conversation, with the third instance killed mid-way.
    let conversation = unique("killed");
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..MESSAGES {
        let request = http
            .post(format!("{}/api/messages", bases[n % INSTANCES]))
            .json(&run_message(&conversation, n, &channel));
        let acknowledged = acknowledged.clone();
        tasks.spawn(async move {
            let status = match request.send().await {
                Ok(response) => response.status().as_u16(),
                Err(error) => {
                    if n % INSTANCES != INSTANCES - 1 {
                        eprintln!("m-{n}: {error:?}");
                    }
                    0
                }
            };
            if status == 200 || status == 202 {
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
            (n, status)
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.load(Ordering::SeqCst) < MESSAGES / 3 {
        assert!(Instant::now() < deadline, "the turns never got going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    processes[INSTANCES - 1].kill();
    let killed_at = acknowledged.load(Ordering::SeqCst);
    let mut results = Vec::new();
    while let Some(result) = tasks.join_next().await {
        results.push(result.unwrap());
    }
    let acked: HashSet<String> = results
        .iter()
        .filter(|(_, status)| *status == 200 || *status == 202)
        .map(|(n, _)| format!("m-{n}"))
        .collect();
    let survivors_failed: Vec<_> = results
        .iter()
        .filter(|(n, status)| n % INSTANCES != INSTANCES - 1 && *status != 200)
        .collect();
    assert!(
        survivors_failed.is_empty(),
        "the surviving instances failed turns: {survivors_failed:?}"
    );
    let killed_failed: Vec<_> = results
        .iter()
        .filter(|(_, status)| ![0, 200].contains(status))
        .collect();
    assert!(killed_failed.is_empty(), "turns failed: {killed_failed:?}");
    let (count, ids) = stored(storage_url, &conversation).await;
    println!(
        "killed one instance after {killed_at} acknowledged turns: {} acknowledged, {count} counted, {} jobs",
        acked.len(),
        ids.len()
    );
    let lost: Vec<_> = acked.difference(&ids).collect();
    assert!(lost.is_empty(), "acknowledged messages lost: {lost:?}");
    assert!(
        count >= acked.len() as u64,
        "the count ({count}) lost acknowledged turns ({})",
        acked.len()
    );
    // A turn cut short by the kill may have logged its job before saving the count.
    assert!(
        count <= ids.len() as u64,
        "counted {count}, logged {}",
        ids.len()
    );
    assert!(
        acked.len() >= MESSAGES * (INSTANCES - 1) / INSTANCES,
        "every message to a surviving instance is acknowledged"
    );
}

#[tokio::test]
async fn the_setting_needs_a_shared_store_and_a_known_value() {
    let settings = |ordering: &str| {
        let values = HashMap::from([
            ("BOT_STORAGE".to_owned(), "memory".to_owned()),
            ("TURN_ORDERING".to_owned(), ordering.to_owned()),
        ]);
        common::Settings::from_values(values, BotConfig::anonymous()).unwrap()
    };
    let app = app::App::build(&settings("in-process")).await.unwrap();
    assert!(app.adapter.pipeline().turn_leases().is_none());
    assert!(app.adapter.conversation_locks().is_some());
    let error = app::App::build(&settings("distributed"))
        .await
        .err()
        .unwrap();
    assert!(
        error
            .to_string()
            .contains("needs a store every instance shares"),
        "{error}"
    );
    let error = app::App::build(&settings("sometimes")).await.err().unwrap();
    assert!(error.to_string().contains("`sometimes` is not"), "{error}");
}

const REDIS_TEST: &str = "redis_three_instances_order_one_conversations_turns";
const POSTGRES_TEST: &str = "postgres_three_instances_order_one_conversations_turns";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_three_instances_order_one_conversations_turns() {
    if let Ok(port) = std::env::var(CHILD_PORT) {
        serve_as_child(port).await;
        return;
    }
    let Some(url) = server_url("BOTBUILDER_TEST_REDIS_URL", REDIS_TEST) else {
        return;
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}prefix={}%3A", unique("turn-ordering"));
    three_instances_one_conversation(REDIS_TEST, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_three_instances_order_one_conversations_turns() {
    if let Ok(port) = std::env::var(CHILD_PORT) {
        serve_as_child(port).await;
        return;
    }
    let Some(url) = server_url("BOTBUILDER_TEST_POSTGRES_URL", POSTGRES_TEST) else {
        return;
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}table={}", unique("turn_ordering"));
    three_instances_one_conversation(POSTGRES_TEST, &url).await;
}
