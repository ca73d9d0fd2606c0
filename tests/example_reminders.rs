//! `cargo run --example reminders`, tested with TestFlow under `tokio::time::pause()`: a timer
//! firing a proactive message in the conversation that set it, both phrasings, the list,
//! pending reminders surviving a restart (overdue ones fire at once), no reminder lost
//! when many conversations set one at the same time, and a reminder the channel refuses
//! waiting in the outbox until it can be delivered, once.

#![allow(clippy::unwrap_used)]

#[path = "../examples/reminders/bot.rs"]
#[allow(dead_code)]
mod bot;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bot::{PENDING_KEY, RemindersBot, USAGE};
use botbuilder::core::storage::{MemoryStorage, Storage};
use botbuilder::core::{Middleware, Next, send_hook};
use botbuilder::prelude::*;

/// A wall clock that moves with tokio's (paused) clock, starting at `start`.
fn clock_from(start: SystemTime) -> impl Fn() -> SystemTime + Send + Sync + 'static {
    let origin = tokio::time::Instant::now();
    move || start + origin.elapsed()
}

fn start_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn is_proactive_reminder(text: &'static str) -> impl Fn(&Activity) -> bool + Send + Sync {
    move |a: &Activity| a.text() == text && a.reply_to_id.is_none()
}

#[tokio::test(start_paused = true)]
async fn a_reminder_fires_in_the_conversation_that_set_it() {
    let storage = MemoryStorage::new();
    let bot = RemindersBot::new(Arc::new(storage.clone())).with_clock(clock_from(start_time()));
    TestFlow::new(TestAdapter::new(), bot.clone())
        // Paused time: assert_no_reply waits half a second of it, instantly.
        .reply_timeout(Duration::from_millis(500))
        .send_conversation_update()
        .assert_reply(format!("Welcome! I send reminders. {USAGE}"))
        .test(
            "remind me in 10 seconds to stretch",
            "OK, I will remind you to stretch in 10 seconds.",
        )
        .in_conversation("elsewhere")
        .test(
            "Remind me to call Bob in 2 minutes",
            "OK, I will remind you to call Bob in 2 minutes.",
        )
        .delay(Duration::from_secs(3))
        .test(
            "reminders",
            "Pending reminders:\n- call Bob, in 1 minute 57 seconds",
        )
        .in_conversation(TestAdapter::DEFAULT_CONVERSATION)
        .test("list", "Pending reminders:\n- stretch, in 7 seconds")
        // Nothing before it is due (t = 9 s)...
        .delay(Duration::from_secs(6))
        .assert_no_reply()
        // ...and the reminder, as a new message (no replyToId), when it is (t = 10 s).
        .delay(Duration::from_secs(1))
        .assert_reply_that("the reminder", is_proactive_reminder("Reminder: stretch"))
        .test("reminders", format!("No reminders pending here. {USAGE}"))
        .in_conversation("elsewhere")
        .assert_no_reply()
        .delay(Duration::from_secs(120))
        .assert_reply_that(
            "Bob's reminder",
            is_proactive_reminder("Reminder: call Bob"),
        )
        .await;
    assert!(bot.pending_reminders().await.unwrap().is_empty());
    let document = storage.read(&[PENDING_KEY]).await.unwrap();
    assert_eq!(document[PENDING_KEY]["reminders"], serde_json::json!({}));
}

