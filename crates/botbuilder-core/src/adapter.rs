//! For adapter authors and for proactive messages: [`BotAdapter`], the bridge between a
//! channel and the turn pipeline; [`BotAdapterExt`] (`continue_conversation`); and
//! [`TurnPipeline`], the turn machinery every adapter shares.
//!
//! An adapter says how activities arrive and leave; the pipeline does the rest (middleware,
//! the turn-error handler, one turn at a time per conversation, errors and panics caught).
//! A whole adapter for a channel that keeps what the bot sends in memory:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use botbuilder_core::adapter::{ContinueLogic, TurnPipeline};
//! use botbuilder_core::schema::{Activity, ConversationReference, ResourceResponse};
//! use botbuilder_core::{async_trait, bot_fn, Bot, BotAdapter, BotAdapterExt, Error, TurnContext};
//!
//! #[derive(Clone, Default)]
//! struct InboxAdapter {
//!     pipeline: TurnPipeline,
//!     sent: Arc<Mutex<Vec<Activity>>>,
//! }
//!
//! impl InboxAdapter {
//!     /// How activities arrive: one turn per incoming activity.
//!     async fn receive(&self, activity: Activity, bot: &dyn Bot) -> Result<(), Error> {
//!         let mut ctx = TurnContext::new(Arc::new(self.clone()), activity);
//!         self.pipeline.run_turn(&mut ctx, bot).await
//!     }
//! }
//!
//! #[async_trait]
//! impl BotAdapter for InboxAdapter {
//!     // How activities leave.
//!     async fn send_activities(&self, _ctx: &TurnContext, activities: Vec<Activity>)
//!         -> Result<Vec<ResourceResponse>, Error> {
//!         let mut sent = self.sent.lock().unwrap();
//!         let ids = (sent.len()..sent.len() + activities.len())
//!             .map(|n| ResourceResponse::new(n.to_string()))
//!             .collect();
//!         sent.extend(activities);
//!         Ok(ids)
//!     }
//!     async fn update_activity(&self, _ctx: &TurnContext, _activity: Activity)
//!         -> Result<ResourceResponse, Error> {
//!         Err(Error::NotSupported { operation: "update activity" })
//!     }
//!     async fn delete_activity(&self, _ctx: &TurnContext, _reference: ConversationReference)
//!         -> Result<(), Error> {
//!         Err(Error::NotSupported { operation: "delete activity" })
//!     }
//!     // Proactive turns: the same pipeline, from a reference.
//!     async fn proactive_turn(&self, reference: ConversationReference, logic: ContinueLogic)
//!         -> Result<(), Error> {
//!         reference.validate()?;
//!         let mut ctx = TurnContext::proactive(Arc::new(self.clone()), &reference);
//!         self.pipeline.run_proactive(&mut ctx, logic).await
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let adapter = InboxAdapter::default();
//! let echo = bot_fn(async |ctx| {
//!     let text = ctx.activity().text();
//!     ctx.send_activity(format!("Echo: {text}")).await?;
//!     Ok(())
//! });
//! let incoming = Activity::message("hi")
//!     .with_channel_id("inbox")
//!     .with_service_url("https://inbox.example/")
//!     .with_conversation(botbuilder_core::schema::ConversationAccount::new("c1"));
//! adapter.receive(incoming.clone(), &echo).await?;
//! let later = adapter
//!     .continue_conversation(incoming.conversation_reference(), async |ctx| {
//!         Ok(ctx.send_activity("Later.").await?.id)
//!     })
//!     .await?;
//! let texts: Vec<String> = adapter.sent.lock().unwrap().iter().map(|a| a.text().to_owned()).collect();
//! assert_eq!(texts, ["Echo: hi", "Later."]);
//! assert_eq!(later, "1");
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use botbuilder_schema::{
    Activity, ConversationParameters, ConversationReference, ResourceResponse,
};
use futures::FutureExt;
use tracing::Instrument;

use crate::callback::{Call1, Call2};
use crate::error::report;
use crate::middleware::Terminal;
use crate::{
    Bot, BoxError, BoxFuture, ConversationLocks, Error, Middleware, MiddlewareSet, TurnContext,
    TurnLeases, TurnOrdering, TurnResult,
};

