//! The flagship under contention, over real loopback HTTP on SQLite: 500 users typing `run`
//! at the same moment, in 500 conversations, against one server process, and against three
//! server processes sharing one SQLite file (this test binary, started three times, serves
//! the example's `App` in each). Every job is recorded and every user gets the
//! "started" reply: no HTTP 500, no error message (the job log is a
//! `botbuilder::core::storage::SharedDocument`: writers in one process take turns, writers in
//! several processes back off and retry).

#![allow(clippy::unwrap_used, clippy::print_stdout, dead_code)]

#[path = "../examples/proactive/app.rs"]
mod app;
#[path = "../examples/proactive/bot.rs"]
mod bot;
#[path = "../examples/common/mod.rs"]
mod common;
use botbuilder_test_support as support;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use botbuilder::prelude::*;
use serde_json::{Value, json};
use support::Mock;

const USERS: usize = 500;

fn temp_db(name: &str) -> (PathBuf, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("botbuilder-load-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join(name).display());
    (dir, url)
}

fn run_message(conversation: usize, channel: &Mock) -> Value {
    json!({
        "type": "message",
        "id": format!("m-{conversation}"),
        "text": "run",
        "channelId": "emulator",
        "serviceUrl": channel.url(),
        "conversation": {"id": format!("conversation-{conversation}")},
        "from": {"id": format!("user-{conversation}")},
        "recipient": {"id": "job-bot"},
    })
}

/// Posts `run` in `USERS` conversations at once, spread over `servers`; returns the HTTP
/// statuses.
async fn everyone_runs(servers: &[String], channel: &Mock) -> Vec<u16> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let posts = (0..USERS).map(|i| {
        let url = format!("{}/api/messages", servers[i % servers.len()]);
        let request = http.post(url).json(&run_message(i, channel));
        async move { request.send().await.map_or(0, |r| r.status().as_u16()) }
    });
    futures::future::join_all(posts).await
}

/// Checks the statuses, the replies the channel got, and the job log.
async fn assert_every_job_recorded(statuses: &[u16], channel: &Mock, server: &str) {
    let failed: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        failed.is_empty(),
        "{} requests failed: {failed:?}",
        failed.len()
    );

    let replies: Vec<Value> = channel.requests().iter().map(|r| r.json()).collect();
    let errors: Vec<_> = replies
        .iter()
        .filter(|r| !r["text"].as_str().unwrap_or("").contains("started"))
        .collect();
    assert!(errors.is_empty(), "error replies: {errors:?}");
    let answered: HashSet<_> = replies
        .iter()
        .map(|r| r["conversation"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(answered.len(), USERS, "every conversation got its reply");

    let list: Value = reqwest::get(format!("{server}/api/jobs"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jobs = list["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), USERS, "every job is in the log");
    let conversations: HashSet<_> = jobs
        .iter()
        .map(|j| j["conversationId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(conversations.len(), USERS, "one job per conversation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_runs_in_one_process_lose_no_job() {
    let channel = Mock::connector().await;
    let (dir, storage_url) = temp_db("jobs.db");
    let values = HashMap::from([("BOT_STORAGE".to_owned(), storage_url)]);
    let settings = common::Settings::from_values(values, BotConfig::anonymous()).unwrap();
    let app = app::App::build(&settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        botbuilder::hosting::serve_with_shutdown(listener, app.router(), std::future::pending())
            .await
            .unwrap();
    });

    let started = Instant::now();
    let statuses = everyone_runs(std::slice::from_ref(&base), &channel).await;
    println!("{USERS} runs in one process: {:?}", started.elapsed());
    assert_every_job_recorded(&statuses, &channel, &base).await;
    server.abort();
    let _ = std::fs::remove_dir_all(dir);
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

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_until_serving(base: &str, process: &mut Process) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(response) = reqwest::get(format!("{base}/api/jobs")).await
            && response.status().is_success()
        {
            return;
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

/// Set in the three server processes the three-process test starts: the port to serve on.
const CHILD_PORT: &str = "PROACTIVE_LOAD_SERVE_PORT";
/// ... and the store they share.
const CHILD_STORAGE: &str = "PROACTIVE_LOAD_SERVE_STORAGE";

/// The name of the three-process test, which its server processes run too.
const THREE_PROCESSES: &str = "five_hundred_concurrent_runs_across_three_processes_lose_no_job";

/// In a server process: serves the flagship (the example's `App`, as `main.rs` builds it)
/// on the port the parent chose, until the parent kills the process.
async fn serve_as_child(port: String) {
    let values = HashMap::from([
        (
            "BOT_STORAGE".to_owned(),
            std::env::var(CHILD_STORAGE).unwrap(),
        ),
        ("PORT".to_owned(), port),
    ]);
    let settings = common::Settings::from_values(values, BotConfig::anonymous()).unwrap();
    let app = app::App::build(&settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind(settings.address())
        .await
        .unwrap();
    botbuilder::hosting::serve_with_shutdown(listener, app.router(), std::future::pending())
        .await
        .unwrap();
}

/// Three OS processes (this test binary started three times, each serving the flagship on
/// its own loopback port) share one SQLite file; the users' `run`s are spread over them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_runs_across_three_processes_lose_no_job() {
    if let Ok(port) = std::env::var(CHILD_PORT) {
        serve_as_child(port).await;
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let channel = Mock::connector().await;
    let (dir, storage_url) = temp_db("shared.db");
    let mut processes = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..3 {
        let port = free_port();
        let child = Command::new(&exe)
            .args([
                THREE_PROCESSES,
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_PORT, port.to_string())
            .env(CHILD_STORAGE, &storage_url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        processes.push(Process(child));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    for (base, process) in bases.iter().zip(processes.iter_mut()) {
        wait_until_serving(base, process).await;
    }

    let started = Instant::now();
    let statuses = everyone_runs(&bases, &channel).await;
    println!(
        "{USERS} runs across three processes: {:?}",
        started.elapsed()
    );
    assert_every_job_recorded(&statuses, &channel, &bases[0]).await;
    drop(processes);
    let _ = std::fs::remove_dir_all(dir);
}
