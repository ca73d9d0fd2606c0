//! [`TurnContext`]: one turn's incoming activity, and how the bot talks back.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use botbuilder_schema::{
    Activity, ActivityTypes, ConversationReference, DeliveryModes, InvokeResponse, ResourceResponse,
};
use serde_json::Value;

use crate::callback::Call3;
use crate::{BotAdapter, Error, TurnState};

/// Intercepts the activities a turn sends: inspect, change or swallow them.
///
/// Hooks run in registration order; each decides whether to call `next.run(activities)`
/// (possibly with changed activities). Not calling it swallows the send: nothing reaches the
/// channel and the hook's return value is what `send_activities` returns.
///
/// Implement it on a type, or make one from a closure with [`send_hook`]:
///
/// ```
/// use botbuilder_core::{send_hook, TurnContext};
///
/// fn shout(ctx: &mut TurnContext) {
///     ctx.on_send_activities(send_hook(async |_ctx, mut activities, next| {
///         for a in &mut activities {
///             a.text = a.text.take().map(|t| t.to_uppercase());
///         }
///         next.run(activities).await
///     }));
/// }
/// ```
#[async_trait]
pub trait SendActivitiesHook: Send + Sync {
    /// Called with the completed outgoing activities.
    async fn on_send_activities(
        &self,
        ctx: &TurnContext,
        activities: Vec<Activity>,
        next: SendNext<'_>,
    ) -> Result<Vec<ResourceResponse>, Error>;
}

/// Intercepts activity updates; see [`SendActivitiesHook`].
#[async_trait]
pub trait UpdateActivityHook: Send + Sync {
    /// Called with the activity to update (its `id` names the activity replaced).
    async fn on_update_activity(
        &self,
        ctx: &TurnContext,
        activity: Activity,
        next: UpdateNext<'_>,
    ) -> Result<ResourceResponse, Error>;
}

/// Intercepts activity deletions; see [`SendActivitiesHook`].
#[async_trait]
pub trait DeleteActivityHook: Send + Sync {
    /// Called with a reference whose `activityId` names the activity to delete.
    async fn on_delete_activity(
        &self,
        ctx: &TurnContext,
        reference: ConversationReference,
        next: DeleteNext<'_>,
    ) -> Result<(), Error>;
}

/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A hook made from an async closure; see [`send_hook`], [`update_hook`] and
/// [`delete_hook`]. The closure is cloned for each call (see [`callback`](crate::callback)).
#[derive(Clone)]
pub struct HookFn<F>(F);

impl<F> fmt::Debug for HookFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HookFn")
    }
}

/// Makes a [`SendActivitiesHook`] from an async closure.
pub fn send_hook<F>(f: F) -> HookFn<F>
where
    F: AsyncFnOnce(
            &TurnContext,
            Vec<Activity>,
            SendNext<'_>,
        ) -> Result<Vec<ResourceResponse>, Error>
        + for<'a> Call3<
            'a,
            &'a TurnContext,
            Vec<Activity>,
            SendNext<'a>,
            Result<Vec<ResourceResponse>, Error>,
        > + Clone
        + Sync,
{
    HookFn(f)
}

