//! The multi-turn prompt example (`examples/multi_turn_prompt`): the whole profile
//! conversation (transport, name, age or not, confirmation), answers in any case and in words,
//! re-asked questions, buttons on Web Chat, resuming at the same question after a restart, and
//! the conversation over HTTP.

#![allow(clippy::unwrap_used)]

#[path = "../examples/multi_turn_prompt/bot.rs"]
mod bot;

use botbuilder_test_support as support;

#[path = "../examples/common/mod.rs"]
#[allow(dead_code)] // the tests use the settings, not `Host`
mod common;

use std::sync::Arc;

use bot::{MultiTurnBot, UserProfile};
use botbuilder::core::storage::{MemoryStorage, Storage};
use botbuilder::prelude::*;
use serde_json::json;

const TRANSPORT: &str = "Please choose your mode of transport. (1) Car, (2) Bus, or (3) Bicycle";
const TRANSPORT_RETRY: &str =
    "Sorry, I did not get that. Please choose one of these. (1) Car, (2) Bus, or (3) Bicycle";
const NAME: &str = "What is your name?";
const GIVE_AGE: &str = "Would you like to give your age? (1) Yes or (2) No";
const AGE: &str = "Please enter your age.";
const AGE_RETRY: &str = "Please enter your age as a number.";
const AGE_RANGE: &str = "Your age must be greater than 0 and less than 150.";
const IS_OK: &str = "Is this OK? (1) Yes or (2) No";

fn bot(storage: &MemoryStorage) -> MultiTurnBot {
    MultiTurnBot::new(Arc::new(storage.clone()))
}

async fn stored_profile(storage: &MemoryStorage) -> Option<UserProfile> {
    let key = "test/users/user1";
    let document = storage.read(&[key]).await.unwrap().remove(key)?;
    Some(serde_json::from_value(document.get("UserProfile")?.clone()).unwrap())
}

#[tokio::test]
async fn the_whole_conversation_with_an_age() {
    let storage = MemoryStorage::new();
    TestFlow::new(TestAdapter::new(), bot(&storage))
        .test("hi", TRANSPORT)
        .test("the bus", NAME)
        .send("Ada")
        .assert_reply("Thanks, Ada.")
        .assert_reply(GIVE_AGE)
        .test("sure", AGE)
        .test("200", AGE_RANGE)
        .test("0", AGE_RANGE)
        .test("-3", AGE_RANGE)
        .test("old enough", AGE_RETRY)
        .send("36")
        .assert_reply("I have your age as 36.")
        .assert_reply(IS_OK)
        .test(
            "yes",
            "I have your mode of transport as Bus, your name as Ada and your age as 36.",
        )
        // The dialog ended; the next message starts it again.
        .test("hello again", TRANSPORT)
        .await;
    assert_eq!(
        stored_profile(&storage).await,
        Some(UserProfile {
            transport: "Bus".into(),
            name: "Ada".into(),
            age: Some(36),
        })
    );
}

#[tokio::test]
async fn without_an_age() {
    let storage = MemoryStorage::new();
    TestFlow::new(TestAdapter::new(), bot(&storage))
        .test("hi", TRANSPORT)
        .test("car please", NAME)
        .send("Grace")
        .assert_reply("Thanks, Grace.")
        .assert_reply(GIVE_AGE)
        .send("nope")
        .assert_reply("No age given.")
        .assert_reply(IS_OK)
        .test(
            "ok",
            "I have your mode of transport as Car and your name as Grace.",
        )
        .await;
    let profile = stored_profile(&storage).await.unwrap();
    assert_eq!(profile.age, None);
    assert_eq!(profile.transport, "Car");
}

#[tokio::test]
async fn declining_keeps_nothing() {
    let storage = MemoryStorage::new();
    TestFlow::new(TestAdapter::new(), bot(&storage))
        .test("hi", TRANSPORT)
        .test("3", NAME)
        .send("Linus")
        .assert_reply("Thanks, Linus.")
        .assert_reply(GIVE_AGE)
        .send("n")
        .assert_reply("No age given.")
        .assert_reply(IS_OK)
        .test("no", "Thanks. Your profile will not be kept.")
        .test("hi", TRANSPORT)
        .await;
    assert_eq!(stored_profile(&storage).await, None);
}

