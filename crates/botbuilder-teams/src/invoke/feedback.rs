//! Message actions: `message/submitAction` (the like/dislike feedback buttons of a bot
//! message) and O365 connector card actions (`actionableMessage/executeAction`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The value of `message/submitAction`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSubmitAction {
    /// The action (`feedback`).
    #[serde(default)]
    pub action_name: String,
    /// The action's value: for feedback `{"reaction": "like"|"dislike", "feedback": "..."}`
    /// where `feedback` is a JSON string of the form the user filled in.
    #[serde(default)]
    pub action_value: Value,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessageSubmitAction {
    /// `like` or `dislike`, for a feedback action.
    #[must_use]
    pub fn reaction(&self) -> Option<&str> {
        self.action_value.get("reaction").and_then(Value::as_str)
    }

    /// The text the user wrote, for a feedback action (`feedback` is itself JSON,
    /// `{"feedbackText": "..."}`; this returns its `feedbackText`, or the raw string when it
    /// is not JSON).
    #[must_use]
    pub fn feedback_text(&self) -> Option<String> {
        let raw = self.action_value.get("feedback").and_then(Value::as_str)?;
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(form)) => form
                .get("feedbackText")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => Some(raw.to_owned()),
        }
    }
}

/// The value of `actionableMessage/executeAction`: an `HttpPOST` action of an O365 connector
/// card.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct O365ConnectorCardActionQuery {
    /// The action's body, with the card's inputs substituted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The action's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
