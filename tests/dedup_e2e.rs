//! Duplicate deliveries across instances, over HTTP: two bot instances (two `CloudAdapter`s,
//! two servers) share one store and use `DeduplicationMiddleware`. The channel posts an
//! activity to the first instance, whose turn is slow; it gives up waiting and hangs up (as
//! Teams does after about 15 s) and redelivers the activity to the second instance. The bot
//! runs once, replies once, and a later redelivery is skipped too.
//!
//! Runs on SQLite always, and on Redis when `BOTBUILDER_TEST_REDIS_URL` is set (required when
//! `BOTBUILDER_REQUIRE_SERVERS=1`, as `.ci/run` sets it).

#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use botbuilder::core::middleware::DeduplicationMiddleware;
#[cfg(feature = "redis")]
use botbuilder::core::testing::server_url;
use botbuilder::prelude::*;
use serde_json::{Value, json};
use support::Mock;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

/// Replies `done: <text>`; a turn for `slow` waits until released. Counts turns across both
/// instances.
#[derive(Default)]
struct SlowBot {
    turns: AtomicUsize,
    started: Notify,
    release: Notify,
}

#[async_trait]
impl Bot for SlowBot {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.turns.fetch_add(1, Ordering::SeqCst);
        let text = ctx.activity().text().to_owned();
        if text == "slow" {
            let released = self.release.notified();
            self.started.notify_one();
            released.await;
        }
        ctx.send_activity(format!("done: {text}")).await?;
        Ok(())
    }
}

/// One bot instance: its own store handle, adapter and server.
async fn instance(storage_url: &str, bot: Arc<SlowBot>) -> SocketAddr {
    let store = botbuilder::storage::open(storage_url).await.unwrap();
    let adapter = CloudAdapter::new(&BotConfig::anonymous())
        .unwrap()
        .with_middleware(DeduplicationMiddleware::new(
            store,
            Duration::from_secs(300),
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let bot: Arc<dyn Bot> = bot;
    tokio::spawn(botbuilder::hosting::serve_with_shutdown(
        listener,
        botbuilder::hosting::router(adapter, bot),
        std::future::pending::<()>(),
    ));
    addr
}

fn activity(channel: &Mock, id: &str, text: &str) -> Value {
    json!({
        "type": "message", "id": id, "text": text, "channelId": "msteams",
        "serviceUrl": channel.url(), "conversation": {"id": "19:meeting@thread.v2"},
        "from": {"id": "29:alice"}, "recipient": {"id": "28:bot"},
    })
}

async fn post(http: &reqwest::Client, addr: SocketAddr, activity: &Value) -> u16 {
    http.post(format!("http://{addr}/api/messages"))
        .json(activity)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn replies(channel: &Mock) -> Vec<String> {
    channel
        .requests()
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn a_redelivery_to_another_instance_runs_once(storage_url: &str) {
    let channel = Mock::connector().await;
    let bot = Arc::new(SlowBot::default());
    let first = instance(storage_url, bot.clone()).await;
    let second = instance(storage_url, bot.clone()).await;
    let http = reqwest::Client::new();
    let id = format!("1700000000000-{}", std::process::id());
    let slow = activity(&channel, &id, "slow");

    // The channel posts to the first instance and hangs up while the turn is still running.
    let body = serde_json::to_vec(&slow).unwrap();
    let mut client = tokio::net::TcpStream::connect(first).await.unwrap();
    let head = format!(
        "POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).await.unwrap();
    client.write_all(&body).await.unwrap();
    bot.started.notified().await;
    drop(client);

    // It redelivers to the second instance: answered at once, without a turn.
    assert_eq!(post(&http, second, &slow).await, 200);
    assert_eq!(bot.turns.load(Ordering::SeqCst), 1);

    // The first turn finishes (nobody waits for it any more) and replies, once.
    bot.release.notify_one();
    for _ in 0..500 {
        if !channel.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(replies(&channel), vec!["done: slow".to_owned()]);

    // A late redelivery, to either instance, is skipped as well; other activities run.
    assert_eq!(post(&http, first, &slow).await, 200);
    assert_eq!(post(&http, second, &slow).await, 200);
    assert_eq!(bot.turns.load(Ordering::SeqCst), 1);
    let next = activity(&channel, &format!("{id}-next"), "next");
    assert_eq!(post(&http, second, &next).await, 200);
    assert_eq!(post(&http, first, &next).await, 200);
    assert_eq!(bot.turns.load(Ordering::SeqCst), 2);
    assert_eq!(
        replies(&channel),
        vec!["done: slow".to_owned(), "done: next".to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("botbuilder-dedup-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    a_redelivery_to_another_instance_runs_once(&format!("sqlite:{}", dir.join("bot.db").display()))
        .await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis() {
    let Some(url) = server_url("BOTBUILDER_TEST_REDIS_URL", "dedup_e2e::on_redis") else {
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let prefix = format!("dedup-e2e-{}-{nanos}:", std::process::id());
    let separator = if url.contains('?') { '&' } else { '?' };
    a_redelivery_to_another_instance_runs_once(&format!("{url}{separator}prefix={prefix}&ttl=600"))
        .await;
}
