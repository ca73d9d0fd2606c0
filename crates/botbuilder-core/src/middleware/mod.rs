//! [`Middleware`]: code that runs around every turn.
//!
//! Middleware runs in registration order before the bot, and in reverse order after it
//! (an onion):
//!
//! ```text
//!  incoming ─▶ A ─▶ B ─▶ C ─▶ bot
//!                                │
//!  done     ◀─ A ◀─ B ◀─ C ◀─────┘
//! ```
//!
//! Each middleware gets a [`Next`]; `next.run(ctx).await` runs the rest of the pipeline.
//! Not calling it short-circuits the turn: later middleware and the bot do not run. An error
//! returned anywhere reaches the adapter's `on_turn_error`.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use tracing::Instrument;

use crate::adapter::ContinueLogic;
use crate::{Bot, TurnContext, TurnResult};

/// Code that runs around every turn: logging, translation, typing indicators, state saving.
///
/// ```
/// use botbuilder_core::{async_trait, Middleware, Next, TurnContext, TurnResult};
///
/// /// Logs every turn's activity type and whether the bot answered.
/// struct LogTurns;
///
/// #[async_trait]
/// impl Middleware for LogTurns {
///     async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
///         let kind = ctx.activity().activity_type.clone();
///         next.run(ctx).await?;
///         tracing::info!(%kind, responded = ctx.responded(), "turn done");
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Middleware: Send + Sync {
    /// Handles a turn. Call `next.run(ctx)` to continue the pipeline; skip it to end the turn.
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult;

    /// The name in this middleware's span (`botbuilder.middleware.name`); its type's name
    /// unless overridden.
    fn name(&self) -> &'static str {
        crate::telemetry::short_type_name(std::any::type_name::<Self>())
    }
}

/// What runs at the end of the pipeline.
pub(crate) enum Terminal<'a> {
    Bot(&'a dyn Bot),
    Logic(ContinueLogic),
}

/// The rest of the pipeline, handed to a [`Middleware`].
#[must_use = "the rest of the pipeline does not run unless `run` is awaited"]
pub struct Next<'a> {
    middleware: &'a [Arc<dyn Middleware>],
    terminal: Terminal<'a>,
}

impl Next<'_> {
    /// Runs the remaining middleware, then the bot (or continuation logic).
    ///
    /// # Errors
    /// The first error a later middleware or the bot returns.
    pub async fn run(self, ctx: &mut TurnContext) -> TurnResult {
        match self.middleware.split_first() {
            Some((first, rest)) => {
                let span = tracing::info_span!(
                    "botbuilder.middleware",
                    botbuilder.middleware.name = tracing::field::Empty,
                );
                if !span.is_disabled() {
                    span.record("botbuilder.middleware.name", first.name());
                }
                first
                    .on_turn(
                        ctx,
                        Next {
                            middleware: rest,
                            terminal: self.terminal,
                        },
                    )
                    .instrument(span)
                    .await
            }
            None => match self.terminal {
                Terminal::Bot(bot) => bot.on_turn(ctx).await,
                Terminal::Logic(logic) => logic.call(ctx).await,
            },
        }
    }
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("middleware_left", &self.middleware.len())
            .finish_non_exhaustive()
    }
}

/// An ordered list of middleware; cheap to clone.
///
/// ```
/// use botbuilder_core::MiddlewareSet;
/// use botbuilder_core::middleware::ShowTypingMiddleware;
///
/// let set = MiddlewareSet::new().with(ShowTypingMiddleware::default());
/// assert_eq!(set.len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct MiddlewareSet {
    items: Arc<Vec<Arc<dyn Middleware>>>,
}

impl MiddlewareSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a middleware (it runs after the ones already registered).
    pub fn push(&mut self, middleware: impl Middleware + 'static) -> &mut Self {
        self.push_arc(Arc::new(middleware))
    }

    /// Appends a shared middleware.
    pub fn push_arc(&mut self, middleware: Arc<dyn Middleware>) -> &mut Self {
        Arc::make_mut(&mut self.items).push(middleware);
        self
    }

    /// Appends a middleware, by value.
    #[must_use]
    pub fn with(mut self, middleware: impl Middleware + 'static) -> Self {
        self.push(middleware);
        self
    }

    /// How many middleware are registered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether none is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Runs the middleware and then the bot.
    ///
    /// # Errors
    /// The first error returned by a middleware or the bot.
    pub async fn run_bot(&self, ctx: &mut TurnContext, bot: &dyn Bot) -> TurnResult {
        self.run(ctx, Terminal::Bot(bot)).await
    }

    /// Runs the middleware and then continuation logic (a proactive turn).
    ///
    /// # Errors
    /// The first error returned by a middleware or the logic.
    pub async fn run_logic(&self, ctx: &mut TurnContext, logic: ContinueLogic) -> TurnResult {
        self.run(ctx, Terminal::Logic(logic)).await
    }

    pub(crate) async fn run(&self, ctx: &mut TurnContext, terminal: Terminal<'_>) -> TurnResult {
        Next {
            middleware: &self.items,
            terminal,
        }
        .run(ctx)
        .await
    }
}

#[async_trait]
impl Middleware for MiddlewareSet {
    /// A set used as one middleware runs its members, then the rest of the outer pipeline.
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        let mut combined: Vec<Arc<dyn Middleware>> = self.items.iter().cloned().collect();
        combined.extend(next.middleware.iter().cloned());
        Next {
            middleware: &combined,
            terminal: next.terminal,
        }
        .run(ctx)
        .await
    }
}

impl fmt::Debug for MiddlewareSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MiddlewareSet")
            .field("len", &self.items.len())
            .finish()
    }
}

mod dedup;
mod show_typing;
mod teams_sso;
mod telemetry_logger;
mod transcript;

pub use dedup::{DEDUP_KEY_PREFIX, DeduplicationMiddleware};
pub use show_typing::ShowTypingMiddleware;
pub use teams_sso::{SSO_KEY_PREFIX, TeamsSsoTokenExchangeMiddleware};
pub use telemetry_logger::{TelemetryLoggerMiddleware, activity_event};
pub use transcript::{
    MemoryTranscriptStore, PagedResult, TRANSCRIPT_PAGE_SIZE, TranscriptInfo,
    TranscriptLoggerMiddleware, TranscriptStore,
};