#[tokio::test]
async fn transport_by_text_in_any_case_number_and_phrase_else_asked_again() {
    for (answer, transport) in [
        ("Car", "Car"),
        ("BUS", "Bus"),
        ("bicycle", "Bicycle"),
        ("2", "Bus"),
        ("1", "Car"),
        ("the bus", "Bus"),
        ("car please", "Car"),
        ("I'd rather take my bicycle", "Bicycle"),
    ] {
        let storage = MemoryStorage::new();
        TestFlow::new(TestAdapter::new(), bot(&storage))
            .test("hi", TRANSPORT)
            .test(answer, NAME)
            .send("Ada")
            .assert_reply("Thanks, Ada.")
            .assert_reply(GIVE_AGE)
            .send("no")
            .assert_reply("No age given.")
            .assert_reply(IS_OK)
            .test(
                "yes",
                format!("I have your mode of transport as {transport} and your name as Ada."),
            )
            .await;
    }
    TestFlow::new(TestAdapter::new(), bot(&MemoryStorage::new()))
        .test("hi", TRANSPORT)
        .test("by plane", TRANSPORT_RETRY)
        .test("4", TRANSPORT_RETRY)
        .test("walking", TRANSPORT_RETRY)
        .test("bus", NAME)
        .await;
}

#[tokio::test]
async fn yes_no_synonyms_and_ages_in_words() {
    TestFlow::new(TestAdapter::new(), bot(&MemoryStorage::new()))
        .test("hi", TRANSPORT)
        .test("bus", NAME)
        .send("Ada")
        .assert_reply("Thanks, Ada.")
        .assert_reply(GIVE_AGE)
        .test("maybe", GIVE_AGE)
        .test("y", AGE)
        .send("forty two")
        .assert_reply("I have your age as 42.")
        .assert_reply(IS_OK)
        .test("hmm", IS_OK)
        .test(
            "yes",
            "I have your mode of transport as Bus, your name as Ada and your age as 42.",
        )
        .await;
}

#[tokio::test]
async fn a_restarted_bot_resumes_at_the_same_question() {
    let storage = MemoryStorage::new();
    TestFlow::new(TestAdapter::new(), bot(&storage))
        .test("hi", TRANSPORT)
        .test("bicycle", NAME)
        .send("Ada")
        .assert_reply("Thanks, Ada.")
        .assert_reply(GIVE_AGE)
        .test("yes", AGE)
        .await;
    // A new bot (new dialogs, new state objects) over the same store.
    TestFlow::new(TestAdapter::new(), bot(&storage))
        .test("500", AGE_RANGE)
        .send("29")
        .assert_reply("I have your age as 29.")
        .assert_reply(IS_OK)
        .test(
            "yes",
            "I have your mode of transport as Bicycle, your name as Ada and your age as 29.",
        )
        .await;
}

