//! `membersAdded` on a turn run by the CloudAdapter: each member Teams sent only by id is read
//! with TeamsInfo before `on_teams_members_added` (BotBuilder's `OnTeamsMembersAddedDispatch`);
//! a 404 keeps the activity's account, another failure fails the turn.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use axum::http::Method;
use serde_json::{Value, json};

use botbuilder_connector::{BotConfig, CloudAdapter};
use botbuilder_core::{ActivityHandler, TurnContext, TurnResult, async_trait};
use botbuilder_teams::models::{TeamInfo, TeamsChannelAccount};
use botbuilder_teams::{TeamsActivityHandler, dispatch_teams_activity};
use support::{Mock, Reply};

const TEAM_ENC: &str = "19%3A097e6717fd7245bdbeba6baa13840db8%40thread.skype";
const MEMBER: &str = "29:1OeqZAirv1xrSRIofsdOhqfIoSEZImcZoJELvXmhzoyn811wFf3whJ557yiWNHLw5VKK3DvhMMFh_Gpdo74o_XIy16bH3DjLUoxphFX5Pi_A";

fn member_path() -> String {
    format!(
        "/v3/conversations/{TEAM_ENC}/members/{}",
        MEMBER.replace(':', "%3A")
    )
}

/// Says who joined: given name, email, or the id.
struct Greeter;

#[async_trait]
impl ActivityHandler for Greeter {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        dispatch_teams_activity(self, ctx).await
    }
}

#[async_trait]
impl TeamsActivityHandler for Greeter {
    async fn on_teams_members_added(
        &self,
        members: Vec<TeamsChannelAccount>,
        team: Option<TeamInfo>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        for m in members {
            let who = m.given_name.clone().unwrap_or_else(|| m.id.clone());
            let email = m.email.clone().unwrap_or_else(|| "-".into());
            let team = team
                .as_ref()
                .and_then(|t| t.name.clone())
                .unwrap_or_default();
            ctx.send_activity(format!("{who} <{email}> joined {team}"))
                .await?;
        }
        Ok(())
    }
}

async fn member_added(connector: &Mock, patch: Value) -> u16 {
    let mut activity: Value = serde_json::from_str(include_str!(
        "fixtures/msteams_conversation_update_team_member_added.json"
    ))
    .unwrap();
    for (k, v) in patch.as_object().unwrap() {
        activity[k] = v.clone();
    }
    activity["serviceUrl"] = json!(connector.url());
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let body = serde_json::to_vec(&activity).unwrap();
    adapter.process(None, &body, &Greeter).await.status
}

fn sent_texts(connector: &Mock) -> Vec<String> {
    connector
        .requests()
        .iter()
        .filter(|r| r.method == Method::POST)
        .map(|r| r.json()["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_member_sent_by_id_is_read_with_teams_info() {
    let connector = Mock::connector().await;
    connector.script(
        Method::GET,
        &member_path(),
        Reply::json(
            200,
            json!({"id": MEMBER, "name": "Ada Lovelace", "givenName": "Ada",
                   "email": "ada@contoso.com", "userPrincipalName": "ada@contoso.com"}),
        ),
    );
    assert_eq!(member_added(&connector, json!({})).await, 200);
    assert_eq!(connector.requests()[0].path, member_path());
    assert_eq!(
        sent_texts(&connector),
        ["Ada <ada@contoso.com> joined DaveTeams TEST"]
    );
}

#[tokio::test]
async fn a_member_teams_cannot_find_keeps_the_activitys_account() {
    let connector = Mock::connector().await;
    connector.script(
        Method::GET,
        &member_path(),
        Reply::json(
            404,
            json!({"error": {"code": "ConversationNotFound", "message": "Conversation not found."}}),
        ),
    );
    assert_eq!(member_added(&connector, json!({})).await, 200);
    assert_eq!(
        sent_texts(&connector),
        [format!("{MEMBER} <-> joined DaveTeams TEST")]
    );
}

#[tokio::test]
async fn a_member_with_teams_details_is_not_read_again() {
    let connector = Mock::connector().await;
    let status = member_added(
        &connector,
        json!({"membersAdded": [{"id": MEMBER, "givenName": "Grace", "email": "grace@contoso.com"}]}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(connector.requests().iter().all(|r| r.method != Method::GET));
    assert_eq!(
        sent_texts(&connector),
        ["Grace <grace@contoso.com> joined DaveTeams TEST"]
    );
}

#[tokio::test]
async fn another_teams_info_failure_fails_the_turn() {
    let connector = Mock::connector().await;
    connector.script(
        Method::GET,
        &member_path(),
        Reply::json(
            403,
            json!({"error": {"code": "BotNotInConversationRoster", "message": "not in roster"}}),
        ),
    );
    assert_eq!(member_added(&connector, json!({})).await, 500);
    // No greeting; only the adapter's turn-error message may follow.
    assert!(
        sent_texts(&connector).iter().all(|t| !t.contains("joined")),
        "{:?}",
        sent_texts(&connector)
    );
}
