//! Adaptive Card tabs: `tab/fetch` and `tab/submit`.

use botbuilder_schema::SuggestedActions;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The value of `tab/fetch`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabRequest {
    /// The tab (`{"tabEntityId": ...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab_context: Option<TabEntityContext>,
    /// The client's context (`{"theme": "default"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    /// The magic code of a sign-in the tab started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The value of `tab/submit`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabSubmit {
    /// The tab (`{"tabEntityId": ...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab_context: Option<TabEntityContext>,
    /// The client's context (`{"theme": "default"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    /// The submitted data (`{"type": "tab/submit", ...inputs}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Which tab a request is for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabEntityContext {
    /// The tab's entity id from the app manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab_entity_id: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer to `tab/fetch` and `tab/submit`: `{"tab": {"type": ..., "value": ...}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabResponse {
    /// The payload.
    #[serde(default)]
    pub tab: TabResponsePayload,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TabResponse {
    /// Show these Adaptive Cards (each the card's JSON) in the tab (`type: continue`).
    #[must_use]
    pub fn cards(cards: impl IntoIterator<Item = Value>) -> Self {
        let cards = cards
            .into_iter()
            .map(|card| serde_json::json!({"card": card}))
            .collect::<Vec<_>>();
        Self {
            tab: TabResponsePayload {
                response_type: "continue".to_owned(),
                value: Some(serde_json::json!({"cards": cards})),
                suggested_actions: None,
                extra: Map::new(),
            },
            extra: Map::new(),
        }
    }

    /// Ask the user to sign in (`type: auth`) with this action.
    #[must_use]
    pub fn auth(actions: SuggestedActions) -> Self {
        Self {
            tab: TabResponsePayload {
                response_type: "auth".to_owned(),
                value: None,
                suggested_actions: Some(actions),
                extra: Map::new(),
            },
            extra: Map::new(),
        }
    }
}

/// The `tab` of a [`TabResponse`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabResponsePayload {
    /// `continue`, `auth` or `silentAuth`.
    #[serde(default, rename = "type")]
    pub response_type: String,
    /// The cards (`{"cards": [{"card": ...}]}`) for `continue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The sign-in action for `auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_actions: Option<SuggestedActions>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
