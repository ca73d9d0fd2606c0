//! The token service client against a mock token service and a mock login endpoint on
//! 127.0.0.1.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use base64::Engine as _;
use serde_json::json;

use botbuilder_connector::auth::{MicrosoftAppCredentials, OutgoingAuthSettings};
use botbuilder_connector::schema::{
    Activity, ChannelAccount, ConversationAccount, TokenExchangeRequest,
};
use botbuilder_connector::{
    BotConfig, CloudAdapter, ConnectorClientFactory, ConnectorError, RetryPolicy,
    SignInResourceOptions, UserTokenClient,
};
use support::{Mock, Recorded, Reply};

const APP_ID: &str = "11111111-2222-3333-4444-555555555555";
const PASSWORD: &str = "sUp3r~s3cret.pa55word";
const USER: &str = "29:user-1";
const USER_ENC: &str = "29%3Auser-1";

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    }
}

struct Setup {
    service: Mock,
    login: Mock,
    client: UserTokenClient,
}

impl Setup {
    async fn new() -> Self {
        let service = Mock::connector().await;
        let login = Mock::token_endpoint(3600).await;
        let settings = OutgoingAuthSettings::default()
            .with_login_url(format!("{}/botframework.com", login.url()));
        let credentials = MicrosoftAppCredentials::new(APP_ID, PASSWORD, settings)
            .unwrap()
            .with_retry_policy(fast_policy());
        let factory = ConnectorClientFactory::builder(Arc::new(credentials))
            .retry_policy(fast_policy())
            .build()
            .unwrap();
        let client = factory.user_token_client(&service.url()).unwrap();
        Self {
            service,
            login,
            client,
        }
    }
}

#[track_caller]
fn assert_request(r: &Recorded, method: Method, path: &str, query: &str) {
    assert_eq!(r.method, method, "method of {path}");
    assert_eq!(r.path, path);
    assert_eq!(r.query.as_deref(), Some(query), "query of {path}");
    assert_eq!(
        r.header("authorization"),
        Some("Bearer tok-1"),
        "auth of {path}"
    );
}

fn token_json(connection: &str, token: &str) -> serde_json::Value {
    json!({"channelId": "msteams", "connectionName": connection, "token": token,
           "expiration": "2030-01-01T00:00:00Z"})
}

#[tokio::test]
async fn get_user_token_sends_the_query_and_reads_the_token() {
    let s = Setup::new().await;
    let path = "/api/usertoken/GetToken";
    s.service.script(
        Method::GET,
        path,
        Reply::json(200, token_json("graph", "eyJ-user-token")),
    );
    let token = s
        .client
        .get_user_token(USER, "graph", "msteams", Some("123456"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.token, "eyJ-user-token");
    assert_eq!(token.connection_name, "graph");
    assert!(!format!("{token:?}").contains("eyJ-user-token"));
    assert_request(
        &s.service.last(),
        Method::GET,
        path,
        &format!("userId={USER_ENC}&connectionName=graph&channelId=msteams&code=123456"),
    );
    // the bot's app token was asked for the Bot Framework scope, once
    let logins = s.login.requests();
    assert_eq!(logins.len(), 1);
    assert_eq!(
        logins[0].form().get("scope").map(String::as_str),
        Some("https://api.botframework.com/.default")
    );

    // without a magic code, no `code` parameter
    s.service.script(
        Method::GET,
        path,
        Reply::json(200, token_json("graph", "eyJ-2")),
    );
    s.client
        .get_user_token(USER, "graph", "msteams", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.service.last().query.as_deref(),
        Some(format!("userId={USER_ENC}&connectionName=graph&channelId=msteams").as_str())
    );
}

#[tokio::test]
async fn get_user_token_is_none_when_the_service_answers_404() {
    let s = Setup::new().await;
    s.service
        .script(Method::GET, "/api/usertoken/GetToken", Reply::empty(404));
    let token = s
        .client
        .get_user_token(USER, "graph", "msteams", None)
        .await
        .unwrap();
    assert!(token.is_none());
    assert_eq!(s.service.requests().len(), 1, "a 404 is not retried");
}

#[tokio::test]
async fn an_error_status_is_a_typed_error_without_the_magic_code() {
    let s = Setup::new().await;
    s.service.script(
        Method::GET,
        "/api/usertoken/GetToken",
        Reply::json(
            400,
            json!({"error": {"code": "BadArgument", "message": "unknown connection"}}),
        ),
    );
    let e = s
        .client
        .get_user_token(USER, "nope", "msteams", Some("987654"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ConnectorError::Service { status, code: Some(c), .. } if status.as_u16() == 400 && c == "BadArgument"),
        "{e:?}"
    );
    assert!(!e.to_string().contains("987654") && !format!("{e:?}").contains("987654"));

    s.service.script(
        Method::GET,
        "/api/usertoken/GetTokenStatus",
        Reply::empty(403),
    );
    let e = s
        .client
        .get_token_status(USER, "msteams", None)
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Refused { .. }), "{e:?}");

    let e = s
        .client
        .get_user_token("", "graph", "msteams", None)
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::InvalidArgument { .. }), "{e:?}");
}

