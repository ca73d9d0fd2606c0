//! Numbers and ordinals: digits as the locale writes them, number words, Chinese numerals.

use serde::{Deserialize, Serialize};

use super::{Language, Locale, ModelResult};
use crate::text::{self, Kind, Lexeme, digit_value, fold, is_word_letter};

/// A number found in an utterance.
///
/// ```
/// use botbuilder_dialogs::recognizers::{recognize_numbers, Locale};
///
/// let n = &recognize_numbers("1.234,5", &Locale::parse("de-DE"))[0].resolution;
/// assert_eq!(n.value, 1234.5);
/// assert!(!n.is_integer);
/// assert_eq!(n.as_i64(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Number {
    /// The value.
    pub value: f64,
    /// Whether the value is a whole number that an `i64` holds exactly (`42`, `2.0`, `forty
    /// two`), as opposed to `2.5`.
    pub is_integer: bool,
}

impl Number {
    /// A number with `is_integer` computed from the value.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::Number;
    ///
    /// assert!(Number::new(3.0).is_integer);
    /// assert!(!Number::new(0.5).is_integer);
    /// ```
    #[must_use]
    pub fn new(value: f64) -> Self {
        Number {
            value,
            is_integer: value.is_finite() && value.fract() == 0.0 && value.abs() <= MAX_EXACT,
        }
    }

    /// The value as an `i64` when it is a whole number.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::{recognize_numbers, Locale};
    ///
    /// let found = recognize_numbers("minus forty two", &Locale::default());
    /// assert_eq!(found[0].resolution.as_i64(), Some(-42));
    /// ```
    #[must_use]
    #[allow(clippy::cast_possible_truncation)]
    pub fn as_i64(&self) -> Option<i64> {
        // `is_integer` bounds the value by 2^53, which an i64 holds exactly.
        self.is_integer.then_some(self.value as i64)
    }
}

/// The largest integer an `f64` holds exactly (2^53).
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// A position in a list, as the user said it: `first`, `2nd`, `the last one`,
/// `second to last`.
///
/// ```
/// use botbuilder_dialogs::recognizers::{recognize_ordinals, Locale, Ordinal};
///
/// let found = recognize_ordinals("the second to last one", &Locale::default());
/// assert_eq!(found[0].resolution, Ordinal::FromEnd(2));
/// assert_eq!(found[0].resolution.index_in(5), Some(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Ordinal {
    /// The n-th item from the start, 1-based (`first` is `Position(1)`).
    Position(u64),
    /// The n-th item from the end, 1-based (`last` is `FromEnd(1)`).
    FromEnd(u64),
}

impl Ordinal {
    /// The zero-based index this ordinal designates in a list of `len` items, if it is in the
    /// list.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::Ordinal;
    ///
    /// assert_eq!(Ordinal::Position(1).index_in(3), Some(0));
    /// assert_eq!(Ordinal::FromEnd(1).index_in(3), Some(2));
    /// assert_eq!(Ordinal::Position(4).index_in(3), None);
    /// ```
    #[must_use]
    pub fn index_in(&self, len: usize) -> Option<usize> {
        let len = u64::try_from(len).ok()?;
        let index = match *self {
            Ordinal::Position(n) if n >= 1 && n <= len => n - 1,
            Ordinal::FromEnd(n) if n >= 1 && n <= len => len - n,
            _ => return None,
        };
        usize::try_from(index).ok()
    }
}

/// Finds every number in `utterance`, in order, with its span.
///
/// Recognized, for every locale: digits with the locale's decimal and group separators
/// (`1,234.5` in English and Chinese; `1.234,5` in German, Spanish, Portuguese and French;
/// `1 234,5` with a space or no-break space in French; `es-MX` and `de-CH` as written there), a
/// leading `-`, `−` or `+`, full-width digits, and a scale word after digits (`2 million`,
/// `3万`). A group separator counts only before exactly three digits, so `1,5` in English is
/// two numbers; in locales with a decimal comma, `2.5` (not three digits after the point) is
/// read as 2.5.
///
/// Number words: English in full (`forty two`, `one hundred and five`, `a thousand`,
/// `minus seven`, `three point five`); `zero` to `twenty` in French, Spanish, German and
/// Portuguese (articles such as `un`, `une`, `um`, `ein` are not numbers); Chinese numerals
/// (`一百二十三`, `两千`, `三点五`, `负五`). `one` after a determiner (`this one`, `the one`) is
/// not a number.
///
/// Ordinals are not numbers here (`2nd` is found by [`recognize_ordinals`]).
///
/// ```
/// use botbuilder_dialogs::recognizers::{recognize_numbers, Locale};
///
/// let values = |text: &str, locale: &str| -> Vec<f64> {
///     recognize_numbers(text, &Locale::parse(locale)).iter().map(|r| r.resolution.value).collect()
/// };
/// assert_eq!(values("I am 42 years old", "en-US"), [42.0]);
/// assert_eq!(values("1,234.5 or -3", "en-US"), [1234.5, -3.0]);
/// assert_eq!(values("1 234,5 €", "fr-FR"), [1234.5]);
/// assert_eq!(values("one hundred and five", "en"), [105.0]);
/// assert_eq!(values("我要三百个", "zh-CN"), [300.0]);
/// ```
#[must_use]
pub fn recognize_numbers(utterance: &str, locale: &Locale) -> Vec<ModelResult<Number>> {
    scan(utterance, locale)
        .into_iter()
        .filter_map(|f| match f.kind {
            FoundKind::Cardinal(value) => Some(ModelResult::new(
                utterance,
                f.start..f.end,
                "number",
                Number::new(value),
            )),
            FoundKind::Ordinal(_) => None,
        })
        .collect()
}

