//! TeamsInfo against a loopback mock connector: the exact method, path, query and body
//! BotBuilder sends for every call, the answers read back, paging, and Teams' errors typed.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use futures::TryStreamExt;
use serde_json::{Value, json};

use botbuilder_connector::auth::{MicrosoftAppCredentials, OutgoingAuthSettings};
use botbuilder_connector::schema::{Activity, ChannelAccount, ChannelId};
use botbuilder_connector::{ConnectorClientFactory, ConnectorError, RetryPolicy};
use botbuilder_teams::TeamsError;
use botbuilder_teams::info::{MeetingNotification, MeetingSurface, TeamMember, TeamsInfo};
use support::{Mock, Recorded, Reply};

const TEAM: &str = "19:097e6717fd7245bdbeba6baa13840db8@thread.skype";
const TEAM_ENC: &str = "19%3A097e6717fd7245bdbeba6baa13840db8%40thread.skype";
const USER: &str = "29:1CFIxRJBLjT_io3iNsDZxMk";
const USER_ENC: &str = "29%3A1CFIxRJBLjT_io3iNsDZxMk";
const MEETING: &str = "MCMxOTptZWV0aW5nX01qZGhOelF6WlRndE1HSmhNUzAwTkRJekxUaGhNR1V0TlRZNVlqWTJOVFkxWVdNMEB0aHJlYWQudjIjMA==";
const MEETING_ENC: &str = "MCMxOTptZWV0aW5nX01qZGhOelF6WlRndE1HSmhNUzAwTkRJekxUaGhNR1V0TlRZNVlqWTJOVFkxWVdNMEB0aHJlYWQudjIjMA%3D%3D";

struct Setup {
    connector: Mock,
    _login: Mock,
    factory: ConnectorClientFactory,
}

impl Setup {
    async fn new() -> Self {
        Self::with_retry(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(1),
            jitter: false,
        })
        .await
    }

    async fn with_retry(retry: RetryPolicy) -> Self {
        let connector = Mock::connector().await;
        let login = Mock::token_endpoint(3600).await;
        let settings = OutgoingAuthSettings::default()
            .with_login_url(format!("{}/botframework.com", login.url()));
        let credentials = MicrosoftAppCredentials::new("app-id", "app-password", settings).unwrap();
        let factory = ConnectorClientFactory::builder(Arc::new(credentials))
            .retry_policy(retry)
            .build()
            .unwrap();
        Self {
            connector,
            _login: login,
            factory,
        }
    }

    fn teams(&self) -> TeamsInfo {
        TeamsInfo::new(self.factory.client_for(&self.connector.url()).unwrap())
    }
}

/// One request as BotBuilder sends it: method, path (percent-encoded as sent), query, JSON
/// body, and the app token.
#[track_caller]
fn assert_request(
    r: &Recorded,
    method: Method,
    path: &str,
    query: Option<&str>,
    body: Option<Value>,
) {
    assert_eq!(r.method, method, "method of {path}");
    assert_eq!(r.path, path);
    assert_eq!(r.query.as_deref(), query, "query of {path}");
    assert_eq!(
        r.header("authorization"),
        Some("Bearer tok-1"),
        "auth of {path}"
    );
    match body {
        Some(expected) => {
            assert!(
                r.header("content-type")
                    .is_some_and(|c| c.starts_with("application/json")),
                "content type of {path}"
            );
            assert_eq!(r.json(), expected, "body of {path}");
        }
        None => assert!(r.body.is_empty(), "no body for {path}"),
    }
}

fn member_json(id: &str, name: &str) -> Value {
    json!({
        "id": id, "name": name, "aadObjectId": format!("aad-{name}"), "givenName": name,
        "surname": "Doe", "email": format!("{name}@contoso.com"),
        "userPrincipalName": format!("{name}@contoso.com"), "tenantId": "tenant-1",
        "userRole": "user"
    })
}

