//! Bot configuration (`config/fetch`, `config/submit`): the settings dialog of a bot in a team
//! or chat.

use botbuilder_schema::SuggestedActions;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::messaging_extension::CacheInfo;
use super::task_module::TaskModuleResponseBase;

/// The answer to `config/fetch` and `config/submit`: `{"responseType": "config", "config": ...}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResponse {
    /// Always `config`.
    #[serde(default)]
    pub response_type: String,
    /// A task (`continue` or `message`) or a sign-in (`{"type": "auth", ...}`).
    #[serde(default)]
    pub config: Value,
    /// How long Teams may cache the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_info: Option<CacheInfo>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ConfigResponse {
    /// Show this task module, or this message (see [`TaskModuleResponseBase`]).
    #[must_use]
    pub fn task(task: impl Into<TaskModuleResponseBase>) -> Self {
        Self {
            response_type: "config".to_owned(),
            config: serde_json::to_value(task.into()).unwrap_or(Value::Null),
            cache_info: None,
            extra: Map::new(),
        }
    }

    /// Ask the user to sign in first (`{"type": "auth", "suggestedActions": ...}`).
    #[must_use]
    pub fn auth(actions: SuggestedActions) -> Self {
        Self {
            response_type: "config".to_owned(),
            config: json!({"type": "auth", "suggestedActions": actions}),
            cache_info: None,
            extra: Map::new(),
        }
    }
}
