//! TestAdapter and TestFlow themselves: failures that name the line, several users and
//! conversations, timers under paused time, typing.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use botbuilder_core::schema::{Activity, ActivityTypes, ChannelAccount};
use botbuilder_core::testing::{TestAdapter, TestFlow};
use botbuilder_core::{ActivityHandler, BotAdapterExt, TurnContext, TurnResult, async_trait};
use futures::FutureExt;

struct Echo;

#[async_trait]
impl ActivityHandler for Echo {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let from = ctx.activity().from.clone().unwrap_or_default();
        let text = ctx.activity().text();
        ctx.send_activity(format!("{}: {text}", from.id)).await?;
        Ok(())
    }
}

async fn failure_message(flow: TestFlow) -> String {
    let panic = AssertUnwindSafe(flow.into_future_boxed())
        .catch_unwind()
        .await
        .expect_err("the flow should fail");
    panic.downcast_ref::<String>().cloned().unwrap_or_default()
}

trait IntoFutureBoxed {
    fn into_future_boxed(self) -> botbuilder_core::BoxFuture<'static, ()>;
}

impl IntoFutureBoxed for TestFlow {
    fn into_future_boxed(self) -> botbuilder_core::BoxFuture<'static, ()> {
        std::future::IntoFuture::into_future(self)
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_assertion_names_the_line_and_shows_expected_and_actual() {
    let line = line!() + 3;
    let flow = TestFlow::new(TestAdapter::new(), Echo)
        .send("hi")
        .assert_reply("user1: bye");
    let message = failure_message(flow).await;
    assert!(message.contains("step 2"), "{message}");
    assert!(
        message.contains(&format!("tests/testing.rs:{line}:")),
        "{message}"
    );
    assert!(
        message.contains("expected: a message with text \"user1: bye\""),
        "{message}"
    );
    assert!(
        message.contains("actual: a message activity with text \"user1: hi\""),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_missing_reply_and_an_unexpected_reply_fail() {
    let message =
        failure_message(TestFlow::new(TestAdapter::new(), Echo).assert_reply_contains("anything"))
            .await;
    assert!(message.contains("no reply within 3s"), "{message}");

    let message = failure_message(
        TestFlow::new(TestAdapter::new(), Echo)
            .send("hi")
            .assert_no_reply(),
    )
    .await;
    assert!(message.contains("expected: no reply"), "{message}");
    assert!(message.contains("user1: hi"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn every_assertion_kind() {
    TestFlow::new(TestAdapter::new(), Echo)
        .send("hello there")
        .assert_reply_contains("hello")
        .send("x")
        .assert_reply_one_of(["nope", "user1: x"])
        .send("y")
        .assert_reply_that("a reply to the user", |a| {
            a.recipient.as_ref().is_some_and(|r| r.id == "user1")
        })
        .test("z", "user1: z")
        .assert_no_reply()
        .await;
}

#[tokio::test(start_paused = true)]
async fn several_users_and_conversations_keep_separate_replies() {
    TestFlow::new(TestAdapter::new(), Echo)
        .in_conversation("A")
        .from_user(ChannelAccount::new("alice"))
        .send("one")
        .in_conversation("B")
        .from_user(ChannelAccount::new("bob"))
        .send("two")
        .assert_reply("bob: two")
        .in_conversation("A")
        .assert_reply("alice: one")
        .assert_no_reply()
        .await;
}

/// Replies after a delay, from a spawned task (a reminder).
struct Reminder;

#[async_trait]
impl ActivityHandler for Reminder {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let seconds: u64 = ctx.activity().text().parse()?;
        let adapter = ctx.adapter().clone();
        let reference = ctx.conversation_reference().clone();
        ctx.send_activity(format!("I will remind you in {seconds} s."))
            .await?;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            let _ = adapter
                .continue_conversation(reference, async move |ctx| {
                    ctx.send_activity("Reminder!").await?;
                    Ok(())
                })
                .await;
        });
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn timers_are_deterministic_under_paused_time() {
    TestFlow::new(TestAdapter::new(), Reminder)
        .reply_timeout(Duration::from_secs(1))
        .test("30", "I will remind you in 30 s.")
        .assert_no_reply()
        .delay(Duration::from_secs(29))
        .assert_reply("Reminder!")
        .await;
}

#[tokio::test(start_paused = true)]
async fn call_steps_run_outside_code_between_steps() {
    TestFlow::new(TestAdapter::new(), Echo)
        .send("a")
        .call(|adapter| async move {
            let reference = adapter.make_activity("x").conversation_reference();
            adapter
                .continue_conversation(reference, async move |ctx| {
                    ctx.send_activity("from outside").await?;
                    Ok(())
                })
                .await
                .unwrap();
        })
        .assert_reply("user1: a")
        .assert_reply("from outside")
        .await;
}

struct SlowTyper;

#[async_trait]
impl ActivityHandler for SlowTyper {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        ctx.send_activity(Activity::typing()).await?;
        ctx.send_activity("done").await?;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn typing_can_be_asserted_or_skipped() {
    TestFlow::new(TestAdapter::new(), SlowTyper)
        .send("go")
        .assert_typing()
        .assert_reply("done")
        .await;
    TestFlow::new(TestAdapter::new(), SlowTyper)
        .skip_typing(true)
        .test("go", "done")
        .await;
}

#[tokio::test(start_paused = true)]
async fn conversation_update_step_sends_bot_and_user() {
    struct Welcome;
    #[async_trait]
    impl ActivityHandler for Welcome {
        async fn on_members_added(
            &self,
            m: Vec<ChannelAccount>,
            ctx: &mut TurnContext,
        ) -> TurnResult {
            for member in m {
                ctx.send_activity(format!("welcome {}", member.id)).await?;
            }
            Ok(())
        }
    }
    TestFlow::new(TestAdapter::new(), Welcome)
        .send_conversation_update()
        .assert_reply("welcome user1")
        .assert_no_reply()
        .await;
    let adapter = TestAdapter::new();
    let a = adapter.make_activity("x");
    assert_eq!(a.activity_type, ActivityTypes::Message);
    assert!(a.id.is_some() && a.timestamp.is_some());
}

/// Jobs started in one conversation and completed from another, as in the proactive sample.
#[derive(Default)]
struct Jobs(std::sync::Mutex<Vec<botbuilder_core::schema::ConversationReference>>);

#[async_trait]
impl ActivityHandler for Jobs {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let text = ctx.activity().text().to_owned();
        if text == "run" {
            let number = {
                let mut jobs = self.0.lock().unwrap();
                jobs.push(ctx.conversation_reference().clone());
                jobs.len()
            };
            ctx.send_activity(format!("Job {number} started.")).await?;
        } else if let Some(n) = text.strip_prefix("done ") {
            let number: usize = n.parse()?;
            let reference = self.0.lock().unwrap()[number - 1].clone();
            ctx.send_activity(format!("Completing job {number}."))
                .await?;
            ctx.adapter()
                .continue_conversation(reference, async move |ctx| {
                    ctx.send_activity(format!("Job {number} is complete."))
                        .await?;
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn two_conversation_proactive_scenario() {
    let adapter = TestAdapter::new();
    TestFlow::new(adapter.clone(), Jobs::default())
        .in_conversation("A")
        .from_user(ChannelAccount::new("alice"))
        .test("run", "Job 1 started.")
        .test("run", "Job 2 started.")
        .in_conversation("B")
        .from_user(ChannelAccount::new("bob"))
        .test("done 2", "Completing job 2.")
        .assert_no_reply()
        .in_conversation("A")
        .assert_reply_that("job 2's notification to alice", |a| {
            a.text() == "Job 2 is complete."
                && a.recipient.as_ref().is_some_and(|r| r.id == "alice")
                && a.reply_to_id.is_none()
        })
        .assert_no_reply()
        .await;
}
