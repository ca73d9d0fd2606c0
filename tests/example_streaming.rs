//! `cargo run --example streaming`: its model clients against local stand-ins. An
//! OpenAI-compatible endpoint streaming server-sent events (split at awkward places) whose
//! answer reaches the channel as a streamed answer with its citations; one whose connection
//! drops mid-answer (what came is kept, and the answer says it was cut off); the SSE reader's
//! line handling; and the local generator's answer on a channel that does not stream.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

#[path = "../examples/streaming/bot.rs"]
#[allow(dead_code)]
mod bot;
#[path = "../examples/streaming/model.rs"]
#[allow(dead_code)]
mod model;

use botbuilder_test_support as support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::routing::post;
use botbuilder::prelude::*;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use model::{Model, SseLines};
use support::Mock;

/// The events of a streamed chat completion saying "Streams grow [1].", as bytes split at
/// awkward places: inside a line, inside a multi-byte character, between CR and LF.
fn completion_pieces() -> Vec<Vec<u8>> {
    let delta = |text: &str| {
        format!(
            "data: {}\r\n\r\n",
            json!({"choices": [{"index": 0, "delta": {"content": text}}]})
        )
    };
    let mut body = String::from(": keep-alive comment\r\n\r\n");
    body.push_str(&format!(
        "data: {}\n\n",
        json!({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
    ));
    for text in ["Streams ", "grow ", "— ", "word ", "by ", "word [1]."] {
        body.push_str(&delta(text));
    }
    body.push_str("data: [DONE]\n\n");
    let bytes = body.into_bytes();
    // Pieces of 7 bytes: every boundary case above happens somewhere.
    bytes.chunks(7).map(<[u8]>::to_vec).collect()
}

#[derive(Clone, Default)]
struct Seen {
    requests: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

/// An OpenAI-compatible endpoint on 127.0.0.1 answering every completion with
/// [`completion_pieces`], 30 ms apart.
async fn model_endpoint() -> (String, Seen) {
    let seen = Seen::default();
    let recorded = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(async move |headers: HeaderMap, body: Bytes| {
            let json: Value = serde_json::from_slice(&body).unwrap();
            recorded.requests.lock().unwrap().push((headers, json));
            let pieces = futures::stream::iter(completion_pieces()).then(|piece| async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                Ok::<_, std::io::Error>(Bytes::from(piece))
            });
            axum::response::Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(pieces))
                .unwrap()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn openai(base_url: &str) -> Model {
    Model::from_settings(|key| match key {
        "OPENAI_BASE_URL" => Some(base_url.to_owned()),
        "OPENAI_API_KEY" => Some("sk-test-key".to_owned()),
        "OPENAI_MODEL" => Some("tiny-model".to_owned()),
        _ => None,
    })
}

/// Runs one message turn of the assistant on `channel` through the CloudAdapter, its
/// replies going to a mock connector; returns the JSON of every activity sent.
async fn ask(model: Model, channel: &str, question: &str) -> Vec<Value> {
    let connector = Mock::connector().await;
    // No request timeout: on a paused clock it would fire while a request waits on the
    // loopback socket.
    let adapter = CloudAdapter::builder(BotConfig::anonymous())
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let bot = bot::AssistantBot::new(model);
    let body = json!({
        "type": "message", "id": "msg-1", "channelId": channel, "serviceUrl": connector.url(),
        "from": {"id": "user-1"}, "recipient": {"id": "bot-1"},
        "conversation": {"id": "conv-1"}, "text": question,
    });
    let response = adapter
        .process(None, &serde_json::to_vec(&body).unwrap(), &bot)
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    connector.requests().iter().map(|r| r.json()).collect()
}

fn entity<'a>(activity: &'a Value, entity_type: &str) -> Option<&'a Value> {
    activity["entities"]
        .as_array()?
        .iter()
        .find(|e| e["type"] == entity_type)
}

#[tokio::test]
async fn an_openai_compatible_endpoint_streams_into_the_answer() {
    let (url, seen) = model_endpoint().await;
    let sent = ask(openai(&url), "webchat", "how does streaming work?").await;

    // The request: streamed, the model named, the key as a bearer token, the sources given.
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let (headers, request) = &requests[0];
    assert_eq!(request["model"], "tiny-model");
    assert_eq!(request["stream"], true);
    assert_eq!(headers["authorization"], "Bearer sk-test-key");
    assert!(
        request["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("[1] Streaming responses")
    );
    assert_eq!(
        request["messages"][1]["content"],
        "how does streaming work?"
    );

    // On the channel: the informative update, then the final message with the model's text
    // (the multi-byte dash intact) and its citation.
    assert_eq!(sent[0]["type"], "typing");
    assert_eq!(
        entity(&sent[0], "streaminfo").unwrap()["streamType"],
        "informative"
    );
    let last = sent.last().unwrap();
    assert_eq!(last["type"], "message");
    assert_eq!(last["text"], "Streams grow — word by word [1].");
    assert_eq!(entity(last, "streaminfo").unwrap()["streamType"], "final");
    let message = entity(last, "https://schema.org/Message").unwrap();
    assert_eq!(
        message["citation"][0]["appearance"]["name"],
        "Streaming responses"
    );
    assert_eq!(message["additionalType"], json!(["AIGeneratedContent"]));
    assert_eq!(last["channelData"]["feedbackLoopEnabled"], true);
    // Every update in between carries a longer start of the answer.
    let texts: Vec<&str> = sent[1..sent.len() - 1]
        .iter()
        .map(|a| a["text"].as_str().unwrap())
        .collect();
    for text in &texts {
        assert!(
            last["text"].as_str().unwrap().starts_with(text),
            "{texts:?}"
        );
    }
}

/// A model endpoint that sends two events of a chunked body and then closes the connection
/// without ending the body.
async fn dropping_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // Read the whole request: the headers, then `content-length` bytes of body.
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client closed before sending its request");
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request).to_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if request.len() >= end + 4 + length {
                    break;
                }
            }
        }
        let event = |text: &str| {
            let data = format!(
                "data: {}\n\n",
                json!({"choices": [{"delta": {"content": text}}]})
            );
            format!("{:x}\r\n{data}\r\n", data.len())
        };
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        socket
            .write_all(event("Streams ").as_bytes())
            .await
            .unwrap();
        socket.write_all(event("grow").as_bytes()).await.unwrap();
        socket.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Dropped here: no final chunk, no [DONE].
    });
    url
}