/// Makes an [`UpdateActivityHook`] from an async closure.
pub fn update_hook<F>(f: F) -> HookFn<F>
where
    F: AsyncFnOnce(&TurnContext, Activity, UpdateNext<'_>) -> Result<ResourceResponse, Error>
        + for<'a> Call3<
            'a,
            &'a TurnContext,
            Activity,
            UpdateNext<'a>,
            Result<ResourceResponse, Error>,
        > + Clone
        + Sync,
{
    HookFn(f)
}

/// Makes a [`DeleteActivityHook`] from an async closure.
pub fn delete_hook<F>(f: F) -> HookFn<F>
where
    F: AsyncFnOnce(&TurnContext, ConversationReference, DeleteNext<'_>) -> Result<(), Error>
        + for<'a> Call3<'a, &'a TurnContext, ConversationReference, DeleteNext<'a>, Result<(), Error>>
        + Clone
        + Sync,
{
    HookFn(f)
}

#[async_trait]
impl<F> SendActivitiesHook for HookFn<F>
where
    F: for<'a> Call3<
            'a,
            &'a TurnContext,
            Vec<Activity>,
            SendNext<'a>,
            Result<Vec<ResourceResponse>, Error>,
        > + Clone
        + Sync,
{
    async fn on_send_activities(
        &self,
        ctx: &TurnContext,
        activities: Vec<Activity>,
        next: SendNext<'_>,
    ) -> Result<Vec<ResourceResponse>, Error> {
        self.0.clone().call_boxed(ctx, activities, next).await
    }
}

#[async_trait]
impl<F> UpdateActivityHook for HookFn<F>
where
    F: for<'a> Call3<
            'a,
            &'a TurnContext,
            Activity,
            UpdateNext<'a>,
            Result<ResourceResponse, Error>,
        > + Clone
        + Sync,
{
    async fn on_update_activity(
        &self,
        ctx: &TurnContext,
        activity: Activity,
        next: UpdateNext<'_>,
    ) -> Result<ResourceResponse, Error> {
        self.0.clone().call_boxed(ctx, activity, next).await
    }
}

#[async_trait]
impl<F> DeleteActivityHook for HookFn<F>
where
    F: for<'a> Call3<'a, &'a TurnContext, ConversationReference, DeleteNext<'a>, Result<(), Error>>
        + Clone
        + Sync,
{
    async fn on_delete_activity(
        &self,
        ctx: &TurnContext,
        reference: ConversationReference,
        next: DeleteNext<'_>,
    ) -> Result<(), Error> {
        self.0.clone().call_boxed(ctx, reference, next).await
    }
}

/// The rest of the send chain, handed to a [`SendActivitiesHook`].
#[must_use = "the activities are not sent unless `run` is awaited"]
pub struct SendNext<'a> {
    ctx: &'a TurnContext,
    hooks: &'a [Arc<dyn SendActivitiesHook>],
}

impl SendNext<'_> {
    /// Passes the activities to the next hook, or delivers them when none is left.
    ///
    /// # Errors
    /// Whatever a later hook or the adapter returns.
    pub async fn run(self, activities: Vec<Activity>) -> Result<Vec<ResourceResponse>, Error> {
        match self.hooks.split_first() {
            Some((hook, rest)) => {
                hook.on_send_activities(
                    self.ctx,
                    activities,
                    SendNext {
                        ctx: self.ctx,
                        hooks: rest,
                    },
                )
                .await
            }
            None => self.ctx.deliver(activities).await,
        }
    }
}

impl fmt::Debug for SendNext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendNext")
            .field("hooks_left", &self.hooks.len())
            .finish()
    }
}

/// The rest of the update chain, handed to an [`UpdateActivityHook`].
#[must_use = "the activity is not updated unless `run` is awaited"]
pub struct UpdateNext<'a> {
    ctx: &'a TurnContext,
    hooks: &'a [Arc<dyn UpdateActivityHook>],
}

impl UpdateNext<'_> {
    /// Passes the activity to the next hook, or to the adapter when none is left.
    ///
    /// # Errors
    /// Whatever a later hook or the adapter returns.
    pub async fn run(self, activity: Activity) -> Result<ResourceResponse, Error> {
        match self.hooks.split_first() {
            Some((hook, rest)) => {
                hook.on_update_activity(
                    self.ctx,
                    activity,
                    UpdateNext {
                        ctx: self.ctx,
                        hooks: rest,
                    },
                )
                .await
            }
            None => self.ctx.adapter.update_activity(self.ctx, activity).await,
        }
    }
}

impl fmt::Debug for UpdateNext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateNext")
            .field("hooks_left", &self.hooks.len())
            .finish()
    }
}

/// The rest of the delete chain, handed to a [`DeleteActivityHook`].
#[must_use = "the activity is not deleted unless `run` is awaited"]
pub struct DeleteNext<'a> {
    ctx: &'a TurnContext,
    hooks: &'a [Arc<dyn DeleteActivityHook>],
}

impl DeleteNext<'_> {
    /// Passes the reference to the next hook, or to the adapter when none is left.
    ///
    /// # Errors
    /// Whatever a later hook or the adapter returns.
    pub async fn run(self, reference: ConversationReference) -> Result<(), Error> {
        match self.hooks.split_first() {
            Some((hook, rest)) => {
                hook.on_delete_activity(
                    self.ctx,
                    reference,
                    DeleteNext {
                        ctx: self.ctx,
                        hooks: rest,
                    },
                )
                .await
            }
            None => self.ctx.adapter.delete_activity(self.ctx, reference).await,
        }
    }
}

impl fmt::Debug for DeleteNext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeleteNext")
            .field("hooks_left", &self.hooks.len())
            .finish()
    }
}

