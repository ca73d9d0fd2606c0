//! The turn pipeline: middleware order, short circuits, errors, hooks, outgoing completion,
//! expectReplies and invoke responses.

use std::sync::{Arc, Mutex};

use botbuilder_core::schema::{
    Activity, ActivityTypes, DeliveryModes, InvokeResponse, ResourceResponse,
};
use botbuilder_core::testing::{TestAdapter, TestFlow};
use botbuilder_core::{
    BotAdapter, BotAdapterExt, BoxError, Error, Middleware, Next, TurnContext, TurnResult,
    async_trait, bot_fn, delete_hook, send_hook, turn_error_handler, update_hook,
};

type Log = Arc<Mutex<Vec<String>>>;

struct Recorder {
    name: &'static str,
    log: Log,
    call_next: bool,
}

#[async_trait]
impl Middleware for Recorder {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        self.log
            .lock()
            .unwrap()
            .push(format!("{} before", self.name));
        if self.call_next {
            next.run(ctx).await?;
        }
        self.log
            .lock()
            .unwrap()
            .push(format!("{} after", self.name));
        Ok(())
    }
}

fn recorder(name: &'static str, log: &Log) -> Recorder {
    Recorder {
        name,
        log: log.clone(),
        call_next: true,
    }
}

fn recording_bot(log: &Log) -> impl botbuilder_core::Bot + 'static {
    let log = log.clone();
    bot_fn(async move |ctx| {
        log.lock().unwrap().push("bot".to_owned());
        ctx.send_activity("done").await?;
        Ok(())
    })
}

