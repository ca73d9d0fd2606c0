//! What AI answers carry on the wire: the `streaminfo` entity of a streamed answer, the
//! `https://schema.org/Message` entity with its citations, "AI generated" label and
//! sensitivity label, and the feedback a user gives with the thumbs up / down buttons
//! (the `message/submitAction` invoke).
//!
//! These follow the formats Teams and Web Chat document for streamed bot messages and
//! AI-labelled messages. `botbuilder-core`'s `streaming::StreamingResponse` writes them; a
//! bot reads the feedback with [`Feedback::from_activity`].
//!
//! ```
//! use botbuilder_schema::ai::{AiMessage, Citation};
//! use botbuilder_schema::{Activity, Entity};
//!
//! let entity = AiMessage::generated()
//!     .with_citations([Citation::new("Rust book", "Ownership is a set of rules…").with_url("https://doc.rust-lang.org/book/")]);
//! let answer = Activity::message("Values have one owner [1].").with_entity(Entity::from_typed(&entity)?);
//! assert_eq!(answer.entities()[0].entity_type, "https://schema.org/Message");
//! # Ok::<(), botbuilder_schema::SchemaError>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::open_enum::open_enum;
use crate::{Activity, ActivityTypes, EntityKind, SchemaError};

open_enum! {
    /// What a streamed activity is (`streamType` of a [`StreamInfo`] entity).
    StreamType {
        /// A status line ("Searching your documents…") shown while the answer is prepared.
        Informative => "informative",
        /// The answer so far: each one carries all the text streamed until then.
        Streaming => "streaming",
        /// The complete answer, a message that ends the stream.
        Final => "final",
    }
}

/// The `streaminfo` entity of a streamed answer: which stream an activity belongs to, what it
/// is, and its place in the stream.
///
/// The first activity of a stream has no `streamId`: the id the channel gives that activity
/// becomes the stream's id, carried by every later activity. Informative and streaming updates
/// are `typing` activities numbered from 1 (`streamSequence`); the final one is a `message`.
///
/// ```
/// use botbuilder_schema::ai::{StreamInfo, StreamType};
/// use botbuilder_schema::Entity;
///
/// let info = StreamInfo { stream_id: Some("a-1".into()), stream_type: StreamType::Streaming, stream_sequence: Some(2), ..Default::default() };
/// let entity = Entity::from_typed(&info)?;
/// assert_eq!(serde_json::to_value(&entity)?, serde_json::json!({
///     "type": "streaminfo", "streamId": "a-1", "streamType": "streaming", "streamSequence": 2
/// }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamInfo {
    /// The stream's id: the id of its first activity; absent on that first activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    /// What this activity is.
    pub stream_type: StreamType,
    /// Its number in the stream, from 1 (absent on the final message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_sequence: Option<u64>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for StreamInfo {
    fn default() -> Self {
        Self {
            stream_id: None,
            stream_type: StreamType::Streaming,
            stream_sequence: None,
            extra: Map::new(),
        }
    }
}

impl EntityKind for StreamInfo {
    const TYPE: &'static str = "streaminfo";
}

impl StreamInfo {
    /// The `streaminfo` entity of an activity, if it has one that reads.
    #[must_use]
    pub fn of(activity: &Activity) -> Option<StreamInfo> {
        activity
            .entities()
            .iter()
            .find_map(|e| e.as_typed::<StreamInfo>().and_then(Result::ok))
    }
}

/// The value of `additionalType` that shows the "AI generated" label.
pub const AI_GENERATED_CONTENT: &str = "AIGeneratedContent";

