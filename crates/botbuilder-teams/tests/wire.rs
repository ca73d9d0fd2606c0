//! Wire-exactness of every Teams type: a payload in the shape Teams (or Microsoft's Teams
//! documentation) shows, with fields this SDK does not model at the top and nested, reads and
//! writes back unchanged.

use botbuilder_teams::events::{
    MeetingEndEventDetails, MeetingParticipantsEventDetails, MeetingStartEventDetails,
    ReadReceiptInfo,
};
use botbuilder_teams::info::{
    BatchFailedEntriesResponse, BatchOperationState, MeetingNotification,
    MeetingNotificationResponse,
};
use botbuilder_teams::invoke::*;
use botbuilder_teams::models::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[track_caller]
fn round_trip<T: Serialize + DeserializeOwned>(wire: Value) {
    let typed: T = serde_json::from_value(wire.clone())
        .unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<T>()));
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        wire,
        "{}",
        std::any::type_name::<T>()
    );
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn recorded_channel_data_and_members_round_trip() {
    for name in [
        "msteams_conversation_update_channel_created",
        "msteams_conversation_update_team_member_added",
        "msteams_conversation_update_team_renamed",
        "msteams_invoke_compose_query",
        "msteams_message_channel_mention",
        "msteams_message_personal",
    ] {
        let activity = fixture(name);
        round_trip::<TeamsChannelData>(activity["channelData"].clone());
        for member in activity["membersAdded"].as_array().into_iter().flatten() {
            round_trip::<TeamsChannelAccount>(member.clone());
        }
    }
}

#[test]
fn models_round_trip_with_unknown_fields() {
    round_trip::<TeamsChannelData>(json!({
        "eventType": "channelShared",
        "team": {"id": "19:t@thread.tacv2", "name": "Contoso", "aadGroupId": "g-1", "future": 1},
        "channel": {"id": "19:c@thread.tacv2", "name": "Design", "type": "shared", "future": 2},
        "tenant": {"id": "t-1", "future": 3},
        "meeting": {"id": "MCMxOTptZWV0aW5n", "future": 4},
        "settings": {"selectedChannel": {"id": "19:c@thread.tacv2"}, "future": 5},
        "notification": {"alert": true, "alertInMeeting": true,
                         "externalResourceUrl": "https://x", "future": 6},
        "onBehalfOf": [{"itemId": 0, "mentionType": "person", "mri": "29:1",
                        "displayName": "Ada", "future": 7}],
        "sharedWithTeams": [{"id": "19:other@thread.tacv2", "name": "Fabrikam", "future": 8}],
        "unsharedFromTeams": [{"id": "19:gone@thread.tacv2"}],
        "membershipSource": {"sourceType": "team", "id": "19:other@thread.tacv2"},
        "source": {"name": "message"}
    }));
    let account = json!({
        "id": "29:1", "name": "Ada Lovelace", "aadObjectId": "aad-1", "givenName": "Ada",
        "surname": "Lovelace", "email": "ada@contoso.com", "userPrincipalName": "ada@contoso.com",
        "tenantId": "t-1", "userRole": "user", "objectId": "aad-1"
    });
    round_trip::<TeamsChannelAccount>(account.clone());
    round_trip::<TeamsPagedMembersResult>(json!({
        "continuationToken": "next", "members": [account.clone()], "future": true
    }));
    round_trip::<TeamDetails>(json!({
        "id": "19:t@thread.tacv2", "name": "Contoso", "aadGroupId": "g-1", "channelCount": 3,
        "memberCount": 12, "type": "standard", "future": {"a": 1}
    }));
    round_trip::<MeetingInfo>(json!({
        "details": {"id": "MCMx", "msGraphResourceId": "MSo1", "scheduledStartTime":
                    "2024-03-01T09:00:00Z", "scheduledEndTime": "2024-03-01T10:00:00Z",
                    "joinUrl": "https://teams.microsoft.com/l/meetup-join/x", "title": "Standup",
                    "type": "Scheduled", "future": 1},
        "conversation": {"id": "19:meeting@thread.v2", "isGroup": true,
                         "conversationType": "groupChat"},
        "organizer": {"id": "29:1", "aadObjectId": "aad-1", "objectId": "aad-1"},
        "future": 2
    }));
    round_trip::<TeamsMeetingParticipant>(json!({
        "user": account,
        "meeting": {"role": "Organizer", "inMeeting": true, "future": 1},
        "conversation": {"id": "19:meeting@thread.v2", "isGroup": true},
        "future": 2
    }));
}

#[test]
fn info_models_round_trip_with_unknown_fields() {
    round_trip::<BatchOperationState>(json!({
        "state": "Completed", "statusMap": {"201": 8, "404": 1},
        "retryAfter": "2024-03-01T09:00:00Z", "totalEntriesCount": 9, "future": 1
    }));
    round_trip::<BatchFailedEntriesResponse>(json!({
        "continuationToken": "next",
        "failedEntries": [{"entryId": "29:1", "error": "ConversationBlockedByUser", "future": 1}],
        "future": 2
    }));
    round_trip::<MeetingNotification>(json!({
        "type": "targetedMeetingNotification",
        "value": {"recipients": ["29:1"], "surfaces": [
            {"surface": "meetingStage", "contentType": "task", "content": {"value": {
                "height": 300, "width": 400, "title": "Poll", "url": "https://x"}}, "future": 1},
            {"surface": "meetingTabIcon", "tabEntityId": "poll"}], "future": 2},
        "channelData": {"OnBehalfOf": [{"itemId": 0, "mentionType": "person", "mri": "29:1",
                                         "displayName": "Ada"}], "future": 3},
        "future": 4
    }));
    round_trip::<MeetingNotificationResponse>(json!({
        "recipientsFailureInfo": [{"recipientMri": "29:2", "errorcode": "MemberNotFoundInConversation",
                                   "failureReason": "not in the meeting", "future": 1}],
        "future": 2
    }));
}

