//! Rendering a list of choices as a message.

use botbuilder_schema::{
    ActionTypes, Activity, ActivityTypes, CardAction, ChannelId, HeroCard, InputHints,
    SuggestedActions,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Choice, channel};
use crate::recognizers::{Language, Locale};

/// The content type of a hero card attachment (the schema's
/// [`content_types::HERO_CARD`](botbuilder_schema::cards::content_types::HERO_CARD)), which
/// [`ChoiceFactory::hero_card`] sends.
pub const HERO_CARD_CONTENT_TYPE: &str = botbuilder_schema::cards::content_types::HERO_CARD;

/// How to show a list of choices (BotBuilder's `ListStyle`).
///
/// ```
/// use botbuilder_dialogs::choices::ListStyle;
///
/// assert_eq!(ListStyle::default(), ListStyle::Auto);
/// assert_eq!(serde_json::to_string(&ListStyle::SuggestedAction)?, "\"suggestedAction\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ListStyle {
    /// Only the prompt's text; no list.
    None,
    /// Chosen from the channel's capabilities ([`ChoiceFactory::for_channel`]).
    #[default]
    Auto,
    /// In the text: `(1) Car, (2) Bus, or (3) Bicycle`.
    Inline,
    /// A numbered list, one choice a line.
    List,
    /// Suggested actions (quick-reply buttons).
    SuggestedAction,
    /// Buttons on a hero card.
    HeroCard,
}

/// Wording of inline and numbered lists.
///
/// ```
/// use botbuilder_dialogs::choices::ChoiceFactoryOptions;
/// use botbuilder_dialogs::recognizers::Locale;
///
/// let fr = ChoiceFactoryOptions::for_locale(&Locale::parse("fr-FR"));
/// assert_eq!(fr.inline_or, " ou ");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChoiceFactoryOptions {
    /// Between choices, when there are more than two (`", "`).
    pub inline_separator: String,
    /// Between the two choices when there are only two (`" or "`).
    pub inline_or: String,
    /// Before the last choice when there are more than two (`", or "`).
    pub inline_or_more: String,
    /// Whether to number the choices (`(1) Car` inline, `1. Car` in a list); without numbers, a
    /// list is bulleted (`- Car`).
    pub include_numbers: bool,
}

impl Default for ChoiceFactoryOptions {
    /// English, numbered.
    fn default() -> Self {
        ChoiceFactoryOptions::for_locale(&Locale::default())
    }
}

impl ChoiceFactoryOptions {
    /// The separators of the locale's language, numbered.
    ///
    /// English uses BotBuilder's serial comma (`Car, Bus, or Bicycle`); French, Spanish, German
    /// and Portuguese put no comma before "or" (`Car, Bus ou Bicycle`), as their typography
    /// wants, where BotBuilder writes `, ou `; Chinese uses `、` and `或`, where BotBuilder writes
    /// `， ` and ` 要么 ` ("either").
    ///
    /// ```
    /// use botbuilder_dialogs::choices::ChoiceFactoryOptions;
    /// use botbuilder_dialogs::recognizers::Locale;
    ///
    /// let de = ChoiceFactoryOptions::for_locale(&Locale::parse("de-DE"));
    /// assert_eq!((de.inline_separator.as_str(), de.inline_or.as_str(), de.inline_or_more.as_str()), (", ", " oder ", " oder "));
    /// ```
    #[must_use]
    pub fn for_locale(locale: &Locale) -> Self {
        let (separator, or, or_more) = match locale.language() {
            Language::English => (", ", " or ", ", or "),
            Language::French => (", ", " ou ", " ou "),
            Language::Spanish => (", ", " o ", " o "),
            Language::German => (", ", " oder ", " oder "),
            Language::Portuguese => (", ", " ou ", " ou "),
            Language::Chinese => ("、", "或", "或"),
        };
        ChoiceFactoryOptions {
            inline_separator: separator.to_owned(),
            inline_or: or.to_owned(),
            inline_or_more: or_more.to_owned(),
            include_numbers: true,
        }
    }

