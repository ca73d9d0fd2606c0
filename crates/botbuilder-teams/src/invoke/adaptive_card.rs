//! Adaptive Card Universal Actions: `adaptiveCard/action` (`Action.Execute`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The content type of an Adaptive Card.
pub const ADAPTIVE_CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
/// The `type` of an [`AdaptiveCardInvokeResponse`] carrying a message.
pub const MESSAGE_RESPONSE_TYPE: &str = "application/vnd.microsoft.activity.message";
/// The `type` of an [`AdaptiveCardInvokeResponse`] carrying an error.
pub const ERROR_RESPONSE_TYPE: &str = "application/vnd.microsoft.error";

/// The value of an `adaptiveCard/action` invoke: the `Action.Execute` the user pressed (or the
/// card's automatic refresh).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdaptiveCardInvokeValue {
    /// The action.
    #[serde(default)]
    pub action: AdaptiveCardInvokeAction,
    /// A token the client obtained by single sign-on, when the card asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Value>,
    /// The magic code of a sign-in the card started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `manual` (the user pressed the button) or `automatic` (a refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AdaptiveCardInvokeValue {
    /// The action's verb (empty when it has none).
    #[must_use]
    pub fn verb(&self) -> &str {
        self.action.verb.as_deref().unwrap_or_default()
    }

    /// Whether this is a card refresh rather than a button press.
    #[must_use]
    pub fn is_refresh(&self) -> bool {
        self.trigger.as_deref() == Some("automatic")
    }
}

/// The action of an [`AdaptiveCardInvokeValue`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdaptiveCardInvokeAction {
    /// `Action.Execute` (the only type BotBuilder accepts).
    #[serde(default, rename = "type")]
    pub action_type: String,
    /// The action's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The verb that names what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verb: Option<String>,
    /// The action's data merged with the card's inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer to `adaptiveCard/action`: a card to show in place of the old one, a message, or
/// an error.
///
/// ```
/// use botbuilder_teams::invoke::AdaptiveCardInvokeResponse;
/// use serde_json::json;
///
/// let r = AdaptiveCardInvokeResponse::card(json!({"type": "AdaptiveCard", "version": "1.4"}));
/// assert_eq!(r.status_code, 200);
/// assert_eq!(r.response_type, "application/vnd.microsoft.card.adaptive");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdaptiveCardInvokeResponse {
    /// The status the client shows (200 for a card or a message).
    #[serde(default)]
    pub status_code: u16,
    /// The content type of `value`.
    #[serde(default, rename = "type")]
    pub response_type: String,
    /// The card (JSON), the message (string) or the error (`{code, message}`).
    #[serde(default)]
    pub value: Value,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AdaptiveCardInvokeResponse {
    /// Replace the card with this one (the card's JSON, `{"type": "AdaptiveCard", ...}`).
    #[must_use]
    pub fn card(card: Value) -> Self {
        Self {
            status_code: 200,
            response_type: ADAPTIVE_CARD_CONTENT_TYPE.to_owned(),
            value: card,
            extra: Map::new(),
        }
    }

    /// Keep the card and show this message.
    #[must_use]
    pub fn message(text: impl Into<String>) -> Self {
        Self {
            status_code: 200,
            response_type: MESSAGE_RESPONSE_TYPE.to_owned(),
            value: Value::String(text.into()),
            extra: Map::new(),
        }
    }

    /// An error the client shows: a status (400, 401, 500, ...), a code and a message.
    #[must_use]
    pub fn error(status_code: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status_code,
            response_type: ERROR_RESPONSE_TYPE.to_owned(),
            value: json!({"code": code.into(), "message": message.into()}),
            extra: Map::new(),
        }
    }
}

/// Adds (or replaces) the `refresh` of an Adaptive Card: the listed users' clients run
/// `Action.Execute` with `verb` when they show the card (at most 60 users), so each sees an
/// up-to-date card. Others see it after they press a button or when the bot updates the
/// message.
///
/// Does nothing when `card` is not a JSON object.
///
/// ```
/// use botbuilder_teams::invoke::with_refresh;
/// use serde_json::json;
///
/// let card = with_refresh(json!({"type": "AdaptiveCard"}), "refresh", ["29:ada"], json!({}));
/// assert_eq!(card["refresh"]["userIds"][0], "29:ada");
/// assert_eq!(card["refresh"]["action"]["type"], "Action.Execute");
/// ```
#[must_use]
pub fn with_refresh<I, S>(mut card: Value, verb: &str, user_ids: I, data: Value) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    if let Some(object) = card.as_object_mut() {
        let user_ids: Vec<String> = user_ids.into_iter().map(Into::into).collect();
        object.insert(
            "refresh".to_owned(),
            json!({
                "action": {"type": "Action.Execute", "verb": verb, "data": data},
                "userIds": user_ids,
            }),
        );
    }
    card
}
