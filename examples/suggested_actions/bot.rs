//! The suggested actions bot: asks a question with quick-reply buttons (suggested actions),
//! and answers the button the user taps, or asks again. Suggested actions disappear once the
//! user answers, unlike buttons on a card; channels without them show the text alone.
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_suggested_actions.rs` plays it.

use botbuilder::prelude::*;
use botbuilder::schema::MessageFactory;

/// The question.
pub(crate) const QUESTION: &str = "What is your favourite colour?";

/// The answers offered, as buttons.
pub(crate) const COLOURS: [&str; 3] = ["Red", "Yellow", "Blue"];

/// Asks for a favourite colour.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SuggestedActionsBot;

/// The question with one quick reply per colour: `imBack` buttons, which post their title as
/// the user's message. In a group conversation only `user` sees them (`suggestedActions.to`).
pub(crate) fn question(user: Option<&ChannelAccount>) -> Activity {
    let mut message = MessageFactory::suggested_actions(COLOURS, QUESTION);
    if let (Some(actions), Some(user)) = (message.suggested_actions.as_mut(), user) {
        actions.to = Some(vec![user.id.clone()]);
    }
    message
}

/// The colour the user picked, as offered (`"  blue "` is `Blue`).
fn colour_in(text: &str) -> Option<&'static str> {
    let text = text.trim();
    COLOURS.into_iter().find(|c| c.eq_ignore_ascii_case(text))
}

#[async_trait]
impl ActivityHandler for SuggestedActionsBot {
    async fn on_members_added(
        &self,
        members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        for member in members_added {
            ctx.send_activities(vec![
                Activity::message(
                    "Welcome! I ask questions with suggested actions: tap a button to answer.",
                ),
                question(Some(&member)),
            ])
            .await?;
        }
        Ok(())
    }

    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let answer = match colour_in(ctx.activity().text()) {
            Some(colour) => format!("{colour} is a fine choice."),
            None => format!("Please pick one of: {}.", COLOURS.join(", ")),
        };
        let again = question(ctx.activity().from.as_ref());
        ctx.send_activities(vec![Activity::message(answer), again])
            .await?;
        Ok(())
    }
}
