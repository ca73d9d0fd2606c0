//! An anonymous bot (no app id) serves loopback only: beyond it, start-up fails and the
//! messaging route refuses requests, unless `AllowAnonymousBeyondLoopback=true`; then the bot
//! sends only to loopback and trusted hosts.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::oneshot;

use botbuilder_connector::ConnectorError;
use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::hosting;
use botbuilder_core::{Bot, TurnContext, TurnResult, async_trait};
use botbuilder_schema::Activity;
use support::Mock;

#[derive(Default)]
struct Counter {
    turns: AtomicUsize,
}

#[async_trait]
impl Bot for Counter {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.turns.fetch_add(1, Ordering::SeqCst);
        ctx.send_activity("hello").await?;
        Ok(())
    }
}

fn activity(service_url: &str) -> Value {
    json!({
        "type": "message", "id": "a1", "text": "hi", "channelId": "emulator",
        "serviceUrl": service_url, "conversation": {"id": "c1"},
        "from": {"id": "u1"}, "recipient": {"id": "b1"},
    })
}

fn opted_in() -> BotConfig {
    BotConfig::from_map([("AllowAnonymousBeyondLoopback", "true")]).unwrap()
}

/// Serves `adapter` on every interface (port chosen by the system); posts one activity to
/// it over loopback and returns the status and body.
async fn post_to_a_server_on_every_interface(
    adapter: CloudAdapter,
    bot: Arc<Counter>,
    service_url: &str,
) -> (u16, Value) {
    let server = hosting::Server::bind("0.0.0.0:0").await.unwrap();
    let port = server.local_addr().port();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(
        server
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .serve(hosting::router(adapter, bot)),
    );
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/messages"))
        .json(&activity(service_url))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let body = answer.json::<Value>().await.unwrap_or(Value::Null);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    (status, body)
}

#[tokio::test]
async fn serve_refuses_to_start_an_anonymous_bot_beyond_loopback() {
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let error = hosting::serve("0.0.0.0:0", adapter, Arc::new(Counter::default()))
        .await
        .unwrap_err();
    let ConnectorError::Setting { key, message } = &error else {
        panic!("expected a setting error, got {error:?}");
    };
    assert_eq!(*key, "MicrosoftAppId");
    assert!(
        message.contains("beyond loopback") && message.contains("AllowAnonymousBeyondLoopback"),
        "{message}"
    );
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    assert!(
        adapter
            .check_listen("127.0.0.1:3978".parse().unwrap())
            .is_ok()
    );
    assert!(adapter.check_listen("[::1]:3978".parse().unwrap()).is_ok());
    assert!(
        adapter
            .check_listen("192.168.1.20:3978".parse().unwrap())
            .is_err()
    );
    let authenticated = CloudAdapter::new(&BotConfig::new("app-id", "password")).unwrap();
    assert!(
        authenticated
            .check_listen("0.0.0.0:3978".parse().unwrap())
            .is_ok()
    );
}

#[tokio::test]
async fn the_route_of_an_anonymous_bot_beyond_loopback_answers_403_and_runs_no_turn() {
    let connector = Mock::connector().await;
    let bot = Arc::new(Counter::default());
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let (status, body) =
        post_to_a_server_on_every_interface(adapter, bot.clone(), &connector.url()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "Forbidden", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AllowAnonymousBeyondLoopback"),
        "{body}"
    );
    assert_eq!(bot.turns.load(Ordering::SeqCst), 0);
    assert!(connector.requests().is_empty());

    // Opted in, the same request runs its turn and the reply goes to the loopback connector.
    let adapter = CloudAdapter::new(&opted_in()).unwrap();
    let (status, body) =
        post_to_a_server_on_every_interface(adapter, bot.clone(), &connector.url()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(bot.turns.load(Ordering::SeqCst), 1);
    assert_eq!(connector.last().json()["text"], "hello");
}

#[tokio::test]
async fn an_opted_in_anonymous_bot_sends_only_to_loopback_and_trusted_hosts() {
    let adapter = CloudAdapter::new(&opted_in()).unwrap();
    let factory = adapter.connector_factory();
    // A host of the bot's network that a caller named: refused before anything is sent.
    let error = factory
        .client_for("http://10.255.255.1:9/")
        .unwrap()
        .conversations()
        .send_to_conversation("c1", &Activity::message("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::AnonymousUntrustedServiceUrl { host } if host == "10.255.255.1"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("only to loopback and trusted hosts"),
        "{error}"
    );

    // Loopback is fine.
    let connector = Mock::connector().await;
    factory
        .client_for(&connector.url())
        .unwrap()
        .conversations()
        .send_to_conversation("c1", &Activity::message("x"))
        .await
        .unwrap();
    assert_eq!(connector.requests().len(), 1);
}
