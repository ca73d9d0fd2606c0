//! [`MessageFactory`]: one-call builders for the messages a bot sends most.

use crate::cards::non_blank;
use crate::{
    Activity, ActivityTypes, Attachment, AttachmentLayoutTypes, CardAction, InputHints,
    SuggestedActions,
};

/// Builds message activities: text, suggested actions, attachments, lists and carousels.
///
/// The names and behaviour follow BotBuilder's `MessageFactory` (C#, JS, Python):
///
/// - every message has `inputHint` = `acceptingInput`, the default of all three SDKs: the
///   bot is ready for input but not waiting for it (speech clients keep the microphone closed
///   until the user starts talking). Override it with [`Activity::with_input_hint`], or pass
///   it to [`MessageFactory::text_with`];
/// - text (and speech) that is empty or only whitespace is left out, as BotBuilder C# does:
///   clients render an empty string as an empty bubble;
/// - plain strings given as actions become `imBack` buttons whose title and value are the
///   string.
///
/// Each function returns an [`Activity`], so the builder setters of `Activity` add the rest:
///
/// ```
/// use botbuilder_schema::{CardAction, HeroCard, InputHints, MessageFactory};
/// use serde_json::json;
///
/// let greeting = MessageFactory::text("Hello!");
/// assert_eq!(serde_json::to_value(&greeting)?, json!({
///     "type": "message", "text": "Hello!", "inputHint": "acceptingInput"
/// }));
///
/// let question = MessageFactory::suggested_actions(["Red", "Green"], "Pick a colour")
///     .with_input_hint(InputHints::ExpectingInput);
/// assert_eq!(serde_json::to_value(&question)?["suggestedActions"]["actions"][1],
///            json!({"type": "imBack", "title": "Green", "value": "Green"}));
///
/// let shop = MessageFactory::carousel([
///     HeroCard::new("Shirt").with_button(CardAction::im_back("Buy shirt")),
///     HeroCard::new("Socks").with_button(CardAction::im_back("Buy socks")),
/// ])
/// .with_text("Today's offers");
/// assert_eq!(shop.attachments().len(), 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct MessageFactory;

impl MessageFactory {
    /// A message with this text.
    ///
    /// ```
    /// use botbuilder_schema::{InputHints, MessageFactory};
    ///
    /// let m = MessageFactory::text("Hi");
    /// assert_eq!(m.text(), "Hi");
    /// assert_eq!(m.input_hint, Some(InputHints::AcceptingInput));
    /// assert_eq!(MessageFactory::text("  ").text, None);
    /// ```
    #[must_use]
    pub fn text(text: impl Into<String>) -> Activity {
        message(non_blank(text.into()))
    }

    /// A message with text, what to say on speech channels (SSML or plain text), and an
    /// input hint.
    ///
    /// ```
    /// use botbuilder_schema::{InputHints, MessageFactory};
    ///
    /// let m = MessageFactory::text_with("What is your name?", "<speak>What is your name?</speak>", InputHints::ExpectingInput);
    /// assert_eq!(m.speak.as_deref(), Some("<speak>What is your name?</speak>"));
    /// assert_eq!(m.input_hint, Some(InputHints::ExpectingInput));
    /// ```
    #[must_use]
    pub fn text_with(
        text: impl Into<String>,
        speak: impl Into<String>,
        input_hint: impl Into<InputHints>,
    ) -> Activity {
        Activity {
            speak: non_blank(speak.into()),
            input_hint: Some(input_hint.into()),
            ..Self::text(text)
        }
    }

    /// A message offering quick-reply buttons, with optional text (`""` for none).
    ///
    /// `actions` are [`CardAction`]s, or strings, each of which becomes an `imBack` button
    /// whose title and value are the string.
    ///
    /// ```
    /// use botbuilder_schema::{CardAction, MessageFactory};
    ///
    /// let m = MessageFactory::suggested_actions(["Yes", "No"], "Continue?");
    /// let actions = &m.suggested_actions.as_ref().map(|s| s.actions.clone()).unwrap_or_default();
    /// assert_eq!(actions, &[CardAction::im_back("Yes"), CardAction::im_back("No")]);
    ///
    /// let m = MessageFactory::suggested_actions([CardAction::open_url("Docs", "https://example.com")], "");
    /// assert_eq!(m.text, None);
    /// ```
    #[must_use]
    pub fn suggested_actions(
        actions: impl IntoIterator<Item = impl Into<CardAction>>,
        text: impl Into<String>,
    ) -> Activity {
        Activity {
            suggested_actions: Some(SuggestedActions::new(actions.into_iter().map(Into::into))),
            ..Self::text(text)
        }
    }