/// Finds every ordinal in `utterance`, in order, with its span.
///
/// Recognized: English `first` .. `ninety-ninth`, `hundredth`, `1st`, `22nd`, `last`,
/// `second to last`, `penultimate`, `last but one`; French `premier`, `deuxième`, `2e`,
/// `dernier`, `avant-dernier`; Spanish `primero`, `segunda`, `3º`, `último`, `penúltimo`;
/// German `erste`, `zweiten`, `letzte`, `vorletzte`; Portuguese `primeiro`, `2ª`, `último`;
/// Chinese `第一`, `第3`, `最后`, `倒数第二`. `a second` (the unit of time) is not an ordinal,
/// nor is `last` before `week`, `night` or a weekday.
///
/// ```
/// use botbuilder_dialogs::recognizers::{recognize_ordinals, Locale, Ordinal};
///
/// let first = |text: &str, locale: &str| {
///     recognize_ordinals(text, &Locale::parse(locale)).first().map(|r| r.resolution)
/// };
/// assert_eq!(first("the second one", "en"), Some(Ordinal::Position(2)));
/// assert_eq!(first("2nd", "en"), Some(Ordinal::Position(2)));
/// assert_eq!(first("la dernière", "fr"), Some(Ordinal::FromEnd(1)));
/// assert_eq!(first("第三个", "zh"), Some(Ordinal::Position(3)));
/// assert_eq!(first("wait a second", "en"), None);
/// ```
#[must_use]
pub fn recognize_ordinals(utterance: &str, locale: &Locale) -> Vec<ModelResult<Ordinal>> {
    scan(utterance, locale)
        .into_iter()
        .filter_map(|f| match f.kind {
            FoundKind::Ordinal(o) => {
                Some(ModelResult::new(utterance, f.start..f.end, "ordinal", o))
            }
            FoundKind::Cardinal(_) => None,
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum FoundKind {
    Cardinal(f64),
    Ordinal(Ordinal),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Found {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: FoundKind,
}

/// Every number and ordinal, overlaps resolved (the longer match wins, then the earlier).
pub(crate) fn scan(utterance: &str, locale: &Locale) -> Vec<Found> {
    let mut found = scan_digits(utterance, locale);
    let lexemes = text::words(utterance);
    found.extend(scan_words(&lexemes, locale));
    found.extend(scan_chinese(utterance));
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if out.last().is_some_and(|last| f.start < last.end) {
            continue;
        }
        out.push(f);
    }
    // 第 before a number makes it an ordinal; 倒数第 counts from the end.
    for f in &mut out {
        if let FoundKind::Cardinal(v) = f.kind
            && v >= 1.0
            && v.fract() == 0.0
            && v <= MAX_EXACT
            && utterance[..f.start].ends_with('第')
        {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = v as u64;
            let before = &utterance[..f.start - '第'.len_utf8()];
            if before.ends_with("倒数") {
                f.start -= '第'.len_utf8() + "倒数".len();
                f.kind = FoundKind::Ordinal(Ordinal::FromEnd(n));
            } else {
                f.start -= '第'.len_utf8();
                f.kind = FoundKind::Ordinal(Ordinal::Position(n));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Digits

fn scan_digits(text: &str, locale: &Locale) -> Vec<Found> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |k: usize| chars.get(k).map_or(text.len(), |&(b, _)| b);
    let decimal = locale.decimal_separator();
    let groups = locale.group_separators();
    let is_digit = |k: usize| chars.get(k).is_some_and(|&(_, c)| digit_value(c).is_some());
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let (_, c) = chars[k];
        let prev = k.checked_sub(1).map(|p| chars[p].1);
        let prev_blocks = prev.is_some_and(|p| is_word_letter(p) || digit_value(p).is_some());
        // Where the number proper starts (after a sign).
        let (sign, body) = match c {
            '-' | '\u{2212}' | '+'
                if !prev_blocks
                    && !prev.is_some_and(|p| p == '.' || p == ',')
                    && (is_digit(k + 1)
                        || (chars.get(k + 1).is_some_and(|&(_, d)| d == decimal)
                            && is_digit(k + 2))) =>
            {
                (if c == '+' { 1.0 } else { -1.0 }, k + 1)
            }
            _ if digit_value(c).is_some() && !prev_blocks => (1.0, k),
            _ if c == decimal && is_digit(k + 1) && !prev_blocks && prev != Some(decimal) => {
                (1.0, k)
            }
            _ => {
                k += 1;
                continue;
            }
        };
        let mut digits = String::new();
        let mut j = body;
        while let Some(d) = chars.get(j).and_then(|&(_, c)| digit_value(c)) {
            digits.push(char::from(b'0' + d as u8));
            j += 1;
        }
        let int_len = digits.len();
        let mut grouped: Option<char> = None;
        let mut fraction = String::new();
        // Digit groups.
        if (1..=3).contains(&int_len) {
            while let Some(&(_, g)) = chars.get(j) {
                if !groups.contains(&g) || grouped.is_some_and(|first| first != g) {
                    break;
                }
                let run = (j + 1..).take_while(|&x| is_digit(x)).count();
                if run != 3 {
                    break;
                }
                for &(_, ch) in &chars[j + 1..j + 4] {
                    if let Some(d) = digit_value(ch) {
                        digits.push(char::from(b'0' + d as u8));
                    }
                }
                grouped = Some(g);
                j += 4;
            }
        }
        // Decimal part; a point also counts as decimal in comma locales when it is not a
        // digit group ("2.5" in German).
        let next = chars.get(j).map(|&(_, c)| c);
        let lenient_point =
            decimal == ',' && next == Some('.') && grouped.is_none() && is_digit(j + 1);
        if (next == Some(decimal) || lenient_point) && is_digit(j + 1) {
            j += 1;
            while let Some(d) = chars.get(j).and_then(|&(_, c)| digit_value(c)) {
                fraction.push(char::from(b'0' + d as u8));
                j += 1;
            }
        }
        let start = byte_at(k);
        let mut end = byte_at(j);
        let literal = if digits.is_empty() {
            format!("0.{fraction}")
        } else if fraction.is_empty() {
            digits.clone()
        } else {
            format!("{digits}.{fraction}")
        };
        let Ok(mut value) = literal.parse::<f64>() else {
            k = j.max(k + 1);
            continue;
        };
        value *= sign;
        // An ordinal suffix on a plain integer ("2nd", "3e", "1º").
        if sign > 0.0
            && grouped.is_none()
            && fraction.is_empty()
            && !digits.is_empty()
            && let Some(suffix_end) = ordinal_suffix(text, end, locale)
            && let Ok(n) = digits.parse::<u64>()
            && n > 0
        {
            out.push(Found {
                start,
                end: suffix_end,
                kind: FoundKind::Ordinal(Ordinal::Position(n)),
            });
            k = chars.partition_point(|&(b, _)| b < suffix_end);
            continue;
        }
        // A scale word after the digits ("2 million", "3万").
        if let Some((scale, scale_end)) = scale_after(text, end, locale.language()) {
            value *= scale;
            end = scale_end;
        }
        if value.is_finite() {
            out.push(Found {
                start,
                end,
                kind: FoundKind::Cardinal(value),
            });
        }
        k = chars.partition_point(|&(b, _)| b < end).max(k + 1);
    }
    out
}

/// The end of an ordinal suffix written right after digits at byte `at`, if there is one.
fn ordinal_suffix(text: &str, at: usize, locale: &Locale) -> Option<usize> {
    let rest = &text[at..];
    let letters: String = rest.chars().take_while(|c| is_word_letter(*c)).collect();
    let letters_end = at + letters.len();
    let word = fold(&letters);
    let ok = match locale.language() {
        Language::English => matches!(word.as_str(), "st" | "nd" | "rd" | "th"),
        Language::French => matches!(
            word.as_str(),
            "e" | "er" | "re" | "ere" | "eme" | "ieme" | "nd" | "nde"
        ),
        Language::Spanish | Language::Portuguese => {
            // 1º, 1ª, 1.º, 1.ª
            let symbol = rest.strip_prefix('.').unwrap_or(rest);
            if let Some(c) = symbol.chars().next().filter(|c| matches!(c, 'º' | 'ª')) {
                let end = at + (rest.len() - symbol.len()) + c.len_utf8();
                return (!text[end..].chars().next().is_some_and(is_word_letter)).then_some(end);
            }
            false
        }
        Language::German | Language::Chinese => false,
    };
    ok.then_some(letters_end)
}

/// A scale word after a number ending at byte `at`: `million`, `thousand`, `万`, ...
fn scale_after(text: &str, at: usize, language: Language) -> Option<(f64, usize)> {
    let rest = &text[at..];
    if let Some(c) = rest.chars().next() {
        let v = match c {
            '万' | '萬' => Some(1e4),
            '亿' | '億' => Some(1e8),
            '千' => Some(1e3),
            '百' => Some(1e2),
            _ => None,
        };
        if let Some(v) = v {
            return Some((v, at + c.len_utf8()));
        }
    }
    let trimmed = rest.trim_start_matches([' ', '\u{a0}']);
    let word: String = trimmed.chars().take_while(|c| is_word_letter(*c)).collect();
    if word.is_empty() || trimmed.len() == rest.len() {
        return None;
    }
    let end = at + (rest.len() - trimmed.len()) + word.len();
    if text[end..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric())
    {
        return None;
    }
    let w = fold(&word);
    let v = match (language, w.as_str()) {
        (Language::English, "hundred") => 1e2,
        (Language::English, "thousand")
        | (Language::French | Language::Spanish | Language::Portuguese, "mil" | "mille") => 1e3,
        (Language::German, "tausend") => 1e3,
        (Language::English, "million") | (Language::French, "million" | "millions") => 1e6,
        (Language::Spanish, "millon" | "millones")
        | (Language::Portuguese, "milhao" | "milhoes") => 1e6,
        (Language::German, "million" | "millionen" | "mio") => 1e6,
        (Language::English, "billion") | (Language::French, "milliard" | "milliards") => 1e9,
        (Language::German, "milliarde" | "milliarden" | "mrd") => 1e9,
        (Language::Portuguese, "bilhao" | "bilhoes") => 1e9,
        (Language::English, "trillion") => 1e12,
        _ => return None,
    };
    Some((v, end))
}

// ---------------------------------------------------------------------------------------------
// Words

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Unit(u64),
    Teen(u64),
    Tens(u64),
    Hundred,
    Scale(u64),
}

fn english_cardinal(w: &str) -> Option<Class> {
    const UNITS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    const TEENS: [&str; 10] = [
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if let Some(i) = UNITS.iter().position(|u| *u == w) {
        return Some(Class::Unit(i as u64));
    }
    if let Some(i) = TEENS.iter().position(|u| *u == w) {
        return Some(Class::Teen(10 + i as u64));
    }
    if let Some(i) = TENS.iter().position(|u| *u == w) {
        return Some(Class::Tens(20 + 10 * i as u64));
    }
    match w {
        "fourty" => Some(Class::Tens(40)),
        "hundred" => Some(Class::Hundred),
        "thousand" => Some(Class::Scale(1_000)),
        "million" => Some(Class::Scale(1_000_000)),
        "billion" => Some(Class::Scale(1_000_000_000)),
        "trillion" => Some(Class::Scale(1_000_000_000_000)),
        _ => None,
    }
}

fn english_ordinal(w: &str) -> Option<Class> {
    const UNITS: [&str; 9] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    ];
    const TEENS: [&str; 10] = [
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
    ];
    const TENS: [&str; 8] = [
        "twentieth",
        "thirtieth",
        "fortieth",
        "fiftieth",
        "sixtieth",
        "seventieth",
        "eightieth",
        "ninetieth",
    ];
    if let Some(i) = UNITS.iter().position(|u| *u == w) {
        return Some(Class::Unit(1 + i as u64));
    }
    if let Some(i) = TEENS.iter().position(|u| *u == w) {
        return Some(Class::Teen(10 + i as u64));
    }
    if let Some(i) = TENS.iter().position(|u| *u == w) {
        return Some(Class::Tens(20 + 10 * i as u64));
    }
    match w {
        "hundredth" => Some(Class::Hundred),
        "thousandth" => Some(Class::Scale(1_000)),
        "millionth" => Some(Class::Scale(1_000_000)),
        "billionth" => Some(Class::Scale(1_000_000_000)),
        _ => None,
    }
}

/// A number read from words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct WordNumber {
    /// Index one past the last lexeme used.
    pub(crate) next: usize,
    pub(crate) value: f64,
    pub(crate) ordinal: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    None,
    A,
    Unit,
    Teen,
    Tens,
    Hundred,
    Scale,
    And,
}

/// Reads an English number written in words starting at lexeme `i`.
pub(crate) fn parse_english_words(lex: &[Lexeme], i: usize) -> Option<WordNumber> {
    let word = |k: usize| {
        lex.get(k)
            .filter(|l| l.kind == Kind::Word)
            .map(|l| l.text.as_str())
    };
    let class_at =
        |k: usize| word(k).and_then(|w| english_cardinal(w).or_else(|| english_ordinal(w)));
    let mut k = i;
    let mut sign = 1.0;
    if matches!(word(k), Some("minus" | "negative")) && class_at(k + 1).is_some() {
        sign = -1.0;
        k += 1;
    }
    let mut total: u64 = 0;
    let mut current: u64 = 0;
    let mut last = Last::None;
    let mut last_scale = u64::MAX;
    let mut valid_end: Option<(usize, u64, bool)> = None;
    if matches!(word(k), Some("a" | "an")) {
        if !matches!(class_at(k + 1), Some(Class::Hundred | Class::Scale(_))) {
            return None;
        }
        last = Last::A;
        current = 1;
        k += 1;
    }
    while let Some(w) = word(k) {
        if w == "and" {
            if matches!(last, Last::Hundred | Last::Scale)
                && matches!(
                    class_at(k + 1),
                    Some(Class::Unit(_) | Class::Teen(_) | Class::Tens(_))
                )
            {
                last = Last::And;
                k += 1;
                continue;
            }
            break;
        }
        let ordinal_class = english_ordinal(w);
        let Some(class) = english_cardinal(w).or(ordinal_class) else {
            break;
        };
        let ordinal = ordinal_class.is_some() && english_cardinal(w).is_none();
        let ok = match class {
            Class::Unit(u) => {
                let ok = matches!(
                    last,
                    Last::None | Last::Tens | Last::Hundred | Last::Scale | Last::And
                );
                if ok {
                    current += u;
                }
                ok
            }
            Class::Teen(t) | Class::Tens(t) => {
                let ok = matches!(last, Last::None | Last::Hundred | Last::Scale | Last::And);
                if ok {
                    current += t;
                }
                ok
            }
            Class::Hundred => {
                let ok = matches!(last, Last::Unit | Last::Teen | Last::Tens | Last::A)
                    && (1..100).contains(&current);
                if ok {
                    current *= 100;
                }
                ok
            }
            Class::Scale(s) => {
                let ok = matches!(
                    last,
                    Last::Unit | Last::Teen | Last::Tens | Last::Hundred | Last::A
                ) && s < last_scale
                    && current > 0;
                if ok {
                    total = total.saturating_add(current.saturating_mul(s));
                    current = 0;
                    last_scale = s;
                }
                ok
            }
        };
        if !ok {
            break;
        }
        last = match class {
            Class::Unit(_) => Last::Unit,
            Class::Teen(_) => Last::Teen,
            Class::Tens(_) => Last::Tens,
            Class::Hundred => Last::Hundred,
            Class::Scale(_) => Last::Scale,
        };
        k += 1;
        valid_end = Some((k, total.saturating_add(current), ordinal));
        if ordinal {
            break;
        }
    }
    let (next, value, ordinal) = valid_end?;
    #[allow(clippy::cast_precision_loss)]
    let mut value = value as f64;
    let mut next = next;
    // "three point one four"
    if !ordinal && word(next) == Some("point") {
        let mut digits = String::new();
        let mut j = next + 1;
        while let Some(Class::Unit(u)) = word(j).and_then(english_cardinal) {
            digits.push(char::from(b'0' + u as u8));
            j += 1;
        }
        if let Ok(fraction) = format!("0.{digits}").parse::<f64>()
            && !digits.is_empty()
        {
            value += fraction;
            next = j;
        }
    }
    Some(WordNumber {
        next,
        value: sign * value,
        ordinal,
    })
}

/// Cardinal words of the other languages: zero to twenty.
pub(crate) fn small_cardinal(language: Language, w: &str) -> Option<u64> {
    let list: &[&str] = match language {
        Language::French => &[
            "zero", "", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
            "onze", "douze", "treize", "quatorze", "quinze", "seize", "", "", "", "vingt",
        ],
        Language::Spanish => &[
            "cero",
            "uno",
            "dos",
            "tres",
            "cuatro",
            "cinco",
            "seis",
            "siete",
            "ocho",
            "nueve",
            "diez",
            "once",
            "doce",
            "trece",
            "catorce",
            "quince",
            "dieciseis",
            "diecisiete",
            "dieciocho",
            "diecinueve",
            "veinte",
        ],
        Language::German => &[
            "null", "eins", "zwei", "drei", "vier", "funf", "sechs", "sieben", "acht", "neun",
            "zehn", "elf", "zwolf", "dreizehn", "vierzehn", "funfzehn", "sechzehn", "siebzehn",
            "achtzehn", "neunzehn", "zwanzig",
        ],
        Language::Portuguese => &[
            "zero",
            "",
            "dois",
            "tres",
            "quatro",
            "cinco",
            "seis",
            "sete",
            "oito",
            "nove",
            "dez",
            "onze",
            "doze",
            "treze",
            "catorze",
            "quinze",
            "dezesseis",
            "dezessete",
            "dezoito",
            "dezenove",
            "vinte",
        ],
        Language::English | Language::Chinese => return None,
    };
    if w.is_empty() {
        return None;
    }
    if let Some(i) = list.iter().position(|x| *x == w) {
        return Some(i as u64);
    }
    match (language, w) {
        (Language::German, "fuenf") => Some(5),
        (Language::German, "zwoelf") => Some(12),
        (Language::German, "fuenfzehn") => Some(15),
        (Language::Portuguese, "duas") => Some(2),
        (Language::Portuguese, "quatorze") => Some(14),
        (Language::Portuguese, "dezasseis") => Some(16),
        (Language::Portuguese, "dezassete") => Some(17),
        (Language::Portuguese, "dezanove") => Some(19),
        _ => None,
    }
}

/// Ordinal words of the other languages (one lexeme).
fn small_ordinal(language: Language, w: &str) -> Option<Ordinal> {
    let position = |list: &[&[&str]]| {
        list.iter()
            .position(|forms| forms.contains(&w))
            .map(|i| Ordinal::Position(i as u64 + 1))
    };
    match language {
        Language::French => position(&[
            &["premier", "premiere"],
            &["deuxieme", "second", "seconde"],
            &["troisieme"],
            &["quatrieme"],
            &["cinquieme"],
            &["sixieme"],
            &["septieme"],
            &["huitieme"],
            &["neuvieme"],
            &["dixieme"],
        ])
        .or_else(|| matches!(w, "dernier" | "derniere").then_some(Ordinal::FromEnd(1))),
        Language::Spanish => position(&[
            &["primero", "primera", "primer"],
            &["segundo", "segunda"],
            &["tercero", "tercera", "tercer"],
            &["cuarto", "cuarta"],
            &["quinto", "quinta"],
            &["sexto", "sexta"],
            &["septimo", "septima"],
            &["octavo", "octava"],
            &["noveno", "novena"],
            &["decimo", "decima"],
        ])
        .or(match w {
            "ultimo" | "ultima" => Some(Ordinal::FromEnd(1)),
            "penultimo" | "penultima" => Some(Ordinal::FromEnd(2)),
            _ => None,
        }),
        Language::Portuguese => position(&[
            &["primeiro", "primeira"],
            &["segundo", "segunda"],
            &["terceiro", "terceira"],
            &["quarto", "quarta"],
            &["quinto", "quinta"],
            &["sexto", "sexta"],
            &["setimo", "setima"],
            &["oitavo", "oitava"],
            &["nono", "nona"],
            &["decimo", "decima"],
        ])
        .or(match w {
            "ultimo" | "ultima" => Some(Ordinal::FromEnd(1)),
            "penultimo" | "penultima" => Some(Ordinal::FromEnd(2)),
            _ => None,
        }),
        Language::German => {
            const STEMS: [&[&str]; 10] = [
                &["erst"],
                &["zweit"],
                &["dritt"],
                &["viert"],
                &["funft", "fuenft"],
                &["sechst"],
                &["siebt", "siebent"],
                &["acht"],
                &["neunt"],
                &["zehnt"],
            ];
            let inflected = |stem: &str| {
                w.strip_prefix(stem)
                    .is_some_and(|rest| matches!(rest, "e" | "en" | "er" | "es" | "em"))
            };
            if let Some(i) = STEMS
                .iter()
                .position(|stems| stems.iter().any(|s| inflected(s)))
            {
                return Some(Ordinal::Position(i as u64 + 1));
            }
            if inflected("letzt") {
                return Some(Ordinal::FromEnd(1));
            }
            if inflected("vorletzt") {
                return Some(Ordinal::FromEnd(2));
            }
            None
        }
        Language::English | Language::Chinese => None,
    }
}

/// Words before `one` that make it a pronoun ("this one"), not a number.
const DETERMINERS: &[&str] = &[
    "this",
    "that",
    "the",
    "which",
    "any",
    "each",
    "every",
    "another",
    "other",
    "no",
    "some",
    "which",
    "whichever",
    "right",
    "left",
    "big",
    "small",
    "red",
    "blue",
    "green",
    "new",
    "old",
    "first",
    "last",
    "next",
    "same",
    "st",
    "nd",
    "rd",
    "th",
];

/// Words that make `second` a unit of time.
const SECOND_AS_TIME: &[&str] = &[
    "a", "one", "per", "every", "each", "split", "un", "une", "um", "uma",
];

/// Words after `last` that make it "previous" rather than a position.
const LAST_AS_TIME: &[&str] = &[
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "night",
    "time",
    "weekend",
    "day",
    "days",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "hour",
    "minute",
    "minutes",
    "hours",
];

fn scan_words(lex: &[Lexeme], locale: &Locale) -> Vec<Found> {
    let language = locale.language();
    let mut out = Vec::new();
    let word = |k: usize| {
        lex.get(k)
            .filter(|l| l.kind == Kind::Word)
            .map(|l| l.text.as_str())
    };
    let span = |from: usize, to: usize| (lex[from].start, lex[to - 1].end);
    let mut i = 0;
    while i < lex.len() {
        if lex[i].kind != Kind::Word {
            i += 1;
            continue;
        }
        let prev = i.checked_sub(1).and_then(word);
        if language == Language::English {
            if let Some(found) = english_relative_ordinal(lex, i) {
                let (start, end) = span(i, found.0);
                out.push(Found {
                    start,
                    end,
                    kind: FoundKind::Ordinal(found.1),
                });
                i = found.0;
                continue;
            }
            if let Some(n) = parse_english_words(lex, i) {
                let single = n.next == i + 1;
                let w = word(i).unwrap_or_default();
                let pronoun_one =
                    single && w == "one" && prev.is_some_and(|p| DETERMINERS.contains(&p));
                let time_second = single
                    && w == "second"
                    && (prev.is_some_and(|p| SECOND_AS_TIME.contains(&p))
                        || i.checked_sub(1)
                            .is_some_and(|p| lex[p].kind == Kind::Digits));
                if pronoun_one || time_second {
                    i += 1;
                    continue;
                }
                let (start, end) = span(i, n.next);
                let kind = if n.ordinal {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    FoundKind::Ordinal(Ordinal::Position(n.value as u64))
                } else {
                    FoundKind::Cardinal(n.value)
                };
                if !(n.ordinal && n.value < 1.0) {
                    out.push(Found { start, end, kind });
                }
                i = n.next;
                continue;
            }
        } else if let Some(w) = word(i) {
            if let Some(o) = other_relative_ordinal(language, lex, i) {
                let (start, end) = span(i, o.0);
                out.push(Found {
                    start,
                    end,
                    kind: FoundKind::Ordinal(o.1),
                });
                i = o.0;
                continue;
            }
            let time_second = matches!(w, "seconde" | "segundo")
                && prev.is_some_and(|p| SECOND_AS_TIME.contains(&p));
            if let Some(o) = small_ordinal(language, w).filter(|_| !time_second) {
                out.push(Found {
                    start: lex[i].start,
                    end: lex[i].end,
                    kind: FoundKind::Ordinal(o),
                });
            } else if let Some(v) = small_cardinal(language, w) {
                #[allow(clippy::cast_precision_loss)]
                out.push(Found {
                    start: lex[i].start,
                    end: lex[i].end,
                    kind: FoundKind::Cardinal(v as f64),
                });
            }
        }
        i += 1;
    }
    out
}

/// `last`, `second to last`, `penultimate`, `last but one`: (next lexeme, ordinal).
fn english_relative_ordinal(lex: &[Lexeme], i: usize) -> Option<(usize, Ordinal)> {
    let word = |k: usize| {
        lex.get(k)
            .filter(|l| l.kind == Kind::Word)
            .map(|l| l.text.as_str())
    };
    let w = word(i)?;
    match w {
        "penultimate" => return Some((i + 1, Ordinal::FromEnd(2))),
        "antepenultimate" => return Some((i + 1, Ordinal::FromEnd(3))),
        "next" if word(i + 1) == Some("to") && word(i + 2) == Some("last") => {
            return Some((i + 3, Ordinal::FromEnd(2)));
        }
        "last" => {
            if i > 0 && word(i - 1) == Some("at") {
                return None;
            }
            if word(i + 1).is_some_and(|n| LAST_AS_TIME.contains(&n)) {
                return None;
            }
            if word(i + 1) == Some("but") && word(i + 2) == Some("one") {
                return Some((i + 3, Ordinal::FromEnd(2)));
            }
            return Some((i + 1, Ordinal::FromEnd(1)));
        }
        _ => {}
    }
    // "<ordinal> last", "<ordinal> to last", "<ordinal> from last", "<ordinal> from the end"
    let n = parse_english_words(lex, i).filter(|n| n.ordinal)?;
    let k = n.next;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let offset = n.value as u64;
    if word(k) == Some("last") {
        return Some((k + 1, Ordinal::FromEnd(offset)));
    }
    if matches!(word(k), Some("to" | "from")) && word(k + 1) == Some("last") {
        return Some((k + 2, Ordinal::FromEnd(offset)));
    }
    if word(k) == Some("from") && word(k + 1) == Some("the") && word(k + 2) == Some("end") {
        return Some((k + 3, Ordinal::FromEnd(offset)));
    }
    None
}

/// `avant-dernier` (French; hyphen already dropped).
fn other_relative_ordinal(
    language: Language,
    lex: &[Lexeme],
    i: usize,
) -> Option<(usize, Ordinal)> {
    let word = |k: usize| {
        lex.get(k)
            .filter(|l| l.kind == Kind::Word)
            .map(|l| l.text.as_str())
    };
    match (language, word(i)?, word(i + 1)) {
        (Language::French, "avant", Some("dernier" | "derniere")) => {
            Some((i + 2, Ordinal::FromEnd(2)))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Chinese numerals

fn chinese_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '贰' | '两' | '兩' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn chinese_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1_000,
        '万' | '萬' => 10_000,
        '亿' | '億' => 100_000_000,
        _ => return None,
    })
}

/// Characters after a lone 一 that make it part of a word (一起 "together", 一样 "same").
const YI_WORDS: &str = "起样下些般切定直旦致共点会边向再同";

fn scan_chinese(text: &str) -> Vec<Found> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k].1;
        let starts = chinese_digit(c).is_some() || matches!(c, '十' | '拾');
        if !starts {
            k += 1;
            continue;
        }
        let mut j = k;
        let mut int_chars = Vec::new();
        while let Some(&(_, c)) = chars.get(j) {
            if chinese_digit(c).is_some() || chinese_unit(c).is_some() {
                int_chars.push(c);
                j += 1;
            } else {
                break;
            }
        }
        let mut fraction = String::new();
        if chars.get(j).is_some_and(|&(_, c)| c == '点' || c == '點')
            && chars
                .get(j + 1)
                .is_some_and(|&(_, c)| chinese_digit(c).is_some())
        {
            j += 1;
            while let Some(d) = chars.get(j).and_then(|&(_, c)| chinese_digit(c)) {
                fraction.push(char::from(b'0' + d as u8));
                j += 1;
            }
        }
        let lone_yi = int_chars.len() == 1
            && int_chars[0] == '一'
            && fraction.is_empty()
            && chars.get(j).is_some_and(|&(_, c)| YI_WORDS.contains(c));
        if lone_yi {
            k = j;
            continue;
        }
        let Some(int) = parse_chinese_integer(&int_chars) else {
            k = j.max(k + 1);
            continue;
        };
        #[allow(clippy::cast_precision_loss)]
        let mut value = int as f64;
        if !fraction.is_empty()
            && let Ok(f) = format!("0.{fraction}").parse::<f64>()
        {
            value += f;
        }
        let mut start = chars[k].0;
        if k > 0 && matches!(chars[k - 1].1, '负' | '負') {
            value = -value;
            start = chars[k - 1].0;
        }
        let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
        out.push(Found {
            start,
            end,
            kind: FoundKind::Cardinal(value),
        });
        k = j.max(k + 1);
    }
    // 最后 (the last one)
    let mut from = 0;
    while let Some(pos) = text[from..].find("最后") {
        let start = from + pos;
        let mut end = start + "最后".len();
        for tail in ["一个", "一位", "一项", "一"] {
            if text[end..].starts_with(tail) {
                end += tail.len();
                break;
            }
        }
        out.push(Found {
            start,
            end,
            kind: FoundKind::Ordinal(Ordinal::FromEnd(1)),
        });
        from = end;
    }
    out
}

