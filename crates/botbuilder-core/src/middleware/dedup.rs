//! [`DeduplicationMiddleware`]: run each delivered activity once, even when the channel
//! delivers it twice.

use std::collections::VecDeque;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures::FutureExt;
use serde_json::{Value, json};

use crate::error::report;
use crate::storage::{ETAG_FIELD, Storage, StoreItems};
use crate::{Error, Middleware, Next, TurnContext, TurnResult};

/// The prefix of the storage keys the middleware writes.
pub const DEDUP_KEY_PREFIX: &str = "botbuilder/dedup/";

/// Skips an activity the bot has already received, by channel, conversation and activity id,
/// within a time window.
///
/// Channels redeliver: Teams retries a request whose turn takes longer than about 15 seconds,
/// so a slow bot sees the same message twice and answers twice. This middleware claims each
/// incoming activity in the [`Storage`] before the turn runs, with a create-only write
/// (eTag `""`): the first delivery wins the claim and runs; a second delivery within the
/// window finds the claim and ends its turn without running the bot (the channel still gets
/// its 200). Because the claim is in the store, this works across bot instances sharing a
/// store (Redis, PostgreSQL).
///
/// - Activities without an id, channel or conversation, and proactive turns, always run.
/// - The conversation is part of the key: Teams' message ids are only unique within a
///   conversation.
/// - When a turn fails or panics, its claim is removed, so a redelivery can try again.
/// - When the store cannot be reached, the turn fails (the channel retries later) rather than
///   risk running twice.
/// - Claims older than the window no longer count (a redelivery after the window runs again).
///   Each instance deletes the claims it wrote once they expire, as it handles later turns,
///   so the store does not grow without bound; stores with a TTL can also expire them.
/// - A turn that never ends (its process was killed) keeps its claim for the window: a
///   redelivery within it is skipped. Keep the window a few minutes: channels stop retrying
///   well before that.
///
/// Use it when turns can be slow (long-running calls, large LLM answers) or when the bot runs
/// several instances; it costs one store write per turn (and a delete per expired claim).
/// Put it first in the pipeline. `docs/state.md` ("Duplicate deliveries") says more.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_core::middleware::DeduplicationMiddleware;
/// use botbuilder_core::storage::MemoryStorage;
/// use botbuilder_core::testing::TestAdapter;
///
/// let adapter = TestAdapter::new()
///     .with_middleware(DeduplicationMiddleware::new(MemoryStorage::new(), Duration::from_secs(300)));
/// # let _ = adapter;
/// ```
#[derive(Clone)]
pub struct DeduplicationMiddleware {
    storage: Arc<dyn Storage>,
    window: Duration,
    written: Arc<Mutex<VecDeque<(u64, String)>>>,
    clock: Arc<dyn Fn() -> SystemTime + Send + Sync>,
}