    /// A message with one attachment: a card (anything that converts into an
    /// [`Attachment`]) or a file. The layout is `list`.
    ///
    /// ```
    /// use botbuilder_schema::{AttachmentLayoutTypes, HeroCard, MessageFactory};
    ///
    /// let m = MessageFactory::attachment(HeroCard::new("Menu")).with_text("Here you go");
    /// assert_eq!(m.attachments()[0].content_type, "application/vnd.microsoft.card.hero");
    /// assert_eq!(m.attachment_layout, Some(AttachmentLayoutTypes::List));
    /// ```
    #[must_use]
    pub fn attachment(attachment: impl Into<Attachment>) -> Activity {
        Self::list([attachment])
    }

    /// A message with attachments shown one under another (`attachmentLayout` = `list`).
    ///
    /// ```
    /// use botbuilder_schema::{Attachment, AttachmentLayoutTypes, MessageFactory};
    ///
    /// let m = MessageFactory::list([
    ///     Attachment::from_url("image/png", "https://example.com/1.png"),
    ///     Attachment::from_url("image/png", "https://example.com/2.png"),
    /// ]);
    /// assert_eq!(m.attachments().len(), 2);
    /// assert_eq!(m.attachment_layout, Some(AttachmentLayoutTypes::List));
    /// ```
    #[must_use]
    pub fn list(attachments: impl IntoIterator<Item = impl Into<Attachment>>) -> Activity {
        attachment_message(AttachmentLayoutTypes::List, attachments)
    }

    /// A message with attachments shown side by side and scrolled horizontally
    /// (`attachmentLayout` = `carousel`).
    ///
    /// ```
    /// use botbuilder_schema::{AttachmentLayoutTypes, HeroCard, MessageFactory};
    ///
    /// let m = MessageFactory::carousel([HeroCard::new("One"), HeroCard::new("Two")]);
    /// assert_eq!(m.attachment_layout, Some(AttachmentLayoutTypes::Carousel));
    /// ```
    #[must_use]
    pub fn carousel(attachments: impl IntoIterator<Item = impl Into<Attachment>>) -> Activity {
        attachment_message(AttachmentLayoutTypes::Carousel, attachments)
    }

    /// A message with one file (an image, a video, a document) at a URL, with its MIME type
    /// and a file name (`""` for none).
    ///
    /// ```
    /// use botbuilder_schema::MessageFactory;
    ///
    /// let m = MessageFactory::content_url("https://example.com/cat.jpg", "image/jpeg", "Cat");
    /// let file = &m.attachments()[0];
    /// assert_eq!(file.content_url.as_deref(), Some("https://example.com/cat.jpg"));
    /// assert_eq!(file.content_type, "image/jpeg");
    /// assert_eq!(file.name.as_deref(), Some("Cat"));
    /// ```
    #[must_use]
    pub fn content_url(
        url: impl Into<String>,
        content_type: impl Into<String>,
        name: impl Into<String>,
    ) -> Activity {
        let file = Attachment {
            name: non_blank(name.into()),
            ..Attachment::from_url(content_type, url)
        };
        Self::attachment(file)
    }
}

fn message(text: Option<String>) -> Activity {
    Activity {
        activity_type: ActivityTypes::Message,
        text,
        input_hint: Some(InputHints::AcceptingInput),
        ..Activity::default()
    }
}