/// One turn: the incoming activity, the adapter that runs it, and the ways to answer.
///
/// The pipeline passes `&mut TurnContext` (to register hooks and turn state), but reading and
/// sending take `&self`, so this compiles:
///
/// ```
/// # use botbuilder_core::{TurnContext, TurnResult};
/// async fn echo(ctx: &mut TurnContext) -> TurnResult {
///     let text = ctx.activity().text();
///     ctx.send_activity(format!("Echo: {text}")).await?;
///     Ok(())
/// }
/// ```
///
/// Outgoing activities are completed from the incoming one: the conversation reference is
/// applied (channel, service URL, conversation, `from` = the bot, `recipient` = the user,
/// `replyToId` = the incoming id unless set, locale unless set), and a caller-set `id` is not
/// sent. When the incoming activity asks for `expectReplies`, replies are buffered and
/// returned in the HTTP response instead of sent; an `invokeResponse` activity is captured
/// as the turn's [`InvokeResponse`].
pub struct TurnContext {
    adapter: Arc<dyn BotAdapter>,
    /// Boxed: an `Activity` is over 2 KB, and a context lives in the futures of the turn.
    activity: Box<Activity>,
    /// The reference of the activity as it came, made when first asked for, or before the
    /// activity is first changed ([`activity_mut`](Self::activity_mut)). Until then replies
    /// are completed from the activity itself, which is the same and copies nothing twice.
    reference: OnceLock<ConversationReference>,
    proactive: bool,
    responded: AtomicBool,
    buffered_replies: Mutex<Vec<Activity>>,
    invoke_response: Mutex<Option<InvokeResponse>>,
    send_hooks: Vec<Arc<dyn SendActivitiesHook>>,
    update_hooks: Vec<Arc<dyn UpdateActivityHook>>,
    delete_hooks: Vec<Arc<dyn DeleteActivityHook>>,
    turn_state: TurnState,
}

impl TurnContext {
    /// A context for a turn started by an incoming activity. Adapters call this; one that
    /// holds the activity in a `Box` already passes the box, which is kept as it is.
    #[must_use]
    pub fn new(adapter: Arc<dyn BotAdapter>, activity: impl Into<Box<Activity>>) -> Self {
        Self {
            adapter,
            activity: activity.into(),
            reference: OnceLock::new(),
            proactive: false,
            responded: AtomicBool::new(false),
            buffered_replies: Mutex::new(Vec::new()),
            invoke_response: Mutex::new(None),
            send_hooks: Vec::new(),
            update_hooks: Vec::new(),
            delete_hooks: Vec::new(),
            turn_state: TurnState::default(),
        }
    }

    /// A context for a proactive turn in the conversation of `reference`: its activity is the
    /// reference's [continuation activity](ConversationReference::continuation_activity).
    /// Adapters call this from `continue_conversation`.
    #[must_use]
    pub fn proactive(adapter: Arc<dyn BotAdapter>, reference: &ConversationReference) -> Self {
        let mut ctx = Self::new(adapter, reference.continuation_activity());
        ctx.proactive = true;
        ctx
    }

    /// A context sharing this turn's adapter and activity, with no hooks and empty turn state,
    /// for work that runs beside the turn (a typing loop) and sends straight through the
    /// adapter.
    #[must_use]
    pub fn detached(&self) -> Self {
        let mut ctx = Self::new(self.adapter.clone(), self.activity.clone());
        ctx.proactive = self.proactive;
        ctx
    }

    /// The incoming activity.
    #[must_use]
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// The incoming activity, mutably (middleware that normalises text, for example).
    pub fn activity_mut(&mut self) -> &mut Activity {
        // The reference stays the one of the activity as it came.
        self.reference
            .get_or_init(|| self.activity.conversation_reference());
        &mut self.activity
    }

    /// The conversation reference of the incoming activity, as it was when the turn started.
    #[must_use]
    pub fn conversation_reference(&self) -> &ConversationReference {
        self.reference
            .get_or_init(|| self.activity.conversation_reference())
    }

    /// The reference of a message this turn sent, from the [`ResourceResponse`] of its send:
    /// the turn's [conversation reference](TurnContext::conversation_reference) with
    /// `activityId` = the response's id (BotBuilder's `getReplyConversationReference`). Keep
    /// it, and in a later turn (`continue_conversation`) update the message
    /// (`update_activity` with `id` = its `activity_id`) or delete it
    /// ([`TurnContext::delete_activity_by_reference`]).
    ///
    /// ```
    /// # use botbuilder_core::{TurnContext, Error};
    /// # use botbuilder_schema::ConversationReference;
    /// async fn start(ctx: &TurnContext) -> Result<ConversationReference, Error> {
    ///     let sent = ctx.send_activity("Working on it…").await?;
    ///     Ok(ctx.reply_conversation_reference(&sent))
    /// }
    /// ```
    #[must_use]
    pub fn reply_conversation_reference(&self, reply: &ResourceResponse) -> ConversationReference {
        ConversationReference {
            activity_id: Some(reply.id.clone()).filter(|id| !id.is_empty()),
            ..self.conversation_reference().clone()
        }
    }

