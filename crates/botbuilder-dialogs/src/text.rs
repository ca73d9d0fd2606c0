//! Text utilities shared by the recognizers: case and accent folding, character classes and a
//! small lexer that keeps byte spans into the original text.

/// Lowercases `s` and strips the diacritics of Latin letters (`é` -> `e`, `ß` -> `ss`), so that
/// word lists can be written in plain ASCII and still match what users type with or without
/// accents.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        for lower in c.to_lowercase() {
            match fold_char(lower) {
                Some(plain) => out.push_str(plain),
                None => out.push(lower),
            }
        }
    }
    out
}

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'œ' => "oe",
        'æ' => "ae",
        // Typographic apostrophes are folded to the ASCII one.
        '\u{2019}' | '\u{2018}' | '\u{02BC}' => "'",
        _ => return None,
    })
}

/// Whether `c` is a Chinese, Japanese or Korean ideograph or syllable: these scripts are
/// written without spaces, so each such character is a token of its own.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0xFF66..=0xFF9F    // Half-width Katakana
        | 0x20000..=0x2FA1F) // CJK Extensions B.. and supplements
}

/// Whether `c` is a letter of a script written with spaces between words.
pub(crate) fn is_word_letter(c: char) -> bool {
    c.is_alphabetic() && !is_cjk(c)
}

/// The value of an ASCII or full-width decimal digit.
pub(crate) fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '\u{FF10}'..='\u{FF19}' => Some(c as u32 - 0xFF10),
        _ => None,
    }
}

/// Whether `c` is a pictograph (emoji and other symbols) that stands as a token of its own.
pub(crate) fn is_pictograph(c: char) -> bool {
    matches!(c as u32,
        0x2190..=0x21FF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x1F000..=0x1FAFF)
        && !is_emoji_modifier(c)
}

/// Emoji skin-tone modifiers, variation selectors and the zero-width joiner: they change how
/// the previous pictograph looks, not what it means.
pub(crate) fn is_emoji_modifier(c: char) -> bool {
    matches!(c as u32, 0x1F3FB..=0x1F3FF | 0xFE00..=0xFE0F | 0x200D)
}

/// What a lexeme is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A run of letters of a space-separated script.
    Word,
    /// A run of decimal digits.
    Digits,
    /// One CJK character.
    Cjk,
    /// One pictograph.
    Pictograph,
    /// One other non-space character (punctuation, symbols).
    Symbol,
}

/// A piece of text with its byte span in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lexeme {
    pub(crate) kind: Kind,
    /// Byte offset of the first character.
    pub(crate) start: usize,
    /// Byte offset one past the last character.
    pub(crate) end: usize,
    /// The folded text (see [`fold`]); digits are kept as ASCII digits.
    pub(crate) text: String,
    /// Whether white space separates this lexeme from the previous one.
    pub(crate) space_before: bool,
}

impl Lexeme {
    /// Whether this lexeme's folded text is `s`.
    pub(crate) fn is(&self, s: &str) -> bool {
        self.text == s
    }

    /// The numeric value of a digits lexeme, if it fits.
    pub(crate) fn number(&self) -> Option<u64> {
        if self.kind != Kind::Digits || self.text.len() > 18 {
            return None;
        }
        self.text.parse().ok()
    }
}