fn attachment_message(
    layout: AttachmentLayoutTypes,
    attachments: impl IntoIterator<Item = impl Into<Attachment>>,
) -> Activity {
    Activity {
        attachment_layout: Some(layout),
        attachments: Some(attachments.into_iter().map(Into::into).collect()),
        ..message(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HeroCard, VideoCard};
    use serde_json::json;

    #[test]
    fn text_message() {
        assert_eq!(
            serde_json::to_value(MessageFactory::text("hi")).unwrap(),
            json!({"type": "message", "text": "hi", "inputHint": "acceptingInput"})
        );
        assert_eq!(
            serde_json::to_value(MessageFactory::text(" \n")).unwrap(),
            json!({"type": "message", "inputHint": "acceptingInput"})
        );
        // Text is kept as given, not trimmed.
        assert_eq!(MessageFactory::text(" hi ").text(), " hi ");
    }

    #[test]
    fn text_with_speak_and_input_hint() {
        assert_eq!(
            serde_json::to_value(MessageFactory::text_with(
                "Name?",
                "<speak>Your name?</speak>",
                InputHints::ExpectingInput
            ))
            .unwrap(),
            json!({
                "type": "message", "text": "Name?", "speak": "<speak>Your name?</speak>",
                "inputHint": "expectingInput"
            })
        );
        let m = MessageFactory::text_with("Working...", "", "ignoringInput");
        assert_eq!(m.speak, None);
        assert_eq!(m.input_hint, Some(InputHints::IgnoringInput));
        let custom = MessageFactory::text_with("x", "y", "someFutureHint");
        assert_eq!(
            custom.input_hint,
            Some(InputHints::Other("someFutureHint".into()))
        );
    }

    #[test]
    fn suggested_actions_from_strings_and_card_actions() {
        let from_strings = MessageFactory::suggested_actions(["red", "green"], "Choose a color");
        assert_eq!(
            serde_json::to_value(&from_strings).unwrap(),
            json!({
                "type": "message",
                "text": "Choose a color",
                "inputHint": "acceptingInput",
                "suggestedActions": {"actions": [
                    {"type": "imBack", "title": "red", "value": "red"},
                    {"type": "imBack", "title": "green", "value": "green"}
                ]}
            })
        );
        let owned = MessageFactory::suggested_actions(vec!["red".to_owned()], "");
        assert_eq!(owned.text, None);
        assert_eq!(
            owned.suggested_actions.unwrap().actions,
            vec![CardAction::im_back("red")]
        );

        let actions = [
            CardAction::post_back("Buy", json!({"sku": 1})),
            CardAction::message_back("Help", "help", "I need help"),
        ];
        let from_actions = MessageFactory::suggested_actions(actions.clone(), "");
        assert_eq!(
            from_actions.suggested_actions.unwrap().actions,
            actions.to_vec()
        );
    }

    #[test]
    fn attachment_list_and_carousel() {
        let hero = HeroCard::new("Menu");
        let single = MessageFactory::attachment(hero.clone());
        assert_eq!(
            serde_json::to_value(&single).unwrap(),
            json!({
                "type": "message",
                "attachmentLayout": "list",
                "attachments": [{"contentType": "application/vnd.microsoft.card.hero", "content": {"title": "Menu"}}],
                "inputHint": "acceptingInput"
            })
        );

        let list = MessageFactory::list([hero.clone(), HeroCard::new("Drinks")]);
        assert_eq!(list.attachment_layout, Some(AttachmentLayoutTypes::List));
        assert_eq!(list.attachments().len(), 2);
        assert_eq!(
            list.attachments()[1]
                .as_card::<HeroCard>()
                .unwrap()
                .unwrap()
                .title
                .as_deref(),
            Some("Drinks")
        );

        let mixed: [Attachment; 2] = [hero.into(), VideoCard::new("Clip").into()];
        let carousel = MessageFactory::carousel(mixed.clone()).with_text("Pick one");
        assert_eq!(
            carousel.attachment_layout,
            Some(AttachmentLayoutTypes::Carousel)
        );
        assert_eq!(carousel.attachments(), &mixed);
        assert_eq!(carousel.text(), "Pick one");
        assert_eq!(carousel.input_hint, Some(InputHints::AcceptingInput));

        let empty = MessageFactory::carousel(Vec::<Attachment>::new());
        assert_eq!(
            serde_json::to_value(&empty).unwrap()["attachments"],
            json!([])
        );
    }

    #[test]
    fn content_url_message() {
        assert_eq!(
            serde_json::to_value(MessageFactory::content_url(
                "https://example.com/hawaii.jpg",
                "image/jpeg",
                "Hawaii Trip"
            ))
            .unwrap(),
            json!({
                "type": "message",
                "attachmentLayout": "list",
                "attachments": [{
                    "contentType": "image/jpeg",
                    "contentUrl": "https://example.com/hawaii.jpg",
                    "name": "Hawaii Trip"
                }],
                "inputHint": "acceptingInput"
            })
        );
        let unnamed = MessageFactory::content_url("https://example.com/v.mp4", "video/mp4", "");
        assert_eq!(unnamed.attachments()[0].name, None);
    }
}