    /// The adapter running this turn; clone it for proactive work after the turn.
    #[must_use]
    pub fn adapter(&self) -> &Arc<dyn BotAdapter> {
        &self.adapter
    }

    /// Whether this is a proactive turn started by `continue_conversation`.
    #[must_use]
    pub fn is_proactive(&self) -> bool {
        self.proactive
    }

    /// Whether the bot has sent a non-trace activity in this turn.
    #[must_use]
    pub fn responded(&self) -> bool {
        self.responded.load(Ordering::Acquire)
    }

    /// Values that live for this turn, one per type.
    #[must_use]
    pub fn turn_state(&self) -> &TurnState {
        &self.turn_state
    }

    /// Values that live for this turn, mutably.
    pub fn turn_state_mut(&mut self) -> &mut TurnState {
        &mut self.turn_state
    }

    /// Registers a hook on every send of this turn (after the hooks already registered).
    pub fn on_send_activities(&mut self, hook: impl SendActivitiesHook + 'static) -> &mut Self {
        self.send_hooks.push(Arc::new(hook));
        self
    }

    /// Registers a hook on every update of this turn.
    pub fn on_update_activity(&mut self, hook: impl UpdateActivityHook + 'static) -> &mut Self {
        self.update_hooks.push(Arc::new(hook));
        self
    }

    /// Registers a hook on every delete of this turn.
    pub fn on_delete_activity(&mut self, hook: impl DeleteActivityHook + 'static) -> &mut Self {
        self.delete_hooks.push(Arc::new(hook));
        self
    }

    /// Sends one activity into the conversation. A `&str` or `String` is a message with
    /// `inputHint` = `acceptingInput`, as in BotBuilder; an [`Activity`] is sent as built.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the channel refused or could not be reached; a hook's error.
    pub async fn send_activity(
        &self,
        activity: impl Into<Activity>,
    ) -> Result<ResourceResponse, Error> {
        let mut responses = self.send_activities(vec![activity.into()]).await?;
        Ok(responses.pop().unwrap_or_default())
    }

    /// Sends several activities, in order.
    ///
    /// Returns one [`ResourceResponse`] per activity delivered (its id is empty when the reply
    /// was buffered for `expectReplies` or captured as an invoke response).
    ///
    /// # Errors
    /// See [`TurnContext::send_activity`].
    pub async fn send_activities(
        &self,
        activities: Vec<Activity>,
    ) -> Result<Vec<ResourceResponse>, Error> {
        let mut activities = activities;
        for activity in &mut activities {
            self.complete_outgoing(activity);
        }
        SendNext {
            ctx: self,
            hooks: &self.send_hooks,
        }
        .run(activities)
        .await
    }

    /// Sends a trace activity, timestamped now (shown by the Emulator, kept in transcripts, not
    /// delivered to other channels). It does not set [`TurnContext::responded`].
    ///
    /// # Errors
    /// See [`TurnContext::send_activity`].
    pub async fn send_trace_activity(
        &self,
        name: impl Into<String>,
        value: Option<Value>,
        value_type: Option<String>,
        label: Option<String>,
    ) -> Result<ResourceResponse, Error> {
        self.send_activity(Activity::trace(name, value, value_type, label))
            .await
    }

    /// Replaces a previously sent activity; `activity.id` names it.
    ///
    /// # Errors
    /// [`Error::Adapter`] from the channel; a hook's error.
    pub async fn update_activity(&self, activity: Activity) -> Result<ResourceResponse, Error> {
        let mut activity = activity;
        activity.apply_conversation_reference(self.conversation_reference(), false);
        UpdateNext {
            ctx: self,
            hooks: &self.update_hooks,
        }
        .run(activity)
        .await
    }

    /// Deletes a previously sent activity of this conversation.
    ///
    /// # Errors
    /// [`Error::Adapter`] from the channel; a hook's error.
    pub async fn delete_activity(&self, activity_id: impl Into<String>) -> Result<(), Error> {
        let mut reference = self.conversation_reference().clone();
        reference.activity_id = Some(activity_id.into());
        self.delete_activity_by_reference(reference).await
    }

