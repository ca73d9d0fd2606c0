//! `cargo run --example echo`, tested: the conversation of its opening comment with TestFlow,
//! and over HTTP, the example's bot served on a loopback port answering a channel (a mock Bot
//! Connector) and answering the `curl` request of `docs/getting-started.md` in the response.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

#[path = "../examples/echo/bot.rs"]
mod bot;
#[path = "../examples/common/mod.rs"]
#[allow(dead_code)] // the tests use the settings, not `serve`
mod common;
use botbuilder_test_support as support;

use std::collections::HashMap;
use std::sync::Arc;

use bot::{EchoBot, WELCOME};
use botbuilder::prelude::*;
use serde_json::{Value, json};
use support::Mock;
use tokio::sync::oneshot;

#[tokio::test(start_paused = true)]
async fn the_conversation_of_the_example() {
    TestFlow::new(TestAdapter::new(), EchoBot)
        .send_conversation_update()
        .assert_reply(WELCOME)
        .assert_no_reply()
        .test("hello", "Echo: hello")
        .test("is anybody there?", "Echo: is anybody there?")
        .await;
}

#[tokio::test(start_paused = true)]
async fn each_member_who_joins_is_welcomed_once() {
    let mut update = Activity::new(ActivityTypes::ConversationUpdate);
    update.members_added = Some(vec![
        ChannelAccount::new(TestAdapter::DEFAULT_BOT),
        ChannelAccount::new("ada"),
        ChannelAccount::new("grace"),
    ]);
    TestFlow::new(TestAdapter::new(), EchoBot)
        .send_activity(update)
        .assert_reply(WELCOME)
        .assert_reply(WELCOME)
        .assert_no_reply()
        .await;
}

/// The example's bot on a loopback port, with the example's settings.
struct Server {
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn start() -> Server {
    let values = HashMap::from([
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        ("PORT".to_owned(), "0".to_owned()),
    ]);
    let settings = common::Settings::from_values(values, BotConfig::anonymous()).unwrap();
    let adapter = CloudAdapter::new(&settings.bot).unwrap();
    let listener = tokio::net::TcpListener::bind(settings.address())
        .await
        .unwrap();
    let url = format!("http://{}/api/messages", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        botbuilder::hosting::serve_with_shutdown(
            listener,
            botbuilder::hosting::router(adapter, Arc::new(EchoBot)),
            async move {
                let _ = stopped.await;
            },
        )
        .await
        .unwrap();
    });
    Server { url, stop, task }
}

#[tokio::test]
async fn the_reply_reaches_the_channel_over_http() {
    let connector = Mock::connector().await;
    let server = start().await;
    let response = reqwest::Client::new()
        .post(&server.url)
        .json(&json!({
            "type": "message",
            "id": "m-1",
            "text": "hello",
            "channelId": "emulator",
            "serviceUrl": connector.url(),
            "conversation": {"id": "conversation-1"},
            "from": {"id": "user-1", "name": "Ada"},
            "recipient": {"id": "echo-bot"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(0));

    let reply = connector.last();
    assert_eq!(
        reply.path,
        "/v3/conversations/conversation-1/activities/m-1"
    );
    let body = reply.json();
    assert_eq!(body["type"], "message");
    assert_eq!(body["text"], "Echo: hello");
    assert_eq!(body["replyToId"], "m-1");
    assert_eq!(body["from"]["id"], "echo-bot");
    assert_eq!(body["recipient"]["id"], "user-1");
    assert_eq!(connector.requests().len(), 1);

    let _ = server.stop.send(());
    server.task.await.unwrap();
}

#[tokio::test]
async fn the_curl_request_of_the_guide_gets_its_replies_in_the_response() {
    let server = start().await;
    // The body of the `curl` command in docs/getting-started.md, as is.
    let body = r#"{"type":"message","text":"hello","channelId":"emulator","serviceUrl":"http://localhost","conversation":{"id":"c1"},"from":{"id":"u1"},"recipient":{"id":"bot"},"deliveryMode":"expectReplies"}"#;
    let response = reqwest::Client::new()
        .post(&server.url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer,
        json!({"activities": [{
            "type": "message",
            "text": "Echo: hello",
            "inputHint": "acceptingInput",
            "channelId": "emulator",
            "serviceUrl": "http://localhost",
            "conversation": {"id": "c1"},
            "from": {"id": "bot"},
            "recipient": {"id": "u1"},
        }]})
    );

    // A message missing what a turn needs is refused before the bot runs.
    let refused = reqwest::Client::new()
        .post(&server.url)
        .json(&json!({"type": "message", "text": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["code"], "BadRequest");

    let _ = server.stop.send(());
    server.task.await.unwrap();
}

/// The conversation at the top of `examples/echo/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let bot = EchoBot;
    let mut player = Player::new(TestAdapter::new(), include_str!("../examples/echo/main.rs"));
    while let Some(note) = player.run_until_note(&bot).await {
        match note.as_str() {
            "the user opens the chat" => player.join(&bot).await,
            other => panic!("a note the test does not play: {other}"),
        }
    }
}
