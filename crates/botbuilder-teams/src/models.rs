//! Teams data types: channel data, accounts, teams, channels, meetings.
//!
//! Every type keeps the fields it does not model in `extra` and writes them back, so a payload
//! read and re-sent loses nothing. Absent fields read as `None`; `None` fields are not written.

use botbuilder_schema::ConversationAccount;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `channelData` of an activity from Teams.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsChannelData {
    /// The channel the activity happened in (channel conversations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelInfo>,
    /// The kind of conversation update or event (`channelCreated`, `teamRenamed`,
    /// `teamMemberAdded`, ...), as Teams spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The team the activity happened in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamInfo>,
    /// Notification settings for a message the bot sends (`alert`, `alertInMeeting`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<NotificationInfo>,
    /// The tenant (organisation) the activity belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantInfo>,
    /// The meeting the activity happened in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<TeamsMeetingInfo>,
    /// Settings, such as the channel a user selected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<TeamsChannelDataSettings>,
    /// Who the bot acts on behalf of (messages sent for a user in a meeting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<Vec<OnBehalfOf>>,
    /// The teams a shared channel was shared with (`channelShared`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_with_teams: Option<Vec<TeamInfo>>,
    /// The teams a shared channel stopped being shared with (`channelUnshared`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unshared_from_teams: Option<Vec<TeamInfo>>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A team: its conversation id, name and Microsoft 365 group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamInfo {
    /// The team's id (the conversation id of its General channel, `19:...@thread.skype`).
    #[serde(default)]
    pub id: String,
    /// The team's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The id of the team's Microsoft 365 group in Entra ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_group_id: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A channel of a team.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelInfo {
    /// The channel's conversation id.
    #[serde(default)]
    pub id: String,
    /// The channel's name (absent for the General channel in some payloads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The channel's type (`standard`, `private`, `shared`), where Teams sends it.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tenant (an organisation's Entra ID directory).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    /// The tenant id.
    #[serde(default)]
    pub id: String,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The meeting named in an activity's channel data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsMeetingInfo {
    /// The meeting id (base64, as Teams sends it).
    #[serde(default)]
    pub id: String,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Notification settings of a message the bot sends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationInfo {
    /// Show the message as an alert in the user's activity feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<bool>,
    /// Show the message as an in-meeting notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_in_meeting: Option<bool>,
    /// The URL an in-meeting notification opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_resource_url: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Settings in Teams channel data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsChannelDataSettings {
    /// The channel the user selected (for example when adding the bot to a team).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_channel: Option<ChannelInfo>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Someone a message is sent on behalf of.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnBehalfOf {
    /// The item id (always `0` today).
    #[serde(default)]
    pub item_id: i64,
    /// The mention type (`person`).
    #[serde(default)]
    pub mention_type: String,
    /// The user's Teams id (MRI).
    #[serde(default)]
    pub mri: String,
    /// The user's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Teams user or bot: a `ChannelAccount` with the fields Teams adds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsChannelAccount {
    /// The Teams id (`29:...` for users, `28:...` for bots).
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's object id in Entra ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_object_id: Option<String>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// User principal name (sign-in name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// The user's tenant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The user's role: `user`, `guest` or `anonymous`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_role: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of a conversation's members (`GET .../pagedmembers`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsPagedMembersResult {
    /// The token for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// The members on this page.
    #[serde(default)]
    pub members: Vec<TeamsChannelAccount>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Details of a team (`GET v3/teams/{teamId}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamDetails {
    /// The team's id.
    #[serde(default)]
    pub id: String,
    /// The team's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The id of the team's Microsoft 365 group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_group_id: Option<String>,
    /// How many channels the team has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_count: Option<u32>,
    /// How many members the team has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u32>,
    /// The team's type (`standard`, `sharedChannel`, `privateChannel`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub team_type: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Details of a meeting (`GET v1/meetings/{meetingId}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingInfo {
    /// The meeting's details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<MeetingDetails>,
    /// The meeting's chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationAccount>,
    /// The organizer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer: Option<TeamsChannelAccount>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The details part of [`MeetingInfo`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingDetails {
    /// The meeting id.
    #[serde(default)]
    pub id: String,
    /// The meeting's id in Microsoft Graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms_graph_resource_id: Option<String>,
    /// Scheduled start (ISO 8601), as Teams sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_start_time: Option<String>,
    /// Scheduled end (ISO 8601), as Teams sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_end_time: Option<String>,
    /// The URL to join the meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_url: Option<String>,
    /// The meeting's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The meeting's type (`Scheduled`, `Recurring`, `MeetNow`, ...).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub meeting_type: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A participant of a meeting (`GET v1/meetings/{meetingId}/participants/{userId}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsMeetingParticipant {
    /// The participant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<TeamsChannelAccount>,
    /// Their part in the meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<UserMeetingDetails>,
    /// The meeting's chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationAccount>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A participant's role in a meeting and whether they are in it now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMeetingDetails {
    /// `Organizer`, `Presenter` or `Attendee`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Whether the participant is in the meeting now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_meeting: Option<bool>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shared_channel_events_name_their_teams() {
        let data: TeamsChannelData = serde_json::from_value(json!({
            "eventType": "channelShared",
            "channel": {"id": "19:shared@thread.tacv2", "type": "shared"},
            "sharedWithTeams": [{"id": "19:a@thread.tacv2", "name": "Fabrikam"}]
        }))
        .unwrap();
        let teams = data.shared_with_teams.unwrap();
        assert_eq!(teams[0].name.as_deref(), Some("Fabrikam"));
        assert_eq!(data.unshared_from_teams, None);
    }

    #[test]
    fn channel_data_round_trips_unknown_fields() {
        let wire = json!({
            "eventType": "teamMemberAdded",
            "team": {"id": "19:t@thread.skype", "name": "Contoso", "aadGroupId": "g-1", "x": 1},
            "tenant": {"id": "tenant-1"},
            "settings": {"selectedChannel": {"id": "19:c@thread.skype"}},
            "source": {"name": "message"}
        });
        let data: TeamsChannelData = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(
            data.team.as_ref().unwrap().aad_group_id.as_deref(),
            Some("g-1")
        );
        assert_eq!(
            data.settings
                .as_ref()
                .unwrap()
                .selected_channel
                .as_ref()
                .unwrap()
                .id,
            "19:c@thread.skype"
        );
        assert_eq!(serde_json::to_value(&data).unwrap(), wire);
    }

    #[test]
    fn teams_account_reads_the_teams_fields() {
        let account: TeamsChannelAccount = serde_json::from_value(json!({
            "id": "29:1", "name": "Ada", "aadObjectId": "o-1", "givenName": "Ada",
            "surname": "Lovelace", "email": "ada@contoso.com",
            "userPrincipalName": "ada@contoso.com", "tenantId": "t-1", "userRole": "user"
        }))
        .unwrap();
        assert_eq!(account.surname.as_deref(), Some("Lovelace"));
        assert_eq!(account.user_role.as_deref(), Some("user"));
        assert!(account.extra.is_empty());
    }
}