fn message() -> Activity {
    Activity::message("the build is green")
}

#[tokio::test]
async fn reads_send_botbuilder_requests_and_read_teams_answers() {
    let s = Setup::new().await;
    let teams = s.teams();
    let m = &s.connector;

    // get member / get team member
    let member_path = format!("/v3/conversations/{TEAM_ENC}/members/{USER_ENC}");
    m.script(
        Method::GET,
        &member_path,
        Reply::json(200, member_json(USER, "ada")),
    );
    let member = teams.get_member(TEAM, USER).await.unwrap();
    assert_request(&m.last(), Method::GET, &member_path, None, None);
    assert_eq!(member.email.as_deref(), Some("ada@contoso.com"));
    assert_eq!(
        member.user_principal_name.as_deref(),
        Some("ada@contoso.com")
    );
    assert_eq!(member.user_role.as_deref(), Some("user"));
    m.script(
        Method::GET,
        &member_path,
        Reply::json(200, member_json(USER, "ada")),
    );
    let member = teams.get_team_member(TEAM, USER).await.unwrap();
    assert_request(&m.last(), Method::GET, &member_path, None, None);
    assert_eq!(member.tenant_id.as_deref(), Some("tenant-1"));

    // one page of members, with page size and token
    let paged = format!("/v3/conversations/{TEAM_ENC}/pagedmembers");
    m.script(
        Method::GET,
        &paged,
        Reply::json(
            200,
            json!({"continuationToken": "c/2", "members": [member_json("29:a", "a")]}),
        ),
    );
    let page = teams
        .get_paged_members(TEAM, Some(50), Some("c/1+x"))
        .await
        .unwrap();
    assert_request(
        &m.last(),
        Method::GET,
        &paged,
        Some("pageSize=50&continuationToken=c%2F1%2Bx"),
        None,
    );
    assert_eq!(page.continuation_token.as_deref(), Some("c/2"));
    assert_eq!(page.members[0].id, "29:a");

    // team details
    let team_path = format!("/v3/teams/{TEAM_ENC}");
    m.script(
        Method::GET,
        &team_path,
        Reply::json(
            200,
            json!({"id": TEAM, "name": "Contoso", "aadGroupId": "group-1", "channelCount": 3, "memberCount": 12, "type": "standard"}),
        ),
    );
    let details = teams.get_team_details(TEAM).await.unwrap();
    assert_request(&m.last(), Method::GET, &team_path, None, None);
    assert_eq!(details.name.as_deref(), Some("Contoso"));
    assert_eq!(details.aad_group_id.as_deref(), Some("group-1"));
    assert_eq!(
        (details.channel_count, details.member_count),
        (Some(3), Some(12))
    );

    // team channels
    let channels_path = format!("/v3/teams/{TEAM_ENC}/conversations");
    m.script(
        Method::GET,
        &channels_path,
        Reply::json(
            200,
            json!({"conversations": [{"id": TEAM}, {"id": "19:c2@thread.skype", "name": "Releases"}]}),
        ),
    );
    let channels = teams.get_team_channels(TEAM).await.unwrap();
    assert_request(&m.last(), Method::GET, &channels_path, None, None);
    assert_eq!(channels.len(), 2);
    assert_eq!(channels[0].name, None);
    assert_eq!(channels[1].name.as_deref(), Some("Releases"));

    // meeting participant
    let participant_path = format!("/v1/meetings/{MEETING_ENC}/participants/aad-ada");
    m.script(
        Method::GET,
        &participant_path,
        Reply::json(
            200,
            json!({
                "user": member_json(USER, "ada"),
                "meeting": {"role": "Organizer", "inMeeting": true},
                "conversation": {"id": "19:meeting_x@thread.v2", "isGroup": true}
            }),
        ),
    );
    let participant = teams
        .get_meeting_participant(MEETING, "aad-ada", "tenant-1")
        .await
        .unwrap();
    assert_request(
        &m.last(),
        Method::GET,
        &participant_path,
        Some("tenantId=tenant-1"),
        None,
    );
    let role = participant.meeting.unwrap();
    assert_eq!(
        (role.role.as_deref(), role.in_meeting),
        (Some("Organizer"), Some(true))
    );

    // meeting info
    let meeting_path = format!("/v1/meetings/{MEETING_ENC}");
    m.script(
        Method::GET,
        &meeting_path,
        Reply::json(
            200,
            json!({
                "details": {"id": MEETING, "title": "All Hands", "type": "Scheduled",
                            "joinUrl": "https://teams.microsoft.com/l/xx",
                            "scheduledStartTime": "2022-04-24T22:00:00Z"},
                "conversation": {"isGroup": true, "conversationType": "groupChat", "id": "chat-1"},
                "organizer": {"id": USER, "aadObjectId": "aad-ada", "tenantId": "tenant-1"}
            }),
        ),
    );
    let info = teams.get_meeting_info(MEETING).await.unwrap();
    assert_request(&m.last(), Method::GET, &meeting_path, None, None);
    let details = info.details.unwrap();
    assert_eq!(details.title.as_deref(), Some("All Hands"));
    assert_eq!(details.meeting_type.as_deref(), Some("Scheduled"));
    assert_eq!(
        info.organizer.unwrap().aad_object_id.as_deref(),
        Some("aad-ada")
    );

    // every call above went to the mock connector, one token for all
    assert_eq!(m.requests().len(), 7);
}

