//! State under concurrent turns: 200 turns in one conversation, each incrementing a counter,
//! end with the counter at 200. With BotBuilder's last-writer-wins saves the same turns lose
//! updates silently; with eTags but no ordering they fail loudly instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::schema::{Activity, ConversationAccount};
use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState, StatePropertyAccessor};
use botbuilder_core::storage::{ETAG_ANY, ETAG_FIELD, ETags, MemoryStorage, Storage, StoreItems};
use botbuilder_core::testing::TestAdapter;
use botbuilder_core::{Bot, BotAdapterExt, Error, bot_fn, turn_error_handler};
use serde_json::json;
use tokio::sync::Barrier;

const TURNS: usize = 200;
const KEY: &str = "test/conversations/convo1";

/// Passes calls on to a `MemoryStorage`, counting writes, and stretches the window between
/// a turn's read and its write: after each read it yields, or, with a barrier, waits until
/// every turn has read.
#[derive(Clone)]
struct Racy {
    inner: MemoryStorage,
    after_read: AfterRead,
    writes: Arc<AtomicUsize>,
    /// Makes every save unconditional, as BotBuilder's `BotState` does (`eTag: "*"`).
    last_writer_wins: bool,
}

#[derive(Clone)]
enum AfterRead {
    Yield,
    Barrier(Arc<Barrier>),
}

impl Racy {
    fn new(after_read: AfterRead, last_writer_wins: bool) -> Self {
        Self {
            inner: MemoryStorage::new(),
            after_read,
            writes: Arc::new(AtomicUsize::new(0)),
            last_writer_wins,
        }
    }

    async fn count(&self) -> serde_json::Value {
        let mut read = self.inner.read(&[KEY]).await.expect("reading the counter");
        read.remove(KEY)
            .map(|doc| doc["count"].clone())
            .unwrap_or_default()
    }
}

#[async_trait]
impl Storage for Racy {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        let read = self.inner.read(keys).await;
        match &self.after_read {
            AfterRead::Yield => {
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
            }
            AfterRead::Barrier(barrier) => {
                barrier.wait().await;
            }
        }
        read
    }

    async fn write(&self, mut changes: StoreItems) -> Result<ETags, Error> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if self.last_writer_wins {
            for doc in changes.values_mut() {
                doc[ETAG_FIELD] = json!(ETAG_ANY);
            }
        }
        self.inner.write(changes).await
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        self.inner.delete(keys).await
    }
}

/// A bot whose every turn adds one to the conversation's `count`, saved by auto-save.
fn counting(storage: Racy, ordered: bool) -> (TestAdapter, Arc<dyn Bot>) {
    let state = ConversationState::new(storage);
    let count: StatePropertyAccessor<u64> = state.create_property("count");
    let adapter = TestAdapter::new()
        .with_turn_ordering(ordered)
        .with_middleware(AutoSaveStateMiddleware::default().with(state))
        // Keep failed turns quiet; the test looks at what process_activity returns.
        .with_on_turn_error(turn_error_handler(async |_, _| {}));
    let bot = bot_fn(async move |ctx| {
        let n = count
            .update(ctx, |n| {
                *n += 1;
                *n
            })
            .await?;
        ctx.send_activity(format!("{n}")).await?;
        Ok(())
    });
    (adapter, Arc::new(bot))
}

