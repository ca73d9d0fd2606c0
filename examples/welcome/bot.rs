//! The welcome bot: greets users when they join, with a card, once per user. Whether a user was
//! welcomed is a flag in user state, so a returning user (a new conversation, a reloaded Web
//! Chat page) gets a short "welcome back" instead of the whole introduction.
//!
//! Who gets what:
//!
//! - A user who joins by themselves (the conversationUpdate's `from` is the member added: the
//!   Emulator, Web Chat, a Teams personal chat): the welcome card the first time, "Welcome
//!   back" later.
//! - A member added by someone else (a group chat): a one-line greeting; their own flag is in
//!   *their* user state, which this turn (keyed by `from`) cannot read, so the card waits for
//!   their first message.
//! - A user whose channel sends no conversationUpdate: the welcome card at their first
//!   message.
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_welcome.rs` plays it with `TestFlow`.

use std::sync::Arc;

use botbuilder::core::state::{AutoSaveStateMiddleware, StatePropertyAccessor, UserState};
use botbuilder::core::storage::Storage;
use botbuilder::prelude::*;
use botbuilder::schema::{Attachment, HeroCard, MessageFactory};

/// The user state property set once the user has seen the welcome card.
pub(crate) const WELCOMED_PROPERTY: &str = "DidBotWelcomeUser";

/// The title of the welcome card.
pub(crate) const CARD_TITLE: &str = "Welcome to botbuilder-rs";

/// Welcomes each user once.
#[derive(Clone, Debug)]
pub(crate) struct WelcomeBot {
    user_state: UserState,
    welcomed: StatePropertyAccessor<bool>,
}

/// The welcome card: what the bot does, and where to read more.
pub(crate) fn welcome_card() -> Attachment {
    HeroCard::new(CARD_TITLE)
        .with_subtitle("A Bot Framework SDK for Rust")
        .with_text("I greet every user once. Type `intro` to see this card again, or say hello.")
        .with_image("https://www.rust-lang.org/logos/rust-logo-256x256.png")
        .with_button(CardAction::im_back("intro"))
        .with_button(CardAction::open_url(
            "Get started",
            "https://github.com/botbuilder-rs/botbuilder-rs/blob/main/docs/getting-started.md",
        ))
        .with_button(CardAction::open_url(
            "Bot Framework docs",
            "https://learn.microsoft.com/azure/bot-service/",
        ))
        .into_attachment()
}

fn display_name(account: Option<&ChannelAccount>) -> String {
    account
        .and_then(|a| a.name.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "there".to_owned())
}

impl WelcomeBot {
    /// A bot keeping its flags in `storage`.
    pub(crate) fn new(storage: Arc<dyn Storage>) -> Self {
        let user_state = UserState::new(storage);
        Self {
            welcomed: user_state.create_property(WELCOMED_PROPERTY),
            user_state,
        }
    }

    /// The middleware that saves user state after every successful turn; register it on the
    /// adapter.
    pub(crate) fn auto_save(&self) -> AutoSaveStateMiddleware {
        AutoSaveStateMiddleware::default().with(self.user_state.clone())
    }

    /// Sends the welcome card, and remembers that it did.
    async fn send_welcome(&self, ctx: &mut TurnContext, name: &str) -> TurnResult {
        let message = MessageFactory::attachment(welcome_card())
            .with_text(format!("Welcome, {name}! Here is what I can do."));
        ctx.send_activity(message).await?;
        self.welcomed.set(ctx, true).await?;
        Ok(())
    }
}

#[async_trait]
impl ActivityHandler for WelcomeBot {
    async fn on_members_added(
        &self,
        members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let from = ctx.activity().from.as_ref().map(|f| f.id.clone());
        for member in members_added {
            let name = display_name(Some(&member));
            if from.as_deref() != Some(member.id.as_str()) {
                ctx.send_activity(format!("Welcome, {name}!")).await?;
            } else if self.welcomed.get_or_default(ctx).await? {
                ctx.send_activity(format!("Welcome back, {name}!")).await?;
            } else {
                self.send_welcome(ctx, &name).await?;
            }
        }
        Ok(())
    }

    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let name = display_name(ctx.activity().from.as_ref());
        if !self.welcomed.get_or_default(ctx).await? {
            // This channel did not say the user joined: welcome them now.
            return self.send_welcome(ctx, &name).await;
        }
        let text = ctx.activity().text().trim().to_lowercase();
        match text.as_str() {
            "intro" | "help" => {
                ctx.send_activity(MessageFactory::attachment(welcome_card()))
                    .await?;
            }
            "hello" | "hi" => {
                ctx.send_activity(format!("Hi {name}!")).await?;
            }
            _ => {
                let said = ctx.activity().text().trim().to_owned();
                ctx.send_activity(format!(
                    "You said \"{said}\". Type `intro` to see the welcome card again."
                ))
                .await?;
            }
        }
        Ok(())
    }
}