#[tokio::test(start_paused = true)]
async fn malformed_reminders_are_explained_and_nothing_is_stored() {
    let storage = MemoryStorage::new();
    let bot = RemindersBot::new(Arc::new(storage.clone()));
    TestFlow::new(TestAdapter::new(), bot.clone())
        .test(
            "remind me in ten minutes to stretch",
            format!("Sorry, I could not read that reminder: `ten` is not a number. {USAGE}"),
        )
        .test("what can you do?", USAGE)
        .await;
    assert!(storage.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_conversation_has_a_limit() {
    let bot = RemindersBot::new(Arc::new(MemoryStorage::new()));
    let mut flow = TestFlow::new(TestAdapter::new(), bot.clone());
    for _ in 0..bot::MAX_PER_CONVERSATION {
        flow = flow
            .send("remind me in 1 hour to rest")
            .assert_reply_contains("OK");
    }
    flow.test(
        "remind me in 1 hour to rest",
        "You have 20 reminders pending here already. Let some fire first.",
    )
    .await;
    assert_eq!(bot.pending_reminders().await.unwrap().len(), 20);
}

/// A restart: the first bot runs on a runtime that is then dropped (its timers with it, as
/// when a process exits); a new bot on the same store, ten minutes later, starts and
/// delivers what is due.
#[test]
fn pending_reminders_survive_a_restart() {
    let storage = MemoryStorage::new();
    let paused = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
    };

    paused().block_on(async {
        let bot = RemindersBot::new(Arc::new(storage.clone())).with_clock(clock_from(start_time()));
        TestFlow::new(TestAdapter::new(), bot)
            .test(
                "remind me in 5 minutes to stretch",
                "OK, I will remind you to stretch in 5 minutes.",
            )
            .in_conversation("other")
            .test(
                "remind me to go home in 1 hour",
                "OK, I will remind you to go home in 1 hour.",
            )
            .await;
    });

    paused().block_on(async {
        let later = start_time() + Duration::from_secs(600);
        let bot = RemindersBot::new(Arc::new(storage.clone())).with_clock(clock_from(later));
        let adapter = TestAdapter::new();
        assert_eq!(bot.start(Arc::new(adapter.clone())).await.unwrap(), 2);
        TestFlow::new(adapter, bot.clone())
            // Overdue by five minutes: at once.
            .assert_reply_that(
                "the overdue reminder",
                is_proactive_reminder("Reminder: stretch"),
            )
            .assert_no_reply()
            .in_conversation("other")
            .test(
                "reminders",
                "Pending reminders:\n- go home, in 49 minutes 57 seconds",
            )
            .delay(Duration::from_secs(50 * 60))
            .assert_reply_that(
                "the other one, when due",
                is_proactive_reminder("Reminder: go home"),
            )
            .await;
        assert!(bot.pending_reminders().await.unwrap().is_empty());
    });
}

/// Starting twice (or two instances scheduling the same reminder) delivers it once.
#[tokio::test(start_paused = true)]
async fn a_reminder_scheduled_twice_is_delivered_once() {
    let storage = MemoryStorage::new();
    let bot = RemindersBot::new(Arc::new(storage.clone()));
    let adapter = TestAdapter::new();
    TestFlow::new(adapter.clone(), bot.clone())
        .test(
            "remind me in 1 minute to drink",
            "OK, I will remind you to drink in 1 minute.",
        )
        .await;
    bot.start(Arc::new(adapter.clone())).await.unwrap();
    bot.start(Arc::new(adapter.clone())).await.unwrap();
    TestFlow::new(adapter, bot)
        .delay(Duration::from_secs(60))
        .assert_reply("Reminder: drink")
        .assert_no_reply()
        .await;
}

/// A store that lets other tasks run between a read and the write that follows it, as a
/// store across a network does, so that concurrent read-modify-writes interleave.
#[derive(Clone, Default)]
struct YieldingStorage(MemoryStorage);

#[async_trait]
impl Storage for YieldingStorage {
    async fn read(
        &self,
        keys: &[&str],
    ) -> Result<botbuilder::core::StoreItems, botbuilder::core::Error> {
        let items = self.0.read(keys).await;
        tokio::time::sleep(Duration::from_millis(2)).await;
        items
    }

    async fn write(
        &self,
        changes: botbuilder::core::StoreItems,
    ) -> Result<botbuilder::core::storage::ETags, botbuilder::core::Error> {
        self.0.write(changes).await
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), botbuilder::core::Error> {
        self.0.delete(keys).await
    }
}

/// Twenty conversations set a reminder at the same moment: saves meet concurrent changes of
/// the shared document, reload, and are redone; none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reminders_in_many_conversations_are_all_kept() {
    let bot = Arc::new(RemindersBot::new(Arc::new(YieldingStorage::default())));
    let adapter = TestAdapter::new();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (adapter, bot) = (adapter.clone(), bot.clone());
        tasks.push(tokio::spawn(async move {
            let activity = Activity::message(format!("remind me in 1 hour to task {i}"))
                .with_conversation(ConversationAccount::new(format!("c{i}")));
            adapter.process_activity(activity, bot.as_ref()).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let pending = bot.pending_reminders().await.unwrap();
    assert_eq!(pending.len(), 20);
    for i in 0..20 {
        let conversation = format!("c{i}");
        let mine: Vec<_> = pending
            .values()
            .filter(|r| r.conversation.conversation_id() == Some(conversation.as_str()))
            .collect();
        assert_eq!(mine.len(), 1, "{conversation}");
        assert_eq!(mine[0].text, format!("task {i}"));
    }
}

/// The conversation at the top of `examples/reminders/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let storage = MemoryStorage::new();
    let mut bot = RemindersBot::new(Arc::new(storage.clone())).with_clock(clock_from(start_time()));
    let mut player = Player::new(
        TestAdapter::new(),
        include_str!("../examples/reminders/main.rs"),
    );
    while let Some(note) = player.run_until_note(&bot).await {
        match note.as_str() {
            "3 seconds later" => tokio::time::sleep(Duration::from_secs(3)).await,
            "10 seconds after the first message" => {
                tokio::time::sleep(Duration::from_secs(7)).await;
            }
            "stop the bot, start it again a few minutes later" => {
                // A new bot and adapter on the same store, five minutes on.
                let later = start_time() + Duration::from_secs(300);
                bot = RemindersBot::new(Arc::new(storage.clone())).with_clock(clock_from(later));
                player.adapter = TestAdapter::new();
                bot.start(Arc::new(player.adapter.clone())).await.unwrap();
            }
            other => panic!("a note the test does not play: {other}"),
        }
    }
}
/// Fails every send while the flag is set, as a channel that cannot be reached does.
struct ChannelDown(Arc<AtomicBool>);

#[async_trait]
impl Middleware for ChannelDown {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        let down = self.0.clone();
        ctx.on_send_activities(send_hook(async move |_ctx, activities, next| {
            let down = down.load(Ordering::SeqCst);
            if down {
                Err(botbuilder::core::Error::adapter(
                    "send activities",
                    "the channel cannot be reached",
                ))
            } else {
                next.run(activities).await
            }
        }));
        next.run(ctx).await
    }
}

/// A reminder that falls due while the channel is down waits in the outbox, visible, and
/// arrives once when the channel is back.
#[tokio::test(start_paused = true)]
async fn a_reminder_the_channel_refuses_waits_in_the_outbox_and_arrives_once() {
    let down = Arc::new(AtomicBool::new(false));
    let adapter = TestAdapter::new().with_middleware(ChannelDown(down.clone()));
    let bot =
        RemindersBot::new(Arc::new(MemoryStorage::new())).with_clock(clock_from(start_time()));
    let _worker = bot.outbox().spawn(Arc::new(adapter.clone()));
    TestFlow::new(adapter.clone(), bot.clone())
        .test(
            "remind me in 10 seconds to stretch",
            "OK, I will remind you to stretch in 10 seconds.",
        )
        .await;
    let reminders = |adapter: &TestAdapter| {
        adapter
            .sent_activities()
            .iter()
            .filter(|a| a.text() == "Reminder: stretch")
            .count()
    };

    down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(reminders(&adapter), 0);
    // No longer pending: the outbox has it, with its failed attempts.
    assert!(bot.pending_reminders().await.unwrap().is_empty());
    let waiting = bot.outbox().entries().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].attempts >= 2, "retried: {:?}", waiting[0]);
    assert!(
        waiting[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("cannot be reached")
    );

    down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(reminders(&adapter), 1);
    assert!(bot.outbox().entries().await.unwrap().is_empty());
}
