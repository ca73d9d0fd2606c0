//! `cargo run --example welcome`, tested with TestFlow: the card the first time, "welcome back"
//! later, the card at the first message where no conversationUpdate came, and members added
//! by someone else.

#![allow(clippy::unwrap_used)]

#[path = "../examples/welcome/bot.rs"]
mod bot;

use std::sync::Arc;

use bot::{CARD_TITLE, WelcomeBot};
use botbuilder::core::storage::MemoryStorage;
use botbuilder::prelude::*;
use botbuilder::schema::HeroCard;

fn flow(storage: &MemoryStorage) -> TestFlow {
    let bot = WelcomeBot::new(Arc::new(storage.clone()));
    let adapter = TestAdapter::new().with_middleware(bot.auto_save());
    TestFlow::new(adapter, bot)
}

fn user(id: &str, name: &str) -> ChannelAccount {
    ChannelAccount::new(id).with_name(name)
}

/// The hero card of the welcome, with its buttons.
fn is_welcome_card(activity: &Activity) -> bool {
    let [attachment] = activity.attachments() else {
        return false;
    };
    let Some(Ok(card)) = attachment.as_card::<HeroCard>() else {
        return false;
    };
    let buttons: Vec<&str> = card
        .buttons
        .iter()
        .flatten()
        .filter_map(|b| b.title.as_deref())
        .collect();
    card.title.as_deref() == Some(CARD_TITLE)
        && buttons == ["intro", "Get started", "Bot Framework docs"]
}

#[tokio::test(start_paused = true)]
async fn the_conversation_of_the_example() {
    let storage = MemoryStorage::new();
    flow(&storage)
        .from_user(user("ada", "Ada"))
        .send_conversation_update()
        .assert_reply_that("the welcome card, to Ada", |a| {
            a.text() == "Welcome, Ada! Here is what I can do." && is_welcome_card(a)
        })
        .assert_no_reply()
        .test("hi", "Hi Ada!")
        .in_conversation("the next day")
        .send_conversation_update()
        .assert_reply("Welcome back, Ada!")
        .send("intro")
        .assert_reply_that("the card again", |a| {
            a.text().is_empty() && is_welcome_card(a)
        })
        .test(
            "what can you do?",
            "You said \"what can you do?\". Type `intro` to see the welcome card again.",
        )
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_channel_without_conversation_update_gets_the_card_at_the_first_message() {
    let storage = MemoryStorage::new();
    flow(&storage)
        .from_user(user("grace", "Grace"))
        .send("hello")
        .assert_reply_that("the welcome card instead of an answer", |a| {
            a.text() == "Welcome, Grace! Here is what I can do." && is_welcome_card(a)
        })
        .test("hello", "Hi Grace!")
        .await;
    // Once per user, across bot restarts.
    flow(&storage)
        .from_user(user("grace", "Grace"))
        .in_conversation("elsewhere")
        .send_conversation_update()
        .assert_reply("Welcome back, Grace!")
        .await;
}

#[tokio::test(start_paused = true)]
async fn members_added_by_someone_else_get_a_greeting_then_the_card() {
    let storage = MemoryStorage::new();
    let mut update = Activity::new(ActivityTypes::ConversationUpdate);
    update.members_added = Some(vec![user("alan", "Alan"), ChannelAccount::new("no-name")]);
    flow(&storage)
        .in_conversation("team")
        .from_user(user("ada", "Ada"))
        .send_activity(update)
        .assert_reply("Welcome, Alan!")
        .assert_reply("Welcome, there!")
        .assert_no_reply()
        .from_user(user("alan", "Alan"))
        .send("hi all")
        .assert_reply_that("Alan's welcome card", |a| {
            a.text() == "Welcome, Alan! Here is what I can do." && is_welcome_card(a)
        })
        .await;
}

/// The conversation at the top of `examples/welcome/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let storage = MemoryStorage::new();
    let bot = WelcomeBot::new(Arc::new(storage.clone()));
    let adapter = TestAdapter::new().with_middleware(bot.auto_save());
    let mut player = Player::new(adapter, include_str!("../examples/welcome/main.rs"));
    player.user = Some(user("ada", "Ada"));
    while let Some(note) = player.run_until_note(&bot).await {
        match note.as_str() {
            "Ada opens the chat for the first time" => player.join(&bot).await,
            "Ada comes back in a new conversation" => {
                player.set_conversation("conv-2");
                player.join(&bot).await;
            }
            other => panic!("a note the test does not play: {other}"),
        }
    }
}