/// The `https://schema.org/Message` entity of an AI answer: its citations (shown for the
/// `[1]`, `[2]` markers of the text), the "AI generated" label and a sensitivity label.
///
/// Teams reads one such entity per message; Web Chat shows its citations too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AiMessage {
    /// Always `Message`.
    #[serde(rename = "@type")]
    pub schema_type: String,
    /// Always `https://schema.org`.
    #[serde(rename = "@context")]
    pub context: String,
    /// The message's id in the schema's sense; empty.
    #[serde(rename = "@id", default)]
    pub id: String,
    /// `["AIGeneratedContent"]` shows the "AI generated" label.
    #[serde(
        rename = "additionalType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub additional_type: Option<Vec<String>>,
    /// The sources of the answer, numbered by their `position`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub citation: Vec<Citation>,
    /// The sensitivity label of the whole answer.
    #[serde(rename = "usageInfo", default, skip_serializing_if = "Option::is_none")]
    pub usage_info: Option<SensitivityLabel>,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for AiMessage {
    fn default() -> Self {
        Self {
            schema_type: "Message".into(),
            context: "https://schema.org".into(),
            id: String::new(),
            additional_type: None,
            citation: Vec::new(),
            usage_info: None,
            extra: Map::new(),
        }
    }
}

impl EntityKind for AiMessage {
    const TYPE: &'static str = "https://schema.org/Message";
}

impl AiMessage {
    /// An entity with the "AI generated" label.
    #[must_use]
    pub fn generated() -> Self {
        Self {
            additional_type: Some(vec![AI_GENERATED_CONTENT.into()]),
            ..Self::default()
        }
    }

    /// Adds citations, numbered after those already there (the first is `[1]`).
    #[must_use]
    pub fn with_citations(mut self, citations: impl IntoIterator<Item = Citation>) -> Self {
        for mut citation in citations {
            citation.position = u32::try_from(self.citation.len() + 1).unwrap_or(u32::MAX);
            self.citation.push(citation);
        }
        self
    }

    /// Sets the sensitivity label.
    #[must_use]
    pub fn with_sensitivity_label(mut self, label: SensitivityLabel) -> Self {
        self.usage_info = Some(label);
        self
    }

    /// Whether the "AI generated" label is shown.
    #[must_use]
    pub fn is_ai_generated(&self) -> bool {
        self.additional_type
            .as_deref()
            .is_some_and(|t| t.iter().any(|t| t == AI_GENERATED_CONTENT))
    }
}

/// One source of an answer (a schema.org `Claim`), shown for the `[n]` marker whose number is
/// its `position`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    /// Always `Claim`.
    #[serde(rename = "@type")]
    pub schema_type: String,
    /// Its number: `[1]` in the text refers to position 1.
    pub position: u32,
    /// What the citation shows.
    pub appearance: CitationAppearance,
    /// Properties this SDK does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Teams shows at most this many characters of a citation's abstract.
pub const CITATION_ABSTRACT_MAX: usize = 160;

impl Citation {
    /// A citation of a document named `name`, with an abstract (cut to
    /// [`CITATION_ABSTRACT_MAX`] characters). Its position is set when it is added to an
    /// [`AiMessage`] or a streamed answer.
    #[must_use]
    pub fn new(name: impl Into<String>, abstract_text: impl Into<String>) -> Self {
        Self {
            schema_type: "Claim".into(),
            position: 0,
            appearance: CitationAppearance {
                schema_type: "DigitalDocument".into(),
                name: name.into(),
                abstract_text: shorten(&abstract_text.into(), CITATION_ABSTRACT_MAX),
                url: None,
                keywords: None,
                extra: Map::new(),
            },
            extra: Map::new(),
        }
    }

    /// Sets the document's address.
    #[must_use]
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.appearance.url = Some(url.into());
        self
    }

    /// Sets keywords shown with the citation.
    #[must_use]
    pub fn with_keywords(mut self, keywords: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.appearance.keywords = Some(keywords.into_iter().map(Into::into).collect());
        self
    }
}

