//! Task modules (dialogs): `task/fetch`, `task/submit` and the responses that open or close
//! them.

use botbuilder_schema::Attachment;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::messaging_extension::CacheInfo;

/// The value of `task/fetch` and `task/submit`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskModuleRequest {
    /// The card action's data (fetch) or the form's values (submit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// The client's context (`{"theme": "default"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    /// The tab the request came from (`{"tabEntityId": ...}`), for task modules opened by tabs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab_context: Option<Value>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer to `task/fetch` and `task/submit`: `{"task": {"type": ..., "value": ...}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskModuleResponse {
    /// What to do: show a task module, or a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskModuleResponseBase>,
    /// How long Teams may cache the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_info: Option<CacheInfo>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TaskModuleResponse {
    /// Show (or continue with) this task module: `{"task": {"type": "continue", ...}}`.
    #[must_use]
    pub fn continue_with(info: TaskModuleTaskInfo) -> Self {
        Self {
            task: Some(TaskModuleContinueResponse::new(info).into()),
            ..Self::default()
        }
    }

    /// Close the task module and show this message: `{"task": {"type": "message", ...}}`.
    #[must_use]
    pub fn message(text: impl Into<String>) -> Self {
        Self {
            task: Some(TaskModuleResponseBase::message(text)),
            ..Self::default()
        }
    }

    /// Close the task module silently: the body is `{}` (no `task`).
    #[must_use]
    pub fn close() -> Self {
        Self::default()
    }
}

/// The `task` of a [`TaskModuleResponse`]: its `type` and `value`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskModuleResponseBase {
    /// `continue` (value: [`TaskModuleTaskInfo`]) or `message` (value: a string).
    #[serde(default, rename = "type")]
    pub response_type: String,
    /// The value for the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TaskModuleResponseBase {
    /// A `message` task: close the module and show `text`.
    #[must_use]
    pub fn message(text: impl Into<String>) -> Self {
        Self {
            response_type: "message".to_owned(),
            value: Some(Value::String(text.into())),
            extra: Map::new(),
        }
    }
}

/// A `continue` task: show this task module.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskModuleContinueResponse {
    /// The task module.
    pub value: TaskModuleTaskInfo,
}

impl TaskModuleContinueResponse {
    /// Show `info`.
    #[must_use]
    pub fn new(info: TaskModuleTaskInfo) -> Self {
        Self { value: info }
    }
}

impl From<TaskModuleContinueResponse> for TaskModuleResponseBase {
    fn from(c: TaskModuleContinueResponse) -> Self {
        Self {
            response_type: "continue".to_owned(),
            value: serde_json::to_value(c.value).ok(),
            extra: Map::new(),
        }
    }
}

/// A task module: a card or a web page, its title and size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskModuleTaskInfo {
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `small`, `medium`, `large` or a number of pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<Value>,
    /// `small`, `medium`, `large` or a number of pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<Value>,
    /// The web page to show (instead of a card).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The Adaptive Card to show (instead of a page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Attachment>,
    /// The page to open where the client cannot show task modules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_url: Option<String>,
    /// The bot that receives `task/submit` (when another bot should).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_bot_id: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TaskModuleTaskInfo {
    /// A task module showing this card.
    #[must_use]
    pub fn card(title: impl Into<String>, card: Attachment) -> Self {
        Self {
            title: Some(title.into()),
            card: Some(card),
            ..Self::default()
        }
    }

    /// A task module showing this web page.
    #[must_use]
    pub fn url(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            title: Some(title.into()),
            url: Some(url.into()),
            ..Self::default()
        }
    }

    /// This size (`"small"`, `"medium"`, `"large"` or pixels as a number).
    #[must_use]
    pub fn with_size(mut self, width: impl Into<Value>, height: impl Into<Value>) -> Self {
        self.width = Some(width.into());
        self.height = Some(height.into());
        self
    }
}
