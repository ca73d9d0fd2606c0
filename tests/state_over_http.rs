//! State through the HTTP adapter: concurrent requests in one conversation lose no update
//! (per-conversation turn ordering, on by default), and with ordering off the eTag turns the
//! race into errors, never into a silent overwrite.

#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::Arc;

use botbuilder::core::state::{AutoSaveStateMiddleware, ConversationState, StatePropertyAccessor};
use botbuilder::core::storage::MemoryStorage;
use botbuilder::prelude::*;
use serde_json::json;
use support::Mock;

struct Counter {
    count: StatePropertyAccessor<u32>,
}

#[async_trait]
impl ActivityHandler for Counter {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let n = self
            .count
            .update(ctx, |n| {
                *n += 1;
                *n
            })
            .await?;
        // Give other requests a chance to interleave with this read-modify-write.
        tokio::task::yield_now().await;
        ctx.send_activity(format!("{n}")).await?;
        Ok(())
    }
}

async fn hammer(ordered: bool, requests: usize) -> (Vec<u16>, u32, Mock) {
    let connector = Mock::connector().await;
    let storage = MemoryStorage::new();
    let conversation = ConversationState::new(storage.clone());
    let bot = Arc::new(Counter {
        count: conversation.create_property("count"),
    });
    let adapter = CloudAdapter::builder(BotConfig::anonymous())
        .turn_ordering(ordered)
        .build()
        .unwrap()
        .with_middleware(AutoSaveStateMiddleware::default().with(conversation.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/messages", listener.local_addr().unwrap());
    let router = botbuilder::hosting::router(adapter, bot);
    tokio::spawn(botbuilder::hosting::serve_with_shutdown(
        listener,
        router,
        std::future::pending::<()>(),
    ));
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..requests {
        let http = http.clone();
        let url = url.clone();
        let body = json!({
            "type": "message", "id": format!("m{i}"), "text": "+1",
            "channelId": "webchat", "serviceUrl": connector.url(),
            "conversation": {"id": "one-conversation"},
            "from": {"id": "user"}, "recipient": {"id": "bot"},
        });
        tasks.push(tokio::spawn(async move {
            http.post(&url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let document = storage_count(&storage).await;
    (statuses, document, connector)
}

async fn storage_count(storage: &MemoryStorage) -> u32 {
    use botbuilder::core::storage::Storage;
    let key = "webchat/conversations/one-conversation";
    let items = storage.read(&[key]).await.unwrap();
    items
        .get(key)
        .and_then(|d| d.get("count"))
        .and_then(serde_json::Value::as_u64)
        .map(|n| u32::try_from(n).unwrap())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_in_one_conversation_count_every_one() {
    let (statuses, count, connector) = hammer(true, 100).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(count, 100);
    let mut replies: Vec<u32> = connector
        .requests()
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap().parse().unwrap())
        .collect();
    replies.sort_unstable();
    assert_eq!(
        replies,
        (1..=100).collect::<Vec<u32>>(),
        "each turn saw the previous one's count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_ordering_a_race_is_an_error_not_a_lost_update() {
    let (statuses, count, _connector) = hammer(false, 100).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let failed = statuses.iter().filter(|s| **s == 500).count();
    assert_eq!(ok + failed, 100, "{statuses:?}");
    // Every successful turn's increment is in the store: none was overwritten.
    assert_eq!(usize::try_from(count).unwrap(), ok);
}