#[test]
fn invoke_values_round_trip_with_unknown_fields() {
    round_trip::<MessagingExtensionQuery>(json!({
        "commandId": "search",
        "parameters": [{"name": "searchQuery", "value": "http", "future": 1}],
        "queryOptions": {"skip": 0, "count": 25, "future": 2},
        "state": "abc",
        "future": 3
    }));
    round_trip::<AppBasedLinkQuery>(json!({"url": "https://contoso.com/a", "state": "s",
                                           "future": 1}));
    round_trip::<MessagingExtensionAction>(json!({
        "commandId": "createIdea", "commandContext": "compose", "botMessagePreviewAction": "send",
        "botActivityPreview": [{"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive",
             "content": {"type": "AdaptiveCard"}}]}],
        "messagePayload": {"id": "1", "body": {"content": "hi"}},
        "data": {"idea": "x"}, "context": {"theme": "dark"}, "future": 1
    }));
    round_trip::<TaskModuleRequest>(json!({
        "data": {"msteams": {"type": "task/fetch"}}, "context": {"theme": "default"},
        "tabContext": {"tabEntityId": "t"}, "future": 1
    }));
    round_trip::<FileConsentCardResponse>(json!({
        "type": "fileUpload", "action": "accept", "context": {"filename": "a.txt"},
        "uploadInfo": {"contentUrl": "https://x/a.txt", "name": "a.txt",
                       "uploadUrl": "https://upload/a", "uniqueId": "U1", "fileType": "txt",
                       "future": 1}
    }));
    round_trip::<O365ConnectorCardActionQuery>(json!({"body": "{}", "actionId": "a",
                                                      "future": 1}));
    round_trip::<TabRequest>(json!({"tabContext": {"tabEntityId": "home", "future": 1},
                                    "context": {"theme": "dark"}, "state": "s", "future": 2}));
    round_trip::<TabSubmit>(json!({"tabContext": {"tabEntityId": "home"},
                                   "context": {"theme": "dark"}, "data": {"x": 1}, "future": 2}));
    round_trip::<MessageSubmitAction>(json!({
        "actionName": "feedback",
        "actionValue": {"reaction": "like", "feedback": "{\"feedbackText\":\"ok\"}"},
        "future": 1
    }));
    round_trip::<AdaptiveCardInvokeValue>(json!({
        "action": {"type": "Action.Execute", "id": "a1", "verb": "vote", "data": {"x": 1},
                   "future": 1},
        "authentication": {"id": "i", "connectionName": "c", "token": "t"},
        "state": "123456", "trigger": "manual", "future": 2
    }));
}

#[test]
fn invoke_answers_round_trip_with_unknown_fields() {
    let card = json!({"contentType": "application/vnd.microsoft.card.hero",
                      "content": {"title": "serde"}});
    round_trip::<MessagingExtensionResponse>(json!({
        "composeExtension": {"type": "result", "attachmentLayout": "list", "attachments": [
            {"contentType": "application/vnd.microsoft.card.hero", "content": {"title": "serde"},
             "preview": card.clone(), "future": 1}], "future": 2},
        "cacheInfo": {"cacheType": "cache", "cacheDuration": 3600, "future": 3},
        "future": 4
    }));
    round_trip::<MessagingExtensionActionResponse>(json!({
        "task": {"type": "continue", "value": {"title": "Idea", "height": "medium",
                 "width": "small", "card": card.clone(), "future": 1}},
        "cacheInfo": {"cacheType": "no-cache"},
        "future": 2
    }));
    round_trip::<TaskModuleResponse>(json!({
        "task": {"type": "message", "value": "Thanks", "future": 1},
        "cacheInfo": {"cacheType": "no-cache"},
        "future": 2
    }));
    round_trip::<ConfigResponse>(json!({
        "responseType": "config",
        "config": {"type": "continue", "value": {"title": "Configure", "url": "https://x"}},
        "cacheInfo": {"cacheType": "no-cache"},
        "future": 1
    }));
    round_trip::<TabResponse>(json!({
        "tab": {"type": "continue", "value": {"cards": [{"card": {"type": "AdaptiveCard"}}]},
                "future": 1},
        "future": 2
    }));
    round_trip::<AdaptiveCardInvokeResponse>(json!({
        "statusCode": 200, "type": "application/vnd.microsoft.card.adaptive",
        "value": {"type": "AdaptiveCard"}, "future": 1
    }));
}

#[test]
fn events_round_trip_with_unknown_fields() {
    round_trip::<MeetingStartEventDetails>(json!({
        "Id": "MCMx", "JoinUrl": "https://x", "Title": "Standup", "MeetingType": "Scheduled",
        "StartTime": "2024-03-01T09:00:00.0000000Z", "Future": 1
    }));
    round_trip::<MeetingEndEventDetails>(json!({
        "Id": "MCMx", "JoinUrl": "https://x", "Title": "Standup", "MeetingType": "Scheduled",
        "EndTime": "2024-03-01T10:00:00.0000000Z", "Future": 1
    }));
    round_trip::<MeetingParticipantsEventDetails>(json!({
        "members": [{"user": {"id": "29:1", "aadObjectId": "aad-1", "tenantId": "t-1"},
                     "meeting": {"inMeeting": true, "role": "Attendee", "future": 1},
                     "future": 2}],
        "future": 3
    }));
    round_trip::<ReadReceiptInfo>(json!({"lastReadMessageId": "1700000000123", "future": 1}));
}
