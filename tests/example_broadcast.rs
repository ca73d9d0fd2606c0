//! `cargo run --example broadcast`, tested with TestFlow and TestAdapter: conversations are
//! remembered (and forgotten when the bot is removed), a broadcast reaches every one of them
//! as a proactive message, a conversation that cannot be reached is reported with the reason,
//! a send the channel refuses waits in the outbox and arrives once later, and the pace and
//! the bound on sends in flight hold.

#![allow(clippy::unwrap_used)]

#[path = "../examples/broadcast/bot.rs"]
#[allow(dead_code)]
mod bot;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bot::{BroadcastBot, HELP, Pace};
use botbuilder::core::storage::{MemoryStorage, Storage};
use botbuilder::prelude::*;

fn announcement(a: &Activity) -> bool {
    a.text() == "Announcement: Lunch is served" && a.reply_to_id.is_none()
}

#[tokio::test(start_paused = true)]
async fn a_broadcast_reaches_every_conversation_and_reports_the_one_it_cannot_reach() {
    let bot = BroadcastBot::new(Arc::new(MemoryStorage::new()));
    // A conversation whose channel gave no service URL: the bot can answer in the turn, but
    // can never reach it proactively.
    let unreachable = Activity::message("hello").with_service_url("");
    TestFlow::new(TestAdapter::new(), bot.clone())
        .in_conversation("a")
        .test("hi", HELP)
        .in_conversation("b")
        .send_conversation_update()
        .assert_reply(format!("Welcome! {HELP}"))
        .in_conversation("c")
        .test("hello", HELP)
        .in_conversation("broken")
        .send_activity(unreachable)
        .assert_reply(HELP)
        .in_conversation("a")
        .test("audience", "4 conversations will get a broadcast.")
        .test("broadcast", "Say what to broadcast: `broadcast <text>`.")
        .test(
            "broadcast   Lunch is served",
            "Broadcasting to 4 conversations, at most 10 a second. I will report here.",
        )
        .assert_reply_that("the announcement, here too", announcement)
        .assert_reply(
            "Broadcast to 4 conversations: delivered 3, failed 1.\n\
             - test/broken: missing field `serviceUrl` in the conversation reference",
        )
        .in_conversation("b")
        .assert_reply_that("the announcement", announcement)
        .in_conversation("c")
        .assert_reply_that("the announcement", announcement)
        .in_conversation("broken")
        .assert_no_reply()
        .await;
}

#[tokio::test(start_paused = true)]
async fn conversations_are_written_once_and_forgotten_when_the_bot_is_removed() {
    let storage = MemoryStorage::new();
    let bot = BroadcastBot::new(Arc::new(storage.clone()));
    let mut removed = Activity::new(ActivityTypes::ConversationUpdate);
    removed.members_removed = Some(vec![ChannelAccount::new(TestAdapter::DEFAULT_BOT)]);
    let mut uninstalled = Activity::new(ActivityTypes::InstallationUpdate);
    uninstalled.action = Some("remove".to_owned());

    TestFlow::new(TestAdapter::new(), bot.clone())
        .in_conversation("a")
        .test("hi", HELP)
        .in_conversation("b")
        .test("hi", HELP)
        .await;
    let e_tag = |items: &botbuilder::core::StoreItems| items[bot::AUDIENCE_KEY]["eTag"].clone();
    let before = storage.read(&[bot::AUDIENCE_KEY]).await.unwrap();

    // More messages from known conversations (and other users in them) write nothing.
    TestFlow::new(TestAdapter::new(), bot.clone())
        .in_conversation("a")
        .from_user(ChannelAccount::new("someone-else"))
        .test("hi again", HELP)
        .await;
    let after = storage.read(&[bot::AUDIENCE_KEY]).await.unwrap();
    assert_eq!(e_tag(&before), e_tag(&after));

    TestFlow::new(TestAdapter::new(), bot.clone())
        .in_conversation("a")
        .send_activity(removed)
        .assert_no_reply()
        .in_conversation("b")
        .send_activity(uninstalled)
        .assert_no_reply()
        .await;
    assert!(bot.known_conversations().await.unwrap().is_empty());
}

/// Makes each proactive turn take a second, and counts how many run at once.
#[derive(Clone, Default)]
struct SlowSends(Arc<InFlight>);

#[derive(Default)]
struct InFlight {
    running: AtomicUsize,
    most: AtomicUsize,
}