#[tokio::test(start_paused = true)]
async fn middleware_runs_as_an_onion_in_registration_order() {
    let log: Log = Arc::default();
    let adapter = TestAdapter::new()
        .with_middleware(recorder("A", &log))
        .with_middleware(recorder("B", &log))
        .with_middleware(recorder("C", &log));
    TestFlow::new(adapter, recording_bot(&log))
        .test("hi", "done")
        .await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "A before", "B before", "C before", "bot", "C after", "B after", "A after"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_middleware_that_does_not_call_next_short_circuits() {
    let log: Log = Arc::default();
    let adapter = TestAdapter::new()
        .with_middleware(recorder("A", &log))
        .with_middleware(Recorder {
            name: "gate",
            log: log.clone(),
            call_next: false,
        })
        .with_middleware(recorder("C", &log));
    TestFlow::new(adapter, recording_bot(&log))
        .send("hi")
        .assert_no_reply()
        .await;
    assert_eq!(
        *log.lock().unwrap(),
        ["A before", "gate before", "gate after", "A after"]
    );
}

struct Failing;

#[async_trait]
impl Middleware for Failing {
    async fn on_turn(&self, _ctx: &mut TurnContext, _next: Next<'_>) -> TurnResult {
        Err("middleware exploded".into())
    }
}

#[tokio::test(start_paused = true)]
async fn errors_reach_on_turn_error_and_the_default_tells_the_user() {
    let adapter = TestAdapter::new().with_middleware(Failing);
    let bot = bot_fn(async |_ctx| Ok(()));
    let result = adapter.send_text("hi", &bot).await;
    match result {
        Err(Error::Turn { source }) => assert_eq!(source.to_string(), "middleware exploded"),
        other => panic!("expected a turn error, got {other:?}"),
    }
    let trace = adapter.next_reply("convo1").unwrap();
    assert_eq!(trace.activity_type, ActivityTypes::Trace);
    assert_eq!(trace.value, Some("middleware exploded".into()));
    assert_eq!(trace.label.as_deref(), Some("TurnError"));
    let message = adapter.next_reply("convo1").unwrap();
    assert_eq!(message.text(), botbuilder_core::TURN_ERROR_MESSAGE);
}

#[tokio::test(start_paused = true)]
async fn a_custom_on_turn_error_sees_bot_errors() {
    let seen: Log = Arc::default();
    let seen2 = seen.clone();
    let adapter =
        TestAdapter::new().with_on_turn_error(turn_error_handler(async move |ctx, error| {
            let seen = seen2.clone();
            seen.lock().unwrap().push(error.to_string());
            let _ = ctx.send_activity("custom sorry").await;
        }));
    let bot = bot_fn(async move |ctx| {
        let n: i32 = ctx.activity().text().parse()?;
        ctx.send_activity(format!("{}", n * 2)).await?;
        Ok(())
    });
    TestFlow::new(adapter, bot)
        .test("21", "42")
        .send_expecting_error(Activity::message("twenty"))
        .assert_reply("custom sorry")
        .await;
    assert_eq!(*seen.lock().unwrap(), ["invalid digit found in string"]);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_turn_is_caught_and_reported() {
    let adapter = TestAdapter::new();
    let bot = bot_fn(async move |ctx| {
        if ctx.activity().text() == "boom" {
            panic!("bot bug");
        }
        ctx.send_activity("fine").await?;
        Ok(())
    });
    let result = adapter.send_text("boom", &bot).await;
    let Err(Error::Turn { source }) = result else {
        panic!("expected a turn error");
    };
    match source.downcast_ref::<Error>() {
        Some(Error::Panic { message }) => assert_eq!(message, "bot bug"),
        other => panic!("expected a panic error, got {other:?}"),
    }
    // The adapter keeps working.
    TestFlow::new(adapter, bot)
        .send_activity(Activity::message("x"))
        .assert_reply_that("the error trace", |a| {
            a.activity_type == ActivityTypes::Trace
        })
        .assert_reply(botbuilder_core::TURN_ERROR_MESSAGE)
        .assert_reply("fine")
        .await;
}

#[tokio::test(start_paused = true)]
async fn outgoing_activities_are_completed_from_the_incoming_one() {
    let adapter = TestAdapter::new();
    let bot = bot_fn(async move |ctx| {
        let mut reply = Activity::default().with_text("typed");
        reply.id = Some("caller-set".into());
        ctx.send_activity(reply).await?;
        Ok(())
    });
    let incoming = adapter
        .make_activity("hello")
        .with_id("in-7")
        .with_locale("fr-FR");
    adapter.process_activity(incoming, &bot).await.unwrap();
    let sent = adapter.next_reply("convo1").unwrap();
    assert_eq!(
        sent.activity_type,
        ActivityTypes::Message,
        "type defaults to message"
    );
    assert_eq!(sent.reply_to_id.as_deref(), Some("in-7"));
    assert_eq!(sent.from.as_ref().unwrap().id, "bot");
    assert_eq!(sent.recipient.as_ref().unwrap().id, "user1");
    assert_eq!(sent.locale.as_deref(), Some("fr-FR"));
    assert_eq!(sent.service_url.as_deref(), Some("https://test.com"));
    assert_ne!(
        sent.id.as_deref(),
        Some("caller-set"),
        "a caller-set id is not sent"
    );
}

/// Replies are completed from the activity as it came, even after middleware changed it.
struct Rewriter;

#[async_trait]
impl Middleware for Rewriter {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        let activity = ctx.activity_mut();
        activity.text = Some("rewritten".into());
        activity.id = Some("changed-id".into());
        activity.locale = Some("de-DE".into());
        next.run(ctx).await
    }
}

#[tokio::test(start_paused = true)]
async fn replies_follow_the_reference_of_the_activity_as_it_came() {
    let adapter = TestAdapter::new().with_middleware(Rewriter);
    let bot = bot_fn(async move |ctx| {
        assert_eq!(ctx.activity().text(), "rewritten");
        assert_eq!(
            ctx.conversation_reference().activity_id.as_deref(),
            Some("in-7")
        );
        ctx.send_activity("reply").await?;
        Ok(())
    });
    let incoming = adapter
        .make_activity("hello")
        .with_id("in-7")
        .with_locale("fr-FR");
    adapter.process_activity(incoming, &bot).await.unwrap();
    let sent = adapter.next_reply("convo1").unwrap();
    assert_eq!(sent.reply_to_id.as_deref(), Some("in-7"));
    assert_eq!(sent.locale.as_deref(), Some("fr-FR"));
}

#[tokio::test(start_paused = true)]
async fn responded_is_set_by_non_trace_sends_only() {
    let states: Log = Arc::default();
    let s = states.clone();
    let bot = bot_fn(async move |ctx| {
        s.lock().unwrap().push(format!("start {}", ctx.responded()));
        ctx.send_trace_activity("t", None, None, None).await?;
        s.lock()
            .unwrap()
            .push(format!("after trace {}", ctx.responded()));
        ctx.send_activity("x").await?;
        s.lock()
            .unwrap()
            .push(format!("after message {}", ctx.responded()));
        Ok(())
    });
    TestAdapter::new().send_text("hi", &bot).await.unwrap();
    assert_eq!(
        *states.lock().unwrap(),
        ["start false", "after trace false", "after message true"]
    );
}

struct HookInstaller;

#[async_trait]
impl Middleware for HookInstaller {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        // Change: upper-case every text.
        ctx.on_send_activities(send_hook(async move |_ctx, mut activities, next| {
            for a in &mut activities {
                a.text = a.text.take().map(|t| t.to_uppercase());
            }
            next.run(activities).await
        }));
        // Swallow: drop messages that say "SECRET" (after the first hook upper-cased them).
        ctx.on_send_activities(send_hook(async move |_ctx, activities, next| {
            let keep: Vec<Activity> = activities
                .into_iter()
                .filter(|a| a.text() != "SECRET")
                .collect();
            if keep.is_empty() {
                return Ok(vec![ResourceResponse::new("swallowed")]);
            }
            next.run(keep).await
        }));
        next.run(ctx).await
    }
}