/// The value type of the trace activity the default `on_turn_error` sends.
pub const TURN_ERROR_TRACE_VALUE_TYPE: &str = "https://www.botframework.com/schemas/error";

/// The message the default `on_turn_error` sends to the user.
pub const TURN_ERROR_MESSAGE: &str =
    "Sorry, the bot ran into a problem and could not finish that. Please try again.";

/// Connects a channel to the turn pipeline: it delivers what a turn sends, and starts turns,
/// including proactive ones.
///
/// `botbuilder-connector`'s `CloudAdapter` speaks to Bot Framework channels over HTTP;
/// [`TestAdapter`](crate::testing::TestAdapter) keeps everything in memory for tests. Both run
/// their turns through a [`TurnPipeline`] (middleware, the turn-error handler, per-conversation
/// ordering); they differ only in how activities arrive and leave.
///
/// Bots rarely call the delivery methods directly: [`TurnContext`] completes activities,
/// runs the send hooks, and then calls them. They do call
/// [`continue_conversation`](BotAdapterExt::continue_conversation) (from [`BotAdapterExt`],
/// implemented for every adapter), which returns what the logic returns:
///
/// ```
/// use botbuilder_core::{BotAdapter, BotAdapterExt, Error};
/// use botbuilder_core::schema::{ConversationReference, ResourceResponse};
///
/// async fn notify(adapter: &dyn BotAdapter, reference: ConversationReference) -> Result<ResourceResponse, Error> {
///     adapter
///         .continue_conversation(reference, async |ctx| {
///             Ok(ctx.send_activity("Your job is complete.").await?)
///         })
///         .await
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

    /// For adapter authors: runs `logic` in a proactive turn in the conversation of
    /// `reference`, through the adapter's [`TurnPipeline`]. Bots call
    /// [`BotAdapterExt::continue_conversation`], which returns the logic's value.
    ///
    /// # Errors
    /// [`Error::Schema`] when the reference lacks a channel, service URL or conversation;
    /// [`Error::Turn`] when the logic failed (after the turn-error handler ran).
    async fn proactive_turn(
        &self,
        reference: ConversationReference,
        logic: ContinueLogic,
    ) -> Result<(), Error>;

    /// For adapter authors: creates a conversation on the channel of `reference` (its
    /// `channelId`, `serviceUrl` and `bot`), then runs `logic` in a proactive turn in it.
    /// Bots call [`BotAdapterExt::create_conversation`].
    ///
    /// # Errors
    /// [`Error::NotSupported`] by default; adapters that can create conversations override it.
    async fn create_conversation_turn(
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
}

/// Proactive turns that return a value, for every [`BotAdapter`] (`CloudAdapter`,
/// `TestAdapter`, `dyn BotAdapter`, `ctx.adapter()`). In the prelude.
pub trait BotAdapterExt: BotAdapter {
    /// Runs `logic` in a proactive turn in the conversation of `reference`, through the same
    /// middleware as normal turns, and returns what it returns. Messages sent in it go to that
    /// conversation, authenticated exactly as replies are. Turns of that conversation run one
    /// at a time, this one included (see [`ConversationLocks`]).
    ///
    /// ```
    /// use botbuilder_core::{BotAdapterExt, testing::TestAdapter};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), botbuilder_core::Error> {
    /// let adapter = TestAdapter::new();
    /// let reference = adapter.reference_for(&adapter.template().user.clone().unwrap(), "c1");
    /// let job = 7;
    /// let sent = adapter
    ///     .continue_conversation(reference, async move |ctx| {
    ///         Ok(ctx.send_activity(format!("Job {job} is complete.")).await?)
    ///     })
    ///     .await?;
    /// assert_eq!(adapter.next_reply("c1").unwrap().id.as_deref(), Some(sent.id.as_str()));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Schema`] when the reference lacks a channel, service URL or conversation;
    /// [`Error::Turn`] carrying the logic's error (after the turn-error handler ran);
    /// [`Error::LogicNotRun`] when a middleware ended the turn before the logic ran.
    fn continue_conversation<T, F>(
        &self,
        reference: ConversationReference,
        logic: F,
    ) -> impl Future<Output = Result<T, Error>> + Send
    where
        T: Send + 'static,
        F: AsyncFnOnce(&mut TurnContext) -> TurnResult<T>
            + for<'a> Call1<'a, &'a mut TurnContext, TurnResult<T>>
            + 'static,
    {
        let (logic, value) = ContinueLogic::returning(logic);
        async move {
            self.proactive_turn(reference, logic).await?;
            value.take()
        }
    }

