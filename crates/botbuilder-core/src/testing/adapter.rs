//! [`TestAdapter`]: runs a bot in memory, with no HTTP.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_schema::{
    Activity, ChannelAccount, ChannelId, ConversationAccount, ConversationParameters,
    ConversationReference, InvokeResponse, ResourceResponse, RoleTypes, Timestamp,
};
use tokio::sync::Notify;

use super::TestUserTokens;
use crate::adapter::{ContinueLogic, TurnPipeline};
use crate::user_token::UserTokenProvider;
use crate::{Bot, BotAdapter, ConversationLocks, Error, Middleware, TurnContext, TurnErrorHandler};

/// An in-memory adapter for unit tests: feed it activities, read what the bot sent, per
/// conversation. Proactive turns (`continue_conversation`) and `create_conversation` work,
/// so proactive bots can be tested (BotBuilder-JS's TestAdapter rejects them).
///
/// Cheap to clone; clones share the conversations and what the bot sent. Turns run through a
/// [`TurnPipeline`], as in every adapter: the `with_*` methods return a new adapter with its
/// own pipeline and leave existing clones as they are.
///
/// Turns of one conversation run one at a time, in arrival order, as
/// [`ConversationLocks`] orders them (see `docs/state.md`); turn it off with
/// [`with_turn_ordering(false)`](Self::with_turn_ordering).
///
/// ```
/// use botbuilder_core::{bot_fn, testing::TestAdapter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let adapter = TestAdapter::new();
/// let echo = bot_fn(async |ctx| {
///     let text = ctx.activity().text().to_owned();
///     ctx.send_activity(text).await?;
///     Ok(())
/// });
/// adapter.send_text("hello", &echo).await?;
/// let reply = adapter.next_reply(TestAdapter::DEFAULT_CONVERSATION).expect("a reply");
/// assert_eq!(reply.text(), "hello");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TestAdapter {
    inner: Arc<Inner>,
    pipeline: TurnPipeline,
    user_tokens: TestUserTokens,
    /// `user_tokens` as every turn's token service (one allocation, not one per turn).
    user_token_provider: Arc<dyn UserTokenProvider>,
}

struct Inner {
    template: ConversationReference,
    next_id: AtomicU64,
    next_conversation: AtomicU64,
    log: Mutex<Log>,
    notify: Notify,
}

#[derive(Default)]
struct Log {
    pending: HashMap<String, VecDeque<Activity>>,
    sent: Vec<Activity>,
    updated: Vec<Activity>,
    deleted: Vec<ConversationReference>,
}

impl Default for TestAdapter {
    fn default() -> Self {
        Self::new()
    }
}

impl TestAdapter {
    /// The conversation id of the default template.
    pub const DEFAULT_CONVERSATION: &'static str = "convo1";
    /// The user id of the default template.
    pub const DEFAULT_USER: &'static str = "user1";
    /// The bot id of the default template.
    pub const DEFAULT_BOT: &'static str = "bot";

    /// An adapter on the `test` channel: service URL `https://test.com`, user `user1`, bot
    /// `bot`, conversation `convo1`, locale `en-US`.
    #[must_use]
    pub fn new() -> Self {
        Self::with_template(ConversationReference {
            channel_id: Some(ChannelId::Test),
            service_url: Some("https://test.com".to_owned()),
            user: Some(
                ChannelAccount::new(Self::DEFAULT_USER)
                    .with_name("User1")
                    .with_role(RoleTypes::User),
            ),
            bot: Some(
                ChannelAccount::new(Self::DEFAULT_BOT)
                    .with_name("Bot")
                    .with_role(RoleTypes::Bot),
            ),
            conversation: Some(ConversationAccount::new(Self::DEFAULT_CONVERSATION)),
            locale: Some("en-US".to_owned()),
            ..ConversationReference::default()
        })
    }

    /// An adapter whose incoming activities are filled from this reference (channel, service
    /// URL, user, bot, conversation, locale).
    #[must_use]
    pub fn with_template(template: ConversationReference) -> Self {
        let user_tokens = TestUserTokens::new();
        Self {
            inner: Arc::new(Inner {
                template,
                next_id: AtomicU64::new(1),
                next_conversation: AtomicU64::new(1),
                log: Mutex::new(Log::default()),
                notify: Notify::new(),
            }),
            pipeline: TurnPipeline::new(),
            user_tokens: user_tokens.clone(),
            user_token_provider: Arc::new(user_tokens),
        }
    }

    /// The template incoming activities are filled from.
    #[must_use]
    pub fn template(&self) -> &ConversationReference {
        &self.inner.template
    }

    /// This adapter with a middleware added to every turn (after those already added).
    #[must_use]
    pub fn with_middleware(mut self, middleware: impl Middleware + 'static) -> Self {
        self.pipeline = self.pipeline.with_middleware(middleware);
        self
    }

    /// This adapter with the default turn-error handler replaced.
    #[must_use]
    pub fn with_on_turn_error(mut self, handler: impl TurnErrorHandler + 'static) -> Self {
        self.pipeline = self.pipeline.with_on_turn_error(handler);
        self
    }