    /// Deletes the activity named by a conversation reference's `activityId`.
    ///
    /// # Errors
    /// [`Error::Adapter`] from the channel; a hook's error.
    pub async fn delete_activity_by_reference(
        &self,
        reference: ConversationReference,
    ) -> Result<(), Error> {
        DeleteNext {
            ctx: self,
            hooks: &self.delete_hooks,
        }
        .run(reference)
        .await
    }

    /// Whether replies of this turn are buffered for the HTTP response (`expectReplies`).
    #[must_use]
    pub fn expects_replies(&self) -> bool {
        self.activity.delivery_mode == Some(DeliveryModes::ExpectReplies)
    }

    /// Takes the replies buffered for `expectReplies`. Adapters call this after the turn.
    pub fn take_buffered_replies(&self) -> Vec<Activity> {
        std::mem::take(&mut *lock(&self.buffered_replies))
    }

    /// The invoke response captured in this turn, if the bot sent one.
    #[must_use]
    pub fn invoke_response(&self) -> Option<InvokeResponse> {
        lock(&self.invoke_response).clone()
    }

    /// Sets the turn's invoke response directly (what sending an `invokeResponse` activity does).
    pub fn set_invoke_response(&self, response: InvokeResponse) {
        *lock(&self.invoke_response) = Some(response);
    }

    fn complete_outgoing(&self, activity: &mut Activity) {
        activity.id = None;
        match self.reference.get() {
            Some(reference) => activity.apply_conversation_reference(reference, false),
            // The activity is as it came: the same, without copying the reference first.
            None => activity.apply_reference_of(&self.activity),
        }
    }

    /// The end of the send chain: capture invoke responses, buffer `expectReplies`, hand the
    /// rest to the adapter, and note that the bot responded.
    async fn deliver(&self, activities: Vec<Activity>) -> Result<Vec<ResourceResponse>, Error> {
        let sent_non_trace = activities
            .iter()
            .any(|a| a.activity_type != ActivityTypes::Trace);
        let buffer = self.expects_replies();
        // The usual case: everything goes to the adapter, as it is (no second list).
        if !buffer
            && activities
                .iter()
                .all(|a| a.activity_type != ActivityTypes::InvokeResponse)
        {
            let count = activities.len();
            let mut responses = if count == 0 {
                Vec::new()
            } else {
                self.adapter.send_activities(self, activities).await?
            };
            // One response per activity, whatever the adapter returned.
            responses.truncate(count);
            responses.resize(count, ResourceResponse::default());
            if sent_non_trace {
                self.responded.store(true, Ordering::Release);
            }
            return Ok(responses);
        }
        let mut responses = vec![ResourceResponse::default(); activities.len()];
        let mut to_send = Vec::with_capacity(activities.len());
        let mut positions = Vec::with_capacity(activities.len());
        for (i, activity) in activities.into_iter().enumerate() {
            if activity.activity_type == ActivityTypes::InvokeResponse {
                self.set_invoke_response(invoke_response_of(&activity));
            } else if buffer {
                lock(&self.buffered_replies).push(activity);
            } else {
                positions.push(i);
                to_send.push(activity);
            }
        }
        if !to_send.is_empty() {
            let sent = self.adapter.send_activities(self, to_send).await?;
            for (position, response) in positions.into_iter().zip(sent) {
                responses[position] = response;
            }
        }
        if sent_non_trace {
            self.responded.store(true, Ordering::Release);
        }
        Ok(responses)
    }
}

/// Reads an `invokeResponse` activity's value (`{"status": .., "body": ..}`); a value of
/// another shape is answered with 200 and the value as body.
fn invoke_response_of(activity: &Activity) -> InvokeResponse {
    match &activity.value {
        Some(value) => serde_json::from_value::<InvokeResponse>(value.clone())
            .unwrap_or_else(|_| InvokeResponse::new(200, Some(value.clone()))),
        None => InvokeResponse::new(200, None),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked while holding it; the data (a
    // list of activities) is still consistent, so keep going rather than fail the turn.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl fmt::Debug for TurnContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnContext")
            .field("activity_type", &self.activity.activity_type)
            .field("activity_id", &self.activity.id)
            .field("conversation", &self.activity.conversation_id())
            .field("proactive", &self.proactive)
            .field("responded", &self.responded())
            .field("turn_state", &self.turn_state)
            .finish_non_exhaustive()
    }
}
