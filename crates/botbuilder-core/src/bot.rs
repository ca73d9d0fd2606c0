//! [`Bot`]: what runs a turn.

use async_trait::async_trait;

use crate::{BoxFuture, TurnContext, TurnResult};

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

/// A [`Bot`] made from a function, for small bots and tests; see [`bot_fn`].
pub struct BotFn<F>(F);

impl<F> std::fmt::Debug for BotFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BotFn")
    }
}

/// Makes a [`Bot`] from a function of the turn context.
///
/// ```
/// use botbuilder_core::{bot_fn, Bot};
///
/// let echo = bot_fn(|ctx| Box::pin(async move {
///     let text = ctx.activity().text().to_owned();
///     ctx.send_activity(text).await?;
///     Ok(())
/// }));
/// let _: &dyn Bot = &echo;
/// ```
pub fn bot_fn<F>(f: F) -> BotFn<F>
where
    F: for<'a> Fn(&'a mut TurnContext) -> BoxFuture<'a, TurnResult> + Send + Sync,
{
    BotFn(f)
}

#[async_trait]
impl<F> Bot for BotFn<F>
where
    F: for<'a> Fn(&'a mut TurnContext) -> BoxFuture<'a, TurnResult> + Send + Sync,
{
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        (self.0)(ctx).await
    }
}
