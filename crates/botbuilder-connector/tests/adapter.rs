//! The CloudAdapter end to end against local mocks on 127.0.0.1: OpenID metadata and JWKS
//! servers (with the test-only keys of `botbuilder-test-support`), a token endpoint and a connector.
//! Every rejection case answers 401 and runs no turn.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use botbuilder_connector::adapter::{AdapterResponse, CloudAdapter, DeliveryTarget};
use botbuilder_connector::auth::incoming::{ClaimsIdentity, IdentitySource};
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::schema::{
    Activity, ActivityTypes, ChannelAccount, ConversationAccount, ConversationParameters,
    ConversationReference, ResourceResponse,
};
use botbuilder_connector::{ConnectorError, RetryPolicy, async_trait};
use botbuilder_core::{BotAdapterExt, TurnContext, TurnResult};
use support::auth::{
    APP_ID, KeyServer, PASSWORD, TestKey, channel_claims, emulator_claims_v1, emulator_claims_v2,
    start_time, unix,
};
use support::{Mock, Reply};

/// Echoes messages; answers the invoke `respond`; fails on "fail"; panics on "panic". Counts
/// turns and remembers the identity of the last one.
#[derive(Default)]
struct TestBot {
    turns: AtomicUsize,
    identity: Mutex<Option<ClaimsIdentity>>,
    caller_id: Mutex<Option<String>>,
}

#[async_trait]
impl botbuilder_core::Bot for TestBot {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.turns.fetch_add(1, Ordering::SeqCst);
        *self.identity.lock().unwrap() = ctx.turn_state().get::<ClaimsIdentity>().cloned();
        *self.caller_id.lock().unwrap() = ctx.activity().caller_id.clone();
        let activity = ctx.activity().clone();
        if activity.activity_type == ActivityTypes::Message {
            match activity.text() {
                "fail" => return Err("the bot broke".into()),
                "panic" => panic!("the bot panicked"),
                "trace" => {
                    ctx.send_trace_activity("debug", Some(json!(1)), None, None)
                        .await?;
                }
                text => {
                    ctx.send_activity(format!("Echo: {text}")).await?;
                }
            }
        } else if activity.activity_type == ActivityTypes::Invoke
            && activity.name.as_deref() == Some("respond")
        {
            ctx.send_activity(Activity {
                activity_type: ActivityTypes::InvokeResponse,
                value: Some(json!({"status": 202, "body": {"answer": 42}})),
                ..Activity::default()
            })
            .await?;
        }
        Ok(())
    }
}

impl TestBot {
    fn turns(&self) -> usize {
        self.turns.load(Ordering::SeqCst)
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    }
}

struct Harness {
    connector: Mock,
    login: Mock,
    channel_keys: KeyServer,
    emulator_keys: KeyServer,
    clock: ManualClock,
    adapter: CloudAdapter,
    bot: TestBot,
}

const KID: &str = "key-1";

impl Harness {
    /// An authenticated bot: channel keys = key A under `key-1`, endorsed for msteams and
    /// webchat; Emulator keys = key B under `emu-1`, no endorsements.
    async fn new() -> Self {
        let channel_keys =
            KeyServer::start(vec![TestKey::A.jwk(KID, &["msteams", "webchat"])]).await;
        let emulator_keys = KeyServer::start(vec![TestKey::B.jwk("emu-1", &[])]).await;
        let login = Mock::token_endpoint(3600).await;
        let config = BotConfig::from_map([
            ("MicrosoftAppId", APP_ID.to_owned()),
            ("MicrosoftAppPassword", PASSWORD.to_owned()),
            (
                "ToChannelFromBotLoginUrl",
                format!("{}/botframework.com", login.url()),
            ),
            (
                "ToBotFromChannelOpenIdMetadataUrl",
                channel_keys.metadata_url(),
            ),
            (
                "ToBotFromEmulatorOpenIdMetadataUrl",
                emulator_keys.metadata_url(),
            ),
        ])
        .unwrap();
        Self::with_config(config, channel_keys, emulator_keys, login).await
    }

    async fn anonymous() -> Self {
        let channel_keys = KeyServer::start(vec![TestKey::A.jwk(KID, &["msteams"])]).await;
        let emulator_keys = KeyServer::start(vec![]).await;
        let login = Mock::token_endpoint(3600).await;
        let config = BotConfig::anonymous()
            .with_channel_open_id_metadata_url(channel_keys.metadata_url())
            .with_emulator_open_id_metadata_url(emulator_keys.metadata_url());
        Self::with_config(config, channel_keys, emulator_keys, login).await
    }