#[tokio::test]
async fn meeting_notifications_send_the_targeted_payload_and_read_partial_failures() {
    let s = Setup::new().await;
    let teams = s.teams();
    let m = &s.connector;
    let path = format!("/v1/meetings/{MEETING_ENC}/notification");
    let notification = MeetingNotification::targeted(
        [USER, "29:other"],
        [
            MeetingSurface::stage_task(
                "Vote now",
                "https://contoso.com/vote",
                Some(300),
                Some(400),
            ),
            MeetingSurface::tab_icon(Some("tab-1".into())),
        ],
    )
    .on_behalf_of(USER, Some("Ada".into()));
    let expected = json!({
        "type": "targetedMeetingNotification",
        "value": {
            "recipients": [USER, "29:other"],
            "surfaces": [
                {"surface": "meetingStage", "contentType": "task",
                 "content": {"value": {"title": "Vote now", "url": "https://contoso.com/vote", "height": 300, "width": 400}}},
                {"surface": "meetingTabIcon", "tabEntityId": "tab-1"}
            ]
        },
        "channelData": {"OnBehalfOf": [
            {"itemId": 0, "mentionType": "person", "mri": USER, "displayName": "Ada"}
        ]}
    });

    // 202: everyone got it
    m.script(Method::POST, &path, Reply::empty(202));
    let all = teams
        .send_meeting_notification(MEETING, &notification)
        .await
        .unwrap();
    assert_request(&m.last(), Method::POST, &path, None, Some(expected.clone()));
    assert!(all.failures().is_empty());

    // 207: some did not
    m.script(
        Method::POST,
        &path,
        Reply::json(
            207,
            json!({"recipientsFailureInfo": [
                {"recipientMri": "29:other", "errorcode": "ParticipantNotInMeeting", "failureReason": "not in the meeting"}
            ]}),
        ),
    );
    let some = teams
        .send_meeting_notification(MEETING, &notification)
        .await
        .unwrap();
    assert_request(&m.last(), Method::POST, &path, None, Some(expected));
    assert_eq!(some.failures().len(), 1);
    assert_eq!(some.failures()[0].recipient_mri, "29:other");
    assert_eq!(
        some.failures()[0].error_code.as_deref(),
        Some("ParticipantNotInMeeting")
    );
}

