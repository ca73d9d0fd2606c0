//! The cards bot: sends a hero card, a thumbnail card or an Adaptive Card when asked by name,
//! all three side by side for `all`, and reads what the user sends back from the Adaptive
//! Card's form.
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_cards.rs` plays it with `TestFlow`.

use botbuilder::prelude::*;
use botbuilder::schema::{CardFactory, HeroCard, MessageFactory, ThumbnailCard};
use serde_json::{Value, json};

/// The card names the user can type, as offered in the menu.
pub(crate) const CARD_NAMES: [&str; 4] = ["hero", "thumbnail", "adaptive", "all"];

/// The `data` of the Adaptive Card's submit button, sent back in the activity's `value`.
pub(crate) const FEEDBACK_CARD: &str = "feedback";

const IMAGE: &str = "https://www.rust-lang.org/logos/rust-logo-256x256.png";
const DOCS: &str =
    "https://learn.microsoft.com/azure/bot-service/bot-builder-howto-add-media-attachments";

/// A hero card: one large image, a title, text and buttons.
pub(crate) fn hero_card() -> Attachment {
    HeroCard::new("Hero card")
        .with_subtitle("One large image, a title, text and buttons")
        .with_text("Buttons can post a message back (`imBack`) or open a page (`openUrl`).")
        .with_image(IMAGE)
        .with_button(CardAction::im_back("thumbnail"))
        .with_button(CardAction::open_url("About cards", DOCS))
        .into_attachment()
}

/// A thumbnail card: the hero card's layout with a small image beside the text.
pub(crate) fn thumbnail_card() -> Attachment {
    ThumbnailCard::new("Thumbnail card")
        .with_subtitle("A small image beside the title and text")
        .with_text("Good for lists of items, such as search results.")
        .with_image(IMAGE)
        .with_button(CardAction::im_back("adaptive"))
        .with_tap(CardAction::open_url("About cards", DOCS))
        .into_attachment()
}

/// An Adaptive Card with a small form: its submit button sends the user's rating back to the
/// bot as the `value` of a message, merged with the button's `data`.
pub(crate) fn adaptive_card() -> Attachment {
    let choices: Vec<Value> = (1..=5)
        .map(|n| json!({ "title": n.to_string(), "value": n.to_string() }))
        .collect();
    CardFactory::adaptive_card(json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [
            { "type": "TextBlock", "text": "Adaptive Card", "size": "Large", "weight": "Bolder" },
            {
                "type": "TextBlock",
                "text": "Text, images, facts and inputs, laid out by the channel; inputs come back to the bot.",
                "wrap": true
            },
            {
                "type": "FactSet",
                "facts": [
                    { "title": "Crate", "value": "botbuilder" },
                    { "title": "Built with", "value": "CardFactory::adaptive_card" }
                ]
            },
            {
                "type": "Input.ChoiceSet",
                "id": "rating",
                "label": "How useful is this example?",
                "style": "expanded",
                "value": "5",
                "choices": choices
            }
        ],
        "actions": [
            { "type": "Action.Submit", "title": "Send", "data": { "card": FEEDBACK_CARD } },
            { "type": "Action.OpenUrl", "title": "Adaptive Cards designer", "url": "https://adaptivecards.io/designer/" }
        ]
    }))
}

/// Shows the cards it is asked for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CardsBot;

/// The menu: the card names as quick replies.
fn menu(text: &str) -> Activity {
    MessageFactory::suggested_actions(CARD_NAMES, text)
}

/// The rating in a submitted feedback form, if this `value` is one.
fn rating_in(value: Option<&Value>) -> Option<String> {
    let value = value?;
    if value.get("card")?.as_str()? != FEEDBACK_CARD {
        return None;
    }
    match value.get("rating")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[async_trait]
impl ActivityHandler for CardsBot {
    async fn on_members_added(
        &self,
        _members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        ctx.send_activity(menu("Welcome! Which card would you like to see?"))
            .await?;
        Ok(())
    }

    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        // An Adaptive Card's Action.Submit posts a message with the form in `value` and,
        // on most channels, no text.
        if let Some(rating) = rating_in(ctx.activity().value.as_ref()) {
            ctx.send_activity(format!("Thanks! You rated this example {rating} out of 5."))
                .await?;
            return Ok(());
        }
        let reply = match ctx.activity().text().trim().to_lowercase().as_str() {
            "hero" => MessageFactory::attachment(hero_card()),
            "thumbnail" => MessageFactory::attachment(thumbnail_card()),
            "adaptive" => MessageFactory::attachment(adaptive_card()),
            "all" => MessageFactory::carousel([hero_card(), thumbnail_card(), adaptive_card()]),
            _ => menu("Which card would you like to see? Type or tap one of these."),
        };
        ctx.send_activity(reply).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_come_from_the_feedback_form_only() {
        assert_eq!(
            rating_in(Some(&json!({"card": "feedback", "rating": "4"}))).as_deref(),
            Some("4")
        );
        assert_eq!(
            rating_in(Some(&json!({"card": "feedback", "rating": 3}))).as_deref(),
            Some("3")
        );
        assert_eq!(
            rating_in(Some(&json!({"card": "other", "rating": "4"}))),
            None
        );
        assert_eq!(rating_in(Some(&json!({"rating": "4"}))), None);
        assert_eq!(rating_in(Some(&json!("4"))), None);
        assert_eq!(rating_in(None), None);
    }
}