    /// Whether turns of one conversation run one at a time (the default), or all at once as
    /// they arrive (see [`TurnPipeline::with_turn_ordering`](crate::adapter::TurnPipeline::with_turn_ordering)).
    /// Turning it off shows what state conflicts look like without it.
    #[must_use]
    pub fn with_turn_ordering(mut self, ordering: impl Into<crate::TurnOrdering>) -> Self {
        self.pipeline = self.pipeline.with_turn_ordering(ordering);
        self
    }

    /// This adapter with another in-memory token service, for example one shared with another
    /// adapter (two bot instances of one bot share the token service).
    #[must_use]
    pub fn with_user_tokens(mut self, user_tokens: TestUserTokens) -> Self {
        self.user_token_provider = Arc::new(user_tokens.clone());
        self.user_tokens = user_tokens;
        self
    }

    /// The in-memory token service of every turn (in the turn state as the turn's
    /// [`UserTokenProvider`]): add users' tokens, magic codes and exchangeable tokens here.
    #[must_use]
    pub fn user_tokens(&self) -> &TestUserTokens {
        &self.user_tokens
    }

    /// A context for a turn of this adapter, with the token service in its turn state.
    fn context(&self, ctx: TurnContext) -> TurnContext {
        let mut ctx = ctx;
        ctx.set_user_token_provider(Arc::clone(&self.user_token_provider));
        ctx
    }

    /// The pipeline turns run through.
    #[must_use]
    pub fn pipeline(&self) -> &TurnPipeline {
        &self.pipeline
    }

    /// The locks that order turns, unless ordering is off.
    #[must_use]
    pub fn conversation_locks(&self) -> Option<&ConversationLocks> {
        self.pipeline.conversation_locks()
    }

    /// The conversation reference for a user and conversation of this adapter's channel.
    #[must_use]
    pub fn reference_for(
        &self,
        user: &ChannelAccount,
        conversation_id: &str,
    ) -> ConversationReference {
        let mut reference = self.inner.template.clone();
        reference.user = Some(user.clone());
        reference.conversation = Some(ConversationAccount::new(conversation_id));
        reference
    }

    /// A message from the template's user in the template's conversation, ready to process.
    #[must_use]
    pub fn make_activity(&self, text: impl Into<String>) -> Activity {
        self.complete_incoming(Activity::message(text))
    }

    /// Fills what an incoming activity lacks from the template: channel, service URL,
    /// conversation, `from` (the user), `recipient` (the bot), locale, a fresh `id` and a
    /// timestamp.
    #[must_use]
    pub fn complete_incoming(&self, mut activity: Activity) -> Activity {
        let t = &self.inner.template;
        if activity.channel_id.is_none() {
            activity.channel_id.clone_from(&t.channel_id);
        }
        if activity.service_url.is_none() {
            activity.service_url.clone_from(&t.service_url);
        }
        if activity.conversation.is_none() {
            activity.conversation.clone_from(&t.conversation);
        }
        if activity.from.is_none() {
            activity.from.clone_from(&t.user);
        }
        if activity.recipient.is_none() {
            activity.recipient.clone_from(&t.bot);
        }
        if activity.locale.is_none() {
            activity.locale.clone_from(&t.locale);
        }
        if activity.id.is_none() {
            activity.id = Some(self.new_id());
        }
        if activity.timestamp.is_none() {
            activity.timestamp = Some(Timestamp::now());
        }
        activity
    }

    /// Runs a turn for an activity (completed from the template) through middleware and bot.
    ///
    /// # Errors
    /// [`Error::Turn`] when the turn failed (after `on_turn_error` ran).
    pub async fn process_activity(&self, activity: Activity, bot: &dyn Bot) -> Result<(), Error> {
        let activity = self.complete_incoming(activity);
        let mut ctx = self.context(TurnContext::new(Arc::new(self.clone()), activity));
        self.pipeline.run_turn(&mut ctx, bot).await
    }

    /// Runs a turn for an invoke activity (completed from the template) and returns its invoke
    /// response: what the bot set, or 501 when it set none (as the HTTP adapter answers).
    ///
    /// # Errors
    /// [`Error::Turn`] when the turn failed.
    pub async fn process_invoke(
        &self,
        activity: Activity,
        bot: &dyn Bot,
    ) -> Result<InvokeResponse, Error> {
        let activity = self.complete_incoming(activity);
        let mut ctx = self.context(TurnContext::new(Arc::new(self.clone()), activity));
        self.pipeline.run_turn(&mut ctx, bot).await?;
        Ok(ctx
            .invoke_response()
            .unwrap_or_else(InvokeResponse::not_implemented))
    }

    /// Sends a text message from the template's user to the bot; see
    /// [`TestAdapter::process_activity`].
    ///
    /// # Errors
    /// [`Error::Turn`] when the turn failed.
    pub async fn send_text(&self, text: impl Into<String>, bot: &dyn Bot) -> Result<(), Error> {
        self.process_activity(Activity::message(text), bot).await
    }