    async fn with_config(
        config: BotConfig,
        channel_keys: KeyServer,
        emulator_keys: KeyServer,
        login: Mock,
    ) -> Self {
        let clock = ManualClock::new(start_time());
        let adapter = CloudAdapter::builder(config)
            .clock(Arc::new(clock.clone()))
            .retry_policy(fast_retry())
            .build()
            .unwrap();
        Self {
            connector: Mock::connector().await,
            login,
            channel_keys,
            emulator_keys,
            clock,
            adapter,
            bot: TestBot::default(),
        }
    }

    fn service_url(&self) -> String {
        format!("{}/", self.connector.url())
    }

    fn activity(&self, channel: &str) -> Value {
        json!({
            "type": "message",
            "id": "act-1",
            "text": "hi",
            "channelId": channel,
            "serviceUrl": self.service_url(),
            "conversation": {"id": "conv-1"},
            "from": {"id": "user-1", "name": "User"},
            "recipient": {"id": APP_ID, "name": "Bot"},
        })
    }

    fn channel_token(&self) -> String {
        TestKey::A.sign(KID, &channel_claims(self.clock.now(), &self.service_url()))
    }

    async fn post(&self, authorization: Option<&str>, body: &Value) -> AdapterResponse {
        let bytes = serde_json::to_vec(body).unwrap();
        self.adapter.process(authorization, &bytes, &self.bot).await
    }

    async fn post_token(&self, token: &str, body: &Value) -> AdapterResponse {
        self.post(Some(&format!("Bearer {token}")), body).await
    }

    /// Asserts that the request is refused for `reason` (a part of the authenticator's
    /// message): 401, no turn, nothing sent.
    async fn refuse(&self, authorization: Option<&str>, body: &Value, reason: &str) {
        let activity: Activity = serde_json::from_value(body.clone()).unwrap();
        let error = self
            .adapter
            .authenticator()
            .authenticate(authorization, &activity)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ConnectorError::Unauthenticated { reason: r } if r.contains(reason)),
            "expected `{reason}`, got: {error}"
        );
        let response = self.post(authorization, body).await;
        self.assert_refused(&response, reason);
    }

    async fn refuse_token(&self, token: &str, body: &Value, reason: &str) {
        self.refuse(Some(&format!("Bearer {token}")), body, reason)
            .await;
    }

    /// Asserts a 401 with no turn and nothing sent.
    #[track_caller]
    fn assert_refused(&self, response: &AdapterResponse, case: &str) {
        assert_eq!(response.status, 401, "{case}: {response:?}");
        assert_eq!(
            response.body.as_ref().unwrap()["error"]["code"],
            "Unauthorized",
            "{case}"
        );
        assert_eq!(self.bot.turns(), 0, "{case}: a turn ran");
        assert!(
            self.connector.requests().is_empty(),
            "{case}: something was sent"
        );
    }
}

#[tokio::test]
async fn a_valid_channel_token_runs_the_turn_and_the_reply_carries_a_bearer_token() {
    let h = Harness::new().await;
    let response = h
        .post_token(&h.channel_token(), &h.activity("msteams"))
        .await;
    assert_eq!(response, AdapterResponse::ok());
    assert_eq!(h.bot.turns(), 1);

    let sent = h.connector.last();
    assert_eq!(sent.method, Method::POST);
    assert_eq!(sent.path, "/v3/conversations/conv-1/activities/act-1");
    assert_eq!(sent.header("authorization"), Some("Bearer tok-1"));
    let reply = sent.json();
    assert_eq!(reply["text"], "Echo: hi");
    assert_eq!(reply["replyToId"], "act-1");
    assert_eq!(reply["from"]["id"], APP_ID);
    assert_eq!(reply["recipient"]["id"], "user-1");
    assert_eq!(reply["conversation"]["id"], "conv-1");

    // The token went to the token endpoint with the app's credentials.
    let form = h.login.last().form();
    assert_eq!(form["client_id"], APP_ID);
    assert_eq!(form["scope"], "https://api.botframework.com/.default");

    // The turn saw the channel's identity and the public cloud's caller id.
    let identity = h.bot.identity.lock().unwrap().clone().unwrap();
    assert_eq!(identity.source(), IdentitySource::Channel);
    assert_eq!(identity.app_id(), Some(APP_ID));
    assert_eq!(
        h.bot.caller_id.lock().unwrap().as_deref(),
        Some("urn:botframework:azure")
    );
}

#[tokio::test]
async fn every_signing_algorithm_of_the_bot_framework_is_accepted() {
    let h = Harness::new().await;
    for alg in [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512] {
        let token =
            TestKey::A.sign_with(alg, KID, &channel_claims(h.clock.now(), &h.service_url()));
        assert_eq!(
            h.post_token(&token, &h.activity("msteams")).await.status,
            200
        );
    }
    assert_eq!(h.bot.turns(), 3);
}

