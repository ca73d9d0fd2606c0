//! Dialogs for botbuilder-rs: the input recognition that prompts are built on.
//!
//! This crate is modelled on BotBuilder v4's `botbuilder-dialogs`. It provides, today, the
//! layer that BotBuilder's prompts use to understand what the user typed:
//!
//! - [`recognizers`]: numbers, ordinals, yes/no answers and dates and times in the user's
//!   locale (what `NumberPrompt`, `ConfirmPrompt` and `DateTimePrompt` recognize), with a
//!   [`Locale`](recognizers::Locale) parsed from the activity's `locale`;
//! - [`choices`]: [`Choice`](choices::Choice) lists, recognizing the user's pick by value,
//!   synonym, position or close match ([`recognize_choices`](choices::recognize_choices),
//!   what `ChoicePrompt` uses), and rendering the list as a message for the channel
//!   ([`ChoiceFactory`](choices::ChoiceFactory)).
//!
//! Everything here is a pure function of its inputs (the reference time for dates is passed
//! in), never panics on user input, and returns where in the utterance each match was, so a
//! prompt can validate it and re-prompt.
//!
//! ```
//! use botbuilder_dialogs::choices::{recognize_choices, Choice, FindChoicesOptions};
//! use botbuilder_dialogs::recognizers::{recognize_boolean, recognize_numbers, Locale};
//!
//! // A number prompt: "how many tickets?"
//! let found = recognize_numbers("I'd like 3 tickets please", &Locale::parse("en-US"));
//! assert_eq!(found[0].resolution.as_i64(), Some(3));
//!
//! // A confirm prompt in French.
//! let yes = recognize_boolean("oui, bien sûr", &Locale::parse("fr-FR"));
//! assert_eq!(yes.map(|r| r.resolution), Some(true));
//!
//! // A choice prompt.
//! let choices: Vec<Choice> = ["Car", "Bus", "Bicycle"].map(Choice::from).to_vec();
//! let picked = recognize_choices("the bus please", &choices, &FindChoicesOptions::default());
//! assert_eq!(picked[0].resolution.value, "Bus");
//! let picked = recognize_choices("the third one", &choices, &FindChoicesOptions::default());
//! assert_eq!(picked[0].resolution.index, 2);
//! ```

#![warn(clippy::unwrap_used)]

pub mod choices;
pub mod recognizers;
mod text;
