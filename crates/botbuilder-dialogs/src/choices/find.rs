//! Finding values and choices in an utterance.

use super::{Choice, FoundChoice, FoundValue, SortedValue, Token, TokenizerFn, default_tokenizer};
use crate::recognizers::{Locale, ModelResult, recognize_numbers, recognize_ordinals};
use crate::text::fold;

/// How [`find_values`], [`find_choices`] and [`recognize_choices`] search.
///
/// The defaults are BotBuilder's: whole values only, at most 2 extra words between the words
/// of a value, numbers and ordinals recognized, English. `min_score` drops weak partial
/// matches.
///
/// ```
/// use botbuilder_dialogs::choices::FindChoicesOptions;
/// use botbuilder_dialogs::recognizers::Locale;
///
/// let options = FindChoicesOptions {
///     locale: Locale::parse("fr-FR"),
///     allow_partial_matches: true,
///     ..FindChoicesOptions::default()
/// };
/// assert_eq!(options.max_token_distance, 2);
/// ```
#[derive(Clone, Debug)]
pub struct FindChoicesOptions {
    /// The utterance's locale, for numbers and ordinals (default `en-US`).
    pub locale: Locale,
    /// Whether a value matches when only some of its words are found (default `false`: all
    /// of them, in any order, must be found).
    pub allow_partial_matches: bool,
    /// How many other words may come between two words of a value (default 2): with 2,
    /// `second last` matches `second from the last` but not `wait a second, that's not the
    /// last one`.
    pub max_token_distance: usize,
    /// Matches scoring below this are dropped (default 0.3; an exact match scores 1).
    pub min_score: f64,
    /// Do not search the choices' values (only synonyms and action titles).
    pub no_value: bool,
    /// Do not search the choices' action titles.
    pub no_action: bool,
    /// In [`recognize_choices`], pick a choice by number (`2` picks the second) when no value
    /// matched (default `true`).
    pub recognize_numbers: bool,
    /// In [`recognize_choices`], pick a choice by ordinal (`the second one`, `the last one`)
    /// when no value matched (default `true`).
    pub recognize_ordinals: bool,
    /// The word breaker; [`default_tokenizer`] when `None`.
    pub tokenizer: Option<TokenizerFn>,
}

impl Default for FindChoicesOptions {
    fn default() -> Self {
        FindChoicesOptions {
            locale: Locale::default(),
            allow_partial_matches: false,
            max_token_distance: 2,
            min_score: 0.3,
            no_value: false,
            no_action: false,
            recognize_numbers: true,
            recognize_ordinals: true,
            tokenizer: None,
        }
    }
}

impl FindChoicesOptions {
    /// The defaults, for a locale.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::FindChoicesOptions;
    /// use botbuilder_dialogs::recognizers::{Language, Locale};
    ///
    /// let options = FindChoicesOptions::for_locale(Locale::parse("de-DE"));
    /// assert_eq!(options.locale.language(), Language::German);
    /// ```
    #[must_use]
    pub fn for_locale(locale: Locale) -> Self {
        FindChoicesOptions {
            locale,
            ..FindChoicesOptions::default()
        }
    }

    fn tokenize(&self, text: &str) -> Vec<Token> {
        (self.tokenizer.unwrap_or(default_tokenizer))(text, &self.locale)
    }
}

/// A match in token positions (inclusive), before translation to byte offsets.
#[derive(Clone, Debug)]
struct TokenMatch {
    start: usize,
    end: usize,
    score: f64,
    value: usize,
}

/// Score penalty for a value whose words were all found, but not in order.
const UNORDERED_PENALTY: f64 = 0.9;