#[tokio::test]
async fn batch_operations_send_botbuilder_bodies_and_return_the_operation_id() {
    let s = Setup::new().await;
    let teams = s.teams();
    let m = &s.connector;
    let activity = message();
    let activity_json = serde_json::to_value(&activity).unwrap();

    let cases: Vec<(&str, Value)> = vec![
        (
            "users",
            json!({"members": [{"id": "29:u1"}, {"id": "29:u2"}], "activity": activity_json, "tenantId": "tenant-1"}),
        ),
        (
            "tenant",
            json!({"activity": activity_json, "tenantId": "tenant-1"}),
        ),
        (
            "team",
            json!({"activity": activity_json, "teamId": TEAM, "tenantId": "tenant-1"}),
        ),
        (
            "channels",
            json!({"members": [{"id": "19:c1@thread.skype"}], "activity": activity_json, "tenantId": "tenant-1"}),
        ),
    ];
    for (i, (target, body)) in cases.into_iter().enumerate() {
        let path = format!("/v3/batch/conversation/{target}/");
        m.script(
            Method::POST,
            &path,
            Reply::json(201, json!({"operationId": format!("op-{target}")})),
        );
        let id = match i {
            0 => teams
                .send_message_to_list_of_users(
                    &activity,
                    "tenant-1",
                    &[TeamMember::new("29:u1"), "29:u2".into()],
                )
                .await
                .unwrap(),
            1 => teams
                .send_message_to_all_users_in_tenant(&activity, "tenant-1")
                .await
                .unwrap(),
            2 => teams
                .send_message_to_all_users_in_team(&activity, TEAM, "tenant-1")
                .await
                .unwrap(),
            _ => teams
                .send_message_to_list_of_channels(
                    &activity,
                    "tenant-1",
                    &[TeamMember::new("19:c1@thread.skype")],
                )
                .await
                .unwrap(),
        };
        assert_request(&m.last(), Method::POST, &path, None, Some(body));
        assert_eq!(id, format!("op-{target}"));
    }

    // operation state
    m.script(
        Method::GET,
        "/v3/batch/conversation/op-1",
        Reply::json(
            200,
            json!({"state": "Completed", "statusMap": {"201": 9, "404": 1}, "totalEntriesCount": 10}),
        ),
    );
    let state = teams.get_operation_state("op-1").await.unwrap();
    assert_request(
        &m.last(),
        Method::GET,
        "/v3/batch/conversation/op-1",
        None,
        None,
    );
    assert!(state.is_finished());
    assert_eq!(state.status_map.get("404"), Some(&1));
    assert_eq!(state.total_entries_count, 10);

    // cancel
    m.script(
        Method::DELETE,
        "/v3/batch/conversation/op-1",
        Reply::empty(200),
    );
    teams.cancel_operation("op-1").await.unwrap();
    assert_request(
        &m.last(),
        Method::DELETE,
        "/v3/batch/conversation/op-1",
        None,
        None,
    );

    // arguments BotBuilder rejects are rejected before any request
    let before = m.requests().len();
    for e in [
        teams
            .send_message_to_list_of_users(&activity, "tenant-1", &[])
            .await
            .unwrap_err(),
        teams
            .send_message_to_list_of_channels(&activity, "tenant-1", &[])
            .await
            .unwrap_err(),
        teams
            .send_message_to_all_users_in_tenant(&activity, " ")
            .await
            .unwrap_err(),
        teams.get_operation_state("").await.unwrap_err(),
    ] {
        assert!(matches!(e, TeamsError::InvalidArgument { .. }), "{e}");
    }
    assert_eq!(m.requests().len(), before);
}

