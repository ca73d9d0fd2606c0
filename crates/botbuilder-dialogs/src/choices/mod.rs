//! Choices: a list of options offered to the user, recognizing which one they picked, and
//! rendering the list as a message.
//!
//! This is BotBuilder's `choices` namespace: [`Choice`], [`find_values`], [`find_choices`],
//! [`recognize_choices`] (what `ChoicePrompt` and `ConfirmPrompt` call) and [`ChoiceFactory`],
//! with the channel capability table in [`channel`].
//!
//! ```
//! use botbuilder_dialogs::choices::{recognize_choices, Choice, ChoiceFactory, ChoiceFactoryOptions, FindChoicesOptions};
//! use botbuilder_schema::ChannelId;
//!
//! let choices = vec![
//!     Choice::from("Car"),
//!     Choice::from("Bus").with_synonyms(["coach"]),
//!     Choice::from("Bicycle"),
//! ];
//!
//! // Ask: Web Chat shows buttons.
//! let ask = ChoiceFactory::for_channel(Some(&ChannelId::Webchat), &choices, "How do you travel?", &ChoiceFactoryOptions::default());
//! assert_eq!(ask.suggested_actions.map(|s| s.actions.len()), Some(3));
//!
//! // Understand the answer.
//! let options = FindChoicesOptions::default();
//! assert_eq!(recognize_choices("I take the coach", &choices, &options)[0].resolution.value, "Bus");
//! assert_eq!(recognize_choices("3", &choices, &options)[0].resolution.value, "Bicycle");
//! assert!(recognize_choices("nothing", &choices, &options).is_empty());
//! ```

pub mod channel;
mod choice;
mod factory;
mod find;
mod tokenizer;

pub use choice::{Choice, FoundChoice, FoundValue, SortedValue};
pub use factory::{ChoiceFactory, ChoiceFactoryOptions, HERO_CARD_CONTENT_TYPE, ListStyle};
pub use find::{FindChoicesOptions, find_choices, find_values, recognize_choices};
pub use tokenizer::{Token, TokenizerFn, default_tokenizer};