#[tokio::test]
async fn nothing_expensive_is_rebuilt_per_request() {
    let h = Harness::new().await;
    for _ in 0..3 {
        let response = h
            .post_token(&h.channel_token(), &h.activity("msteams"))
            .await;
        assert_eq!(response.status, 200);
    }
    assert_eq!(h.connector.requests().len(), 3);
    assert_eq!(h.login.requests().len(), 1, "one app token for all replies");
    assert_eq!(h.channel_keys.key_fetches(), 1, "keys fetched once");
}

#[tokio::test]
async fn no_or_malformed_authorization_header_is_refused() {
    let h = Harness::new().await;
    let activity = h.activity("msteams");
    h.refuse(None, &activity, "no Authorization header").await;
    h.refuse(Some("   "), &activity, "no Authorization header")
        .await;
    let token = h.channel_token();
    for (header, reason) in [
        (format!("Basic {token}"), "not `Bearer <token>`"),
        ("Bearer".to_owned(), "not `Bearer <token>`"),
        (format!("Bearer {token} extra"), "not `Bearer <token>`"),
        (token.clone(), "not `Bearer <token>`"),
        ("Bearer not-a-jwt".to_owned(), "header is malformed"),
        ("Bearer a.b.c".to_owned(), "header is malformed"),
    ] {
        h.refuse(Some(&header), &activity, reason).await;
    }
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_refused() {
    let h = Harness::new().await;
    let activity = h.activity("msteams");
    let forged = TestKey::B.sign(KID, &channel_claims(h.clock.now(), &h.service_url()));
    h.refuse_token(&forged, &activity, "signature does not verify")
        .await;

    // A token whose claims were changed after signing.
    let token = h.channel_token();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = channel_claims(h.clock.now(), &h.service_url());
    claims["aud"] = json!("someone-else");
    use base64::Engine as _;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&claims).unwrap());
    h.refuse_token(&parts.join("."), &activity, "signature does not verify")
        .await;

    // An unsigned token (`alg: none`) and an HMAC one.
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"alg":"none","typ":"JWT","kid":"key-1"}"#);
    let unsigned = format!("{header}.{}.", parts[1]);
    h.refuse_token(&unsigned, &activity, "header is malformed")
        .await;
    let mut hmac_header = jsonwebtoken::Header::new(Algorithm::HS256);
    hmac_header.kid = Some(KID.into());
    let hmac = jsonwebtoken::encode(
        &hmac_header,
        &channel_claims(h.clock.now(), &h.service_url()),
        &jsonwebtoken::EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    h.refuse_token(&hmac, &activity, "not RS256").await;
}

#[tokio::test]
async fn wrong_audience_issuer_or_service_url_is_refused() {
    let h = Harness::new().await;
    let now = h.clock.now();
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut c = channel_claims(now, &h.service_url());
    c["aud"] = json!("22222222-0000-0000-0000-000000000000");
    cases.push(("not this bot's app id", c));
    let mut c = channel_claims(now, &h.service_url());
    c.as_object_mut().unwrap().remove("aud");
    cases.push(("no audience", c));
    let mut c = channel_claims(now, &h.service_url());
    c["iss"] = json!("https://api.botframework.com.evil.example");
    cases.push(("issuer `https://api.botframework.com.evil.example`", c));
    let mut c = channel_claims(now, &h.service_url());
    c.as_object_mut().unwrap().remove("iss");
    cases.push(("no issuer", c));
    cases.push((
        "is not the token's",
        channel_claims(now, "https://smba.trafficmanager.net/amer/"),
    ));
    let mut c = channel_claims(now, &h.service_url());
    c.as_object_mut().unwrap().remove("serviceurl");
    cases.push(("no `serviceurl` claim", c));
    for (reason, claims) in cases {
        let token = TestKey::A.sign(KID, &claims);
        h.refuse_token(&token, &h.activity("msteams"), reason).await;
    }
}

#[tokio::test]
async fn lifetime_is_checked_with_five_minutes_of_skew_on_the_adapters_clock() {
    let h = Harness::new().await;
    let now = unix(h.clock.now());
    let claims = |nbf: u64, exp: u64| {
        let mut c = channel_claims(h.clock.now(), &h.service_url());
        c["nbf"] = json!(nbf);
        c["exp"] = json!(exp);
        c
    };
    for (reason, c) in [
        ("expired 301 s ago", claims(now - 7200, now - 301)),
        ("not valid for another 301 s", claims(now + 301, now + 3600)),
        ("no expiry", {
            let mut c = claims(now - 10, now + 10);
            c.as_object_mut().unwrap().remove("exp");
            c
        }),
        ("`exp` claim is not a number", {
            let mut c = claims(now - 10, now + 10);
            c["exp"] = json!((now + 3600).to_string());
            c
        }),
        ("`nbf` claim is not a number", {
            let mut c = claims(now - 10, now + 3600);
            c["nbf"] = json!((now + 7200).to_string());
            c
        }),
    ] {
        h.refuse_token(&TestKey::A.sign(KID, &c), &h.activity("msteams"), reason)
            .await;
    }
    // Inside the skew both ways: accepted.
    for c in [claims(now - 7200, now - 299), claims(now + 299, now + 3600)] {
        let response = h
            .post_token(&TestKey::A.sign(KID, &c), &h.activity("msteams"))
            .await;
        assert_eq!(response.status, 200);
    }
    // The same token, once the adapter's clock has moved past expiry + skew.
    let token = h.channel_token();
    h.clock.advance(Duration::from_secs(3600 + 301));
    let turns = h.bot.turns();
    let sent = h.connector.requests().len();
    let response = h.post_token(&token, &h.activity("msteams")).await;
    assert_eq!(response.status, 401);
    assert_eq!(h.bot.turns(), turns);
    assert_eq!(h.connector.requests().len(), sent);
}

