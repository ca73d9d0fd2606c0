//! [`Activity`]: the one message shape of the Bot Framework protocol.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    ActivityImportance, ActivityTypes, Attachment, AttachmentLayoutTypes, ChannelAccount,
    ChannelId, ConversationAccount, ConversationReference, DeliveryModes, EndOfConversationCodes,
    Entity, InputHints, Mention, MessageReaction, ResourceResponse, SchemaError, SemanticAction,
    SuggestedActions, TextFormatTypes, TextHighlight, Timestamp,
};

/// Everything that passes between a channel and a bot: messages, typing indicators,
/// conversation updates, events, invokes.
///
/// Field names are the protocol's camelCase names. Only `type` is required; every other field
/// is optional and, when absent, not written. A field the channel sends as `null` reads as
/// absent. Properties this SDK does not model are kept in [`Activity::extra`] and written
/// back, so nothing a channel sends is lost.
///
/// ```
/// use botbuilder_schema::{Activity, ActivityTypes};
///
/// let activity = Activity::from_json(br#"{
///     "type": "message", "id": "1", "text": "hi", "channelId": "msteams",
///     "timestamp": "2019-09-06T15:21:21.9035613Z", "futureField": {"x": 1}
/// }"#)?;
/// assert_eq!(activity.activity_type, ActivityTypes::Message);
/// assert_eq!(activity.text(), "hi");
/// assert_eq!(activity.extra["futureField"]["x"], 1);
///
/// let back = serde_json::to_value(&activity)?;
/// assert_eq!(back["timestamp"], "2019-09-06T15:21:21.9035613Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// The kind of activity (`type`).
    #[serde(rename = "type")]
    pub activity_type: ActivityTypes,
    /// The id of the activity on its channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When the activity was sent, in UTC (as the channel wrote it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// When the activity was sent, in the sender's local time and offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_timestamp: Option<Timestamp>,
    /// The sender's IANA time zone name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_timezone: Option<String>,
    /// Who is calling: `urn:botframework:azure` for the public cloud, `urn:botframework:azureusgov`
    /// for US Government, or a skill's parent bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<String>,
    /// The channel's endpoint for replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_url: Option<String>,
    /// The channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// The sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ChannelAccount>,
    /// The conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationAccount>,
    /// The recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<ChannelAccount>,
    /// The format of `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_format: Option<TextFormatTypes>,
    /// How several attachments are laid out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_layout: Option<AttachmentLayoutTypes>,
    /// Members who joined (conversationUpdate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_added: Option<Vec<ChannelAccount>>,
    /// Members who left (conversationUpdate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_removed: Option<Vec<ChannelAccount>>,
    /// Reactions added (messageReaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactions_added: Option<Vec<MessageReaction>>,
    /// Reactions removed (messageReaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactions_removed: Option<Vec<MessageReaction>>,
    /// The conversation's new topic (conversationUpdate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<String>,
    /// Whether earlier history is disclosed to new members (conversationUpdate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_disclosed: Option<bool>,
    /// The locale of the text, such as `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The message text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// What to say (SSML or text) on speech channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speak: Option<String>,
    /// Whether the sender expects input next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_hint: Option<InputHints>,
    /// Text shown when the channel cannot render the activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Quick-reply buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_actions: Option<SuggestedActions>,
    /// Attachments and cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
    /// Entities: mentions, client info, places, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<Entity>>,
    /// The channel's own data (Teams: tenant, team, channel, event type), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<Value>,
    /// `add` or `remove` (contactRelationUpdate, installationUpdate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The activity this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to_id: Option<String>,
    /// A label (trace activities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The type of `value` (trace activities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_type: Option<String>,
    /// A value: an event's payload, an invoke's body, a card submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The name of an event, invoke or trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The conversation reference this activity relates to (continuation events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relates_to: Option<ConversationReference>,
    /// Why the conversation ended (endOfConversation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<EndOfConversationCodes>,
    /// When the activity should be considered expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Timestamp>,
    /// Importance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<ActivityImportance>,
    /// How replies are delivered (`expectReplies` returns them in the HTTP response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_mode: Option<DeliveryModes>,
    /// Phrases a speech recognizer should listen for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_for: Option<Vec<String>>,
    /// Parts of a referenced activity's text that this one is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_highlights: Option<Vec<TextHighlight>>,
    /// A programmatic action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic_action: Option<SemanticAction>,
    /// Properties this SDK does not model, kept and written back unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Builder-style setters, each `#[must_use]` and by value.
