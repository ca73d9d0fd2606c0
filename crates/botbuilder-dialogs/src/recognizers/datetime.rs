//! Dates, times and durations, resolved against a reference time.

use std::sync::OnceLock;

use chrono::{
    DateTime, Datelike, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta,
    Timelike, Weekday,
};

use super::number::{parse_english_words, small_cardinal};
use super::{DateOrder, Language, Locale, ModelResult};
use crate::text::{self, Kind, Lexeme, is_joiner, phrase};

/// What a date/time expression means, resolved against the reference time.
///
/// ```
/// use botbuilder_dialogs::recognizers::{recognize_datetimes, DateTimeResolution, Locale};
/// use chrono::{NaiveDate, NaiveDateTime};
///
/// let now: NaiveDateTime = "2026-11-30T10:00:00".parse()?;
/// let found = recognize_datetimes("tomorrow", &Locale::default(), now);
/// assert_eq!(found[0].resolution, DateTimeResolution::Date(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
/// assert_eq!(found[0].resolution.timex(), "2026-12-01");
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateTimeResolution {
    /// A calendar date: `tomorrow`, `December 1`, `2026-12-01`, `next monday`, `in 3 days`.
    Date(NaiveDate),
    /// A time of day on no particular date: `3pm`, `15:30`, `noon`.
    Time(NaiveTime),
    /// A date and time in the user's local time: `tomorrow at 9am`, `in 10 minutes`,
    /// `2026-12-01T15:30`.
    DateTime(NaiveDateTime),
    /// A date and time with an explicit UTC offset: `2026-12-01T15:30+02:00`, `...Z`.
    DateTimeOffset(DateTime<FixedOffset>),
    /// A length of time: `10 minutes`, `2 hours`, `a week`.
    Duration(TimeDelta),
}

impl DateTimeResolution {
    /// The resolution in the TIMEX form that BotBuilder's date/time prompt reports
    /// (`2026-12-01`, `T15:30`, `2026-12-01T15:30`, `PT10M`); a date-time with an offset is
    /// written in RFC 3339 (`2026-12-01T15:30:00+02:00`), which TIMEX has no form for.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::DateTimeResolution;
    /// use chrono::{NaiveTime, TimeDelta};
    ///
    /// assert_eq!(DateTimeResolution::Duration(TimeDelta::minutes(90)).timex(), "PT90M");
    /// assert_eq!(DateTimeResolution::Duration(TimeDelta::hours(2)).timex(), "PT2H");
    /// let time = NaiveTime::from_hms_opt(15, 30, 0).unwrap();
    /// assert_eq!(DateTimeResolution::Time(time).timex(), "T15:30");
    /// ```
    #[must_use]
    pub fn timex(&self) -> String {
        fn time(t: NaiveTime) -> String {
            if t.second() == 0 {
                t.format("%H:%M").to_string()
            } else {
                t.format("%H:%M:%S").to_string()
            }
        }
        match self {
            DateTimeResolution::Date(d) => d.format("%Y-%m-%d").to_string(),
            DateTimeResolution::Time(t) => format!("T{}", time(*t)),
            DateTimeResolution::DateTime(dt) => {
                format!("{}T{}", dt.date().format("%Y-%m-%d"), time(dt.time()))
            }
            DateTimeResolution::DateTimeOffset(dt) => dt.to_rfc3339(),
            DateTimeResolution::Duration(d) => {
                let s = d.num_seconds();
                let (sign, s) = if s < 0 { ("-", -s) } else { ("", s) };
                if s != 0 && s % 604_800 == 0 {
                    format!("{sign}P{}W", s / 604_800)
                } else if s != 0 && s % 86_400 == 0 {
                    format!("{sign}P{}D", s / 86_400)
                } else if s != 0 && s % 3_600 == 0 {
                    format!("{sign}PT{}H", s / 3_600)
                } else if s % 60 == 0 {
                    format!("{sign}PT{}M", s / 60)
                } else {
                    format!("{sign}PT{s}S")
                }
            }
        }
    }

    /// Reads back what [`timex`](Self::timex) writes: `2026-12-01`, `T15:30`,
    /// `2026-12-01T15:30`, an RFC 3339 date-time with offset, `P2W`, `P3D`, `PT2H`, `PT90M`,
    /// `PT30S` (with an optional leading `-`). `None` for anything else.
    ///
    /// ```
    /// use botbuilder_dialogs::recognizers::DateTimeResolution;
    /// use chrono::{NaiveDate, TimeDelta};
    ///
    /// assert_eq!(DateTimeResolution::from_timex("2026-12-01"), NaiveDate::from_ymd_opt(2026, 12, 1).map(DateTimeResolution::Date));
    /// assert_eq!(DateTimeResolution::from_timex("PT90M"), Some(DateTimeResolution::Duration(TimeDelta::minutes(90))));
    /// assert_eq!(DateTimeResolution::from_timex("next week"), None);
    /// ```
    #[must_use]
    pub fn from_timex(timex: &str) -> Option<Self> {
        let timex = timex.trim();
        let (negative, body) = match timex.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, timex),
        };
        if let Some(period) = body.strip_prefix('P') {
            let (amount, unit_seconds) = match period.strip_prefix('T') {
                Some(time) => {
                    let unit = time.chars().last()?;
                    let seconds = match unit {
                        'H' => 3_600,
                        'M' => 60,
                        'S' => 1,
                        _ => return None,
                    };
                    (&time[..time.len() - 1], seconds)
                }
                None => {
                    let unit = period.chars().last()?;
                    let seconds = match unit {
                        'W' => 604_800,
                        'D' => 86_400,
                        _ => return None,
                    };
                    (&period[..period.len() - 1], seconds)
                }
            };
            if amount.is_empty() || !amount.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let seconds = amount.parse::<i64>().ok()?.checked_mul(unit_seconds)?;
            let seconds = if negative { -seconds } else { seconds };
            return TimeDelta::try_seconds(seconds).map(DateTimeResolution::Duration);
        }
        if negative {
            return None;
        }
        if let Some(time) = body.strip_prefix('T') {
            return NaiveTime::parse_from_str(time, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
                .ok()
                .map(DateTimeResolution::Time);
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(body) {
            return Some(DateTimeResolution::DateTimeOffset(dt));
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M"))
        {
            return Some(DateTimeResolution::DateTime(dt));
        }
        NaiveDate::parse_from_str(body, "%Y-%m-%d")
            .ok()
            .map(DateTimeResolution::Date)
    }
}

/// Written as its [`timex`](DateTimeResolution::timex) string, as a date/time prompt's result
/// is stored (`"2026-12-01T09:00"`).
impl serde::Serialize for DateTimeResolution {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.timex())
    }
}

/// Read from a [`timex`](DateTimeResolution::timex) string
/// ([`DateTimeResolution::from_timex`]).
impl<'de> serde::Deserialize<'de> for DateTimeResolution {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let timex = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DateTimeResolution::from_timex(&timex).ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&timex),
                &"a TIMEX date, time, date-time or duration",
            )
        })
    }
}