/// What a [`Citation`] shows: a schema.org `DigitalDocument`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CitationAppearance {
    /// Always `DigitalDocument`.
    #[serde(rename = "@type")]
    pub schema_type: String,
    /// The document's title.
    pub name: String,
    /// A short extract of the document.
    #[serde(rename = "abstract", default)]
    pub abstract_text: String,
    /// Where the document is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Keywords shown with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
    /// Properties this SDK does not model (`text`, `image`, `encodingFormat`, `usageInfo`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A sensitivity label (a schema.org `CreativeWork`), such as "Confidential".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensitivityLabel {
    /// Always `CreativeWork`.
    #[serde(rename = "@type")]
    pub schema_type: String,
    /// The label's name.
    pub name: String,
    /// What it means, shown when the user opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Properties this SDK does not model (`position`, `pattern`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SensitivityLabel {
    /// A label named `name`, described by `description`.
    #[must_use]
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            schema_type: "CreativeWork".into(),
            name: name.into(),
            description: Some(description.into()),
            extra: Map::new(),
        }
    }
}

/// The name of the invoke a feedback button sends.
pub const FEEDBACK_INVOKE_NAME: &str = "message/submitAction";

/// The `actionName` of a feedback invoke.
pub const FEEDBACK_ACTION_NAME: &str = "feedback";

open_enum! {
    /// Which feedback button the user pressed.
    FeedbackReaction {
        /// Thumbs up.
        Like => "like",
        /// Thumbs down.
        Dislike => "dislike",
    }
}

/// Feedback on a bot message, from the `message/submitAction` invoke its thumbs up / down
/// buttons send (shown when the message had `channelData.feedbackLoopEnabled`).
///
/// ```
/// use botbuilder_schema::Activity;
/// use botbuilder_schema::ai::{Feedback, FeedbackReaction};
/// use serde_json::json;
///
/// let mut invoke = Activity::invoke("message/submitAction", json!({
///     "actionName": "feedback",
///     "actionValue": {"reaction": "dislike", "feedback": "{\"feedbackText\":\"too long\"}"}
/// }));
/// invoke.reply_to_id = Some("answer-7".into());
/// let feedback = Feedback::from_activity(&invoke).unwrap()?;
/// assert_eq!(feedback.reaction, FeedbackReaction::Dislike);
/// assert_eq!(feedback.text.as_deref(), Some("too long"));
/// assert_eq!(feedback.message_id.as_deref(), Some("answer-7"));
/// # Ok::<(), botbuilder_schema::SchemaError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    /// Thumbs up or down.
    pub reaction: FeedbackReaction,
    /// What the user wrote, if anything (`feedbackText` of the form Teams shows).
    pub text: Option<String>,
    /// The whole `feedback` value as sent (a JSON string in Teams), for custom forms.
    pub raw: Option<Value>,
    /// The id of the message the feedback is about (the invoke's `replyToId`).
    pub message_id: Option<String>,
}

impl Feedback {
    /// Reads the feedback of a `message/submitAction` invoke whose `actionName` is `feedback`;
    /// `None` for any other activity.
    ///
    /// # Errors
    /// The inner `Err` when it is such an invoke but its value has no `reaction`.
    pub fn from_activity(activity: &Activity) -> Option<Result<Feedback, SchemaError>> {
        if activity.activity_type != ActivityTypes::Invoke
            || activity.name.as_deref() != Some(FEEDBACK_INVOKE_NAME)
        {
            return None;
        }
        let value = activity.value.as_ref()?;
        if value.get("actionName").and_then(Value::as_str) != Some(FEEDBACK_ACTION_NAME) {
            return None;
        }
        let action = value.get("actionValue");
        let Some(reaction) = action
            .and_then(|a| a.get("reaction"))
            .and_then(Value::as_str)
        else {
            return Some(Err(SchemaError::InvalidValue {
                context: "a feedback invoke's `actionValue.reaction` is missing".into(),
            }));
        };
        let raw = action.and_then(|a| a.get("feedback")).cloned();
        // Teams sends the form's content as a JSON string: `{"feedbackText": "..."}`.
        let text = match &raw {
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(form)) => form
                    .get("feedbackText")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                _ => Some(s.clone()),
            },
            Some(Value::Object(form)) => form
                .get("feedbackText")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        }
        .filter(|t| !t.is_empty());
        Some(Ok(Feedback {
            reaction: FeedbackReaction::from(reaction),
            text,
            raw,
            message_id: activity.reply_to_id.clone(),
        }))
    }
}