#[tokio::test]
async fn a_key_not_endorsed_for_the_channel_is_refused() {
    let h = Harness::new().await;
    h.refuse_token(
        &h.channel_token(),
        &h.activity("slack"),
        "not endorsed for channel `slack`",
    )
    .await;

    // A channel key without endorsements is refused too.
    h.channel_keys.set_keys(vec![TestKey::A.jwk("bare", &[])]);
    h.clock.advance(Duration::from_secs(61));
    let token = TestKey::A.sign("bare", &channel_claims(h.clock.now(), &h.service_url()));
    h.refuse_token(
        &token,
        &h.activity("msteams"),
        "not endorsed for channel `msteams`",
    )
    .await;

    // An Emulator key that lists endorsements must list the channel.
    h.emulator_keys
        .set_keys(vec![TestKey::B.jwk("emu-1", &["webchat"])]);
    let token = TestKey::B.sign("emu-1", &emulator_claims_v1(h.clock.now()));
    h.refuse_token(
        &token,
        &h.activity("emulator"),
        "not endorsed for channel `emulator`",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_key_id_is_refused_and_refetches_at_most_once_a_minute() {
    let h = Harness::new().await;
    assert_eq!(
        h.post_token(&h.channel_token(), &h.activity("msteams"))
            .await
            .status,
        200
    );
    assert_eq!(h.channel_keys.key_fetches(), 1);
    let bot_turns = h.bot.turns();

    let unknown = TestKey::A.sign(
        "no-such-key",
        &channel_claims(h.clock.now(), &h.service_url()),
    );
    for _ in 0..5 {
        let response = h.post_token(&unknown, &h.activity("msteams")).await;
        assert_eq!(response.status, 401);
    }
    assert_eq!(h.bot.turns(), bot_turns);
    assert_eq!(
        h.channel_keys.key_fetches(),
        1,
        "within a minute of the last fetch"
    );
    let activity: Activity = serde_json::from_value(h.activity("msteams")).unwrap();
    let error = h
        .adapter
        .authenticator()
        .authenticate(Some(&format!("Bearer {unknown}")), &activity)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("signing key `no-such-key` is not published"),
        "{error}"
    );

    h.clock.advance(Duration::from_secs(61));
    let unknown = TestKey::A.sign(
        "no-such-key",
        &channel_claims(h.clock.now(), &h.service_url()),
    );
    for _ in 0..5 {
        let response = h.post_token(&unknown, &h.activity("msteams")).await;
        assert_eq!(response.status, 401);
    }
    assert_eq!(
        h.channel_keys.key_fetches(),
        2,
        "one refetch for the unknown key"
    );
}

#[tokio::test]
async fn key_rotation_is_picked_up() {
    let h = Harness::new().await;
    assert_eq!(
        h.post_token(&h.channel_token(), &h.activity("msteams"))
            .await
            .status,
        200
    );
    // The Bot Framework rotates to key B under a new id, and drops key A.
    h.channel_keys
        .set_keys(vec![TestKey::B.jwk("key-2", &["msteams"])]);
    h.clock.advance(Duration::from_secs(120));
    let rotated = TestKey::B.sign("key-2", &channel_claims(h.clock.now(), &h.service_url()));
    assert_eq!(
        h.post_token(&rotated, &h.activity("msteams")).await.status,
        200
    );
    assert_eq!(h.channel_keys.key_fetches(), 2);
    // The old key is gone: its tokens are refused.
    let old = h.channel_token();
    assert_eq!(h.post_token(&old, &h.activity("msteams")).await.status, 401);

    // Keys are refreshed daily even when every key id is known.
    h.clock.advance(Duration::from_secs(25 * 3600));
    let rotated = TestKey::B.sign("key-2", &channel_claims(h.clock.now(), &h.service_url()));
    assert_eq!(
        h.post_token(&rotated, &h.activity("msteams")).await.status,
        200
    );
    assert_eq!(h.channel_keys.key_fetches(), 3);
}

/// A channel sends one token with every request until it renews it; its signature is
/// verified once, but everything else is checked on every request, and a key replaced under
/// the same id sends the token through full verification again.
#[tokio::test]
async fn a_token_seen_before_is_still_checked_on_every_request() {
    let h = Harness::new().await;
    let mut claims = channel_claims(h.clock.now(), &h.service_url());
    claims["exp"] = json!(unix(h.clock.now()) + 48 * 3600);
    let token = TestKey::A.sign(KID, &claims);
    assert_eq!(
        h.post_token(&token, &h.activity("msteams")).await.status,
        200
    );
    let mut elsewhere = h.activity("msteams");
    elsewhere["serviceUrl"] = json!("https://evil.example/");
    let response = h.post_token(&token, &elsewhere).await;
    assert_eq!(response.status, 401, "another service URL");
    let response = h.post_token(&token, &h.activity("slack")).await;
    assert_eq!(
        response.status, 401,
        "a channel the key is not endorsed for"
    );
    assert_eq!(
        h.post_token(&token, &h.activity("webchat")).await.status,
        200
    );
    assert_eq!(h.channel_keys.key_fetches(), 1);

    // The daily refresh finds another key under the same id: the token no longer verifies.
    h.channel_keys
        .set_keys(vec![TestKey::B.jwk(KID, &["msteams", "webchat"])]);
    h.clock.advance(Duration::from_secs(25 * 3600));
    let turns = h.bot.turns();
    let response = h.post_token(&token, &h.activity("msteams")).await;
    assert_eq!(response.status, 401, "a key replaced under the same id");
    assert_eq!(h.bot.turns(), turns);
    assert_eq!(h.channel_keys.key_fetches(), 2);

    // And past its expiry (plus the skew), a token that verified is refused.
    let token = TestKey::B.sign(KID, &channel_claims(h.clock.now(), &h.service_url()));
    assert_eq!(
        h.post_token(&token, &h.activity("msteams")).await.status,
        200
    );
    h.clock.advance(Duration::from_secs(3600 + 301));
    assert_eq!(
        h.post_token(&token, &h.activity("msteams")).await.status,
        401
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_known_keys() {
    let h = Harness::new().await;
    assert_eq!(
        h.post_token(&h.channel_token(), &h.activity("msteams"))
            .await
            .status,
        200
    );
    // The metadata endpoint fails for the daily refresh: the cached key still verifies.
    h.channel_keys
        .mock
        .script(Method::GET, "/metadata", Reply::empty(503));
    h.clock.advance(Duration::from_secs(25 * 3600));
    assert_eq!(
        h.post_token(&h.channel_token(), &h.activity("msteams"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn emulator_tokens_v1_and_v2() {
    let h = Harness::new().await;
    let now = h.clock.now();
    let v1 = TestKey::B.sign("emu-1", &emulator_claims_v1(now));
    assert_eq!(h.post_token(&v1, &h.activity("emulator")).await.status, 200);
    let identity = h.bot.identity.lock().unwrap().clone().unwrap();
    assert_eq!(identity.source(), IdentitySource::Emulator);
    assert_eq!(identity.app_id(), Some(APP_ID));
    let v2 = TestKey::B.sign("emu-1", &emulator_claims_v2(now));
    assert_eq!(h.post_token(&v2, &h.activity("emulator")).await.status, 200);
    assert_eq!(h.bot.turns(), 2);
    assert_eq!(h.emulator_keys.key_fetches(), 1);
    assert_eq!(h.channel_keys.key_fetches(), 0);
}

#[tokio::test]
async fn bad_emulator_tokens_are_refused() {
    let h = Harness::new().await;
    let now = h.clock.now();
    let mut cases: Vec<(&str, String)> = Vec::new();
    let mut c = emulator_claims_v1(now);
    c["appid"] = json!("someone-else");
    cases.push(("for app `someone-else`", TestKey::B.sign("emu-1", &c)));
    let mut c = emulator_claims_v2(now);
    c["azp"] = json!("someone-else");
    cases.push(("for app `someone-else`", TestKey::B.sign("emu-1", &c)));
    let mut c = emulator_claims_v2(now);
    c.as_object_mut().unwrap().remove("azp");
    cases.push(("needs `azp`", TestKey::B.sign("emu-1", &c)));
    let mut c = emulator_claims_v1(now);
    c.as_object_mut().unwrap().remove("ver");
    cases.push(("needs a version", TestKey::B.sign("emu-1", &c)));
    let mut c = emulator_claims_v1(now);
    c["ver"] = json!("3.0");
    cases.push((
        "unknown Emulator token version",
        TestKey::B.sign("emu-1", &c),
    ));
    // Signed with the channel's key: not on the Emulator's key list.
    cases.push((
        "signing key `key-1` is not published",
        TestKey::A.sign(KID, &emulator_claims_v1(now)),
    ));
    let mut c = emulator_claims_v1(now);
    c["exp"] = json!(unix(now) - 400);
    cases.push(("expired", TestKey::B.sign("emu-1", &c)));
    for (reason, token) in cases {
        h.refuse_token(&token, &h.activity("emulator"), reason)
            .await;
    }
}

#[tokio::test]
async fn anonymous_bots_take_requests_without_a_token_and_reply_without_one() {
    let h = Harness::anonymous().await;
    let response = h.post(None, &h.activity("emulator")).await;
    assert_eq!(response.status, 200);
    let sent = h.connector.last();
    assert_eq!(sent.path, "/v3/conversations/conv-1/activities/act-1");
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(sent.json()["text"], "Echo: hi");
    assert!(h.login.requests().is_empty());
    let identity = h.bot.identity.lock().unwrap().clone().unwrap();
    assert_eq!(identity.source(), IdentitySource::Anonymous);
    assert_eq!(*h.bot.caller_id.lock().unwrap(), None, "no caller id");

    // A token sent to an anonymous bot cannot be checked: refused.
    let h = Harness::anonymous().await;
    let token = TestKey::A.sign(KID, &channel_claims(h.clock.now(), &h.service_url()));
    h.refuse_token(&token, &h.activity("msteams"), "this bot has no app id")
        .await;
}

#[tokio::test]
async fn a_spoofed_caller_id_is_replaced() {
    let h = Harness::anonymous().await;
    let mut activity = h.activity("emulator");
    activity["callerId"] = json!("urn:botframework:aadappid:someone");
    assert_eq!(h.post(None, &activity).await.status, 200);
    assert_eq!(*h.bot.caller_id.lock().unwrap(), None);
}

#[tokio::test]
async fn only_authenticated_service_urls_become_trusted() {
    let h = Harness::new().await;
    let remote = "https://bots.example.net/api/";
    let mut event = h.activity("msteams");
    event["type"] = json!("event");
    event["serviceUrl"] = json!(remote);
    assert!(!h.adapter.trusted_hosts().is_trusted(remote));
    let response = h.post(None, &event).await;
    assert_eq!(response.status, 401);
    assert!(!h.adapter.trusted_hosts().is_trusted(remote));

    let token = TestKey::A.sign(KID, &channel_claims(h.clock.now(), remote));
    assert_eq!(h.post_token(&token, &event).await.status, 200);
    assert!(h.adapter.trusted_hosts().is_trusted(remote));
}

#[tokio::test]
async fn invokes_answer_with_the_bots_invoke_response_or_501() {
    let h = Harness::new().await;
    let mut invoke = h.activity("msteams");
    invoke["type"] = json!("invoke");
    invoke["name"] = json!("respond");
    let response = h.post_token(&h.channel_token(), &invoke).await;
    assert_eq!(response.status, 202);
    assert_eq!(response.body, Some(json!({"answer": 42})));
    assert!(
        h.connector.requests().is_empty(),
        "the invoke response is not sent"
    );

    invoke["name"] = json!("unhandled");
    let response = h.post_token(&h.channel_token(), &invoke).await;
    assert_eq!(response.status, 501);
    assert_eq!(response.body, None);
}

#[tokio::test]
async fn expect_replies_returns_the_replies_in_the_response() {
    let h = Harness::new().await;
    let mut activity = h.activity("msteams");
    activity["deliveryMode"] = json!("expectReplies");
    let response = h.post_token(&h.channel_token(), &activity).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.content_type(),
        Some("application/json; charset=utf-8")
    );
    let body = response.body.unwrap();
    let replies = body["activities"].as_array().unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["text"], "Echo: hi");
    assert_eq!(replies[0]["replyToId"], "act-1");
    assert!(
        h.connector.requests().is_empty(),
        "nothing sent to the channel"
    );
}

#[tokio::test]
async fn a_failed_turn_answers_500_without_details_after_on_turn_error() {
    let h = Harness::new().await;
    for text in ["fail", "panic"] {
        let mut activity = h.activity("msteams");
        activity["text"] = json!(text);
        let response = h.post_token(&h.channel_token(), &activity).await;
        assert_eq!(response.status, 500, "{text}");
        let body = serde_json::to_string(&response.body).unwrap();
        assert!(
            !body.contains("broke") && !body.contains("panicked"),
            "{body}"
        );
    }
    // on_turn_error told the user, twice; its trace was not sent (not the Emulator).
    let sent: Vec<Value> = h.connector.requests().iter().map(|r| r.json()).collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|a| a["type"] == "message"));
}

#[tokio::test]
async fn trace_activities_go_only_to_the_emulator() {
    let h = Harness::anonymous().await;
    let mut activity = h.activity("msteams");
    activity["text"] = json!("trace");
    assert_eq!(h.post(None, &activity).await.status, 200);
    assert!(h.connector.requests().is_empty());
    let mut activity = h.activity("emulator");
    activity["text"] = json!("trace");
    assert_eq!(h.post(None, &activity).await.status, 200);
    assert_eq!(h.connector.last().json()["type"], "trace");
}

#[tokio::test]
async fn malformed_requests_answer_400_without_a_turn() {
    let h = Harness::anonymous().await;
    let mut bodies: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"".to_vec(),
        b"[]".to_vec(),
        b"\x00\xff".to_vec(),
    ];
    for field in ["type", "conversation", "serviceUrl", "channelId"] {
        let mut activity = h.activity("emulator");
        activity.as_object_mut().unwrap().remove(field);
        bodies.push(serde_json::to_vec(&activity).unwrap());
    }
    let mut activity = h.activity("emulator");
    activity["serviceUrl"] = json!("not a url");
    bodies.push(serde_json::to_vec(&activity).unwrap());
    let mut activity = h.activity("emulator");
    activity["conversation"] = json!({"id": ""});
    bodies.push(serde_json::to_vec(&activity).unwrap());
    let mut activity = h.activity("emulator");
    activity["text"] = json!(42);
    bodies.push(serde_json::to_vec(&activity).unwrap());
    for body in bodies {
        let response = h.adapter.process(None, &body, &h.bot).await;
        assert_eq!(response.status, 400, "{}", String::from_utf8_lossy(&body));
        let error = &response.body.as_ref().unwrap()["error"];
        assert_eq!(error["code"], "BadRequest");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(h.bot.turns(), 0);
}

fn reference(h: &Harness) -> ConversationReference {
    ConversationReference {
        activity_id: Some("act-1".into()),
        user: Some(ChannelAccount::new("user-1")),
        bot: Some(ChannelAccount::new(APP_ID)),
        conversation: Some(ConversationAccount::new("conv-1")),
        channel_id: Some("msteams".into()),
        service_url: Some(h.service_url()),
        ..ConversationReference::default()
    }
}

#[tokio::test]
async fn continue_conversation_sends_with_the_app_token() {
    let h = Harness::new().await;
    h.adapter
        .continue_conversation(reference(&h), async move |ctx| {
            assert!(ctx.is_proactive());
            let identity = ctx.turn_state().get::<ClaimsIdentity>().unwrap();
            assert_eq!(identity.source(), IdentitySource::Bot);
            assert_eq!(identity.app_id(), Some(APP_ID));
            ctx.send_activity("Your job is done.").await?;
            Ok(())
        })
        .await
        .unwrap();
    let sent = h.connector.last();
    assert_eq!(sent.path, "/v3/conversations/conv-1/activities");
    assert_eq!(sent.header("authorization"), Some("Bearer tok-1"));
    let body = sent.json();
    assert_eq!(body["text"], "Your job is done.");
    assert_eq!(body.get("replyToId"), None);
    assert_eq!(body["recipient"]["id"], "user-1");

    // A reference without a service URL is refused before anything runs.
    let mut bad = reference(&h);
    bad.service_url = None;
    let error = h
        .adapter
        .continue_conversation(bad, async |_| Ok(()))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("serviceUrl"), "{error}");
}

#[tokio::test]
async fn send_errors_reach_the_bot_as_connector_errors() {
    let h = Harness::new().await;
    h.connector.script(
        Method::POST,
        "/v3/conversations/conv-1/activities",
        Reply::json(
            404,
            json!({"error": {"code": "ConversationNotFound", "message": "gone"}}),
        ),
    );
    let result = h
        .adapter
        .continue_conversation(reference(&h), async move |ctx| {
            let error = ctx.send_activity("hello?").await.unwrap_err();
            let botbuilder_core::Error::Adapter {
                operation,
                channel_failure,
                source,
            } = &error
            else {
                panic!("not an adapter error: {error}");
            };
            assert_eq!(*operation, "send activities");
            // A 404 is the bot's mistake, not something the channel did.
            assert_eq!(*channel_failure, None);
            let connector = source.downcast_ref::<ConnectorError>().unwrap();
            assert_eq!(connector.code(), Some("ConversationNotFound"));
            Ok(())
        })
        .await;
    result.unwrap();
}

#[tokio::test]
async fn create_conversation_then_runs_the_logic_in_it() {
    let h = Harness::new().await;
    h.connector.script(
        Method::POST,
        "/v3/conversations",
        Reply::json(200, json!({"id": "new-conv", "activityId": "first"})),
    );
    let parameters = ConversationParameters {
        is_group: Some(false),
        members: Some(vec![ChannelAccount::new("user-9")]),
        tenant_id: Some("tenant-1".into()),
        ..ConversationParameters::default()
    };
    let mut base = reference(&h);
    base.user = None;
    base.conversation = None;
    h.adapter
        .create_conversation(base, parameters, async move |ctx| {
            assert_eq!(ctx.activity().conversation_id(), Some("new-conv"));
            ctx.send_activity("Welcome!").await?;
            Ok(())
        })
        .await
        .unwrap();
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/v3/conversations");
    assert_eq!(requests[0].json()["tenantId"], "tenant-1");
    assert_eq!(requests[0].header("authorization"), Some("Bearer tok-1"));
    assert_eq!(requests[1].path, "/v3/conversations/new-conv/activities");
    let welcome = requests[1].json();
    assert_eq!(welcome["text"], "Welcome!");
    assert_eq!(welcome["recipient"]["id"], "user-9");
    assert_eq!(welcome["conversation"]["tenantId"], "tenant-1");
}

#[tokio::test]
async fn update_and_delete_go_to_the_connector() {
    let h = Harness::new().await;
    h.adapter
        .continue_conversation(reference(&h), async move |ctx| {
            let sent = ctx.send_activity("draft").await?;
            let mut edited = Activity::message("final");
            edited.id = Some(sent.id.clone());
            ctx.update_activity(edited).await?;
            ctx.delete_activity(sent.id).await?;
            Ok(())
        })
        .await
        .unwrap();
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].method, Method::PUT);
    assert_eq!(requests[1].path, "/v3/conversations/conv-1/activities/id-1");
    assert_eq!(requests[1].json()["text"], "final");
    assert_eq!(requests[2].method, Method::DELETE);
    assert_eq!(requests[2].path, "/v3/conversations/conv-1/activities/id-1");
}

