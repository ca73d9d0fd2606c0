//! Teams helpers on an [`Activity`]: its team, channel, tenant and meeting, its typed channel
//! data, the `eventType`, and "notify the user".

use botbuilder_schema::{Activity, ChannelId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::TeamsError;
use crate::models::{ChannelInfo, NotificationInfo, TeamInfo, TeamsChannelData, TeamsMeetingInfo};

macro_rules! event_types {
    ($( $(#[$doc:meta])* $variant:ident => $wire:literal, )+) => {
        /// The `eventType` of Teams channel data: what a `conversationUpdate`, `messageUpdate`
        /// or `messageDelete` is about. Open: a value this SDK does not know is kept in
        /// `Other` and written back unchanged.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum TeamsEventType {
            $( $(#[$doc])* $variant, )+
            /// A value this version of the SDK does not know.
            Other(String),
        }

        impl TeamsEventType {
            /// The wire string.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(s) => s,
                }
            }

            /// Parses a wire string (exact, case-sensitive like BotBuilder); unknown strings
            /// become `Other`.
            #[must_use]
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

event_types! {
    /// `channelCreated`.
    ChannelCreated => "channelCreated",
    /// `channelRenamed`.
    ChannelRenamed => "channelRenamed",
    /// `channelDeleted`.
    ChannelDeleted => "channelDeleted",
    /// `channelRestored`.
    ChannelRestored => "channelRestored",
    /// `channelShared`: a shared channel was shared with another team.
    ChannelShared => "channelShared",
    /// `channelUnshared`: a shared channel stopped being shared with a team.
    ChannelUnshared => "channelUnshared",
    /// `teamRenamed`.
    TeamRenamed => "teamRenamed",
    /// `teamArchived`.
    TeamArchived => "teamArchived",
    /// `teamUnarchived`.
    TeamUnarchived => "teamUnarchived",
    /// `teamDeleted` (soft delete; the team can be restored).
    TeamDeleted => "teamDeleted",
    /// `teamHardDeleted` (permanent).
    TeamHardDeleted => "teamHardDeleted",
    /// `teamRestored`.
    TeamRestored => "teamRestored",
    /// `teamMemberAdded`.
    TeamMemberAdded => "teamMemberAdded",
    /// `teamMemberRemoved`.
    TeamMemberRemoved => "teamMemberRemoved",
    /// `editMessage` (a `messageUpdate`).
    EditMessage => "editMessage",
    /// `undeleteMessage` (a `messageUpdate`).
    UndeleteMessage => "undeleteMessage",
    /// `softDeleteMessage` (a `messageDelete`).
    SoftDeleteMessage => "softDeleteMessage",
}

impl std::fmt::Display for TeamsEventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for TeamsEventType {
    fn from(s: &str) -> Self {
        Self::parse(s)
    }
}

impl Serialize for TeamsEventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TeamsEventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(Self::parse(&s))
    }
}

impl TeamsChannelData {
    /// The `eventType`, typed.
    #[must_use]
    pub fn event(&self) -> Option<TeamsEventType> {
        self.event_type.as_deref().map(TeamsEventType::parse)
    }
}

/// Teams helpers on an [`Activity`] (BotBuilder's `teamsGetTeamInfo`, `teamsGetChannelId`,
/// `teamsNotifyUser`, ...).
///
/// The id getters read the raw `channelData` and return `None` when the field is absent or
/// the channel data is malformed; [`teams_channel_data`](Self::teams_channel_data) reports a
/// malformed payload as an error.
///
/// ```
/// use botbuilder_teams::TeamsActivityExt;
/// use botbuilder_teams::schema::Activity;
/// use serde_json::json;
///
/// let activity = Activity::message("hi").with_channel_data(json!({
///     "team": {"id": "19:team@thread.skype", "name": "Contoso"},
///     "channel": {"id": "19:general@thread.skype"},
///     "tenant": {"id": "tenant-1"}
/// }));
/// assert_eq!(activity.teams_team_id().as_deref(), Some("19:team@thread.skype"));
/// assert_eq!(activity.teams_channel_id().as_deref(), Some("19:general@thread.skype"));
/// assert_eq!(activity.teams_tenant_id().as_deref(), Some("tenant-1"));
///
/// let reply = Activity::message("Your report is ready").teams_notify_user()?;
/// assert_eq!(reply.channel_data.unwrap()["notification"]["alert"], true);
/// # Ok::<(), botbuilder_teams::TeamsError>(())
/// ```
pub trait TeamsActivityExt {
    /// Whether the activity came from Teams (`channelId` is `msteams`).
    fn is_teams(&self) -> bool;

    /// The channel data, typed. `Ok(None)` when there is none.
    ///
    /// # Errors
    /// [`TeamsError::InvalidPayload`] when the channel data does not have Teams' shape.
    fn teams_channel_data(&self) -> Result<Option<TeamsChannelData>, TeamsError>;

    /// The team's id (`channelData.team.id`).
    fn teams_team_id(&self) -> Option<String>;

    /// The team (`channelData.team`), when it reads.
    fn teams_team_info(&self) -> Option<TeamInfo>;

    /// The channel's id (`channelData.channel.id`).
    fn teams_channel_id(&self) -> Option<String>;

    /// The tenant id (`channelData.tenant.id`, else `conversation.tenantId`).
    fn teams_tenant_id(&self) -> Option<String>;

    /// The meeting id (`channelData.meeting.id`).
    fn teams_meeting_id(&self) -> Option<String>;

    /// The meeting (`channelData.meeting`), when it reads: BotBuilder's `TeamsGetMeetingInfo()`
    /// (JS `teamsGetTeamMeetingInfo`). Its `id` is what the meeting calls of
    /// [`TeamsInfo`](crate::TeamsInfo) take; unknown fields are in `extra`.
    fn teams_meeting_info(&self) -> Option<TeamsMeetingInfo>;

    /// The channel the user selected (`channelData.settings.selectedChannel`), as when
    /// adding the bot to a team.
    fn teams_selected_channel(&self) -> Option<ChannelInfo>;

    /// The `eventType`, typed.
    fn teams_event_type(&self) -> Option<TeamsEventType>;

    /// Marks an outgoing message as an alert in the user's activity feed
    /// (`channelData.notification.alert = true`), keeping the rest of the channel data.
    ///
    /// # Errors
    /// [`TeamsError::InvalidPayload`] when the activity already has channel data that is not
    /// Teams' shape.
    fn teams_notify_user(self) -> Result<Self, TeamsError>
    where
        Self: Sized;

    /// Like [`teams_notify_user`](Self::teams_notify_user), and shows the message as an
    /// in-meeting notification (`alertInMeeting`), opening `external_resource_url` if given.
    ///
    /// # Errors
    /// As [`teams_notify_user`](Self::teams_notify_user).
    fn teams_notify_user_in_meeting(
        self,
        external_resource_url: Option<String>,
    ) -> Result<Self, TeamsError>
    where
        Self: Sized;
}

fn pointer_str(activity: &Activity, pointer: &str) -> Option<String> {
    activity
        .channel_data
        .as_ref()
        .and_then(|d| d.pointer(pointer))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn pointer_typed<T: serde::de::DeserializeOwned>(activity: &Activity, pointer: &str) -> Option<T> {
    activity
        .channel_data
        .as_ref()
        .and_then(|d| d.pointer(pointer))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn notify(
    mut activity: Activity,
    in_meeting: bool,
    url: Option<String>,
) -> Result<Activity, TeamsError> {
    let mut data = activity.teams_channel_data()?.unwrap_or_default();
    let notification = data
        .notification
        .get_or_insert_with(NotificationInfo::default);
    notification.alert = Some(true);
    if in_meeting {
        notification.alert_in_meeting = Some(true);
        notification.external_resource_url = url;
    }
    activity.channel_data =
        Some(
            serde_json::to_value(&data).map_err(|source| TeamsError::InvalidPayload {
                what: "channelData",
                source,
            })?,
        );
    Ok(activity)
}

impl TeamsActivityExt for Activity {
    fn is_teams(&self) -> bool {
        self.channel_id.as_ref() == Some(&ChannelId::Msteams)
    }

    fn teams_channel_data(&self) -> Result<Option<TeamsChannelData>, TeamsError> {
        match &self.channel_data {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|source| TeamsError::InvalidPayload {
                    what: "channelData",
                    source,
                }),
        }
    }

    fn teams_team_id(&self) -> Option<String> {
        pointer_str(self, "/team/id")
    }

    fn teams_team_info(&self) -> Option<TeamInfo> {
        pointer_typed(self, "/team")
    }

    fn teams_channel_id(&self) -> Option<String> {
        pointer_str(self, "/channel/id")
    }

    fn teams_tenant_id(&self) -> Option<String> {
        pointer_str(self, "/tenant/id")
            .or_else(|| self.conversation.as_ref().and_then(|c| c.tenant_id.clone()))
    }

    fn teams_meeting_id(&self) -> Option<String> {
        pointer_str(self, "/meeting/id")
    }

    fn teams_meeting_info(&self) -> Option<TeamsMeetingInfo> {
        pointer_typed(self, "/meeting")
    }

    fn teams_selected_channel(&self) -> Option<ChannelInfo> {
        pointer_typed(self, "/settings/selectedChannel")
    }

    fn teams_event_type(&self) -> Option<TeamsEventType> {
        pointer_str(self, "/eventType").map(|s| TeamsEventType::parse(&s))
    }

    fn teams_notify_user(self) -> Result<Self, TeamsError> {
        notify(self, false, None)
    }

    fn teams_notify_user_in_meeting(
        self,
        external_resource_url: Option<String>,
    ) -> Result<Self, TeamsError> {
        notify(self, true, external_resource_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_types_round_trip_and_stay_open() {
        for wire in ["channelShared", "teamHardDeleted", "softDeleteMessage"] {
            let t = TeamsEventType::parse(wire);
            assert!(!matches!(t, TeamsEventType::Other(_)));
            assert_eq!(t.as_str(), wire);
        }
        let unknown: TeamsEventType = serde_json::from_value(json!("channelMemberAdded")).unwrap();
        assert_eq!(unknown, TeamsEventType::Other("channelMemberAdded".into()));
        assert_eq!(
            serde_json::to_value(&unknown).unwrap(),
            json!("channelMemberAdded")
        );
    }

    #[test]
    fn notify_keeps_the_rest_of_the_channel_data() {
        let a = Activity::message("x")
            .with_channel_data(json!({"tenant": {"id": "t"}, "custom": 1}))
            .teams_notify_user_in_meeting(Some("https://contoso.com/x".into()))
            .unwrap();
        assert_eq!(
            a.channel_data.unwrap(),
            json!({"tenant": {"id": "t"}, "custom": 1, "notification": {
                "alert": true, "alertInMeeting": true, "externalResourceUrl": "https://contoso.com/x"}})
        );
    }

    #[test]
    fn malformed_channel_data_is_an_error_for_the_typed_read_only() {
        let a = Activity::message("x").with_channel_data(json!({"team": "not an object"}));
        assert!(matches!(
            a.teams_channel_data(),
            Err(TeamsError::InvalidPayload {
                what: "channelData",
                ..
            })
        ));
        assert_eq!(a.teams_team_id(), None);
        assert!(a.clone().teams_notify_user().is_err());
    }

    #[test]
    fn meeting_info_keeps_unknown_fields() {
        let a = Activity::message("x").with_channel_data(json!({
            "meeting": {"id": "MCMxOTptZWV0aW5n", "type": "scheduled"}
        }));
        let meeting = a.teams_meeting_info().unwrap();
        assert_eq!(meeting.id, "MCMxOTptZWV0aW5n");
        assert_eq!(meeting.extra["type"], "scheduled");
        assert_eq!(a.teams_meeting_id().as_deref(), Some("MCMxOTptZWV0aW5n"));
        let none = Activity::message("x").with_channel_data(json!({"meeting": "nope"}));
        assert_eq!(none.teams_meeting_info(), None);
    }

    #[test]
    fn tenant_falls_back_to_the_conversation() {
        let a: Activity = serde_json::from_value(json!({
            "type": "message", "conversation": {"id": "a:1", "tenantId": "t-9"}
        }))
        .unwrap();
        assert_eq!(a.teams_tenant_id().as_deref(), Some("t-9"));
    }
}
