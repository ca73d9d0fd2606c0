//! User sign-in without dialogs: `SignIn` in a plain handler (cards per channel, magic code,
//! `tokens/response`, `signin/verifyState`, `signin/tokenExchange`), and Teams SSO
//! de-duplication across two bot instances sharing a store.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use botbuilder_core::middleware::TeamsSsoTokenExchangeMiddleware;
use botbuilder_core::schema::cards::content_types;
use botbuilder_core::schema::{
    ActionTypes, Activity, ChannelId, InvokeResponse, TokenExchangeResource, TokenResponse,
};
use botbuilder_core::storage::{MemoryStorage, Storage};
use botbuilder_core::testing::{TestAdapter, TestFlow, TestUserTokens};
use botbuilder_core::user_token::{SignIn, TOKEN_EXCHANGE_FAILED_DETAIL};
use botbuilder_core::{Bot, bot_fn};

const USER: &str = TestAdapter::DEFAULT_USER;

fn adapter_on(channel: ChannelId) -> TestAdapter {
    let mut template = TestAdapter::new().template().clone();
    template.channel_id = Some(channel);
    TestAdapter::with_template(template)
}

fn sign_in() -> SignIn {
    SignIn::new("graph")
        .with_title("Log in")
        .with_text("Please sign in to read your calendar.")
}

/// A plain handler: answers with the token once it has one.
fn bot() -> impl Bot {
    bot_fn(async |ctx| {
        if let Some(token) = sign_in().get_or_request(ctx).await? {
            ctx.send_activity(format!("token: {}", token.token)).await?;
        }
        Ok(())
    })
}

fn the_card(activity: &Activity) -> (String, Value) {
    let attachment = activity.attachments().first().expect("a card").clone();
    (
        attachment.content_type,
        attachment.content.unwrap_or_default(),
    )
}

#[tokio::test]
async fn the_card_is_the_one_botbuilder_sends_on_each_channel() {
    let exchange = TokenExchangeResource {
        id: Some("tx-1".into()),
        uri: Some("api://botid-1/access_as_user".into()),
        ..TokenExchangeResource::default()
    };
    // Teams: an OAuth card with the link and the SSO resource.
    let teams = adapter_on(ChannelId::Msteams);
    teams
        .user_tokens()
        .set_token_exchange_resource("graph", exchange.clone());
    teams.send_text("hi", &bot()).await.unwrap();
    let reply = teams.next_reply(TestAdapter::DEFAULT_CONVERSATION).unwrap();
    assert_eq!(
        reply.input_hint.as_ref().map(|h| h.as_str()),
        Some("expectingInput")
    );
    let (content_type, card) = the_card(&reply);
    assert_eq!(content_type, content_types::OAUTH_CARD);
    assert_eq!(
        card,
        json!({
            "text": "Please sign in to read your calendar.",
            "connectionName": "graph",
            "tokenExchangeResource": {"id": "tx-1", "uri": "api://botid-1/access_as_user"},
            "buttons": [{
                "type": "signin",
                "title": "Log in",
                "text": "Please sign in to read your calendar.",
                "value": "https://token.test/oauthsignin/graph/msteams/user1",
            }],
        })
    );

    // Web Chat, Direct Line, the Emulator: an OAuth card, the channel puts the link in.
    for channel in [
        ChannelId::Webchat,
        ChannelId::Directline,
        ChannelId::Emulator,
    ] {
        let adapter = adapter_on(channel.clone());
        adapter.send_text("hi", &bot()).await.unwrap();
        let (content_type, card) = the_card(
            &adapter
                .next_reply(TestAdapter::DEFAULT_CONVERSATION)
                .unwrap(),
        );
        assert_eq!(content_type, content_types::OAUTH_CARD, "{channel}");
        assert_eq!(card["buttons"][0]["type"], "signin", "{channel}");
        assert!(
            card["buttons"][0].get("value").is_none(),
            "{channel}: {card}"
        );
        assert!(card.get("tokenExchangeResource").is_none(), "{channel}");
    }

    // ... unless the bot asks for the link on the card.
    let webchat = adapter_on(ChannelId::Webchat);
    let with_link = bot_fn(async |ctx| {
        sign_in()
            .with_show_sign_in_link(true)
            .send_card(ctx, Some(Activity::message("Sign in first.")))
            .await?;
        Ok(())
    });
    webchat.send_text("hi", &with_link).await.unwrap();
    let reply = webchat
        .next_reply(TestAdapter::DEFAULT_CONVERSATION)
        .unwrap();
    assert_eq!(reply.text(), "Sign in first.");
    assert_eq!(
        the_card(&reply).1["buttons"][0]["value"],
        "https://token.test/oauthsignin/graph/webchat/user1"
    );

    // Skype: a sign-in card with the link.
    let skype = adapter_on(ChannelId::Skype);
    skype.send_text("hi", &bot()).await.unwrap();
    let (content_type, card) =
        the_card(&skype.next_reply(TestAdapter::DEFAULT_CONVERSATION).unwrap());
    assert_eq!(content_type, content_types::SIGNIN_CARD);
    assert_eq!(
        card,
        json!({
            "text": "Please sign in to read your calendar.",
            "buttons": [{
                "type": ActionTypes::Signin.as_str(),
                "title": "Log in",
                "value": "https://token.test/oauthsignin/graph/skype/user1",
            }],
        })
    );
}

