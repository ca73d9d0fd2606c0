//! An injectable clock: where token expiry, backoff and throttling take their time from.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

/// The time source of token caches, retries and the conversation throttle.
///
/// [`SystemClock`] is the real one. [`ManualClock`] is for tests: its time moves only when told
/// to, and its `sleep` returns at once after moving time forward, so tests of expiry and
/// backoff are instant and deterministic.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use botbuilder_connector::clock::{Clock, ManualClock};
///
/// # async fn demo() {
/// let clock = ManualClock::new(std::time::UNIX_EPOCH);
/// let shared: Arc<dyn Clock> = Arc::new(clock.clone());
/// shared.sleep(Duration::from_secs(5)).await;
/// assert_eq!(clock.now(), std::time::UNIX_EPOCH + Duration::from_secs(5));
/// assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)]);
/// # }
/// ```
#[async_trait]
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;

    /// Waits for `duration`. Cancel-safe: dropping the future stops waiting.
    async fn sleep(&self, duration: Duration);
}

/// The system clock, sleeping with tokio's timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A clock for tests: time stands still until [`advance`](ManualClock::advance)d, and `sleep`
/// moves time forward by the duration, records it and returns at once.
///
/// Clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    now: SystemTime,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock standing at `start`.
    #[must_use]
    pub fn new(start: SystemTime) -> Self {
        Self {
            inner: Arc::new(Mutex::new(ManualState {
                now: start,
                sleeps: Vec::new(),
            })),
        }
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        state.now += by;
    }

    /// Sets the time.
    pub fn set(&self, now: SystemTime) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .now = now;
    }

    /// The current time of this clock.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .now
    }

    /// Every `sleep` asked of this clock so far, in order.
    #[must_use]
    pub fn sleeps(&self) -> Vec<Duration> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sleeps
            .clone()
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        ManualClock::now(self)
    }

    async fn sleep(&self, duration: Duration) {
        {
            let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            state.now += duration;
            state.sleeps.push(duration);
        }
        tokio::task::yield_now().await;
    }
}