/// `text` cut to at most `max` characters, ending with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Entity;
    use serde_json::json;

    #[test]
    fn the_message_entity_has_the_documented_shape() {
        let entity = AiMessage::generated()
            .with_citations([
                Citation::new("Doc A", "a".repeat(200)).with_url("https://a.example/"),
                Citation::new("Doc B", "short"),
            ])
            .with_sensitivity_label(SensitivityLabel::new("Internal", "For staff"));
        let json = serde_json::to_value(Entity::from_typed(&entity).unwrap()).unwrap();
        assert_eq!(json["type"], "https://schema.org/Message");
        assert_eq!(json["@type"], "Message");
        assert_eq!(json["@context"], "https://schema.org");
        assert_eq!(json["@id"], "");
        assert_eq!(json["additionalType"], json!(["AIGeneratedContent"]));
        assert_eq!(json["citation"][0]["@type"], "Claim");
        assert_eq!(json["citation"][0]["position"], 1);
        assert_eq!(json["citation"][1]["position"], 2);
        assert_eq!(
            json["citation"][0]["appearance"]["@type"],
            "DigitalDocument"
        );
        let abstract_text = json["citation"][0]["appearance"]["abstract"]
            .as_str()
            .unwrap();
        assert_eq!(abstract_text.chars().count(), CITATION_ABSTRACT_MAX);
        assert!(abstract_text.ends_with('…'));
        assert_eq!(json["usageInfo"]["@type"], "CreativeWork");
        assert_eq!(json["usageInfo"]["name"], "Internal");
        let back: AiMessage = Entity::from_typed(&entity)
            .unwrap()
            .as_typed()
            .unwrap()
            .unwrap();
        assert_eq!(back, entity);
        assert!(back.is_ai_generated());
    }

    #[test]
    fn stream_types_round_trip_unknown_values() {
        let info: StreamInfo =
            serde_json::from_value(json!({"streamType": "paused", "streamSequence": 3})).unwrap();
        assert_eq!(info.stream_type, StreamType::Other("paused".into()));
        assert_eq!(serde_json::to_value(&info).unwrap()["streamType"], "paused");
    }

    #[test]
    fn feedback_reads_teams_and_plain_forms_and_ignores_other_invokes() {
        let invoke = |value: Value| Activity::invoke(FEEDBACK_INVOKE_NAME, value);
        let like = invoke(json!({"actionName": "feedback", "actionValue": {"reaction": "like"}}));
        let feedback = Feedback::from_activity(&like).unwrap().unwrap();
        assert_eq!(feedback.reaction, FeedbackReaction::Like);
        assert_eq!(feedback.text, None);
        let plain = invoke(
            json!({"actionName": "feedback", "actionValue": {"reaction": "dislike", "feedback": "meh"}}),
        );
        assert_eq!(
            Feedback::from_activity(&plain).unwrap().unwrap().text,
            Some("meh".into())
        );
        let missing = invoke(json!({"actionName": "feedback", "actionValue": {}}));
        assert!(Feedback::from_activity(&missing).unwrap().is_err());
        let other_action = invoke(json!({"actionName": "share"}));
        assert!(Feedback::from_activity(&other_action).is_none());
        assert!(Feedback::from_activity(&Activity::message("like")).is_none());
        // A real Teams invoke of another kind (a messaging extension's submitAction).
        let compose = Activity::from_json(include_bytes!(
            "../tests/fixtures/msteams_invoke_submit_action_preview.json"
        ))
        .unwrap();
        assert!(Feedback::from_activity(&compose).is_none());
    }
}