    /// Creates a conversation on the channel of `reference` (its `channelId`, `serviceUrl`
    /// and `bot`) with `parameters`, then runs `logic` in a proactive turn in it and returns
    /// what it returns (`ctx.activity().conversation` names the new conversation).
    ///
    /// # Errors
    /// [`Error::NotSupported`] on adapters that cannot create conversations; otherwise as
    /// [`continue_conversation`](Self::continue_conversation).
    fn create_conversation<T, F>(
        &self,
        reference: ConversationReference,
        parameters: ConversationParameters,
        logic: F,
    ) -> impl Future<Output = Result<T, Error>> + Send
    where
        T: Send + 'static,
        F: AsyncFnOnce(&mut TurnContext) -> TurnResult<T>
            + for<'a> Call1<'a, &'a mut TurnContext, TurnResult<T>>
            + 'static,
    {
        let (logic, value) = ContinueLogic::returning(logic);
        async move {
            self.create_conversation_turn(reference, parameters, logic)
                .await?;
            value.take()
        }
    }
}

impl<A: BotAdapter + ?Sized> BotAdapterExt for A {}

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

/// Makes a [`TurnErrorHandler`] from an async closure (cloned for each failed turn; see
/// [`callback`](crate::callback)).
///
/// ```
/// use botbuilder_core::{turn_error_handler, testing::TestAdapter};
///
/// let adapter = TestAdapter::new().with_on_turn_error(turn_error_handler(async |ctx, error| {
///     tracing::error!(error = %botbuilder_core::error::report(error.as_ref()), "turn failed");
///     let _ = ctx.send_activity("Oops, something broke.").await;
/// }));
/// # let _ = adapter;
/// ```
pub fn turn_error_handler<F>(f: F) -> TurnErrorFn<F>
where
    F: AsyncFnOnce(&mut TurnContext, &BoxError)
        + for<'a> Call2<'a, &'a mut TurnContext, &'a BoxError, ()>
        + Clone
        + Sync,
{
    TurnErrorFn(f)
}

#[async_trait]
impl<F> TurnErrorHandler for TurnErrorFn<F>
where
    F: for<'a> Call2<'a, &'a mut TurnContext, &'a BoxError, ()> + Clone + Sync,
{
    async fn on_turn_error(&self, ctx: &mut TurnContext, error: &BoxError) {
        self.0.clone().call_boxed(ctx, error).await;
    }
}

/// The callback of a proactive turn, as adapters receive it
/// ([`BotAdapter::proactive_turn`]). Bots pass an async closure to
/// [`BotAdapterExt::continue_conversation`] instead.
pub struct ContinueLogic {
    f: Box<LogicFn>,
}

type LogicFn = dyn for<'a> FnOnce(&'a mut TurnContext) -> BoxFuture<'a, TurnResult> + Send;

impl ContinueLogic {
    /// Logic from an async closure of the turn context.
    ///
    /// ```
    /// use botbuilder_core::adapter::ContinueLogic;
    ///
    /// let job = 42;
    /// let logic = ContinueLogic::new(async move |ctx| {
    ///     ctx.send_activity(format!("Job {job} is complete.")).await?;
    ///     Ok(())
    /// });
    /// # let _ = logic;
    /// ```
    pub fn new<F>(f: F) -> Self
    where
        F: AsyncFnOnce(&mut TurnContext) -> TurnResult
            + for<'a> Call1<'a, &'a mut TurnContext, TurnResult>
            + 'static,
    {
        Self {
            f: Box::new(move |ctx| f.call_boxed(ctx)),
        }
    }

