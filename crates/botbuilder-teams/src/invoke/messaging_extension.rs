//! Message extensions (`composeExtension/*`): search and action commands, link unfurling.

use botbuilder_schema::{Activity, Attachment, SuggestedActions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::task_module::{TaskModuleContinueResponse, TaskModuleResponseBase};

/// A search command's query (`composeExtension/query`, `composeExtension/querySettingUrl`,
/// `composeExtension/fetchTask` in some clients).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagingExtensionQuery {
    /// The command's id, as the app manifest declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// The parameters the user filled in.
    #[serde(default)]
    pub parameters: Vec<MessagingExtensionParameter>,
    /// Paging: how many results to skip and return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_options: Option<MessagingExtensionQueryOptions>,
    /// The state a sign-in or configuration flow passed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessagingExtensionQuery {
    /// The value of the parameter with this name, as a string (`None` when absent or not a
    /// string).
    #[must_use]
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .and_then(|p| p.value.as_ref())
            .and_then(Value::as_str)
    }

    /// Whether Teams asked for the initial results (the user opened the extension without
    /// typing: the `initialRun` parameter is `true`).
    #[must_use]
    pub fn is_initial_run(&self) -> bool {
        self.parameter("initialRun") == Some("true")
    }
}

/// One parameter of a message extension query.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagingExtensionParameter {
    /// The parameter's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its value (usually a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Paging of a query.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagingExtensionQueryOptions {
    /// How many results to skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<u32>,
    /// How many results to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A link pasted in the compose box (`composeExtension/queryLink`,
/// `composeExtension/anonymousQueryLink`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppBasedLinkQuery {
    /// The URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The state a sign-in flow passed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An action command (`composeExtension/submitAction`, `composeExtension/fetchTask`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagingExtensionAction {
    /// The command's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// Where the command was started: `message`, `compose` or `commandbox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_context: Option<String>,
    /// `edit` or `send` when the user acted on a bot message preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_message_preview_action: Option<String>,
    /// The preview the bot returned, sent back with `edit` and `send`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_activity_preview: Option<Vec<Activity>>,
    /// The message the command was started from (message actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_payload: Option<Value>,
    /// The form's data (the task module's submitted values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// The client's context (`{"theme": "default"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    /// The state a sign-in flow passed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer to a search command: `{"composeExtension": {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagingExtensionResponse {
    /// The result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose_extension: Option<MessagingExtensionResult>,
    /// How long Teams may cache the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_info: Option<CacheInfo>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessagingExtensionResponse {
    /// A response carrying this result.
    #[must_use]
    pub fn new(result: MessagingExtensionResult) -> Self {
        Self {
            compose_extension: Some(result),
            ..Self::default()
        }
    }
}

impl From<MessagingExtensionResult> for MessagingExtensionResponse {
    fn from(result: MessagingExtensionResult) -> Self {
        Self::new(result)
    }
}

/// How long Teams may cache an invoke's answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheInfo {
    /// `cache` or `no-cache`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_type: Option<String>,
    /// Seconds to cache for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_duration: Option<u32>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of a message extension answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagingExtensionResult {
    /// `list` or `grid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_layout: Option<String>,
    /// `result`, `auth`, `config`, `message` or `botMessagePreview`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub result_type: Option<String>,
    /// The results (for `result`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<MessagingExtensionAttachment>>,
    /// The sign-in or configuration action (for `auth` and `config`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_actions: Option<SuggestedActions>,
    /// The message (for `message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The preview (for `botMessagePreview`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_preview: Option<Activity>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessagingExtensionResult {
    /// A list of results (`type: result`, `attachmentLayout: list`).
    #[must_use]
    pub fn list(attachments: Vec<MessagingExtensionAttachment>) -> Self {
        Self {
            attachment_layout: Some("list".to_owned()),
            result_type: Some("result".to_owned()),
            attachments: Some(attachments),
            ..Self::default()
        }
    }

    /// A grid of results (`type: result`, `attachmentLayout: grid`).
    #[must_use]
    pub fn grid(attachments: Vec<MessagingExtensionAttachment>) -> Self {
        Self {
            attachment_layout: Some("grid".to_owned()),
            ..Self::list(attachments)
        }
    }

    /// A plain message shown in the extension (`type: message`).
    #[must_use]
    pub fn message(text: impl Into<String>) -> Self {
        Self {
            result_type: Some("message".to_owned()),
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// A sign-in request (`type: auth`) with this action (usually an `openUrl` to the
    /// sign-in page).
    #[must_use]
    pub fn auth(actions: SuggestedActions) -> Self {
        Self {
            result_type: Some("auth".to_owned()),
            suggested_actions: Some(actions),
            ..Self::default()
        }
    }

    /// A configuration request (`type: config`).
    #[must_use]
    pub fn config(actions: SuggestedActions) -> Self {
        Self {
            result_type: Some("config".to_owned()),
            suggested_actions: Some(actions),
            ..Self::default()
        }
    }

    /// A preview the user can edit or send (`type: botMessagePreview`).
    #[must_use]
    pub fn bot_message_preview(activity: Activity) -> Self {
        Self {
            result_type: Some("botMessagePreview".to_owned()),
            activity_preview: Some(activity),
            ..Self::default()
        }
    }
}

/// A result of a message extension: a card and the preview shown in the result list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagingExtensionAttachment {
    /// The card inserted when the user picks this result.
    #[serde(flatten)]
    pub attachment: Attachment,
    /// The card shown in the result list (a hero or thumbnail card).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Attachment>,
}

impl MessagingExtensionAttachment {
    /// A result inserting `attachment`, listed as `preview`.
    #[must_use]
    pub fn new(attachment: Attachment, preview: Option<Attachment>) -> Self {
        Self {
            attachment,
            preview,
        }
    }
}

/// The answer to an action command or its fetch: a task module to show, or a result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagingExtensionActionResponse {
    /// A task module to show (or a message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskModuleResponseBase>,
    /// A result to insert (or a preview, sign-in, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose_extension: Option<MessagingExtensionResult>,
    /// How long Teams may cache the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_info: Option<CacheInfo>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessagingExtensionActionResponse {
    /// Show this task module.
    #[must_use]
    pub fn task(task: TaskModuleContinueResponse) -> Self {
        Self {
            task: Some(task.into()),
            ..Self::default()
        }
    }

    /// Answer with this result.
    #[must_use]
    pub fn result(result: MessagingExtensionResult) -> Self {
        Self {
            compose_extension: Some(result),
            ..Self::default()
        }
    }

    /// An empty answer: close the dialog, insert nothing (`{}`).
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }
}
