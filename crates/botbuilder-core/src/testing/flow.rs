//! [`TestFlow`]: a scripted conversation with a bot, asserted step by step.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use botbuilder_schema::{
    Activity, ActivityTypes, ChannelAccount, ConversationAccount, InvokeResponse,
};

use crate::{Bot, BoxFuture, Error};

use super::TestAdapter;

type Check = Box<dyn Fn(&Activity) -> Result<(), String> + Send + Sync>;
type Call = Box<dyn FnOnce(TestAdapter) -> BoxFuture<'static, ()> + Send>;

enum StepKind {
    Send(Activity),
    SendExpectingError(Activity),
    Invoke(Activity, InvokeResponse),
    Reply { description: String, check: Check },
    NoReply,
    Delay(Duration),
    Call(Call),
}

struct Step {
    kind: StepKind,
    conversation: String,
    user: ChannelAccount,
    location: &'static Location<'static>,
}

/// A scripted conversation with a bot: send messages, assert replies.
///
/// A `TestFlow` is lazy: building it records steps; `.await` runs them in order. A failing step
/// panics with the test line that declared it and the expected and actual activities.
///
/// Replies are asserted per conversation, in the order the bot sent them. Switch the
/// conversation or the user with [`in_conversation`](Self::in_conversation) and
/// [`from_user`](Self::from_user): later steps use them. Waiting for a reply gives up after
/// [`reply_timeout`](Self::reply_timeout) (3 s by default); under `tokio::time::pause()` that
/// wait is instant and deterministic.
///
/// ```
/// use botbuilder_core::{async_trait, ActivityHandler, TurnContext, TurnResult};
/// use botbuilder_core::testing::{TestAdapter, TestFlow};
///
/// struct Echo;
///
/// #[async_trait]
/// impl ActivityHandler for Echo {
///     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
///         let text = ctx.activity().text();
///         ctx.send_activity(format!("Echo: {text}")).await?;
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// TestFlow::new(TestAdapter::new(), Echo)
///     .send("hello")
///     .assert_reply("Echo: hello")
///     .test("bye", "Echo: bye")
///     .assert_no_reply()
///     .await;
/// # }
/// ```
#[must_use = "a TestFlow does nothing until it is awaited"]
pub struct TestFlow {
    adapter: TestAdapter,
    bot: Arc<dyn Bot>,
    steps: Vec<Step>,
    conversation: String,
    user: ChannelAccount,
    reply_timeout: Duration,
    skip_typing: bool,
}

impl TestFlow {
    /// A flow running `bot` on `adapter`, in the adapter's template conversation, as its user.
    pub fn new(adapter: TestAdapter, bot: impl Bot + 'static) -> Self {
        Self::with_shared_bot(adapter, Arc::new(bot))
    }

    /// A flow running a shared bot.
    pub fn with_shared_bot(adapter: TestAdapter, bot: Arc<dyn Bot>) -> Self {
        let template = adapter.template();
        let conversation = template
            .conversation_id()
            .unwrap_or(TestAdapter::DEFAULT_CONVERSATION)
            .to_owned();
        let user = template
            .user
            .clone()
            .unwrap_or_else(|| ChannelAccount::new(TestAdapter::DEFAULT_USER));
        Self {
            adapter,
            bot,
            steps: Vec::new(),
            conversation,
            user,
            reply_timeout: Duration::from_secs(3),
            skip_typing: false,
        }
    }

    /// The adapter, for work outside the flow (reading what was sent, proactive calls).
    pub fn adapter(&self) -> &TestAdapter {
        &self.adapter
    }

    /// How long an assertion waits for a reply (default 3 s).
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// Whether reply assertions skip typing indicators (default: no, typing activities are
    /// replies like any other).
    pub fn skip_typing(mut self, skip: bool) -> Self {
        self.skip_typing = skip;
        self
    }

    /// Later steps happen in the conversation with this id.
    pub fn in_conversation(mut self, conversation_id: impl Into<String>) -> Self {
        self.conversation = conversation_id.into();
        self
    }

    /// Later messages come from this user.
    pub fn from_user(mut self, user: ChannelAccount) -> Self {
        self.user = user;
        self
    }

    /// Sends a text message to the bot and waits for its turn to end. The turn must succeed.
    #[track_caller]
    pub fn send(self, text: impl Into<String>) -> Self {
        self.send_activity(Activity::message(text))
    }

    /// Sends an activity (missing fields are filled from the adapter's template, the current
    /// conversation and user). The turn must succeed.
    #[track_caller]
    pub fn send_activity(self, activity: Activity) -> Self {
        self.push(StepKind::Send(activity))
    }

