//! The request and answer bodies of the TeamsInfo calls that have no place in
//! [`crate::models`]: batch messaging and in-meeting notifications.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::OnBehalfOf;

/// A recipient of a batch message: a user (`29:...`) or a channel (`19:...@thread...`) by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMember {
    /// The user's Teams id, or the channel's conversation id.
    #[serde(default)]
    pub id: String,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TeamMember {
    /// A recipient by id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            extra: Map::new(),
        }
    }
}

impl From<&str> for TeamMember {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl From<String> for TeamMember {
    fn from(id: String) -> Self {
        Self::new(id)
    }
}

/// The progress of a batch operation (`GET v3/batch/conversation/{operationId}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchOperationState {
    /// `Queued`, `InProgress`, `Completed` or `Failed`, as Teams spells it.
    #[serde(default)]
    pub state: String,
    /// How many messages ended with each HTTP status (`"201": 10`, `"404": 1`).
    #[serde(default)]
    pub status_map: BTreeMap<String, u64>,
    /// When to ask again, if Teams said (an ISO 8601 time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// How many messages the operation sends in all.
    #[serde(default)]
    pub total_entries_count: u64,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BatchOperationState {
    /// Whether the operation is over (`Completed` or `Failed`): asking again changes nothing.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.state.eq_ignore_ascii_case("completed") || self.state.eq_ignore_ascii_case("failed")
    }
}

/// A page of the recipients a batch operation could not message
/// (`GET v3/batch/conversation/failedentries/{operationId}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFailedEntriesResponse {
    /// The token for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// The failed recipients on this page.
    #[serde(default)]
    pub failed_entries: Vec<BatchFailedEntry>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One recipient a batch operation could not message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFailedEntry {
    /// The recipient's id.
    #[serde(default)]
    pub entry_id: String,
    /// Why it failed, as Teams says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An in-meeting notification (`POST v1/meetings/{meetingId}/notification`); today Teams
/// knows one kind, the targeted notification: build it with
/// [`MeetingNotification::targeted`].
///
/// ```
/// use botbuilder_teams::info::{MeetingNotification, MeetingSurface};
///
/// let notification = MeetingNotification::targeted(
///     ["29:participant-1"],
///     [MeetingSurface::stage_task("Vote now", "https://contoso.com/vote", Some(300), Some(400))],
/// );
/// let json = serde_json::to_value(&notification)?;
/// assert_eq!(json["type"], "targetedMeetingNotification");
/// assert_eq!(json["value"]["surfaces"][0]["surface"], "meetingStage");
/// assert_eq!(json["value"]["surfaces"][0]["content"]["value"]["url"], "https://contoso.com/vote");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingNotification {
    /// The kind: `targetedMeetingNotification`.
    #[serde(rename = "type", default)]
    pub notification_type: String,
    /// Who gets it and where it shows.
    #[serde(default)]
    pub value: TargetedMeetingNotificationValue,
    /// Whom the notification is attributed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<MeetingNotificationChannelData>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MeetingNotification {
    /// The notification type Teams shows to chosen participants.
    pub const TARGETED: &'static str = "targetedMeetingNotification";

    /// A targeted notification to participants (their Teams ids, `29:...`; Entra object ids
    /// and UPNs are not accepted) on the given surfaces.
    #[must_use]
    pub fn targeted<R, S>(recipients: R, surfaces: S) -> Self
    where
        R: IntoIterator,
        R::Item: Into<String>,
        S: IntoIterator<Item = MeetingSurface>,
    {
        Self {
            notification_type: Self::TARGETED.to_owned(),
            value: TargetedMeetingNotificationValue {
                recipients: recipients.into_iter().map(Into::into).collect(),
                surfaces: surfaces.into_iter().collect(),
                extra: Map::new(),
            },
            channel_data: None,
            extra: Map::new(),
        }
    }

    /// Attributes the notification to a user (shown as its sender).
    #[must_use]
    pub fn on_behalf_of(mut self, mri: impl Into<String>, display_name: Option<String>) -> Self {
        let entry = OnBehalfOf {
            item_id: 0,
            mention_type: "person".to_owned(),
            mri: mri.into(),
            display_name,
            extra: Map::new(),
        };
        self.channel_data
            .get_or_insert_with(MeetingNotificationChannelData::default)
            .on_behalf_of
            .get_or_insert_with(Vec::new)
            .push(entry);
        self
    }
}

/// The `value` of a targeted meeting notification.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetedMeetingNotificationValue {
    /// The participants' Teams ids.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// Where the notification shows.
    #[serde(default)]
    pub surfaces: Vec<MeetingSurface>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where a meeting notification shows: the meeting stage (a task module) or a badge on the
/// app's meeting tab icon.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingSurface {
    /// `meetingStage` or `meetingTabIcon`.
    #[serde(default)]
    pub surface: String,
    /// The content's type, `task`, for the meeting stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The content for the meeting stage: `{"value": {"title", "url", "height", "width"}}`
    /// (a task module continue response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    /// Which tab's icon to badge when the app has several in the meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab_entity_id: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MeetingSurface {
    /// A task module on the meeting stage showing `url` (which must be in the app manifest's
    /// `validDomains`).
    #[must_use]
    pub fn stage_task(
        title: impl Into<String>,
        url: impl Into<String>,
        height: Option<u32>,
        width: Option<u32>,
    ) -> Self {
        let mut info = Map::new();
        info.insert("title".into(), Value::String(title.into()));
        info.insert("url".into(), Value::String(url.into()));
        if let Some(height) = height {
            info.insert("height".into(), Value::from(height));
        }
        if let Some(width) = width {
            info.insert("width".into(), Value::from(width));
        }
        let mut content = Map::new();
        content.insert("value".into(), Value::Object(info));
        Self {
            surface: "meetingStage".to_owned(),
            content_type: Some("task".to_owned()),
            content: Some(Value::Object(content)),
            tab_entity_id: None,
            extra: Map::new(),
        }
    }

    /// A badge on the app's icon in the meeting (on the tab `tab_entity_id`, or the first).
    #[must_use]
    pub fn tab_icon(tab_entity_id: Option<String>) -> Self {
        Self {
            surface: "meetingTabIcon".to_owned(),
            tab_entity_id,
            ..Self::default()
        }
    }
}

/// The channel data of a meeting notification: whom it is attributed to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MeetingNotificationChannelData {
    /// The users the notification is sent on behalf of (BotBuilder writes this key
    /// `OnBehalfOf`; Teams reads it case-insensitively).
    #[serde(
        rename = "OnBehalfOf",
        alias = "onBehalfOf",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub on_behalf_of: Option<Vec<OnBehalfOf>>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer to a meeting notification: empty when every recipient got it (202), the
/// recipients it failed for when only some did (207).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingNotificationResponse {
    /// The recipients Teams could not notify, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients_failure_info: Option<Vec<MeetingNotificationRecipientFailureInfo>>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MeetingNotificationResponse {
    /// The recipients Teams could not notify (empty when all were).
    #[must_use]
    pub fn failures(&self) -> &[MeetingNotificationRecipientFailureInfo] {
        self.recipients_failure_info.as_deref().unwrap_or_default()
    }
}

/// A recipient a meeting notification failed for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingNotificationRecipientFailureInfo {
    /// The recipient's Teams id.
    #[serde(default)]
    pub recipient_mri: String,
    /// The error code (Teams spells the key `errorcode`).
    #[serde(
        rename = "errorcode",
        alias = "errorCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
