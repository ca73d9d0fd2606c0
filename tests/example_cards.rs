//! `cargo run --example cards`, tested with TestFlow: each card by name, the carousel, the
//! Adaptive Card's form coming back, and the menu for anything else.

#![allow(clippy::unwrap_used)]

#[path = "../examples/cards/bot.rs"]
mod bot;

use bot::{CARD_NAMES, CardsBot};
use botbuilder::prelude::*;
use botbuilder::schema::{AttachmentLayoutTypes, HeroCard, ThumbnailCard};
use serde_json::json;

const HERO: &str = "application/vnd.microsoft.card.hero";
const THUMBNAIL: &str = "application/vnd.microsoft.card.thumbnail";
const ADAPTIVE: &str = "application/vnd.microsoft.card.adaptive";

fn content_types(activity: &Activity) -> Vec<&str> {
    activity
        .attachments()
        .iter()
        .map(|a| a.content_type.as_str())
        .collect()
}

fn is_menu(activity: &Activity) -> bool {
    activity.suggested_actions.as_ref().is_some_and(|s| {
        s.actions
            .iter()
            .map(|a| a.title.as_deref().unwrap_or(""))
            .eq(CARD_NAMES)
    })
}

#[tokio::test(start_paused = true)]
async fn the_conversation_of_the_example() {
    TestFlow::new(TestAdapter::new(), CardsBot)
        .send_conversation_update()
        .assert_reply_that("the menu", |a| {
            a.text() == "Welcome! Which card would you like to see?" && is_menu(a)
        })
        .send("hero")
        .assert_reply_that("a hero card", |a| {
            let card = a.attachments()[0].as_card::<HeroCard>().unwrap().unwrap();
            content_types(a) == [HERO]
                && card.title.as_deref() == Some("Hero card")
                && card.images.as_ref().is_some_and(|i| i.len() == 1)
                && card.buttons.as_ref().is_some_and(|b| b.len() == 2)
        })
        .send("Thumbnail")
        .assert_reply_that("a thumbnail card that opens the docs when tapped", |a| {
            let card = a.attachments()[0]
                .as_card::<ThumbnailCard>()
                .unwrap()
                .unwrap();
            content_types(a) == [THUMBNAIL]
                && card.title.as_deref() == Some("Thumbnail card")
                && card.tap.is_some()
        })
        .send("adaptive")
        .assert_reply_that("an Adaptive Card with a rating form", |a| {
            let content = a.attachments()[0].content.as_ref().unwrap();
            content_types(a) == [ADAPTIVE]
                && content["type"] == "AdaptiveCard"
                && content["body"][3]["id"] == "rating"
                && content["actions"][0]["data"] == json!({"card": "feedback"})
        })
        // What a channel posts when the user picks 4 and taps Send.
        .send_activity(Activity::new(ActivityTypes::Message).with_value(json!({
            "card": "feedback",
            "rating": "4"
        })))
        .assert_reply("Thanks! You rated this example 4 out of 5.")
        .send("all")
        .assert_reply_that("the three cards in a carousel", |a| {
            content_types(a) == [HERO, THUMBNAIL, ADAPTIVE]
                && a.attachment_layout == Some(AttachmentLayoutTypes::Carousel)
        })
        .send("a card, please")
        .assert_reply_that("the menu again", |a| {
            a.text() == "Which card would you like to see? Type or tap one of these." && is_menu(a)
        })
        .await;
}

#[test]
fn the_adaptive_card_is_the_json_given() {
    let card = bot::adaptive_card();
    let wire = serde_json::to_value(&card).unwrap();
    assert_eq!(wire["contentType"], ADAPTIVE);
    assert_eq!(wire["content"]["version"], "1.4");
    let choices = wire["content"]["body"][3]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 5);
    assert_eq!(choices[4], json!({"title": "5", "value": "5"}));
}

/// The conversation at the top of `examples/cards/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let bot = CardsBot;
    let mut player = Player::new(
        TestAdapter::new(),
        include_str!("../examples/cards/main.rs"),
    );
    while let Some(note) = player.run_until_note(&bot).await {
        match note.as_str() {
            "the user opens the chat" => player.join(&bot).await,
            // What a channel posts when the user picks 4 and taps Send.
            "picks 4, taps Send" => {
                let form = Activity::new(ActivityTypes::Message)
                    .with_value(json!({"card": "feedback", "rating": "4"}));
                player.send(form, &bot).await;
            }
            other => panic!("a note the test does not play: {other}"),
        }
    }
}