/// Splits `text` into words, digit runs, CJK characters, pictographs and single symbols.
/// White space separates lexemes and is not returned; emoji modifiers are skipped.
pub(crate) fn lex(text: &str) -> Vec<Lexeme> {
    let mut out: Vec<Lexeme> = Vec::new();
    let mut space = true;
    let mut current: Option<Lexeme> = None;
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if matches!(c as u32, 0x0300..=0x036F) {
            // A combining accent: part of the word it follows, dropped by folding.
            if let Some(cur) = current.as_mut().filter(|l| l.kind == Kind::Word) {
                cur.end = end;
            }
            continue;
        }
        let kind = if is_word_letter(c)
            || (c.is_alphanumeric() && digit_value(c).is_none() && !is_cjk(c))
        {
            Some(Kind::Word)
        } else if let Some(d) = digit_value(c) {
            // Keep digits ASCII in the folded text.
            if let Some(cur) = current.as_mut().filter(|l| l.kind == Kind::Digits) {
                cur.end = end;
                cur.text.push(char::from(b'0' + d as u8));
                continue;
            }
            flush(&mut out, &mut current);
            current = Some(Lexeme {
                kind: Kind::Digits,
                start: i,
                end,
                text: char::from(b'0' + d as u8).to_string(),
                space_before: space,
            });
            space = false;
            continue;
        } else if c.is_whitespace() {
            flush(&mut out, &mut current);
            space = true;
            continue;
        } else if is_emoji_modifier(c) {
            continue;
        } else if is_cjk(c) {
            Some(Kind::Cjk)
        } else if is_pictograph(c) {
            Some(Kind::Pictograph)
        } else {
            Some(Kind::Symbol)
        };
        let Some(kind) = kind else { continue };
        if kind == Kind::Word
            && let Some(cur) = current.as_mut().filter(|l| l.kind == Kind::Word)
        {
            cur.end = end;
            cur.text.push_str(&fold(&text[i..end]));
            continue;
        }
        flush(&mut out, &mut current);
        let lexeme = Lexeme {
            kind,
            start: i,
            end,
            text: fold(&text[i..end]),
            space_before: space,
        };
        space = false;
        if kind == Kind::Word {
            current = Some(lexeme);
        } else {
            out.push(lexeme);
        }
    }
    flush(&mut out, &mut current);
    out
}

fn flush(out: &mut Vec<Lexeme>, current: &mut Option<Lexeme>) {
    if let Some(l) = current.take() {
        out.push(l);
    }
}

/// Splits a word list entry into the folded texts of its lexemes, ignoring apostrophes and
/// hyphens, so that `"d'accord"` and `"d accord"` are the same phrase.
pub(crate) fn phrase(s: &str) -> Vec<String> {
    lex(s)
        .into_iter()
        .filter(|l| !is_joiner(l))
        .map(|l| l.text)
        .collect()
}

/// Apostrophes and hyphens inside words: skipped when phrases are compared.
pub(crate) fn is_joiner(l: &Lexeme) -> bool {
    l.kind == Kind::Symbol && matches!(l.text.as_str(), "'" | "-" | "\u{2010}" | "\u{2011}")
}

/// Lexemes without joiners, for phrase matching.
pub(crate) fn words(text: &str) -> Vec<Lexeme> {
    lex(text).into_iter().filter(|l| !is_joiner(l)).collect()
}

/// Whether the lexemes starting at `at` spell `phrase`.
pub(crate) fn matches_at(lexemes: &[Lexeme], at: usize, phrase: &[String]) -> bool {
    !phrase.is_empty()
        && lexemes.len() >= at + phrase.len()
        && lexemes[at..at + phrase.len()]
            .iter()
            .zip(phrase)
            .all(|(l, p)| l.text == *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_strips_accents_and_case() {
        assert_eq!(fold("Ça Marche Déjà"), "ca marche deja");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("NÃO"), "nao");
        assert_eq!(fold("d\u{2019}accord"), "d'accord");
    }

    #[test]
    fn lex_splits_words_digits_and_cjk_with_spans() {
        let text = "I'm 42, 我要3个 👍🏽!";
        let l = lex(text);
        let kinds: Vec<_> = l.iter().map(|l| (l.kind, l.text.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Word, "i"),
                (Kind::Symbol, "'"),
                (Kind::Word, "m"),
                (Kind::Digits, "42"),
                (Kind::Symbol, ","),
                (Kind::Cjk, "我"),
                (Kind::Cjk, "要"),
                (Kind::Digits, "3"),
                (Kind::Cjk, "个"),
                (Kind::Pictograph, "👍"),
                (Kind::Symbol, "!"),
            ]
        );
        for lexeme in &l {
            assert!(text.get(lexeme.start..lexeme.end).is_some());
        }
        assert!(l[3].space_before);
        assert!(!l[4].space_before);
    }

    #[test]
    fn full_width_digits_are_digits() {
        let l = lex("１２");
        assert_eq!(l[0].kind, Kind::Digits);
        assert_eq!(l[0].number(), Some(12));
    }

    #[test]
    fn phrases_ignore_apostrophes_and_hyphens() {
        assert_eq!(phrase("d'accord"), phrase("d accord"));
        assert_eq!(phrase("après-demain"), vec!["apres", "demain"]);
    }
}