/// Starts `TURNS` turns at once, each its own task, and waits for all.
async fn concurrent_turns(
    adapter: &TestAdapter,
    bot: &Arc<dyn Bot>,
    conversations: usize,
) -> Vec<Result<(), Error>> {
    let tasks: Vec<_> = (0..TURNS)
        .map(|i| {
            let (adapter, bot) = (adapter.clone(), bot.clone());
            tokio::spawn(async move {
                let mut activity = Activity::message(format!("turn {i}"));
                if conversations > 1 {
                    activity.conversation =
                        Some(ConversationAccount::new(format!("c{}", i % conversations)));
                }
                adapter.process_activity(activity, &*bot).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(TURNS);
    for task in tasks {
        results.push(task.await.expect("a turn task panicked"));
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ordered_turns_lose_no_update() {
    let storage = Racy::new(AfterRead::Yield, false);
    let (adapter, bot) = counting(storage.clone(), true);
    let results = concurrent_turns(&adapter, &bot, 1).await;

    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} turns failed; the first: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(storage.count().await, json!(TURNS));
    assert_eq!(storage.writes.load(Ordering::SeqCst), TURNS);
    // Every turn saw the count its predecessor saved: the replies are 1..=200, in order.
    let replies: Vec<String> = adapter
        .sent_activities()
        .iter()
        .map(|a| a.text().to_owned())
        .collect();
    let expected: Vec<String> = (1..=TURNS).map(|n| n.to_string()).collect();
    assert_eq!(replies, expected);
    // Nothing is kept for conversations with no turn running.
    assert_eq!(adapter.conversation_locks().map(|l| l.len()), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ordered_turns_of_many_conversations_lose_no_update() {
    const CONVERSATIONS: usize = 8;
    let storage = Racy::new(AfterRead::Yield, false);
    let (adapter, bot) = counting(storage.clone(), true);
    let results = concurrent_turns(&adapter, &bot, CONVERSATIONS).await;
    assert!(results.iter().all(Result::is_ok));
    for c in 0..CONVERSATIONS {
        let key = format!("test/conversations/c{c}");
        let doc = storage
            .inner
            .read(&[&key])
            .await
            .unwrap()
            .remove(&key)
            .unwrap();
        assert_eq!(
            doc["count"],
            json!(TURNS / CONVERSATIONS),
            "conversation c{c}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn last_writer_wins_loses_updates_silently() {
    // BotBuilder's model: no ordering, and every save forced through with eTag `*`. The
    // barrier makes the race certain: every turn reads the count before any turn saves.
    let storage = Racy::new(AfterRead::Barrier(Arc::new(Barrier::new(TURNS))), true);
    let (adapter, bot) = counting(storage.clone(), false);
    let results = concurrent_turns(&adapter, &bot, 1).await;

    assert!(results.iter().all(Result::is_ok), "every turn looked fine");
    assert_eq!(storage.writes.load(Ordering::SeqCst), TURNS);
    let count = storage.count().await.as_u64().unwrap_or(0);
    assert!(count < TURNS as u64, "count is {count}");
    assert_eq!(count, 1, "199 of 200 updates were lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn etags_without_ordering_fail_loudly_instead() {
    // The same race with this crate's saves: the first save wins, every other one is a
    // typed conflict that reaches the caller. Nothing is overwritten silently.
    let storage = Racy::new(AfterRead::Barrier(Arc::new(Barrier::new(TURNS))), false);
    let (adapter, bot) = counting(storage.clone(), false);
    let results = concurrent_turns(&adapter, &bot, 1).await;

    let ok = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| r.as_ref().is_err_and(Error::is_conflict))
        .count();
    assert_eq!((ok, conflicts), (1, TURNS - 1));
    assert_eq!(storage.count().await, json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering_keeps_other_conversations_parallel() {
    // A turn in conversation "a" waits for a turn in conversation "b": it would never end if
    // ordering were global.
    let gate = Arc::new(tokio::sync::Notify::new());
    let (opened, wait) = (gate.clone(), gate);
    let adapter = TestAdapter::new();
    let bot: Arc<dyn Bot> = Arc::new(bot_fn(async move |ctx| {
        let (opened, wait) = (opened.clone(), wait.clone());
        match ctx.activity().text() {
            "wait" => wait.notified().await,
            _ => opened.notify_one(),
        }
        Ok(())
    }));
    let in_conversation = |text: &str, conversation: &str| {
        let mut activity = Activity::message(text);
        activity.conversation = Some(ConversationAccount::new(conversation));
        activity
    };
    let waiting = tokio::spawn({
        let (adapter, bot) = (adapter.clone(), bot.clone());
        let activity = in_conversation("wait", "a");
        async move { adapter.process_activity(activity, &*bot).await }
    });
    adapter
        .process_activity(in_conversation("open", "b"), &*bot)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the turn in conversation a never ended")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_turn_can_continue_its_own_conversation() {
    // Re-entrancy: a turn awaiting a proactive turn in its own conversation does not wait
    // for itself.
    let adapter = TestAdapter::new();
    let bot = bot_fn(async move |ctx| {
        let reference = ctx.conversation_reference().clone();
        ctx.adapter()
            .continue_conversation(reference, async move |ctx| {
                ctx.send_activity("from the proactive turn").await?;
                Ok(())
            })
            .await?;
        Ok(())
    });
    tokio::time::timeout(Duration::from_secs(10), adapter.send_text("go", &bot))
        .await
        .expect("the turn waited for itself")
        .unwrap();
    let reply = adapter
        .next_reply(TestAdapter::DEFAULT_CONVERSATION)
        .unwrap();
    assert_eq!(reply.text(), "from the proactive turn");
}