#[tokio::test(start_paused = true)]
async fn send_hooks_can_change_and_swallow_in_registration_order() {
    let responses: Log = Arc::default();
    let r = responses.clone();
    let adapter = TestAdapter::new().with_middleware(HookInstaller);
    let bot = bot_fn(async move |ctx| {
        let a = ctx.send_activity("secret").await?;
        r.lock().unwrap().push(a.id);
        ctx.send_activity("hello").await?;
        Ok(())
    });
    TestFlow::new(adapter, bot)
        .send("go")
        .assert_reply("HELLO")
        .assert_no_reply()
        .await;
    assert_eq!(*responses.lock().unwrap(), ["swallowed"]);
}

#[tokio::test(start_paused = true)]
async fn update_and_delete_go_through_their_hooks_to_the_adapter() {
    let adapter = TestAdapter::new();
    let seen: Log = Arc::default();
    let s1 = seen.clone();
    let s2 = seen.clone();
    let bot = bot_fn(async move |ctx| {
        ctx.on_update_activity(update_hook(async move |_ctx, activity, next| {
            s1.lock()
                .unwrap()
                .push(format!("update {}", activity.text()));
            next.run(activity).await
        }));
        ctx.on_delete_activity(delete_hook(async move |_ctx, reference, next| {
            let id = reference.activity_id.clone().unwrap_or_default();
            if id == "keep" {
                return Ok(());
            }
            s2.lock().unwrap().push(format!("delete {id}"));
            next.run(reference).await
        }));
        let sent = ctx.send_activity("v1").await?;
        ctx.update_activity(Activity::message("v2").with_id(sent.id.clone()))
            .await?;
        ctx.delete_activity(sent.id).await?;
        ctx.delete_activity("keep").await?;
        Ok(())
    });
    adapter.send_text("go", &bot).await.unwrap();
    let updated = adapter.updated_activities();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].text(), "v2");
    assert_eq!(updated[0].conversation_id(), Some("convo1"));
    let deleted = adapter.deleted_activities();
    assert_eq!(deleted.len(), 1, "the hook swallowed the second delete");
    let first_id = adapter.sent_activities()[0].id.clone().unwrap();
    assert_eq!(deleted[0].activity_id.as_deref(), Some(first_id.as_str()));
    assert_eq!(
        *seen.lock().unwrap(),
        ["update v2".to_string(), format!("delete {first_id}")]
    );
}

#[tokio::test(start_paused = true)]
async fn expect_replies_buffers_instead_of_sending() {
    let adapter = TestAdapter::new();
    let buffered = Arc::new(Mutex::new(Vec::new()));
    struct Capture(Arc<Mutex<Vec<Activity>>>);
    #[async_trait]
    impl Middleware for Capture {
        async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
            next.run(ctx).await?;
            self.0.lock().unwrap().extend(ctx.take_buffered_replies());
            Ok(())
        }
    }
    let adapter = adapter.with_middleware(Capture(buffered.clone()));
    let bot = bot_fn(async move |ctx| {
        ctx.send_activity("one").await?;
        ctx.send_activity("two").await?;
        assert!(ctx.responded());
        Ok(())
    });
    let activity = Activity::message("hi").with_delivery_mode(DeliveryModes::ExpectReplies);
    adapter.process_activity(activity, &bot).await.unwrap();
    assert!(
        adapter.sent_activities().is_empty(),
        "nothing reached the channel"
    );
    let texts: Vec<String> = buffered
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.text().to_owned())
        .collect();
    assert_eq!(texts, ["one", "two"]);
}

