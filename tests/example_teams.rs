//! `cargo run --example teams`, tested over HTTP: the example's bot on a loopback port gets
//! recorded Teams payloads (from `crates/botbuilder-teams/tests/fixtures`, their `serviceUrl`
//! pointed at a loopback mock of the Bot Connector, which also plays TeamsInfo's routes), and
//! each test checks the invoke response and what reached the connector.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

#[path = "../examples/teams/bot.rs"]
mod bot;
use botbuilder_test_support as support;

use std::sync::Arc;

use botbuilder::prelude::*;
use botbuilder::teams::mention::RemoveMentionMiddleware;
use serde_json::{Value, json};
use support::{Mock, Recorded, Reply};
use tokio::sync::oneshot;

const TEAM: &str = "19:097e6717fd7245bdbeba6baa13840db8@thread.skype";
const DAVE: &str =
    "29:1CFIxRJBLjT_io3iNsDZxMk_4YPWQmr3DZUM1I6ihf5L2ocCDqg9S1vkHK6kRdGfK1P_2LFE2nQqFIvdu-GBOZA";
const NEW_MEMBER: &str = "29:1OeqZAirv1xrSRIofsdOhqfIoSEZImcZoJELvXmhzoyn811wFf3whJ557yiWNHLw5VKK3DvhMMFh_Gpdo74o_XIy16bH3DjLUoxphFX5Pi_A";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/crates/botbuilder-teams/tests/fixtures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn decoded(path: &str) -> String {
    path.replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%40", "@")
        .replace("%3B", ";")
        .replace("%3b", ";")
        .replace("%3D", "=")
        .replace("%3d", "=")
}

/// The Bot Connector and TeamsInfo's routes, as Teams answers them.
fn teams_service(request: &Recorded, n: u32) -> Reply {
    let path = decoded(&request.path);
    let method = request.method.as_str();
    match (method, path.as_str()) {
        ("GET", p) if p == format!("/v3/conversations/{TEAM}/members/{NEW_MEMBER}") => Reply::json(
            200,
            json!({"id": NEW_MEMBER, "name": "Ada Lovelace", "givenName": "Ada",
                       "surname": "Lovelace", "email": "ada@contoso.com",
                       "userPrincipalName": "ada@contoso.com", "tenantId": "t-1",
                       "userRole": "user", "aadObjectId": "e830a11b-50fe-465a-810c-5c308099ca2b"}),
        ),
        ("GET", p) if p == format!("/v3/teams/{TEAM}/conversations") => Reply::json(
            200,
            json!({"conversations": [
                {"id": TEAM},
                {"id": "19:design@thread.skype", "name": "Design"}
            ]}),
        ),
        ("POST", "/v3/conversations") => Reply::json(
            201,
            json!({"id": "19:design@thread.skype;messageid=1700000000001",
                   "activityId": "1700000000001"}),
        ),
        ("POST", "/v3/batch/conversation/team/") => {
            Reply::json(201, json!({"operationId": "op-1"}))
        }
        ("GET", "/v3/batch/conversation/op-1") => Reply::json(
            200,
            json!({"state": "Completed", "statusMap": {"201": 12}, "totalEntriesCount": 12}),
        ),
        ("PUT", p) if p.contains("/activities/fail-me") => Reply::json(
            500,
            json!({"error": {"code": "ServiceError", "message": "secret internal detail"}}),
        ),
        _ => Reply::json(200, json!({"id": format!("id-{n}")})),
    }
}