#[async_trait]
impl Middleware for SlowSends {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        if !ctx.is_proactive() {
            return next.run(ctx).await;
        }
        let now = self.0.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let result = next.run(ctx).await;
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

#[tokio::test(start_paused = true)]
async fn sends_keep_the_pace_and_the_bound_on_sends_in_flight() {
    let storage = MemoryStorage::new();
    let slow = SlowSends::default();
    let adapter = TestAdapter::new().with_middleware(slow.clone());
    let fast = BroadcastBot::new(Arc::new(storage.clone())).with_pace(Pace {
        per_second: 100,
        concurrency: 2,
    });
    let mut flow = TestFlow::new(adapter.clone(), fast.clone());
    for i in 0..6 {
        flow = flow.in_conversation(format!("c{i}")).test("hi", HELP);
    }
    flow.await;

    // Six sends of a second each, two at a time: three seconds, never more than two at once.
    let started = tokio::time::Instant::now();
    let report = fast
        .broadcast(Arc::new(adapter.clone()), "hello")
        .await
        .unwrap();
    assert_eq!(report.delivered.len(), 6);
    assert!(report.failed.is_empty());
    assert_eq!(slow.0.most.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // Two sends a second, any number at once: the last starts 2.5 s after the first, and
    // takes its second.
    let paced = BroadcastBot::new(Arc::new(storage)).with_pace(Pace {
        per_second: 2,
        concurrency: 100,
    });
    let started = tokio::time::Instant::now();
    let report = paced.broadcast(Arc::new(adapter), "hello").await.unwrap();
    assert_eq!(report.delivered.len(), 6);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(3500) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
}

/// The conversation at the top of `examples/broadcast/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let bot = BroadcastBot::new(Arc::new(MemoryStorage::new()));
    let mut player = Player::new(
        TestAdapter::new(),
        include_str!("../examples/broadcast/main.rs"),
    );
    if let Some(note) = player.run_until_note(&bot).await {
        panic!("a note the test does not play: {note}");
    }
}
/// Refuses every send into conversations whose id is in the list, as a channel that cannot
/// reach them now does.
#[derive(Clone, Default)]
struct Unreachable(Arc<std::sync::Mutex<Vec<String>>>);

#[async_trait]
impl Middleware for Unreachable {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        let list = self.0.clone();
        ctx.on_send_activities(botbuilder::core::send_hook(
            async move |ctx, activities, next| {
                let conversation = ctx.activity().conversation_id().unwrap_or("").to_owned();
                let refused = list.lock().unwrap().contains(&conversation);
                if refused {
                    Err(botbuilder::core::Error::adapter(
                        "send activities",
                        "the channel is unavailable (503)",
                    ))
                } else {
                    next.run(activities).await
                }
            },
        ));
        next.run(ctx).await
    }
}

/// A send the channel refuses is reported as queued, waits in the outbox, and arrives once
/// when the channel takes it again.
#[tokio::test(start_paused = true)]
async fn a_refused_send_is_queued_and_delivered_once_later() {
    let unreachable = Unreachable::default();
    let adapter = TestAdapter::new().with_middleware(unreachable.clone());
    let bot = BroadcastBot::new(Arc::new(MemoryStorage::new()));
    let _worker = bot.outbox().spawn(Arc::new(adapter.clone()));
    TestFlow::new(adapter.clone(), bot.clone())
        .in_conversation("a")
        .test("hi", HELP)
        .in_conversation("b")
        .test("hi", HELP)
        .await;
    unreachable.0.lock().unwrap().push("b".to_owned());
    let report = bot
        .broadcast(Arc::new(adapter.clone()), "Lunch is served")
        .await
        .unwrap();
    assert_eq!(
        report.to_string(),
        "Broadcast to 2 conversations: delivered 1, queued for retry 1, failed 0.\n\
         - test/b: send activities failed: the channel is unavailable (503)"
    );
    let in_b = |adapter: &TestAdapter| {
        adapter
            .sent_activities()
            .iter()
            .filter(|a| announcement(a) && a.conversation_id() == Some("b"))
            .count()
    };
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(in_b(&adapter), 0);
    assert_eq!(bot.outbox().entries().await.unwrap().len(), 1);

    unreachable.0.lock().unwrap().clear();
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(in_b(&adapter), 1);
    assert!(bot.outbox().entries().await.unwrap().is_empty());
}