/// An in-process channel: keeps what the bot sends.
#[derive(Debug, Default)]
struct Inbox(Mutex<Vec<Activity>>);

#[async_trait]
impl DeliveryTarget for Inbox {
    async fn send_activity(&self, activity: Activity) -> Result<ResourceResponse, ConnectorError> {
        let mut inbox = self.0.lock().unwrap();
        inbox.push(activity);
        Ok(ResourceResponse::new(format!("local-{}", inbox.len())))
    }
}

#[tokio::test]
async fn an_in_process_delivery_target_takes_its_service_urls_traffic() {
    let h = Harness::new().await;
    let inbox = Arc::new(Inbox::default());
    let local = "http://directline.invalid/in-process/";
    h.adapter
        .register_delivery_target(local, inbox.clone())
        .unwrap();

    // A turn from the in-process channel, already authenticated by it.
    let activity: Activity = serde_json::from_value(json!({
        "type": "message", "id": "m1", "text": "hello", "channelId": "directline",
        "serviceUrl": "http://DIRECTLINE.invalid/in-process",
        "conversation": {"id": "dl-1"}, "from": {"id": "u"}, "recipient": {"id": APP_ID},
    }))
    .unwrap();
    let identity = ClaimsIdentity::new(IdentitySource::Channel, serde_json::Map::new());
    let response = h
        .adapter
        .process_authenticated(identity, activity, &h.bot)
        .await;
    assert_eq!(response.status, 200);

    // Proactive messages to it too.
    let mut reference = reference(&h);
    reference.service_url = Some(local.into());
    reference.conversation = Some(ConversationAccount::new("dl-1"));
    let responses = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&responses);
    h.adapter
        .continue_conversation(reference, async move |ctx| {
            let sent = ctx.send_activity("later").await?;
            seen.lock().unwrap().push(sent.id);
            // Updating is not supported by this target.
            let error = ctx
                .update_activity(Activity::message("x").with_id("local-1"))
                .await
                .unwrap_err();
            assert!(matches!(error, botbuilder_core::Error::NotSupported { .. }));
            Ok(())
        })
        .await
        .unwrap();

    let got: Vec<String> = inbox
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.text().to_owned())
        .collect();
    assert_eq!(got, ["Echo: hello", "later"]);
    assert_eq!(*responses.lock().unwrap(), ["local-2"]);
    assert!(h.connector.requests().is_empty(), "no HTTP hop");
    assert!(h.login.requests().is_empty(), "no token needed");

    // Removed: the service URL goes back to the connector path.
    assert!(h.adapter.remove_delivery_target(local).is_some());
    assert!(h.adapter.remove_delivery_target(local).is_none());
}

#[tokio::test]
async fn delay_activities_wait_on_the_adapters_clock() {
    let h = Harness::new().await;
    let start = h.clock.now();
    h.adapter
        .continue_conversation(reference(&h), async move |ctx| {
            ctx.send_activities(vec![
                Activity::message("one"),
                Activity::new("delay").with_value(json!(1500)),
                Activity::message("two"),
            ])
            .await?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(h.connector.requests().len(), 2);
    assert!(
        h.clock.now().duration_since(start).unwrap() >= Duration::from_millis(1500),
        "the delay waited on the clock"
    );
}