    /// Sends a conversationUpdate in which the bot and the current user join.
    #[track_caller]
    pub fn send_conversation_update(self) -> Self {
        let mut activity = Activity::new(ActivityTypes::ConversationUpdate);
        let bot = self.adapter.template().bot.clone().unwrap_or_default();
        activity.members_added = Some(vec![bot, self.user.clone()]);
        self.push(StepKind::Send(activity))
    }

    /// Sends an activity whose turn must fail (its error reaches `on_turn_error`, whose
    /// replies can then be asserted).
    #[track_caller]
    pub fn send_expecting_error(self, activity: impl Into<Activity>) -> Self {
        self.push(StepKind::SendExpectingError(activity.into()))
    }

    /// Asserts that the next reply is a message with exactly this text.
    #[track_caller]
    pub fn assert_reply(self, expected: impl Into<String>) -> Self {
        let expected = expected.into();
        let description = format!("a message with text {expected:?}");
        self.assert_reply_check(
            description,
            Box::new(move |a| {
                if a.activity_type == ActivityTypes::Message && a.text() == expected {
                    Ok(())
                } else {
                    Err(describe(a))
                }
            }),
        )
    }

    /// Asserts that the next reply is a message whose text contains `part`.
    #[track_caller]
    pub fn assert_reply_contains(self, part: impl Into<String>) -> Self {
        let part = part.into();
        let description = format!("a message containing {part:?}");
        self.assert_reply_check(
            description,
            Box::new(move |a| {
                if a.activity_type == ActivityTypes::Message && a.text().contains(&part) {
                    Ok(())
                } else {
                    Err(describe(a))
                }
            }),
        )
    }

    /// Asserts that the next reply is a message with one of these texts.
    #[track_caller]
    pub fn assert_reply_one_of<I, S>(self, candidates: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let candidates: Vec<String> = candidates.into_iter().map(Into::into).collect();
        let description = format!("a message with one of the texts {candidates:?}");
        self.assert_reply_check(
            description,
            Box::new(move |a| {
                if a.activity_type == ActivityTypes::Message
                    && candidates.iter().any(|c| c == a.text())
                {
                    Ok(())
                } else {
                    Err(describe(a))
                }
            }),
        )
    }

    /// Sends an invoke activity and asserts the turn's invoke response (the HTTP answer the
    /// channel would get) is `expected`.
    #[track_caller]
    pub fn send_invoke(self, activity: Activity, expected: InvokeResponse) -> Self {
        self.push(StepKind::Invoke(activity, expected))
    }

    /// Asserts that the next reply satisfies a predicate; `description` says what was expected.
    #[track_caller]
    pub fn assert_reply_that(
        self,
        description: impl Into<String>,
        predicate: impl Fn(&Activity) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.assert_reply_check(
            description.into(),
            Box::new(move |a| {
                if predicate(a) {
                    Ok(())
                } else {
                    Err(describe(a))
                }
            }),
        )
    }

    /// Asserts that the next reply is a typing indicator.
    #[track_caller]
    pub fn assert_typing(self) -> Self {
        self.push(StepKind::Reply {
            description: "a typing indicator".to_owned(),
            check: Box::new(|a| {
                if a.activity_type == ActivityTypes::Typing {
                    Ok(())
                } else {
                    Err(describe(a))
                }
            }),
        })
    }

    /// Asserts that no reply arrives within the reply timeout.
    #[track_caller]
    pub fn assert_no_reply(self) -> Self {
        self.push(StepKind::NoReply)
    }

    /// Sends `text` and asserts the reply is exactly `expected`.
    #[track_caller]
    pub fn test(self, text: impl Into<String>, expected: impl Into<String>) -> Self {
        let location = Location::caller();
        let mut flow = self.send(text).assert_reply(expected);
        for step in flow.steps.iter_mut().rev().take(2) {
            step.location = location;
        }
        flow
    }

    /// Waits (in tokio time: instant under `tokio::time::pause()`).
    #[track_caller]
    pub fn delay(self, duration: Duration) -> Self {
        self.push(StepKind::Delay(duration))
    }