    /// Logic that runs a bot's `on_turn` (the continuation event reaches the bot).
    pub fn bot(bot: Arc<dyn Bot>) -> Self {
        Self {
            f: Box::new(move |ctx| Box::pin(async move { bot.on_turn(ctx).await })),
        }
    }

    /// Logic whose value is kept for the caller, and where to find it after the turn.
    fn returning<T, F>(f: F) -> (Self, LogicValue<T>)
    where
        T: Send + 'static,
        F: for<'a> Call1<'a, &'a mut TurnContext, TurnResult<T>> + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let logic = Self {
            f: Box::new(move |ctx| {
                let run = f.call_boxed(ctx);
                Box::pin(async move {
                    let value = run.await?;
                    // The receiver lives until the turn is over; nothing to do if it is gone.
                    let _ = tx.send(value);
                    Ok(())
                })
            }),
        };
        (logic, LogicValue(rx))
    }

    pub(crate) async fn call(self, ctx: &mut TurnContext) -> TurnResult {
        (self.f)(ctx).await
    }
}

/// The value of logic made by [`ContinueLogic::returning`], once its turn is over.
struct LogicValue<T>(tokio::sync::oneshot::Receiver<T>);

impl<T> LogicValue<T> {
    fn take(mut self) -> Result<T, Error> {
        self.0.try_recv().map_err(|_| Error::LogicNotRun)
    }
}

impl fmt::Debug for ContinueLogic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContinueLogic")
    }
}

/// The turn machinery every adapter shares: middleware, the turn-error handler and
/// per-conversation turn ordering, fixed when the adapter is built.
///
/// Cheap to clone. The `with_*` methods return a new pipeline and never change one that
/// already exists (or its clones), so nothing is locked or re-read per turn. An adapter holds
/// one and runs every turn, incoming or proactive, through [`run_turn`](Self::run_turn) or
/// [`run_proactive`](Self::run_proactive):
///
/// ```
/// use botbuilder_core::adapter::TurnPipeline;
/// use botbuilder_core::middleware::ShowTypingMiddleware;
///
/// let pipeline = TurnPipeline::new();
/// let with_typing = pipeline.clone().with_middleware(ShowTypingMiddleware::default());
/// assert_eq!(pipeline.middleware().len(), 0); // the original is unchanged
/// assert_eq!(with_typing.middleware().len(), 1);
/// ```
#[derive(Clone)]
pub struct TurnPipeline {
    middleware: MiddlewareSet,
    on_turn_error: Option<Arc<dyn TurnErrorHandler>>,
    /// Per-conversation turn ordering; `None` when turned off.
    ordering: Option<ConversationLocks>,
    /// Turn ordering across instances, with `ordering` (never without it).
    leases: Option<TurnLeases>,
    /// The bot's app id, for the turn span.
    bot_app_id: Option<Arc<str>>,
}

impl Default for TurnPipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TurnPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnPipeline")
            .field("middleware", &self.middleware)
            .field("custom_on_turn_error", &self.on_turn_error.is_some())
            .field(
                "turn_ordering",
                &match (&self.ordering, &self.leases) {
                    (None, _) => "off",
                    (Some(_), None) => "in-process",
                    (Some(_), Some(_)) => "distributed",
                },
            )
            .field("bot_app_id", &self.bot_app_id)
            .finish()
    }
}

impl TurnPipeline {
    /// No middleware, the [default turn-error handler](default_on_turn_error), turns of one
    /// conversation ordered.
    #[must_use]
    pub fn new() -> Self {
        Self {
            middleware: MiddlewareSet::new(),
            on_turn_error: None,
            ordering: Some(ConversationLocks::new()),
            leases: None,
            bot_app_id: None,
        }
    }

    /// Names the bot's app id in every turn's span (`botbuilder.bot.app_id`); adapters that
    /// know it (`CloudAdapter`) set it.
    #[must_use]
    pub fn with_bot_app_id(mut self, app_id: Option<&str>) -> Self {
        self.bot_app_id = app_id.filter(|id| !id.is_empty()).map(Arc::from);
        self
    }

    /// Adds a middleware to every turn (after those already added).
    #[must_use]
    pub fn with_middleware(mut self, middleware: impl Middleware + 'static) -> Self {
        self.middleware.push(middleware);
        self
    }

