//! DeduplicationMiddleware: a redelivered activity runs once, across instances sharing a store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use botbuilder_core::middleware::DeduplicationMiddleware;
use botbuilder_core::schema::{Activity, ChannelId, ConversationAccount};
use botbuilder_core::storage::{MemoryStorage, Storage};
use botbuilder_core::testing::TestAdapter;
use botbuilder_core::{Bot, BotAdapterExt, TurnContext, TurnResult, async_trait};

#[derive(Default)]
struct Counting {
    turns: AtomicUsize,
}

#[async_trait]
impl Bot for Counting {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.turns.fetch_add(1, Ordering::SeqCst);
        match ctx.activity().text() {
            "fail" => return Err("bot failed".into()),
            "panic" => panic!("bot panicked"),
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(())
    }
}

fn delivery(id: &str, text: &str) -> Activity {
    Activity::message(text).with_id(id)
}

#[tokio::test]
async fn a_second_delivery_of_an_activity_does_not_run_the_bot() {
    let storage = MemoryStorage::new();
    let adapter = TestAdapter::new().with_middleware(DeduplicationMiddleware::new(
        storage.clone(),
        Duration::from_secs(300),
    ));
    let bot = Counting::default();
    adapter
        .process_activity(delivery("m-1", "hi"), &bot)
        .await
        .unwrap();
    adapter
        .process_activity(delivery("m-1", "hi"), &bot)
        .await
        .unwrap();
    adapter
        .process_activity(delivery("m-2", "hi"), &bot)
        .await
        .unwrap();
    let other_channel = delivery("m-1", "hi").with_channel_id(ChannelId::Msteams);
    adapter.process_activity(other_channel, &bot).await.unwrap();
    assert_eq!(bot.turns.load(Ordering::SeqCst), 3);
    let conversation = adapter
        .make_activity("x")
        .conversation_id()
        .unwrap()
        .to_owned();
    let key = DeduplicationMiddleware::key_for("test", &conversation, "m-1");
    assert!(storage.keys().contains(&key), "{:?}", storage.keys());
}

#[tokio::test]
async fn the_same_activity_id_in_another_conversation_runs() {
    // Teams' message ids are timestamps, unique only within a conversation.
    let storage = MemoryStorage::new();
    let adapter = TestAdapter::new().with_middleware(DeduplicationMiddleware::new(
        storage.clone(),
        Duration::from_secs(300),
    ));
    let bot = Counting::default();
    for conversation in ["c-1", "c-2", "c-1"] {
        let mut activity = delivery("1700000000000", "hi");
        activity.conversation = Some(ConversationAccount::new(conversation));
        adapter.process_activity(activity, &bot).await.unwrap();
    }
    assert_eq!(bot.turns.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_panicking_turn_releases_its_claim() {
    let storage = MemoryStorage::new();
    let adapter = TestAdapter::new().with_middleware(DeduplicationMiddleware::new(
        storage.clone(),
        Duration::from_secs(300),
    ));
    let bot = Counting::default();
    for _ in 0..2 {
        let error = adapter
            .process_activity(delivery("m-1", "panic"), &bot)
            .await
            .unwrap_err();
        let reported = botbuilder_core::error::report(&error).to_string();
        assert!(reported.contains("panicked"), "{reported}");
    }
    assert_eq!(
        bot.turns.load(Ordering::SeqCst),
        2,
        "the redelivery ran again"
    );
    assert!(storage.is_empty(), "no claim is left for a panicked turn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_to_two_instances_run_once() {
    let storage = MemoryStorage::new();
    let bot = Arc::new(Counting::default());
    let mut tasks = Vec::new();
    for _ in 0..10 {
        // Each "instance" has its own adapter and middleware, sharing the store.
        let adapter = TestAdapter::new()
            .with_turn_ordering(false)
            .with_middleware(DeduplicationMiddleware::new(
                storage.clone(),
                Duration::from_secs(300),
            ));
        let bot = bot.clone();
        tasks.push(tokio::spawn(async move {
            adapter
                .process_activity(delivery("same", "hi"), bot.as_ref())
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(bot.turns.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failed_turn_releases_its_claim() {
    let storage = MemoryStorage::new();
    let adapter = TestAdapter::new().with_middleware(DeduplicationMiddleware::new(
        storage.clone(),
        Duration::from_secs(300),
    ));
    let bot = Counting::default();
    assert!(
        adapter
            .process_activity(delivery("m-1", "fail"), &bot)
            .await
            .is_err()
    );
    assert!(
        adapter
            .process_activity(delivery("m-1", "fail"), &bot)
            .await
            .is_err()
    );
    assert_eq!(
        bot.turns.load(Ordering::SeqCst),
        2,
        "the redelivery ran again"
    );
    assert!(storage.is_empty(), "no claim is left for a failed turn");
}

#[tokio::test]
async fn claims_expire_after_the_window_and_are_cleaned_up() {
    let storage = MemoryStorage::new();
    let now = Arc::new(AtomicU64::new(1_000_000));
    let clock = now.clone();
    let middleware = DeduplicationMiddleware::new(storage.clone(), Duration::from_secs(60))
        .with_clock(move || UNIX_EPOCH + Duration::from_millis(clock.load(Ordering::SeqCst)));
    let adapter = TestAdapter::new().with_middleware(middleware);
    let bot = Counting::default();
    adapter
        .process_activity(delivery("old", "hi"), &bot)
        .await
        .unwrap();
    now.fetch_add(59_000, Ordering::SeqCst);
    adapter
        .process_activity(delivery("old", "hi"), &bot)
        .await
        .unwrap();
    assert_eq!(
        bot.turns.load(Ordering::SeqCst),
        1,
        "still inside the window"
    );
    now.fetch_add(2_000, Ordering::SeqCst);
    adapter
        .process_activity(delivery("old", "hi"), &bot)
        .await
        .unwrap();
    assert_eq!(
        bot.turns.load(Ordering::SeqCst),
        2,
        "after the window it runs again"
    );
    now.fetch_add(61_000, Ordering::SeqCst);
    adapter
        .process_activity(delivery("new", "hi"), &bot)
        .await
        .unwrap();
    let keys = storage.keys();
    assert!(
        !keys.iter().any(|k| k.ends_with("/old")),
        "expired claim deleted: {keys:?}"
    );
    assert!(keys.iter().any(|k| k.ends_with("/new")));
}

#[tokio::test]
async fn proactive_turns_and_activities_without_ids_always_run() {
    let storage = MemoryStorage::new();
    let adapter = TestAdapter::new().with_middleware(DeduplicationMiddleware::new(
        storage.clone(),
        Duration::from_secs(300),
    ));
    let reference = adapter.make_activity("x").conversation_reference();
    for _ in 0..2 {
        adapter
            .continue_conversation(reference.clone(), async move |ctx| {
                ctx.send_activity("p").await?;
                Ok(())
            })
            .await
            .unwrap();
    }
    assert_eq!(adapter.sent_activities().len(), 2);
    let _ = storage.read(&["x"]).await.unwrap();
    assert!(storage.is_empty());
}