#[tokio::test]
async fn a_dropped_connection_mid_answer_keeps_what_came_and_says_so() {
    let url = dropping_endpoint().await;
    let sent = ask(openai(&url), "webchat", "how does streaming work?").await;
    let last = sent.last().unwrap();
    assert_eq!(last["type"], "message");
    assert_eq!(
        last["text"],
        "Streams grow\n\n(The answer was cut off: the model stopped responding.)"
    );
    // Still one final message ending the stream, with its sources.
    assert_eq!(entity(last, "streaminfo").unwrap()["streamType"], "final");
    assert_eq!(sent.iter().filter(|a| a["type"] == "message").count(), 1);
    assert!(entity(last, "https://schema.org/Message").is_some());
}

#[tokio::test]
async fn an_endpoint_that_refuses_gets_an_apology_not_a_failed_turn() {
    let endpoint =
        Mock::start(|_, _| support::Reply::json(401, json!({"error": {"message": "bad key"}})))
            .await;
    let sent = ask(openai(&format!("{}/v1", endpoint.url())), "slack", "state?").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["text"],
        "Sorry, the model could not answer just now."
    );
}

#[tokio::test(start_paused = true)]
async fn the_local_generator_answers_with_citations_on_a_channel_that_does_not_stream() {
    let local = Model::from_settings(|_| None);
    let sent = ask(local, "slack", "how is state kept?").await;
    assert_eq!(sent.len(), 1, "only the final message: {sent:#?}");
    let text = sent[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Here is what I found about \"how is state kept?\"."));
    assert!(text.contains("eTags") && text.ends_with("[1]."), "{text}");
    let message = entity(&sent[0], "https://schema.org/Message").unwrap();
    assert_eq!(message["citation"].as_array().unwrap().len(), 1);
    assert_eq!(message["citation"][0]["appearance"]["name"], "State");
}

#[test]
fn sse_lines_join_data_lines_and_skip_comments_and_other_fields() {
    let mut lines = SseLines::default();
    let mut events = Vec::new();
    for piece in [
        &b": comment\r\nevent: delta\r\nid: 7\r\ndata: first\r"[..],
        b"\ndata:second line\r\n\r",
        b"\ndata: \xE2\x80",
        b"\x94\n\nretry: 10\n\ndata\n\n",
    ] {
        events.extend(lines.push(piece));
    }
    assert_eq!(events, ["first\nsecond line", "—", ""]);
    // An event not ended by a blank line is not complete.
    assert!(lines.push(b"data: partial\n").is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use support::transcript::Player;
    let bot = bot::AssistantBot::new(Model::from_settings(|_| None));
    let mut player = Player::new(
        TestAdapter::new(),
        include_str!("../examples/streaming/main.rs"),
    );
    while let Some(note) = player.run_until_note(&bot).await {
        match note.as_str() {
            "the user opens the chat" => player.join(&bot).await,
            // What the test channel cannot show: it gets the final message only.
            n if n.starts_with("the answer grows word by word") => {}
            // The background task thinks 20 s (on the paused clock), then writes its answer.
            "20 seconds later, in a proactive turn" => {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            other => panic!("a note the test does not play: {other}"),
        }
    }
}