impl DeduplicationMiddleware {
    /// Deduplicates within `window` (a few minutes covers channel retries), keeping claims in
    /// `storage`.
    pub fn new(storage: impl Storage + 'static, window: Duration) -> Self {
        Self {
            storage: Arc::new(storage),
            window,
            written: Arc::new(Mutex::new(VecDeque::new())),
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Takes the time from `clock` instead of the system clock (for tests).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn now_millis(&self) -> u64 {
        (self.clock)()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    /// The storage key of the claim for an activity: the prefix, then the channel,
    /// conversation and activity ids, each with `%` and `/` escaped so that two different
    /// activities never share a key.
    ///
    /// ```
    /// use botbuilder_core::middleware::DeduplicationMiddleware;
    ///
    /// assert_eq!(
    ///     DeduplicationMiddleware::key_for("msteams", "19:abc/def", "1700000000000"),
    ///     "botbuilder/dedup/msteams/19:abc%2Fdef/1700000000000"
    /// );
    /// ```
    #[must_use]
    pub fn key_for(channel_id: &str, conversation_id: &str, activity_id: &str) -> String {
        fn escape(part: &str) -> String {
            part.replace('%', "%25").replace('/', "%2F")
        }
        format!(
            "{DEDUP_KEY_PREFIX}{}/{}/{}",
            escape(channel_id),
            escape(conversation_id),
            escape(activity_id)
        )
    }

    fn window_millis(&self) -> u64 {
        u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX)
    }

    /// Claims `key`; `Ok(false)` when another delivery holds a live claim.
    async fn claim(&self, key: &str, now: u64) -> Result<bool, Error> {
        let mut claim = StoreItems::new();
        claim.insert(key.to_owned(), json!({ "receivedAt": now, ETAG_FIELD: "" }));
        match self.storage.write(claim).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_conflict() => self.reclaim_expired(key, now).await,
            Err(e) => Err(e),
        }
    }

    /// Takes over a claim that has outlived the window, with the eTag read, so that two
    /// deliveries racing for an expired claim still let only one through.
    async fn reclaim_expired(&self, key: &str, now: u64) -> Result<bool, Error> {
        let items = self.storage.read(&[key]).await?;
        let Some(existing) = items.get(key) else {
            // Deleted meanwhile (its turn failed): try a fresh claim once.
            let mut claim = StoreItems::new();
            claim.insert(key.to_owned(), json!({ "receivedAt": now, ETAG_FIELD: "" }));
            return match self.storage.write(claim).await {
                Ok(_) => Ok(true),
                Err(e) if e.is_conflict() => Ok(false),
                Err(e) => Err(e),
            };
        };
        let received = existing
            .get("receivedAt")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if now.saturating_sub(received) < self.window_millis() {
            return Ok(false);
        }
        let e_tag = existing.get(ETAG_FIELD).cloned().unwrap_or(Value::Null);
        let mut claim = StoreItems::new();
        claim.insert(
            key.to_owned(),
            json!({ "receivedAt": now, ETAG_FIELD: e_tag }),
        );
        match self.storage.write(claim).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_conflict() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes claims that are still the expired ones this instance wrote (a claim renewed by
    /// a later delivery is left alone).
    async fn delete_expired(&self, keys: &[String], now: u64) -> Result<(), Error> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let current = self.storage.read(&keys).await?;
        let stale: Vec<&str> = current
            .iter()
            .filter(|(_, doc)| {
                let received = doc.get("receivedAt").and_then(Value::as_u64).unwrap_or(0);
                now.saturating_sub(received) >= self.window_millis()
            })
            .map(|(k, _)| k.as_str())
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        self.storage.delete(&stale).await
    }

    /// Remembers a claim this instance wrote, and returns the claims that have expired.
    fn note_and_expire(&self, key: &str, now: u64) -> Vec<String> {
        let window = self.window_millis();
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.push_back((now, key.to_owned()));
        let mut expired = Vec::new();
        while let Some((at, _)) = written.front() {
            if now.saturating_sub(*at) < window {
                break;
            }
            if let Some((_, k)) = written.pop_front() {
                expired.push(k);
            }
        }
        expired
    }
}

#[async_trait]
impl Middleware for DeduplicationMiddleware {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        let activity = ctx.activity();
        let (Some(channel), Some(conversation), Some(id)) = (
            activity.channel_id.as_ref(),
            activity.conversation_id(),
            activity.id.as_deref(),
        ) else {
            return next.run(ctx).await;
        };
        if ctx.is_proactive() || id.is_empty() {
            return next.run(ctx).await;
        }
        let key = Self::key_for(channel.as_str(), conversation, id);
        let now = self.now_millis();
        if !self.claim(&key, now).await? {
            tracing::info!(
                channel = channel.as_str(),
                activity_id = id,
                "duplicate delivery skipped"
            );
            return Ok(());
        }
        let expired = self.note_and_expire(&key, now);
        if !expired.is_empty()
            && let Err(error) = self.delete_expired(&expired, now).await
        {
            tracing::warn!(error = %report(&error), "could not delete expired deduplication claims");
        }
        // A panic is caught here too (and passed on), so that it releases the claim as an
        // error does.
        let outcome = AssertUnwindSafe(next.run(ctx)).catch_unwind().await;
        let failed = !matches!(outcome, Ok(Ok(())));
        if failed && let Err(error) = self.storage.delete(&[key.as_str()]).await {
            tracing::warn!(error = %report(&error), "could not release the deduplication claim of a failed turn");
        }
        match outcome {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl fmt::Debug for DeduplicationMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeduplicationMiddleware")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}