    /// Adds a shared middleware to every turn (after those already added).
    #[must_use]
    pub fn with_middleware_arc(mut self, middleware: Arc<dyn Middleware>) -> Self {
        self.middleware.push_arc(middleware);
        self
    }

    /// Replaces the turn-error handler ([`default_on_turn_error`] unless set).
    #[must_use]
    pub fn with_on_turn_error(mut self, handler: impl TurnErrorHandler + 'static) -> Self {
        self.on_turn_error = Some(Arc::new(handler));
        self
    }

    /// Whether turns of one conversation run one at a time, in arrival order, within this
    /// process (`true`, [`TurnOrdering::InProcess`], the default), across every instance of
    /// the bot ([`TurnOrdering::Distributed`]), or all at once as they arrive (`false`,
    /// [`TurnOrdering::Off`]).
    ///
    /// With ordering, two quick messages in a conversation are handled one after the other
    /// and the second sees the state the first saved, instead of failing with an eTag
    /// conflict; different conversations still run in parallel. See `docs/state.md`
    /// ("Concurrency") and [`ConversationLocks`] for the one rule it brings: a turn must not
    /// *await* a spawned task that runs a turn in the same conversation, nor two turns each
    /// await a turn in the other's conversation. Distributed ordering holds the
    /// conversation's [lease](TurnLeases) in a shared store around each turn (after the
    /// in-process lock, so one instance asks the store for one turn of a conversation at a
    /// time); a turn inside another turn of the same conversation (same task) reuses it.
    ///
    /// ```
    /// use botbuilder_core::adapter::TurnPipeline;
    ///
    /// let unordered = TurnPipeline::new().with_turn_ordering(false);
    /// assert!(unordered.conversation_locks().is_none());
    /// ```
    #[must_use]
    pub fn with_turn_ordering(mut self, ordering: impl Into<TurnOrdering>) -> Self {
        (self.ordering, self.leases) = match ordering.into() {
            TurnOrdering::Off => (None, None),
            TurnOrdering::InProcess => (Some(ConversationLocks::new()), None),
            TurnOrdering::Distributed(leases) => (Some(ConversationLocks::new()), Some(leases)),
        };
        self
    }

    /// The leases that order turns across instances, when ordering is
    /// [distributed](TurnOrdering::Distributed).
    #[must_use]
    pub fn turn_leases(&self) -> Option<&TurnLeases> {
        self.leases.as_ref()
    }

    /// The middleware every turn runs through.
    #[must_use]
    pub fn middleware(&self) -> &MiddlewareSet {
        &self.middleware
    }

    /// The locks that order turns per conversation, unless ordering is off.
    #[must_use]
    pub fn conversation_locks(&self) -> Option<&ConversationLocks> {
        self.ordering.as_ref()
    }

    /// Runs an incoming turn: in its conversation's turn (when ordered), through middleware
    /// to the bot, catching errors and panics and handing them to the turn-error handler.
    ///
    /// # Errors
    /// [`Error::Turn`] carrying the turn's error (a panic becomes [`Error::Panic`]).
    pub async fn run_turn(&self, ctx: &mut TurnContext, bot: &dyn Bot) -> Result<(), Error> {
        self.run(ctx, Terminal::Bot(bot)).await
    }

    /// Runs a proactive turn (its context made with [`TurnContext::proactive`]) through
    /// middleware to `logic`; see [`run_turn`](Self::run_turn).
    ///
    /// # Errors
    /// [`Error::Turn`] carrying the turn's error.
    pub async fn run_proactive(
        &self,
        ctx: &mut TurnContext,
        logic: ContinueLogic,
    ) -> Result<(), Error> {
        self.run(ctx, Terminal::Logic(logic)).await
    }

    /// Hands a failed turn's error to the turn-error handler.
    pub async fn on_turn_error(&self, ctx: &mut TurnContext, error: &BoxError) {
        match &self.on_turn_error {
            Some(handler) => handler.on_turn_error(ctx, error).await,
            None => default_on_turn_error(ctx, error).await,
        }
    }

