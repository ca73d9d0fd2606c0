//! Recognition never panics and always returns well-formed spans, whatever the input: generated
//! strings mixing every kind of character the recognizers treat specially, fully random code
//! points, and extreme reference times.

use botbuilder_dialogs::choices::{
    Choice, ChoiceFactory, ChoiceFactoryOptions, FindChoicesOptions, ListStyle, default_tokenizer,
    find_choices, recognize_choices,
};
use botbuilder_dialogs::recognizers::{
    Locale, ModelResult, recognize_boolean, recognize_datetimes, recognize_numbers,
    recognize_ordinals,
};
use botbuilder_schema::ChannelId;
use chrono::{NaiveDate, NaiveDateTime};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces that exercise the recognizers' special cases.
const PIECES: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "12",
    "123",
    "2026",
    "99999999999999999999999",
    ".",
    ",",
    "-",
    "+",
    "\u{2212}",
    ":",
    "/",
    "'",
    "’",
    " ",
    "  ",
    "\u{a0}",
    "\u{202f}",
    "\t",
    "\n",
    "T",
    "Z",
    "st",
    "nd",
    "th",
    "er",
    "e",
    "º",
    "ª",
    "am",
    "pm",
    "a.m.",
    "h",
    "Uhr",
    "o'clock",
    "at",
    "in",
    "ago",
    "from now",
    "next",
    "last",
    "the",
    "one",
    "a",
    "an",
    "second",
    "hundred",
    "thousand",
    "million",
    "and",
    "point",
    "minus",
    "forty",
    "two",
    "twenty-first",
    "minutes",
    "hours",
    "days",
    "weeks",
    "months",
    "years",
    "tomorrow",
    "today",
    "monday",
    "December",
    "may",
    "yes",
    "no",
    "not",
    "sure",
    "of course",
    "oui",
    "non",
    "bien sûr",
    "sí",
    "ja",
    "nein",
    "não",
    "是",
    "不",
    "好",
    "第",
    "倒数",
    "最后",
    "一",
    "二",
    "两",
    "十",
    "百",
    "千",
    "万",
    "亿",
    "点",
    "半",
    "负",
    "年",
    "月",
    "日",
    "号",
    "下午",
    "周一",
    "下周",
    "分钟",
    "后",
    "前",
    "１",
    "２",
    "👍",
    "👍🏽",
    "👎",
    "🏽",
    "\u{200d}",
    "\u{fe0f}",
    "e\u{301}",
    "é",
    "ß",
    "Ç",
    "İ",
    "ﬁ",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "\u{10ffff}",
    "𝟘",
    "٣",
    "Ⅻ",
    "²",
    "½",
    "Car",
    "Bus",
    "bicycle",
    "red pill",
    "绿色",
    "😀",
    "ǅ",
    "ŉ",
];

