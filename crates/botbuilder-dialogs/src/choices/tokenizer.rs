//! The word breaker used to compare choices with utterances.

use crate::recognizers::Locale;
use crate::text::{fold, is_cjk, is_emoji_modifier, is_pictograph};

/// A word of an utterance or a choice, with its byte span.
///
/// ```
/// use botbuilder_dialogs::choices::{default_tokenizer, Token};
/// use botbuilder_dialogs::recognizers::Locale;
///
/// let tokens = default_tokenizer("Café, s'il vous plaît", &Locale::parse("fr"));
/// assert_eq!(tokens[0], Token { start: 0, end: 5, text: "Café".into(), normalized: "cafe".into() });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset one past the last character.
    pub end: usize,
    /// The text as written.
    pub text: String,
    /// The form compared: lowercase, without accents.
    pub normalized: String,
}

/// A word breaker that [`FindChoicesOptions`](super::FindChoicesOptions) can take instead of
/// [`default_tokenizer`], for example to add stemming.
///
/// ```
/// use botbuilder_dialogs::choices::{default_tokenizer, Token, TokenizerFn};
/// use botbuilder_dialogs::recognizers::Locale;
///
/// fn singular(text: &str, locale: &Locale) -> Vec<Token> {
///     let mut tokens = default_tokenizer(text, locale);
///     for t in &mut tokens {
///         if let Some(stem) = t.normalized.strip_suffix('s') {
///             t.normalized = stem.to_owned();
///         }
///     }
///     tokens
/// }
/// let tokenizer: TokenizerFn = singular;
/// assert_eq!(tokenizer("cars", &Locale::default())[0].normalized, "car");
/// ```
pub type TokenizerFn = fn(&str, &Locale) -> Vec<Token>;

/// Breaks text into words on spaces and punctuation, as BotBuilder's default tokenizer does,
/// and normalizes them by lowercasing and removing accents.
///
/// Letters and digits form words; each CJK character and each emoji is a word of its own, so
/// Chinese and Japanese choices are found inside sentences written without spaces. Emoji skin
/// tones are dropped.
///
/// ```
/// use botbuilder_dialogs::choices::default_tokenizer;
/// use botbuilder_dialogs::recognizers::Locale;
///
/// let words: Vec<String> = default_tokenizer("I'd like the 2nd one 👍🏽, 红色!", &Locale::default())
///     .into_iter()
///     .map(|t| t.normalized)
///     .collect();
/// assert_eq!(words, ["i", "d", "like", "the", "2nd", "one", "👍", "红", "色"]);
/// ```
#[must_use]
pub fn default_tokenizer(text: &str, _locale: &Locale) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word: Option<(usize, usize)> = None;
    let flush = |tokens: &mut Vec<Token>, word: &mut Option<(usize, usize)>| {
        if let Some((start, end)) = word.take() {
            let t = &text[start..end];
            tokens.push(Token {
                start,
                end,
                text: t.to_owned(),
                normalized: fold(t),
            });
        }
    };
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if is_cjk(c) || is_pictograph(c) {
            flush(&mut tokens, &mut word);
            tokens.push(Token {
                start: i,
                end,
                text: c.to_string(),
                normalized: fold(&c.to_string()),
            });
        } else if c.is_alphanumeric() || (word.is_some() && matches!(c as u32, 0x0300..=0x036F)) {
            match word.as_mut() {
                Some(w) => w.1 = end,
                None => word = Some((i, end)),
            }
        } else if !is_emoji_modifier(c) {
            flush(&mut tokens, &mut word);
        }
    }
    flush(&mut tokens, &mut word);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_slice_the_text() {
        let text = "Ça va?  Très bien — 😀 ok";
        for t in default_tokenizer(text, &Locale::default()) {
            assert_eq!(&text[t.start..t.end], t.text);
        }
    }

    #[test]
    fn breaks_on_punctuation_and_symbols() {
        let words: Vec<String> = default_tokenizer("a-b_c.d/e(f)g@h", &Locale::default())
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(words, ["a", "b", "c", "d", "e", "f", "g", "h"]);
    }

    #[test]
    fn empty_and_blank_give_nothing() {
        assert!(default_tokenizer("", &Locale::default()).is_empty());
        assert!(default_tokenizer(" \t\n ,.;", &Locale::default()).is_empty());
    }
}
