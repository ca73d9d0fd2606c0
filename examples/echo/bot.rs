//! The echo bot: says hello to whoever joins, and repeats every message.
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_echo.rs` plays it with `TestFlow`.

use botbuilder::prelude::*;

/// The greeting sent to each member who joins the conversation.
pub(crate) const WELCOME: &str = "Hello and welcome! Say something and I will echo it.";

/// Repeats what it is told.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EchoBot;

#[async_trait]
impl ActivityHandler for EchoBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let text = ctx.activity().text();
        ctx.send_activity(format!("Echo: {text}")).await?;
        Ok(())
    }

    async fn on_members_added(
        &self,
        members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        // One welcome per member who joined (the bot itself is already filtered out).
        for _member in members_added {
            ctx.send_activity(WELCOME).await?;
        }
        Ok(())
    }
}