    /// Takes the oldest reply not yet taken in a conversation, if any.
    #[must_use]
    pub fn next_reply(&self, conversation_id: &str) -> Option<Activity> {
        lock(&self.inner.log)
            .pending
            .get_mut(conversation_id)
            .and_then(VecDeque::pop_front)
    }

    /// Waits up to `timeout` for the next reply in a conversation. Under
    /// `tokio::time::pause()` the wait is instant and deterministic.
    pub async fn wait_for_reply(
        &self,
        conversation_id: &str,
        timeout: Duration,
    ) -> Option<Activity> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.notify.notified();
            if let Some(reply) = self.next_reply(conversation_id) {
                return Some(reply);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.next_reply(conversation_id);
            }
        }
    }

    /// Replies not yet taken in a conversation, oldest first (they stay queued).
    #[must_use]
    pub fn pending_replies(&self, conversation_id: &str) -> Vec<Activity> {
        lock(&self.inner.log)
            .pending
            .get(conversation_id)
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Every activity the bot sent, in all conversations, in order.
    #[must_use]
    pub fn sent_activities(&self) -> Vec<Activity> {
        lock(&self.inner.log).sent.clone()
    }

    /// Every activity the bot updated, in order.
    #[must_use]
    pub fn updated_activities(&self) -> Vec<Activity> {
        lock(&self.inner.log).updated.clone()
    }

    /// Every deletion the bot asked for, in order.
    #[must_use]
    pub fn deleted_activities(&self) -> Vec<ConversationReference> {
        lock(&self.inner.log).deleted.clone()
    }

    fn new_id(&self) -> String {
        self.inner
            .next_id
            .fetch_add(1, Ordering::Relaxed)
            .to_string()
    }
}

#[async_trait]
impl BotAdapter for TestAdapter {
    async fn send_activities(
        &self,
        _ctx: &TurnContext,
        activities: Vec<Activity>,
    ) -> Result<Vec<ResourceResponse>, Error> {
        let mut responses = Vec::with_capacity(activities.len());
        {
            let mut log = lock(&self.inner.log);
            for mut activity in activities {
                let id = self.new_id();
                activity.id = Some(id.clone());
                if activity.timestamp.is_none() {
                    activity.timestamp = Some(Timestamp::now());
                }
                let conversation = activity.conversation_id().unwrap_or("").to_owned();
                log.sent.push(activity.clone());
                log.pending
                    .entry(conversation)
                    .or_default()
                    .push_back(activity);
                responses.push(ResourceResponse::new(id));
            }
        }
        self.inner.notify.notify_waiters();
        Ok(responses)
    }

    async fn update_activity(
        &self,
        _ctx: &TurnContext,
        activity: Activity,
    ) -> Result<ResourceResponse, Error> {
        let id = activity.id.clone().unwrap_or_default();
        lock(&self.inner.log).updated.push(activity);
        Ok(ResourceResponse::new(id))
    }

    async fn delete_activity(
        &self,
        _ctx: &TurnContext,
        reference: ConversationReference,
    ) -> Result<(), Error> {
        lock(&self.inner.log).deleted.push(reference);
        Ok(())
    }

    async fn proactive_turn(
        &self,
        reference: ConversationReference,
        logic: ContinueLogic,
    ) -> Result<(), Error> {
        reference.validate()?;
        let mut ctx = self.context(TurnContext::proactive(Arc::new(self.clone()), &reference));
        self.pipeline.run_proactive(&mut ctx, logic).await
    }

    async fn create_conversation_turn(
        &self,
        reference: ConversationReference,
        parameters: ConversationParameters,
        logic: ContinueLogic,
    ) -> Result<(), Error> {
        let number = self.inner.next_conversation.fetch_add(1, Ordering::Relaxed);
        let mut conversation = ConversationAccount::new(format!("created-{number}"));
        conversation.is_group = parameters.is_group;
        conversation.tenant_id.clone_from(&parameters.tenant_id);
        let mut new_reference = ConversationReference {
            conversation: Some(conversation),
            activity_id: None,
            ..reference
        };
        if new_reference.channel_id.is_none() {
            new_reference
                .channel_id
                .clone_from(&self.inner.template.channel_id);
        }
        if new_reference.service_url.is_none() {
            new_reference
                .service_url
                .clone_from(&self.inner.template.service_url);
        }
        if new_reference.bot.is_none() {
            new_reference.bot = parameters
                .bot
                .clone()
                .or_else(|| self.inner.template.bot.clone());
        }
        if new_reference.user.is_none() {
            new_reference.user = parameters.members.as_ref().and_then(|m| m.first().cloned());
        }
        let mut ctx = self.context(TurnContext::proactive(
            Arc::new(self.clone()),
            &new_reference,
        ));
        if let Some(first) = parameters.activity {
            ctx.send_activity(first).await?;
        }
        self.pipeline.run_proactive(&mut ctx, logic).await
    }
}

impl fmt::Debug for TestAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let log = lock(&self.inner.log);
        f.debug_struct("TestAdapter")
            .field("channel_id", &self.inner.template.channel_id)
            .field("sent", &log.sent.len())
            .field(
                "pending",
                &log.pending.values().map(VecDeque::len).sum::<usize>(),
            )
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