    /// Runs arbitrary async code at this point of the flow, such as an outside system
    /// completing a job through `continue_conversation`.
    #[track_caller]
    pub fn call<F, Fut>(self, f: F) -> Self
    where
        F: FnOnce(TestAdapter) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.push(StepKind::Call(Box::new(move |adapter| {
            Box::pin(f(adapter))
        })))
    }

    #[track_caller]
    fn assert_reply_check(self, description: String, check: Check) -> Self {
        self.push(StepKind::Reply { description, check })
    }

    #[track_caller]
    fn push(mut self, kind: StepKind) -> Self {
        self.steps.push(Step {
            kind,
            conversation: self.conversation.clone(),
            user: self.user.clone(),
            location: Location::caller(),
        });
        self
    }

    async fn run(self) {
        let TestFlow {
            adapter,
            bot,
            steps,
            reply_timeout,
            skip_typing,
            ..
        } = self;
        for (index, step) in steps.into_iter().enumerate() {
            let number = index + 1;
            let at = step.location;
            match step.kind {
                StepKind::Send(activity) => {
                    let activity = with_party(activity, &step.conversation, &step.user);
                    if let Err(e) = adapter.process_activity(activity, bot.as_ref()).await {
                        fail(number, at, "the turn to succeed", &turn_error(&e));
                    }
                }
                StepKind::SendExpectingError(activity) => {
                    let activity = with_party(activity, &step.conversation, &step.user);
                    if adapter
                        .process_activity(activity, bot.as_ref())
                        .await
                        .is_ok()
                    {
                        fail(number, at, "the turn to fail", "it succeeded");
                    }
                }
                StepKind::Invoke(activity, expected) => {
                    let activity = with_party(activity, &step.conversation, &step.user);
                    match adapter.process_invoke(activity, bot.as_ref()).await {
                        Err(e) => fail(number, at, "the turn to succeed", &turn_error(&e)),
                        Ok(actual) if actual != expected => fail(
                            number,
                            at,
                            &format!("the invoke response {expected:?}"),
                            &format!("{actual:?}"),
                        ),
                        Ok(_) => {}
                    }
                }
                StepKind::Reply { description, check } => {
                    let reply =
                        next_reply(&adapter, &step.conversation, reply_timeout, skip_typing).await;
                    match reply {
                        None => fail(
                            number,
                            at,
                            &format!("{description} in conversation {:?}", step.conversation),
                            &format!("no reply within {reply_timeout:?}"),
                        ),
                        Some(reply) => {
                            if let Err(actual) = check(&reply) {
                                fail(number, at, &description, &actual);
                            }
                        }
                    }
                }
                StepKind::NoReply => {
                    if let Some(reply) =
                        next_reply(&adapter, &step.conversation, reply_timeout, skip_typing).await
                    {
                        fail(
                            number,
                            at,
                            &format!("no reply in conversation {:?}", step.conversation),
                            &describe(&reply),
                        );
                    }
                }
                StepKind::Delay(duration) => tokio::time::sleep(duration).await,
                StepKind::Call(f) => f(adapter.clone()).await,
            }
        }
    }
}

async fn next_reply(
    adapter: &TestAdapter,
    conversation: &str,
    timeout: Duration,
    skip_typing: bool,
) -> Option<Activity> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let reply = adapter.wait_for_reply(conversation, left).await?;
        if !(skip_typing && reply.activity_type == ActivityTypes::Typing) {
            return Some(reply);
        }
    }
}

fn with_party(mut activity: Activity, conversation: &str, user: &ChannelAccount) -> Activity {
    if activity.conversation.is_none() {
        activity.conversation = Some(ConversationAccount::new(conversation));
    }
    if activity.from.is_none() {
        activity.from = Some(user.clone());
    }
    activity
}

fn turn_error(error: &Error) -> String {
    crate::error::report(error).to_string()
}

fn describe(activity: &Activity) -> String {
    let mut out = format!("a {} activity", activity.activity_type);
    if let Some(text) = &activity.text {
        out.push_str(&format!(" with text {text:?}"));
    }
    if let Some(name) = &activity.name {
        out.push_str(&format!(" named {name:?}"));
    }
    if let Some(conversation) = activity.conversation_id() {
        out.push_str(&format!(" in conversation {conversation:?}"));
    }
    if let Some(actions) = &activity.suggested_actions {
        let titles: Vec<&str> = actions
            .actions
            .iter()
            .filter_map(|a| a.title.as_deref())
            .collect();
        out.push_str(&format!(", suggested actions {titles:?}"));
    }
    if !activity.attachments().is_empty() {
        let types: Vec<&str> = activity
            .attachments()
            .iter()
            .map(|a| a.content_type.as_str())
            .collect();
        out.push_str(&format!(", attachments {types:?}"));
    }
    out
}

#[track_caller]
fn fail(step: usize, at: &Location<'_>, expected: &str, actual: &str) -> ! {
    panic!(
        "TestFlow step {step} (declared at {}:{}:{}) failed\n  expected: {expected}\n    actual: {actual}",
        at.file(),
        at.line(),
        at.column()
    );
}

impl IntoFuture for TestFlow {
    type Output = ();
    type IntoFuture = BoxFuture<'static, ()>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl fmt::Debug for TestFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestFlow")
            .field("steps", &self.steps.len())
            .field("conversation", &self.conversation)
            .field("reply_timeout", &self.reply_timeout)
            .finish_non_exhaustive()
    }
}
