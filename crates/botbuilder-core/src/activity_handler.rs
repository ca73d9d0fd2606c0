//! [`ActivityHandler`]: one method per kind of activity.

use async_trait::async_trait;
use botbuilder_schema::{Activity, ActivityTypes, ChannelAccount, InvokeResponse, MessageReaction};

use crate::{Bot, TurnContext, TurnResult};

/// The event name of a token response (OAuth sign-in completed).
pub const TOKEN_RESPONSE_EVENT: &str = "tokens/response";

/// A bot with one method per kind of activity. Override the ones you need; the others do
/// nothing (invokes answer 501).
///
/// Every `ActivityHandler` is a [`Bot`]. [`ActivityHandler::on_turn`] routes the activity with
/// [`dispatch_activity`]; override it to run code before or after every turn and call
/// `dispatch_activity(self, ctx)` yourself (BotBuilder's `base.OnTurnAsync`).
///
/// Each method gets the turn context with the incoming activity; an error returned from any of
/// them goes to the adapter's `on_turn_error`.
///
/// ```
/// use botbuilder_core::{async_trait, ActivityHandler, TurnContext, TurnResult};
/// use botbuilder_core::schema::ChannelAccount;
///
/// struct Greeter;
///
/// #[async_trait]
/// impl ActivityHandler for Greeter {
///     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
///         let text = ctx.activity().text();
///         ctx.send_activity(format!("You said: {text}")).await?;
///         Ok(())
///     }
///
///     async fn on_members_added(&self, members: Vec<ChannelAccount>, ctx: &mut TurnContext) -> TurnResult {
///         for member in members {
///             ctx.send_activity(format!("Welcome, {}!", member.name.unwrap_or(member.id))).await?;
///         }
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait ActivityHandler: Send + Sync {
    /// Runs for every turn. The default routes by activity type with [`dispatch_activity`].
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        dispatch_activity(self, ctx).await
    }

    /// A message (`message`).
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// A conversation update (`conversationUpdate`). The default calls
    /// [`on_members_added`](Self::on_members_added) and
    /// [`on_members_removed`](Self::on_members_removed) with the members other than the bot.
    async fn on_conversation_update_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let bot_id = recipient_id(ctx.activity());
        let added = others(ctx.activity().members_added(), &bot_id);
        if !added.is_empty() {
            self.on_members_added(added, ctx).await?;
        }
        let removed = others(ctx.activity().members_removed(), &bot_id);
        if !removed.is_empty() {
            self.on_members_removed(removed, ctx).await?;
        }
        Ok(())
    }

    /// Members other than the bot joined the conversation.
    async fn on_members_added(
        &self,
        members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (members_added, ctx);
        Ok(())
    }

    /// Members other than the bot left the conversation.
    async fn on_members_removed(
        &self,
        members_removed: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (members_removed, ctx);
        Ok(())
    }

    /// Reactions changed (`messageReaction`). The default calls
    /// [`on_reactions_added`](Self::on_reactions_added) and
    /// [`on_reactions_removed`](Self::on_reactions_removed).
    async fn on_message_reaction_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let added = ctx.activity().reactions_added.clone().unwrap_or_default();
        if !added.is_empty() {
            self.on_reactions_added(added, ctx).await?;
        }
        let removed = ctx.activity().reactions_removed.clone().unwrap_or_default();
        if !removed.is_empty() {
            self.on_reactions_removed(removed, ctx).await?;
        }
        Ok(())
    }

    /// Reactions were added to the message named by `replyToId`.
    async fn on_reactions_added(
        &self,
        reactions: Vec<MessageReaction>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (reactions, ctx);
        Ok(())
    }

    /// Reactions were removed from the message named by `replyToId`.
    async fn on_reactions_removed(
        &self,
        reactions: Vec<MessageReaction>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let _ = (reactions, ctx);
        Ok(())
    }

    /// An event (`event`). The default calls
    /// [`on_token_response_event`](Self::on_token_response_event) for `tokens/response` and
    /// [`on_event`](Self::on_event) for any other name.
    async fn on_event_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        if ctx.activity().name.as_deref() == Some(TOKEN_RESPONSE_EVENT) {
            self.on_token_response_event(ctx).await
        } else {
            self.on_event(ctx).await
        }
    }

    /// A `tokens/response` event: a user signed in (OAuth); the token is in `value`.
    async fn on_token_response_event(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// Any other event; its name is `ctx.activity().name`, its payload `value`.
    async fn on_event(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// An invoke (`invoke`): a request that expects a response in the HTTP answer (Teams task
    /// modules, messaging extensions, adaptive card actions). Return the response; the
    /// default answers 501 Not Implemented.
    async fn on_invoke_activity(&self, ctx: &mut TurnContext) -> TurnResult<InvokeResponse> {
        let _ = ctx;
        Ok(InvokeResponse::not_implemented())
    }

    /// The conversation ended (`endOfConversation`).
    async fn on_end_of_conversation_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// The user is typing (`typing`).
    async fn on_typing_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// The bot was installed or uninstalled (`installationUpdate`). The default calls
    /// [`on_installation_update_add`](Self::on_installation_update_add) for `add` and
    /// `add-upgrade`, and [`on_installation_update_remove`](Self::on_installation_update_remove)
    /// for `remove` and `remove-upgrade`.
    async fn on_installation_update_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let action = ctx.activity().action.clone().unwrap_or_default();
        if action == "add" || action.starts_with("add-") {
            self.on_installation_update_add(ctx).await
        } else if action == "remove" || action.starts_with("remove-") {
            self.on_installation_update_remove(ctx).await
        } else {
            Ok(())
        }
    }

    /// The bot was installed.
    async fn on_installation_update_add(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// The bot was uninstalled.
    async fn on_installation_update_remove(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// A message was edited (`messageUpdate`).
    async fn on_message_update_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// A message was deleted (`messageDelete`).
    async fn on_message_delete_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// A command (`command`); its name is `ctx.activity().name`.
    async fn on_command_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// The result of a command (`commandResult`).
    async fn on_command_result_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }

    /// Any other activity type (including types this SDK does not know).
    async fn on_unrecognized_activity_type(&self, ctx: &mut TurnContext) -> TurnResult {
        let _ = ctx;
        Ok(())
    }
}

/// Routes a turn to the [`ActivityHandler`] method for its activity type. This is what
/// `ActivityHandler::on_turn` does by default.
///
/// For an invoke, the handler's [`InvokeResponse`] becomes the turn's invoke response unless
/// the handler already set one.
///
/// # Errors
/// Whatever the handler method returns.
pub async fn dispatch_activity<H: ActivityHandler + ?Sized>(
    handler: &H,
    ctx: &mut TurnContext,
) -> TurnResult {
    let kind = ctx.activity().activity_type.clone();
    match kind {
        ActivityTypes::Message => handler.on_message_activity(ctx).await,
        ActivityTypes::ConversationUpdate => handler.on_conversation_update_activity(ctx).await,
        ActivityTypes::MessageReaction => handler.on_message_reaction_activity(ctx).await,
        ActivityTypes::Event => handler.on_event_activity(ctx).await,
        ActivityTypes::Invoke => {
            let response = handler.on_invoke_activity(ctx).await?;
            if ctx.invoke_response().is_none() {
                ctx.set_invoke_response(response);
            }
            Ok(())
        }
        ActivityTypes::EndOfConversation => handler.on_end_of_conversation_activity(ctx).await,
        ActivityTypes::Typing => handler.on_typing_activity(ctx).await,
        ActivityTypes::InstallationUpdate => handler.on_installation_update_activity(ctx).await,
        ActivityTypes::MessageUpdate => handler.on_message_update_activity(ctx).await,
        ActivityTypes::MessageDelete => handler.on_message_delete_activity(ctx).await,
        ActivityTypes::Command => handler.on_command_activity(ctx).await,
        ActivityTypes::CommandResult => handler.on_command_result_activity(ctx).await,
        _ => handler.on_unrecognized_activity_type(ctx).await,
    }
}

#[async_trait]
impl<H: ActivityHandler> Bot for H {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        ActivityHandler::on_turn(self, ctx).await
    }
}

fn recipient_id(activity: &Activity) -> String {
    activity
        .recipient
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or_default()
}

fn others(members: &[ChannelAccount], bot_id: &str) -> Vec<ChannelAccount> {
    members
        .iter()
        .filter(|m| bot_id.is_empty() || m.id != bot_id)
        .cloned()
        .collect()
}
