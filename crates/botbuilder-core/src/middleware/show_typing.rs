//! [`ShowTypingMiddleware`]: typing indicators while the bot works.

use std::time::Duration;

use async_trait::async_trait;
use botbuilder_schema::{Activity, ActivityTypes};

use crate::error::report;
use crate::{Middleware, Next, TurnContext, TurnResult};

/// Sends a typing indicator when a turn takes longer than `delay`, and again every `period`
/// until the turn ends, so users see the bot is working on a slow answer.
///
/// It acts on message turns only; not on proactive turns, nor when replies are buffered for
/// `expectReplies`. Typing indicators go straight to the adapter (send hooks and transcripts
/// do not see them). A failure to send one is logged and stops the indicators, never the turn.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_core::middleware::ShowTypingMiddleware;
/// use botbuilder_core::testing::TestAdapter;
///
/// let adapter = TestAdapter::new().with_middleware(
///     ShowTypingMiddleware::new(Duration::from_millis(500), Duration::from_secs(2)),
/// );
/// # let _ = adapter;
/// ```
#[derive(Clone, Debug)]
pub struct ShowTypingMiddleware {
    delay: Duration,
    period: Duration,
}

impl Default for ShowTypingMiddleware {
    /// The first indicator after 500 ms, then one every 2 s (BotBuilder's defaults).
    fn default() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(2))
    }
}

impl ShowTypingMiddleware {
    /// Typing after `delay`, then every `period` (a zero period is treated as 1 s).
    #[must_use]
    pub fn new(delay: Duration, period: Duration) -> Self {
        let period = if period.is_zero() {
            Duration::from_secs(1)
        } else {
            period
        };
        Self { delay, period }
    }
}

#[async_trait]
impl Middleware for ShowTypingMiddleware {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        if ctx.is_proactive()
            || ctx.expects_replies()
            || ctx.activity().activity_type != ActivityTypes::Message
        {
            return next.run(ctx).await;
        }
        let typing = typing_loop(ctx.detached(), self.delay, self.period);
        let turn = next.run(ctx);
        tokio::pin!(turn);
        tokio::pin!(typing);
        tokio::select! {
            biased;
            result = &mut turn => result,
            () = &mut typing => turn.await,
        }
    }
}

/// Sends typing indicators until dropped; returns only if a send fails.
async fn typing_loop(ctx: TurnContext, delay: Duration, period: Duration) {
    tokio::time::sleep(delay).await;
    loop {
        let mut typing = Activity::typing();
        typing.apply_conversation_reference(ctx.conversation_reference(), false);
        if let Err(error) = ctx.adapter().send_activities(&ctx, vec![typing]).await {
            tracing::warn!(error = %report(&error), "could not send a typing indicator; stopping them for this turn");
            return;
        }
        tokio::time::sleep(period).await;
    }
}