fn is_oauth_card(activity: &Activity) -> bool {
    activity
        .attachments()
        .first()
        .is_some_and(|a| a.content_type == content_types::OAUTH_CARD)
}

#[tokio::test]
async fn a_magic_code_in_a_message_signs_the_user_in() {
    let adapter = TestAdapter::new();
    adapter
        .user_tokens()
        .add_user_token("graph", "test", USER, "eyJ-code", Some("123456"));
    TestFlow::new(adapter.clone(), bot())
        .send("read my calendar")
        .assert_reply_that("an OAuth card", is_oauth_card)
        // a wrong code: still not signed in, the card again
        .send("999999")
        .assert_reply_that("an OAuth card", is_oauth_card)
        .test("here: 123456", "token: eyJ-code")
        // signed in now: no code needed
        .test("again", "token: eyJ-code")
        .await;
    // signing out forgets the token
    let sign_out = bot_fn(async |ctx| Ok(sign_in().sign_out(ctx).await?));
    adapter.send_text("logout", &sign_out).await.unwrap();
    assert!(!adapter.user_tokens().is_signed_in("graph", "test", USER));
}

#[tokio::test]
async fn the_tokens_response_event_carries_the_token() {
    let token = TokenResponse {
        connection_name: "graph".into(),
        token: "eyJ-event".into(),
        ..TokenResponse::default()
    };
    TestFlow::new(TestAdapter::new(), bot())
        .send_activity(Activity::event(
            "tokens/response",
            serde_json::to_value(&token).unwrap(),
        ))
        .assert_reply("token: eyJ-event")
        .await;
}

#[tokio::test(start_paused = true)]
async fn verify_state_answers_200_with_a_token_and_404_without() {
    let adapter = adapter_on(ChannelId::Msteams);
    adapter
        .user_tokens()
        .add_user_token("graph", "msteams", USER, "eyJ-verified", Some("424242"));
    TestFlow::new(adapter, bot())
        .send_invoke(
            Activity::invoke("signin/verifyState", json!({"state": "111111"})),
            InvokeResponse::new(404, None),
        )
        // no card after an answered invoke: Teams shows its own
        .assert_no_reply()
        .send_invoke(
            Activity::invoke("signin/verifyState", json!({"state": "424242"})),
            InvokeResponse::new(200, None),
        )
        .assert_reply("token: eyJ-verified")
        .await;
}

fn exchange_invoke(id: &str, connection: &str, token: &str) -> Activity {
    Activity::invoke(
        "signin/tokenExchange",
        json!({"id": id, "connectionName": connection, "token": token}),
    )
}

fn exchange_failed(id: &str) -> InvokeResponse {
    InvokeResponse::new(
        412,
        Some(
            json!({"id": id, "connectionName": "graph", "failureDetail": TOKEN_EXCHANGE_FAILED_DETAIL}),
        ),
    )
}

#[tokio::test(start_paused = true)]
async fn token_exchange_answers_200_or_botbuilders_412() {
    let adapter = adapter_on(ChannelId::Msteams);
    adapter
        .user_tokens()
        .add_exchangeable_token("graph", "msteams", USER, "eyJ-sso", "eyJ-graph");
    TestFlow::new(adapter, bot())
        // a token the service will not exchange (consent needed): 412, Teams shows the card
        .send_invoke(
            exchange_invoke("tx-1", "graph", "eyJ-other"),
            exchange_failed("tx-1"),
        )
        .assert_no_reply()
        // another connection's exchange: 400
        .send_invoke(
            exchange_invoke("tx-2", "github", "eyJ-sso"),
            InvokeResponse::new(
                400,
                Some(json!({
                    "id": "tx-2",
                    "connectionName": "graph",
                    "failureDetail": "The bot received an InvokeActivity with a \
                        TokenExchangeInvokeRequest containing a ConnectionName that does not match \
                        the ConnectionName expected by the bot's active OAuthPrompt. Ensure these \
                        names match when sending the InvokeActivity.",
                })),
            ),
        )
        .assert_no_reply()
        .await;
}

