//! Streamed answers end to end: a bot's `StreamingResponse` run by the `CloudAdapter`, its
//! activities arriving at a loopback mock Bot Connector. The exact activities for Teams,
//! Direct Line and a channel that does not stream (order, stream id, sequence numbers,
//! entities), the throttle timing on a paused clock, a channel that stops the stream midway,
//! and a 40-second answer finished in a proactive continuation after a quick acknowledgement.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use botbuilder::core::schema::ai::{Citation, SensitivityLabel};
use botbuilder::core::send_hook;
use botbuilder::core::streaming::{StreamingResponse, finish_in_background};
use botbuilder::prelude::*;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::time::Instant;

use support::{Mock, Reply};

/// An answer as a model would produce it: `(delay before, chunk)`.
type Plan = Vec<(u64, &'static str)>;

fn plan() -> Plan {
    vec![
        (100, "Rust "),
        (300, "values "),
        (300, "have "),
        (300, "one "),
        (300, "owner "),
        (300, "at "),
        (300, "a "),
        (300, "time "),
        (300, "[1]."),
    ]
}

fn chunks(plan: Plan) -> impl futures::Stream<Item = Result<&'static str, std::io::Error>> {
    futures::stream::iter(plan).then(|(delay, chunk)| async move {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Ok(chunk)
    })
}

/// What the bot saw: each send with its (paused-clock) time since the turn began, and the
/// result of the stream.
#[derive(Clone, Default)]
struct Seen {
    sends: Arc<Mutex<Vec<(Duration, Activity)>>>,
    outcome: Arc<Mutex<Option<String>>>,
}

impl Seen {
    fn gaps(&self) -> Vec<Duration> {
        let sends = self.sends.lock().unwrap();
        sends.windows(2).map(|w| w[1].0 - w[0].0).collect()
    }
}

fn streaming_bot(plan: Plan, seen: Seen) -> impl Bot {
    bot_fn(async move |ctx: &mut TurnContext| {
        let start = Instant::now();
        let sends = seen.sends.clone();
        ctx.on_send_activities(send_hook(async move |_ctx, activities, next| {
            for a in &activities {
                sends.lock().unwrap().push((start.elapsed(), a.clone()));
            }
            next.run(activities).await
        }));
        let mut stream = StreamingResponse::new(ctx)
            .with_generated_by_ai_label(true)
            .with_feedback_loop(true)
            .with_sensitivity_label(SensitivityLabel::new("General", "Anyone may read it"));
        stream.add_citation(
            Citation::new("The Rust Book", "Each value in Rust has an owner.")
                .with_url("https://doc.rust-lang.org/book/ch04-01-what-is-ownership.html"),
        );
        let outcome = async {
            stream.queue_informative_update("Reading the book…").await?;
            stream.stream_text(chunks(plan.clone())).await?;
            stream.end_stream().await
        }
        .await;
        *seen.outcome.lock().unwrap() = Some(match &outcome {
            Ok(sent) => format!("sent {}", sent.id),
            Err(botbuilder::core::Error::StreamStopped { reason, .. }) => {
                // The stream is over; ending it says the same and sends nothing more, or
                // (not cancelled by the user) sends the answer as a plain message.
                match stream.end_stream().await {
                    Ok(sent) => format!("stopped ({reason:?}), then sent {}", sent.id),
                    Err(e) => format!("stopped ({reason:?}), then: {e}"),
                }
            }
            Err(e) => format!("error: {e}"),
        });
        Ok(())
    })
}

fn incoming(connector: &Mock, channel: &str, conversation_type: Option<&str>) -> Vec<u8> {
    let mut conversation = json!({"id": "conv-1"});
    if let Some(t) = conversation_type {
        conversation["conversationType"] = json!(t);
    }
    serde_json::to_vec(&json!({
        "type": "message",
        "id": "msg-1",
        "channelId": channel,
        "serviceUrl": connector.url(),
        "from": {"id": "user-1", "name": "Ada"},
        "recipient": {"id": "bot-1", "name": "Bot"},
        "conversation": conversation,
        "text": "who owns a value?"
    }))
    .unwrap()
}