fn incoming_activity() -> Activity {
    let mut activity = Activity::message("sign me in");
    activity.id = Some("act-1".into());
    activity.service_url = Some("https://smba.trafficmanager.net/amer/".into());
    activity.channel_id = Some("msteams".into());
    activity.from = Some(ChannelAccount::new(USER));
    activity.recipient = Some(ChannelAccount::new("28:bot"));
    activity.conversation = Some(ConversationAccount::new("19:abc@thread.skype"));
    activity
}

#[tokio::test]
async fn sign_in_resource_sends_botbuilders_state() {
    let s = Setup::new().await;
    let path = "/api/botsignin/GetSignInResource";
    let wire = json!({
        "signInLink": "https://token.botframework.com/api/oauth/signin?signin=abc",
        "tokenExchangeResource": {"id": "x1", "uri": "api://botid-abc/access_as_user", "providerId": "p"},
        "tokenPostResource": {"sasUrl": "https://token.botframework.com/post?sig=s"}
    });
    s.service
        .script(Method::GET, path, Reply::json(200, wire.clone()));
    let activity = incoming_activity();
    let resource = s
        .client
        .get_sign_in_resource("graph", &activity, Some("https://bot.example/done"))
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&resource).unwrap(), wire);

    let r = s.service.last();
    assert_eq!(r.method, Method::GET);
    assert_eq!(r.path, path);
    assert_eq!(r.header("authorization"), Some("Bearer tok-1"));
    let query = r.query_pairs();
    assert_eq!(query.len(), 2, "{query:?}");
    assert_eq!(
        query.get("finalRedirect").map(String::as_str),
        Some("https://bot.example/done")
    );
    let state = base64::engine::general_purpose::STANDARD
        .decode(query.get("state").unwrap())
        .unwrap();
    let state: serde_json::Value = serde_json::from_slice(&state).unwrap();
    assert_eq!(
        state,
        json!({
            "connectionName": "graph",
            "conversation": serde_json::to_value(activity.conversation_reference()).unwrap(),
            "relatesTo": null,
            "botUrl": null,
            "msAppId": APP_ID,
        })
    );
    assert_eq!(
        state["conversation"]["conversation"]["id"],
        "19:abc@thread.skype"
    );
    assert_eq!(state["conversation"]["user"]["id"], USER);
    assert_eq!(state["conversation"]["activityId"], "act-1");
    // BotBuilder's own state starts the same way: `{"connectionName":`
    assert!(query["state"].starts_with("eyJjb25uZWN0aW9uTmFtZSI6"));
    assert_eq!(
        s.client.sign_in_state("graph", &activity).unwrap(),
        query["state"]
    );

    // a caller's state and every optional parameter, under BotBuilder's wire names
    s.service
        .script(Method::GET, path, Reply::json(200, json!({})));
    let options = SignInResourceOptions::default()
        .with_code_challenge("chal")
        .with_emulator_url("http://localhost:1234")
        .with_final_redirect("https://bot.example/done");
    s.client
        .get_sign_in_resource_for_state("c3RhdGU=", &options)
        .await
        .unwrap();
    assert_request(
        &s.service.last(),
        Method::GET,
        path,
        "state=c3RhdGU%3D&code_challenge=chal&emulatorUrl=http%3A%2F%2Flocalhost%3A1234&finalRedirect=https%3A%2F%2Fbot.example%2Fdone",
    );
}