#[tokio::test]
async fn paging_streams_walk_every_page_with_the_continuation_tokens() {
    let s = Setup::new().await;
    let teams = s.teams();
    let m = &s.connector;
    let paged = format!("/v3/conversations/{TEAM_ENC}/pagedmembers");
    let pages = [
        json!({"continuationToken": "t1", "members": [member_json("29:a", "a"), member_json("29:b", "b")]}),
        json!({"continuationToken": "t2", "members": []}),
        json!({"members": [member_json("29:c", "c")]}),
    ];
    for page in pages {
        m.script(Method::GET, &paged, Reply::json(200, page));
    }
    let members: Vec<_> = teams.members(TEAM, Some(2)).try_collect().await.unwrap();
    let ids: Vec<_> = members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["29:a", "29:b", "29:c"]);
    let queries: Vec<_> = m
        .requests()
        .iter()
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        queries,
        [
            "pageSize=2",
            "pageSize=2&continuationToken=t1",
            "pageSize=2&continuationToken=t2"
        ]
    );

    // failed entries of a batch operation, over two pages
    let path = "/v3/batch/conversation/failedentries/op-9";
    m.script(
        Method::GET,
        path,
        Reply::json(
            200,
            json!({"continuationToken": "f1", "failedEntries": [{"entryId": "29:x", "error": "BotNotInConversationRoster"}]}),
        ),
    );
    m.script(
        Method::GET,
        path,
        Reply::json(
            200,
            json!({"failedEntries": [{"entryId": "29:y", "error": "UserNotFound"}]}),
        ),
    );
    let failed: Vec<_> = teams.failed_entries("op-9").try_collect().await.unwrap();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[1].entry_id, "29:y");
    let requests = m.requests();
    let last_two = &requests[requests.len() - 2..];
    assert_request(&last_two[0], Method::GET, path, None, None);
    assert_request(
        &last_two[1],
        Method::GET,
        path,
        Some("continuationToken=f1"),
        None,
    );

    // a repeated continuation token ends the stream instead of looping
    let before = m.requests().len();
    for _ in 0..2 {
        m.script(
            Method::GET,
            &paged,
            Reply::json(
                200,
                json!({"continuationToken": "same", "members": [member_json("29:a", "a")]}),
            ),
        );
    }
    let looped: Vec<_> = teams.members(TEAM, None).try_collect().await.unwrap();
    assert_eq!(looped.len(), 2);
    assert_eq!(m.requests().len() - before, 2);

    // an error ends the stream with that error
    m.script(
        Method::GET,
        &paged,
        Reply::json(
            200,
            json!({"continuationToken": "t1", "members": [member_json("29:a", "a")]}),
        ),
    );
    m.script(
        Method::GET,
        &paged,
        Reply::json(
            403,
            json!({"error": {"code": "BotNotInConversationRoster", "message": "The bot is not part of the conversation roster."}}),
        ),
    );
    let results: Vec<_> = futures::StreamExt::collect::<Vec<_>>(teams.members(TEAM, None)).await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(results[1].as_ref().unwrap_err().is_bot_not_in_roster());
}

