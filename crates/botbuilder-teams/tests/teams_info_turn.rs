//! TeamsInfo from inside a turn: the CloudAdapter hands the turn's connector client over the
//! turn state, and the turn's team, tenant and sender are the defaults, as in BotBuilder.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use axum::http::Method;
use futures::TryStreamExt;
use serde_json::{Value, json};

use botbuilder_connector::schema::{
    Activity, ChannelId, ConversationAccount, ConversationReference,
};
use botbuilder_connector::{BotConfig, CloudAdapter};
use botbuilder_core::testing::TestAdapter;
use botbuilder_core::{BotAdapterExt, TurnContext, bot_fn};
use botbuilder_teams::{TeamsError, TeamsInfo};
use support::{Mock, Reply};

const TEAM_ENC: &str = "19%3A097e6717fd7245bdbeba6baa13840db8%40thread.skype";
const FROM: &str =
    "29:1CFIxRJBLjT_io3iNsDZxMk_4YPWQmr3DZUM1I6ihf5L2ocCDqg9S1vkHK6kRdGfK1P_2LFE2nQqFIvdu-GBOZA";

/// A recorded Teams channel message, sent to the mock connector's URL.
fn channel_message(service_url: &str) -> Value {
    let mut activity: Value = serde_json::from_str(include_str!(
        "fixtures/msteams_message_channel_mention.json"
    ))
    .unwrap();
    activity["serviceUrl"] = json!(service_url);
    activity
}

async fn teams_summary(ctx: &mut TurnContext) -> Result<String, TeamsError> {
    let teams = TeamsInfo::for_turn(ctx)?;
    let details = teams.get_team_details(None).await?;
    let sender = ctx.activity().from.as_ref().map(|f| f.id.clone()).unwrap();
    let member = teams.get_member(&sender).await?;
    let members: Vec<_> = teams.members(Some(10)).try_collect().await?;
    let outside_meeting = teams
        .get_meeting_participant(None, None, None)
        .await
        .unwrap_err();
    Ok(format!(
        "{} | {} | {} members | tenant {} | {}",
        details.name.unwrap_or_default(),
        member.email.unwrap_or_default(),
        members.len(),
        teams.tenant_id().unwrap_or_default(),
        outside_meeting
    ))
}

#[tokio::test]
async fn a_turn_run_by_the_cloud_adapter_reaches_teams_info_with_the_turn_defaults() {
    let connector = Mock::connector().await;
    connector.script(
        Method::GET,
        &format!("/v3/teams/{TEAM_ENC}"),
        Reply::json(200, json!({"id": "19:team", "name": "Contoso"})),
    );
    connector.script(
        Method::GET,
        &format!(
            "/v3/conversations/{TEAM_ENC}/members/{}",
            FROM.replace(':', "%3A")
        ),
        Reply::json(200, json!({"id": FROM, "email": "dave@contoso.com"})),
    );
    connector.script(
        Method::GET,
        &format!("/v3/conversations/{TEAM_ENC}/pagedmembers"),
        Reply::json(200, json!({"members": [{"id": FROM}, {"id": "29:other"}]})),
    );
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot = bot_fn(async |ctx| {
        let summary = teams_summary(ctx).await?;
        ctx.send_activity(summary).await?;
        Ok(())
    });
    let body = serde_json::to_vec(&channel_message(&connector.url())).unwrap();
    let response = adapter.process(None, &body, &bot).await;
    assert_eq!(response.status, 200, "{:?}", response.body);

    let requests = connector.requests();
    let paths: Vec<_> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    // The team from channelData (not the channel thread) is where members are looked up.
    assert_eq!(paths[0], format!("GET /v3/teams/{TEAM_ENC}"));
    assert!(paths[1].starts_with(&format!("GET /v3/conversations/{TEAM_ENC}/members/29%3A")));
    assert_eq!(
        paths[2],
        format!("GET /v3/conversations/{TEAM_ENC}/pagedmembers")
    );
    assert_eq!(requests[2].query.as_deref(), Some("pageSize=10"));
    let reply = requests.last().unwrap();
    assert_eq!(reply.method, Method::POST);
    assert_eq!(
        reply.json()["text"],
        "Contoso | dave@contoso.com | 2 members | tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 | \
         get meeting participant: the activity is not from a meeting; pass a meeting id"
    );
}

#[tokio::test]
async fn a_turn_without_a_connector_client_says_so() {
    let adapter = TestAdapter::new();
    let bot = bot_fn(async |ctx| {
        let e = TeamsInfo::for_turn(ctx).unwrap_err();
        assert!(matches!(e, TeamsError::NoConnectorClient), "{e:?}");
        ctx.send_activity(e.to_string()).await?;
        Ok(())
    });
    adapter
        .process_activity(Activity::message("hi"), &bot)
        .await
        .unwrap();
    let sent = adapter.sent_activities();
    assert_eq!(
        sent[0].text.as_deref(),
        Some("the turn has no connector client for TeamsInfo")
    );
}

#[tokio::test]
async fn a_proactive_turn_reaches_teams_info_too() {
    let connector = Mock::connector().await;
    connector.script(
        Method::GET,
        "/v3/batch/conversation/op-7",
        Reply::json(200, json!({"state": "InProgress", "totalEntriesCount": 3})),
    );
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let reference = ConversationReference {
        conversation: Some(ConversationAccount {
            id: "a:1".into(),
            ..ConversationAccount::default()
        }),
        channel_id: Some(ChannelId::Msteams),
        service_url: Some(connector.url()),
        ..ConversationReference::default()
    };
    let state = adapter
        .continue_conversation(reference, async |ctx| {
            let teams = TeamsInfo::for_turn(ctx)?;
            Ok(teams.info().get_operation_state("op-7").await?)
        })
        .await
        .unwrap();
    assert_eq!(state.state, "InProgress");
    assert!(!state.is_finished());
    assert_eq!(connector.last().path, "/v3/batch/conversation/op-7");
}