#[tokio::test]
async fn a_restart_on_the_examples_durable_store_resumes_at_the_same_question() {
    let dir = std::env::temp_dir().join(format!(
        "botbuilder-multi-turn-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    // The example's own settings pick the store: SQLite in BOT_STATE_DIR.
    let values =
        std::collections::HashMap::from([("BOT_STATE_DIR".to_owned(), dir.display().to_string())]);
    let settings = common::Settings::from_values(values, BotConfig::anonymous()).unwrap();
    let storage_url = settings.storage_url("multi-turn-prompt.db");
    assert!(storage_url.starts_with("sqlite:"), "{storage_url}");
    {
        let storage = botbuilder::storage::open(&storage_url).await.unwrap();
        TestFlow::new(TestAdapter::new(), MultiTurnBot::new(storage))
            .test("hi", TRANSPORT)
            .test("bus", NAME)
            .await;
    }
    let storage = botbuilder::storage::open(&storage_url).await.unwrap();
    TestFlow::new(TestAdapter::new(), MultiTurnBot::new(storage))
        .send("Ada")
        .assert_reply("Thanks, Ada.")
        .assert_reply(GIVE_AGE)
        .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_example_is_served_like_the_flagship() {
    use std::collections::HashMap;
    let anonymous = BotConfig::anonymous();
    let settings = common::Settings::from_values(HashMap::new(), anonymous.clone()).unwrap();
    assert_eq!(settings.address().to_string(), "127.0.0.1:3978");
    assert_eq!(
        settings.storage_url("x.db"),
        format!(
            "sqlite:{}",
            std::path::Path::new(".").join("x.db").display()
        )
    );
    let values = HashMap::from([
        ("PORT".to_owned(), "4000".to_owned()),
        ("HOST".to_owned(), "0.0.0.0".to_owned()),
        (
            "BOT_STORAGE".to_owned(),
            "redis://:secret@cache:6379".to_owned(),
        ),
    ]);
    let settings = common::Settings::from_values(values, anonymous.clone()).unwrap();
    assert_eq!(settings.address().to_string(), "0.0.0.0:4000");
    assert_eq!(
        common::describe_store(&settings.storage_url("x.db")),
        "redis://:***@cache:6379"
    );
    let bad = HashMap::from([("PORT".to_owned(), "eighty".to_owned())]);
    let error = common::Settings::from_values(bad, anonymous).err().unwrap();
    assert!(error.to_string().contains("`PORT`"), "{error}");
}

#[tokio::test]
async fn web_chat_shows_the_choices_as_buttons() {
    let mut template = TestAdapter::new().template().clone();
    template.channel_id = Some(ChannelId::Webchat);
    TestFlow::new(
        TestAdapter::with_template(template),
        bot(&MemoryStorage::new()),
    )
    .send("hi")
    .assert_reply_that("three suggested actions", |a| {
        a.text() == "Please choose your mode of transport."
            && a.suggested_actions.as_ref().is_some_and(|s| {
                s.actions
                    == [
                        CardAction::im_back("Car"),
                        CardAction::im_back("Bus"),
                        CardAction::im_back("Bicycle"),
                    ]
            })
    })
    .test("Bicycle", NAME)
    .await;
}

#[tokio::test]
async fn over_http() {
    let connector = support::Mock::connector().await;
    let storage = MemoryStorage::new();
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/messages", listener.local_addr().unwrap());
    tokio::spawn(botbuilder::hosting::serve_with_shutdown(
        listener,
        botbuilder::hosting::router(adapter, Arc::new(bot(&storage))),
        std::future::pending::<()>(),
    ));
    let http = reqwest::Client::new();
    let mut texts = Vec::new();
    for (i, text) in ["hi", "bus", "Ada", "yes", "36", "yes"].iter().enumerate() {
        let before = connector.requests().len();
        let status = http
            .post(&url)
            .json(&json!({
                "type": "message", "id": format!("m{i}"), "text": text,
                "channelId": "emulator", "serviceUrl": connector.url(),
                "conversation": {"id": "conv-1"}, "locale": "en-US",
                "from": {"id": "user-1", "name": "Ada"}, "recipient": {"id": "bot"},
            }))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        for request in &connector.requests()[before..] {
            assert_eq!(
                request.path,
                format!("/v3/conversations/conv-1/activities/m{i}")
            );
            texts.push(request.json()["text"].as_str().unwrap_or("").to_owned());
        }
    }
    assert_eq!(
        texts,
        [
            "Please choose your mode of transport.", // buttons in the Emulator
            NAME,
            "Thanks, Ada.",
            GIVE_AGE.trim_end_matches(" (1) Yes or (2) No"),
            AGE,
            "I have your age as 36.",
            IS_OK.trim_end_matches(" (1) Yes or (2) No"),
            "I have your mode of transport as Bus, your name as Ada and your age as 36.",
        ]
    );
    let key = "emulator/users/user-1";
    let profile = storage.read(&[key]).await.unwrap().remove(key).unwrap();
    assert_eq!(
        profile["UserProfile"],
        json!({"transport": "Bus", "name": "Ada", "age": 36})
    );
}

/// The conversation at the top of `examples/multi_turn_prompt/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let storage = MemoryStorage::new();
    let bot = bot(&storage);
    let mut player = Player::new(
        TestAdapter::new(),
        include_str!("../examples/multi_turn_prompt/main.rs"),
    );
    if let Some(note) = player.run_until_note(&bot).await {
        panic!("a note the test does not play: {note}");
    }
}
