//! The local Direct Line endpoint, call by call, as Direct Line 3.0 defines it:
//! start, poll with and without a watermark, send with echo and reply order, token refresh,
//! 401/403/404, CORS on preflights and errors, the WebSocket stream (frames, keep-alives,
//! reconnecting with a watermark), bounded memory and idle expiry on an injected clock, and
//! proactive messages through the same adapter.
//!
//! HTTP calls go to the axum router with `oneshot`; WebSocket tests use a real loopback server.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::{BotConfig, CloudAdapter, ConnectorError};
use botbuilder_core::{ActivityHandler, Bot, BotAdapterExt, TurnContext, TurnResult, async_trait};
use botbuilder_directline::{ChatPage, DirectLine, DirectLineOptions};
use botbuilder_schema::{
    Activity, ActivityTypes, CardAction, ChannelAccount, ConversationReference, SuggestedActions,
};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

const LOCAL: &str = "127.0.0.1:3978";

/// A bot that says what it heard, and keeps what it received and the last reference.
#[derive(Clone, Default)]
struct Recorder {
    received: Arc<Mutex<Vec<Activity>>>,
    reference: Arc<Mutex<Option<ConversationReference>>>,
}

impl Recorder {
    fn received(&self) -> Vec<Activity> {
        self.received.lock().unwrap().clone()
    }

    fn reference(&self) -> ConversationReference {
        self.reference.lock().unwrap().clone().unwrap()
    }
}

#[async_trait]
impl ActivityHandler for Recorder {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.received.lock().unwrap().push(ctx.activity().clone());
        botbuilder_core::dispatch_activity(self, ctx).await
    }

    async fn on_members_added(
        &self,
        members: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let bot = ctx.activity().recipient.clone().unwrap().id;
        if members.iter().any(|m| m.id != bot) {
            *self.reference.lock().unwrap() = Some(ctx.conversation_reference().clone());
            ctx.send_activity("Welcome!").await?;
        }
        Ok(())
    }

    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        *self.reference.lock().unwrap() = Some(ctx.conversation_reference().clone());
        let text = ctx.activity().text().to_owned();
        match text.as_str() {
            "fail" => return Err("the bot broke".into()),
            "trace" => {
                ctx.send_activity(Activity::trace("debug", Some(json!({"x": 1})), None, None))
                    .await?;
                ctx.send_activity("after the trace").await?;
            }
            "typing" => {
                ctx.send_activity(Activity::typing()).await?;
                ctx.send_activity("typed").await?;
            }
            "update" => {
                let sent = ctx.send_activity("v1").await?;
                let mut v2 = Activity::message("v2");
                v2.id = Some(sent.id.clone());
                v2.apply_conversation_reference(ctx.conversation_reference(), false);
                v2.reply_to_id = None;
                ctx.update_activity(v2).await?;
            }
            "buttons" => {
                let mut reply = Activity::message("Pick one");
                reply.suggested_actions = Some(SuggestedActions {
                    actions: vec![CardAction::im_back("run")],
                    ..SuggestedActions::default()
                });
                ctx.send_activity(reply).await?;
            }
            _ => {
                ctx.send_activity(format!("Echo: {text}")).await?;
            }
        }
        Ok(())
    }
}

struct Endpoint {
    direct_line: DirectLine,
    adapter: CloudAdapter,
    bot: Recorder,
    app: Router,
    clock: ManualClock,
}

fn start_time() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn endpoint_with(options: DirectLineOptions, secret: Option<&str>, listen: &str) -> Endpoint {
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot = Recorder::default();
    let clock = ManualClock::new(start_time());
    let mut builder = DirectLine::builder(
        adapter.clone(),
        Arc::new(bot.clone()),
        listen.parse().unwrap(),
    )
    .options(options)
    .clock(Arc::new(clock.clone()));
    if let Some(secret) = secret {
        builder = builder.secret(secret);
    }
    let direct_line = builder.build().unwrap();
    let app = direct_line.router();
    Endpoint {
        direct_line,
        adapter,
        bot,
        app,
        clock,
    }
}