#[tokio::test]
async fn teams_errors_are_typed() {
    let s = Setup::new().await;
    let teams = s.teams();
    let m = &s.connector;
    let team_path = format!("/v3/teams/{TEAM_ENC}");

    // 403 BotNotInConversationRoster
    m.script(
        Method::GET,
        &team_path,
        Reply::json(
            403,
            json!({"error": {"code": "BotNotInConversationRoster", "message": "The bot is not part of the conversation roster."}}),
        ),
    );
    let e = teams.get_team_details(TEAM).await.unwrap_err();
    assert!(
        matches!(&e, TeamsError::BotNotInConversationRoster { operation: "get team details", message: Some(msg) } if msg.contains("roster")),
        "{e:?}"
    );
    assert_eq!(e.status(), Some(403));
    assert_eq!(e.code(), Some("BotNotInConversationRoster"));
    assert_eq!(
        e.to_string(),
        "get team details: the bot is not in the conversation's roster (403): The bot is not part of the conversation roster."
    );

    // 404 ConversationNotFound
    m.script(
        Method::GET,
        &team_path,
        Reply::json(
            404,
            json!({"error": {"code": "ConversationNotFound", "message": "Conversation not found."}}),
        ),
    );
    let e = teams.get_team_details(TEAM).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert_eq!(e.code(), Some("ConversationNotFound"));

    // another 403 stays a connector error, with Teams' code
    m.script(
        Method::GET,
        &team_path,
        Reply::json(
            403,
            json!({"error": {"code": "BotDisabledByAdmin", "message": "The tenant admin disabled this bot"}}),
        ),
    );
    let e = teams.get_team_details(TEAM).await.unwrap_err();
    assert!(
        matches!(
            &e,
            TeamsError::Connector {
                source: ConnectorError::Refused { .. },
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.code(), Some("BotDisabledByAdmin"));
    assert!(std::error::Error::source(&e).is_some());

    // 429 is retried by the connector (honouring Retry-After) and succeeds
    let before = m.requests().len();
    m.script(
        Method::GET,
        &team_path,
        Reply::json(
            429,
            json!({"error": {"code": "Throttled", "message": "slow down"}}),
        )
        .header("retry-after", "0"),
    );
    m.script(
        Method::GET,
        &team_path,
        Reply::json(200, json!({"id": TEAM, "name": "Contoso"})),
    );
    let details = teams.get_team_details(TEAM).await.unwrap();
    assert_eq!(details.name.as_deref(), Some("Contoso"));
    assert_eq!(m.requests().len() - before, 2, "one retry");

    // 429 asking for longer than the policy allows: Throttled, with the wait Teams asked for
    m.script(
        Method::GET,
        &team_path,
        Reply::json(
            429,
            json!({"error": {"code": "Throttled", "message": "slow down"}}),
        )
        .header("retry-after", "7"),
    );
    let e = teams.get_team_details(TEAM).await.unwrap_err();
    assert!(e.is_throttled(), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(
        e.to_string(),
        "get team details: Teams is throttling requests (429), retry after 7s"
    );
    assert_eq!(e.status(), Some(429));

    // a batch answer without an operation id is an unreadable answer, not an empty id
    m.script(
        Method::POST,
        "/v3/batch/conversation/tenant/",
        Reply::json(201, json!({})),
    );
    let e = teams
        .send_message_to_all_users_in_tenant(&message(), "tenant-1")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            TeamsError::Connector {
                source: ConnectorError::InvalidResponse { .. },
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_message_to_a_channel_creates_the_thread_and_returns_its_reference() {
    let s = Setup::new().await;
    let teams = s.teams();
    let m = &s.connector;
    m.script(
        Method::POST,
        "/v3/conversations",
        Reply::json(
            201,
            json!({"id": "19:c2@thread.skype;messageid=1700000000000", "activityId": "1700000000000"}),
        ),
    );
    let bot = ChannelAccount {
        id: "28:bot".into(),
        name: Some("Bot".into()),
        ..ChannelAccount::default()
    };
    let (reference, activity_id) = teams
        .send_message_to_teams_channel(
            &message(),
            "19:c2@thread.skype",
            Some(bot.clone()),
            Some("tenant-1"),
        )
        .await
        .unwrap();
    assert_request(
        &m.last(),
        Method::POST,
        "/v3/conversations",
        None,
        Some(json!({
            "isGroup": true,
            "activity": serde_json::to_value(message()).unwrap(),
            "channelData": {"channel": {"id": "19:c2@thread.skype"}}
        })),
    );
    assert_eq!(activity_id, "1700000000000");
    assert_eq!(reference.activity_id.as_deref(), Some("1700000000000"));
    assert_eq!(
        reference.conversation_id(),
        Some("19:c2@thread.skype;messageid=1700000000000")
    );
    assert_eq!(reference.channel_id, Some(ChannelId::Msteams));
    assert_eq!(reference.bot, Some(bot));
    assert_eq!(reference.service_url.as_deref(), Some(m.url().as_str()));
    assert_eq!(
        reference.conversation.unwrap().tenant_id.as_deref(),
        Some("tenant-1")
    );
}
