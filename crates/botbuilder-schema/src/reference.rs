//! [`ConversationReference`]: everything needed to message a conversation later.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Activity, ActivityTypes, ChannelAccount, ChannelId, ConversationAccount, SchemaError};

/// The name of the event activity that starts a proactive (continuation) turn.
pub const CONTINUE_CONVERSATION_EVENT: &str = "ContinueConversation";

/// A pointer to a conversation and a position in it: channel, service URL, conversation,
/// user, bot, and the activity it was taken from.
///
/// Store one when a user talks to the bot, and hand it to the adapter's
/// `continue_conversation` later to send a proactive message. It is plain JSON with
/// BotBuilder's field names, so references stored by a C# or JS bot read back.
///
/// Every field is optional on the wire, as in BotBuilder; [`ConversationReference::validate`]
/// checks the ones a send needs.
///
/// ```
/// use botbuilder_schema::{Activity, ChannelAccount, ConversationAccount, ChannelId};
///
/// let incoming = Activity::message("run")
///     .with_id("a-1")
///     .with_channel_id(ChannelId::Webchat)
///     .with_service_url("https://webchat.botframework.com/")
///     .with_conversation(ConversationAccount::new("conv-1"))
///     .with_from(ChannelAccount::new("user-1"))
///     .with_recipient(ChannelAccount::new("bot-1"));
/// let reference = incoming.conversation_reference();
/// assert_eq!(reference.activity_id.as_deref(), Some("a-1"));
/// assert_eq!(reference.user.as_ref().map(|u| u.id.as_str()), Some("user-1"));
///
/// let continuation = reference.continuation_activity();
/// assert_eq!(continuation.name.as_deref(), Some("ContinueConversation"));
/// assert_eq!(continuation.from.as_ref().map(|a| a.id.as_str()), Some("user-1"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationReference {
    /// The activity the reference was taken from; replies in a normal turn name it as their
    /// `replyToId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    /// The user in the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<ChannelAccount>,
    /// The bot in the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<ChannelAccount>,
    /// The conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationAccount>,
    /// The channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// The locale of the user, applied to outgoing activities that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The channel's service URL: where activities for this conversation are sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_url: Option<String>,
    /// Properties this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ConversationReference {
    /// The conversation id, if any.
    #[must_use]
    pub fn conversation_id(&self) -> Option<&str> {
        self.conversation
            .as_ref()
            .map(|c| c.id.as_str())
            .filter(|id| !id.is_empty())
    }

    /// Checks that the reference has what a send needs: a channel, a service URL and a
    /// conversation id.
    ///
    /// # Errors
    /// [`SchemaError::MissingField`] naming the first absent field.
    pub fn validate(&self) -> Result<(), SchemaError> {
        const CONTEXT: &str = "in the conversation reference";
        if self.channel_id.is_none() {
            return Err(SchemaError::MissingField {
                field: "channelId",
                context: CONTEXT,
            });
        }
        if self.service_url.as_deref().is_none_or(str::is_empty) {
            return Err(SchemaError::MissingField {
                field: "serviceUrl",
                context: CONTEXT,
            });
        }
        if self.conversation_id().is_none() {
            return Err(SchemaError::MissingField {
                field: "conversation.id",
                context: CONTEXT,
            });
        }
        Ok(())
    }

    /// The event activity that starts a proactive turn in this conversation: type `event`,
    /// name `ContinueConversation`, `from` = the user, `recipient` = the bot, and `relatesTo` =
    /// this reference.
    ///
    /// It has **no `id`**: it is synthetic, never seen by the channel, so messages sent in a
    /// proactive turn carry no `replyToId` naming it (Web Chat holds a message whose
    /// `replyToId` it has not seen for seconds, waiting for it). The original activity id, if
    /// any, stays available in `relatesTo.activityId`.
    #[must_use]
    pub fn continuation_activity(&self) -> Activity {
        Activity {
            activity_type: ActivityTypes::Event,
            name: Some(CONTINUE_CONVERSATION_EVENT.to_owned()),
            channel_id: self.channel_id.clone(),
            service_url: self.service_url.clone(),
            conversation: self.conversation.clone(),
            from: self.user.clone(),
            recipient: self.bot.clone(),
            locale: self.locale.clone(),
            relates_to: Some(self.clone()),
            ..Activity::default()
        }
    }
}
