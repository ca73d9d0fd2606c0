//! The user's locale: which language's words to recognize and how numbers and dates are
//! written.

use std::fmt;
use std::str::FromStr;

/// A language the recognizers have word lists for.
///
/// ```
/// use botbuilder_dialogs::recognizers::{Language, Locale};
///
/// assert_eq!(Locale::parse("pt-BR").language(), Language::Portuguese);
/// assert_eq!(Language::German.code(), "de");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// English (`en`), the fallback for languages without word lists.
    English,
    /// French (`fr`).
    French,
    /// Spanish (`es`).
    Spanish,
    /// German (`de`).
    German,
    /// Portuguese (`pt`).
    Portuguese,
    /// Chinese (`zh`).
    Chinese,
}

impl Language {
    /// Every supported language.
    pub const ALL: [Language; 6] = [
        Language::English,
        Language::French,
        Language::Spanish,
        Language::German,
        Language::Portuguese,
        Language::Chinese,
    ];

    /// The ISO 639-1 code (`en`, `fr`, ...).
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::Language;
    ///
    /// assert_eq!(Language::Chinese.code(), "zh");
    /// ```
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::French => "fr",
            Language::Spanish => "es",
            Language::German => "de",
            Language::Portuguese => "pt",
            Language::Chinese => "zh",
        }
    }

    /// The language of an ISO 639-1 code, case-insensitive; `None` for languages without word
    /// lists.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::Language;
    ///
    /// assert_eq!(Language::from_code("FR"), Some(Language::French));
    /// assert_eq!(Language::from_code("ja"), None);
    /// ```
    #[must_use]
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code))
    }
}

/// The order of day, month and year in a numeric date such as `01/12/2026`.
///
/// ```
/// use botbuilder_dialogs::recognizers::{DateOrder, Locale};
///
/// assert_eq!(Locale::parse("en-US").date_order(), DateOrder::MonthDayYear);
/// assert_eq!(Locale::parse("en-GB").date_order(), DateOrder::DayMonthYear);
/// assert_eq!(Locale::parse("zh-CN").date_order(), DateOrder::YearMonthDay);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// `12/01/2026` is December 1 (United States, Philippines, Canada).
    MonthDayYear,
    /// `01/12/2026` is December 1 (most of the world).
    DayMonthYear,
    /// `2026/12/01` is December 1 (China; ISO 8601).
    YearMonthDay,
}

/// A user's locale (culture), parsed from a BCP 47 tag such as `en-US`, `fr-FR`, `es`,
/// `de-DE`, `pt-BR` or `zh-CN`, as found in an activity's `locale` field.
///
/// Parsing never fails: a tag whose language has no word lists (or an empty or malformed tag)
/// gives English, keeping the region when there is one, so `ja-JP` reads numbers and dates the
/// way English does. The region decides regional formats: `en-US` writes dates month first,
/// `en-GB` day first; `es-MX` writes `1,234.5`, `es-ES` writes `1.234,5`.
///
/// ```
/// use botbuilder_dialogs::recognizers::{Language, Locale};
///
/// let locale: Locale = "fr-CA".parse()?;
/// assert_eq!(locale.language(), Language::French);
/// assert_eq!(locale.region(), Some("CA"));
/// assert_eq!(locale.to_string(), "fr-CA");
///
/// assert_eq!(Locale::parse("xx-YY").language(), Language::English);
/// assert_eq!(Locale::default().to_string(), "en-US");
/// # Ok::<(), std::convert::Infallible>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Locale {
    language: Language,
    region: Option<String>,
}

impl Default for Locale {
    /// `en-US`, BotBuilder's default culture.
    fn default() -> Self {
        Locale {
            language: Language::English,
            region: Some("US".to_owned()),
        }
    }
}

impl Locale {
    /// A locale for a language and an optional region (`"US"`, `"BR"`, ...; stored uppercase).
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::{Language, Locale};
    ///
    /// let locale = Locale::new(Language::German, Some("at"));
    /// assert_eq!(locale.to_string(), "de-AT");
    /// ```
    #[must_use]
    pub fn new(language: Language, region: Option<&str>) -> Self {
        Locale {
            language,
            region: region
                .filter(|r| !r.is_empty())
                .map(|r| r.to_ascii_uppercase()),
        }
    }

