//! End to end through the facade: an echo bot served on a loopback port, a real HTTP POST of
//! an activity, and the reply arriving at a mock Bot Connector, in anonymous and in
//! authenticated mode (local OpenID metadata, JWKS and token endpoint; test-only keys).

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::{Arc, Mutex};

use botbuilder::prelude::*;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use support::Mock;
use support::auth::{APP_ID, KeyServer, PASSWORD, TestKey, channel_claims};

/// Echoes, and remembers the last conversation for a proactive message.
#[derive(Default)]
struct EchoBot {
    last: Mutex<Option<ConversationReference>>,
}

#[async_trait]
impl ActivityHandler for EchoBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        *self.last.lock().unwrap() = Some(ctx.activity().conversation_reference());
        let text = ctx.activity().text();
        ctx.send_activity(format!("Echo: {text}")).await?;
        Ok(())
    }
}

struct Server {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), botbuilder::connector::ConnectorError>>,
}

impl Server {
    async fn start(adapter: CloudAdapter, bot: Arc<EchoBot>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/messages", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(botbuilder::hosting::serve_with_shutdown(
            listener,
            botbuilder::hosting::router(adapter, bot),
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            url,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        self.task.await.unwrap().unwrap();
    }
}

fn activity(service_url: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "id": "msg-1",
        "text": text,
        "channelId": "webchat",
        "serviceUrl": service_url,
        "conversation": {"id": "conv-42"},
        "from": {"id": "user-1", "name": "Ada"},
        "recipient": {"id": APP_ID, "name": "EchoBot"},
        "locale": "en-US",
    })
}

#[tokio::test]
async fn anonymous_echo_over_http() {
    let connector = Mock::connector().await;
    let bot = Arc::new(EchoBot::default());
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let server = Server::start(adapter.clone(), Arc::clone(&bot)).await;

    let response = reqwest::Client::new()
        .post(&server.url)
        .json(&activity(&connector.url(), "hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let reply = connector.last();
    assert_eq!(reply.path, "/v3/conversations/conv-42/activities/msg-1");
    assert_eq!(reply.header("authorization"), None);
    assert_eq!(reply.json()["text"], "Echo: hello");
    assert_eq!(reply.json()["recipient"]["name"], "Ada");

    // Later, from outside any turn: a proactive message through the same adapter.
    let reference = bot.last.lock().unwrap().clone().unwrap();
    adapter
        .continue_conversation(reference, async move |ctx| {
            ctx.send_activity("Still there?").await?;
            Ok(())
        })
        .await
        .unwrap();
    let proactive = connector.last();
    assert_eq!(proactive.path, "/v3/conversations/conv-42/activities");
    assert_eq!(proactive.json()["text"], "Still there?");

    server.stop().await;
}

#[tokio::test]
async fn authenticated_echo_over_http() {
    let connector = Mock::connector().await;
    let login = Mock::token_endpoint(3600).await;
    let keys = KeyServer::start(vec![TestKey::A.jwk("key-1", &["webchat"])]).await;
    let config = BotConfig::from_map([
        ("MicrosoftAppId", APP_ID.to_owned()),
        ("MicrosoftAppPassword", PASSWORD.to_owned()),
        (
            "ToChannelFromBotLoginUrl",
            format!("{}/botframework.com", login.url()),
        ),
        ("ToBotFromChannelOpenIdMetadataUrl", keys.metadata_url()),
    ])
    .unwrap();
    let bot = Arc::new(EchoBot::default());
    let server = Server::start(CloudAdapter::new(&config).unwrap(), bot).await;
    let client = reqwest::Client::new();
    let body = activity(&connector.url(), "secure hello");

    // Without a token: 401, nothing sent.
    let refused = client.post(&server.url).json(&body).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["code"], "Unauthorized");
    assert!(connector.requests().is_empty());

    // With a channel token: the turn runs, and the reply carries the app token.
    let token = TestKey::A.sign(
        "key-1",
        &channel_claims(std::time::SystemTime::now(), &connector.url()),
    );
    let response = client
        .post(&server.url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reply = connector.last();
    assert_eq!(reply.header("authorization"), Some("Bearer tok-1"));
    assert_eq!(reply.json()["text"], "Echo: secure hello");
    assert_eq!(login.last().form()["client_id"], APP_ID);

    server.stop().await;
}