#[tokio::test]
async fn sign_out_deletes_one_connection_or_all() {
    let s = Setup::new().await;
    let path = "/api/usertoken/SignOut";
    s.service.script(Method::DELETE, path, Reply::empty(200));
    s.client
        .sign_out_user(USER, Some("graph"), "msteams")
        .await
        .unwrap();
    let r = s.service.last();
    assert_request(
        &r,
        Method::DELETE,
        path,
        &format!("userId={USER_ENC}&connectionName=graph&channelId=msteams"),
    );
    assert!(r.body.is_empty());

    s.service.script(Method::DELETE, path, Reply::empty(204));
    s.client.sign_out_user(USER, None, "msteams").await.unwrap();
    assert_request(
        &s.service.last(),
        Method::DELETE,
        path,
        &format!("userId={USER_ENC}&channelId=msteams"),
    );
}

#[tokio::test]
async fn token_status_lists_the_connections() {
    let s = Setup::new().await;
    let path = "/api/usertoken/GetTokenStatus";
    s.service.script(
        Method::GET,
        path,
        Reply::json(
            200,
            json!([
                {"channelId": "msteams", "connectionName": "graph", "hasToken": true, "serviceProviderDisplayName": "Azure Active Directory v2"},
                {"channelId": "msteams", "connectionName": "github", "hasToken": false}
            ]),
        ),
    );
    let status = s
        .client
        .get_token_status(USER, "msteams", Some("graph,github"))
        .await
        .unwrap();
    assert_eq!(status.len(), 2);
    assert!(status[0].has_token && !status[1].has_token);
    assert_eq!(status[1].connection_name, "github");
    assert_request(
        &s.service.last(),
        Method::GET,
        path,
        &format!("userId={USER_ENC}&channelId=msteams&include=graph%2Cgithub"),
    );
}

#[tokio::test]
async fn aad_tokens_post_the_resource_urls() {
    let s = Setup::new().await;
    let path = "/api/usertoken/GetAadTokens";
    s.service.script(
        Method::POST,
        path,
        Reply::json(
            200,
            json!({"https://graph.microsoft.com": token_json("graph", "eyJ-graph")}),
        ),
    );
    let tokens = s
        .client
        .get_aad_tokens(
            USER,
            "graph",
            &["https://graph.microsoft.com".to_owned()],
            "msteams",
        )
        .await
        .unwrap();
    assert_eq!(tokens["https://graph.microsoft.com"].token, "eyJ-graph");
    let r = s.service.last();
    assert_request(
        &r,
        Method::POST,
        path,
        &format!("userId={USER_ENC}&connectionName=graph&channelId=msteams"),
    );
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    assert_eq!(
        r.json(),
        json!({"resourceUrls": ["https://graph.microsoft.com"]})
    );
}

#[tokio::test]
async fn exchange_posts_the_request_and_reads_the_token() {
    let s = Setup::new().await;
    let path = "/api/usertoken/exchange";
    s.service.script(
        Method::POST,
        path,
        Reply::json(200, token_json("graph", "eyJ-exchanged")),
    );
    let request = TokenExchangeRequest {
        uri: Some("api://botid-abc/access_as_user".into()),
        token: Some("eyJ-sso".into()),
        ..TokenExchangeRequest::default()
    };
    let token = s
        .client
        .exchange_token(USER, "graph", "msteams", &request)
        .await
        .unwrap();
    assert_eq!(token.token, "eyJ-exchanged");
    let r = s.service.last();
    assert_request(
        &r,
        Method::POST,
        path,
        &format!("userId={USER_ENC}&connectionName=graph&channelId=msteams"),
    );
    assert_eq!(
        r.json(),
        json!({"uri": "api://botid-abc/access_as_user", "token": "eyJ-sso"})
    );

    // the service refusing the exchange is a typed error
    s.service.script(
        Method::POST,
        path,
        Reply::json(
            400,
            json!({"error": {"code": "TokenExchangeFailed", "message": "cannot exchange"}}),
        ),
    );
    let e = s
        .client
        .exchange_token(USER, "graph", "msteams", &request)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ConnectorError::Service { code: Some(c), .. } if c == "TokenExchangeFailed"),
        "{e:?}"
    );
}