macro_rules! setters {
    ($( $(#[$doc:meta])* $fn_name:ident => $field:ident : $ty:ty ),+ $(,)?) => {
        impl Activity {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $fn_name(mut self, value: impl Into<$ty>) -> Self {
                    self.$field = Some(value.into());
                    self
                }
            )+
        }
    };
}

setters! {
    /// Sets `id`.
    with_id => id: String,
    /// Sets `text`.
    with_text => text: String,
    /// Sets `speak`.
    with_speak => speak: String,
    /// Sets `inputHint`.
    with_input_hint => input_hint: InputHints,
    /// Sets `textFormat`.
    with_text_format => text_format: TextFormatTypes,
    /// Sets `channelId`.
    with_channel_id => channel_id: ChannelId,
    /// Sets `serviceUrl`.
    with_service_url => service_url: String,
    /// Sets `from`.
    with_from => from: ChannelAccount,
    /// Sets `recipient`.
    with_recipient => recipient: ChannelAccount,
    /// Sets `conversation`.
    with_conversation => conversation: ConversationAccount,
    /// Sets `locale`.
    with_locale => locale: String,
    /// Sets `localTimezone` (an IANA time zone name).
    with_local_timezone => local_timezone: String,
    /// Sets `name`.
    with_name => name: String,
    /// Sets `value`.
    with_value => value: Value,
    /// Sets `replyToId`.
    with_reply_to_id => reply_to_id: String,
    /// Sets `channelData`.
    with_channel_data => channel_data: Value,
    /// Sets `suggestedActions`.
    with_suggested_actions => suggested_actions: SuggestedActions,
    /// Sets `attachmentLayout`.
    with_attachment_layout => attachment_layout: AttachmentLayoutTypes,
    /// Sets `deliveryMode`.
    with_delivery_mode => delivery_mode: DeliveryModes,
    /// Sets `timestamp`.
    with_timestamp => timestamp: Timestamp,
    /// Sets `summary`.
    with_summary => summary: String,
}

impl Activity {
    /// An activity of the given type with nothing else set.
    #[must_use]
    pub fn new(activity_type: impl Into<ActivityTypes>) -> Self {
        Self {
            activity_type: activity_type.into(),
            ..Self::default()
        }
    }

    /// A message with this text.
    #[must_use]
    pub fn message(text: impl Into<String>) -> Self {
        Self {
            activity_type: ActivityTypes::Message,
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// A typing indicator.
    #[must_use]
    pub fn typing() -> Self {
        Self::new(ActivityTypes::Typing)
    }

    /// A named event with a value.
    #[must_use]
    pub fn event(name: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            activity_type: ActivityTypes::Event,
            name: Some(name.into()),
            value: Some(value.into()),
            ..Self::default()
        }
    }

    /// An invoke with a name and a value.
    #[must_use]
    pub fn invoke(name: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            activity_type: ActivityTypes::Invoke,
            name: Some(name.into()),
            value: Some(value.into()),
            ..Self::default()
        }
    }

    /// A trace activity (shown only by the Emulator and transcripts), timestamped now, as
    /// BotBuilder's trace activities are.
    ///
    /// ```
    /// use botbuilder_schema::Activity;
    ///
    /// let trace = Activity::trace("step", None, None, None);
    /// assert_eq!(trace.value_type.as_deref(), Some("step"));
    /// assert!(trace.timestamp.is_some());
    /// ```
    #[must_use]
    pub fn trace(
        name: impl Into<String>,
        value: Option<Value>,
        value_type: Option<String>,
        label: Option<String>,
    ) -> Self {
        let name = name.into();
        Self {
            activity_type: ActivityTypes::Trace,
            timestamp: Some(Timestamp::now()),
            value_type: value_type.or_else(|| Some(name.clone())),
            name: Some(name),
            value,
            label,
            ..Self::default()
        }
    }

    /// An endOfConversation activity with a code.
    #[must_use]
    pub fn end_of_conversation(code: EndOfConversationCodes) -> Self {
        Self {
            activity_type: ActivityTypes::EndOfConversation,
            code: Some(code),
            ..Self::default()
        }
    }

    /// Parses an activity from JSON bytes (an HTTP request body).
    ///
    /// Malformed, truncated or too deeply nested JSON (over 128 levels), and fields of the
    /// wrong type, give an error naming line and column; this never panics.
    ///
    /// # Errors
    /// [`SchemaError::Json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, SchemaError> {
        serde_json::from_slice(bytes).map_err(|e| SchemaError::json("reading an activity", e))
    }

    /// Serialises the activity to JSON bytes.
    ///
    /// # Errors
    /// [`SchemaError::Json`] (only if an `extra` value cannot be written, which cannot
    /// happen for values that came from JSON).
    pub fn to_json(&self) -> Result<Vec<u8>, SchemaError> {
        serde_json::to_vec(self).map_err(|e| SchemaError::json("writing an activity", e))
    }

    /// The text, or `""` when there is none.
    #[must_use]
    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    /// Whether this activity has the given type.
    #[must_use]
    pub fn is_type(&self, activity_type: &ActivityTypes) -> bool {
        &self.activity_type == activity_type
    }

    /// The conversation id, when there is a non-empty one.
    #[must_use]
    pub fn conversation_id(&self) -> Option<&str> {
        self.conversation
            .as_ref()
            .map(|c| c.id.as_str())
            .filter(|id| !id.is_empty())
    }

    /// Members added, or an empty slice.
    #[must_use]
    pub fn members_added(&self) -> &[ChannelAccount] {
        self.members_added.as_deref().unwrap_or(&[])
    }

    /// Members removed, or an empty slice.
    #[must_use]
    pub fn members_removed(&self) -> &[ChannelAccount] {
        self.members_removed.as_deref().unwrap_or(&[])
    }

    /// Attachments, or an empty slice.
    #[must_use]
    pub fn attachments(&self) -> &[Attachment] {
        self.attachments.as_deref().unwrap_or(&[])
    }

    /// Entities, or an empty slice.
    #[must_use]
    pub fn entities(&self) -> &[Entity] {
        self.entities.as_deref().unwrap_or(&[])
    }

    /// Whether the activity carries anything to show: text, speech, summary, attachments,
    /// suggested actions or channel data.
    #[must_use]
    pub fn has_content(&self) -> bool {
        self.text.as_deref().is_some_and(|t| !t.trim().is_empty())
            || self.speak.as_deref().is_some_and(|t| !t.trim().is_empty())
            || self
                .summary
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty())
            || !self.attachments().is_empty()
            || self.suggested_actions.is_some()
            || self.channel_data.is_some()
    }

    /// Adds an attachment.
    #[must_use]
    pub fn with_attachment(mut self, attachment: Attachment) -> Self {
        self.attachments
            .get_or_insert_with(Vec::new)
            .push(attachment);
        self
    }

    /// Adds an entity.
    #[must_use]
    pub fn with_entity(mut self, entity: Entity) -> Self {
        self.entities.get_or_insert_with(Vec::new).push(entity);
        self
    }

    /// The conversation reference of this (incoming) activity: channel, service URL,
    /// conversation, locale, `user` = `from`, `bot` = `recipient`, and `activityId` = `id`.
    ///
    /// Like BotBuilder, the activity id is left out for a `conversationUpdate` on Web Chat and
    /// Direct Line: that id is not a message the channel will accept a reply to, so replies and
    /// proactive messages sent from such a reference carry no `replyToId`.
    #[must_use]
    pub fn conversation_reference(&self) -> ConversationReference {
        ConversationReference {
            activity_id: self.reference_activity_id().cloned(),
            user: self.from.clone(),
            bot: self.recipient.clone(),
            conversation: self.conversation.clone(),
            channel_id: self.channel_id.clone(),
            locale: self.locale.clone(),
            service_url: self.service_url.clone(),
            extra: Map::new(),
        }
    }

    /// The `activityId` of this activity's [conversation reference](Self::conversation_reference),
    /// and the `replyToId` of a reply to it: the activity's id, except for a
    /// `conversationUpdate` on Web Chat and Direct Line, whose id is not a message the channel
    /// accepts a reply to (BotBuilder leaves it out there too).
    fn reference_activity_id(&self) -> Option<&String> {
        let skip_id = self.activity_type == ActivityTypes::ConversationUpdate
            && self
                .channel_id
                .as_ref()
                .is_some_and(ChannelId::is_webchat_or_directline);
        if skip_id { None } else { self.id.as_ref() }
    }

    /// Completes this outgoing activity from the incoming one it answers: what
    /// `self.apply_conversation_reference(&incoming.conversation_reference(), false)` does,
    /// without making (and dropping) the reference in between.
    ///
    /// ```
    /// use botbuilder_schema::{Activity, ChannelAccount, ChannelId, ConversationAccount};
    ///
    /// let mut incoming = Activity::message("hi");
    /// incoming.id = Some("a1".into());
    /// incoming.channel_id = Some(ChannelId::Msteams);
    /// incoming.conversation = Some(ConversationAccount::new("c1"));
    /// incoming.from = Some(ChannelAccount::new("user"));
    /// incoming.recipient = Some(ChannelAccount::new("bot"));
    /// let mut reply = Activity::message("hello");
    /// reply.apply_reference_of(&incoming);
    /// let mut expected = Activity::message("hello");
    /// expected.apply_conversation_reference(&incoming.conversation_reference(), false);
    /// assert_eq!(reply, expected);
    /// assert_eq!(reply.reply_to_id.as_deref(), Some("a1"));
    /// ```
    pub fn apply_reference_of(&mut self, incoming: &Activity) {
        self.channel_id.clone_from(&incoming.channel_id);
        self.service_url.clone_from(&incoming.service_url);
        self.conversation.clone_from(&incoming.conversation);
        if self.locale.is_none() {
            self.locale.clone_from(&incoming.locale);
        }
        self.from.clone_from(&incoming.recipient);
        self.recipient.clone_from(&incoming.from);
        if self.reply_to_id.is_none() {
            self.reply_to_id = incoming.reference_activity_id().cloned();
        }
    }

    /// Applies a conversation reference to this activity.
    ///
    /// Both directions set `channelId`, `serviceUrl` and `conversation` from the reference, and
    /// `locale` only when the activity has none.
    /// - Outgoing (`is_incoming == false`, a reply or proactive message): `from` = the bot,
    ///   `recipient` = the user, and `replyToId` = the reference's activity id unless the
    ///   activity already names one.
    /// - Incoming (`is_incoming == true`, building a turn from a reference): `from` = the
    ///   user, `recipient` = the bot, and `id` = the reference's activity id when it has one.
    pub fn apply_conversation_reference(
        &mut self,
        reference: &ConversationReference,
        is_incoming: bool,
    ) {
        self.channel_id.clone_from(&reference.channel_id);
        self.service_url.clone_from(&reference.service_url);
        self.conversation.clone_from(&reference.conversation);
        if self.locale.is_none() {
            self.locale.clone_from(&reference.locale);
        }
        if is_incoming {
            self.from.clone_from(&reference.user);
            self.recipient.clone_from(&reference.bot);
            if reference.activity_id.is_some() {
                self.id.clone_from(&reference.activity_id);
            }
        } else {
            self.from.clone_from(&reference.bot);
            self.recipient.clone_from(&reference.user);
            if self.reply_to_id.is_none() {
                self.reply_to_id.clone_from(&reference.activity_id);
            }
        }
    }

    /// The reference of a message the bot sent in reply to this (incoming) activity, from the
    /// [`ResourceResponse`] of its send: this activity's
    /// [conversation reference](Activity::conversation_reference) with `activityId` = the
    /// response's id (BotBuilder's `GetReplyConversationReference`). Keep it to update or delete
    /// that message later, in a proactive turn. An empty response id (a reply buffered for
    /// `expectReplies`) leaves `activityId` unset.
    ///
    /// ```
    /// use botbuilder_schema::{Activity, ChannelAccount, ChannelId, ConversationAccount, ResourceResponse};
    ///
    /// let incoming = Activity::message("run")
    ///     .with_id("a-1")
    ///     .with_channel_id(ChannelId::Msteams)
    ///     .with_service_url("https://smba.trafficmanager.net/amer/")
    ///     .with_conversation(ConversationAccount::new("19:c"))
    ///     .with_from(ChannelAccount::new("29:user"))
    ///     .with_recipient(ChannelAccount::new("28:bot"));
    /// // `send_activity` answered with the id of the message the bot sent:
    /// let sent = incoming.reply_conversation_reference(&ResourceResponse::new("m-7"));
    /// assert_eq!(sent.activity_id.as_deref(), Some("m-7"));
    /// assert_eq!(sent.bot.map(|b| b.id).as_deref(), Some("28:bot"));
    /// ```
    #[must_use]
    pub fn reply_conversation_reference(&self, reply: &ResourceResponse) -> ConversationReference {
        ConversationReference {
            activity_id: Some(reply.id.clone()).filter(|id| !id.is_empty()),
            ..self.conversation_reference()
        }
    }

    /// A message replying to this activity, as BotBuilder's `CreateReply` builds it:
    /// `from`/`recipient` swapped, same channel, service URL, conversation, locale and
    /// `localTimezone`, `replyToId` = this activity's id (by the rule of
    /// [`Activity::conversation_reference`]: none for a `conversationUpdate` on Web Chat and
    /// Direct Line), timestamped now.
    ///
    /// ```
    /// use botbuilder_schema::{Activity, ChannelAccount, ChannelId};
    ///
    /// let incoming = Activity::message("hi")
    ///     .with_id("a-1")
    ///     .with_channel_id(ChannelId::Msteams)
    ///     .with_from(ChannelAccount::new("29:user"))
    ///     .with_recipient(ChannelAccount::new("28:bot"))
    ///     .with_local_timezone("Europe/Paris");
    /// let reply = incoming.create_reply("hello");
    /// assert_eq!(reply.reply_to_id.as_deref(), Some("a-1"));
    /// assert_eq!(reply.local_timezone.as_deref(), Some("Europe/Paris"));
    /// assert_eq!(reply.from.map(|a| a.id).as_deref(), Some("28:bot"));
    /// ```
    #[must_use]
    pub fn create_reply(&self, text: impl Into<String>) -> Activity {
        Activity {
            activity_type: ActivityTypes::Message,
            timestamp: Some(Timestamp::now()),
            from: self.recipient.clone(),
            recipient: self.from.clone(),
            reply_to_id: self.reference_activity_id().cloned(),
            service_url: self.service_url.clone(),
            channel_id: self.channel_id.clone(),
            conversation: self.conversation.clone(),
            locale: self.locale.clone(),
            local_timezone: self.local_timezone.clone(),
            text: Some(text.into()),
            ..Activity::default()
        }
    }

    /// The mentions in this activity's entities (entities of another shape are skipped).
    #[must_use]
    pub fn mentions(&self) -> Vec<Mention> {
        self.entities()
            .iter()
            .filter_map(|e| e.as_typed::<Mention>())
            .filter_map(Result::ok)
            .collect()
    }

    /// Removes from `text` every mention of the account with this id (Teams writes
    /// `<at>Bot</at>` into the text when a user mentions the bot), trims the result, and
    /// returns it. The entities are left as they are.
    pub fn remove_mention_text(&mut self, account_id: &str) -> &str {
        let mention_texts: Vec<String> = self
            .mentions()
            .into_iter()
            .filter(|m| m.mentioned.id == account_id)
            .filter_map(|m| m.text)
            .filter(|t| !t.is_empty())
            .collect();
        if let Some(text) = self.text.as_mut() {
            for mention in &mention_texts {
                *text = text.replace(mention.as_str(), "");
            }
            *text = text.trim().to_owned();
        }
        self.text()
    }

    /// Removes the mention of the recipient (the bot) from `text`; see
    /// [`Activity::remove_mention_text`].
    pub fn remove_recipient_mention(&mut self) -> &str {
        match self.recipient.as_ref().map(|r| r.id.clone()) {
            Some(id) => self.remove_mention_text(&id),
            None => self.text(),
        }
    }
}

