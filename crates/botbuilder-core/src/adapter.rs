//! [`BotAdapter`]: the bridge between a channel and the turn pipeline.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_trait::async_trait;
use botbuilder_schema::{
    Activity, ConversationParameters, ConversationReference, ResourceResponse,
};
use futures::FutureExt;

use crate::error::report;
use crate::middleware::Terminal;
use crate::{Bot, BoxError, BoxFuture, Error, MiddlewareSet, TurnContext, TurnResult};

/// The value type of the trace activity the default `on_turn_error` sends.
pub const TURN_ERROR_TRACE_VALUE_TYPE: &str = "https://www.botframework.com/schemas/error";

/// The message the default `on_turn_error` sends to the user.
pub const TURN_ERROR_MESSAGE: &str =
    "Sorry, the bot ran into a problem and could not finish that. Please try again.";

/// Connects a channel to the turn pipeline: it delivers what a turn sends, and starts turns,
/// including proactive ones.
///
/// `botbuilder-connector`'s `CloudAdapter` speaks to Bot Framework channels over HTTP;
/// [`TestAdapter`](crate::testing::TestAdapter) keeps everything in memory for tests. Every
/// adapter runs turns through a [`MiddlewareSet`] and reports failures to
/// [`BotAdapter::on_turn_error`].
///
/// Bots rarely call the delivery methods directly: [`TurnContext`] completes activities,
/// runs the send hooks, and then calls them. They do call
/// [`continue_conversation`](BotAdapter::continue_conversation):
///
/// ```
/// use botbuilder_core::{BotAdapter, ContinueLogic, TurnResult};
/// use botbuilder_core::schema::ConversationReference;
///
/// async fn notify(adapter: &dyn BotAdapter, reference: ConversationReference) -> TurnResult {
///     adapter
///         .continue_conversation(
///             reference,
///             ContinueLogic::new(|ctx| Box::pin(async move {
///                 ctx.send_activity("Your job is complete.").await?;
///                 Ok(())
///             })),
///         )
///         .await?;
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait BotAdapter: Send + Sync {
    /// Delivers completed activities, in order, returning one response per activity.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the channel refused or could not be reached.
    async fn send_activities(
        &self,
        ctx: &TurnContext,
        activities: Vec<Activity>,
    ) -> Result<Vec<ResourceResponse>, Error>;

    /// Replaces an activity (`activity.id` names it).
    ///
    /// # Errors
    /// [`Error::Adapter`], or [`Error::NotSupported`] on channels that cannot.
    async fn update_activity(
        &self,
        ctx: &TurnContext,
        activity: Activity,
    ) -> Result<ResourceResponse, Error>;

    /// Deletes the activity named by `reference.activity_id`.
    ///
    /// # Errors
    /// [`Error::Adapter`], or [`Error::NotSupported`] on channels that cannot.
    async fn delete_activity(
        &self,
        ctx: &TurnContext,
        reference: ConversationReference,
    ) -> Result<(), Error>;

    /// Runs `logic` in a proactive turn in the conversation of `reference`, through the same
    /// middleware as normal turns. Messages sent in it go to that conversation, authenticated
    /// exactly as replies are.
    ///
    /// # Errors
    /// [`Error::Schema`] when the reference lacks a channel, service URL or conversation;
    /// [`Error::Turn`] when the logic failed (after `on_turn_error` ran).
    async fn continue_conversation(
        &self,
        reference: ConversationReference,
        logic: ContinueLogic,
    ) -> Result<(), Error>;

    /// Creates a conversation on the channel of `reference` (its `channelId`, `serviceUrl`
    /// and `bot`), then runs `logic` in a proactive turn in it.
    ///
    /// # Errors
    /// [`Error::NotSupported`] by default; adapters that can create conversations override it.
    async fn create_conversation(
        &self,
        reference: ConversationReference,
        parameters: ConversationParameters,
        logic: ContinueLogic,
    ) -> Result<(), Error> {
        let _ = (reference, parameters, logic);
        Err(Error::NotSupported {
            operation: "create conversation",
        })
    }

    /// Called when a turn's logic fails (an error or a panic). The default,
    /// [`default_on_turn_error`], logs the error, sends a trace activity with it (shown only
    /// by the Emulator) and a friendly message to the user.
    async fn on_turn_error(&self, ctx: &mut TurnContext, error: &BoxError) {
        default_on_turn_error(ctx, error).await;
    }
}

/// What `on_turn_error` does unless configured otherwise: log the error, send a trace activity
/// carrying it, and tell the user something went wrong. Failures to send are logged.
pub async fn default_on_turn_error(ctx: &mut TurnContext, error: &BoxError) {
    tracing::error!(
        error = %report(error.as_ref()),
        activity_type = %ctx.activity().activity_type,
        conversation = ctx.activity().conversation_id().unwrap_or(""),
        "unhandled error in turn"
    );
    if let Err(e) = ctx
        .send_trace_activity(
            "OnTurnError Trace",
            Some(serde_json::Value::String(
                report(error.as_ref()).to_string(),
            )),
            Some(TURN_ERROR_TRACE_VALUE_TYPE.to_owned()),
            Some("TurnError".to_owned()),
        )
        .await
    {
        tracing::warn!(error = %report(&e), "could not send the turn error trace");
    }
    if let Err(e) = ctx.send_activity(TURN_ERROR_MESSAGE).await {
        tracing::warn!(error = %report(&e), "could not tell the user about the turn error");
    }
}

