//! The state bot: a user profile in user state (the user's name, known in every conversation
//! with the bot), conversation data in conversation state (how many messages this
//! conversation has had), and whether the bot waits for this user's answer in private
//! conversation state (one user in one conversation, so that in a group chat one user's
//! question is not answered by another). All three are saved after each turn by
//! `AutoSaveStateMiddleware`.
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_state.rs` plays it with `TestFlow`.

use std::sync::Arc;

use botbuilder::core::state::{
    AutoSaveStateMiddleware, ConversationState, PrivateConversationState, StatePropertyAccessor,
    UserState,
};
use botbuilder::core::storage::Storage;
use botbuilder::prelude::*;
use serde::{Deserialize, Serialize};

/// The property of user state holding the profile (BotBuilder's samples use the same name).
pub(crate) const PROFILE_PROPERTY: &str = "UserProfile";
/// The property of conversation state holding the conversation's data.
pub(crate) const CONVERSATION_PROPERTY: &str = "ConversationData";
/// The property of private conversation state saying the bot asked this user's name here.
pub(crate) const ASKED_NAME_PROPERTY: &str = "AskedName";

/// The longest name kept, in characters.
const MAX_NAME: usize = 40;

/// What the bot knows about a user, in every conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserProfile {
    pub(crate) name: Option<String>,
}

/// What the bot knows about one conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConversationData {
    /// Messages received in this conversation.
    pub(crate) messages: u32,
}

/// The welcome sent to members who join.
pub(crate) const WELCOME: &str = "Welcome! I remember your name in every conversation with me, \
    and count the messages of each conversation. Say anything to start; `forget me` makes me \
    forget your name.";

/// Remembers names and counts messages.
#[derive(Clone, Debug)]
pub(crate) struct StateBot {
    conversation_state: ConversationState,
    user_state: UserState,
    private_state: PrivateConversationState,
    profile: StatePropertyAccessor<UserProfile>,
    conversation: StatePropertyAccessor<ConversationData>,
    asked_name: StatePropertyAccessor<bool>,
}

impl StateBot {
    /// A bot keeping its three scopes in `storage`.
    pub(crate) fn new(storage: Arc<dyn Storage>) -> Self {
        let conversation_state = ConversationState::new(storage.clone());
        let user_state = UserState::new(storage.clone());
        let private_state = PrivateConversationState::new(storage);
        Self {
            profile: user_state.create_property(PROFILE_PROPERTY),
            conversation: conversation_state.create_property(CONVERSATION_PROPERTY),
            asked_name: private_state.create_property(ASKED_NAME_PROPERTY),
            conversation_state,
            user_state,
            private_state,
        }
    }

    /// The middleware that saves the scopes at the end of every successful turn; register it
    /// on the adapter, first.
    pub(crate) fn auto_save(&self) -> AutoSaveStateMiddleware {
        AutoSaveStateMiddleware::default()
            .with(self.conversation_state.clone())
            .with(self.user_state.clone())
            .with(self.private_state.clone())
    }
}

/// The name in an answer to "What is your name?": `Ada`, `I'm Ada`, `my name is Ada.`
fn name_in(answer: &str) -> Option<String> {
    let lower = answer.to_lowercase();
    let mut name = answer;
    for prefix in ["my name is ", "i am ", "i'm ", "it's ", "call me "] {
        if lower.starts_with(prefix) {
            name = &answer[prefix.len()..];
            break;
        }
    }
    let name: String = name
        .trim()
        .trim_end_matches(['.', '!'])
        .chars()
        .take(MAX_NAME)
        .collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[async_trait]
impl ActivityHandler for StateBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let text = ctx.activity().text().trim().to_owned();
        let messages = self
            .conversation
            .update(ctx, |data| {
                data.messages += 1;
                data.messages
            })
            .await?;

        if text.eq_ignore_ascii_case("forget me") {
            self.profile.delete(ctx).await?;
            ctx.send_activity("Done: I have forgotten your name.")
                .await?;
            return Ok(());
        }

        let mut profile = self.profile.get_or_default(ctx).await?;
        let asked_name = self.asked_name.get_or_default(ctx).await?;
        let reply = match (&profile.name, asked_name) {
            (Some(name), _) => {
                format!("{name}, this is message {messages} of this conversation. You said: {text}")
            }
            (None, true) => match name_in(&text) {
                Some(name) => {
                    let reply = format!(
                        "Nice to meet you, {name}. I will remember your name in every conversation with me."
                    );
                    profile.name = Some(name);
                    self.profile.set(ctx, &profile).await?;
                    self.asked_name.delete(ctx).await?;
                    reply
                }
                None => "Sorry, I did not catch that. What is your name?".to_owned(),
            },
            (None, false) => {
                self.asked_name.set(ctx, true).await?;
                "Hello! What is your name?".to_owned()
            }
        };
        ctx.send_activity(reply).await?;
        Ok(())
    }

    async fn on_members_added(
        &self,
        _members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        ctx.send_activity(WELCOME).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_answers() {
        assert_eq!(name_in("Ada").as_deref(), Some("Ada"));
        assert_eq!(
            name_in("I'm Ada Lovelace.").as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(name_in("My name is Grace!").as_deref(), Some("Grace"));
        assert_eq!(name_in("call me   Al ").as_deref(), Some("Al"));
        assert_eq!(name_in("  "), None);
        assert_eq!(name_in("I am ").as_deref(), None);
        assert_eq!(name_in(&"x".repeat(100)).map(|n| n.len()), Some(MAX_NAME));
    }
}
