//! [`Bot`]: what runs a turn.

use async_trait::async_trait;

use crate::callback::Call1;
use crate::{TurnContext, TurnResult};

/// A bot: given a turn, it reads the incoming activity and answers.
///
/// Implement it directly for full control, or implement
/// [`ActivityHandler`](crate::ActivityHandler) (every `ActivityHandler` is a `Bot`) to get one
/// method per activity kind. Usable as `Arc<dyn Bot>`.
///
/// ```
/// use botbuilder_core::{async_trait, Bot, TurnContext, TurnResult};
///
/// struct Echo;
///
/// #[async_trait]
/// impl Bot for Echo {
///     async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
///         if ctx.activity().activity_type == "message" {
///             let text = ctx.activity().text();
///             ctx.send_activity(format!("Echo: {text}")).await?;
///         }
///         Ok(())
///     }
/// }
///
/// let bot: std::sync::Arc<dyn Bot> = std::sync::Arc::new(Echo);
/// # let _ = bot;
/// ```
#[async_trait]
pub trait Bot: Send + Sync {
    /// Handles one turn. An error goes to the adapter's `on_turn_error`.
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult;
}

/// A [`Bot`] made from an async closure, for small bots and tests; see [`bot_fn`].
#[derive(Clone)]
pub struct BotFn<F>(F);

impl<F> std::fmt::Debug for BotFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BotFn")
    }
}

/// Makes a [`Bot`] from an async closure of the turn context.
///
/// The closure is cloned for each turn, so its captures must be `Clone` (capture an `Arc`
/// of anything shared); see [`callback`](crate::callback).
///
/// ```
/// use botbuilder_core::{bot_fn, Bot};
///
/// let prefix = String::from("Echo: ");
/// let echo = bot_fn(async move |ctx| {
///     let text = ctx.activity().text();
///     ctx.send_activity(format!("{prefix}{text}")).await?;
///     Ok(())
/// });
/// let _: &dyn Bot = &echo;
/// ```
pub fn bot_fn<F>(f: F) -> BotFn<F>
where
    F: AsyncFnOnce(&mut TurnContext) -> TurnResult
        + for<'a> Call1<'a, &'a mut TurnContext, TurnResult>
        + Clone
        + Sync,
{
    BotFn(f)
}

#[async_trait]
impl<F> Bot for BotFn<F>
where
    F: for<'a> Call1<'a, &'a mut TurnContext, TurnResult> + Clone + Sync,
{
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.0.clone().call_boxed(ctx).await
    }
}