fn adapter() -> CloudAdapter {
    // No request timeout: on the paused clock it would fire while a request waits on the
    // loopback socket.
    CloudAdapter::builder(BotConfig::anonymous())
        .http_client(reqwest::Client::new())
        .build()
        .unwrap()
}

async fn run(channel: &str, conversation_type: Option<&str>, connector: &Mock) -> Seen {
    let seen = Seen::default();
    let bot = streaming_bot(plan(), seen.clone());
    let response = adapter()
        .process(None, &incoming(connector, channel, conversation_type), &bot)
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    seen
}

fn entity<'a>(activity: &'a Value, entity_type: &str) -> Option<&'a Value> {
    activity["entities"]
        .as_array()?
        .iter()
        .find(|e| e["type"] == entity_type)
}

/// The `(type, streamType, streamSequence, streamId, text)` of each request.
fn summary(connector: &Mock) -> Vec<(String, Value, Value, Value, String)> {
    connector
        .requests()
        .iter()
        .map(|r| {
            let a = r.json();
            let info = entity(&a, "streaminfo").cloned().unwrap_or(Value::Null);
            (
                a["type"].as_str().unwrap().to_owned(),
                info["streamType"].clone(),
                info["streamSequence"].clone(),
                info["streamId"].clone(),
                a["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn check_final(last: &Value) {
    assert_eq!(last["type"], "message");
    assert_eq!(last["text"], "Rust values have one owner at a time [1].");
    assert_eq!(last["channelData"]["feedbackLoopEnabled"], true);
    let message = entity(last, "https://schema.org/Message").expect("the AI entity");
    assert_eq!(message["@type"], "Message");
    assert_eq!(message["@context"], "https://schema.org");
    assert_eq!(message["additionalType"], json!(["AIGeneratedContent"]));
    assert_eq!(message["usageInfo"]["name"], "General");
    assert_eq!(message["citation"][0]["position"], 1);
    assert_eq!(
        message["citation"][0]["appearance"]["name"],
        "The Rust Book"
    );
    assert_eq!(
        message["citation"][0]["appearance"]["url"],
        "https://doc.rust-lang.org/book/ch04-01-what-is-ownership.html"
    );
}

#[tokio::test(start_paused = true)]
async fn teams_gets_typing_updates_a_second_apart_then_one_final_message() {
    let connector = Mock::connector().await;
    let seen = run("msteams", Some("personal"), &connector).await;
    let requests = connector.requests();
    let s = summary(&connector);

    // The informative update first, without a stream id; its id (`id-1`) names the stream.
    assert_eq!(
        s[0],
        (
            "typing".into(),
            json!("informative"),
            json!(1),
            Value::Null,
            "Reading the book…".into()
        )
    );
    // Then the text as it grows, numbered on, each one carrying all of the text so far.
    let updates = &s[1..s.len() - 1];
    assert!(updates.len() >= 2, "{s:#?}");
    for (i, (kind, stream_type, sequence, id, _)) in updates.iter().enumerate() {
        assert_eq!(kind, "typing");
        assert_eq!(stream_type, "streaming");
        assert_eq!(sequence, &json!(i + 2));
        assert_eq!(id, "id-1");
    }
    let texts: Vec<&str> = updates.iter().map(|u| u.4.as_str()).collect();
    for pair in texts.windows(2) {
        assert!(
            pair[1].starts_with(pair[0]) && pair[1].len() > pair[0].len(),
            "{texts:?}"
        );
    }
    // Chunks arriving between two updates went out together: fewer updates than chunks.
    assert!(updates.len() < plan().len(), "{texts:?}");
    // Last, exactly one final message: streamType final, no sequence number.
    let last = s.last().unwrap();
    assert_eq!(
        (&last.0[..], &last.1, &last.2, &last.3),
        ("message", &json!("final"), &Value::Null, &json!("id-1"))
    );
    assert_eq!(s.iter().filter(|r| r.1 == "final").count(), 1);
    check_final(&requests.last().unwrap().json());
    // The update that is still streaming lists only the citations its text uses.
    for r in &requests[1..requests.len() - 1] {
        let a = r.json();
        let uses = a["text"].as_str().unwrap().contains("[1]");
        assert_eq!(entity(&a, "https://schema.org/Message").is_some(), uses);
    }
    // The same stream fields in `channelData` (where Web Chat before 4.19 reads them).
    for r in &requests {
        let a = r.json();
        let info = entity(&a, "streaminfo").unwrap();
        for field in ["streamId", "streamType", "streamSequence"] {
            assert_eq!(a["channelData"][field], info[field], "{field} of {a}");
        }
    }
    // All replies to the user's message, in this conversation.
    for r in &requests {
        assert_eq!(r.path, "/v3/conversations/conv-1/activities/msg-1");
    }
    // Never faster than one a second (on the paused clock, so exactly measured).
    let gaps = seen.gaps();
    assert!(
        gaps.iter().all(|g| *g >= Duration::from_secs(1)),
        "{gaps:?}"
    );
    assert_eq!(
        seen.outcome.lock().unwrap().as_deref(),
        Some(format!("sent id-{}", requests.len()).as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn direct_line_gets_updates_half_a_second_apart() {
    let connector = Mock::connector().await;
    let seen = run("directline", None, &connector).await;
    let s = summary(&connector);
    let gaps = seen.gaps();
    assert!(
        gaps.iter().all(|g| *g >= Duration::from_millis(500)),
        "{gaps:?}"
    );
    // Faster than Teams: more updates for the same answer.
    assert!(s.len() >= 5, "{s:#?}");
    assert_eq!(s[0].1, "informative");
    assert!(s[1..s.len() - 1].iter().all(|u| u.1 == "streaming"));
    let sequences: Vec<Value> = s[..s.len() - 1].iter().map(|u| u.2.clone()).collect();
    let expected: Vec<Value> = (1..s.len()).map(|n| json!(n)).collect();
    assert_eq!(sequences, expected);
    assert_eq!(s.last().unwrap().1, "final");
    check_final(&connector.last().json());
}

#[tokio::test(start_paused = true)]
async fn a_channel_that_does_not_stream_gets_only_the_final_message() {
    for (channel, conversation_type) in [("slack", None), ("msteams", Some("groupChat"))] {
        let connector = Mock::connector().await;
        let seen = run(channel, conversation_type, &connector).await;
        let requests = connector.requests();
        assert_eq!(requests.len(), 1, "{channel}: {:#?}", summary(&connector));
        let last = requests[0].json();
        assert!(entity(&last, "streaminfo").is_none());
        check_final(&last);
        assert_eq!(seen.outcome.lock().unwrap().as_deref(), Some("sent id-1"));
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_the_user_stops_ends_cleanly_with_a_typed_error() {
    let connector = Mock::connector().await;
    let path = "/v3/conversations/conv-1/activities/msg-1";
    connector.script(
        axum::http::Method::POST,
        path,
        Reply::json(200, json!({"id": "s-1"})),
    );
    connector.script(
        axum::http::Method::POST,
        path,
        Reply::json(200, json!({"id": "x"})),
    );
    connector.script(
        axum::http::Method::POST,
        path,
        Reply::json(
            403,
            json!({"error": {"code": "ContentStreamNotAllowed", "message": "Content stream was cancelled by user."}}),
        ),
    );
    let seen = run("msteams", Some("personal"), &connector).await;
    // The refused third update was the last request: no final message, no retry.
    assert_eq!(connector.requests().len(), 3, "{:#?}", summary(&connector));
    assert_eq!(
        seen.outcome.lock().unwrap().as_deref(),
        Some(
            "stopped (UserCancelled), then: the streamed answer was stopped: the user cancelled it"
        )
    );
    assert_eq!(summary(&connector)[1].3, "s-1");
}

#[tokio::test(start_paused = true)]
async fn a_stream_teams_does_not_allow_ends_with_the_whole_answer_as_a_plain_message() {
    let connector = Mock::connector().await;
    let path = "/v3/conversations/conv-1/activities/msg-1";
    connector.script(
        axum::http::Method::POST,
        path,
        Reply::json(200, json!({"id": "s-1"})),
    );
    connector.script(
        axum::http::Method::POST,
        path,
        Reply::json(
            403,
            json!({"error": {"code": "ContentStreamNotAllowed", "message": "Content stream is not allowed."}}),
        ),
    );
    let seen = run("msteams", Some("personal"), &connector).await;
    let s = summary(&connector);
    // The informative update, the refused first text update, then no more updates: the
    // whole answer (read to its end) as a plain message.
    assert_eq!(s.len(), 3, "{s:#?}");
    assert_eq!(
        (&s[0].1, &s[1].1),
        (&json!("informative"), &json!("streaming"))
    );
    let last = connector.last().json();
    assert!(entity(&last, "streaminfo").is_none());
    check_final(&last);
    assert_eq!(
        seen.outcome.lock().unwrap().as_deref(),
        Some("stopped (NotAllowed), then sent id-3")
    );
}

/// The task finishing an answer in the background.
type Background = tokio::task::JoinHandle<Result<(), botbuilder::core::Error>>;

#[tokio::test(start_paused = true)]
async fn a_forty_second_answer_is_acknowledged_at_once_and_finished_proactively() {
    let connector = Mock::connector().await;
    let seen = Seen::default();
    let background: Arc<Mutex<Option<Background>>> = Arc::default();
    let handle = background.clone();
    let outcome = seen.outcome.clone();
    let bot = bot_fn(async move |ctx: &mut TurnContext| {
        let question = ctx.activity().text().to_owned();
        ctx.send_activity("Let me look into that…").await?;
        let outcome = outcome.clone();
        let task = finish_in_background(ctx, async move |ctx| {
            let mut stream = StreamingResponse::new(ctx);
            // The model takes 40 s before it says anything.
            tokio::time::sleep(Duration::from_secs(40)).await;
            stream
                .queue_text_chunk(&format!("About \"{question}\": "))
                .await?;
            stream.queue_text_chunk("each value has one owner.").await?;
            let sent = stream.end_stream().await?;
            *outcome.lock().unwrap() = Some(sent.id);
            Ok(())
        });
        *handle.lock().unwrap() = Some(task);
        Ok(())
    });
    let adapter = adapter();
    let start = Instant::now();
    let response = adapter
        .process(
            None,
            &incoming(&connector, "msteams", Some("personal")),
            &bot,
        )
        .await;
    // The channel's request is answered at once: Teams does not send it again.
    assert_eq!(response.status, 200);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(connector.requests().len(), 1);
    let task = background.lock().unwrap().take().unwrap();
    task.await.unwrap().unwrap();
    assert!(start.elapsed() >= Duration::from_secs(40));
    let requests = connector.requests();
    let texts: Vec<String> = requests
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap().to_owned())
        .collect();
    // Not lost: streamed in the same conversation, ending in one final message.
    assert_eq!(texts[0], "Let me look into that…");
    assert_eq!(
        texts.last().unwrap(),
        "About \"who owns a value?\": each value has one owner."
    );
    let last = requests.last().unwrap();
    assert_eq!(last.path, "/v3/conversations/conv-1/activities");
    assert_eq!(
        entity(&last.json(), "streaminfo").unwrap()["streamType"],
        "final"
    );
    assert_eq!(
        seen.outcome.lock().unwrap().as_deref(),
        Some(format!("id-{}", requests.len()).as_str())
    );
}
