//! Recognizers: numbers, ordinals, yes/no answers and dates and times in what the user typed,
//! for the user's locale.
//!
//! These are pure functions: they take the utterance, a [`Locale`] and (for dates) the
//! reference time, and return every match with its span, so a prompt can validate the value
//! and tell the user what it understood. They never panic, whatever the input.
//!
//! | recognizer | finds | resolution |
//! |---|---|---|
//! | [`recognize_numbers`] | `1,234.5`, `1.234,5` (de), `-3`, `forty two`, `一百二十` (zh) | [`Number`] |
//! | [`recognize_ordinals`] | `first`, `2nd`, `the last one`, `deuxième`, `第三` | [`Ordinal`] |
//! | [`recognize_boolean`] | `yes please`, `nope`, `bien sûr`, `不是` | `bool` |
//! | [`recognize_datetimes`] | `tomorrow at 9am`, `in 10 minutes`, `12/01/2026`, `2026-12-01T15:30Z` | [`DateTimeResolution`] |
//!
//! ```
//! use botbuilder_dialogs::recognizers::{recognize_boolean, recognize_numbers, Locale};
//!
//! let en = Locale::parse("en-US");
//! let numbers = recognize_numbers("I am 42 years old", &en);
//! assert_eq!(numbers[0].resolution.value, 42.0);
//! assert_eq!(numbers[0].text, "42");
//!
//! let fr = Locale::parse("fr-FR");
//! assert_eq!(recognize_boolean("oui, bien sûr", &fr).map(|r| r.resolution), Some(true));
//! ```

mod boolean;
mod datetime;
mod locale;
mod number;

use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use boolean::recognize_boolean;
pub use datetime::{DateTimeResolution, recognize_datetimes};
pub use locale::{DateOrder, Language, Locale};
pub use number::{Number, Ordinal, recognize_numbers, recognize_ordinals};

/// One thing a recognizer found in an utterance: where, what text, and what it means.
///
/// `start` and `end` are byte offsets into the utterance (`end` exclusive), so
/// `&utterance[r.start..r.end] == r.text`. (BotBuilder's JavaScript SDK uses UTF-16 indexes
/// with an inclusive end; byte ranges are what Rust strings slice by.)
///
/// ```
/// use botbuilder_dialogs::recognizers::{recognize_numbers, Locale};
///
/// let utterance = "give me 2 or 3";
/// let found = recognize_numbers(utterance, &Locale::default());
/// assert_eq!(found.len(), 2);
/// assert_eq!(&utterance[found[1].span()], "3");
/// assert_eq!(found[1].type_name, "number");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelResult<T> {
    /// The matched text, exactly as it appears in the utterance.
    pub text: String,
    /// Byte offset of the match's first character.
    pub start: usize,
    /// Byte offset one past the match's last character.
    pub end: usize,
    /// What kind of thing was found: `number`, `ordinal`, `boolean`, `datetime`, `value` or
    /// `choice`, as in BotBuilder.
    pub type_name: String,
    /// What the match means.
    pub resolution: T,
}

impl<T> ModelResult<T> {
    /// A result for `text[span]`. A span that is not a character range of `text` gives an
    /// empty `text` field rather than a panic.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::ModelResult;
    ///
    /// let r = ModelResult::new("say yes", 4..7, "boolean", true);
    /// assert_eq!(r.text, "yes");
    /// ```
    #[must_use]
    pub fn new(text: &str, span: Range<usize>, type_name: &str, resolution: T) -> Self {
        ModelResult {
            text: text.get(span.clone()).unwrap_or_default().to_owned(),
            start: span.start,
            end: span.end,
            type_name: type_name.to_owned(),
            resolution,
        }
    }

    /// The byte range of the match in the utterance.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::ModelResult;
    ///
    /// let r = ModelResult::new("say yes", 4..7, "boolean", true);
    /// assert_eq!(r.span(), 4..7);
    /// ```
    #[must_use]
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The same match with another resolution.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::ModelResult;
    ///
    /// let r = ModelResult::new("say yes", 4..7, "boolean", true).map(|b| if b { "yes" } else { "no" });
    /// assert_eq!(r.resolution, "yes");
    /// ```
    #[must_use]
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ModelResult<U> {
        ModelResult {
            text: self.text,
            start: self.start,
            end: self.end,
            type_name: self.type_name,
            resolution: f(self.resolution),
        }
    }
}
