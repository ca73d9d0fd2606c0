//! Retries: which failures are retried, how long to wait, and `Retry-After`.
//!
//! | request | retried on |
//! |---|---|
//! | `GET`, `PUT`, `DELETE`, token requests | 429, 502, 503, 504, connection failures, timeouts |
//! | `POST` of an activity, conversation or attachment | 429, 503 with `Retry-After`, failures to connect |
//!
//! A `POST` is retried only where the failure shows the service did not accept it, so a
//! message is never delivered twice: a 429 or a 503 that names a time to come back are refusals,
//! and a connection that was never made carried nothing. A 502 or 504 may come from a gateway
//! after the service accepted the message, so it is not retried.
//!
//! The wait before retry `n` (from 0) is `initial_backoff * 2^n`, capped at `max_backoff`,
//! with jitter (a random point in its upper half). A `Retry-After` from the service (seconds or
//! an HTTP date) replaces it; one longer than `max_retry_after` ends the retries and the error
//! carries it, for the caller to decide.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// How many times, and how patiently, a failed request is tried again.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_connector::RetryPolicy;
///
/// let policy = RetryPolicy {
///     max_retries: 5,
///     ..RetryPolicy::default()
/// };
/// assert!(policy.backoff(0) <= Duration::from_millis(500));
/// assert!(policy.backoff(30) <= policy.max_backoff);
/// assert_eq!(RetryPolicy::none().max_retries, 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3). `0` never retries.
    pub max_retries: u32,
    /// The wait before the first retry, before jitter (default 500 ms).
    pub initial_backoff: Duration,
    /// The longest computed wait (default 10 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured (default 60 s); a longer one ends the retries.
    pub max_retry_after: Duration,
    /// Whether to add jitter to computed waits (default true).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0 for the first retry), with jitter if enabled.
    /// Never more than `max_backoff`.
    #[must_use]
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        let full = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        if !self.jitter || full.is_zero() {
            return full;
        }
        // A random point in [full/2, full]: spreads clients out, keeps the wait growing.
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Reads, PUTs, DELETEs, token requests: retried on every transient failure.
    Idempotent,
    /// POSTs that create something: retried only when the failure proves it was not accepted.
    OnlyIfNotAccepted,
}

impl Replay {
    /// Whether an answer with this status (and `Retry-After`) is retried.
    pub(crate) fn retries_status(self, status: StatusCode, has_retry_after: bool) -> bool {
        match self {
            Replay::Idempotent => matches!(status.as_u16(), 429 | 502 | 503 | 504),
            Replay::OnlyIfNotAccepted => {
                status == StatusCode::TOO_MANY_REQUESTS
                    || (status == StatusCode::SERVICE_UNAVAILABLE && has_retry_after)
            }
        }
    }

    /// Whether a transport failure is retried.
    pub(crate) fn retries_transport(self, error: &reqwest::Error) -> bool {
        match self {
            Replay::Idempotent => error.is_connect() || error.is_timeout() || error.is_request(),
            Replay::OnlyIfNotAccepted => error.is_connect(),
        }
    }
}

/// Reads a `Retry-After` value: delay seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), relative to `now`. A date in the past is zero; anything
/// else unreadable is `None`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use botbuilder_connector::retry::parse_retry_after;
///
/// assert_eq!(parse_retry_after("7", UNIX_EPOCH), Some(Duration::from_secs(7)));
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470);
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
///     Some(Duration::from_secs(10)),
/// );
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten();
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(date);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(0), Duration::from_millis(500));
        assert_eq!(p.backoff(1), Duration::from_secs(1));
        assert_eq!(p.backoff(2), Duration::from_secs(2));
        assert_eq!(p.backoff(10), Duration::from_secs(10));
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn jitter_stays_in_upper_half() {
        let p = RetryPolicy::default();
        for retry in 0..8 {
            let full = RetryPolicy {
                jitter: false,
                ..p.clone()
            }
            .backoff(retry);
            for _ in 0..50 {
                let d = p.backoff(retry);
                assert!(d >= full / 2 && d <= full, "{d:?} vs {full:?}");
            }
        }
    }

    #[test]
    fn replay_rules() {
        let i = Replay::Idempotent;
        let p = Replay::OnlyIfNotAccepted;
        for s in [429, 502, 503, 504] {
            assert!(i.retries_status(StatusCode::from_u16(s).unwrap(), false));
        }
        for s in [400, 401, 403, 404, 409, 500, 501] {
            assert!(!i.retries_status(StatusCode::from_u16(s).unwrap(), true));
            assert!(!p.retries_status(StatusCode::from_u16(s).unwrap(), true));
        }
        assert!(p.retries_status(StatusCode::TOO_MANY_REQUESTS, false));
        assert!(p.retries_status(StatusCode::SERVICE_UNAVAILABLE, true));
        assert!(!p.retries_status(StatusCode::SERVICE_UNAVAILABLE, false));
        assert!(!p.retries_status(StatusCode::BAD_GATEWAY, true));
        assert!(!p.retries_status(StatusCode::GATEWAY_TIMEOUT, true));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
    }
}