    /// Parses a locale tag (`en-US`, `en_us`, `zh-Hans-CN`, `fr`); never fails (see the type's
    /// docs for the fallback).
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::{Language, Locale};
    ///
    /// let locale = Locale::parse("zh-Hans-CN");
    /// assert_eq!(locale.language(), Language::Chinese);
    /// assert_eq!(locale.region(), Some("CN"));
    /// assert_eq!(Locale::parse("").to_string(), "en-US");
    /// ```
    #[must_use]
    pub fn parse(tag: &str) -> Self {
        let mut parts = tag.trim().split(['-', '_']).filter(|p| !p.is_empty());
        let Some(language_code) = parts.next() else {
            return Locale::default();
        };
        // The region is the first later subtag of two letters or three digits; scripts
        // (four letters) and variants are skipped.
        let region = parts.find(|p| {
            (p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()))
                || (p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
        });
        match Language::from_code(language_code) {
            Some(language) => Locale::new(language, region),
            None => match region {
                Some(region) => Locale::new(Language::English, Some(region)),
                None => Locale::default(),
            },
        }
    }

    /// The locale of an activity (its `locale` field), or `en-US` when it has none.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::{Language, Locale};
    /// use botbuilder_schema::Activity;
    ///
    /// let activity = Activity::message("oui").with_locale("fr-FR");
    /// assert_eq!(Locale::of_activity(&activity).language(), Language::French);
    /// ```
    #[must_use]
    pub fn of_activity(activity: &botbuilder_schema::Activity) -> Self {
        activity
            .locale
            .as_deref()
            .map(Locale::parse)
            .unwrap_or_default()
    }

    /// The language.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::{Language, Locale};
    ///
    /// assert_eq!(Locale::parse("es-MX").language(), Language::Spanish);
    /// ```
    #[must_use]
    pub fn language(&self) -> Language {
        self.language
    }

    /// The region, uppercase, if the tag had one.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::Locale;
    ///
    /// assert_eq!(Locale::parse("pt-br").region(), Some("BR"));
    /// assert_eq!(Locale::parse("pt").region(), None);
    /// ```
    #[must_use]
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The decimal separator of numbers written in this locale.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::Locale;
    ///
    /// assert_eq!(Locale::parse("en-US").decimal_separator(), '.');
    /// assert_eq!(Locale::parse("de-DE").decimal_separator(), ',');
    /// assert_eq!(Locale::parse("es-MX").decimal_separator(), '.');
    /// ```
    #[must_use]
    pub fn decimal_separator(&self) -> char {
        match (self.language, self.region()) {
            (Language::English | Language::Chinese, _) => '.',
            (Language::German, Some("CH" | "LI")) => '.',
            (Language::French, Some("CH")) => ',',
            (Language::Spanish, Some(r)) if SPANISH_DECIMAL_POINT.contains(&r) => '.',
            _ => ',',
        }
    }