    /// The same options without numbers.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::ChoiceFactoryOptions;
    ///
    /// assert!(!ChoiceFactoryOptions::default().without_numbers().include_numbers);
    /// ```
    #[must_use]
    pub fn without_numbers(mut self) -> Self {
        self.include_numbers = false;
        self
    }
}

/// Builds the message that shows a list of choices (BotBuilder's `ChoiceFactory`).
///
/// Every message is a `message` activity with the input hint `expectingInput`. Each choice
/// shows its [`title`](Choice::title); buttons are the choice's `action`, or an `imBack` of its
/// value.
///
/// ```
/// use botbuilder_dialogs::choices::{Choice, ChoiceFactory, ChoiceFactoryOptions};
///
/// let choices = ["Car", "Bus", "Bicycle"].map(Choice::from);
/// let options = ChoiceFactoryOptions::default();
/// assert_eq!(ChoiceFactory::inline(&choices, "Pick one:", &options).text.as_deref(), Some("Pick one: (1) Car, (2) Bus, or (3) Bicycle"));
/// assert_eq!(ChoiceFactory::list(&choices, "", &options).text.as_deref(), Some("1. Car\n2. Bus\n3. Bicycle"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ChoiceFactory;

impl ChoiceFactory {
    /// The best rendering for the channel, as BotBuilder chooses it:
    ///
    /// 1. a hero card when the channel shows card buttons but no suggested actions (Teams)
    ///    and every title fits ([`channel::max_action_title_length`]);
    /// 2. suggested actions when the channel shows that many and every title fits;
    /// 3. an inline list for three choices or fewer with short titles;
    /// 4. a numbered list otherwise.
    ///
    /// `channel_id` is the activity's channel; `None` (or an unknown channel) gives a text
    /// list.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::{Choice, ChoiceFactory, ChoiceFactoryOptions, HERO_CARD_CONTENT_TYPE};
    /// use botbuilder_schema::ChannelId;
    ///
    /// let choices = ["Car", "Bus", "Bicycle"].map(Choice::from);
    /// let options = ChoiceFactoryOptions::default();
    /// let webchat = ChoiceFactory::for_channel(Some(&ChannelId::Webchat), &choices, "Pick one", &options);
    /// assert!(webchat.suggested_actions.is_some());
    /// let teams = ChoiceFactory::for_channel(Some(&ChannelId::Msteams), &choices, "Pick one", &options);
    /// assert_eq!(teams.attachments()[0].content_type, HERO_CARD_CONTENT_TYPE);
    /// let sms = ChoiceFactory::for_channel(Some(&ChannelId::Sms), &choices, "Pick one", &options);
    /// assert_eq!(sms.text.as_deref(), Some("Pick one (1) Car, (2) Bus, or (3) Bicycle"));
    /// ```
    #[must_use]
    pub fn for_channel(
        channel_id: Option<&ChannelId>,
        choices: &[Choice],
        text: &str,
        options: &ChoiceFactoryOptions,
    ) -> Activity {
        let unknown = ChannelId::Other(String::new());
        let channel_id = channel_id.unwrap_or(&unknown);
        let max_title = choices
            .iter()
            .map(|c| c.title().chars().count())
            .max()
            .unwrap_or(0);
        let long_titles = max_title > channel::max_action_title_length(channel_id);
        let suggested = channel::supports_suggested_actions(channel_id, choices.len());
        let cards = channel::supports_card_actions(channel_id, choices.len());
        if !long_titles && !suggested && cards {
            ChoiceFactory::hero_card(choices, text)
        } else if !long_titles && suggested {
            ChoiceFactory::suggested_action(choices, text)
        } else if !long_titles && choices.len() <= 3 {
            ChoiceFactory::inline(choices, text, options)
        } else {
            ChoiceFactory::list(choices, text, options)
        }
    }

