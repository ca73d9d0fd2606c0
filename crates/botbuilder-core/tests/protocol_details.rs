//! Protocol details a turn gets as BotBuilder gets them: the input hint of a message sent from
//! text alone, timestamped traces, and the reference of a message the bot sent, kept to update
//! and delete that message in a later proactive turn.

use std::sync::{Arc, Mutex};

use botbuilder_core::schema::{
    Activity, ActivityTypes, ConversationReference, InputHints, ResourceResponse,
};
use botbuilder_core::testing::TestAdapter;
use botbuilder_core::{BotAdapterExt, bot_fn, send_hook};

#[tokio::test]
async fn text_alone_is_sent_accepting_input_and_a_built_activity_as_built() {
    let adapter = TestAdapter::new();
    let bot = bot_fn(async move |ctx| {
        ctx.send_activity("from a str").await?;
        ctx.send_activity(String::from("from a String")).await?;
        ctx.send_activity(Activity::message("built, no hint"))
            .await?;
        ctx.send_activity(
            Activity::message("built, expecting").with_input_hint(InputHints::ExpectingInput),
        )
        .await?;
        Ok(())
    });
    adapter.send_text("hi", &bot).await.unwrap();
    let hints: Vec<(String, Option<InputHints>)> = adapter
        .sent_activities()
        .into_iter()
        .map(|a| (a.text().to_owned(), a.input_hint))
        .collect();
    assert_eq!(
        hints,
        vec![
            ("from a str".to_owned(), Some(InputHints::AcceptingInput)),
            ("from a String".to_owned(), Some(InputHints::AcceptingInput)),
            ("built, no hint".to_owned(), None),
            (
                "built, expecting".to_owned(),
                Some(InputHints::ExpectingInput)
            ),
        ]
    );
}

#[tokio::test]
async fn trace_activities_leave_the_turn_timestamped() {
    // Seen by a send hook, before the adapter (which stamps what has no timestamp).
    let seen: Arc<Mutex<Vec<Activity>>> = Arc::default();
    let adapter = TestAdapter::new();
    let log = seen.clone();
    let bot = bot_fn(async move |ctx| {
        let log = log.clone();
        ctx.on_send_activities(send_hook(async move |_ctx, activities, next| {
            log.lock().unwrap().extend(activities.iter().cloned());
            next.run(activities).await
        }));
        ctx.send_trace_activity("step", Some(serde_json::json!({"n": 1})), None, None)
            .await?;
        assert!(!ctx.responded(), "a trace is not a response");
        Ok(())
    });
    adapter.send_text("hi", &bot).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].activity_type, ActivityTypes::Trace);
    assert!(seen[0].timestamp.is_some(), "{:?}", seen[0]);
}

#[tokio::test]
async fn a_sent_message_is_updated_and_deleted_later_from_its_reference() {
    let adapter = TestAdapter::new();
    let kept: Arc<Mutex<Option<ConversationReference>>> = Arc::default();
    let slot = kept.clone();
    let bot = bot_fn(async move |ctx| {
        let sent: ResourceResponse = ctx.send_activity("Working on it…").await?;
        *slot.lock().unwrap() = Some(ctx.reply_conversation_reference(&sent));
        Ok(())
    });
    adapter.send_text("run", &bot).await.unwrap();
    let sent = adapter.sent_activities();
    let sent_id = sent[0]
        .id
        .clone()
        .expect("the adapter gave the message an id");
    let reference = kept.lock().unwrap().clone().expect("a kept reference");
    assert_eq!(reference.activity_id.as_deref(), Some(sent_id.as_str()));
    assert_eq!(
        reference.user.as_ref().map(|u| u.id.as_str()),
        Some(TestAdapter::DEFAULT_USER)
    );
    assert_eq!(
        reference.bot.as_ref().map(|b| b.id.as_str()),
        Some(TestAdapter::DEFAULT_BOT)
    );

    let id = reference.activity_id.clone().unwrap_or_default();
    adapter
        .continue_conversation(reference.clone(), async move |ctx| {
            ctx.update_activity(Activity::message("Done.").with_id(id))
                .await?;
            Ok(())
        })
        .await
        .unwrap();
    let updated = adapter.updated_activities();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].id.as_deref(), Some(sent_id.as_str()));
    assert_eq!(updated[0].text(), "Done.");
    assert_eq!(
        updated[0].conversation_id(),
        Some(TestAdapter::DEFAULT_CONVERSATION)
    );

    let to_delete = reference.clone();
    adapter
        .continue_conversation(reference, async move |ctx| {
            ctx.delete_activity_by_reference(to_delete).await?;
            Ok(())
        })
        .await
        .unwrap();
    let deleted = adapter.deleted_activities();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].activity_id.as_deref(), Some(sent_id.as_str()));
    assert_eq!(
        deleted[0].conversation_id(),
        Some(TestAdapter::DEFAULT_CONVERSATION)
    );
}
