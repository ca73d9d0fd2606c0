//! File consent cards: `fileConsent/invoke` (the user accepted or declined an upload).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The value of `fileConsent/invoke`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileConsentCardResponse {
    /// `accept` or `decline`.
    #[serde(default)]
    pub action: String,
    /// The card's `acceptContext` or `declineContext`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    /// Where to upload the file (on accept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_info: Option<FileUploadInfo>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where an accepted file goes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileUploadInfo {
    /// The file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The URL to `PUT` the bytes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_url: Option<String>,
    /// The URL of the file once uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_url: Option<String>,
    /// The file's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_id: Option<String>,
    /// The file's type (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
