//! `cargo run --example middleware`, tested with TestFlow: text tidied before the bot sees it
//! (the original handed over in turn state), a blocked word stopping the turn before the bot,
//! and the turn log's counts (kept by a send hook) handed to the bot in turn state.

#![allow(clippy::unwrap_used)]

#[path = "../examples/middleware/bot.rs"]
mod bot;

use std::sync::Arc;

use bot::{BLOCKED_ANSWER, MiddlewareBot, Stats};
use botbuilder::prelude::*;
use botbuilder::schema::{Entity, Mention};

fn adapter() -> TestAdapter {
    TestAdapter::new().with_middleware(bot::middleware(Arc::new(Stats::default())))
}

/// What Teams sends when a user writes "@Bot run the report".
fn mentioning_the_bot() -> Activity {
    let bot = ChannelAccount::new(TestAdapter::DEFAULT_BOT).with_name("Bot");
    let mention = Entity::from_typed(&Mention::new(bot)).unwrap();
    Activity::message("<at>Bot</at> run the report").with_entity(mention)
}

#[tokio::test(start_paused = true)]
async fn the_conversation_of_the_example() {
    TestFlow::new(adapter(), MiddlewareBot)
        .test(
            "hello     there",
            "You said \"hello there\" (tidied from \"hello     there\").",
        )
        .send_activity(mentioning_the_bot())
        .assert_reply("You said \"run the report\" (tidied from \"<at>Bot</at> run the report\").")
        .send("my password is hunter2")
        .assert_reply(BLOCKED_ANSWER)
        // The bot never saw it: no second reply.
        .assert_no_reply()
        .test(
            "stats",
            "This is turn 4. Earlier turns sent 3 replies; the filter stopped 1 of their messages.",
        )
        .test("tidy", "You said \"tidy\".")
        .test(
            "Stats",
            "This is turn 6. Earlier turns sent 5 replies; the filter stopped 1 of their messages.",
        )
        .await;
}

#[tokio::test(start_paused = true)]
async fn the_filter_stops_later_middleware_too_and_other_activities_pass() {
    /// Registered after the filter: it must not run for a stopped message.
    struct Tripwire;

    #[async_trait]
    impl Middleware for Tripwire {
        async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
            if ctx.activity().text().contains("passwd") {
                ctx.send_activity("the tripwire ran").await?;
            }
            next.run(ctx).await
        }
    }

    let adapter = adapter().with_middleware(Tripwire);
    TestFlow::new(adapter, MiddlewareBot)
        .send("PASSWD=x")
        .assert_reply(BLOCKED_ANSWER)
        .assert_no_reply()
        // A conversationUpdate is not a message: nothing to clean or filter, and it counts
        // as a turn.
        .send_conversation_update()
        .assert_no_reply()
        .test(
            "stats",
            "This is turn 3. Earlier turns sent 1 replies; the filter stopped 1 of their messages.",
        )
        .await;
}

#[tokio::test(start_paused = true)]
async fn without_the_turn_log_the_bot_says_so() {
    TestFlow::new(TestAdapter::new(), MiddlewareBot)
        .test("stats", "No statistics: TurnLog is not registered.")
        .test("a  b", "You said \"a  b\".")
        .await;
}

/// The conversation at the top of `examples/middleware/main.rs` is what the bot really says.
#[tokio::test(start_paused = true)]
async fn the_transcript_of_main_rs_is_what_the_bot_says() {
    use botbuilder_test_support::transcript::Player;
    let bot = MiddlewareBot;
    let mut player = Player::new(adapter(), include_str!("../examples/middleware/main.rs"));
    while let Some(note) = player.run_until_note(&bot).await {
        match note.as_str() {
            n if n.starts_with("mentions the bot") => {
                player.send(mentioning_the_bot(), &bot).await;
            }
            other => panic!("a note the test does not play: {other}"),
        }
    }
}