/// A custom `on_turn_error`, for adapters that accept one.
///
/// Implement it on a type, or make one from a closure with [`turn_error_handler`].
#[async_trait]
pub trait TurnErrorHandler: Send + Sync {
    /// Handles a failed turn.
    async fn on_turn_error(&self, ctx: &mut TurnContext, error: &BoxError);
}

/// A [`TurnErrorHandler`] made from a function; see [`turn_error_handler`].
pub struct TurnErrorFn<F>(F);

impl<F> fmt::Debug for TurnErrorFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TurnErrorFn")
    }
}

/// Makes a [`TurnErrorHandler`] from a function.
///
/// ```
/// use botbuilder_core::{turn_error_handler, testing::TestAdapter};
///
/// let adapter = TestAdapter::new().with_on_turn_error(turn_error_handler(|ctx, error| Box::pin(async move {
///     tracing::error!(error = %botbuilder_core::error::report(error.as_ref()), "turn failed");
///     let _ = ctx.send_activity("Oops, something broke.").await;
/// })));
/// # let _ = adapter;
/// ```
pub fn turn_error_handler<F>(f: F) -> TurnErrorFn<F>
where
    F: for<'a> Fn(&'a mut TurnContext, &'a BoxError) -> BoxFuture<'a, ()> + Send + Sync,
{
    TurnErrorFn(f)
}

#[async_trait]
impl<F> TurnErrorHandler for TurnErrorFn<F>
where
    F: for<'a> Fn(&'a mut TurnContext, &'a BoxError) -> BoxFuture<'a, ()> + Send + Sync,
{
    async fn on_turn_error(&self, ctx: &mut TurnContext, error: &BoxError) {
        (self.0)(ctx, error).await;
    }
}

/// The callback of a proactive turn: a function of the turn context.
///
/// ```
/// use botbuilder_core::ContinueLogic;
///
/// let job = 42;
/// let logic = ContinueLogic::new(move |ctx| Box::pin(async move {
///     ctx.send_activity(format!("Job {job} is complete.")).await?;
///     Ok(())
/// }));
/// # let _ = logic;
/// ```
pub struct ContinueLogic {
    f: Box<LogicFn>,
}

type LogicFn = dyn for<'a> FnOnce(&'a mut TurnContext) -> BoxFuture<'a, TurnResult> + Send;

impl ContinueLogic {
    /// Logic from a function of the turn context.
    pub fn new<F>(f: F) -> Self
    where
        F: for<'a> FnOnce(&'a mut TurnContext) -> BoxFuture<'a, TurnResult> + Send + 'static,
    {
        Self { f: Box::new(f) }
    }

    /// Logic that runs a bot's `on_turn` (the continuation event reaches the bot).
    pub fn bot(bot: Arc<dyn Bot>) -> Self {
        Self::new(move |ctx| Box::pin(async move { bot.on_turn(ctx).await }))
    }

    pub(crate) async fn call(self, ctx: &mut TurnContext) -> TurnResult {
        (self.f)(ctx).await
    }
}

impl fmt::Debug for ContinueLogic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContinueLogic")
    }
}

/// Runs one turn through middleware to the bot, catching errors and panics and handing them to
/// the adapter's `on_turn_error`. Adapters call this (or [`run_logic_turn`]).
///
/// # Errors
/// [`Error::Turn`] carrying the turn's error (a panic becomes [`Error::Panic`]).
pub async fn run_bot_turn(
    middleware: &MiddlewareSet,
    ctx: &mut TurnContext,
    bot: &dyn Bot,
) -> Result<(), Error> {
    run_turn(middleware, ctx, Terminal::Bot(bot)).await
}

/// Runs a proactive turn through middleware to `logic`; see [`run_bot_turn`].
///
/// # Errors
/// [`Error::Turn`] carrying the turn's error.
pub async fn run_logic_turn(
    middleware: &MiddlewareSet,
    ctx: &mut TurnContext,
    logic: ContinueLogic,
) -> Result<(), Error> {
    run_turn(middleware, ctx, Terminal::Logic(logic)).await
}

async fn run_turn(
    middleware: &MiddlewareSet,
    ctx: &mut TurnContext,
    terminal: Terminal<'_>,
) -> Result<(), Error> {
    let outcome = AssertUnwindSafe(middleware.run(ctx, terminal))
        .catch_unwind()
        .await;
    let error: BoxError = match outcome {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(error)) => error,
        Err(panic) => Box::new(Error::Panic {
            message: panic_message(panic.as_ref()),
        }),
    };
    let adapter = ctx.adapter().clone();
    let handled = AssertUnwindSafe(adapter.on_turn_error(ctx, &error))
        .catch_unwind()
        .await;
    if handled.is_err() {
        tracing::error!(error = %report(error.as_ref()), "on_turn_error panicked while handling a turn error");
    }
    Err(Error::Turn { source: error })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