/// Parses Chinese numeral characters: positional digits (二〇二六) or digits with units
/// (一百二十三, 三万五千).
pub(crate) fn parse_chinese_integer(chars: &[char]) -> Option<u64> {
    if chars.is_empty() {
        return None;
    }
    if chars.iter().all(|c| chinese_digit(*c).is_some()) {
        if chars.len() > 18 {
            return None;
        }
        return chars
            .iter()
            .try_fold(0u64, |acc, c| Some(acc * 10 + chinese_digit(*c)?));
    }
    let mut total: u64 = 0;
    let mut section: u64 = 0;
    let mut number: u64 = 0;
    for &c in chars {
        if let Some(d) = chinese_digit(c) {
            number = d;
        } else if let Some(unit) = chinese_unit(c) {
            match unit {
                10 | 100 | 1_000 => {
                    let n = if number == 0 { 1 } else { number };
                    section = section.checked_add(n.checked_mul(unit)?)?;
                    number = 0;
                }
                10_000 => {
                    section = section.checked_add(number)?;
                    total = total.checked_add(section.max(1).checked_mul(10_000)?)?;
                    section = 0;
                    number = 0;
                }
                _ => {
                    section = section.checked_add(number)?;
                    total = total
                        .checked_add(section)?
                        .max(1)
                        .checked_mul(100_000_000)?;
                    section = 0;
                    number = 0;
                }
            }
        }
    }
    total.checked_add(section)?.checked_add(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str, locale: &str) -> Vec<(f64, String)> {
        recognize_numbers(text, &Locale::parse(locale))
            .into_iter()
            .map(|r| (r.resolution.value, r.text))
            .collect()
    }

    fn values(text: &str, locale: &str) -> Vec<f64> {
        numbers(text, locale).into_iter().map(|(v, _)| v).collect()
    }

    #[test]
    fn digits_per_locale_table() {
        let cases: &[(&str, &str, &[f64])] = &[
            ("en-US", "1,234.5", &[1234.5]),
            ("en-US", "1,234,567", &[1_234_567.0]),
            ("en-US", "-12.75", &[-12.75]),
            ("en-US", "+7", &[7.0]),
            ("en-US", "\u{2212}3", &[-3.0]),
            ("en-US", ".5", &[0.5]),
            ("en-US", "1,5", &[1.0, 5.0]),
            ("en-US", "1,2345", &[1.0, 2345.0]),
            ("en-US", "1.234.567", &[1.234, 567.0]),
            ("en-GB", "1,234.5", &[1234.5]),
            ("zh-CN", "1,234.5", &[1234.5]),
            ("de-DE", "1.234,5", &[1234.5]),
            ("de-DE", "1.234.567,89", &[1_234_567.89]),
            ("de-DE", "2.5", &[2.5]),
            ("de-DE", "-3,25", &[-3.25]),
            ("de-CH", "1'234.5", &[1234.5]),
            ("es-ES", "1.234,5", &[1234.5]),
            ("es-MX", "1,234.5", &[1234.5]),
            ("pt-BR", "1.234,5", &[1234.5]),
            ("pt-PT", "1 234,5", &[1234.5]),
            ("fr-FR", "1.234,5", &[1234.5]),
            ("fr-FR", "1 234,5", &[1234.5]),
            ("fr-FR", "1\u{a0}234,5", &[1234.5]),
            ("fr-FR", "1\u{202f}234\u{202f}567", &[1_234_567.0]),
            ("fr-FR", "12 345 678,9", &[12_345_678.9]),
            ("en-US", "\u{FF14}\u{FF12}", &[42.0]),
        ];
        for (locale, text, expected) in cases {
            assert_eq!(values(text, locale), *expected, "{locale} {text:?}");
        }
    }

    #[test]
    fn spans_are_exact() {
        let found = numbers("I am 42 years old, she is 1,234.5", "en-US");
        assert_eq!(found, vec![(42.0, "42".into()), (1234.5, "1,234.5".into())]);
        let r = &recognize_numbers("x -5 y", &Locale::default())[0];
        assert_eq!((r.start, r.end, r.text.as_str()), (2, 4, "-5"));
    }

    #[test]
    fn numbers_inside_words_and_dates_are_not_negative() {
        assert_eq!(values("2026-12-01", "en"), [2026.0, 12.0, 1.0]);
        assert_eq!(values("v2 abc123", "en"), Vec::<f64>::new());
        assert_eq!(values("3pm and 42years", "en"), [3.0, 42.0]);
        assert_eq!(values("pages 10-12", "en"), [10.0, 12.0]);
    }

    #[test]
    fn english_words_table() {
        let cases: &[(&str, &[f64])] = &[
            ("twelve", &[12.0]),
            ("forty two", &[42.0]),
            ("forty-two", &[42.0]),
            ("one hundred and five", &[105.0]),
            ("a hundred", &[100.0]),
            ("a thousand and one nights", &[1001.0]),
            ("two thousand twenty six", &[2026.0]),
            ("nineteen hundred", &[1900.0]),
            ("twenty five hundred", &[2500.0]),
            ("three million four hundred thousand", &[3_400_000.0]),
            ("minus seven", &[-7.0]),
            ("two point five", &[2.5]),
            ("one two three", &[1.0, 2.0, 3.0]),
            ("twenty twenty", &[20.0, 20.0]),
            ("zero", &[0.0]),
            ("I want this one", &[]),
            ("the one with the bus", &[]),
            ("one of them", &[1.0]),
            ("2 million", &[2_000_000.0]),
            ("1.5 thousand", &[1500.0]),
            ("a lot and an apple", &[]),
            ("nothing", &[]),
            ("hundred", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(values(text, "en-US"), *expected, "{text:?}");
        }
    }

    #[test]
    fn other_language_words_table() {
        let cases: &[(&str, &str, &[f64])] = &[
            ("fr-FR", "deux", &[2.0]),
            ("fr-FR", "une voiture", &[]),
            ("es-ES", "dos o tres", &[2.0, 3.0]),
            ("es-ES", "una", &[]),
            ("de-DE", "zwölf", &[12.0]),
            ("de-DE", "fünf", &[5.0]),
            ("de-DE", "ein Auto", &[]),
            ("pt-BR", "três", &[3.0]),
            ("pt-BR", "duas", &[2.0]),
            ("de-DE", "2 Millionen", &[2_000_000.0]),
            ("fr-FR", "3 milliards", &[3e9]),
        ];
        for (locale, text, expected) in cases {
            assert_eq!(values(text, locale), *expected, "{locale} {text:?}");
        }
    }

    #[test]
    fn chinese_numerals_table() {
        let cases: &[(&str, &[f64])] = &[
            ("三", &[3.0]),
            ("十二", &[12.0]),
            ("一百二十三", &[123.0]),
            ("两千零五", &[2005.0]),
            ("三万五千", &[35_000.0]),
            ("二〇二六", &[2026.0]),
            ("三点五", &[3.5]),
            ("负五", &[-5.0]),
            ("我今年42岁", &[42.0]),
            ("3万", &[30_000.0]),
            ("一起去", &[]),
            ("一亿", &[100_000_000.0]),
        ];
        for (text, expected) in cases {
            assert_eq!(values(text, "zh-CN"), *expected, "{text:?}");
        }
    }

    #[test]
    fn ordinals_table() {
        use Ordinal::{FromEnd, Position};
        let cases: &[(&str, &str, &[Ordinal])] = &[
            ("en", "first", &[Position(1)]),
            ("en", "the second one", &[Position(2)]),
            ("en", "2nd", &[Position(2)]),
            ("en", "the 3rd and the 21st", &[Position(3), Position(21)]),
            ("en", "twenty-first", &[Position(21)]),
            ("en", "one hundred and first", &[Position(101)]),
            ("en", "the last one", &[FromEnd(1)]),
            ("en", "second to last", &[FromEnd(2)]),
            ("en", "second last", &[FromEnd(2)]),
            ("en", "third from the end", &[FromEnd(3)]),
            ("en", "penultimate", &[FromEnd(2)]),
            ("en", "last but one", &[FromEnd(2)]),
            ("en", "wait a second", &[]),
            ("en", "last week", &[]),
            ("en", "at last", &[]),
            ("fr", "la deuxième", &[Position(2)]),
            ("fr", "le 1er", &[Position(1)]),
            ("fr", "la 2e", &[Position(2)]),
            ("fr", "le dernier", &[FromEnd(1)]),
            ("fr", "l'avant-dernier", &[FromEnd(2)]),
            ("es", "el tercero", &[Position(3)]),
            ("es", "la 2ª", &[Position(2)]),
            ("es", "el último", &[FromEnd(1)]),
            ("es", "un segundo", &[]),
            ("de", "der zweite", &[Position(2)]),
            ("de", "die letzte", &[FromEnd(1)]),
            ("de", "acht", &[]),
            ("pt", "o primeiro", &[Position(1)]),
            ("pt", "a 3ª", &[Position(3)]),
            ("pt", "a penúltima", &[FromEnd(2)]),
            ("zh", "第二个", &[Position(2)]),
            ("zh", "第12", &[Position(12)]),
            ("zh", "最后一个", &[FromEnd(1)]),
            ("zh", "倒数第二", &[FromEnd(2)]),
        ];
        for (locale, text, expected) in cases {
            let got: Vec<Ordinal> = recognize_ordinals(text, &Locale::parse(locale))
                .into_iter()
                .map(|r| r.resolution)
                .collect();
            assert_eq!(got, *expected, "{locale} {text:?}");
        }
    }

    #[test]
    fn ordinals_are_not_numbers() {
        assert_eq!(values("the 2nd one", "en"), Vec::<f64>::new());
        assert_eq!(values("第二", "zh"), Vec::<f64>::new());
    }

    #[test]
    fn is_integer_and_as_i64() {
        let n = recognize_numbers("forty two", &Locale::default())[0].resolution;
        assert!(n.is_integer);
        assert_eq!(n.as_i64(), Some(42));
        let big = recognize_numbers("99999999999999999999", &Locale::default())[0].resolution;
        assert!(!big.is_integer);
        assert_eq!(big.as_i64(), None);
    }
}