#[tokio::test(start_paused = true)]
async fn an_invoke_response_activity_is_captured_not_sent() {
    struct Check;
    #[async_trait]
    impl Middleware for Check {
        async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
            next.run(ctx).await?;
            let response = ctx.invoke_response().expect("captured");
            assert_eq!(
                response,
                InvokeResponse::new(200, Some(serde_json::json!({"ok": true})))
            );
            Ok(())
        }
    }
    let adapter = TestAdapter::new().with_middleware(Check);
    let bot = bot_fn(async move |ctx| {
        let mut response = Activity::new(ActivityTypes::InvokeResponse);
        response.value = Some(serde_json::json!({"status": 200, "body": {"ok": true}}));
        ctx.send_activity(response).await?;
        Ok(())
    });
    adapter
        .process_activity(Activity::invoke("task/fetch", serde_json::json!({})), &bot)
        .await
        .unwrap();
    assert!(adapter.sent_activities().is_empty());
}

#[derive(Debug, PartialEq)]
struct Language(&'static str);

struct DetectLanguage;

#[async_trait]
impl Middleware for DetectLanguage {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        let lang = if ctx.activity().text().starts_with("bonjour") {
            "fr"
        } else {
            "en"
        };
        ctx.turn_state_mut().insert(Language(lang));
        next.run(ctx).await
    }
}

#[tokio::test(start_paused = true)]
async fn middleware_hands_data_to_the_bot_through_turn_state() {
    let adapter = TestAdapter::new().with_middleware(DetectLanguage);
    let bot = bot_fn(async move |ctx| {
        let Language(lang) = ctx.turn_state().get::<Language>().ok_or("no language")?;
        let lang = *lang;
        ctx.send_activity(lang).await?;
        Ok(())
    });
    TestFlow::new(adapter, bot)
        .test("bonjour", "fr")
        .test("hello", "en")
        .await;
}

#[tokio::test(start_paused = true)]
async fn proactive_turns_run_through_the_same_middleware() {
    let log: Log = Arc::default();
    let adapter = TestAdapter::new().with_middleware(recorder("A", &log));
    let reference = adapter.make_activity("x").conversation_reference();
    let shared: Arc<dyn BotAdapter> = Arc::new(adapter.clone());
    let log2 = log.clone();
    shared
        .continue_conversation(reference, async move |ctx| {
            assert!(ctx.is_proactive());
            assert_eq!(ctx.activity().name.as_deref(), Some("ContinueConversation"));
            log2.lock().unwrap().push("logic".to_owned());
            ctx.send_activity("later").await?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(*log.lock().unwrap(), ["A before", "logic", "A after"]);
    let sent = adapter.next_reply("convo1").unwrap();
    assert_eq!(sent.text(), "later");
    assert_eq!(
        sent.reply_to_id, None,
        "no synthetic replyToId on proactive messages"
    );
    assert_eq!(sent.recipient.unwrap().id, "user1");
}

#[tokio::test(start_paused = true)]
async fn continue_conversation_rejects_an_incomplete_reference_and_reports_logic_errors() {
    let adapter = TestAdapter::new();
    let mut reference = adapter.make_activity("x").conversation_reference();
    let ok = async |_ctx: &mut TurnContext| Ok(());
    reference.service_url = None;
    let err = adapter
        .continue_conversation(reference.clone(), ok)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Schema(_)), "{err}");
    assert!(err.to_string().contains("serviceUrl"));

    reference.service_url = Some("https://test.com".into());
    let failing = async |_ctx: &mut TurnContext| Err::<(), BoxError>("nope".into());
    let err = adapter
        .continue_conversation(reference, failing)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Turn { .. }));
    assert_eq!(
        adapter.next_reply("convo1").unwrap().activity_type,
        ActivityTypes::Trace,
        "on_turn_error ran for the proactive turn"
    );
}

