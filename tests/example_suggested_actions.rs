//! `cargo run --example suggested_actions`, tested with TestFlow: the question with its quick
//! replies, a tapped answer, an answer that is not offered.

#[path = "../examples/suggested_actions/bot.rs"]
mod bot;

use bot::{COLOURS, QUESTION, SuggestedActionsBot};
use botbuilder::prelude::*;
use botbuilder::schema::ActionTypes;

/// The question, with one `imBack` quick reply per colour, shown to `user` only.
fn is_question_for(user: &'static str) -> impl Fn(&Activity) -> bool + Send + Sync + 'static {
    move |a: &Activity| {
        let Some(actions) = &a.suggested_actions else {
            return false;
        };
        let offered: Vec<(Option<&ActionTypes>, Option<&str>, Option<&str>)> = actions
            .actions
            .iter()
            .map(|b| {
                (
                    b.action_type.as_ref(),
                    b.title.as_deref(),
                    b.value.as_ref().and_then(|v| v.as_str()),
                )
            })
            .collect();
        let expected: Vec<_> = COLOURS
            .iter()
            .map(|c| (Some(&ActionTypes::ImBack), Some(*c), Some(*c)))
            .collect();
        a.text() == QUESTION
            && offered == expected
            && actions.to.as_deref() == Some(&[user.to_owned()][..])
    }
}

#[tokio::test(start_paused = true)]
async fn the_conversation_of_the_example() {
    TestFlow::new(TestAdapter::new(), SuggestedActionsBot)
        .send_conversation_update()
        .assert_reply("Welcome! I ask questions with suggested actions: tap a button to answer.")
        .assert_reply_that(
            "the question with its quick replies",
            is_question_for("user1"),
        )
        .send("Red")
        .assert_reply("Red is a fine choice.")
        .assert_reply_that("the question again", is_question_for("user1"))
        .send("green")
        .assert_reply("Please pick one of: Red, Yellow, Blue.")
        .assert_reply_that("the question again", is_question_for("user1"))
        .send("  blue ")
        .assert_reply("Blue is a fine choice.")
        .assert_reply_that("the question again", is_question_for("user1"))
        .assert_no_reply()
        .await;
}

#[tokio::test(start_paused = true)]
async fn in_a_group_only_the_user_who_answered_gets_the_buttons() {
    TestFlow::new(TestAdapter::new(), SuggestedActionsBot)
        .in_conversation("group")
        .from_user(ChannelAccount::new("grace"))
        .send("yellow")
        .assert_reply("Yellow is a fine choice.")
        .assert_reply_that("the question, for Grace", is_question_for("grace"))
        .await;
}

/// The conversation at the top of `examples/suggested_actions/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let bot = SuggestedActionsBot;
    let mut player = Player::new(
        TestAdapter::new(),
        include_str!("../examples/suggested_actions/main.rs"),
    );
    while let Some(note) = player.run_until_note(&bot).await {
        match note.as_str() {
            "the user opens the chat" => player.join(&bot).await,
            other => panic!("a note the test does not play: {other}"),
        }
    }
}