/// A message from text alone, as BotBuilder's `sendActivity("...")` builds it: the text, and
/// `inputHint` = `acceptingInput`. (`Activity::message` sets no input hint: an activity built
/// explicitly keeps what its builder set.)
fn text_message(text: String) -> Activity {
    Activity::message(text).with_input_hint(InputHints::AcceptingInput)
}

impl From<&str> for Activity {
    /// A message with this text and `inputHint` = `acceptingInput`.
    fn from(text: &str) -> Self {
        text_message(text.to_owned())
    }
}

impl From<String> for Activity {
    /// A message with this text and `inputHint` = `acceptingInput`.
    fn from(text: String) -> Self {
        text_message(text)
    }
}

impl From<&String> for Activity {
    /// A message with this text and `inputHint` = `acceptingInput`.
    fn from(text: &String) -> Self {
        text_message(text.clone())
    }
}

impl std::str::FromStr for Activity {
    type Err = SchemaError;
    /// Parses an activity from JSON text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activity::from_json(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Found by the `activity_json` fuzz target: a float the default JSON parser rounded
    /// differently the second time (`5.444444444444945e71` became `...946e71`).
    #[test]
    fn numbers_read_back_exactly_as_written() {
        let body = br#"{"type":"message","channelData":{"seq":544444444444494444444444444444444444444444444444444444444444444444440006},"value":[0.1,1e-7,2.2250738585072014e-308,123456789.12345679]}"#;
        let activity = Activity::from_json(body).unwrap();
        let written = activity.to_json().unwrap();
        let again = Activity::from_json(&written).unwrap();
        assert_eq!(activity, again);
        assert_eq!(written, again.to_json().unwrap());
    }