#[tokio::test(start_paused = true)]
async fn create_conversation_runs_logic_in_a_new_conversation() {
    let adapter = TestAdapter::new();
    let reference = adapter.make_activity("x").conversation_reference();
    let params = botbuilder_core::schema::ConversationParameters {
        is_group: Some(false),
        members: Some(vec![botbuilder_core::schema::ChannelAccount::new("user9")]),
        ..Default::default()
    };
    adapter
        .create_conversation(
            botbuilder_core::schema::ConversationReference {
                user: None,
                ..reference
            },
            params,
            async move |ctx| {
                ctx.send_activity("welcome to a new chat").await?;
                Ok(())
            },
        )
        .await
        .unwrap();
    let sent = adapter
        .next_reply("created-1")
        .expect("a message in the new conversation");
    assert_eq!(sent.text(), "welcome to a new chat");
    assert_eq!(sent.recipient.unwrap().id, "user9");
}

#[tokio::test(start_paused = true)]
async fn continue_conversation_returns_what_the_logic_returns() {
    let adapter = TestAdapter::new();
    let reference = adapter.make_activity("x").conversation_reference();
    let job = 41;
    let (sent, answer) = adapter
        .continue_conversation(reference.clone(), async move |ctx| {
            let sent = ctx.send_activity(format!("job {job} done")).await?;
            Ok((sent, job + 1))
        })
        .await
        .unwrap();
    assert_eq!(answer, 42);
    let reply = adapter.next_reply("convo1").unwrap();
    assert_eq!(reply.id.as_deref(), Some(sent.id.as_str()));

    // Through `dyn BotAdapter`, as from `ctx.adapter()`.
    let shared: Arc<dyn BotAdapter> = Arc::new(adapter.clone());
    let proactive = shared
        .continue_conversation(reference, async |ctx| Ok(ctx.is_proactive()))
        .await
        .unwrap();
    assert!(proactive);
}

#[tokio::test(start_paused = true)]
async fn a_short_circuited_proactive_turn_says_its_logic_did_not_run() {
    let log = Log::default();
    let adapter = TestAdapter::new().with_middleware(Recorder {
        name: "gate",
        log: log.clone(),
        call_next: false,
    });
    let reference = adapter.make_activity("x").conversation_reference();
    let err = adapter
        .continue_conversation(reference, async |_ctx| Ok(7))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LogicNotRun), "{err}");
    assert_eq!(*log.lock().unwrap(), ["gate before", "gate after"]);
}

#[tokio::test(start_paused = true)]
async fn with_middleware_makes_a_new_adapter_and_leaves_clones_alone() {
    let log = Log::default();
    let plain = TestAdapter::new();
    let clone = plain.clone();
    let logged = plain.clone().with_middleware(Recorder {
        name: "m",
        log: log.clone(),
        call_next: true,
    });
    assert_eq!(plain.pipeline().middleware().len(), 0);
    assert_eq!(clone.pipeline().middleware().len(), 0);
    assert_eq!(logged.pipeline().middleware().len(), 1);

    let echo = bot_fn(async |ctx| {
        let text = ctx.activity().text().to_owned();
        ctx.send_activity(text).await?;
        Ok(())
    });
    clone.send_text("one", &echo).await.unwrap();
    assert!(
        log.lock().unwrap().is_empty(),
        "the clone runs no middleware"
    );
    logged.send_text("two", &echo).await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["m before", "m after"]);
    // Clones still share the conversations: both replies are in the one log.
    assert_eq!(plain.sent_activities().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn async_closures_capture_what_they_need() {
    let prefix = String::from("Echo: ");
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let adapter =
        TestAdapter::new().with_on_turn_error(turn_error_handler(async move |_ctx, error| {
            record.lock().unwrap().push(error.to_string())
        }));
    let bot = bot_fn(async move |ctx| {
        if ctx.activity().text() == "fail" {
            return Err("on purpose".into());
        }
        let text = ctx.activity().text();
        ctx.send_activity(format!("{prefix}{text}")).await?;
        Ok(())
    });
    adapter.send_text("hi", &bot).await.unwrap();
    adapter.send_text("again", &bot).await.unwrap();
    assert!(adapter.send_text("fail", &bot).await.is_err());
    let texts: Vec<String> = adapter
        .sent_activities()
        .iter()
        .map(|a| a.text().to_owned())
        .collect();
    assert_eq!(texts, ["Echo: hi", "Echo: again"]);
    assert_eq!(*seen.lock().unwrap(), ["on purpose"]);
}