    /// Renders in the given style; [`ListStyle::Auto`] is [`for_channel`](Self::for_channel)
    /// and [`ListStyle::None`] is the text alone.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::{Choice, ChoiceFactory, ChoiceFactoryOptions, ListStyle};
    ///
    /// let choices = ["Yes", "No"].map(Choice::from);
    /// let message = ChoiceFactory::render(ListStyle::Inline, None, &choices, "Continue?", &ChoiceFactoryOptions::default());
    /// assert_eq!(message.text.as_deref(), Some("Continue? (1) Yes or (2) No"));
    /// let message = ChoiceFactory::render(ListStyle::None, None, &choices, "Continue?", &ChoiceFactoryOptions::default());
    /// assert_eq!(message.text.as_deref(), Some("Continue?"));
    /// ```
    #[must_use]
    pub fn render(
        style: ListStyle,
        channel_id: Option<&ChannelId>,
        choices: &[Choice],
        text: &str,
        options: &ChoiceFactoryOptions,
    ) -> Activity {
        match style {
            ListStyle::None => message(text),
            ListStyle::Auto => ChoiceFactory::for_channel(channel_id, choices, text, options),
            ListStyle::Inline => ChoiceFactory::inline(choices, text, options),
            ListStyle::List => ChoiceFactory::list(choices, text, options),
            ListStyle::SuggestedAction => ChoiceFactory::suggested_action(choices, text),
            ListStyle::HeroCard => ChoiceFactory::hero_card(choices, text),
        }
    }

    /// The choices inline, after the text: `Pick one: (1) Car, (2) Bus, or (3) Bicycle`, or
    /// without numbers `Car, Bus, or Bicycle`; separators from the options
    /// ([`ChoiceFactoryOptions::for_locale`]).
    ///
    /// ```
    /// use botbuilder_dialogs::choices::{Choice, ChoiceFactory, ChoiceFactoryOptions};
    /// use botbuilder_dialogs::recognizers::Locale;
    ///
    /// let choices = ["Voiture", "Bus", "Vélo"].map(Choice::from);
    /// let options = ChoiceFactoryOptions::for_locale(&Locale::parse("fr-FR")).without_numbers();
    /// let message = ChoiceFactory::inline(&choices, "", &options);
    /// assert_eq!(message.text.as_deref(), Some("Voiture, Bus ou Vélo"));
    /// ```
    #[must_use]
    pub fn inline(choices: &[Choice], text: &str, options: &ChoiceFactoryOptions) -> Activity {
        let mut out = String::from(text);
        if !text.is_empty() && !choices.is_empty() {
            out.push(' ');
        }
        for (index, choice) in choices.iter().enumerate() {
            if index > 0 {
                let connector = if index + 1 < choices.len() {
                    &options.inline_separator
                } else if choices.len() == 2 {
                    &options.inline_or
                } else {
                    &options.inline_or_more
                };
                out.push_str(connector);
            }
            if options.include_numbers {
                out.push_str(&format!("({}) ", index + 1));
            }
            out.push_str(choice.title());
        }
        message(&out)
    }

    /// The choices as a list, one a line: after a text, BotBuilder's layout
    /// (`Pick one:\n\n   1. Car\n   2. Bus`); alone, `1. Car\n2. Bus`. Without numbers the
    /// lines start with `- `.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::{Choice, ChoiceFactory, ChoiceFactoryOptions};
    ///
    /// let choices = ["Car", "Bus"].map(Choice::from);
    /// let message = ChoiceFactory::list(&choices, "Pick one:", &ChoiceFactoryOptions::default());
    /// assert_eq!(message.text.as_deref(), Some("Pick one:\n\n   1. Car\n   2. Bus"));
    /// ```
    #[must_use]
    pub fn list(choices: &[Choice], text: &str, options: &ChoiceFactoryOptions) -> Activity {
        let lines: Vec<String> = choices
            .iter()
            .enumerate()
            .map(|(index, choice)| {
                if options.include_numbers {
                    format!("{}. {}", index + 1, choice.title())
                } else {
                    format!("- {}", choice.title())
                }
            })
            .collect();
        let out = if text.is_empty() {
            lines.join("\n")
        } else if lines.is_empty() {
            text.to_owned()
        } else {
            format!("{text}\n\n   {}", lines.join("\n   "))
        };
        message(&out)
    }