/// Searches `utterance` for `values`: BotBuilder's fuzzy search that `find_choices` and
/// `recognize_choices` are built on.
///
/// - If the whole utterance is a value (ignoring case, accents and surrounding space), that is
///   the only result, with score 1.
/// - Otherwise each value's words are looked for among the utterance's words. A value matches
///   when all its words are found (or some of them, with `allow_partial_matches`), with at most
///   `max_token_distance` other words between two of them. Its score is the share of its words
///   found times `found / (found + words skipped)`, so `the bus` matches `Bus` with score 1
///   and `red pill` matches `the red magic pill` with score 2/3. Words found out of order
///   (`pill red` for `red pill`) also match, with the score times 0.9.
/// - Matches scoring below `min_score` are dropped; the best match of each index is kept,
///   a match never overlaps a better one, and ties go to the earlier match, then to the
///   longer value, then to the lower index, so the outcome does not depend on hash order.
/// - Results are in utterance order.
///
/// ```
/// use botbuilder_dialogs::choices::{find_values, FindChoicesOptions, SortedValue};
///
/// let values = [SortedValue::new("car", 0), SortedValue::new("bus", 1), SortedValue::new("bicycle", 2)];
/// let found = find_values("I'd take the bicycle, not the car", &values, &FindChoicesOptions::default());
/// let picked: Vec<&str> = found.iter().map(|r| r.resolution.value.as_str()).collect();
/// assert_eq!(picked, ["bicycle", "car"]);
/// assert_eq!(found[0].text, "bicycle");
/// ```
#[must_use]
pub fn find_values(
    utterance: &str,
    values: &[SortedValue],
    options: &FindChoicesOptions,
) -> Vec<ModelResult<FoundValue>> {
    // An exact match of the whole utterance wins outright.
    let trimmed = utterance.trim();
    if !trimmed.is_empty() {
        let folded = fold(trimmed);
        if let Some(v) = values
            .iter()
            .filter(|v| fold(v.value.trim()) == folded)
            .min_by_key(|v| v.index)
        {
            let start = utterance.len() - utterance.trim_start().len();
            let resolution = FoundValue {
                value: v.value.clone(),
                index: v.index,
                score: 1.0,
            };
            return vec![ModelResult::new(
                utterance,
                start..start + trimmed.len(),
                "value",
                resolution,
            )];
        }
    }

    let tokens = options.tokenize(utterance);
    if tokens.is_empty() {
        return Vec::new();
    }
    // Longest values first, as BotBuilder searches them.
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let (va, vb) = (&values[a], &values[b]);
        vb.value
            .chars()
            .count()
            .cmp(&va.value.chars().count())
            .then(va.index.cmp(&vb.index))
    });

    let mut matches: Vec<TokenMatch> = Vec::new();
    for &v in &order {
        let vtokens = options.tokenize(values[v].value.trim());
        if vtokens.is_empty() {
            continue;
        }
        let mut start_pos = 0;
        while start_pos < tokens.len() {
            let Some(m) =
                match_value(&tokens, &vtokens, start_pos, options).map(|(start, end, score)| {
                    TokenMatch {
                        start,
                        end,
                        score,
                        value: v,
                    }
                })
            else {
                break;
            };
            start_pos = m.end + 1;
            if m.score >= options.min_score {
                matches.push(m);
            }
        }
    }

    // Best first; deterministic ties.
    matches.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.start.cmp(&b.start))
            .then(
                values[b.value]
                    .value
                    .chars()
                    .count()
                    .cmp(&values[a.value].value.chars().count()),
            )
            .then(values[a.value].index.cmp(&values[b.value].index))
    });

    let mut used = vec![false; tokens.len()];
    let mut found_indexes: Vec<usize> = Vec::new();
    let mut results = Vec::new();
    for m in matches {
        let index = values[m.value].index;
        if found_indexes.contains(&index) || used[m.start..=m.end].iter().any(|u| *u) {
            continue;
        }
        found_indexes.push(index);
        used[m.start..=m.end].iter_mut().for_each(|u| *u = true);
        let span = tokens[m.start].start..tokens[m.end].end;
        let resolution = FoundValue {
            value: values[m.value].value.clone(),
            index,
            score: m.score,
        };
        results.push(ModelResult::new(utterance, span, "value", resolution));
    }
    results.sort_by_key(|r| r.start);
    results
}

