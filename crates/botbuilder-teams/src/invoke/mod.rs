//! Typed invoke payloads and responses: message extensions, task modules, Adaptive Card
//! actions, file consent, bot configuration, tabs, message actions.
//!
//! [`TeamsActivityHandler`](crate::TeamsActivityHandler) reads each invoke's `value` into the
//! type here and writes the handler's answer as the invoke response's body.

mod adaptive_card;
mod config;
mod feedback;
mod file_consent;
mod messaging_extension;
mod tab;
mod task_module;

pub use adaptive_card::{
    ADAPTIVE_CARD_CONTENT_TYPE, AdaptiveCardInvokeAction, AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue, ERROR_RESPONSE_TYPE, MESSAGE_RESPONSE_TYPE, with_refresh,
};
pub use config::ConfigResponse;
pub use feedback::{MessageSubmitAction, O365ConnectorCardActionQuery};
pub use file_consent::{FileConsentCardResponse, FileUploadInfo};
pub use messaging_extension::{
    AppBasedLinkQuery, CacheInfo, MessagingExtensionAction, MessagingExtensionActionResponse,
    MessagingExtensionAttachment, MessagingExtensionParameter, MessagingExtensionQuery,
    MessagingExtensionQueryOptions, MessagingExtensionResponse, MessagingExtensionResult,
};
pub use tab::{TabEntityContext, TabRequest, TabResponse, TabResponsePayload, TabSubmit};
pub use task_module::{
    TaskModuleContinueResponse, TaskModuleRequest, TaskModuleResponse, TaskModuleResponseBase,
    TaskModuleTaskInfo,
};