    /// The text with the choices as suggested actions.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::{Choice, ChoiceFactory};
    ///
    /// let message = ChoiceFactory::suggested_action(&["Car", "Bus"].map(Choice::from), "Pick one");
    /// let actions = message.suggested_actions.unwrap().actions;
    /// assert_eq!(actions[1].title.as_deref(), Some("Bus"));
    /// ```
    #[must_use]
    pub fn suggested_action(choices: &[Choice], text: &str) -> Activity {
        message(text)
            .with_suggested_actions(SuggestedActions::new(ChoiceFactory::to_actions(choices)))
    }

    /// A hero card holding the text and one button per choice.
    ///
    /// The attachment is a [`HeroCard`] with the text and the buttons (no title); the
    /// activity itself has no text.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::{Choice, ChoiceFactory};
    /// use botbuilder_schema::HeroCard;
    ///
    /// let message = ChoiceFactory::hero_card(&["Car", "Bus"].map(Choice::from), "Pick one");
    /// let card = message.attachments()[0].as_card::<HeroCard>().transpose()?.expect("a hero card");
    /// assert_eq!(card.text.as_deref(), Some("Pick one"));
    /// assert_eq!(card.buttons.map(|b| b.len()), Some(2));
    /// # Ok::<(), botbuilder_schema::SchemaError>(())
    /// ```
    #[must_use]
    pub fn hero_card(choices: &[Choice], text: &str) -> Activity {
        let card = HeroCard {
            text: Some(text.to_owned()).filter(|t| !t.is_empty()),
            buttons: Some(ChoiceFactory::to_actions(choices)),
            ..HeroCard::default()
        };
        Activity::new(ActivityTypes::Message)
            .with_input_hint(InputHints::ExpectingInput)
            .with_attachment(card.into_attachment())
    }

    /// The button of each choice: its action, completed as BotBuilder does (type `imBack`,
    /// title and value from each other or from the choice's value), or an `imBack` of its
    /// value.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::{Choice, ChoiceFactory};
    /// use botbuilder_schema::{ActionTypes, CardAction};
    ///
    /// let partial = CardAction { title: Some("The Red Pill".into()), ..CardAction::default() };
    /// let actions = ChoiceFactory::to_actions(&[Choice::from("red").with_action(partial)]);
    /// assert_eq!(actions[0].action_type, Some(ActionTypes::ImBack));
    /// assert_eq!(actions[0].value, Some("The Red Pill".into()));
    /// ```
    #[must_use]
    pub fn to_actions(choices: &[Choice]) -> Vec<CardAction> {
        choices
            .iter()
            .map(|choice| match &choice.action {
                None => CardAction::im_back(choice.value.clone()),
                Some(action) => {
                    let mut action = action.clone();
                    if action.action_type.is_none() {
                        action.action_type = Some(ActionTypes::ImBack);
                    }
                    let title = action.title.clone().filter(|t| !t.is_empty());
                    match (&title, action.value.is_some()) {
                        (Some(t), false) => action.value = Some(Value::String(t.clone())),
                        (None, true) => {
                            action.title = action
                                .value
                                .as_ref()
                                .and_then(Value::as_str)
                                .map(str::to_owned);
                        }
                        (None, false) => {
                            action.title = Some(choice.value.clone());
                            action.value = Some(Value::String(choice.value.clone()));
                        }
                        (Some(_), true) => {}
                    }
                    action
                }
            })
            .collect()
    }