#[tokio::test]
async fn token_exchange_success_signs_the_user_in() {
    let adapter = adapter_on(ChannelId::Msteams);
    adapter
        .user_tokens()
        .add_exchangeable_token("graph", "msteams", USER, "eyJ-sso", "eyJ-graph");
    TestFlow::new(adapter, bot())
        .send_invoke(
            exchange_invoke("tx-3", "graph", "eyJ-sso"),
            InvokeResponse::ok(json!({"id": "tx-3", "connectionName": "graph"})),
        )
        .assert_reply("token: eyJ-graph")
        .await;
}

/// A bot that counts its turns and signs the user in.
fn counting_bot(runs: Arc<AtomicUsize>) -> Arc<dyn Bot> {
    Arc::new(bot_fn(async move |ctx| {
        runs.fetch_add(1, Ordering::SeqCst);
        if let Some(token) = sign_in().get_or_request(ctx).await? {
            ctx.send_activity(format!("token: {}", token.token)).await?;
        }
        Ok(())
    }))
}

#[tokio::test]
async fn one_exchange_is_processed_across_two_instances_sharing_a_store() {
    let storage = Arc::new(MemoryStorage::new());
    let tokens = TestUserTokens::new();
    tokens.add_exchangeable_token("graph", "msteams", USER, "eyJ-sso", "eyJ-graph");
    let runs = Arc::new(AtomicUsize::new(0));
    let instances: Vec<(TestAdapter, Arc<dyn Bot>)> = (0..2)
        .map(|_| {
            let adapter = adapter_on(ChannelId::Msteams)
                .with_user_tokens(tokens.clone())
                .with_middleware(TeamsSsoTokenExchangeMiddleware::new(
                    Arc::clone(&storage),
                    "graph",
                ));
            (adapter, counting_bot(Arc::clone(&runs)))
        })
        .collect();
    // Three Teams clients send the same exchange, to either instance, at once.
    let invoke = || exchange_invoke("tx-dup", "graph", "eyJ-sso");
    let (a, b, c) = tokio::join!(
        instances[0]
            .0
            .process_invoke(invoke(), instances[0].1.as_ref()),
        instances[1]
            .0
            .process_invoke(invoke(), instances[1].1.as_ref()),
        instances[1]
            .0
            .process_invoke(invoke(), instances[1].1.as_ref()),
    );
    let mut answers = vec![a.unwrap(), b.unwrap(), c.unwrap()];
    answers.sort_by_key(|r| r.body.is_none());
    assert_eq!(
        answers,
        [
            InvokeResponse::ok(json!({"id": "tx-dup", "connectionName": "graph"})),
            InvokeResponse::new(200, None),
            InvokeResponse::new(200, None),
        ]
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the bot ran once");
    let replies: Vec<Activity> = instances
        .iter()
        .flat_map(|(adapter, _)| adapter.sent_activities())
        .collect();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0].text(), "token: eyJ-graph");
    // The claim is in the shared store.
    let claim = storage
        .read(&["botbuilder/sso/msteams/convo1/tx-dup"])
        .await
        .unwrap();
    assert_eq!(claim.len(), 1);

    // Another exchange (a new card) is processed again, once.
    let answer = instances[1]
        .0
        .process_invoke(
            exchange_invoke("tx-next", "graph", "eyJ-sso"),
            instances[1].1.as_ref(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_some());
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_exchange_answers_412_to_every_client_and_claims_nothing() {
    let storage = Arc::new(MemoryStorage::new());
    let tokens = TestUserTokens::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let adapter = adapter_on(ChannelId::Msteams)
        .with_user_tokens(tokens.clone())
        .with_middleware(TeamsSsoTokenExchangeMiddleware::new(
            Arc::clone(&storage),
            "graph",
        ));
    let bot = counting_bot(Arc::clone(&runs));
    for _ in 0..2 {
        let answer = adapter
            .process_invoke(
                exchange_invoke("tx-consent", "graph", "eyJ-sso"),
                bot.as_ref(),
            )
            .await
            .unwrap();
        assert_eq!(answer, exchange_failed("tx-consent"));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the bot never ran");
    assert_eq!(tokens.exchange_count(), 2);
    assert!(
        storage
            .read(&["botbuilder/sso/msteams/convo1/tx-consent"])
            .await
            .unwrap()
            .is_empty()
    );

    // Without an id: 400. On another channel, or another activity: untouched.
    let answer = adapter
        .process_invoke(
            Activity::invoke("signin/tokenExchange", json!({"token": "eyJ-sso"})),
            bot.as_ref(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    let webchat = adapter_on(ChannelId::Webchat).with_middleware(
        TeamsSsoTokenExchangeMiddleware::new(Arc::clone(&storage), "graph"),
    );
    let answer = webchat
        .process_invoke(exchange_invoke("tx-web", "graph", "eyJ-sso"), bot.as_ref())
        .await
        .unwrap();
    assert_eq!(
        answer,
        exchange_failed("tx-web"),
        "the bot's own SignIn answered"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}
