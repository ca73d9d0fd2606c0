//! [`ConversationThrottle`]: a minimum interval between sends into one conversation.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::OwnedMutexGuard;

use crate::clock::Clock;

/// Conversations tracked before idle ones are forgotten.
const PRUNE_ABOVE: usize = 1024;

/// Spaces out sends into the same conversation: each send starts at least `min_interval` after
/// the previous one in that conversation ended. Sends queue in the order they were made (the
/// queue is first-in first-out), so order within a conversation is kept; different
/// conversations do not wait for each other.
///
/// Channels throttle, and may disable, bots that flood a conversation (Teams allows about one
/// message a second per conversation). Share one throttle between clients (the
/// [`ConnectorClientFactory`](crate::ConnectorClientFactory) does).
///
/// ```
/// use std::time::Duration;
/// use botbuilder_connector::ConversationThrottle;
///
/// let throttle = ConversationThrottle::new(Duration::from_millis(1000));
/// assert_eq!(throttle.min_interval(), Duration::from_secs(1));
/// ```
#[derive(Clone)]
pub struct ConversationThrottle {
    inner: Arc<Inner>,
}

type Slot = Arc<tokio::sync::Mutex<Option<SystemTime>>>;

struct Inner {
    min_interval: Duration,
    slots: Mutex<HashMap<String, Slot>>,
}

impl fmt::Debug for ConversationThrottle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConversationThrottle")
            .field("min_interval", &self.inner.min_interval)
            .finish_non_exhaustive()
    }
}

impl ConversationThrottle {
    /// A throttle with this minimum interval between sends into one conversation.
    #[must_use]
    pub fn new(min_interval: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                min_interval,
                slots: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The minimum interval between sends into one conversation.
    #[must_use]
    pub fn min_interval(&self) -> Duration {
        self.inner.min_interval
    }

    fn slot(&self, key: &str, now: SystemTime) -> Slot {
        let mut slots = self
            .inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slots.len() > PRUNE_ABOVE {
            let interval = self.inner.min_interval;
            slots.retain(|_, slot| match slot.try_lock() {
                // Keep conversations that sent within the interval; forget idle ones.
                Ok(last) => {
                    last.is_some_and(|t| now.duration_since(t).unwrap_or_default() < interval)
                }
                Err(_) => true,
            });
        }
        Arc::clone(slots.entry(key.to_owned()).or_default())
    }

    /// Waits for this conversation's turn and interval. The send happens while the returned
    /// permit is held; dropping it records the send's end.
    pub(crate) async fn acquire(&self, key: &str, clock: Arc<dyn Clock>) -> ThrottlePermit {
        let slot = self.slot(key, clock.now());
        let guard = slot.lock_owned().await;
        if let Some(last) = *guard {
            let ready_at = last + self.inner.min_interval;
            if let Ok(wait) = ready_at.duration_since(clock.now())
                && !wait.is_zero()
            {
                tracing::debug!(
                    conversation = key,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "throttling a send"
                );
                clock.sleep(wait).await;
            }
        }
        ThrottlePermit { guard, clock }
    }
}

/// Holds a conversation's turn; records the time when dropped.
pub(crate) struct ThrottlePermit {
    guard: OwnedMutexGuard<Option<SystemTime>>,
    clock: Arc<dyn Clock>,
}

impl Drop for ThrottlePermit {
    fn drop(&mut self) {
        *self.guard = Some(self.clock.now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn spaces_sends_in_one_conversation_only() {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let throttle = ConversationThrottle::new(Duration::from_secs(1));
        drop(throttle.acquire("a", shared.clone()).await);
        drop(throttle.acquire("b", shared.clone()).await);
        assert!(clock.sleeps().is_empty());
        drop(throttle.acquire("a", shared.clone()).await);
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(1)]);
        clock.advance(Duration::from_secs(5));
        drop(throttle.acquire("a", shared.clone()).await);
        assert_eq!(clock.sleeps().len(), 1);
    }
}