/// Matches one value's tokens from `start_pos`: (first token, last token, score).
fn match_value(
    tokens: &[Token],
    vtokens: &[Token],
    start_pos: usize,
    options: &FindChoicesOptions,
) -> Option<(usize, usize, f64)> {
    let max_distance = options.max_token_distance;
    let n = vtokens.len();
    // In order, as BotBuilder does.
    let mut matched = 0usize;
    let mut deviation = 0usize;
    let mut pos = start_pos;
    let mut span: Option<(usize, usize)> = None;
    for vt in vtokens {
        let Some(found) = (pos..tokens.len()).find(|&k| tokens[k].normalized == vt.normalized)
        else {
            continue;
        };
        let distance = if matched > 0 { found - pos } else { 0 };
        if distance <= max_distance {
            matched += 1;
            deviation += distance;
            pos = found + 1;
            span = Some((span.map_or(found, |s| s.0), found));
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let score = |matched: usize, deviation: usize| {
        let completeness = matched as f64 / n as f64;
        let accuracy = matched as f64 / (matched + deviation) as f64;
        completeness * accuracy
    };
    if matched == n {
        let (s, e) = span?;
        return Some((s, e, score(matched, deviation)));
    }
    // Out of order: every word of the value, each used once, within a window no wider than an
    // in-order match could be.
    if n > 1 {
        let mut used: Vec<usize> = Vec::with_capacity(n);
        for vt in vtokens {
            if let Some(k) = (start_pos..tokens.len())
                .find(|k| !used.contains(k) && tokens[*k].normalized == vt.normalized)
            {
                used.push(k);
            }
        }
        if used.len() == n {
            let lo = used.iter().copied().min()?;
            let hi = used.iter().copied().max()?;
            let width = hi - lo + 1;
            if width <= n + max_distance * (n - 1) {
                return Some((lo, hi, UNORDERED_PENALTY * score(n, width - n)));
            }
        }
    }
    if matched > 0 && options.allow_partial_matches {
        let (s, e) = span?;
        return Some((s, e, score(matched, deviation)));
    }
    None
}

/// Searches `utterance` for `choices` by value, action title and synonym (see
/// [`find_values`] for how).
///
/// ```
/// use botbuilder_dialogs::choices::{find_choices, Choice, FindChoicesOptions};
///
/// let choices = ["Car", "Bus", "Bicycle"].map(Choice::from);
/// let found = find_choices("car please", &choices, &FindChoicesOptions::default());
/// assert_eq!(found[0].resolution.value, "Car");
/// assert_eq!(found[0].resolution.index, 0);
/// assert_eq!(found[0].text, "car");
/// assert!(find_choices("2", &choices, &FindChoicesOptions::default()).is_empty());
/// ```
#[must_use]
pub fn find_choices(
    utterance: &str,
    choices: &[Choice],
    options: &FindChoicesOptions,
) -> Vec<ModelResult<FoundChoice>> {
    let mut synonyms = Vec::new();
    for (index, choice) in choices.iter().enumerate() {
        if !options.no_value {
            synonyms.push(SortedValue::new(choice.value.clone(), index));
        }
        if !options.no_action
            && let Some(title) = choice.action.as_ref().and_then(|a| a.title.as_deref())
        {
            synonyms.push(SortedValue::new(title, index));
        }
        synonyms.extend(
            choice
                .synonyms
                .iter()
                .map(|s| SortedValue::new(s.clone(), index)),
        );
    }
    find_values(utterance, &synonyms, options)
        .into_iter()
        .filter_map(|found| {
            let choice = choices.get(found.resolution.index)?;
            let value = choice.value.clone();
            let mut result = found.map(|v| FoundChoice {
                value,
                index: v.index,
                score: v.score,
                synonym: Some(v.value),
            });
            result.type_name = "choice".to_owned();
            Some(result)
        })
        .collect()
}

/// Recognizes which of `choices` the user picked: what BotBuilder's `ChoicePrompt` does.
///
/// Tried in order, the first strategy that finds anything wins (so `the third one` is not
/// also read as a choice named `one`):
///
/// 1. by value, action title or synonym ([`find_choices`]);
/// 2. by ordinal: `the second one`, `2nd`, `the last one`, `deuxième`, `第二个`
///    (with `recognize_ordinals`);
/// 3. by number: `2` picks the second choice (with `recognize_numbers`); numbers outside the
///    list are ignored.
///
/// Results are in utterance order, with score 1 for picks by position.
///
/// ```
/// use botbuilder_dialogs::choices::{recognize_choices, Choice, FindChoicesOptions};
///
/// let choices = ["Car", "Bus", "Bicycle"].map(Choice::from);
/// let options = FindChoicesOptions::default();
/// let pick = |text: &str| recognize_choices(text, &choices, &options).first().map(|r| r.resolution.index);
/// assert_eq!(pick("bus"), Some(1));
/// assert_eq!(pick("the second one"), Some(1));
/// assert_eq!(pick("the last one"), Some(2));
/// assert_eq!(pick("2"), Some(1));
/// assert_eq!(pick("7"), None);
/// assert_eq!(pick("nothing"), None);
/// ```
#[must_use]
pub fn recognize_choices(
    utterance: &str,
    choices: &[Choice],
    options: &FindChoicesOptions,
) -> Vec<ModelResult<FoundChoice>> {
    let matched = find_choices(utterance, choices, options);
    if !matched.is_empty() {
        return matched;
    }
    let by_index = |r: ModelResult<usize>| {
        let choice = choices.get(r.resolution)?;
        let mut found = r.map(|index| FoundChoice {
            value: choice.value.clone(),
            index,
            score: 1.0,
            synonym: None,
        });
        found.type_name = "choice".to_owned();
        Some(found)
    };
    let mut matched: Vec<ModelResult<FoundChoice>> = Vec::new();
    if options.recognize_ordinals {
        matched = recognize_ordinals(utterance, &options.locale)
            .into_iter()
            .filter_map(|r| {
                let index = r.resolution.index_in(choices.len())?;
                by_index(r.map(|_| index))
            })
            .collect();
    }
    if matched.is_empty() && options.recognize_numbers {
        matched = recognize_numbers(utterance, &options.locale)
            .into_iter()
            .filter_map(|r| {
                let n = r.resolution.as_i64()?;
                let index = usize::try_from(n.checked_sub(1)?)
                    .ok()
                    .filter(|i| *i < choices.len())?;
                by_index(r.map(|_| index))
            })
            .collect();
    }
    matched.sort_by_key(|r| r.start);
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Vec<Choice> {
        ["Car", "Bus", "Bicycle"].map(Choice::from).to_vec()
    }

    fn pick(text: &str, choices: &[Choice], locale: &str) -> Vec<(String, usize)> {
        recognize_choices(
            text,
            choices,
            &FindChoicesOptions::for_locale(Locale::parse(locale)),
        )
        .into_iter()
        .map(|r| (r.resolution.value, r.resolution.index))
        .collect()
    }

    fn first(text: &str, locale: &str) -> Option<String> {
        pick(text, &choices(), locale)
            .into_iter()
            .next()
            .map(|(v, _)| v)
    }

    #[test]
    fn recognizes_by_value_synonym_position_and_number_table() {
        let cases = [
            ("Car", Some("Car")),
            ("car", Some("Car")),
            ("  BUS  ", Some("Bus")),
            ("the bus", Some("Bus")),
            ("car please", Some("Car")),
            ("I would rather ride my bicycle today", Some("Bicycle")),
            ("bicycle!", Some("Bicycle")),
            ("1", Some("Car")),
            ("3", Some("Bicycle")),
            ("number 2", Some("Bus")),
            ("two", Some("Bus")),
            ("second", Some("Bus")),
            ("the second one", Some("Bus")),
            ("the 3rd", Some("Bicycle")),
            ("the last one", Some("Bicycle")),
            ("second to last", Some("Bus")),
            ("first", Some("Car")),
            ("0", None),
            ("4", None),
            ("fourth", None),
            ("nothing", None),
            ("banana", None),
            ("business", None),
            ("cars", None),
            ("", None),
            ("   ", None),
            ("?!", None),
        ];
        for (text, expected) in cases {
            assert_eq!(first(text, "en-US").as_deref(), expected, "{text:?}");
        }
    }

    #[test]
    fn positions_in_other_languages() {
        let cases = [
            ("fr-FR", "la deuxième", Some("Bus")),
            ("fr-FR", "le dernier", Some("Bicycle")),
            ("fr-FR", "deux", Some("Bus")),
            ("es-ES", "el primero", Some("Car")),
            ("es-ES", "tres", Some("Bicycle")),
            ("de-DE", "die zweite", Some("Bus")),
            ("pt-BR", "a terceira", Some("Bicycle")),
            ("zh-CN", "第二个", Some("Bus")),
            ("zh-CN", "最后一个", Some("Bicycle")),
            ("zh-CN", "3", Some("Bicycle")),
        ];
        for (locale, text, expected) in cases {
            assert_eq!(
                first(text, locale).as_deref(),
                expected,
                "{locale} {text:?}"
            );
        }
    }

    #[test]
    fn chinese_values_are_found_without_spaces() {
        let colors = ["红色", "绿色", "蓝色"].map(Choice::from);
        assert_eq!(
            pick("我要绿色的", &colors, "zh-CN"),
            [("绿色".to_owned(), 1)]
        );
    }

    #[test]
    fn synonyms_and_action_titles_match() {
        use botbuilder_schema::CardAction;
        let list = vec![
            Choice::from("red").with_action(CardAction::im_back("The Red Pill")),
            Choice::from("blue").with_synonyms(["azure", "navy blue"]),
        ];
        assert_eq!(pick("the red pill", &list, "en"), [("red".to_owned(), 0)]);
        assert_eq!(pick("navy blue", &list, "en"), [("blue".to_owned(), 1)]);
        let found = &recognize_choices("I like azure", &list, &FindChoicesOptions::default())[0];
        assert_eq!(found.resolution.synonym.as_deref(), Some("azure"));
        assert_eq!(found.text, "azure");
        assert_eq!(found.type_name, "choice");
        let no_action = FindChoicesOptions {
            no_action: true,
            recognize_numbers: false,
            ..FindChoicesOptions::default()
        };
        assert_eq!(recognize_choices("the pill", &list, &no_action), vec![]);
    }

    #[test]
    fn word_order_and_extra_words_are_tolerated() {
        let list = ["red pill", "blue pill"].map(Choice::from);
        let found = recognize_choices("pill red", &list, &FindChoicesOptions::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resolution.index, 0);
        assert!(found[0].resolution.score < 1.0);
        let found = recognize_choices("the red magic pill", &list, &FindChoicesOptions::default());
        assert_eq!(found[0].resolution.index, 0);
        assert!((found[0].resolution.score - 2.0 / 3.0).abs() < 1e-9);
        // Too far apart.
        let found = find_choices(
            "red is not what I want, it is a pill",
            &list,
            &FindChoicesOptions::default(),
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn partial_matches_need_the_option_and_the_min_score() {
        let list = ["Red Pill", "Blue Pill"].map(Choice::from);
        let strict = FindChoicesOptions::default();
        assert!(find_choices("red", &list, &strict).is_empty());
        let partial = FindChoicesOptions {
            allow_partial_matches: true,
            ..FindChoicesOptions::default()
        };
        let found = find_choices("red", &list, &partial);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resolution.value, "Red Pill");
        assert_eq!(found[0].resolution.score, 0.5);
        let picky = FindChoicesOptions {
            min_score: 0.6,
            ..partial
        };
        assert!(find_choices("red", &list, &picky).is_empty());
    }

    #[test]
    fn ties_are_deterministic() {
        // "pill" matches both values partially with the same score; the earlier index wins the
        // shared token, and the result is the same whatever the order of the list.
        let partial = FindChoicesOptions {
            allow_partial_matches: true,
            ..FindChoicesOptions::default()
        };
        let a = ["Red Pill", "Blue Pill"].map(Choice::from);
        let found = find_choices("pill", &a, &partial);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].resolution.value, "Blue Pill",
            "longer value first, then index"
        );
        let b = ["Blue Pill", "Red Pill"].map(Choice::from);
        assert_eq!(
            find_choices("pill", &b, &partial)[0].resolution.value,
            "Blue Pill"
        );
        // Same length: lower index wins.
        let c = ["ab x", "cd x"].map(Choice::from);
        assert_eq!(find_choices("x", &c, &partial)[0].resolution.value, "ab x");
        let d = ["cd x", "ab x"].map(Choice::from);
        assert_eq!(find_choices("x", &d, &partial)[0].resolution.value, "cd x");
    }

    #[test]
    fn several_choices_in_one_utterance_are_in_order_with_spans() {
        let text = "not the car, the bus or maybe the bicycle";
        let found = find_choices(text, &choices(), &FindChoicesOptions::default());
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|r| (r.resolution.value.as_str(), &text[r.span()]))
            .collect();
        assert_eq!(
            got,
            [("Car", "car"), ("Bus", "bus"), ("Bicycle", "bicycle")]
        );
    }

    #[test]
    fn exact_match_spans_the_trimmed_utterance() {
        let found = find_values(
            "  Bus ",
            &[SortedValue::new("bus", 4)],
            &FindChoicesOptions::default(),
        );
        assert_eq!(
            (found[0].start, found[0].end, found[0].text.as_str()),
            (2, 5, "Bus")
        );
        assert_eq!(found[0].resolution.index, 4);
    }

    #[test]
    fn a_custom_tokenizer_is_used() {
        fn singular(text: &str, locale: &Locale) -> Vec<Token> {
            let mut tokens = default_tokenizer(text, locale);
            for t in &mut tokens {
                if let Some(stem) = t.normalized.strip_suffix('s') {
                    t.normalized = stem.to_owned();
                }
            }
            tokens
        }
        let options = FindChoicesOptions {
            tokenizer: Some(singular),
            ..FindChoicesOptions::default()
        };
        assert_eq!(
            find_choices("two cars", &choices(), &options)[0]
                .resolution
                .value,
            "Car"
        );
    }
}