    async fn run(&self, ctx: &mut TurnContext, terminal: Terminal<'_>) -> Result<(), Error> {
        // A turn outside any request (proactive, or started by the application) makes the
        // head-sampling decision of its own trace; boxed, as only such turns pay for it.
        if crate::telemetry::trace_sampled().is_none()
            && let Some(sampled) = crate::telemetry::decide_trace(&|_| None)
        {
            return Box::pin(crate::telemetry::with_trace_decision(
                sampled,
                self.run_traced(ctx, terminal),
            ))
            .await;
        }
        self.run_traced(ctx, terminal).await
    }

    async fn run_traced(&self, ctx: &mut TurnContext, terminal: Terminal<'_>) -> Result<(), Error> {
        let started = Instant::now();
        let span = self.turn_span(ctx);
        let turn = async {
            match &self.ordering {
                Some(locks) => {
                    let key = ConversationLocks::key_of_activity(ctx.activity());
                    match (&self.leases, key) {
                        // Not inside a turn of this conversation already: take its lease too.
                        // Boxed: the default (in-process) turn's future stays as small as it was.
                        (Some(leases), Some(key)) if !locks.holds(&key) => {
                            let leased =
                                Box::pin(leases.run(&key, self.run_unordered(ctx, terminal)));
                            locks.run(Some(&key), leased).await?
                        }
                        (_, key) => {
                            locks
                                .run_owned(key, self.run_unordered(ctx, terminal))
                                .await
                        }
                    }
                }
                None => self.run_unordered(ctx, terminal).await,
            }
        };
        let result = turn.instrument(span.clone()).await;
        let outcome = match &result {
            Ok(()) => "ok",
            Err(Error::Turn { source })
                if matches!(source.downcast_ref(), Some(Error::Panic { .. })) =>
            {
                "panic"
            }
            Err(_) => "error",
        };
        if !span.is_disabled() {
            span.record("botbuilder.turn.outcome", outcome);
            if outcome != "ok" {
                span.record("otel.status_code", "ERROR");
            }
        }
        let activity = ctx.activity();
        crate::telemetry::record(crate::telemetry::Measurement::Turn {
            activity_type: activity.activity_type.as_str(),
            channel: activity.channel_id.as_ref().map_or("", |c| c.as_str()),
            outcome,
            duration: started.elapsed(),
        });
        result
    }

    /// The span of one turn; personal information only when logging it is on.
    fn turn_span(&self, ctx: &TurnContext) -> tracing::Span {
        let activity = ctx.activity();
        let span = tracing::info_span!(
            "botbuilder.turn",
            botbuilder.activity.type = activity.activity_type.as_str(),
            botbuilder.channel = activity.channel_id.as_ref().map_or("", |c| c.as_str()),
            botbuilder.conversation.id = activity.conversation_id().unwrap_or(""),
            botbuilder.bot.app_id = self.bot_app_id.as_deref(),
            botbuilder.turn.proactive = ctx.is_proactive(),
            botbuilder.turn.outcome = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            enduser.id = tracing::field::Empty,
        );
        if !span.is_disabled()
            && crate::telemetry::log_personal_information()
            && let Some(from) = &activity.from
        {
            span.record("enduser.id", from.id.as_str());
        }
        span
    }

    async fn run_unordered(
        &self,
        ctx: &mut TurnContext,
        terminal: Terminal<'_>,
    ) -> Result<(), Error> {
        let outcome = AssertUnwindSafe(self.middleware.run(ctx, terminal))
            .catch_unwind()
            .await;
        let error: BoxError = match outcome {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(error)) => error,
            Err(panic) => Box::new(Error::Panic {
                message: panic_message(panic.as_ref()),
            }),
        };
        // Boxed: the handler's future (sends inside) is larger than the whole turn's, and
        // would otherwise make every turn's future, moved and copied per turn, that large.
        let handled = AssertUnwindSafe(Box::pin(self.on_turn_error(ctx, &error)))
            .catch_unwind()
            .await;
        if handled.is_err() {
            tracing::error!(
                error = %report(error.as_ref()),
                "on_turn_error panicked while handling a turn error"
            );
        }
        Err(Error::Turn { source: error })
    }
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