fn endpoint() -> Endpoint {
    endpoint_with(DirectLineOptions::default(), None, LOCAL)
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

impl Endpoint {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", LOCAL)
            .header("origin", "http://localhost:8000");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.raw(request).await
    }

    async fn raw(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Starts a conversation for `user`; returns (id, token).
    async fn start(&self, user: &str) -> (String, String) {
        let answer = self
            .call(
                Method::POST,
                "/v3/directline/conversations",
                None,
                Some(json!({"user": {"id": user}})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        (
            answer.body["conversationId"].as_str().unwrap().to_owned(),
            answer.body["token"].as_str().unwrap().to_owned(),
        )
    }

    async fn poll(&self, id: &str, token: &str, watermark: Option<&str>) -> Answer {
        let path = match watermark {
            Some(w) => format!("/v3/directline/conversations/{id}/activities?watermark={w}"),
            None => format!("/v3/directline/conversations/{id}/activities"),
        };
        self.call(Method::GET, &path, Some(token), None).await
    }

    async fn say(&self, id: &str, token: &str, user: &str, text: &str, client_id: &str) -> Answer {
        self.call(
            Method::POST,
            &format!("/v3/directline/conversations/{id}/activities"),
            Some(token),
            Some(json!({
                "type": "message",
                "text": text,
                "from": {"id": user, "name": "You", "role": "user"},
                "locale": "en-US",
                "channelData": {"clientActivityID": client_id, "clientTimestamp": "x"},
            })),
        )
        .await
    }

    /// Waits (briefly) until the transcript has `n` activities: the welcome comes from a turn
    /// that runs after `start` answered.
    async fn wait_for(&self, id: &str, n: usize) -> Vec<Activity> {
        for _ in 0..200 {
            let transcript = self.direct_line.transcript(id).unwrap();
            if transcript.len() >= n {
                return transcript;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the transcript never reached {n} activities");
    }
}

fn texts(activities: &Value) -> Vec<String> {
    activities
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn start_answers_201_with_a_token_and_stream_url_and_the_bot_hears_a_conversation_update() {
    let e = endpoint();
    let answer = e
        .call(
            Method::POST,
            "/v3/directline/conversations",
            Some("undefined"),
            Some(json!({"user": {"id": "alice", "name": "Alice"}, "locale": "fr-FR"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let id = answer.body["conversationId"].as_str().unwrap();
    assert!(
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "URL-safe: {id}"
    );
    let token = answer.body["token"].as_str().unwrap();
    assert!(!token.is_empty());
    assert_eq!(answer.body["expires_in"], 1800);
    let stream_url = answer.body["streamUrl"].as_str().unwrap();
    assert_eq!(
        stream_url,
        format!("ws://{LOCAL}/v3/directline/conversations/{id}/stream?watermark=-&t={token}")
    );
    assert_eq!(
        answer.headers["access-control-allow-origin"], "*",
        "CORS on every answer"
    );

    // The welcome arrives; the conversationUpdate itself is not shown to the client.
    let transcript = e.wait_for(id, 1).await;
    assert_eq!(transcript.len(), 1);
    assert_eq!(transcript[0].text(), "Welcome!");
    assert_eq!(transcript[0].reply_to_id, None, "no replyToId on webchat");
    assert_eq!(transcript[0].recipient.as_ref().unwrap().id, "alice");

    let update = &e.bot.received()[0];
    assert_eq!(update.activity_type, ActivityTypes::ConversationUpdate);
    let added: Vec<_> = update
        .members_added
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(added, ["bot", "alice"]);
    assert_eq!(update.channel_id.as_ref().unwrap().as_str(), "webchat");
    assert_eq!(
        update.service_url.as_deref(),
        Some("http://127.0.0.1:3978/v3/directline/")
    );
    assert_eq!(update.conversation_id(), Some(id));
    assert_eq!(update.recipient.as_ref().unwrap().id, "bot");
    assert_eq!(update.locale.as_deref(), Some("fr-FR"));

    // Behind a TLS-terminating proxy the stream is wss.
    let proxied = e
        .raw(
            Request::post("/v3/directline/conversations")
                .header("host", "bot.example.com")
                .header("x-forwarded-proto", "https")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        proxied.body["streamUrl"]
            .as_str()
            .unwrap()
            .starts_with("wss://bot.example.com/v3/directline/conversations/"),
        "{:?}",
        proxied.body
    );

    // Without a body, the endpoint makes a user up.
    let bare = e
        .call(Method::POST, "/v3/directline/conversations", None, None)
        .await;
    assert_eq!(bare.status, StatusCode::CREATED);
    let other = bare.body["conversationId"].as_str().unwrap();
    assert_ne!(other, id);
    e.wait_for(other, 1).await;
    let update = e
        .bot
        .received()
        .into_iter()
        .find(|a| a.conversation_id() == Some(other))
        .unwrap();
    let user = update.members_added.as_ref().unwrap()[1].clone();
    assert!(user.id.starts_with("dl_"), "{}", user.id);

    // A body that is not JSON is refused.
    let bad = e
        .raw(
            Request::post("/v3/directline/conversations")
                .header("content-type", "application/json")
                .body(Body::from("{nope"))
                .unwrap(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn send_echoes_then_answers_with_the_id_after_the_turn_and_the_reply_names_the_echo() {
    let e = endpoint();
    let (id, token) = e.start("alice").await;
    e.wait_for(&id, 1).await;

    let answer = e.say(&id, &token, "alice", "hello", "client-1").await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let echo_id = answer.body["id"].as_str().unwrap().to_owned();

    // After the answer, the turn has run: the echo and the reply are both there, in order.
    let polled = e.poll(&id, &token, None).await;
    assert_eq!(polled.status, StatusCode::OK);
    let activities = polled.body["activities"].as_array().unwrap().clone();
    assert_eq!(
        texts(&polled.body["activities"]),
        ["Welcome!", "hello", "Echo: hello"]
    );
    let (echo, reply) = (&activities[1], &activities[2]);
    assert_eq!(echo["id"], echo_id.as_str());
    assert_eq!(echo["channelData"]["clientActivityID"], "client-1");
    assert_eq!(echo["channelData"]["clientTimestamp"], "x");
    assert_eq!(echo["from"]["id"], "alice");
    assert_eq!(echo["conversation"]["id"], id.as_str());
    assert!(echo["timestamp"].as_str().is_some());
    assert_eq!(reply["replyToId"], echo_id.as_str());
    assert_eq!(reply["from"]["id"], "bot");
    assert_eq!(reply["recipient"]["id"], "alice");
    // Ids are unique; timestamps strictly increase.
    let ids: std::collections::HashSet<_> = activities.iter().map(|a| a["id"].clone()).collect();
    assert_eq!(ids.len(), 3);
    let stamps: Vec<_> = activities
        .iter()
        .map(|a| a["timestamp"].as_str().unwrap().to_owned())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");

    // The bot received the echo's id, and the channel's fields.
    let received = e.bot.received().pop().unwrap();
    assert_eq!(received.id.as_deref(), Some(echo_id.as_str()));
    assert_eq!(received.channel_id.as_ref().unwrap().as_str(), "webchat");
    assert_eq!(
        received.service_url.as_deref(),
        Some(e.direct_line.service_url())
    );
    assert_eq!(received.recipient.as_ref().unwrap().id, "bot");
    assert_eq!(received.from.as_ref().unwrap().id, "alice");
    assert_eq!(received.conversation_id(), Some(id.as_str()));
    assert_eq!(
        received.timestamp.as_ref().unwrap().as_str(),
        echo["timestamp"]
    );

    // Trace activities are dropped; typing indicators are delivered.
    e.say(&id, &token, "alice", "trace", "c-2").await;
    e.say(&id, &token, "alice", "typing", "c-3").await;
    let rest = e.poll(&id, &token, Some("3")).await;
    let types: Vec<_> = rest.body["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        ["message", "message", "message", "typing", "message"]
    );
    assert_eq!(
        texts(&rest.body["activities"]),
        ["trace", "after the trace", "typing", "", "typed"]
    );
}

#[tokio::test]
async fn polls_return_what_is_after_the_watermark() {
    let e = endpoint();
    let (id, token) = e.start("alice").await;
    e.wait_for(&id, 1).await;
    let first = e.poll(&id, &token, Some("")).await;
    assert_eq!(texts(&first.body["activities"]), ["Welcome!"]);
    let w = first.body["watermark"].as_str().unwrap().to_owned();
    assert_eq!(w, "1");

    let nothing = e.poll(&id, &token, Some(&w)).await;
    assert_eq!(nothing.status, StatusCode::OK);
    assert_eq!(nothing.body["activities"], json!([]));
    assert_eq!(nothing.body["watermark"], w.as_str());

    e.say(&id, &token, "alice", "one", "c-1").await;
    let next = e.poll(&id, &token, Some(&w)).await;
    assert_eq!(texts(&next.body["activities"]), ["one", "Echo: one"]);
    assert_eq!(next.body["watermark"], "3");
    // A watermark the endpoint never gave means "from the start".
    let garbage = e.poll(&id, &token, Some("abc")).await;
    assert_eq!(garbage.status, StatusCode::OK);
    assert_eq!(garbage.body["activities"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_update_replaces_the_activity_with_the_same_id() {
    let e = endpoint();
    let (id, token) = e.start("alice").await;
    e.wait_for(&id, 1).await;
    e.say(&id, &token, "alice", "update", "c-1").await;
    let all = e.poll(&id, &token, None).await;
    assert_eq!(texts(&all.body["activities"]), ["Welcome!", "update", "v2"]);
    let v2 = &all.body["activities"][2];
    assert!(v2["id"].as_str().unwrap().ends_with("|0000003"), "{v2}");
}

#[tokio::test]
async fn a_failed_turn_answers_502_and_polls_never_fail() {
    let e = endpoint();
    let (id, token) = e.start("alice").await;
    e.wait_for(&id, 1).await;
    let answer = e.say(&id, &token, "alice", "fail", "c-1").await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert_eq!(answer.body["error"]["code"], "BotError");
    assert_eq!(answer.headers["access-control-allow-origin"], "*");
    let polled = e.poll(&id, &token, None).await;
    assert_eq!(polled.status, StatusCode::OK);
    // The echo is there, and the default on_turn_error told the user.
    let texts = texts(&polled.body["activities"]);
    assert_eq!(texts[1], "fail");
    assert!(texts.len() >= 3, "{texts:?}");
}

#[tokio::test]
async fn bodies_that_are_not_activities_are_refused() {
    let e = endpoint();
    let (id, token) = e.start("alice").await;
    let path = format!("/v3/directline/conversations/{id}/activities");
    let no_type = e
        .call(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(no_type.status, StatusCode::BAD_REQUEST);
    let not_json = e
        .raw(
            Request::post(&path)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from("[1,"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    let huge = e
        .raw(
            Request::post(&path)
                .header("authorization", format!("Bearer {token}"))
                .header("origin", "http://elsewhere")
                .header("content-type", "application/json")
                .body(Body::from(vec![b' '; 300 * 1024]))
                .unwrap(),
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.headers["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn tokens_refresh_expire_and_open_only_their_own_conversation() {
    let e = endpoint();
    let (a, token_a) = e.start("alice").await;
    let (b, token_b) = e.start("bob").await;

    let refreshed = e
        .call(
            Method::POST,
            "/v3/directline/tokens/refresh",
            Some(&token_a),
            None,
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK);
    assert_eq!(refreshed.body["conversationId"], a.as_str());
    assert_eq!(refreshed.body["expires_in"], 1800);
    let fresh = refreshed.body["token"].as_str().unwrap().to_owned();

    // A token opens its own conversation only.
    assert_eq!(
        e.poll(&b, &token_a, None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        e.poll(&a, &token_b, None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        e.poll(&a, "not-a-token", None).await.status,
        StatusCode::FORBIDDEN
    );
    let none = e
        .call(
            Method::GET,
            &format!("/v3/directline/conversations/{a}/activities"),
            None,
            None,
        )
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers["access-control-allow-origin"], "*");

    // 30 minutes later the first token has expired; the refreshed one (issued at the same
    // instant on this clock) too, but a token refreshed at 20 minutes lives on.
    e.clock.advance(Duration::from_secs(20 * 60));
    let later = e
        .call(
            Method::POST,
            "/v3/directline/tokens/refresh",
            Some(&fresh),
            None,
        )
        .await;
    let later = later.body["token"].as_str().unwrap().to_owned();
    e.clock.advance(Duration::from_secs(10 * 60));
    let expired = e.poll(&a, &token_a, None).await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    assert_eq!(expired.body["error"]["code"], "TokenExpired");
    assert_eq!(expired.headers["access-control-allow-origin"], "*");
    assert_eq!(
        e.say(&a, &token_a, "alice", "hi", "c").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        e.call(
            Method::POST,
            "/v3/directline/tokens/refresh",
            Some(&token_a),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(e.poll(&a, &later, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_conversations_answer_404_and_refresh_says_so() {
    let e = endpoint_with(
        DirectLineOptions {
            idle_timeout: Duration::from_secs(10 * 60),
            ..DirectLineOptions::default()
        },
        None,
        LOCAL,
    );
    let (id, token) = e.start("alice").await;
    e.wait_for(&id, 1).await;
    assert_eq!(e.direct_line.conversation_count(), 1);
    // Idle for the timeout: forgotten (the token is still valid).
    e.clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(e.direct_line.conversation_count(), 0);
    let gone = e.poll(&id, &token, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.headers["access-control-allow-origin"], "*");
    assert_eq!(
        e.call(
            Method::POST,
            "/v3/directline/tokens/refresh",
            Some(&token),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        e.say(&id, &token, "alice", "hi", "c").await.status,
        StatusCode::NOT_FOUND
    );
    // Unknown operations under the endpoint are 404 with CORS too.
    let unknown = e
        .call(Method::GET, "/v3/directline/nothing/here", None, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.headers["access-control-allow-origin"], "*");
    // A proactive message into a forgotten conversation fails like a channel's 404.
    let error = e
        .adapter
        .continue_conversation(e.bot.reference(), async move |ctx| {
            ctx.send_activity("late").await?;
            Ok(())
        })
        .await
        .unwrap_err();
    let reported = botbuilder_core::error::report(&error).to_string();
    assert!(reported.contains("404"), "{reported}");
    // A 404 is not something the channel did: not a channel failure.
    assert_eq!(error.channel_failure(), None);
}

#[tokio::test]
async fn requests_keep_a_conversation_alive_and_memory_is_bounded() {
    let e = endpoint_with(
        DirectLineOptions {
            idle_timeout: Duration::from_secs(60),
            max_conversations: 2,
            max_activities_per_conversation: 3,
            ..DirectLineOptions::default()
        },
        None,
        LOCAL,
    );
    let (a, token_a) = e.start("alice").await;
    e.wait_for(&a, 1).await;
    for i in 0..3 {
        e.clock.advance(Duration::from_secs(50));
        assert_eq!(
            e.say(&a, &token_a, "alice", &format!("m{i}"), "c")
                .await
                .status,
            StatusCode::OK
        );
    }
    // Seven activities were delivered; three are kept.
    let polled = e.poll(&a, &token_a, None).await;
    assert_eq!(
        texts(&polled.body["activities"]),
        ["Echo: m1", "m2", "Echo: m2"]
    );
    assert_eq!(polled.body["watermark"], "7");

    // A third conversation pushes out the least recently active one.
    let (b, token_b) = e.start("bob").await;
    e.clock.advance(Duration::from_secs(1));
    e.poll(&a, &token_a, None).await;
    let (c, _) = e.start("carol").await;
    assert_eq!(e.direct_line.conversation_count(), 2);
    assert_eq!(
        e.poll(&b, &token_b, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(e.direct_line.transcript(&a).is_some());
    assert!(e.direct_line.transcript(&c).is_some());
}

#[tokio::test]
async fn cors_preflights_are_answered_for_every_call() {
    let e = endpoint();
    for (method, path) in [
        ("POST", "/v3/directline/conversations"),
        (
            "GET",
            "/v3/directline/conversations/x/activities?watermark=",
        ),
        ("POST", "/v3/directline/conversations/x/activities"),
        ("POST", "/v3/directline/tokens/refresh"),
        ("GET", "/v3/directline/conversations/x?watermark=3"),
    ] {
        let answer = e
            .raw(
                Request::builder()
                    .method(Method::OPTIONS)
                    .uri(path)
                    .header("origin", "http://localhost:8000")
                    .header("access-control-request-method", method)
                    .header(
                        "access-control-request-headers",
                        "authorization,content-type,x-ms-bot-agent,x-requested-with",
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(answer.status.is_success(), "{path}: {}", answer.status);
        assert_eq!(answer.headers["access-control-allow-origin"], "*");
        let methods = answer.headers["access-control-allow-methods"]
            .to_str()
            .unwrap();
        assert!(methods.contains(method), "{methods}");
        let headers = answer.headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for h in [
            "authorization",
            "content-type",
            "x-ms-bot-agent",
            "x-requested-with",
        ] {
            assert!(headers.contains(h), "{headers}");
        }
    }
}

#[tokio::test]
async fn the_chat_page_is_one_self_contained_file() {
    let e = endpoint();
    let answer = e
        .raw(Request::get("/chat").body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "text/html; charset=utf-8");
    let policy = answer.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"));
    let response = e
        .app
        .clone()
        .oneshot(Request::get("/chat").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let page = String::from_utf8(
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(page.starts_with("<!doctype html>"));
    for external in [
        "http://",
        "https://",
        "//cdn",
        "<script src",
        "<link",
        "@import",
    ] {
        assert!(!page.contains(external), "the page refers to `{external}`");
    }
    assert!(page.contains("/v3/directline"));
    assert_eq!(
        e.direct_line.chat_url().as_deref(),
        Some("http://127.0.0.1:3978/chat")
    );
}

#[tokio::test]
async fn proactive_messages_land_in_the_stream_without_a_reply_to_id() {
    let e = endpoint();
    let (id, token) = e.start("alice").await;
    e.wait_for(&id, 1).await;
    let sent = e.say(&id, &token, "alice", "run", "c-1").await;
    let echo_id = sent.body["id"].as_str().unwrap().to_owned();

    // The reference stored in the message turn names the message...
    let reference = e.bot.reference();
    assert_eq!(reference.activity_id.as_deref(), Some(echo_id.as_str()));
    // ...yet the proactive message names nothing: a continuation activity has no id, and a
    // client would hold a message whose replyToId it never saw for 5 seconds.
    e.adapter
        .continue_conversation(reference, async move |ctx| {
            ctx.send_activity("Job 1 is complete.").await?;
            Ok(())
        })
        .await
        .unwrap();
    let polled = e.poll(&id, &token, Some("3")).await;
    let activities = polled.body["activities"].as_array().unwrap();
    assert_eq!(texts(&polled.body["activities"]), ["Job 1 is complete."]);
    let proactive = &activities[0];
    assert_eq!(proactive.get("replyToId"), None);
    assert_eq!(proactive["from"]["id"], "bot");
    assert_eq!(proactive["recipient"]["id"], "alice");
    assert_eq!(proactive["conversation"]["id"], id.as_str());

    // The reference from the welcome turn (a conversationUpdate on webchat) has no activity id
    // at all.
    let (other, _) = e.start("bob").await;
    e.wait_for(&other, 1).await;
    assert_eq!(e.bot.reference().activity_id, None);
}

#[tokio::test]
async fn turns_run_one_at_a_time_in_the_order_of_their_echoes() {
    let e = endpoint();
    let (id, token) = e.start("alice").await;
    e.wait_for(&id, 1).await;
    let sends = (0..6).map(|i| {
        let (e, id, token) = (&e, id.clone(), token.clone());
        async move { e.say(&id, &token, "alice", &format!("m{i}"), "c").await }
    });
    for answer in futures::future::join_all(sends).await {
        assert_eq!(answer.status, StatusCode::OK);
    }
    let transcript = e.direct_line.transcript(&id).unwrap();
    let echoes: Vec<_> = transcript
        .iter()
        .filter(|a| a.from.as_ref().unwrap().id == "alice")
        .map(|a| a.id.clone().unwrap())
        .collect();
    let turns: Vec<_> = e
        .bot
        .received()
        .iter()
        .filter(|a| a.activity_type == ActivityTypes::Message)
        .map(|a| a.id.clone().unwrap())
        .collect();
    assert_eq!(echoes, turns);
    // Each reply names its own message, which came before it.
    for (at, reply) in transcript.iter().enumerate().skip(1) {
        if reply.from.as_ref().unwrap().id != "bot" {
            continue;
        }
        let asked = transcript[..at]
            .iter()
            .find(|a| a.id == reply.reply_to_id)
            .expect("the message a reply names is earlier in the transcript");
        assert_eq!(reply.text(), format!("Echo: {}", asked.text()));
    }
}

#[tokio::test]
async fn beyond_loopback_a_secret_is_required_and_guards_conversations() {
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot: Arc<dyn Bot> = Arc::new(Recorder::default());
    let error = DirectLine::builder(
        adapter.clone(),
        bot.clone(),
        "0.0.0.0:3978".parse().unwrap(),
    )
    .build()
    .unwrap_err();
    assert!(
        matches!(
            error,
            ConnectorError::Setting {
                key: "DirectLineSecret",
                ..
            }
        ),
        "{error}"
    );
    let short = DirectLine::builder(adapter, bot, "0.0.0.0:3978".parse().unwrap())
        .secret("short")
        .build()
        .unwrap_err();
    assert!(short.to_string().contains("at least 16"), "{short}");

    const SECRET: &str = "a-long-direct-line-secret";
    let e = endpoint_with(DirectLineOptions::default(), Some(SECRET), "0.0.0.0:3978");
    assert!(!e.direct_line.is_anonymous());
    assert!(!format!("{:?}", e.direct_line).contains(SECRET));
    assert_eq!(
        e.direct_line.service_url(),
        "http://127.0.0.1:3978/v3/directline/"
    );
    let start = |token: Option<&'static str>| {
        let e = &e;
        async move {
            e.call(Method::POST, "/v3/directline/conversations", token, None)
                .await
        }
    };
    assert_eq!(start(None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(start(Some("undefined")).await.status, StatusCode::FORBIDDEN);
    let started = start(Some(SECRET)).await;
    assert_eq!(started.status, StatusCode::CREATED);
    let id = started.body["conversationId"].as_str().unwrap().to_owned();
    // With the secret, a client may use it for every call (as directlinejs does).
    assert_eq!(e.poll(&id, SECRET, None).await.status, StatusCode::OK);
    assert_eq!(
        e.poll("unknown", SECRET, None).await.status,
        StatusCode::NOT_FOUND
    );

    // A token server trades the secret for a token; the page starts with the token.
    let generate = |token: Option<&'static str>| {
        let e = &e;
        async move {
            e.call(
                Method::POST,
                "/v3/directline/tokens/generate",
                token,
                Some(json!({"user": {"id": "dl_carol"}})),
            )
            .await
        }
    };
    assert_eq!(generate(None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(generate(Some("nope")).await.status, StatusCode::FORBIDDEN);
    let generated = generate(Some(SECRET)).await;
    assert_eq!(generated.status, StatusCode::OK);
    let conversation = generated.body["conversationId"].as_str().unwrap();
    let token = generated.body["token"].as_str().unwrap();
    assert_eq!(generated.body.get("streamUrl"), None);
    let started = e
        .call(
            Method::POST,
            "/v3/directline/conversations",
            Some(token),
            None,
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED);
    assert_eq!(started.body["conversationId"], conversation);
    let transcript = e.wait_for(conversation, 1).await;
    assert_eq!(transcript[0].recipient.as_ref().unwrap().id, "dl_carol");
    // Starting it again does not greet again.
    e.call(
        Method::POST,
        "/v3/directline/conversations",
        Some(token),
        None,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(e.direct_line.transcript(conversation).unwrap().len(), 1);
}

// ---- WebSocket: a real loopback server ----

struct Served {
    e: Endpoint,
    addr: SocketAddr,
    http: reqwest::Client,
}

async fn serve(options: DirectLineOptions) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let e = endpoint_with(options, None, &addr.to_string());
    let app = e.app.clone();
    // Through the SDK's own server (not `axum::serve`): WebSocket upgrades must work there.
    tokio::spawn(botbuilder_connector::hosting::serve_with_shutdown(
        listener,
        app,
        std::future::pending::<()>(),
    ));
    Served {
        e,
        addr,
        http: reqwest::Client::new(),
    }
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("http://{}/v3/directline{path}", self.addr)
    }

    async fn start(&self) -> Value {
        self.http
            .post(self.url("/conversations"))
            .bearer_auth("undefined")
            .json(&json!({"user": {"id": "alice"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn say(&self, id: &str, token: &str, text: &str) -> StatusCode {
        self.http
            .post(self.url(&format!("/conversations/{id}/activities")))
            .bearer_auth(token)
            .json(&json!({"type": "message", "text": text, "from": {"id": "alice"}}))
            .send()
            .await
            .unwrap()
            .status()
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame (empty for a keep-alive), within 5 seconds.
async fn next_frame(socket: &mut Socket) -> String {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("the stream is open")
            .unwrap();
        match message {
            Message::Text(text) => return text.to_string(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Reads activity frames (skipping keep-alives) until `n` activities came; returns them and
/// the last watermark.
async fn read_activities(socket: &mut Socket, n: usize) -> (Vec<Value>, String) {
    let mut activities = Vec::new();
    let mut watermark = String::new();
    while activities.len() < n {
        let frame = next_frame(socket).await;
        if frame.is_empty() {
            continue;
        }
        let set: Value = serde_json::from_str(&frame).unwrap();
        activities.extend(set["activities"].as_array().unwrap().iter().cloned());
        watermark = set["watermark"].as_str().unwrap().to_owned();
    }
    (activities, watermark)
}

#[tokio::test]
async fn the_websocket_stream_sends_activity_sets_keep_alives_and_resumes_from_a_watermark() {
    let s = serve(DirectLineOptions {
        keep_alive: Duration::from_millis(200),
        max_streams_per_conversation: 1,
        ..DirectLineOptions::default()
    })
    .await;
    let started = s.start().await;
    let id = started["conversationId"].as_str().unwrap().to_owned();
    let token = started["token"].as_str().unwrap().to_owned();
    let stream_url = started["streamUrl"].as_str().unwrap();
    assert!(
        stream_url.starts_with(&format!("ws://{}/", s.addr)),
        "{stream_url}"
    );

    let (mut socket, _) = tokio_tungstenite::connect_async(stream_url).await.unwrap();
    // The welcome, from the start of the conversation.
    let (welcome, _) = read_activities(&mut socket, 1).await;
    assert_eq!(welcome[0]["text"], "Welcome!");

    // A second stream on the same conversation is over this test's limit of one.
    let refused = tokio_tungstenite::connect_async(stream_url).await;
    assert!(refused.is_err(), "a second stream is refused (429)");

    assert_eq!(s.say(&id, &token, "hello").await, StatusCode::OK);
    let (got, watermark) = read_activities(&mut socket, 2).await;
    let texts: Vec<_> = got.iter().map(|a| a["text"].clone()).collect();
    assert_eq!(texts, ["hello", "Echo: hello"]);
    assert_eq!(got[1]["replyToId"], got[0]["id"]);
    assert_eq!(watermark, "3");

    // Keep-alives: empty text frames, while nothing happens. Client frames are ignored.
    socket.send(Message::Text("null".into())).await.unwrap();
    assert_eq!(next_frame(&mut socket).await, "");

    // A proactive message arrives on the open stream.
    s.e.adapter
        .continue_conversation(s.e.bot.reference(), async move |ctx| {
            ctx.send_activity("Job done.").await?;
            Ok(())
        })
        .await
        .unwrap();
    let (proactive, watermark) = read_activities(&mut socket, 1).await;
    assert_eq!(proactive[0]["text"], "Job done.");
    assert_eq!(proactive[0].get("replyToId"), None);
    assert_eq!(watermark, "4");

    // The client closes; meanwhile the bot talks; the client reconnects from its watermark.
    socket.close(None).await.unwrap();
    drop(socket);
    assert_eq!(s.say(&id, &token, "again").await, StatusCode::OK);
    let reconnect: Value = s
        .http
        .get(s.url(&format!("/conversations/{id}?watermark={watermark}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reconnect["conversationId"], id.as_str());
    let resumed_url = reconnect["streamUrl"].as_str().unwrap();
    assert!(resumed_url.contains("watermark=4&t="), "{resumed_url}");
    let mut resumed = None;
    for _ in 0..50 {
        // The closed stream's slot frees up as soon as the server notices the close.
        match tokio_tungstenite::connect_async(resumed_url).await {
            Ok((socket, _)) => {
                resumed = Some(socket);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let mut socket = resumed.expect("the stream reconnects");
    let (missed, watermark) = read_activities(&mut socket, 2).await;
    let texts: Vec<_> = missed.iter().map(|a| a["text"].clone()).collect();
    assert_eq!(texts, ["again", "Echo: again"], "only what came after 4");
    assert_eq!(watermark, "6");

    // A stream with a bad token is refused before the upgrade.
    let bad = format!(
        "ws://{}/v3/directline/conversations/{id}/stream?watermark=-&t=bad",
        s.addr
    );
    assert!(tokio_tungstenite::connect_async(bad).await.is_err());
}

#[tokio::test]
async fn a_websocket_closes_when_its_conversation_is_forgotten() {
    let s = serve(DirectLineOptions {
        max_conversations: 1,
        ..DirectLineOptions::default()
    })
    .await;
    let started = s.start().await;
    let stream_url = started["streamUrl"].as_str().unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(stream_url).await.unwrap();
    read_activities(&mut socket, 1).await;
    // A second conversation pushes the first out of the store.
    s.start().await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                None | Some(Ok(Message::Close(_))) | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the stream closed");
}

// ---- Serving with the chat page: a part that cannot start stops everything ----

#[tokio::test]
async fn serving_with_direct_line_fails_on_a_taken_port_as_serving_without_it() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot: Arc<dyn Bot> = Arc::new(Recorder::default());
    let with = tokio::time::timeout(
        Duration::from_secs(5),
        botbuilder_directline::serve(addr, adapter.clone(), Arc::clone(&bot)),
    )
    .await
    .expect("returns at once")
    .unwrap_err();
    let without = tokio::time::timeout(
        Duration::from_secs(5),
        botbuilder_connector::hosting::serve(addr, adapter, bot),
    )
    .await
    .expect("returns at once")
    .unwrap_err();
    assert!(matches!(with, ConnectorError::Transport { .. }), "{with:?}");
    assert_eq!(with.to_string(), without.to_string());
    assert!(
        with.to_string()
            .starts_with(&format!("cannot listen on {addr}")),
        "{with}"
    );
}

#[tokio::test]
async fn an_invalid_direct_line_setting_stops_the_start_and_frees_the_port() {
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot: Arc<dyn Bot> = Arc::new(Recorder::default());
    // The documented steps of `directline::serve`, with a secret that is too short.
    let start = async {
        let server = botbuilder_connector::hosting::Server::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = server.local_addr();
        let direct_line = DirectLine::builder(adapter.clone(), Arc::clone(&bot), addr)
            .secret("short")
            .build()
            .map_err(|e| (addr, e))?;
        let app = botbuilder_connector::hosting::router(adapter.clone(), Arc::clone(&bot))
            .merge(direct_line.router());
        server.serve(app).await.map_err(|e| (addr, e))
    };
    let (addr, error) = tokio::time::timeout(Duration::from_secs(5), start)
        .await
        .expect("fails at once")
        .unwrap_err();
    assert!(
        matches!(
            error,
            ConnectorError::Setting {
                key: "DirectLineSecret",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "invalid setting `DirectLineSecret`: must be at least 16 characters long"
    );
    // Nothing half-started: the port is free, and no endpoint is left on the adapter.
    drop(tokio::net::TcpListener::bind(addr).await.unwrap());
    let service_url = format!("http://{addr}/v3/directline/");
    assert!(adapter.remove_delivery_target(&service_url).is_none());
}

#[tokio::test]
async fn the_chat_page_is_served_where_it_is_allowed_and_says_so() {
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot: Arc<dyn Bot> = Arc::new(Recorder::default());
    let build = |listen: &str, secret: Option<&str>| {
        let mut builder =
            DirectLine::builder(adapter.clone(), bot.clone(), listen.parse().unwrap());
        if let Some(secret) = secret {
            builder = builder.secret(secret.to_owned());
        }
        builder.build_if_allowed()
    };

    // Beyond loopback without a secret: no endpoint, and the page says it needs the secret.
    let none = build("0.0.0.0:3978", None).unwrap();
    assert!(none.is_none());
    assert_eq!(ChatPage::of(none.as_ref()), ChatPage::NeedsSecret);

    // On loopback: anonymous.
    let local = build("127.0.0.1:3979", None).unwrap();
    assert_eq!(
        ChatPage::of(local.as_ref()),
        ChatPage::Served {
            url: "http://127.0.0.1:3979/chat".into(),
            needs_secret: false,
        }
    );

    // Beyond loopback with a secret: served, the page asks for the secret.
    let secured = build("0.0.0.0:3980", Some("a-long-direct-line-secret")).unwrap();
    assert_eq!(
        ChatPage::of(secured.as_ref()),
        ChatPage::Served {
            url: "http://127.0.0.1:3980/chat".into(),
            needs_secret: true,
        }
    );

    // A secret that is too short is still an error, wherever the server listens.
    let short = build("0.0.0.0:3981", Some("short")).unwrap_err();
    assert!(short.to_string().contains("at least 16"), "{short}");

    // The endpoint without its page.
    let no_page = DirectLine::builder(
        adapter.clone(),
        bot.clone(),
        "127.0.0.1:3982".parse().unwrap(),
    )
    .options(DirectLineOptions {
        chat_path: None,
        ..DirectLineOptions::default()
    })
    .build_if_allowed()
    .unwrap()
    .unwrap();
    assert_eq!(no_page.chat_page(), ChatPage::Disabled);
}