    /// The digit group (thousands) separators accepted in this locale.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::Locale;
    ///
    /// assert_eq!(Locale::parse("en").group_separators(), &[',']);
    /// assert!(Locale::parse("fr-FR").group_separators().contains(&'\u{a0}'));
    /// ```
    #[must_use]
    pub fn group_separators(&self) -> &'static [char] {
        match (self.language, self.region()) {
            (Language::English | Language::Chinese, _) => &[','],
            (Language::German, Some("CH" | "LI")) => &['\'', '\u{2019}'],
            (Language::French, _) => &[' ', '\u{a0}', '\u{202f}', '.'],
            (Language::Spanish, Some(r)) if SPANISH_DECIMAL_POINT.contains(&r) => &[','],
            _ => &['.', ' ', '\u{a0}', '\u{202f}'],
        }
    }

    /// The order of day, month and year in numeric dates.
    ///
    /// English is month first when the region is the United States, the Philippines or
    /// Canada, or when there is no region (BotBuilder's default culture is `en-US`), and day
    /// first elsewhere. Chinese is year first; the other languages are day first.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::{DateOrder, Locale};
    ///
    /// assert_eq!(Locale::parse("en").date_order(), DateOrder::MonthDayYear);
    /// assert_eq!(Locale::parse("fr-FR").date_order(), DateOrder::DayMonthYear);
    /// ```
    #[must_use]
    pub fn date_order(&self) -> DateOrder {
        match (self.language, self.region()) {
            (
                Language::English,
                None | Some("US" | "PH" | "CA" | "UM" | "AS" | "GU" | "PR" | "VI"),
            ) => DateOrder::MonthDayYear,
            (Language::Chinese, _) => DateOrder::YearMonthDay,
            _ => DateOrder::DayMonthYear,
        }
    }

    /// The words for "yes" and "no" in this locale's language, as BotBuilder's confirm prompt
    /// offers them (`Yes`/`No`, `Oui`/`Non`, `Sí`/`No`, `Ja`/`Nein`, `Sim`/`Não`,
    /// `是的`/`不`).
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::Locale;
    ///
    /// assert_eq!(Locale::parse("de-DE").yes_no(), ("Ja", "Nein"));
    /// ```
    #[must_use]
    pub fn yes_no(&self) -> (&'static str, &'static str) {
        match self.language {
            Language::English => ("Yes", "No"),
            Language::French => ("Oui", "Non"),
            Language::Spanish => ("Sí", "No"),
            Language::German => ("Ja", "Nein"),
            Language::Portuguese => ("Sim", "Não"),
            Language::Chinese => ("是的", "不"),
        }
    }
}

/// Spanish-speaking regions that write `1,234.5` (CLDR).
const SPANISH_DECIMAL_POINT: &[&str] = &[
    "MX", "US", "419", "DO", "GT", "HN", "NI", "PA", "PR", "SV", "PE", "CU",
];

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.language.code())?;
        if let Some(region) = &self.region {
            write!(f, "-{region}")?;
        }
        Ok(())
    }
}

impl FromStr for Locale {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Locale::parse(s))
    }
}

impl From<&str> for Locale {
    fn from(s: &str) -> Self {
        Locale::parse(s)
    }
}

impl From<Language> for Locale {
    fn from(language: Language) -> Self {
        Locale::new(language, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_table() {
        let cases = [
            ("en-US", Language::English, Some("US"), "en-US"),
            ("en-gb", Language::English, Some("GB"), "en-GB"),
            ("fr-FR", Language::French, Some("FR"), "fr-FR"),
            ("es", Language::Spanish, None, "es"),
            ("de_DE", Language::German, Some("DE"), "de-DE"),
            ("pt-BR", Language::Portuguese, Some("BR"), "pt-BR"),
            ("zh-CN", Language::Chinese, Some("CN"), "zh-CN"),
            ("zh-Hant-TW", Language::Chinese, Some("TW"), "zh-TW"),
            ("es-419", Language::Spanish, Some("419"), "es-419"),
            ("ja-JP", Language::English, Some("JP"), "en-JP"),
            ("klingon", Language::English, Some("US"), "en-US"),
            ("", Language::English, Some("US"), "en-US"),
            ("  -- ", Language::English, Some("US"), "en-US"),
        ];
        for (tag, language, region, display) in cases {
            let l = Locale::parse(tag);
            assert_eq!(l.language(), language, "{tag}");
            assert_eq!(l.region(), region, "{tag}");
            assert_eq!(l.to_string(), display, "{tag}");
        }
    }

    #[test]
    fn number_formats_table() {
        let cases = [
            ("en-US", '.', ','),
            ("zh-CN", '.', ','),
            ("de-DE", ',', '.'),
            ("es-ES", ',', '.'),
            ("es-MX", '.', ','),
            ("pt-BR", ',', '.'),
            ("fr-FR", ',', ' '),
            ("de-CH", '.', '\''),
        ];
        for (tag, decimal, group) in cases {
            let l = Locale::parse(tag);
            assert_eq!(l.decimal_separator(), decimal, "{tag}");
            assert!(l.group_separators().contains(&group), "{tag}");
            assert!(!l.group_separators().contains(&decimal), "{tag}");
        }
    }
}