    /// Choices from strings (or anything that converts into a [`Choice`]).
    ///
    /// ```
    /// use botbuilder_dialogs::choices::ChoiceFactory;
    ///
    /// let choices = ChoiceFactory::to_choices(["red", "green"]);
    /// assert_eq!(choices[1].value, "green");
    /// ```
    #[must_use]
    pub fn to_choices<C: Into<Choice>>(choices: impl IntoIterator<Item = C>) -> Vec<Choice> {
        choices.into_iter().map(Into::into).collect()
    }
}

/// A message expecting input, with this text when it is not empty.
fn message(text: &str) -> Activity {
    let activity =
        Activity::new(ActivityTypes::Message).with_input_hint(InputHints::ExpectingInput);
    if text.is_empty() {
        activity
    } else {
        activity.with_text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn travel() -> Vec<Choice> {
        ["Car", "Bus", "Bicycle"].map(Choice::from).to_vec()
    }

    #[test]
    fn inline_per_locale_table() {
        let cases = [
            ("en-US", "Car, Bus, or Bicycle", "Car or Bus"),
            ("fr-FR", "Car, Bus ou Bicycle", "Car ou Bus"),
            ("es-ES", "Car, Bus o Bicycle", "Car o Bus"),
            ("de-DE", "Car, Bus oder Bicycle", "Car oder Bus"),
            ("pt-BR", "Car, Bus ou Bicycle", "Car ou Bus"),
            ("zh-CN", "Car、Bus或Bicycle", "Car或Bus"),
        ];
        for (locale, three, two) in cases {
            let options =
                ChoiceFactoryOptions::for_locale(&Locale::parse(locale)).without_numbers();
            let text = |choices: &[Choice]| ChoiceFactory::inline(choices, "", &options).text;
            assert_eq!(text(&travel()).as_deref(), Some(three), "{locale}");
            assert_eq!(text(&travel()[..2]).as_deref(), Some(two), "{locale}");
            assert_eq!(text(&travel()[..1]).as_deref(), Some("Car"), "{locale}");
            assert_eq!(text(&[]), None, "{locale}");
        }
    }

    #[test]
    fn inline_with_numbers_and_text_matches_botbuilder() {
        let m = ChoiceFactory::inline(&travel(), "How?", &ChoiceFactoryOptions::default());
        assert_eq!(
            m.text.as_deref(),
            Some("How? (1) Car, (2) Bus, or (3) Bicycle")
        );
        assert_eq!(m.input_hint, Some(InputHints::ExpectingInput));
        assert_eq!(m.activity_type, ActivityTypes::Message);
    }

    #[test]
    fn list_layouts() {
        let options = ChoiceFactoryOptions::default();
        assert_eq!(
            ChoiceFactory::list(&travel(), "How?", &options)
                .text
                .as_deref(),
            Some("How?\n\n   1. Car\n   2. Bus\n   3. Bicycle")
        );
        assert_eq!(
            ChoiceFactory::list(&travel(), "", &options).text.as_deref(),
            Some("1. Car\n2. Bus\n3. Bicycle")
        );
        assert_eq!(
            ChoiceFactory::list(&travel(), "", &options.clone().without_numbers())
                .text
                .as_deref(),
            Some("- Car\n- Bus\n- Bicycle")
        );
        assert_eq!(
            ChoiceFactory::list(&[], "How?", &options).text.as_deref(),
            Some("How?")
        );
    }

    #[test]
    fn suggested_actions_json() {
        let m = ChoiceFactory::suggested_action(&travel()[..2], "How?");
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(
            json,
            json!({
                "type": "message",
                "text": "How?",
                "inputHint": "expectingInput",
                "suggestedActions": {"actions": [
                    {"type": "imBack", "title": "Car", "value": "Car"},
                    {"type": "imBack", "title": "Bus", "value": "Bus"}
                ]}
            })
        );
    }

    #[test]
    fn hero_card_json() {
        let m = ChoiceFactory::hero_card(&travel()[..1], "How?");
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(
            json,
            json!({
                "type": "message",
                "inputHint": "expectingInput",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.hero",
                    "content": {"text": "How?", "buttons": [{"type": "imBack", "title": "Car", "value": "Car"}]}
                }]
            })
        );
    }

    #[test]
    fn choice_actions_are_kept_and_completed() {
        let choices = vec![
            Choice::from("a").with_action(CardAction::post_back("Alpha", "A")),
            Choice::from("b").with_action(CardAction {
                value: Some("bee".into()),
                ..CardAction::default()
            }),
            Choice::from("c").with_action(CardAction::default()),
        ];
        let actions = ChoiceFactory::to_actions(&choices);
        assert_eq!(actions[0], CardAction::post_back("Alpha", "A"));
        assert_eq!(actions[1], CardAction::im_back("bee"));
        assert_eq!(actions[2], CardAction::im_back("c"));
    }

    #[test]
    fn for_channel_picks_the_style_table() {
        #[derive(Debug, PartialEq)]
        enum Style {
            Suggested,
            Hero,
            Inline,
            List,
        }
        let style = |a: &Activity| {
            if a.suggested_actions.is_some() {
                Style::Suggested
            } else if !a.attachments().is_empty() {
                Style::Hero
            } else if a.text().contains('\n') {
                Style::List
            } else {
                Style::Inline
            }
        };
        let many: Vec<Choice> = (1..=12)
            .map(|i| Choice::from(format!("Option {i}")))
            .collect();
        let long: Vec<Choice> = ["A very long choice title indeed", "Short"]
            .map(Choice::from)
            .to_vec();
        let cases = [
            (Some(ChannelId::Webchat), travel(), Style::Suggested),
            (Some(ChannelId::Emulator), many.clone(), Style::Suggested),
            (Some(ChannelId::Facebook), travel(), Style::Suggested),
            (Some(ChannelId::Facebook), many.clone(), Style::List),
            (Some(ChannelId::Line), many.clone(), Style::Suggested),
            (Some(ChannelId::Msteams), travel(), Style::Hero),
            (Some(ChannelId::Slack), travel(), Style::Hero),
            (Some(ChannelId::Sms), travel(), Style::Inline),
            (Some(ChannelId::Sms), many.clone(), Style::List),
            (Some(ChannelId::Webchat), long.clone(), Style::List),
            (Some(ChannelId::Msteams), long, Style::List),
            (None, travel(), Style::Inline),
            (Some(ChannelId::Other("custom".into())), many, Style::List),
        ];
        let options = ChoiceFactoryOptions::default();
        for (channel, choices, expected) in cases {
            let a = ChoiceFactory::for_channel(channel.as_ref(), &choices, "Pick", &options);
            assert_eq!(
                style(&a),
                expected,
                "{channel:?} with {} choices",
                choices.len()
            );
            assert_eq!(a.input_hint, Some(InputHints::ExpectingInput));
        }
    }

    #[test]
    fn render_dispatches_on_style() {
        let options = ChoiceFactoryOptions::default();
        let c = travel();
        assert!(
            ChoiceFactory::render(ListStyle::SuggestedAction, None, &c, "x", &options)
                .suggested_actions
                .is_some()
        );
        assert_eq!(
            ChoiceFactory::render(ListStyle::HeroCard, None, &c, "x", &options)
                .attachments()
                .len(),
            1
        );
        assert!(
            ChoiceFactory::render(ListStyle::List, None, &c, "x", &options)
                .text()
                .contains("3. Bicycle")
        );
        assert_eq!(
            ChoiceFactory::render(
                ListStyle::Auto,
                Some(&ChannelId::Webchat),
                &c,
                "x",
                &options
            ),
            ChoiceFactory::for_channel(Some(&ChannelId::Webchat), &c, "x", &options)
        );
    }
}
