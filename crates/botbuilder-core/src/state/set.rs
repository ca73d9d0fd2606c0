//! [`BotStateSet`] and [`AutoSaveStateMiddleware`]: save every scope at the end of a turn.

use async_trait::async_trait;

use super::BotState;
use crate::error::report;
use crate::{Error, Middleware, Next, TurnContext, TurnResult};

/// Several state scopes, loaded or saved together (BotBuilder's `BotStateSet`).
///
/// ```
/// use botbuilder_core::state::{BotStateSet, ConversationState, UserState};
/// use botbuilder_core::storage::MemoryStorage;
///
/// let storage = MemoryStorage::new();
/// let set = BotStateSet::new()
///     .with(ConversationState::new(storage.clone()))
///     .with(UserState::new(storage));
/// assert_eq!(set.states().len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct BotStateSet {
    states: Vec<BotState>,
}

impl BotStateSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scope, by value.
    #[must_use]
    pub fn with(mut self, state: impl Into<BotState>) -> Self {
        self.add(state);
        self
    }

    /// Adds a scope.
    pub fn add(&mut self, state: impl Into<BotState>) -> &mut Self {
        self.states.push(state.into());
        self
    }

    /// The scopes, in the order they were added.
    #[must_use]
    pub fn states(&self) -> &[BotState] {
        &self.states
    }

    /// Reads every scope into the turn (see [`BotState::load`]).
    ///
    /// # Errors
    /// The first scope's error; later scopes are not read.
    pub async fn load_all(&self, ctx: &mut TurnContext, force: bool) -> Result<(), Error> {
        for state in &self.states {
            state.load(ctx, force).await?;
        }
        Ok(())
    }

    /// Saves every scope that changed (see [`BotState::save_changes`]). A failing scope does
    /// not stop the others from being saved.
    ///
    /// # Errors
    /// The first error (the others are logged).
    pub async fn save_all_changes(&self, ctx: &mut TurnContext, force: bool) -> Result<(), Error> {
        let mut first_error = None;
        for state in &self.states {
            if let Err(error) = state.save_changes(ctx, force).await {
                if first_error.is_none() {
                    first_error = Some(error);
                } else {
                    tracing::warn!(scope = state.name(), error = %report(&error), "could not save state");
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Saves the state of every registered scope at the end of each turn, proactive turns
/// included (BotBuilder's `AutoSaveStateMiddleware`).
///
/// Scopes are saved only if the turn changed them, and only if the turn succeeded: when the
/// bot (or a later middleware) returns an error, its changes are dropped and the error goes
/// to `on_turn_error` as usual. A save that fails, a [conflict](Error::StorageConflict)
/// included, fails the turn: `on_turn_error` runs (after the bot's replies were sent) and the
/// adapter returns the error. Register it first so that it wraps everything else.
///
/// ```
/// use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState, UserState};
/// use botbuilder_core::storage::MemoryStorage;
/// use botbuilder_core::testing::TestAdapter;
///
/// let storage = MemoryStorage::new();
/// let conversation = ConversationState::new(storage.clone());
/// let user = UserState::new(storage);
/// let adapter = TestAdapter::new().with_middleware(
///     AutoSaveStateMiddleware::default()
///         .with(conversation.clone())
///         .with(user.clone()),
/// );
/// # let _ = adapter;
/// ```
#[derive(Clone, Debug, Default)]
pub struct AutoSaveStateMiddleware {
    states: BotStateSet,
}

impl AutoSaveStateMiddleware {
    /// Saves the scopes of `states`.
    #[must_use]
    pub fn new(states: BotStateSet) -> Self {
        Self { states }
    }

    /// Saves this scope too.
    #[must_use]
    pub fn with(mut self, state: impl Into<BotState>) -> Self {
        self.states.add(state);
        self
    }

    /// The scopes it saves.
    #[must_use]
    pub fn state_set(&self) -> &BotStateSet {
        &self.states
    }
}

#[async_trait]
impl Middleware for AutoSaveStateMiddleware {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        next.run(ctx).await?;
        self.states.save_all_changes(ctx, false).await?;
        Ok(())
    }
}
