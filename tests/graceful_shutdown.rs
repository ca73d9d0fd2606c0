//! Graceful shutdown of the flagship (`examples/proactive`), in process over HTTP: a `run`
//! whose turn is in flight when the shutdown signal comes still gets its answer (200, with
//! the acknowledgement), the server stops accepting connections at once, and the job the user
//! was told about is in the SQLite store after the server stopped.

#![allow(clippy::unwrap_used, dead_code)]

#[path = "../examples/proactive/app.rs"]
mod app;
#[path = "../examples/proactive/bot.rs"]
mod bot;
#[path = "../examples/common/mod.rs"]
mod common;
use botbuilder_test_support as support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use botbuilder::prelude::*;
use serde_json::{Value, json};
use support::Mock;
use tokio::sync::{Notify, oneshot};

/// Holds `run` turns until released: the shutdown signal comes while one is in flight.
#[derive(Default)]
struct Gate {
    started: Notify,
    release: Notify,
}

struct HoldRuns(Arc<Gate>);

#[async_trait]
impl Middleware for HoldRuns {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        if ctx.activity().text() == "run" {
            let released = self.0.release.notified();
            self.0.started.notify_one();
            released.await;
        }
        next.run(ctx).await
    }
}

fn temp_db() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "botbuilder-shutdown-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite:{}", dir.join("jobs.db").display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_acknowledged_before_shutdown_is_in_the_store_after_it() {
    let channel = Mock::connector().await;
    let storage_url = temp_db();
    let values = HashMap::from([("BOT_STORAGE".to_owned(), storage_url.clone())]);
    let settings = common::Settings::from_values(values, BotConfig::anonymous()).unwrap();
    let mut app = app::App::build(&settings).await.unwrap();
    let gate = Arc::new(Gate::default());
    app.adapter = app.adapter.with_middleware(HoldRuns(gate.clone()));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(botbuilder::hosting::serve_with_shutdown(
        listener,
        app.router(),
        async move {
            let _ = stopped.await;
        },
    ));

    // `run`, with the replies in the HTTP answer (expectReplies): the acknowledgement the
    // user sees is what the HTTP caller gets back.
    let run = json!({
        "type": "message", "id": "m-1", "text": "run", "channelId": "emulator",
        "serviceUrl": channel.url(), "conversation": {"id": "conversation-A"},
        "from": {"id": "alice"}, "recipient": {"id": "job-bot"},
        "deliveryMode": "expectReplies",
    });
    let http = reqwest::Client::new();
    let in_flight = tokio::spawn({
        let request = http.post(format!("http://{addr}/api/messages")).json(&run);
        async move { request.send().await }
    });
    gate.started.notified().await;

    // SIGTERM (here: the shutdown future completes) while the turn is in flight.
    stop.send(()).unwrap();
    let mut refused = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        refused,
        "the server stops accepting connections on shutdown"
    );
    assert!(!server.is_finished(), "it waits for the turn in flight");

    gate.release.notify_one();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let acknowledgement = body["activities"][0]["text"].as_str().unwrap().to_owned();
    assert!(
        acknowledgement.starts_with("Job ") && acknowledgement.contains("started"),
        "{acknowledgement}"
    );
    let number: u64 = acknowledgement
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops once the turn is done")
        .unwrap()
        .unwrap();
    drop(app);

    // The job is in the store, as a new process would find it.
    let store = botbuilder::storage::open(&storage_url).await.unwrap();
    let jobs = bot::JobBot::new(store).jobs().await.unwrap();
    let job = jobs.get(&number).expect("the acknowledged job was saved");
    assert!(!job.completed);
    assert_eq!(job.conversation.conversation_id(), Some("conversation-A"));
}