/// The example's bot on a loopback port, wired as `main.rs` wires it.
struct Server {
    url: String,
    connector: Mock,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start() -> Self {
        let connector = Mock::start(teams_service).await;
        let adapter = CloudAdapter::new(&BotConfig::anonymous())
            .unwrap()
            .with_middleware(RemoveMentionMiddleware);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/messages", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            botbuilder::hosting::serve_with_shutdown(
                listener,
                botbuilder::hosting::router(adapter, Arc::new(bot::TeamsBot)),
                async move {
                    let _ = stopped.await;
                },
            )
            .await
            .unwrap();
        });
        Self {
            url,
            connector,
            stop,
            task,
        }
    }

    /// Posts a recorded payload (with `patch` applied to its top-level fields) from the mock
    /// channel; returns the HTTP status and JSON body (`Null` when empty).
    async fn post(&self, name: &str, patch: Value) -> (u16, Value) {
        let mut activity = fixture(name);
        for (k, v) in patch.as_object().unwrap() {
            activity[k] = v.clone();
        }
        activity["serviceUrl"] = json!(self.connector.url());
        let response = reqwest::Client::new()
            .post(&self.url)
            .json(&activity)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, body)
    }

    /// What the bot sent to the conversation (POSTs of activities).
    fn sent(&self) -> Vec<Value> {
        self.connector
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && decoded(&r.path).contains("/activities"))
            .map(Recorded::json)
            .collect()
    }

    fn request(&self, method: &str, path: &str) -> Option<Recorded> {
        self.connector
            .requests()
            .into_iter()
            .find(|r| r.method.as_str() == method && decoded(&r.path) == path)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

#[tokio::test]
async fn a_new_team_member_is_welcomed_by_name() {
    let server = Server::start().await;
    let (status, _) = server
        .post("msteams_conversation_update_team_member_added", json!({}))
        .await;
    assert_eq!(status, 200);
    // Teams sent only the member's id: TeamsInfo read the member.
    assert!(
        server
            .request(
                "GET",
                &format!("/v3/conversations/{TEAM}/members/{NEW_MEMBER}")
            )
            .is_some()
    );
    let sent = server.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"], "Welcome to DaveTeams TEST, <at>Ada</at>");
    assert_eq!(
        sent[0]["entities"],
        json!([{"type": "mention", "text": "<at>Ada</at>",
                "mentioned": {"id": NEW_MEMBER, "name": "Ada"}}])
    );
    server.stop().await;
}

#[tokio::test]
async fn an_at_mention_in_a_channel_is_answered_with_a_mention() {
    let server = Server::start().await;
    let (status, _) = server
        .post("msteams_message_channel_mention", json!({}))
        .await;
    assert_eq!(status, 200);
    let sent = server.sent();
    assert_eq!(sent.len(), 1);
    let text = sent[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("<at>Dave Taniguchi</at>, I can run a vote"),
        "{text}"
    );
    assert_eq!(sent[0]["entities"][0]["mentioned"]["id"], DAVE);
    assert_eq!(sent[0]["replyToId"], "1571537152320");
    server.stop().await;
}

#[tokio::test]
async fn the_message_extension_searches_the_catalogue() {
    let server = Server::start().await;
    // The recorded query searches "ex".
    let (status, body) = server.post("msteams_invoke_compose_query", json!({})).await;
    assert_eq!(status, 200);
    let results = body["composeExtension"]["attachments"].as_array().unwrap();
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["preview"]["content"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["regex"]);
    assert_eq!(body["composeExtension"]["type"], "result");
    assert_eq!(body["composeExtension"]["attachmentLayout"], "list");
    assert_eq!(
        results[0]["contentType"],
        "application/vnd.microsoft.card.hero"
    );
    assert_eq!(
        results[0]["preview"]["content"]["tap"],
        json!({"type": "invoke", "title": "regex", "value": {"name": "regex"}})
    );

    let (_, body) = server
        .post(
            "msteams_invoke_compose_query",
            json!({"value": {"commandId": "searchQuery", "parameters": [
                {"name": "initialRun", "value": "true"}]}}),
        )
        .await;
    assert_eq!(
        body["composeExtension"]["attachments"]
            .as_array()
            .unwrap()
            .len(),
        bot::CATALOGUE.len()
    );

    let (status, body) = server
        .post(
            "msteams_invoke_compose_query",
            json!({"name": "composeExtension/selectItem", "value": {"name": "tokio"}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["composeExtension"]["attachments"][0]["content"]["title"],
        "tokio"
    );
    assert!(server.sent().is_empty());
    server.stop().await;
}

fn vote(reply_to: &str, voters: Value) -> Value {
    json!({
        "name": "adaptiveCard/action",
        "replyToId": reply_to,
        "value": {"action": {"type": "Action.Execute", "verb": "vote", "data": {"voters": voters}},
                  "trigger": "manual"}
    })
}

#[tokio::test]
async fn a_vote_updates_the_card_for_everyone_and_refreshes_for_voters() {
    let server = Server::start().await;
    let (status, _) = server
        .post(
            "msteams_message_channel_mention",
            json!({"text": "<at>My Combined</at> vote"}),
        )
        .await;
    assert_eq!(status, 200);
    let card = &server.sent()[0]["attachments"][0];
    assert_eq!(card["content"]["body"][1]["text"], "No votes yet.");

    let (status, body) = server
        .post(
            "msteams_invoke_no_name",
            vote("1:card", json!([{"id": "29:grace", "name": "Grace"}])),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["statusCode"], 200);
    assert_eq!(body["type"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(
        body["value"]["body"][1]["text"],
        "2 votes: Grace, Dave Taniguchi"
    );
    assert_eq!(
        body["value"]["refresh"]["userIds"],
        json!(["29:grace", DAVE])
    );
    assert_eq!(body["value"]["refresh"]["action"]["verb"], "refresh");
    // Everyone else sees it because the message itself was updated.
    let update = server
        .connector
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert!(decoded(&update.path).ends_with("/activities/1:card"));
    assert_eq!(update.json()["attachments"][0]["content"], body["value"]);

    // A voter's client refreshing the card gets the same card back.
    let (_, refreshed) = server
        .post(
            "msteams_invoke_no_name",
            json!({"name": "adaptiveCard/action", "value": {
                "action": {"type": "Action.Execute", "verb": "refresh",
                           "data": body["value"]["refresh"]["action"]["data"]},
                "trigger": "automatic"}}),
        )
        .await;
    assert_eq!(refreshed["value"], body["value"]);
    server.stop().await;
}

#[tokio::test]
async fn a_failing_invoke_answers_500_without_details() {
    let server = Server::start().await;
    let (status, body) = server
        .post("msteams_invoke_no_name", vote("fail-me", json!([])))
        .await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        json!({"error": {"code": "InternalServerError",
                         "message": "the bot could not process the activity"}})
    );
    assert!(!body.to_string().contains("secret"));
    server.stop().await;
}

#[tokio::test]
async fn an_invoke_the_example_does_not_handle_answers_501() {
    let server = Server::start().await;
    let (status, body) = server
        .post(
            "msteams_invoke_no_name",
            json!({"name": "config/fetch", "value": {}}),
        )
        .await;
    assert_eq!((status, body), (501, Value::Null));
    let (status, _) = server
        .post(
            "msteams_invoke_no_name",
            json!({"name": "adaptiveCard/action",
                   "value": {"action": {"type": "Action.Execute", "verb": "dance"}}}),
        )
        .await;
    assert_eq!(status, 501);
    server.stop().await;
}

#[tokio::test]
async fn the_idea_form_opens_in_a_task_module_and_posts_the_idea() {
    let server = Server::start().await;
    let (status, body) = server.post("msteams_invoke_task_fetch", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["task"]["type"], "continue");
    assert_eq!(body["task"]["value"]["title"], "Share an idea");
    assert_eq!(
        body["task"]["value"]["card"]["content"]["body"][1]["id"],
        "idea"
    );

    let (status, body) = server
        .post(
            "msteams_invoke_task_submit",
            json!({"value": {"data": {"idea": "Friday demos"}, "context": {"theme": "default"}}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"task": {"type": "message", "value": "Thanks! Your idea is posted."}})
    );
    let sent = server.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["text"],
        "New idea from <at>Dave Taniguchi</at>: Friday demos"
    );
    assert_eq!(sent[0]["entities"][0]["mentioned"]["id"], DAVE);
    server.stop().await;
}

#[tokio::test]
async fn meeting_start_and_end_are_noted() {
    let server = Server::start().await;
    let meeting = |name: &str, value: Value| {
        json!({"type": "event", "name": name, "value": value,
               "channelData": {"tenant": {"id": "t-1"}, "meeting": {"id": "MCMxOTptZWV0aW5n"}}})
    };
    server
        .post(
            "msteams_message_personal",
            meeting(
                "application/vnd.microsoft.meetingStart",
                json!({"Id": "MCMxOTptZWV0aW5n", "MeetingType": "Scheduled", "Title": "Standup",
                       "JoinUrl": "https://teams.microsoft.com/l/meetup-join/x",
                       "StartTime": "2024-03-01T09:00:00Z"}),
            ),
        )
        .await;
    server
        .post(
            "msteams_message_personal",
            meeting(
                "application/vnd.microsoft.meetingEnd",
                json!({"Id": "MCMxOTptZWV0aW5n", "MeetingType": "Scheduled", "Title": "Standup",
                       "JoinUrl": "https://teams.microsoft.com/l/meetup-join/x",
                       "EndTime": "2024-03-01T09:15:00Z"}),
            ),
        )
        .await;
    let texts: Vec<Value> = server.sent().iter().map(|a| a["text"].clone()).collect();
    assert_eq!(
        texts,
        [
            json!("Standup started (2024-03-01T09:00:00Z)."),
            json!("Standup ended (2024-03-01T09:15:00Z).")
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn post_starts_a_thread_in_the_chosen_channel() {
    let server = Server::start().await;
    let (status, _) = server
        .post(
            "msteams_message_channel_mention",
            json!({"text": "<at>My Combined</at> post Design: Lunch is here"}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        server
            .request("GET", &format!("/v3/teams/{TEAM}/conversations"))
            .is_some()
    );
    let created = server.request("POST", "/v3/conversations").unwrap().json();
    assert_eq!(created["isGroup"], true);
    assert_eq!(
        created["channelData"]["channel"]["id"],
        "19:design@thread.skype"
    );
    assert_eq!(created["activity"]["text"], "Lunch is here");
    let sent = server.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"], "Posted in Design.");
    server.stop().await;
}

#[tokio::test]
async fn tell_everyone_uses_the_batch_api_and_status_follows_it() {
    let server = Server::start().await;
    server
        .post(
            "msteams_message_channel_mention",
            json!({"text": "<at>My Combined</at> tell everyone: the build is green"}),
        )
        .await;
    let batch = server
        .request("POST", "/v3/batch/conversation/team/")
        .unwrap()
        .json();
    assert_eq!(batch["teamId"], TEAM);
    assert_eq!(batch["tenantId"], "72f988bf-86f1-41af-91ab-2d7cd011db47");
    assert_eq!(batch["activity"]["text"], "the build is green");
    server
        .post(
            "msteams_message_channel_mention",
            json!({"text": "<at>My Combined</at> status op-1"}),
        )
        .await;
    let texts: Vec<Value> = server.sent().iter().map(|a| a["text"].clone()).collect();
    assert_eq!(
        texts,
        [
            json!("Sending it to every member. `status op-1` tells how far it got."),
            json!("Completed: 12 of 12 sent.")
        ]
    );
    server.stop().await;
}

/// The manifest template declares what the example answers: the search command and its
/// parameter, the bot's commands, and the meeting permission the meeting events need.
#[test]
fn the_manifest_template_matches_the_example() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/teams/manifest/manifest.json"
    ))
    .unwrap();
    let manifest: Value = serde_json::from_str(&text).unwrap();
    let command = &manifest["composeExtensions"][0]["commands"][0];
    assert_eq!(command["type"], "query");
    assert_eq!(command["parameters"][0]["name"], "searchQuery");
    assert_eq!(command["initialRun"], true);
    let commands: Vec<&str> = manifest["bots"][0]["commandLists"][0]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["vote", "idea", "post", "tell", "status"]);
    assert_eq!(manifest["bots"][0]["botId"], "{{MICROSOFT_APP_ID}}");
    assert!(text.contains("OnlineMeeting.ReadBasic.Chat"));
    for icon in ["color", "outline"] {
        let file = manifest["icons"][icon].as_str().unwrap();
        let bytes = std::fs::read(format!(
            "{}/examples/teams/manifest/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{file}");
    }
}
