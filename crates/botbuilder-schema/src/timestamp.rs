//! [`Timestamp`]: an RFC 3339 instant that keeps exactly what the channel sent.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SchemaError;

/// An instant as the protocol carries it (`timestamp`, `localTimestamp`, `expiration`).
///
/// Channels send RFC 3339 strings with their own offset and precision: Teams sends seven
/// fractional digits (`2019-09-06T15:21:21.9035613Z`), Web Chat sends the user's local offset
/// (`2026-03-02T12:44:41.391-05:00`). BotBuilder-JS converts them to a `Date`, losing the offset
/// and anything past milliseconds. A `Timestamp` keeps the original text, so it is written back
/// byte for byte, and offers the parsed instant with its offset through [`Timestamp::to_datetime`].
///
/// Equality, ordering and hashing compare the instant and its offset, not the text.
///
/// ```
/// use botbuilder_schema::Timestamp;
///
/// let t: Timestamp = "2026-03-02T12:44:41.391-05:00".parse()?;
/// assert_eq!(t.as_str(), "2026-03-02T12:44:41.391-05:00");
/// assert_eq!(t.to_datetime().offset().local_minus_utc(), -5 * 3600);
/// assert_eq!(t.to_utc().to_rfc3339(), "2026-03-02T17:44:41.391+00:00");
/// # Ok::<(), botbuilder_schema::SchemaError>(())
/// ```
#[derive(Clone)]
pub struct Timestamp {
    raw: String,
    value: DateTime<FixedOffset>,
}

impl Timestamp {
    /// The current time in UTC, written with millisecond precision and `Z`, as the Bot
    /// Connector service writes it.
    #[must_use]
    pub fn now() -> Self {
        Self::from_datetime(Utc::now().fixed_offset())
    }

    /// A timestamp for an instant, written with millisecond precision (`Z` when the offset is
    /// zero).
    #[must_use]
    pub fn from_datetime(value: DateTime<FixedOffset>) -> Self {
        let raw = value.to_rfc3339_opts(SecondsFormat::Millis, true);
        Self { raw, value }
    }

    /// Parses an RFC 3339 string, keeping it as written.
    ///
    /// # Errors
    /// [`SchemaError::InvalidTimestamp`] when the text is not RFC 3339.
    pub fn parse(text: &str) -> Result<Self, SchemaError> {
        let value =
            DateTime::parse_from_rfc3339(text).map_err(|source| SchemaError::InvalidTimestamp {
                value: text.chars().take(64).collect(),
                source,
            })?;
        Ok(Self {
            raw: text.to_owned(),
            value,
        })
    }

    /// The text as received (or as generated).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The instant with the offset the sender used.
    #[must_use]
    pub fn to_datetime(&self) -> DateTime<FixedOffset> {
        self.value
    }

    /// The instant in UTC.
    #[must_use]
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.value.with_timezone(&Utc)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.raw)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.value.offset() == other.value.offset()
    }
}

impl Eq for Timestamp {}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
        self.value.offset().local_minus_utc().hash(state);
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value).then_with(|| {
            self.value
                .offset()
                .local_minus_utc()
                .cmp(&other.value.offset().local_minus_utc())
        })
    }
}

impl FromStr for Timestamp {
    type Err = SchemaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<DateTime<FixedOffset>> for Timestamp {
    fn from(value: DateTime<FixedOffset>) -> Self {
        Self::from_datetime(value)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self::from_datetime(value.fixed_offset())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_seven_fractional_digits_and_offsets() {
        for text in [
            "2019-09-06T15:21:21.9035613Z",
            "2026-03-02T12:44:41.391-05:00",
            "2018-06-22T08:46:01+02:00",
            "2017-02-23T12:38:35.312-07:00",
        ] {
            let t: Timestamp = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(serde_json::to_value(&t).unwrap(), serde_json::json!(text));
        }
        let t = Timestamp::parse("2019-09-06T15:21:21.9035613Z").unwrap();
        assert_eq!(t.to_datetime().timestamp_subsec_nanos(), 903_561_300);
    }

    #[test]
    fn equality_is_by_instant_and_offset() {
        let a = Timestamp::parse("2026-03-02T17:44:41.391Z").unwrap();
        let b = Timestamp::parse("2026-03-02T17:44:41.3910Z").unwrap();
        let c = Timestamp::parse("2026-03-02T12:44:41.391-05:00").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_utc(), c.to_utc());
    }

    #[test]
    fn generated_timestamps_use_millis_and_z() {
        let t = Timestamp::from(
            DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678901Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        assert_eq!(t.as_str(), "2026-01-02T03:04:05.678Z");
        assert!(Timestamp::now().as_str().ends_with('Z'));
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("").is_err());
        assert!(serde_json::from_str::<Timestamp>("12345").is_err());
        let err = Timestamp::parse("2026-13-01T00:00:00Z").unwrap_err();
        assert!(err.to_string().contains("2026-13-01"));
    }
}