fn piece_string(rng: &mut Rng) -> String {
    let len = rng.below(12);
    (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

fn random_string(rng: &mut Rng) -> String {
    let len = rng.below(24);
    (0..len)
        .filter_map(|_| {
            let cp = match rng.below(4) {
                0 => rng.below(0x80) as u32,
                1 => rng.below(0x3000) as u32,
                2 => 0x4E00 + rng.below(0x5200) as u32,
                _ => rng.below(0x11_0000) as u32,
            };
            char::from_u32(cp)
        })
        .collect()
}

fn check_spans<T>(text: &str, results: &[ModelResult<T>], what: &str) {
    let mut last_end = 0;
    for r in results {
        assert!(
            r.start <= r.end && r.end <= text.len(),
            "{what}: bad span {:?} in {text:?}",
            r.span()
        );
        assert_eq!(
            text.get(r.span()),
            Some(r.text.as_str()),
            "{what}: span is not the text in {text:?}"
        );
        assert!(!r.text.is_empty(), "{what}: empty match in {text:?}");
        assert!(
            r.start >= last_end,
            "{what}: overlapping or unordered results in {text:?}"
        );
        last_end = r.end;
    }
}

fn exercise(text: &str, locales: &[Locale], choices: &[Choice], now: NaiveDateTime) {
    for locale in locales {
        let numbers = recognize_numbers(text, locale);
        check_spans(text, &numbers, "numbers");
        for n in &numbers {
            assert!(
                n.resolution.value.is_finite(),
                "non-finite number in {text:?}"
            );
        }
        check_spans(text, &recognize_ordinals(text, locale), "ordinals");
        if let Some(b) = recognize_boolean(text, locale) {
            check_spans(text, std::slice::from_ref(&b), "boolean");
        }
        check_spans(text, &recognize_datetimes(text, locale, now), "datetimes");
        for t in default_tokenizer(text, locale) {
            assert_eq!(text.get(t.start..t.end), Some(t.text.as_str()));
        }
        let options = FindChoicesOptions::for_locale(locale.clone());
        let partial = FindChoicesOptions {
            allow_partial_matches: true,
            ..options.clone()
        };
        for opts in [&options, &partial] {
            let found = recognize_choices(text, choices, opts);
            check_spans(text, &found, "choices");
            for f in &found {
                assert!(f.resolution.index < choices.len());
                assert!(
                    (0.0..=1.0).contains(&f.resolution.score),
                    "score {} for {text:?}",
                    f.resolution.score
                );
                assert_eq!(choices[f.resolution.index].value, f.resolution.value);
            }
        }
        // The utterance as choices: rendering and recognizing against odd values.
        let odd: Vec<Choice> = text.split(',').map(Choice::from).collect();
        let _ = find_choices(text, &odd, &options);
        for style in [
            ListStyle::Auto,
            ListStyle::Inline,
            ListStyle::List,
            ListStyle::HeroCard,
        ] {
            let _ = ChoiceFactory::render(
                style,
                Some(&ChannelId::Webchat),
                &odd,
                text,
                &ChoiceFactoryOptions::for_locale(locale),
            );
        }
    }
}

fn locales() -> Vec<Locale> {
    [
        "en-US", "en-GB", "fr-FR", "es-ES", "es-MX", "de-DE", "de-CH", "pt-BR", "zh-CN", "ja-JP",
    ]
    .into_iter()
    .map(Locale::parse)
    .collect()
}

#[test]
fn generated_strings_never_panic_and_spans_are_exact() {
    let locales = locales();
    let choices: Vec<Choice> = ["Car", "Bus", "Bicycle", "red pill", "绿色", "2", ""]
        .map(Choice::from)
        .to_vec();
    let now = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..1500 {
        let text = piece_string(&mut rng);
        exercise(&text, &locales, &choices, now);
    }
    for _ in 0..500 {
        let text = random_string(&mut rng);
        exercise(&text, &locales, &choices, now);
    }
}

#[test]
fn extreme_reference_times_and_amounts_do_not_overflow() {
    let locales = locales();
    let texts = [
        "tomorrow",
        "yesterday at 3pm",
        "in 99999999999999 years",
        "in 9999999999 days",
        "99999999999999999 hours ago",
        "next monday",
        "last sunday",
        "December 31",
        "February 29",
        "in 1000000 months",
        "9999-12-31T23:59:59+14:00",
        "0000-01-01",
        "1 December 262143",
        "12/31/99",
        "明天下午3点",
        "十亿年后",
        "now",
    ];
    for now in [
        NaiveDateTime::MIN,
        NaiveDateTime::MAX,
        chrono::DateTime::UNIX_EPOCH.naive_utc(),
    ] {
        for text in texts {
            for locale in &locales {
                check_spans(text, &recognize_datetimes(text, locale, now), "datetimes");
            }
        }
    }
}

#[test]
fn long_inputs_are_handled() {
    let long_digits = "9".repeat(5000);
    assert!(
        recognize_numbers(&long_digits, &Locale::default())
            .iter()
            .all(|r| r.resolution.value.is_finite())
    );
    let long_words = "one hundred and ".repeat(500);
    let _ = recognize_numbers(&long_words, &Locale::default());
    let long_choice_text = "bus car ".repeat(2000);
    let choices = ["Car", "Bus"].map(Choice::from);
    let found = recognize_choices(&long_choice_text, &choices, &FindChoicesOptions::default());
    assert_eq!(found.len(), 2);
    let long_chinese = "一二三四五六七八九十百千万亿".repeat(100);
    let _ = recognize_numbers(&long_chinese, &Locale::parse("zh-CN"));
    let now = chrono::DateTime::UNIX_EPOCH.naive_utc();
    let long_dates = "tomorrow at 9am, in 2 hours or 12/01/2026 ".repeat(300);
    let found = recognize_datetimes(&long_dates, &Locale::default(), now);
    assert_eq!(found.len(), 900);
    check_spans(&long_dates, &found, "datetimes");
    let found = recognize_boolean(&"nope ".repeat(3000), &Locale::default());
    assert_eq!(found.map(|r| r.resolution), Some(false));
}