    fn incoming() -> Activity {
        Activity::message("<at>Bot</at> run job")
            .with_id("a-1")
            .with_channel_id(ChannelId::Msteams)
            .with_service_url("https://smba.trafficmanager.net/amer/")
            .with_conversation(ConversationAccount::new("19:c"))
            .with_from(ChannelAccount::new("29:user").with_name("Ada"))
            .with_recipient(ChannelAccount::new("28:bot").with_name("Bot"))
            .with_locale("en-GB")
    }

    #[test]
    fn only_type_is_required() {
        assert!(Activity::from_json(b"{}").is_err());
        let a = Activity::from_json(br#"{"type":"typing"}"#).unwrap();
        assert_eq!(a, Activity::typing());
        assert_eq!(serde_json::to_value(&a).unwrap(), json!({"type": "typing"}));
    }

    #[test]
    fn nulls_read_as_absent() {
        let a = Activity::from_json(br#"{"type":"message","id":null,"text":null}"#).unwrap();
        assert_eq!(a.id, None);
        assert_eq!(a.text(), "");
    }

    #[test]
    fn conversation_reference_of_an_activity() {
        let r = incoming().conversation_reference();
        assert_eq!(r.activity_id.as_deref(), Some("a-1"));
        assert_eq!(r.user.unwrap().id, "29:user");
        assert_eq!(r.bot.unwrap().id, "28:bot");
        assert_eq!(r.channel_id, Some(ChannelId::Msteams));
        assert_eq!(
            r.service_url.as_deref(),
            Some("https://smba.trafficmanager.net/amer/")
        );
        assert_eq!(r.locale.as_deref(), Some("en-GB"));
        assert_eq!(r.conversation.unwrap().id, "19:c");
    }

    #[test]
    fn conversation_update_on_webchat_has_no_activity_id() {
        let mut a = incoming().with_channel_id(ChannelId::Webchat);
        a.activity_type = ActivityTypes::ConversationUpdate;
        assert_eq!(a.conversation_reference().activity_id, None);
        a.channel_id = Some(ChannelId::Directline);
        assert_eq!(a.conversation_reference().activity_id, None);
        a.channel_id = Some(ChannelId::Msteams);
        assert_eq!(
            a.conversation_reference().activity_id.as_deref(),
            Some("a-1")
        );
        a.activity_type = ActivityTypes::Message;
        a.channel_id = Some(ChannelId::Webchat);
        assert_eq!(
            a.conversation_reference().activity_id.as_deref(),
            Some("a-1")
        );
    }

    #[test]
    fn apply_reference_outgoing() {
        let r = incoming().conversation_reference();
        let mut out = Activity::message("hello").with_locale("fr-FR");
        out.apply_conversation_reference(&r, false);
        assert_eq!(out.from.as_ref().unwrap().id, "28:bot");
        assert_eq!(out.recipient.as_ref().unwrap().id, "29:user");
        assert_eq!(out.reply_to_id.as_deref(), Some("a-1"));
        assert_eq!(out.locale.as_deref(), Some("fr-FR"), "a set locale is kept");
        assert_eq!(out.conversation_id(), Some("19:c"));
        assert_eq!(out.id, None);

        let mut threaded = Activity::message("x").with_reply_to_id("other");
        threaded.apply_conversation_reference(&r, false);
        assert_eq!(threaded.reply_to_id.as_deref(), Some("other"));
        assert_eq!(
            threaded.locale.as_deref(),
            Some("en-GB"),
            "an unset locale is filled"
        );
    }

    #[test]
    fn apply_reference_of_is_applying_the_reference() {
        let mut update = incoming().with_channel_id(ChannelId::Webchat);
        update.activity_type = ActivityTypes::ConversationUpdate;
        let incomings = [
            incoming(),
            update,
            Activity::message("bare"),
            Activity::default(),
        ];
        let outgoings = [
            Activity::message("hello"),
            Activity::message("x")
                .with_reply_to_id("other")
                .with_locale("fr-FR"),
            incoming(),
            Activity::typing(),
        ];
        for i in &incomings {
            for o in &outgoings {
                let mut by_reference = o.clone();
                by_reference.apply_conversation_reference(&i.conversation_reference(), false);
                let mut direct = o.clone();
                direct.apply_reference_of(i);
                assert_eq!(direct, by_reference, "{i:?} / {o:?}");
            }
        }
    }

    #[test]
    fn apply_reference_incoming() {
        let r = incoming().conversation_reference();
        let mut a = Activity::new(ActivityTypes::Event);
        a.apply_conversation_reference(&r, true);
        assert_eq!(a.from.as_ref().unwrap().id, "29:user");
        assert_eq!(a.recipient.as_ref().unwrap().id, "28:bot");
        assert_eq!(a.id.as_deref(), Some("a-1"));
        assert_eq!(a.reply_to_id, None);
        assert_eq!(a.channel_id, Some(ChannelId::Msteams));
    }

    #[test]
    fn continuation_activity_has_no_id_and_relates_to_the_reference() {
        let r = incoming().conversation_reference();
        let c = r.continuation_activity();
        assert_eq!(c.activity_type, ActivityTypes::Event);
        assert_eq!(c.id, None);
        assert_eq!(c.relates_to.as_ref(), Some(&r));
        assert_eq!(c.from.as_ref().unwrap().id, "29:user");
        assert_eq!(c.recipient.as_ref().unwrap().id, "28:bot");
        // A reply built from the continuation's own reference names no synthetic activity.
        let mut reply = Activity::message("done");
        reply.apply_conversation_reference(&c.conversation_reference(), false);
        assert_eq!(reply.reply_to_id, None);
    }

    #[test]
    fn reference_validation_names_the_missing_field() {
        let mut r = incoming().conversation_reference();
        assert!(r.validate().is_ok());
        r.service_url = None;
        assert!(r.validate().unwrap_err().to_string().contains("serviceUrl"));
        r.service_url = Some("https://x/".into());
        r.conversation = Some(ConversationAccount::default());
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("conversation.id")
        );
    }

    #[test]
    fn create_reply_swaps_accounts() {
        let reply = incoming().create_reply("pong");
        assert_eq!(reply.from.unwrap().id, "28:bot");
        assert_eq!(reply.recipient.unwrap().id, "29:user");
        assert_eq!(reply.reply_to_id.as_deref(), Some("a-1"));
        assert_eq!(reply.text.as_deref(), Some("pong"));
        assert!(reply.timestamp.is_some());
        assert_eq!(reply.conversation.unwrap().id, "19:c");
        assert_eq!(reply.locale.as_deref(), Some("en-GB"));
        assert_eq!(reply.local_timezone, None);
    }

    #[test]
    fn create_reply_copies_the_local_timezone() {
        let reply = incoming()
            .with_local_timezone("America/Los_Angeles")
            .create_reply("pong");
        assert_eq!(reply.local_timezone.as_deref(), Some("America/Los_Angeles"));
    }

    #[test]
    fn create_reply_follows_the_reference_rule_for_conversation_updates() {
        for channel in [
            ChannelId::Webchat,
            ChannelId::Directline,
            ChannelId::Msteams,
        ] {
            let mut update = incoming().with_channel_id(channel.clone());
            update.activity_type = ActivityTypes::ConversationUpdate;
            assert_eq!(
                update.create_reply("welcome").reply_to_id,
                update.conversation_reference().activity_id,
                "{channel:?}"
            );
        }
        let mut update = incoming().with_channel_id(ChannelId::Webchat);
        update.activity_type = ActivityTypes::ConversationUpdate;
        assert_eq!(update.create_reply("welcome").reply_to_id, None);
        update.channel_id = Some(ChannelId::Msteams);
        assert_eq!(
            update.create_reply("welcome").reply_to_id.as_deref(),
            Some("a-1")
        );
    }

    #[test]
    fn reply_reference_names_the_sent_activity() {
        let r = incoming().reply_conversation_reference(&ResourceResponse::new("sent-9"));
        assert_eq!(r.activity_id.as_deref(), Some("sent-9"));
        assert_eq!(
            r,
            ConversationReference {
                activity_id: Some("sent-9".to_owned()),
                ..incoming().conversation_reference()
            }
        );
        // Even where the incoming id is left out (a conversationUpdate on Web Chat).
        let mut update = incoming().with_channel_id(ChannelId::Webchat);
        update.activity_type = ActivityTypes::ConversationUpdate;
        let r = update.reply_conversation_reference(&ResourceResponse::new("sent-10"));
        assert_eq!(r.activity_id.as_deref(), Some("sent-10"));
        // A buffered reply has no id to name.
        let r = incoming().reply_conversation_reference(&ResourceResponse::default());
        assert_eq!(r.activity_id, None);
    }

    #[test]
    fn text_alone_accepts_input_and_built_activities_keep_their_hint() {
        for a in [
            Activity::from("hi"),
            Activity::from("hi".to_owned()),
            Activity::from(&"hi".to_owned()),
        ] {
            assert_eq!(a.activity_type, ActivityTypes::Message);
            assert_eq!(a.text(), "hi");
            assert_eq!(a.input_hint, Some(InputHints::AcceptingInput));
        }
        assert_eq!(
            serde_json::to_value(Activity::from("hi")).unwrap(),
            json!({"type": "message", "text": "hi", "inputHint": "acceptingInput"})
        );
        assert_eq!(Activity::message("hi").input_hint, None);
        assert_eq!(
            Activity::message("hi")
                .with_input_hint(InputHints::ExpectingInput)
                .input_hint,
            Some(InputHints::ExpectingInput)
        );
    }

    #[test]
    fn trace_activities_are_timestamped() {
        let before = Timestamp::now();
        let trace = Activity::trace("t", Some(json!(1)), None, Some("label".into()));
        assert_eq!(trace.activity_type, ActivityTypes::Trace);
        let stamped = trace.timestamp.expect("a timestamp");
        assert!(stamped >= before);
    }

    #[test]
    fn mentions_and_stripping_the_bot_mention() {
        let mention = Mention::new(ChannelAccount::new("28:bot").with_name("Bot"));
        let other = Mention::new(ChannelAccount::new("29:eve").with_name("Eve"));
        let mut a = incoming()
            .with_text("<at>Bot</at> tell <at>Eve</at> hi ")
            .with_entity(Entity::from_typed(&mention).unwrap())
            .with_entity(Entity::from_typed(&other).unwrap())
            .with_entity(Entity::new("clientInfo"));
        assert_eq!(a.mentions().len(), 2);
        assert_eq!(a.remove_recipient_mention(), "tell <at>Eve</at> hi");
        assert_eq!(a.entities().len(), 3);
        let mut no_recipient = Activity::message(" x ");
        assert_eq!(no_recipient.remove_recipient_mention(), " x ");
    }

    #[test]
    fn has_content() {
        assert!(!Activity::message("  ").has_content());
        assert!(Activity::message("x").has_content());
        assert!(
            Activity::default()
                .with_attachment(Attachment::default())
                .has_content()
        );
        assert!(!Activity::typing().has_content());
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"{".to_vec(),
            b"{\"type\":\"message\",\"text\":".to_vec(),
            b"[]".to_vec(),
            b"null".to_vec(),
            br#"{"type":5}"#.to_vec(),
            br#"{"type":"message","from":"me"}"#.to_vec(),
            br#"{"type":"message","membersAdded":{}}"#.to_vec(),
            br#"{"type":"message","timestamp":"noon"}"#.to_vec(),
            br#"{"type":"message","historyDisclosed":"yes"}"#.to_vec(),
            vec![0xff, 0xfe, 0x00],
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            format!(
                r#"{{"type":"message","channelData":{}1{}}}"#,
                "[".repeat(10_000),
                "]".repeat(10_000)
            )
            .into_bytes(),
            format!(
                r#"{{"type":"message","unknown":{}1{}}}"#,
                "{\"a\":".repeat(10_000),
                "}".repeat(10_000)
            )
            .into_bytes(),
        ];
        for case in cases {
            let err = Activity::from_json(&case).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("invalid JSON while reading an activity")
            );
        }
    }
}
