//! The shipped middleware: show typing and transcript logging; nested middleware sets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use botbuilder_core::middleware::{
    MemoryTranscriptStore, ShowTypingMiddleware, TRANSCRIPT_PAGE_SIZE, TranscriptLoggerMiddleware,
    TranscriptStore,
};
use botbuilder_core::schema::{Activity, ActivityTypes, DeliveryModes, RoleTypes};
use botbuilder_core::testing::{TestAdapter, TestFlow};
use botbuilder_core::{
    ActivityHandler, BotAdapterExt, Middleware, MiddlewareSet, Next, TurnContext, TurnResult,
    async_trait, bot_fn,
};

/// Takes `text` seconds to answer.
struct Slow;

#[async_trait]
impl ActivityHandler for Slow {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let seconds: f64 = ctx.activity().text().parse()?;
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        ctx.send_activity("answer").await?;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn typing_appears_after_the_delay_and_repeats_until_the_turn_ends() {
    let adapter = TestAdapter::new().with_middleware(ShowTypingMiddleware::new(
        Duration::from_millis(500),
        Duration::from_secs(2),
    ));
    // 5 s of work: typing at 0.5 s, 2.5 s, 4.5 s, then the answer at 5 s.
    TestFlow::new(adapter, Slow)
        .send("5")
        .assert_typing()
        .assert_typing()
        .assert_typing()
        .assert_reply("answer")
        .assert_no_reply()
        .await;
}

#[tokio::test(start_paused = true)]
async fn fast_turns_show_no_typing() {
    let adapter = TestAdapter::new().with_middleware(ShowTypingMiddleware::default());
    TestFlow::new(adapter, Slow)
        .test("0.1", "answer")
        .delay(Duration::from_secs(10))
        .assert_no_reply()
        .await;
}

#[tokio::test(start_paused = true)]
async fn no_typing_in_proactive_turns_or_for_expect_replies() {
    let adapter = TestAdapter::new().with_middleware(ShowTypingMiddleware::default());
    let reference = adapter.make_activity("x").conversation_reference();
    adapter
        .continue_conversation(reference, async move |ctx| {
            tokio::time::sleep(Duration::from_secs(3)).await;
            ctx.send_activity("late").await?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(adapter.next_reply("convo1").unwrap().text(), "late");
    assert!(adapter.next_reply("convo1").is_none());

    let buffered = Activity::message("3").with_delivery_mode(DeliveryModes::ExpectReplies);
    adapter.process_activity(buffered, &Slow).await.unwrap();
    assert!(
        adapter.next_reply("convo1").is_none(),
        "nothing sent, not even typing"
    );
}

#[tokio::test(start_paused = true)]
async fn transcripts_hold_incoming_and_outgoing_in_order() {
    let store = MemoryTranscriptStore::new();
    let adapter = TestAdapter::new()
        .with_middleware(TranscriptLoggerMiddleware::new(Arc::new(store.clone())));
    let bot = bot_fn(async move |ctx| {
        let first = ctx.send_activity("one").await?;
        ctx.send_activity("two").await?;
        ctx.update_activity(Activity::message("one, edited").with_id(first.id.clone()))
            .await?;
        ctx.delete_activity(first.id).await?;
        Ok(())
    });
    TestFlow::new(adapter.clone(), bot)
        .send("hi")
        .assert_reply("one")
        .assert_reply("two")
        .await;
    let page = store
        .get_transcript_activities("test", "convo1", None, None)
        .await
        .unwrap();
    let summary: Vec<(String, String, Option<RoleTypes>)> = page
        .items
        .iter()
        .map(|a| {
            (
                a.activity_type.to_string(),
                a.text().to_owned(),
                a.from.as_ref().and_then(|f| f.role.clone()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("message".into(), "hi".into(), Some(RoleTypes::User)),
            ("message".into(), "one".into(), Some(RoleTypes::Bot)),
            ("message".into(), "two".into(), Some(RoleTypes::Bot)),
            (
                "messageUpdate".into(),
                "one, edited".into(),
                Some(RoleTypes::Bot)
            ),
            ("messageDelete".into(), "".into(), Some(RoleTypes::Bot)),
        ]
    );
    assert_eq!(page.continuation_token, None);
    let sent_id = adapter.sent_activities()[0].id.clone();
    assert_eq!(
        page.items[1].id, sent_id,
        "outgoing activities carry the id the channel gave"
    );
    assert_eq!(page.items[4].id, sent_id);
    assert!(page.items.iter().all(|a| a.timestamp.is_some()));
}

#[tokio::test(start_paused = true)]
async fn transcripts_are_paged_and_listed_and_deleted() {
    let store = MemoryTranscriptStore::new();
    let adapter = TestAdapter::new()
        .with_middleware(TranscriptLoggerMiddleware::new(Arc::new(store.clone())));
    let echo = bot_fn(async move |ctx| {
        let text = ctx.activity().text().to_owned();
        ctx.send_activity(text).await?;
        Ok(())
    });
    for i in 0..15 {
        adapter.send_text(format!("m{i}"), &echo).await.unwrap();
    }
    let first = store
        .get_transcript_activities("test", "convo1", None, None)
        .await
        .unwrap();
    assert_eq!(first.items.len(), TRANSCRIPT_PAGE_SIZE);
    let token = first.continuation_token.clone().expect("a second page");
    let second = store
        .get_transcript_activities("test", "convo1", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(second.items.len(), 30 - TRANSCRIPT_PAGE_SIZE);
    assert_eq!(second.continuation_token, None);
    assert_eq!(second.items.last().unwrap().text(), "m14");
    assert!(
        store
            .get_transcript_activities("test", "convo1", Some("not-a-token"), None)
            .await
            .is_err()
    );
    let later = second.items[0].timestamp.clone();
    let since = store
        .get_transcript_activities("test", "convo1", None, later.as_ref())
        .await
        .unwrap();
    assert!(since.items.len() >= second.items.len());

    let list = store.list_transcripts("test", None).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].id, "convo1");
    store.delete_transcript("test", "convo1").await.unwrap();
    assert!(
        store
            .get_transcript_activities("test", "convo1", None, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn proactive_turns_log_what_is_sent_but_not_the_synthetic_event() {
    let store = MemoryTranscriptStore::new();
    let adapter = TestAdapter::new()
        .with_middleware(TranscriptLoggerMiddleware::new(Arc::new(store.clone())));
    let reference = adapter.make_activity("x").conversation_reference();
    adapter
        .continue_conversation(reference, async move |ctx| {
            ctx.send_activity("proactive").await?;
            Ok(())
        })
        .await
        .unwrap();
    let page = store
        .get_transcript_activities("test", "convo1", None, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].text(), "proactive");
    assert_ne!(page.items[0].activity_type, ActivityTypes::Event);
}

struct Tag(&'static str, Arc<Mutex<Vec<&'static str>>>);

#[async_trait]
impl Middleware for Tag {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        self.1.lock().unwrap().push(self.0);
        next.run(ctx).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_middleware_set_nests_as_one_middleware() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let inner = MiddlewareSet::new()
        .with(Tag("inner-1", log.clone()))
        .with(Tag("inner-2", log.clone()));
    let adapter = TestAdapter::new()
        .with_middleware(Tag("outer-1", log.clone()))
        .with_middleware(inner)
        .with_middleware(Tag("outer-2", log.clone()));
    let bot = bot_fn(async |_ctx| Ok(()));
    adapter.send_text("x", &bot).await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["outer-1", "inner-1", "inner-2", "outer-2"]
    );
}
