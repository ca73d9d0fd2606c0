//! The payloads of Teams `event` activities: meeting start and end, participants joining and
//! leaving, read receipts.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::{TeamsChannelAccount, UserMeetingDetails};

/// The name of the event Teams sends when a meeting starts.
pub const MEETING_START_EVENT: &str = "application/vnd.microsoft.meetingStart";
/// The name of the event Teams sends when a meeting ends.
pub const MEETING_END_EVENT: &str = "application/vnd.microsoft.meetingEnd";
/// The name of the event Teams sends when participants join a meeting.
pub const MEETING_PARTICIPANT_JOIN_EVENT: &str = "application/vnd.microsoft.meetingParticipantJoin";
/// The name of the event Teams sends when participants leave a meeting.
pub const MEETING_PARTICIPANT_LEAVE_EVENT: &str =
    "application/vnd.microsoft.meetingParticipantLeave";
/// The name of the event Teams sends when a user read the bot's messages (1:1 chats).
pub const READ_RECEIPT_EVENT: &str = "application/vnd.microsoft.readReceipt";

/// The value of a meeting start event.
///
/// Teams writes these fields in PascalCase (`Id`, `JoinUrl`, `StartTime`), and so are they
/// written back (as BotBuilder for .NET does); camelCase is read too.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MeetingStartEventDetails {
    /// The meeting id (base64).
    #[serde(default, alias = "id")]
    pub id: String,
    /// The URL to join the meeting.
    #[serde(default, alias = "joinUrl", skip_serializing_if = "Option::is_none")]
    pub join_url: Option<String>,
    /// The meeting's title.
    #[serde(default, alias = "title", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `Scheduled`, `Recurring`, `MeetNow`, ...
    #[serde(
        default,
        alias = "meetingType",
        skip_serializing_if = "Option::is_none"
    )]
    pub meeting_type: Option<String>,
    /// When it started (ISO 8601, UTC).
    #[serde(default, alias = "startTime", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The value of a meeting end event (PascalCase on the wire and written back so, like the start event).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MeetingEndEventDetails {
    /// The meeting id (base64).
    #[serde(default, alias = "id")]
    pub id: String,
    /// The URL to join the meeting.
    #[serde(default, alias = "joinUrl", skip_serializing_if = "Option::is_none")]
    pub join_url: Option<String>,
    /// The meeting's title.
    #[serde(default, alias = "title", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `Scheduled`, `Recurring`, `MeetNow`, ...
    #[serde(
        default,
        alias = "meetingType",
        skip_serializing_if = "Option::is_none"
    )]
    pub meeting_type: Option<String>,
    /// When it ended (ISO 8601, UTC).
    #[serde(default, alias = "endTime", skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The value of a participants join or leave event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingParticipantsEventDetails {
    /// Who joined or left.
    #[serde(default)]
    pub members: Vec<TeamsMeetingMember>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A participant in a join or leave event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamsMeetingMember {
    /// The user.
    #[serde(default)]
    pub user: TeamsChannelAccount,
    /// Their role and whether they are in the meeting now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<UserMeetingDetails>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The value of a read receipt event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadReceiptInfo {
    /// The id of the last message the user read.
    #[serde(default)]
    pub last_read_message_id: String,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ReadReceiptInfo {
    /// Whether the user has read the message with this id: Teams' message ids grow with time,
    /// so every message up to the last read one is read. Ids that are not numbers are never
    /// read (as in BotBuilder).
    ///
    /// ```
    /// use botbuilder_teams::events::ReadReceiptInfo;
    ///
    /// let receipt = ReadReceiptInfo { last_read_message_id: "1000".into(), ..Default::default() };
    /// assert!(receipt.is_message_read("999"));
    /// assert!(!receipt.is_message_read("1001"));
    /// ```
    #[must_use]
    pub fn is_message_read(&self, message_id: &str) -> bool {
        match (
            message_id.parse::<u64>(),
            self.last_read_message_id.parse::<u64>(),
        ) {
            (Ok(id), Ok(last)) => id <= last,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn meeting_start_reads_teams_pascal_case() {
        let details: MeetingStartEventDetails = serde_json::from_value(json!({
            "Id": "MCMxOTptZWV0aW5n", "MeetingType": "Scheduled",
            "JoinUrl": "https://teams.microsoft.com/l/meetup-join/x", "Title": "Standup",
            "StartTime": "2024-03-01T09:00:00.0000000Z"
        }))
        .unwrap();
        assert_eq!(details.id, "MCMxOTptZWV0aW5n");
        assert_eq!(details.title.as_deref(), Some("Standup"));
        assert_eq!(
            details.start_time.as_deref(),
            Some("2024-03-01T09:00:00.0000000Z")
        );
        assert!(details.extra.is_empty());
        let wire = json!({
            "Id": "MCMxOTptZWV0aW5n", "MeetingType": "Scheduled",
            "JoinUrl": "https://teams.microsoft.com/l/meetup-join/x", "Title": "Standup",
            "StartTime": "2024-03-01T09:00:00.0000000Z", "Organizer": {"id": "29:1"}
        });
        let details: MeetingStartEventDetails = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(serde_json::to_value(&details).unwrap(), wire);
        let end: MeetingEndEventDetails = serde_json::from_value(json!({
            "id": "MCMx", "endTime": "2024-03-01T10:00:00Z"
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(&end).unwrap(),
            json!({"Id": "MCMx", "EndTime": "2024-03-01T10:00:00Z"})
        );
    }

    #[test]
    fn read_receipt_compares_ids_as_numbers() {
        let r = ReadReceiptInfo {
            last_read_message_id: "1700000000123".into(),
            ..Default::default()
        };
        assert!(r.is_message_read("1700000000123"));
        assert!(r.is_message_read("99"));
        assert!(!r.is_message_read("1700000000124"));
        assert!(!r.is_message_read("abc"));
    }
}