/// Finds every date, time, date-time and duration in `utterance`, in order, resolved against
/// `now`, the user's current local date and time (no hidden clock: pass
/// `chrono::Local::now().naive_local()` or the user's time zone's wall clock).
///
/// Recognized forms:
///
/// - ISO 8601: `2026-12-01`, `2026-12-01T15:30`, `2026-12-01 15:30:45`, with `Z` or an offset
///   (`+02:00`, `-0500`) giving [`DateTimeResolution::DateTimeOffset`];
/// - numeric dates in the locale's order: `12/01/2026` is December 1 in `en-US`, `01/12/2026`
///   in `en-GB`, `fr-FR`, `es`, `de` (`01.12.2026`), `pt`; `2026/12/01` first-year everywhere;
///   `12/1` without a year; two-digit years are 20xx;
/// - month names: `December 1`, `Dec 1st, 2026`, `1 December 2026`, `the 1st of December`,
///   `1er décembre 2026`, `1 de diciembre de 2026`, `1. Dezember 2026`, `1 de dezembro`,
///   `2026年12月1日`, `12月1号`;
/// - relative days: `today`, `tomorrow`, `yesterday`, `the day after tomorrow`, and their
///   French, Spanish, German, Portuguese and Chinese words (`demain`, `mañana`, `übermorgen`,
///   `amanhã`, `明天`);
/// - weekdays: `monday` or `on monday` (the next one, today included), `next monday` (the
///   first after today), `last monday`, `lundi prochain`, `el próximo lunes`,
///   `nächsten Montag`, `segunda-feira que vem`, `下周一` (Monday of next week);
/// - times: `3pm`, `3:30 p.m.`, `15:30`, `noon`, `midnight`, `9 o'clock`, `15h30`, `15 Uhr`,
///   `下午3点`, `3点半`; a bare hour after `at` (`tomorrow at 9`);
/// - combinations: `tomorrow at 9am`, `9am tomorrow`, `December 1 at 15:30`, `明天下午3点`;
/// - relative times: `in 10 minutes`, `in 2 hours`, `in an hour`, `10 minutes from now`,
///   `2 hours ago`, `in 3 days` (a date), `in 2 months`, `dans 10 minutes`, `en 2 horas`,
///   `in 10 Minuten`, `daqui a 2 horas`, `10分钟后`; `now`;
/// - durations: `10 minutes`, `2 hours`, `a week`, `半小时`.
///
/// A date without a year is the next such date on or after `now` (`December 1` said on
/// December 5 is next year's). Wall-clock arithmetic ignores daylight-saving changes.
///
/// ```
/// use botbuilder_dialogs::recognizers::{recognize_datetimes, DateTimeResolution, Locale};
/// use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
///
/// let now: NaiveDateTime = "2026-11-30T10:00:00".parse()?;
/// let en = Locale::parse("en-US");
///
/// let found = recognize_datetimes("can we meet tomorrow at 9am?", &en, now);
/// assert_eq!(found[0].text, "tomorrow at 9am");
/// assert_eq!(found[0].resolution, DateTimeResolution::DateTime("2026-12-01T09:00:00".parse()?));
///
/// let found = recognize_datetimes("in 10 minutes", &en, now);
/// assert_eq!(found[0].resolution, DateTimeResolution::DateTime("2026-11-30T10:10:00".parse()?));
///
/// let found = recognize_datetimes("01/12/2026", &Locale::parse("en-GB"), now);
/// assert_eq!(found[0].resolution, DateTimeResolution::Date(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
///
/// let found = recognize_datetimes("for 2 hours", &en, now);
/// assert_eq!(found[0].resolution, DateTimeResolution::Duration(TimeDelta::hours(2)));
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[must_use]
pub fn recognize_datetimes(
    utterance: &str,
    locale: &Locale,
    now: NaiveDateTime,
) -> Vec<ModelResult<DateTimeResolution>> {
    let lex = text::lex(utterance);
    let p = Parser {
        lex: &lex,
        words: table(locale.language()),
        language: locale.language(),
        order: locale.date_order(),
        now,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < lex.len() {
        match p.any(i) {
            Some((next, resolution)) if next > i => {
                let span = lex[i].start..lex[next - 1].end;
                out.push(ModelResult::new(utterance, span, "datetime", resolution));
                i = next;
            }
            _ => i += 1,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Word tables

type Phrases = Vec<Vec<String>>;

struct Words {
    now: Phrases,
    /// (phrase, days from today).
    relative_days: Vec<(Vec<String>, i64)>,
    months: [Phrases; 12],
    weekdays: [Phrases; 7],
    /// Weekday abbreviations, only with a modifier (`next wed`).
    weekday_short: [Phrases; 7],
    next_before: Phrases,
    next_after: Phrases,
    this_before: Phrases,
    last_before: Phrases,
    last_after: Phrases,
    /// Between a date and a time (`at`, `à`, `um`).
    at: Phrases,
    /// Between a time and a date (`on`, `le`, `am`).
    on: Phrases,
    of: Phrases,
    in_before: Phrases,
    later_after: Phrases,
    ago_before: Phrases,
    ago_after: Phrases,
    /// Seconds, minutes, hours, days, weeks, months, years.
    units: [Phrases; 7],
    am: Phrases,
    pm: Phrases,
    noon: Phrases,
    midnight: Phrases,
    hour_marker: Phrases,
    articles: Phrases,
}

fn c(list: &[&str]) -> Phrases {
    list.iter()
        .map(|s| phrase(s))
        .filter(|p| !p.is_empty())
        .collect()
}

fn table(language: Language) -> &'static Words {
    static CACHE: [OnceLock<Words>; 6] = [const { OnceLock::new() }; 6];
    let slot = Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or(0);
    CACHE[slot].get_or_init(|| build(language))
}

#[allow(clippy::too_many_lines)]
fn build(language: Language) -> Words {
    let days = |list: &[(&str, i64)]| {
        list.iter()
            .map(|(s, d)| (phrase(s), *d))
            .collect::<Vec<_>>()
    };
    match language {
        Language::English => Words {
            now: c(&["now", "right now"]),
            relative_days: days(&[
                ("today", 0),
                ("tonight", 0),
                ("tomorrow", 1),
                ("tmrw", 1),
                ("yesterday", -1),
                ("the day after tomorrow", 2),
                ("day after tomorrow", 2),
                ("the day before yesterday", -2),
                ("day before yesterday", -2),
            ]),
            months: [
                c(&["january", "jan"]),
                c(&["february", "feb"]),
                c(&["march", "mar"]),
                c(&["april", "apr"]),
                c(&["may"]),
                c(&["june", "jun"]),
                c(&["july", "jul"]),
                c(&["august", "aug"]),
                c(&["september", "sep", "sept"]),
                c(&["october", "oct"]),
                c(&["november", "nov"]),
                c(&["december", "dec"]),
            ],
            weekdays: [
                c(&["monday"]),
                c(&["tuesday"]),
                c(&["wednesday"]),
                c(&["thursday"]),
                c(&["friday"]),
                c(&["saturday"]),
                c(&["sunday"]),
            ],
            weekday_short: [
                c(&["mon"]),
                c(&["tue", "tues"]),
                c(&["wed"]),
                c(&["thu", "thur", "thurs"]),
                c(&["fri"]),
                c(&["sat"]),
                c(&["sun"]),
            ],
            next_before: c(&["next"]),
            next_after: c(&[]),
            this_before: c(&["this", "on", "this coming", "coming"]),
            last_before: c(&["last", "past", "previous"]),
            last_after: c(&[]),
            at: c(&["at", "@", "around", "by"]),
            on: c(&["on", ","]),
            of: c(&["of"]),
            in_before: c(&["in", "within"]),
            later_after: c(&["from now", "later"]),
            ago_before: c(&[]),
            ago_after: c(&["ago", "before"]),
            units: [
                c(&["seconds", "second", "secs", "sec", "s"]),
                c(&["minutes", "minute", "mins", "min"]),
                c(&["hours", "hour", "hrs", "hr", "h"]),
                c(&["days", "day"]),
                c(&["weeks", "week", "wks", "wk"]),
                c(&["months", "month"]),
                c(&["years", "year", "yrs", "yr"]),
            ],
            am: c(&["am", "a.m.", "a.m", "in the morning"]),
            pm: c(&[
                "pm",
                "p.m.",
                "p.m",
                "in the afternoon",
                "in the evening",
                "at night",
            ]),
            noon: c(&["noon", "midday"]),
            midnight: c(&["midnight"]),
            hour_marker: c(&["o'clock", "oclock"]),
            articles: c(&["a", "an", "one"]),
        },
        Language::French => Words {
            now: c(&["maintenant", "tout de suite"]),
            relative_days: days(&[
                ("aujourd'hui", 0),
                ("ce soir", 0),
                ("demain", 1),
                ("hier", -1),
                ("après-demain", 2),
                ("avant-hier", -2),
            ]),
            months: [
                c(&["janvier", "janv"]),
                c(&["février", "fevr", "févr"]),
                c(&["mars"]),
                c(&["avril", "avr"]),
                c(&["mai"]),
                c(&["juin"]),
                c(&["juillet", "juil"]),
                c(&["août"]),
                c(&["septembre", "sept"]),
                c(&["octobre", "oct"]),
                c(&["novembre", "nov"]),
                c(&["décembre", "déc"]),
            ],
            weekdays: [
                c(&["lundi"]),
                c(&["mardi"]),
                c(&["mercredi"]),
                c(&["jeudi"]),
                c(&["vendredi"]),
                c(&["samedi"]),
                c(&["dimanche"]),
            ],
            weekday_short: Default::default(),
            next_before: c(&[]),
            next_after: c(&["prochain", "prochaine", "qui vient"]),
            this_before: c(&["ce", "le"]),
            last_before: c(&[]),
            last_after: c(&["dernier", "passé"]),
            at: c(&["à", "a", "vers", ","]),
            on: c(&["le", ","]),
            of: c(&[]),
            in_before: c(&["dans"]),
            later_after: c(&["plus tard"]),
            ago_before: c(&["il y a"]),
            ago_after: c(&[]),
            units: [
                c(&["secondes", "seconde", "s"]),
                c(&["minutes", "minute", "min"]),
                c(&["heures", "heure", "h"]),
                c(&["jours", "jour"]),
                c(&["semaines", "semaine"]),
                c(&["mois"]),
                c(&["ans", "an", "années", "année"]),
            ],
            am: c(&["du matin"]),
            pm: c(&["de l'après-midi", "du soir"]),
            noon: c(&["midi"]),
            midnight: c(&["minuit"]),
            hour_marker: c(&["h", "heures", "heure"]),
            articles: c(&["un", "une"]),
        },
        Language::Spanish => Words {
            now: c(&["ahora", "ahora mismo"]),
            relative_days: days(&[
                ("hoy", 0),
                ("esta noche", 0),
                ("mañana", 1),
                ("ayer", -1),
                ("pasado mañana", 2),
                ("anteayer", -2),
                ("antier", -2),
            ]),
            months: [
                c(&["enero", "ene"]),
                c(&["febrero", "feb"]),
                c(&["marzo", "mar"]),
                c(&["abril", "abr"]),
                c(&["mayo", "may"]),
                c(&["junio", "jun"]),
                c(&["julio", "jul"]),
                c(&["agosto", "ago"]),
                c(&["septiembre", "setiembre", "sep", "sept"]),
                c(&["octubre", "oct"]),
                c(&["noviembre", "nov"]),
                c(&["diciembre", "dic"]),
            ],
            weekdays: [
                c(&["lunes"]),
                c(&["martes"]),
                c(&["miércoles"]),
                c(&["jueves"]),
                c(&["viernes"]),
                c(&["sábado"]),
                c(&["domingo"]),
            ],
            weekday_short: Default::default(),
            next_before: c(&[
                "el próximo",
                "el proximo",
                "próximo",
                "este próximo",
                "el siguiente",
            ]),
            next_after: c(&["que viene", "próximo"]),
            this_before: c(&["el", "este"]),
            last_before: c(&["el pasado"]),
            last_after: c(&["pasado"]),
            at: c(&["a las", "a la", "sobre las", ","]),
            on: c(&["el", ","]),
            of: c(&["de"]),
            in_before: c(&["en", "dentro de"]),
            later_after: c(&["más tarde", "después"]),
            ago_before: c(&["hace"]),
            ago_after: c(&[]),
            units: [
                c(&["segundos", "segundo", "s"]),
                c(&["minutos", "minuto", "min"]),
                c(&["horas", "hora", "h"]),
                c(&["días", "día"]),
                c(&["semanas", "semana"]),
                c(&["meses", "mes"]),
                c(&["años", "año"]),
            ],
            am: c(&["de la mañana", "am"]),
            pm: c(&["de la tarde", "de la noche", "pm"]),
            noon: c(&["mediodía"]),
            midnight: c(&["medianoche"]),
            hour_marker: c(&["h", "horas"]),
            articles: c(&["un", "una"]),
        },
        Language::German => Words {
            now: c(&["jetzt", "sofort"]),
            relative_days: days(&[
                ("heute", 0),
                ("morgen", 1),
                ("gestern", -1),
                ("übermorgen", 2),
                ("vorgestern", -2),
            ]),
            months: [
                c(&["januar", "jänner", "jan"]),
                c(&["februar", "feb"]),
                c(&["märz", "maerz", "mär"]),
                c(&["april", "apr"]),
                c(&["mai"]),
                c(&["juni", "jun"]),
                c(&["juli", "jul"]),
                c(&["august", "aug"]),
                c(&["september", "sep", "sept"]),
                c(&["oktober", "okt"]),
                c(&["november", "nov"]),
                c(&["dezember", "dez"]),
            ],
            weekdays: [
                c(&["montag"]),
                c(&["dienstag"]),
                c(&["mittwoch"]),
                c(&["donnerstag"]),
                c(&["freitag"]),
                c(&["samstag", "sonnabend"]),
                c(&["sonntag"]),
            ],
            weekday_short: Default::default(),
            next_before: c(&[
                "nächsten",
                "nächster",
                "nächste",
                "naechsten",
                "kommenden",
                "kommender",
                "kommende",
                "am nächsten",
            ]),
            next_after: c(&[]),
            this_before: c(&["am", "diesen", "dieser", "diese"]),
            last_before: c(&["letzten", "letzter", "letzte", "vergangenen", "am letzten"]),
            last_after: c(&[]),
            at: c(&["um", "gegen", ","]),
            on: c(&["am", ","]),
            of: c(&[]),
            in_before: c(&["in"]),
            later_after: c(&["später"]),
            ago_before: c(&["vor"]),
            ago_after: c(&[]),
            units: [
                c(&["sekunden", "sekunde", "sek", "s"]),
                c(&["minuten", "minute", "min"]),
                c(&["stunden", "stunde", "std", "h"]),
                c(&["tagen", "tage", "tag"]),
                c(&["wochen", "woche"]),
                c(&["monaten", "monate", "monat"]),
                c(&["jahren", "jahre", "jahr"]),
            ],
            am: c(&["morgens", "früh", "vormittags"]),
            pm: c(&["nachmittags", "abends"]),
            noon: c(&["mittag"]),
            midnight: c(&["mitternacht"]),
            hour_marker: c(&["uhr", "h"]),
            articles: c(&["ein", "eine", "einer", "einem", "einen"]),
        },
        Language::Portuguese => Words {
            now: c(&["agora", "agora mesmo"]),
            relative_days: days(&[
                ("hoje", 0),
                ("hoje à noite", 0),
                ("amanhã", 1),
                ("ontem", -1),
                ("depois de amanhã", 2),
                ("anteontem", -2),
            ]),
            months: [
                c(&["janeiro", "jan"]),
                c(&["fevereiro", "fev"]),
                c(&["março", "mar"]),
                c(&["abril", "abr"]),
                c(&["maio", "mai"]),
                c(&["junho", "jun"]),
                c(&["julho", "jul"]),
                c(&["agosto", "ago"]),
                c(&["setembro", "set"]),
                c(&["outubro", "out"]),
                c(&["novembro", "nov"]),
                c(&["dezembro", "dez"]),
            ],
            weekdays: [
                c(&["segunda-feira"]),
                c(&["terça-feira"]),
                c(&["quarta-feira"]),
                c(&["quinta-feira"]),
                c(&["sexta-feira"]),
                c(&["sábado"]),
                c(&["domingo"]),
            ],
            weekday_short: [
                c(&["segunda"]),
                c(&["terça"]),
                c(&["quarta"]),
                c(&["quinta"]),
                c(&["sexta"]),
                c(&[]),
                c(&[]),
            ],
            next_before: c(&["próxima", "próximo", "na próxima", "no próximo"]),
            next_after: c(&["que vem"]),
            this_before: c(&["na", "no", "nesta", "neste", "esta", "este"]),
            last_before: c(&["na última", "no último", "última", "último"]),
            last_after: c(&["passada", "passado"]),
            at: c(&["às", "as", "à", "a", ","]),
            on: c(&["na", "no", ","]),
            of: c(&["de"]),
            in_before: c(&["em", "daqui a", "dentro de"]),
            later_after: c(&["depois", "mais tarde"]),
            ago_before: c(&["há"]),
            ago_after: c(&["atrás"]),
            units: [
                c(&["segundos", "segundo", "s"]),
                c(&["minutos", "minuto", "min"]),
                c(&["horas", "hora", "h"]),
                c(&["dias", "dia"]),
                c(&["semanas", "semana"]),
                c(&["meses", "mês"]),
                c(&["anos", "ano"]),
            ],
            am: c(&["da manhã"]),
            pm: c(&["da tarde", "da noite"]),
            noon: c(&["meio-dia"]),
            midnight: c(&["meia-noite"]),
            hour_marker: c(&["h", "horas"]),
            articles: c(&["um", "uma"]),
        },
        Language::Chinese => Words {
            now: c(&["现在", "马上"]),
            relative_days: days(&[
                ("今天", 0),
                ("今日", 0),
                ("今晚", 0),
                ("明天", 1),
                ("明日", 1),
                ("昨天", -1),
                ("昨日", -1),
                ("后天", 2),
                ("前天", -2),
                ("大后天", 3),
            ]),
            months: Default::default(),
            weekdays: [
                c(&["星期一", "周一", "礼拜一"]),
                c(&["星期二", "周二", "礼拜二"]),
                c(&["星期三", "周三", "礼拜三"]),
                c(&["星期四", "周四", "礼拜四"]),
                c(&["星期五", "周五", "礼拜五"]),
                c(&["星期六", "周六", "礼拜六"]),
                c(&["星期日", "星期天", "周日", "周天", "礼拜天", "礼拜日"]),
            ],
            weekday_short: Default::default(),
            next_before: c(&["下个", "下"]),
            next_after: c(&[]),
            this_before: c(&["这个", "这", "本"]),
            last_before: c(&["上个", "上"]),
            last_after: c(&[]),
            at: c(&["的"]),
            on: c(&[]),
            of: c(&[]),
            in_before: c(&["过"]),
            later_after: c(&["后", "以后", "之后"]),
            ago_before: c(&[]),
            ago_after: c(&["前", "以前", "之前"]),
            units: [
                c(&["秒钟", "秒"]),
                c(&["分钟", "分"]),
                c(&["个小时", "小时", "个钟头", "钟头"]),
                c(&["天"]),
                c(&["个星期", "星期", "周"]),
                c(&["个月"]),
                c(&["年"]),
            ],
            am: c(&["上午", "早上", "早晨", "凌晨"]),
            pm: c(&["下午", "晚上", "傍晚"]),
            noon: c(&["中午"]),
            midnight: c(&["午夜", "半夜"]),
            hour_marker: c(&["点钟", "点", "時", "时"]),
            articles: c(&[]),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Parser

/// A partial match: lexeme index after it, and what it means.
type Match<T> = Option<(usize, T)>;

struct Parser<'a> {
    lex: &'a [Lexeme],
    words: &'static Words,
    language: Language,
    order: DateOrder,
    now: NaiveDateTime,
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

impl Parser<'_> {
    fn get(&self, i: usize) -> Option<&Lexeme> {
        self.lex.get(i)
    }

    fn sym(&self, i: usize, s: &str) -> bool {
        self.get(i)
            .is_some_and(|l| l.kind == Kind::Symbol && l.text == s)
    }

    /// Whether lexeme `i` follows the previous one with no space.
    fn tight(&self, i: usize) -> bool {
        self.get(i).is_some_and(|l| !l.space_before)
    }

    fn digits(&self, i: usize) -> Option<(u64, usize)> {
        let l = self.get(i)?;
        Some((l.number()?, l.text.len()))
    }

    /// Matches a phrase at `i`, skipping apostrophes and hyphens inside it.
    fn phrase_at(&self, i: usize, phrase: &[String]) -> Option<usize> {
        let mut k = i;
        for (n, token) in phrase.iter().enumerate() {
            while n > 0 && self.get(k).is_some_and(is_joiner) {
                k += 1;
            }
            if self.get(k).is_none_or(|l| l.text != *token) {
                return None;
            }
            k += 1;
        }
        Some(k)
    }

    /// The longest phrase of `list` at `i`: (next, index in list).
    fn one_of(&self, i: usize, list: &[Vec<String>]) -> Match<usize> {
        list.iter()
            .enumerate()
            .filter_map(|(n, p)| self.phrase_at(i, p).map(|next| (next, n)))
            .max_by_key(|(next, n)| (*next, std::cmp::Reverse(*n)))
    }

    fn today(&self) -> NaiveDate {
        self.now.date()
    }

    /// Every reading at `i`; the longest wins, ties to the first tried.
    fn any(&self, i: usize) -> Match<DateTimeResolution> {
        let candidates = [
            self.iso(i),
            self.date_then_time(i),
            self.time_then_date(i),
            self.relative(i),
            self.date(i).map(|(n, d)| (n, DateTimeResolution::Date(d))),
            self.time(i, false)
                .map(|(n, t)| (n, DateTimeResolution::Time(t))),
            self.bare_hour_after_at(i),
            self.duration(i)
                .map(|(n, d)| (n, DateTimeResolution::Duration(d))),
            self.one_of(i, &self.words.now)
                .map(|(n, _)| (n, DateTimeResolution::DateTime(self.now))),
        ];
        let mut best: Match<DateTimeResolution> = None;
        for c in candidates.into_iter().flatten() {
            if best.is_none_or(|(n, _)| c.0 > n) {
                best = Some(c);
            }
        }
        best
    }

    // --- ISO 8601 -------------------------------------------------------------------------

    fn iso(&self, i: usize) -> Match<DateTimeResolution> {
        let (y, 4) = self.digits(i)? else { return None };
        if !(self.sym(i + 1, "-")
            && self.tight(i + 1)
            && self.tight(i + 2)
            && self.sym(i + 3, "-")
            && self.tight(i + 3)
            && self.tight(i + 4))
        {
            return None;
        }
        let (m, _) = self.digits(i + 2)?;
        let (d, _) = self.digits(i + 4)?;
        let date = ymd(y, m, d)?;
        let mut k = i + 5;
        // "T15:30" or " 15:30"
        let time_start =
            if self.get(k).is_some_and(|l| l.text == "t") && self.tight(k) && self.tight(k + 1) {
                Some(k + 1)
            } else if self
                .get(k)
                .is_some_and(|l| l.kind == Kind::Digits && l.space_before)
                && self.sym(k + 1, ":")
            {
                Some(k)
            } else {
                None
            };
        let Some(ts) = time_start else {
            return Some((k, DateTimeResolution::Date(date)));
        };
        let Some((after_time, time)) = self.clock(ts) else {
            return Some((k, DateTimeResolution::Date(date)));
        };
        k = after_time;
        let local = date.and_time(time);
        // Offset: Z, +02:00, -0500, +02
        if self.get(k).is_some_and(|l| l.text == "z") && self.tight(k) {
            let offset = FixedOffset::east_opt(0)?;
            let dt = local.and_local_timezone(offset).single()?;
            return Some((k + 1, DateTimeResolution::DateTimeOffset(dt)));
        }
        if (self.sym(k, "+") || self.sym(k, "-") || self.sym(k, "\u{2212}"))
            && self.tight(k)
            && self.tight(k + 1)
        {
            let sign = if self.sym(k, "+") { 1 } else { -1 };
            let (hh, mm, next) = match self.digits(k + 1)? {
                (v, 4) => (v / 100, v % 100, k + 2),
                (v, 1 | 2) if self.sym(k + 2, ":") && self.tight(k + 2) => {
                    let (m, len) = self.digits(k + 3)?;
                    if len != 2 {
                        return None;
                    }
                    (v, m, k + 4)
                }
                (v, 1 | 2) => (v, 0, k + 2),
                _ => return None,
            };
            if hh > 14 || mm > 59 {
                return None;
            }
            let seconds = i32::try_from(hh * 3600 + mm * 60).ok()? * sign;
            let offset = FixedOffset::east_opt(seconds)?;
            let dt = local.and_local_timezone(offset).single()?;
            return Some((next, DateTimeResolution::DateTimeOffset(dt)));
        }
        Some((k, DateTimeResolution::DateTime(local)))
    }

    /// `HH:MM[:SS[.fff]]` with no am/pm: (next, time).
    fn clock(&self, i: usize) -> Match<NaiveTime> {
        let (h, hlen) = self.digits(i)?;
        if hlen > 2 || !(self.sym(i + 1, ":") && self.tight(i + 1) && self.tight(i + 2)) {
            return None;
        }
        let (m, 2) = self.digits(i + 2)? else {
            return None;
        };
        let mut k = i + 3;
        let mut s = 0;
        if self.sym(k, ":")
            && self.tight(k)
            && self.tight(k + 1)
            && let Some((sec, 2)) = self.digits(k + 1)
        {
            s = sec;
            k += 2;
            // Fractions of a second are accepted and dropped.
            if self.sym(k, ".")
                && self.tight(k)
                && self.tight(k + 1)
                && self.digits(k + 1).is_some()
            {
                k += 2;
            }
        }
        Some((k, hms(h, m, s)?))
    }

    // --- Dates ----------------------------------------------------------------------------

    fn date(&self, i: usize) -> Match<NaiveDate> {
        [
            self.iso(i).and_then(|(n, r)| match r {
                DateTimeResolution::Date(d) => Some((n, d)),
                _ => None,
            }),
            self.numeric_date(i),
            self.day_month(i),
            self.month_day(i),
            self.chinese_date(i),
            self.relative_day(i),
            self.weekday(i),
        ]
        .into_iter()
        .flatten()
        .max_by_key(|(n, _)| *n)
    }

    /// `12/01/2026`, `01.12.2026`, `2026/12/01`, `12/1`.
    fn numeric_date(&self, i: usize) -> Match<NaiveDate> {
        let (a, alen) = self.digits(i)?;
        let sep = self
            .get(i + 1)
            .filter(|l| l.kind == Kind::Symbol && matches!(l.text.as_str(), "/" | "-" | "."))?;
        if !(self.tight(i + 1) && self.tight(i + 2)) {
            return None;
        }
        let (b, blen) = self.digits(i + 2)?;
        if blen > 2 && alen != 4 {
            return None;
        }
        let third = (self.get(i + 3).is_some_and(|l| l.text == sep.text)
            && self.tight(i + 3)
            && self.tight(i + 4))
        .then(|| self.digits(i + 4))
        .flatten();
        match third {
            Some((c, clen)) => {
                let date = if alen == 4 {
                    ymd(a, b, c)?
                } else {
                    if alen > 2 || !matches!(clen, 2 | 4) {
                        return None;
                    }
                    let year = if clen == 2 { 2000 + c } else { c };
                    match self.order {
                        DateOrder::DayMonthYear => ymd(year, b, a)?,
                        DateOrder::MonthDayYear | DateOrder::YearMonthDay => ymd(year, a, b)?,
                    }
                };
                Some((i + 5, date))
            }
            None => {
                // Two parts: only with a slash, and not a fraction-looking pair of big numbers.
                if sep.text != "/" || alen > 2 {
                    return None;
                }
                let (month, day) = match self.order {
                    DateOrder::DayMonthYear => (b, a),
                    DateOrder::MonthDayYear | DateOrder::YearMonthDay => (a, b),
                };
                Some((i + 3, self.upcoming(month, day)?))
            }
        }
    }

    /// A day number, with an ordinal suffix: (next, day).
    fn day_number(&self, i: usize) -> Match<u64> {
        let (d, len) = self.digits(i)?;
        if len > 2 || !(1..=31).contains(&d) {
            return None;
        }
        let mut k = i + 1;
        if self.tight(k)
            && self.get(k).is_some_and(|l| {
                matches!(
                    l.text.as_str(),
                    "st" | "nd" | "rd" | "th" | "er" | "e" | "o" | "a" | "º" | "ª" | "."
                )
            })
        {
            k += 1;
        }
        Some((k, d))
    }

    fn year_after(&self, k: usize) -> Match<u64> {
        let mut k = k;
        if self.sym(k, ",") {
            k += 1;
        }
        if let Some((next, _)) = self.one_of(k, &self.words.of) {
            k = next;
        }
        let (y, 4) = self.digits(k)? else { return None };
        Some((k + 1, y))
    }

    fn month_at(&self, i: usize) -> Match<u64> {
        let mut best: Match<u64> = None;
        for (m, names) in self.words.months.iter().enumerate() {
            if let Some((next, _)) = self.one_of(i, names)
                && best.is_none_or(|(n, _)| next > n)
            {
                best = Some((next, m as u64 + 1));
            }
        }
        // "déc." / "Dec." abbreviation dot
        best.map(|(n, m)| {
            if self.sym(n, ".") && self.tight(n) {
                (n + 1, m)
            } else {
                (n, m)
            }
        })
    }

    /// `1 December 2026`, `1st of December`, `1er décembre`, `1 de diciembre de 2026`,
    /// `1. Dezember`.
    fn day_month(&self, i: usize) -> Match<NaiveDate> {
        let (mut k, day) = self.day_number(i)?;
        if let Some((next, _)) = self.one_of(k, &self.words.of) {
            k = next;
        }
        let (k, month) = self.month_at(k)?;
        if let Some((next, year)) = self.year_after(k) {
            return Some((next, ymd(year, month, day)?));
        }
        Some((k, self.upcoming(month, day)?))
    }

    /// `December 1`, `Dec 1st, 2026`.
    fn month_day(&self, i: usize) -> Match<NaiveDate> {
        let (mut k, month) = self.month_at(i)?;
        if let Some((next, _)) = self.one_of(k, &c(&["the"])) {
            k = next;
        }
        let (k, day) = self.day_number(k)?;
        if let Some((next, year)) = self.year_after(k) {
            return Some((next, ymd(year, month, day)?));
        }
        Some((k, self.upcoming(month, day)?))
    }

    /// A number written with digits or Chinese numerals: (next, value).
    fn cjk_number(&self, i: usize) -> Match<u64> {
        if let Some((v, _)) = self.digits(i) {
            return Some((i + 1, v));
        }
        let mut chars = Vec::new();
        let mut k = i;
        while let Some(l) = self.get(k).filter(|l| l.kind == Kind::Cjk) {
            let Some(c) = l
                .text
                .chars()
                .next()
                .filter(|c| "零〇一二两三四五六七八九十百千".contains(*c))
            else {
                break;
            };
            chars.push(c);
            k += 1;
        }
        let v = super::number::parse_chinese_integer(&chars)?;
        Some((k, v))
    }

    /// `2026年12月1日`, `12月1号`.
    fn chinese_date(&self, i: usize) -> Match<NaiveDate> {
        let (mut k, first) = self.cjk_number(i)?;
        let mut year = None;
        if self.get(k).is_some_and(|l| l.is("年")) {
            year = Some(first);
            k += 1;
        }
        let (k2, month) = if year.is_some() {
            self.cjk_number(k)?
        } else {
            (k, first)
        };
        if !self.get(k2).is_some_and(|l| l.is("月")) {
            return None;
        }
        let (k3, day) = self.cjk_number(k2 + 1)?;
        let mut end = k3;
        if self
            .get(end)
            .is_some_and(|l| l.is("日") || l.is("号") || l.is("號"))
        {
            end += 1;
        }
        let date = match year {
            Some(y) => ymd(y, month, day)?,
            None => self.upcoming(month, day)?,
        };
        Some((end, date))
    }

    fn relative_day(&self, i: usize) -> Match<NaiveDate> {
        let (next, n) = self.one_of(
            i,
            &self
                .words
                .relative_days
                .iter()
                .map(|(p, _)| p.clone())
                .collect::<Vec<_>>(),
        )?;
        // "heute Morgen", "guten Morgen" (German) and "la mañana" (Spanish) are mornings.
        let word = &self.words.relative_days[n].0;
        let prev = i
            .checked_sub(1)
            .and_then(|p| self.get(p))
            .map(|l| l.text.as_str());
        if (self.language == Language::German
            && word == &vec!["morgen".to_owned()]
            && matches!(
                prev,
                Some("heute" | "guten" | "am" | "jeden" | "gestern" | "den")
            ))
            || (self.language == Language::Spanish
                && word == &vec!["manana".to_owned()]
                && matches!(
                    prev,
                    Some("la" | "esta" | "por" | "cada" | "de" | "buenos" | "las")
                ))
        {
            return None;
        }
        let days = self.words.relative_days[n].1;
        Some((
            next,
            self.today().checked_add_signed(TimeDelta::days(days))?,
        ))
    }

    fn weekday_at(&self, i: usize, short: bool) -> Match<Weekday> {
        let lists = if short {
            &self.words.weekday_short
        } else {
            &self.words.weekdays
        };
        let mut best: Match<Weekday> = None;
        for (d, names) in lists.iter().enumerate() {
            if let Some((next, _)) = self.one_of(i, names)
                && best.is_none_or(|(n, _)| next > n)
            {
                best = Some((next, WEEKDAYS[d]));
            }
        }
        best
    }

    /// `monday`, `next monday`, `lundi prochain`, `el próximo lunes`, `下周一`.
    fn weekday(&self, i: usize) -> Match<NaiveDate> {
        let w = self.words;
        let modified = |list: &[Vec<String>]| -> Match<Weekday> {
            let (k, _) = self.one_of(i, list)?;
            self.weekday_at(k, false)
                .or_else(|| self.weekday_at(k, true))
        };
        let today = self.today();
        let from_today = |day: Weekday| {
            i64::from(day.num_days_from_monday())
                - i64::from(today.weekday().num_days_from_monday())
        };
        let calendar_week = self.language == Language::Chinese;
        // Prefix forms.
        if let Some((k, day)) = modified(&w.next_before) {
            let delta = if calendar_week {
                7 + from_today(day)
            } else {
                next_delta(from_today(day))
            };
            return Some((k, today.checked_add_signed(TimeDelta::days(delta))?));
        }
        if let Some((k, day)) = modified(&w.last_before) {
            let delta = if calendar_week {
                from_today(day) - 7
            } else {
                last_delta(from_today(day))
            };
            return Some((k, today.checked_add_signed(TimeDelta::days(delta))?));
        }
        let (k, day) = modified(&w.this_before).or_else(|| self.weekday_at(i, false))?;
        // Suffix forms.
        if let Some((next, _)) = self.one_of(k, &w.next_after) {
            return Some((
                next,
                today.checked_add_signed(TimeDelta::days(next_delta(from_today(day))))?,
            ));
        }
        if let Some((next, _)) = self.one_of(k, &w.last_after) {
            return Some((
                next,
                today.checked_add_signed(TimeDelta::days(last_delta(from_today(day))))?,
            ));
        }
        let delta = from_today(day).rem_euclid(7);
        Some((k, today.checked_add_signed(TimeDelta::days(delta))?))
    }

    /// The next date with this month and day, today included.
    fn upcoming(&self, month: u64, day: u64) -> Option<NaiveDate> {
        let today = self.today();
        let year = u64::try_from(today.year()).ok()?;
        // February 29 may be a few years away.
        (0..=8).find_map(|ahead| ymd(year + ahead, month, day).filter(|d| *d >= today))
    }

    // --- Times ----------------------------------------------------------------------------

    /// A time of day. `after_at` allows a bare hour (`at 9`).
    fn time(&self, i: usize, after_at: bool) -> Match<NaiveTime> {
        let w = self.words;
        if let Some((n, _)) = self.one_of(i, &w.noon) {
            return Some((n, hms(12, 0, 0)?));
        }
        if let Some((n, _)) = self.one_of(i, &w.midnight) {
            return Some((n, hms(0, 0, 0)?));
        }
        // Chinese: [上午|下午] H 点 [M 分 | 半]
        if self.language == Language::Chinese {
            return self.chinese_time(i);
        }
        let (mut k, mut h, mut m, mut s, mut marked) = if let Some((k, t)) = self.clock(i) {
            (
                k,
                u64::from(t.hour()),
                u64::from(t.minute()),
                u64::from(t.second()),
                true,
            )
        } else {
            let (h, len) = self.digits(i)?;
            if len > 2 {
                return None;
            }
            (i + 1, h, 0, 0, false)
        };
        // "15h30", "15 h", "15 Uhr 30", "9 o'clock"
        if !marked && let Some((next, _)) = self.one_of(k, &w.hour_marker) {
            k = next;
            marked = true;
            if let Some((mm, 2)) = self.digits(k)
                && mm < 60
            {
                m = mm;
                k += 1;
            }
        }
        // am / pm
        let mut meridiem = None;
        if let Some((next, _)) = self.one_of(k, &w.am) {
            meridiem = Some(false);
            k = next;
        } else if let Some((next, _)) = self.one_of(k, &w.pm) {
            meridiem = Some(true);
            k = next;
        }
        if let Some(pm) = meridiem {
            if !(1..=12).contains(&h) {
                return None;
            }
            h = h % 12 + if pm { 12 } else { 0 };
            marked = true;
        }
        if !marked && !after_at {
            return None;
        }
        if s > 59 {
            s = 0;
        }
        Some((k, hms(h, m, s)?))
    }

    fn chinese_time(&self, i: usize) -> Match<NaiveTime> {
        let w = self.words;
        let mut k = i;
        let mut pm = None;
        if let Some((next, _)) = self.one_of(k, &w.am) {
            pm = Some(false);
            k = next;
        } else if let Some((next, _)) = self.one_of(k, &w.pm) {
            pm = Some(true);
            k = next;
        } else if let Some((next, _)) = self.one_of(k, &w.noon) {
            pm = Some(true);
            k = next;
        }
        if let Some((next, t)) = self.clock(k) {
            let h = u64::from(t.hour());
            let h = if pm == Some(true) && h < 12 {
                h + 12
            } else {
                h
            };
            return Some((next, hms(h, u64::from(t.minute()), 0)?));
        }
        let (k2, mut h) = self.cjk_number(k)?;
        let (mut k3, _) = self.one_of(k2, &w.hour_marker)?;
        let mut m = 0;
        if self.get(k3).is_some_and(|l| l.is("半")) {
            m = 30;
            k3 += 1;
        } else if let Some((k4, mm)) = self.cjk_number(k3)
            && self.get(k4).is_some_and(|l| l.is("分"))
        {
            m = mm;
            k3 = k4 + 1;
        }
        if pm == Some(true) && h < 12 {
            h += 12;
        }
        Some((k3, hms(h, m, 0)?))
    }

    /// `at 9`: a bare hour is a time only after `at` (the `at` itself is not part of the
    /// match when nothing precedes it).
    fn bare_hour_after_at(&self, i: usize) -> Match<DateTimeResolution> {
        let (k, _) = self.one_of(i, &self.words.at)?;
        if self.sym(i, ",") {
            return None;
        }
        // "at 15:30 on 12/01" is a date-time.
        if let Some(found) = self.time_then_date(k) {
            return Some(found);
        }
        let (next, t) = self.time(k, true)?;
        Some((next, DateTimeResolution::Time(t)))
    }

    // --- Combinations ---------------------------------------------------------------------

    fn date_then_time(&self, i: usize) -> Match<DateTimeResolution> {
        let (k, date) = self.date(i)?;
        let (k, after_at) = match self.one_of(k, &self.words.at) {
            Some((next, _)) => (next, true),
            None => (k, false),
        };
        let (next, time) = self.time(k, after_at)?;
        Some((next, DateTimeResolution::DateTime(date.and_time(time))))
    }

    fn time_then_date(&self, i: usize) -> Match<DateTimeResolution> {
        let (k, time) = self.time(i, false)?;
        let k = self.one_of(k, &self.words.on).map_or(k, |(next, _)| next);
        let (next, date) = self.date(k)?;
        Some((next, DateTimeResolution::DateTime(date.and_time(time))))
    }

    // --- Relative times and durations -----------------------------------------------------

    /// An amount: digits (with a decimal part), number words, an article, 半 (half).
    fn amount(&self, i: usize) -> Match<f64> {
        let l = self.get(i)?;
        if l.kind == Kind::Digits {
            let v = l.number()?;
            #[allow(clippy::cast_precision_loss)]
            let mut value = v as f64;
            let mut k = i + 1;
            if (self.sym(k, ".") || self.sym(k, ","))
                && self.tight(k)
                && self.tight(k + 1)
                && let Some(frac) = self.get(k + 1).filter(|l| l.kind == Kind::Digits)
                && let Ok(f) = format!("0.{}", frac.text).parse::<f64>()
            {
                value += f;
                k += 2;
            }
            return Some((k, value));
        }
        if self.language == Language::English {
            if l.is("half") && matches!(self.get(i + 1).map(|l| l.text.as_str()), Some("an" | "a"))
            {
                return Some((i + 2, 0.5));
            }
            if let Some(n) = parse_english_words(self.lex, i).filter(|n| !n.ordinal) {
                return Some((n.next, n.value));
            }
        }
        if self.language == Language::Chinese {
            if l.is("半") {
                return Some((i + 1, 0.5));
            }
            if let Some((k, v)) = self.cjk_number(i) {
                #[allow(clippy::cast_precision_loss)]
                let mut value = v as f64;
                let mut k = k;
                // 一个半小时: one and a half
                if self.get(k).is_some_and(|l| l.is("个"))
                    && self.get(k + 1).is_some_and(|l| l.is("半"))
                {
                    value += 0.5;
                    k += 2;
                }
                return Some((k, value));
            }
        }
        if let Some(v) = small_cardinal(self.language, &l.text) {
            #[allow(clippy::cast_precision_loss)]
            return Some((i + 1, v as f64));
        }
        self.one_of(i, &self.words.articles).map(|(n, _)| (n, 1.0))
    }

    /// An amount and a unit: (next, amount, unit index).
    fn quantity(&self, i: usize) -> Option<(usize, f64, usize)> {
        let (k, amount) = self.amount(i)?;
        let mut best: Option<(usize, usize)> = None;
        for (u, names) in self.words.units.iter().enumerate() {
            if let Some((next, _)) = self.one_of(k, names)
                && best.is_none_or(|(n, _)| next > n)
            {
                best = Some((next, u));
            }
        }
        let (next, unit) = best?;
        // Single-letter units ("5 h", "10 s") must be written tight or be the whole word.
        Some((next, amount, unit))
    }

    /// `in 10 minutes`, `10 minutes from now`, `2 hours ago`, `il y a 2 jours`, `10分钟后`.
    fn relative(&self, i: usize) -> Match<DateTimeResolution> {
        let w = self.words;
        let (start, sign) = if let Some((k, _)) = self.one_of(i, &w.in_before) {
            (k, 1)
        } else if let Some((k, _)) = self.one_of(i, &w.ago_before) {
            (k, -1)
        } else {
            (i, 0)
        };
        let (mut k, amount, unit) = self.quantity(start)?;
        let sign = if sign != 0 {
            // "in 2 hours from now" is still +2 hours.
            if sign > 0
                && let Some((next, _)) = self.one_of(k, &w.later_after)
            {
                k = next;
            }
            sign
        } else if let Some((next, _)) = self.one_of(k, &w.later_after) {
            k = next;
            1
        } else if let Some((next, _)) = self.one_of(k, &w.ago_after) {
            k = next;
            -1
        } else {
            return None;
        };
        Some((k, self.shift(amount * f64::from(sign), unit)?))
    }

    fn shift(&self, amount: f64, unit: usize) -> Option<DateTimeResolution> {
        let whole = amount.fract() == 0.0;
        #[allow(clippy::cast_possible_truncation)]
        let n = amount as i64;
        match unit {
            3 | 4 if whole => {
                let days = if unit == 4 { n.checked_mul(7)? } else { n };
                Some(DateTimeResolution::Date(
                    self.today()
                        .checked_add_signed(TimeDelta::try_days(days)?)?,
                ))
            }
            5 | 6 if whole => {
                let months = if unit == 6 { n.checked_mul(12)? } else { n };
                let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
                let date = if months >= 0 {
                    self.today().checked_add_months(m)?
                } else {
                    self.today().checked_sub_months(m)?
                };
                Some(DateTimeResolution::Date(date))
            }
            5 | 6 => None,
            _ => {
                let delta = unit_delta(amount, unit)?;
                Some(DateTimeResolution::DateTime(
                    self.now.checked_add_signed(delta)?,
                ))
            }
        }
    }

    /// `10 minutes`, `for 2 hours`: fixed-length units only (not months or years).
    fn duration(&self, i: usize) -> Match<TimeDelta> {
        let (k, amount, unit) = self.quantity(i)?;
        if unit > 4 || amount < 0.0 {
            return None;
        }
        // A lone single-letter unit ("5 s", "3 h") is too ambiguous outside a time phrase.
        if self
            .get(k - 1)
            .is_some_and(|l| l.text.chars().count() == 1 && l.kind == Kind::Word)
            && !self.tight(k - 1)
        {
            return None;
        }
        Some((k, unit_delta(amount, unit)?))
    }
}

fn unit_delta(amount: f64, unit: usize) -> Option<TimeDelta> {
    let seconds_per = [1.0, 60.0, 3_600.0, 86_400.0, 604_800.0];
    let seconds = amount * seconds_per.get(unit)?;
    if !seconds.is_finite() || seconds.abs() > 1e15 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    TimeDelta::try_milliseconds((seconds * 1000.0).round() as i64)
}

/// Days to the first `day` strictly after today, given `day - today` in -6..=6.
fn next_delta(diff: i64) -> i64 {
    let d = diff.rem_euclid(7);
    if d == 0 { 7 } else { d }
}

/// Days back to the last `day` strictly before today.
fn last_delta(diff: i64) -> i64 {
    let d = (-diff).rem_euclid(7);
    -(if d == 0 { 7 } else { d })
}

fn ymd(y: u64, m: u64, d: u64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::try_from(y).ok()?,
        u32::try_from(m).ok()?,
        u32::try_from(d).ok()?,
    )
}

fn hms(h: u64, m: u64, s: u64) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(
        u32::try_from(h).ok()?,
        u32::try_from(m).ok()?,
        u32::try_from(s).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use DateTimeResolution::{Date, DateTime as Dt, DateTimeOffset, Duration, Time};

    /// Monday, November 30, 2026, 10:00.
    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn recognize(text: &str, locale: &str) -> Vec<(String, DateTimeResolution)> {
        recognize_datetimes(text, &Locale::parse(locale), now())
            .into_iter()
            .map(|r| (r.text, r.resolution))
            .collect()
    }

    fn one(text: &str, locale: &str) -> Option<DateTimeResolution> {
        let found = recognize(text, locale);
        assert!(found.len() <= 1, "{locale} {text:?}: {found:?}");
        found.into_iter().next().map(|(_, r)| r)
    }

    #[test]
    fn iso_forms() {
        let offset = |h: i32| FixedOffset::east_opt(h * 3600).unwrap();
        let cases = [
            ("2026-12-01", Date(d(2026, 12, 1))),
            ("2026-12-01T15:30", Dt(d(2026, 12, 1).and_time(t(15, 30)))),
            (
                "2026-12-01 15:30:45",
                Dt(d(2026, 12, 1).and_hms_opt(15, 30, 45).unwrap()),
            ),
            (
                "2026-12-01T15:30:00.123",
                Dt(d(2026, 12, 1).and_time(t(15, 30))),
            ),
            (
                "2026-12-01T15:30Z",
                DateTimeOffset(
                    d(2026, 12, 1)
                        .and_time(t(15, 30))
                        .and_local_timezone(offset(0))
                        .unwrap(),
                ),
            ),
            (
                "2026-12-01T15:30+02:00",
                DateTimeOffset(
                    d(2026, 12, 1)
                        .and_time(t(15, 30))
                        .and_local_timezone(offset(2))
                        .unwrap(),
                ),
            ),
            (
                "2026-12-01T15:30-0500",
                DateTimeOffset(
                    d(2026, 12, 1)
                        .and_time(t(15, 30))
                        .and_local_timezone(offset(-5))
                        .unwrap(),
                ),
            ),
        ];
        for (text, expected) in cases {
            for locale in ["en-US", "fr-FR", "zh-CN"] {
                assert_eq!(one(text, locale), Some(expected), "{locale} {text:?}");
            }
        }
        assert_eq!(one("2026-13-01", "en"), None);
        assert_eq!(one("2026-02-30", "en"), None);
    }

    #[test]
    fn english_written_forms() {
        let cases = [
            ("today", Date(d(2026, 11, 30))),
            ("tomorrow", Date(d(2026, 12, 1))),
            ("yesterday", Date(d(2026, 11, 29))),
            ("the day after tomorrow", Date(d(2026, 12, 2))),
            ("next monday", Date(d(2026, 12, 7))),
            ("next friday", Date(d(2026, 12, 4))),
            ("on friday", Date(d(2026, 12, 4))),
            ("monday", Date(d(2026, 11, 30))),
            ("last monday", Date(d(2026, 11, 23))),
            ("last sunday", Date(d(2026, 11, 29))),
            ("next wed", Date(d(2026, 12, 2))),
            ("in 10 minutes", Dt(d(2026, 11, 30).and_time(t(10, 10)))),
            ("in 2 hours", Dt(d(2026, 11, 30).and_time(t(12, 0)))),
            ("in an hour", Dt(d(2026, 11, 30).and_time(t(11, 0)))),
            ("in half an hour", Dt(d(2026, 11, 30).and_time(t(10, 30)))),
            ("in ten minutes", Dt(d(2026, 11, 30).and_time(t(10, 10)))),
            (
                "15 minutes from now",
                Dt(d(2026, 11, 30).and_time(t(10, 15))),
            ),
            ("2 hours ago", Dt(d(2026, 11, 30).and_time(t(8, 0)))),
            ("in 3 days", Date(d(2026, 12, 3))),
            ("in a week", Date(d(2026, 12, 7))),
            ("in 2 months", Date(d(2027, 1, 30))),
            ("3 days ago", Date(d(2026, 11, 27))),
            ("December 1", Date(d(2026, 12, 1))),
            ("Dec 1st, 2027", Date(d(2027, 12, 1))),
            ("1 December 2026", Date(d(2026, 12, 1))),
            ("the 1st of December", Date(d(2026, 12, 1))),
            ("November 1", Date(d(2027, 11, 1))),
            ("3pm", Time(t(15, 0))),
            ("3 pm", Time(t(15, 0))),
            ("3:30 p.m.", Time(t(15, 30))),
            ("12am", Time(t(0, 0))),
            ("12pm", Time(t(12, 0))),
            ("15:30", Time(t(15, 30))),
            ("noon", Time(t(12, 0))),
            ("midnight", Time(t(0, 0))),
            ("9 o'clock", Time(t(9, 0))),
            ("at 9", Time(t(9, 0))),
            ("tomorrow at 9am", Dt(d(2026, 12, 1).and_time(t(9, 0)))),
            ("tomorrow at 9", Dt(d(2026, 12, 1).and_time(t(9, 0)))),
            ("9am tomorrow", Dt(d(2026, 12, 1).and_time(t(9, 0)))),
            ("tomorrow 15:30", Dt(d(2026, 12, 1).and_time(t(15, 30)))),
            ("December 1 at 3pm", Dt(d(2026, 12, 1).and_time(t(15, 0)))),
            ("3pm on friday", Dt(d(2026, 12, 4).and_time(t(15, 0)))),
            ("at 15:30 on 12/01", Dt(d(2026, 12, 1).and_time(t(15, 30)))),
            ("at 9am tomorrow", Dt(d(2026, 12, 1).and_time(t(9, 0)))),
            ("10 minutes", Duration(TimeDelta::minutes(10))),
            ("for 2 hours", Duration(TimeDelta::hours(2))),
            ("a week", Duration(TimeDelta::weeks(1))),
            ("now", Dt(now())),
        ];
        for (text, expected) in cases {
            assert_eq!(one(text, "en-US"), Some(expected), "{text:?}");
        }
    }

    #[test]
    fn numeric_dates_follow_the_locale() {
        let dec1 = Some(Date(d(2026, 12, 1)));
        let cases = [
            ("en-US", "12/01/2026", dec1),
            ("en-US", "12/1/26", dec1),
            ("en-GB", "01/12/2026", dec1),
            ("fr-FR", "01/12/2026", dec1),
            ("es-ES", "1/12/2026", dec1),
            ("de-DE", "01.12.2026", dec1),
            ("pt-BR", "01/12/2026", dec1),
            ("zh-CN", "2026/12/01", dec1),
            ("en-GB", "2026/12/01", dec1),
            ("en-US", "12/1", dec1),
            ("en-GB", "1/12", dec1),
            ("en-US", "13/01/2026", None),
            ("en-GB", "01/13/2026", None),
        ];
        for (locale, text, expected) in cases {
            assert_eq!(one(text, locale), expected, "{locale} {text:?}");
        }
    }

    #[test]
    fn other_languages() {
        let cases = [
            ("fr-FR", "demain", Date(d(2026, 12, 1))),
            ("fr-FR", "aujourd'hui", Date(d(2026, 11, 30))),
            ("fr-FR", "après-demain", Date(d(2026, 12, 2))),
            ("fr-FR", "1er décembre 2026", Date(d(2026, 12, 1))),
            ("fr-FR", "lundi prochain", Date(d(2026, 12, 7))),
            (
                "fr-FR",
                "dans 10 minutes",
                Dt(d(2026, 11, 30).and_time(t(10, 10))),
            ),
            ("fr-FR", "il y a 2 jours", Date(d(2026, 11, 28))),
            ("fr-FR", "15h30", Time(t(15, 30))),
            (
                "fr-FR",
                "demain à 15h",
                Dt(d(2026, 12, 1).and_time(t(15, 0))),
            ),
            ("fr-FR", "midi", Time(t(12, 0))),
            ("es-ES", "mañana", Date(d(2026, 12, 1))),
            ("es-ES", "pasado mañana", Date(d(2026, 12, 2))),
            ("es-ES", "1 de diciembre de 2026", Date(d(2026, 12, 1))),
            ("es-ES", "el próximo viernes", Date(d(2026, 12, 4))),
            (
                "es-ES",
                "en 2 horas",
                Dt(d(2026, 11, 30).and_time(t(12, 0))),
            ),
            ("es-ES", "hace 3 días", Date(d(2026, 11, 27))),
            ("de-DE", "morgen", Date(d(2026, 12, 1))),
            ("de-DE", "übermorgen", Date(d(2026, 12, 2))),
            ("de-DE", "1. Dezember 2026", Date(d(2026, 12, 1))),
            ("de-DE", "nächsten Montag", Date(d(2026, 12, 7))),
            (
                "de-DE",
                "in 10 Minuten",
                Dt(d(2026, 11, 30).and_time(t(10, 10))),
            ),
            (
                "de-DE",
                "morgen um 15 Uhr",
                Dt(d(2026, 12, 1).and_time(t(15, 0))),
            ),
            (
                "de-DE",
                "vor 2 Stunden",
                Dt(d(2026, 11, 30).and_time(t(8, 0))),
            ),
            ("pt-BR", "amanhã", Date(d(2026, 12, 1))),
            ("pt-BR", "1 de dezembro de 2026", Date(d(2026, 12, 1))),
            (
                "pt-BR",
                "daqui a 2 horas",
                Dt(d(2026, 11, 30).and_time(t(12, 0))),
            ),
            ("pt-BR", "sexta-feira que vem", Date(d(2026, 12, 4))),
            (
                "pt-BR",
                "amanhã às 9h",
                Dt(d(2026, 12, 1).and_time(t(9, 0))),
            ),
            ("zh-CN", "明天", Date(d(2026, 12, 1))),
            ("zh-CN", "后天", Date(d(2026, 12, 2))),
            ("zh-CN", "2026年12月1日", Date(d(2026, 12, 1))),
            ("zh-CN", "十二月一号", Date(d(2026, 12, 1))),
            ("zh-CN", "下周一", Date(d(2026, 12, 7))),
            ("zh-CN", "下周日", Date(d(2026, 12, 13))),
            ("zh-CN", "周五", Date(d(2026, 12, 4))),
            ("zh-CN", "下午3点", Time(t(15, 0))),
            ("zh-CN", "3点半", Time(t(3, 30))),
            (
                "zh-CN",
                "明天下午3点",
                Dt(d(2026, 12, 1).and_time(t(15, 0))),
            ),
            ("zh-CN", "10分钟后", Dt(d(2026, 11, 30).and_time(t(10, 10)))),
            ("zh-CN", "半小时", Duration(TimeDelta::minutes(30))),
        ];
        for (locale, text, expected) in cases {
            assert_eq!(one(text, locale), Some(expected), "{locale} {text:?}");
        }
    }

    #[test]
    fn morning_is_not_tomorrow() {
        assert_eq!(one("guten Morgen", "de-DE"), None);
        assert_eq!(one("heute Morgen", "de-DE"), Some(Date(d(2026, 11, 30))));
        assert_eq!(one("por la mañana", "es-ES"), None);
    }

    #[test]
    fn matches_inside_sentences_keep_their_text() {
        let found = recognize("Let's meet tomorrow at 9am, or in 2 hours.", "en-US");
        assert_eq!(
            found,
            vec![
                (
                    "tomorrow at 9am".to_owned(),
                    Dt(d(2026, 12, 1).and_time(t(9, 0)))
                ),
                (
                    "in 2 hours".to_owned(),
                    Dt(d(2026, 11, 30).and_time(t(12, 0)))
                ),
            ]
        );
    }

    #[test]
    fn non_dates_are_not_found() {
        for text in [
            "hello",
            "I have 3 cats",
            "may I?",
            "march on",
            "3",
            "version 1.2.3",
            "42",
        ] {
            let found = recognize(text, "en-US");
            assert!(found.is_empty(), "{text:?}: {found:?}");
        }
    }

    #[test]
    fn timex_forms() {
        assert_eq!(Date(d(2026, 12, 1)).timex(), "2026-12-01");
        assert_eq!(Time(t(15, 30)).timex(), "T15:30");
        assert_eq!(
            Dt(d(2026, 12, 1).and_time(t(9, 0))).timex(),
            "2026-12-01T09:00"
        );
        assert_eq!(Duration(TimeDelta::minutes(10)).timex(), "PT10M");
        assert_eq!(Duration(TimeDelta::days(3)).timex(), "P3D");
        assert_eq!(Duration(TimeDelta::weeks(2)).timex(), "P2W");
        assert_eq!(Duration(TimeDelta::seconds(90)).timex(), "PT90S");
    }
}
