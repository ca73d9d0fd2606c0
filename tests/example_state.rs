//! `cargo run --example state`, tested with TestFlow: the conversation of its opening comment,
//! a name known in another conversation and after a restart, a count per conversation, and
//! state stored under BotBuilder's keys in BotBuilder's shape.

#![allow(clippy::unwrap_used)]

#[path = "../examples/state/bot.rs"]
mod bot;

use std::sync::Arc;

use bot::{StateBot, WELCOME};
use botbuilder::core::storage::{MemoryStorage, Storage};
use botbuilder::prelude::*;
use serde_json::json;

fn flow(storage: &MemoryStorage) -> TestFlow {
    let bot = StateBot::new(Arc::new(storage.clone()));
    let adapter = TestAdapter::new().with_middleware(bot.auto_save());
    TestFlow::new(adapter, bot)
}

#[tokio::test(start_paused = true)]
async fn the_conversation_of_the_example() {
    let storage = MemoryStorage::new();
    flow(&storage)
        .send_conversation_update()
        .assert_reply(WELCOME)
        .test("hi", "Hello! What is your name?")
        .test(
            "I'm Ada",
            "Nice to meet you, Ada. I will remember your name in every conversation with me.",
        )
        .test(
            "how are you?",
            "Ada, this is message 3 of this conversation. You said: how are you?",
        )
        .in_conversation("another")
        .test(
            "hello again",
            "Ada, this is message 1 of this conversation. You said: hello again",
        )
        .test("forget me", "Done: I have forgotten your name.")
        .test("hi", "Hello! What is your name?")
        .await;
}

#[tokio::test(start_paused = true)]
async fn state_survives_a_restart_and_is_stored_as_botbuilder_stores_it() {
    let storage = MemoryStorage::new();
    flow(&storage)
        .test("hi", "Hello! What is your name?")
        .test("  ", "Sorry, I did not catch that. What is your name?")
        .test(
            "My name is Grace.",
            "Nice to meet you, Grace. I will remember your name in every conversation with me.",
        )
        .await;

    let items = storage
        .read(&["test/users/user1", "test/conversations/convo1"])
        .await
        .unwrap();
    let user = &items["test/users/user1"];
    assert_eq!(user["UserProfile"], json!({"name": "Grace"}));
    assert!(user["eTag"].is_string());
    let conversation = &items["test/conversations/convo1"];
    assert_eq!(conversation["ConversationData"], json!({"messages": 3}));
    // The question was answered: the flag is gone from private conversation state.
    let private = storage
        .read(&["test/conversations/convo1/users/user1"])
        .await
        .unwrap();
    assert_eq!(
        private["test/conversations/convo1/users/user1"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["eTag"]
    );

    // A new bot on the same store: what a restart is.
    flow(&storage)
        .test(
            "still there?",
            "Grace, this is message 4 of this conversation. You said: still there?",
        )
        .await;
}

#[tokio::test(start_paused = true)]
async fn users_in_one_conversation_share_the_count_not_the_name() {
    let storage = MemoryStorage::new();
    flow(&storage)
        .in_conversation("group")
        .from_user(ChannelAccount::new("ada"))
        .test("hi", "Hello! What is your name?")
        .test(
            "Ada",
            "Nice to meet you, Ada. I will remember your name in every conversation with me.",
        )
        .from_user(ChannelAccount::new("alan"))
        // The bot asked Ada, not Alan: Alan is asked in turn.
        .test("Alan here", "Hello! What is your name?")
        .from_user(ChannelAccount::new("ada"))
        .test(
            "and now?",
            "Ada, this is message 4 of this conversation. You said: and now?",
        )
        .from_user(ChannelAccount::new("alan"))
        .test(
            "Alan",
            "Nice to meet you, Alan. I will remember your name in every conversation with me.",
        )
        .await;
}

/// The conversation at the top of `examples/state/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let storage = MemoryStorage::new();
    let bot = StateBot::new(Arc::new(storage.clone()));
    let adapter = TestAdapter::new().with_middleware(bot.auto_save());
    let mut player = Player::new(adapter, include_str!("../examples/state/main.rs"));
    while let Some(note) = player.run_until_note(&bot).await {
        match note.as_str() {
            "a new conversation with the same user, or the bot restarted" => {
                player.set_conversation("conv-2");
            }
            other => panic!("a note the test does not play: {other}"),
        }
    }
}