#[tokio::test]
async fn the_adapter_uses_the_configured_or_the_clouds_token_service() {
    let adapter = CloudAdapter::new(&BotConfig::new(APP_ID, PASSWORD)).unwrap();
    let client = adapter.user_token_client().unwrap();
    assert_eq!(client.oauth_url(), "https://api.botframework.com");
    assert!(
        adapter
            .trusted_hosts()
            .is_trusted("https://api.botframework.com/")
    );

    let mut gov =
        BotConfig::new(APP_ID, PASSWORD).with_channel_service("https://botframework.azure.us");
    gov.oauth_url = None;
    let gov = CloudAdapter::new(&gov).unwrap();
    let client = gov.user_token_client().unwrap();
    assert_eq!(client.oauth_url(), "https://api.botframework.azure.us");
    assert!(
        gov.trusted_hosts()
            .is_trusted("https://api.botframework.azure.us/")
    );

    // an operator's OAuthUrl is used, and trusted with the app token
    let mut custom = BotConfig::new(APP_ID, PASSWORD);
    custom.oauth_url = Some("https://token.contoso.example/".into());
    let custom = CloudAdapter::new(&custom).unwrap();
    assert!(!TrustedDefault::is_trusted(
        "https://token.contoso.example/"
    ));
    assert!(
        custom
            .trusted_hosts()
            .is_trusted("https://token.contoso.example/")
    );
    let client = custom.user_token_client().unwrap();
    assert_eq!(client.oauth_url(), "https://token.contoso.example");
    let debug = format!("{client:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
}

/// The default trusted hosts, for comparison.
struct TrustedDefault;

impl TrustedDefault {
    fn is_trusted(url: &str) -> bool {
        botbuilder_connector::TrustedHosts::default().is_trusted(url)
    }
}

/// An adapter whose `OAuthUrl` is the mock token service, signing in at the mock login.
fn adapter_for(s: &Setup) -> CloudAdapter {
    let mut config = BotConfig::new(APP_ID, PASSWORD);
    config.oauth_url = Some(s.service.url());
    let settings = OutgoingAuthSettings::default()
        .with_login_url(format!("{}/botframework.com", s.login.url()));
    let credentials = MicrosoftAppCredentials::new(APP_ID, PASSWORD, settings)
        .unwrap()
        .with_retry_policy(fast_policy());
    CloudAdapter::builder(config)
        .credentials(Arc::new(credentials))
        .retry_policy(fast_policy())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_turn_has_the_token_service_in_its_turn_state() {
    use botbuilder_connector::auth::incoming::{ClaimsIdentity, IdentitySource};
    use botbuilder_core::{BotAdapterExt, bot_fn};

    let s = Setup::new().await;
    let adapter = adapter_for(&s);
    let path = "/api/usertoken/GetToken";
    s.service.script(
        Method::GET,
        path,
        Reply::json(200, token_json("graph", "eyJ-in-turn")),
    );
    // The bot answers by invoke response, so that no reply goes to a channel.
    let bot = bot_fn(async |ctx| {
        let token = ctx.user_token("graph", Some("654321")).await?;
        let body = json!({"token": token.map(|t| t.token)});
        ctx.set_invoke_response(botbuilder_connector::schema::InvokeResponse::ok(body));
        Ok(())
    });
    let mut activity = incoming_activity();
    activity.activity_type = "invoke".into();
    activity.name = Some("test/token".into());
    let identity = ClaimsIdentity::new(IdentitySource::Channel, serde_json::Map::new());
    let answer = adapter
        .process_authenticated(identity, activity, &bot)
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body, Some(json!({"token": "eyJ-in-turn"})));
    assert_request(
        &s.service.last(),
        Method::GET,
        path,
        &format!("userId={USER_ENC}&connectionName=graph&channelId=msteams&code=654321"),
    );

    // A proactive turn has it too: sign the user out of every connection.
    s.service
        .script(Method::DELETE, "/api/usertoken/SignOut", Reply::empty(200));
    let reference = incoming_activity().conversation_reference();
    adapter
        .continue_conversation(reference, async |ctx| {
            assert!(ctx.user_token_provider().is_some());
            Ok(ctx.sign_out_user(None).await?)
        })
        .await
        .unwrap();
    assert_request(
        &s.service.last(),
        Method::DELETE,
        "/api/usertoken/SignOut",
        &format!("userId={USER_ENC}&channelId=msteams"),
    );
}

#[tokio::test]
async fn teams_sso_through_the_adapter_answers_412_then_200() {
    use botbuilder_connector::auth::incoming::{ClaimsIdentity, IdentitySource};
    use botbuilder_core::bot_fn;
    use botbuilder_core::middleware::TeamsSsoTokenExchangeMiddleware;
    use botbuilder_core::storage::MemoryStorage;
    use botbuilder_core::user_token::SignIn;

    let s = Setup::new().await;
    let adapter = adapter_for(&s).with_middleware(TeamsSsoTokenExchangeMiddleware::new(
        MemoryStorage::new(),
        "graph",
    ));
    // The bot answers the token exchange by invoke response only.
    let bot = bot_fn(async |ctx| {
        SignIn::new("graph").recognize(ctx).await?;
        Ok(())
    });
    let invoke = |id: &str| {
        let mut activity = incoming_activity();
        activity.activity_type = "invoke".into();
        activity.name = Some("signin/tokenExchange".into());
        activity.value = Some(json!({"id": id, "connectionName": "graph", "token": "eyJ-sso"}));
        activity
    };
    let identity = || ClaimsIdentity::new(IdentitySource::Channel, serde_json::Map::new());
    let path = "/api/usertoken/exchange";
    let query = format!("userId={USER_ENC}&connectionName=graph&channelId=msteams");

    // Consent needed: the token service refuses, Teams gets BotBuilder's 412.
    s.service.script(
        Method::POST,
        path,
        Reply::json(
            400,
            json!({"error": {"code": "ConsentRequired", "message": "consent"}}),
        ),
    );
    let answer = adapter
        .process_authenticated(identity(), invoke("tx-1"), &bot)
        .await;
    assert_eq!(answer.status, 412);
    assert_eq!(
        answer.body,
        Some(json!({
            "id": "tx-1",
            "connectionName": "graph",
            "failureDetail": "The bot is unable to exchange token. Proceed with regular login.",
        }))
    );
    let r = s.service.last();
    assert_request(&r, Method::POST, path, &query);
    assert_eq!(r.json(), json!({"token": "eyJ-sso"}));

    // Exchanged: the middleware's exchange, then the bot's, both answered with the token.
    for _ in 0..2 {
        s.service.script(
            Method::POST,
            path,
            Reply::json(200, token_json("graph", "eyJ-graph")),
        );
    }
    let answer = adapter
        .process_authenticated(identity(), invoke("tx-2"), &bot)
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(
        answer.body,
        Some(json!({"id": "tx-2", "connectionName": "graph"}))
    );
    let exchanges: Vec<_> = s
        .service
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect();
    assert_eq!(exchanges.len(), 3);
    for r in &exchanges {
        assert_request(r, Method::POST, path, &query);
        assert_eq!(r.json(), json!({"token": "eyJ-sso"}));
    }

    // The same exchange again (another Teams client): the middleware exchanges first (as
    // BotBuilder does), then finds the claim and answers 200 with no body.
    s.service.script(
        Method::POST,
        path,
        Reply::json(200, token_json("graph", "eyJ-graph")),
    );
    let answer = adapter
        .process_authenticated(identity(), invoke("tx-2"), &bot)
        .await;
    assert_eq!((answer.status, answer.body), (200, None));
}
