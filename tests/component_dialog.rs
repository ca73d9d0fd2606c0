//! The component dialog example (`examples/component_dialog`): a booking component with `help`
//! and `cancel` at every question, played with TestFlow, across a restart, and over HTTP.

#![allow(clippy::unwrap_used)]

#[path = "../examples/component_dialog/bot.rs"]
mod bot;

use botbuilder_test_support as support;

use std::sync::Arc;

use bot::{BookingBot, HELP};
use botbuilder::core::storage::MemoryStorage;
use botbuilder::prelude::*;
use botbuilder::schema::Timestamp;
use serde_json::json;

const TO: &str = "Where would you like to travel to?";
const FROM: &str = "Where are you traveling from?";
const WHEN: &str = "On what date would you like to travel?";
const WHEN_RETRY: &str = "Please give a day and a month, such as 12 December.";

fn bot(storage: &MemoryStorage) -> BookingBot {
    BookingBot::new(Arc::new(storage.clone()))
}

/// A message written on 30 November 2026 at 10:00 in the user's time zone.
fn on_nov_30(text: &str) -> Activity {
    Activity {
        local_timestamp: Some(Timestamp::parse("2026-11-30T10:00:00+01:00").unwrap()),
        ..Activity::message(text)
    }
}

fn confirm(to: &str, from: &str, on: &str) -> String {
    format!("Please confirm: to {to} from {from} on {on}. Is this correct? (1) Yes or (2) No")
}

#[tokio::test]
async fn a_booking_from_start_to_end() {
    TestFlow::new(TestAdapter::new(), bot(&MemoryStorage::new()))
        .test("hi", TO)
        .test("Paris", FROM)
        .test("London", WHEN)
        .send_activity(on_nov_30("at noon"))
        .assert_reply(WHEN_RETRY)
        .send_activity(on_nov_30("12 December"))
        .assert_reply(confirm("Paris", "London", "2026-12-12"))
        .test(
            "yes",
            "I have you booked to Paris from London on 2026-12-12.",
        )
        // Done: the next message starts a new booking.
        .test("hi", TO)
        .await;
}

#[tokio::test]
async fn what_the_first_message_says_is_not_asked() {
    TestFlow::new(TestAdapter::new(), bot(&MemoryStorage::new()))
        .test("book a flight to Rome from Oslo", WHEN)
        .send_activity(on_nov_30("tomorrow"))
        .assert_reply(confirm("Rome", "Oslo", "2026-12-01"))
        .test("no", "OK, I will not book it.")
        .test("fly to Lima", FROM)
        .await;
}

#[tokio::test]
async fn help_at_every_question_repeats_the_question() {
    TestFlow::new(TestAdapter::new(), bot(&MemoryStorage::new()))
        .test("hi", TO)
        .send("help")
        .assert_reply(HELP)
        .assert_reply(TO)
        .test("Paris", FROM)
        .send("?")
        .assert_reply(HELP)
        .assert_reply(FROM)
        .test("London", WHEN)
        .send("HELP")
        .assert_reply(HELP)
        .assert_reply(WHEN)
        .send_activity(on_nov_30("2026-12-24"))
        .assert_reply(confirm("Paris", "London", "2026-12-24"))
        .send("help")
        .assert_reply(HELP)
        .assert_reply(confirm("Paris", "London", "2026-12-24"))
        .test(
            "yes",
            "I have you booked to Paris from London on 2026-12-24.",
        )
        .await;
}

#[tokio::test]
async fn cancel_at_any_question_ends_the_booking() {
    for answers in [
        &[][..],
        &["Paris"][..],
        &["Paris", "London"][..],
        &["Paris", "London", "2026-12-24"][..],
    ] {
        let mut flow = TestFlow::new(TestAdapter::new(), bot(&MemoryStorage::new())).test("hi", TO);
        for answer in answers {
            flow = flow
                .send_activity(on_nov_30(answer))
                .assert_reply_that("the next question", |_| true);
        }
        flow.test("cancel", "Cancelling.")
            // Nothing is left on the stack: the next message starts over.
            .test("hi", TO)
            .await;
    }
}

#[tokio::test]
async fn a_restarted_bot_resumes_the_booking() {
    let storage = MemoryStorage::new();
    TestFlow::new(TestAdapter::new(), bot(&storage))
        .test("hi", TO)
        .test("Paris", FROM)
        .await;
    TestFlow::new(TestAdapter::new(), bot(&storage))
        .test("help", HELP)
        .assert_reply(FROM)
        .test("London", WHEN)
        .await;
}

#[tokio::test]
async fn over_http() {
    let connector = support::Mock::connector().await;
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/messages", listener.local_addr().unwrap());
    tokio::spawn(botbuilder::hosting::serve_with_shutdown(
        listener,
        botbuilder::hosting::router(adapter, Arc::new(bot(&MemoryStorage::new()))),
        std::future::pending::<()>(),
    ));
    let http = reqwest::Client::new();
    let mut texts = Vec::new();
    for (i, text) in ["fly to Paris", "help", "Oslo", "cancel"]
        .iter()
        .enumerate()
    {
        let before = connector.requests().len();
        let response = http
            .post(&url)
            .json(&json!({
                "type": "message", "id": format!("m{i}"), "text": text,
                "channelId": "webchat", "serviceUrl": connector.url(),
                "conversation": {"id": "conv-7"}, "locale": "en-US",
                "from": {"id": "user-1"}, "recipient": {"id": "bot"},
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        texts.extend(
            connector.requests()[before..]
                .iter()
                .map(|r| r.json()["text"].as_str().unwrap_or("").to_owned()),
        );
    }
    assert_eq!(texts, [FROM, HELP, FROM, WHEN, "Cancelling."]);
}

/// The conversation at the top of `examples/component_dialog/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let bot = bot(&MemoryStorage::new());
    let mut player = Player::new(
        TestAdapter::new(),
        include_str!("../examples/component_dialog/main.rs"),
    );
    // Dates are read against the message's local time, as the transcript was written.
    player.decorate = |activity| Activity {
        local_timestamp: Some(Timestamp::parse("2026-11-30T10:00:00+01:00").unwrap()),
        ..activity
    };
    if let Some(note) = player.run_until_note(&bot).await {
        panic!("a note the test does not play: {note}");
    }
}
