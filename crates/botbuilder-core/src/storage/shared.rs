//! [`SharedDocument`]: one typed value that many writers change, kept under a fixed key.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{ETAG_ANY, ETAG_FIELD, ETAG_NEW, Storage, StoreItems, document_with_e_tag};
use crate::{ConversationLocks, Error};

/// Every document lock of the process: one per storage and key, shared by every
/// [`SharedDocument`] handle on them, present only while an update runs or waits.
static DOCUMENT_LOCKS: LazyLock<ConversationLocks> = LazyLock::new(ConversationLocks::new);

/// What the handles on each storage and key last wrote, shared by all of them while any is
/// alive (a handle keeps its storage alive, so a storage's address names only it meanwhile).
static LAST_WRITTEN: LazyLock<Mutex<HashMap<Arc<str>, Weak<LastWritten>>>> =
    LazyLock::new(Mutex::default);

/// The last write to one document, if known.
type LastWritten = Mutex<Option<Written>>;

/// The memory of `lock_key`'s last write, shared with every live handle on it.
fn last_written_of(lock_key: &Arc<str>) -> Arc<LastWritten> {
    let mut all = LAST_WRITTEN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(shared) = all.get(lock_key).and_then(Weak::upgrade) {
        return shared;
    }
    all.retain(|_, memory| memory.strong_count() > 0);
    let memory = Arc::new(Mutex::new(None));
    all.insert(Arc::clone(lock_key), Arc::downgrade(&memory));
    memory
}

/// How a [`SharedDocument`] waits after an eTag conflict with another process: exponential
/// backoff with jitter, capped, for at most `deadline` in all.
///
/// A conflict means another writer won, so the store is making progress; waiting a random
/// part of a growing delay spreads the losers out so that they stop colliding. The defaults
/// (2 ms doubling up to 250 ms, 5 minutes in all) suit a handful of processes writing one
/// document as fast as they can.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_core::storage::ConflictBackoff;
///
/// let patient = ConflictBackoff {
///     deadline: Duration::from_secs(3600),
///     ..ConflictBackoff::default()
/// };
/// assert_eq!(patient.first_delay, Duration::from_millis(2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConflictBackoff {
    /// The longest wait after the first conflict (the wait is random, between half of this
    /// and this).
    pub first_delay: Duration,
    /// The longest wait after any conflict: the doubling stops here.
    pub max_delay: Duration,
    /// How long one update may keep meeting conflicts before it gives up with the last one.
    pub deadline: Duration,
}

impl Default for ConflictBackoff {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(250),
            deadline: Duration::from_secs(300),
        }
    }
}

impl ConflictBackoff {
    /// The wait after `attempt` conflicts (from 1): see [`jittered`].
    fn delay(&self, attempt: u32) -> Duration {
        jittered(self.first_delay, self.max_delay, attempt)
    }
}

/// A random duration between half of and all of `min(cap, first × 2^(attempt-1))`, and at
/// least a millisecond (or that ceiling, when smaller): exponential backoff with jitter.
pub(crate) fn jittered(first: Duration, cap: Duration, attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(20);
    let ceiling = first.saturating_mul(factor).min(cap);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(fastrand::u64(nanos / 2..=nanos).max(1_000_000.min(nanos)))
}

/// A value of type `T` shared by every conversation (and every process using the store),
/// kept as property `property` of the document under a fixed `key`: a job log, a list of
/// pending reminders, the conversations a broadcast goes to. The store cannot list its keys,
/// so data that must be found again after a restart lives under a key known in advance.
///
/// [`update`](Self::update) reads the value, changes it and writes it back under the eTag it
/// read, so no change is ever lost:
///
/// - **In one process**, updates of the same document (same storage `Arc` and key, through
///   any handle) take turns: they never conflict with each other at all. Each update starts
///   from what the last one wrote, without reading the store again; it reads only when its
///   write finds that another process wrote meanwhile.
/// - **Across processes**, a write that meets another process's change is refused by the
///   store (an eTag conflict); the update waits a random, growing time
///   ([`ConflictBackoff`]) and redoes its change on a fresh read. It gives up only on a
///   storage error that is not a conflict, or after the backoff's deadline (5 minutes by
///   default) of uninterrupted conflicts.
///
/// The layout is [`BotState::with_fixed_key`](crate::BotState::with_fixed_key)'s: the value is
/// one field of the document, so a C# or JS bot sharing the store reads it as a state
/// property. Handles are cheap to clone.
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::Arc;
/// use botbuilder_core::storage::{MemoryStorage, SharedDocument, Storage};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let store: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
/// let jobs = SharedDocument::<BTreeMap<u64, String>>::new(store, "bot/jobs", "jobs");
///
/// // A hundred writers at once: every change is kept.
/// let writers = (0..100u64).map(|n| {
///     let jobs = jobs.clone();
///     async move { jobs.update(|log| log.insert(n, format!("job {n}"))).await }
/// });
/// futures::future::try_join_all(writers).await?;
///
/// // `update` returns what the change returned.
/// let count = jobs.update(|log| log.len()).await?;
/// assert_eq!(count, 100);
/// assert_eq!(jobs.read().await?.get(&7).map(String::as_str), Some("job 7"));
/// # Ok(())
/// # }
/// ```
pub struct SharedDocument<T> {
    storage: Arc<dyn Storage>,
    key: Arc<str>,
    property: Arc<str>,
    /// The process-wide lock key: the storage's address and the document key.
    lock_key: Arc<str>,
    backoff: ConflictBackoff,
    /// The document as a handle on this storage and key last wrote it, and its eTag: the
    /// next update starts from it without reading, and reads only when the write finds it
    /// stale (another process wrote).
    last_written: Arc<LastWritten>,
    _value: PhantomData<fn() -> T>,
}

/// A document as written (without its eTag), the eTag the store gave it, and the typed value
/// of its property (so the next update need not deserialize it).
struct Written {
    document: Map<String, Value>,
    e_tag: String,
    value: Box<dyn Any + Send>,
}

impl<T> Clone for SharedDocument<T> {
    fn clone(&self) -> Self {
        Self {
            storage: Arc::clone(&self.storage),
            key: Arc::clone(&self.key),
            property: Arc::clone(&self.property),
            lock_key: Arc::clone(&self.lock_key),
            backoff: self.backoff,
            last_written: Arc::clone(&self.last_written),
            _value: PhantomData,
        }
    }
}

impl<T> fmt::Debug for SharedDocument<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedDocument")
            .field("key", &self.key)
            .field("property", &self.property)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl<T> SharedDocument<T>
where
    T: Serialize + DeserializeOwned + Default + Send + 'static,
{
    /// The value stored as field `property` of the document under `key` in `storage`.
    ///
    /// Handles on the same `storage` (the same `Arc`, or clones of it) and key share one
    /// in-process lock; open the store once and clone the `Arc`.
    ///
    /// # Panics
    /// When `property` is `eTag`, the field that carries the document's eTag.
    #[must_use]
    pub fn new(
        storage: Arc<dyn Storage>,
        key: impl Into<String>,
        property: impl Into<String>,
    ) -> Self {
        let (key, property) = (key.into(), property.into());
        assert!(
            property != super::ETAG_FIELD,
            "`eTag` is reserved for the storage eTag and cannot name a property"
        );
        let address = Arc::as_ptr(&storage).cast::<()>() as usize;
        let lock_key: Arc<str> = Arc::from(format!("{address:x}/{key}"));
        Self {
            last_written: last_written_of(&lock_key),
            lock_key,
            storage,
            key: Arc::from(key),
            property: Arc::from(property),
            backoff: ConflictBackoff::default(),
            _value: PhantomData,
        }
    }

    /// Waits after cross-process conflicts as `backoff` says.
    #[must_use]
    pub fn with_backoff(mut self, backoff: ConflictBackoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The document's key.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The storage the document is kept in.
    #[must_use]
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The value as stored now; `T::default()` when nothing is stored.
    ///
    /// # Errors
    /// Storage errors; [`Error::StateRead`] when the stored value is not a `T`.
    pub async fn read(&self) -> Result<T, Error> {
        let document = self.read_document().await?;
        match document.as_ref().and_then(|d| d.get(&*self.property)) {
            None => Ok(T::default()),
            Some(value) => self.deserialize(value.clone()),
        }
    }

    /// Changes the value with `change` and saves it; returns what `change` returned on the
    /// attempt that was saved. Nothing is written when the value did not change.
    ///
    /// `change` may run more than once (after a conflict with another process, on a fresh
    /// read), so it must only change the value: send messages or call services after
    /// `update` returns, from what it returned. Cancel-safe: dropping the future leaves the
    /// document either changed once or not at all.
    ///
    /// # Errors
    /// Storage errors other than conflicts; [`Error::StorageConflict`] when conflicts with
    /// other processes went on for the backoff's whole deadline; [`Error::StateRead`] or
    /// [`Error::StateWrite`] when the value cannot be read or written as JSON.
    pub async fn update<R>(&self, mut change: impl FnMut(&mut T) -> R) -> Result<R, Error> {
        DOCUMENT_LOCKS
            .run(Some(&self.lock_key), async {
                let started = tokio::time::Instant::now();
                let mut conflicts = 0u32;
                loop {
                    // Start from what this handle last wrote, if anything: in one process
                    // nobody else wrote since (the lock), so the read can be skipped.
                    let remembered = self.take_last_written();
                    let from_memory = remembered.is_some();
                    match self.try_update(&mut change, remembered).await {
                        // Another process wrote since: read, and try again at once.
                        Err(e) if e.is_conflict() && from_memory => {}
                        Err(e) if e.is_conflict() && started.elapsed() < self.backoff.deadline => {
                            conflicts = conflicts.saturating_add(1);
                            let wait = self.backoff.delay(conflicts);
                            tracing::debug!(key = %self.key, conflicts, ?wait, "shared document conflict, retrying");
                            tokio::time::sleep(wait).await;
                        }
                        other => return other,
                    }
                }
            })
            .await
    }

    /// One read-change-write, starting from `remembered` instead of a read when given.
    async fn try_update<R>(
        &self,
        change: &mut impl FnMut(&mut T) -> R,
        remembered: Option<Written>,
    ) -> Result<R, Error> {
        let (mut document, e_tag, typed) = match remembered {
            Some(written) => (
                written.document,
                written.e_tag,
                written.value.downcast::<T>().ok(),
            ),
            None => match self.read_document().await? {
                Some(Value::Object(mut document)) => {
                    let e_tag = match document.remove(ETAG_FIELD) {
                        Some(Value::String(e_tag)) => e_tag,
                        _ => ETAG_ANY.to_owned(),
                    };
                    (document, e_tag, None)
                }
                _ => (Map::new(), ETAG_NEW.to_owned(), None),
            },
        };
        let before = match document.remove(&*self.property) {
            Some(value) => value,
            None => self.serialize(&T::default())?,
        };
        let mut value = match typed {
            Some(value) => *value,
            None => T::deserialize(&before).map_err(|source| Error::StateRead {
                property: self.property.to_string(),
                source,
            })?,
        };
        let result = change(&mut value);
        let after = self.serialize(&value)?;
        if after == before {
            if e_tag != ETAG_NEW {
                document.insert(self.property.to_string(), before);
                self.remember(document, e_tag, value);
            }
            return Ok(result);
        }
        document.insert(self.property.to_string(), after);
        let mut e_tags = self
            .storage
            .write(StoreItems::from([(
                self.key.to_string(),
                document_with_e_tag(document.clone(), e_tag),
            )]))
            .await
            .inspect_err(|error| {
                if error.is_conflict() {
                    crate::telemetry::record(crate::telemetry::Measurement::StorageConflict {
                        scope: "SharedDocument",
                    });
                }
            })?;
        if let Some(e_tag) = e_tags.remove(&*self.key) {
            self.remember(document, e_tag, value);
        }
        Ok(result)
    }

    fn take_last_written(&self) -> Option<Written> {
        self.last_written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn remember(&self, document: Map<String, Value>, e_tag: String, value: T) {
        let value = Box::new(value);
        *self
            .last_written
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Written {
            document,
            e_tag,
            value,
        });
    }

    async fn read_document(&self) -> Result<Option<Value>, Error> {
        Ok(self.storage.read(&[&self.key]).await?.remove(&*self.key))
    }

    fn deserialize(&self, value: Value) -> Result<T, Error> {
        serde_json::from_value(value).map_err(|source| Error::StateRead {
            property: self.property.to_string(),
            source,
        })
    }

    fn serialize(&self, value: &T) -> Result<Value, Error> {
        serde_json::to_value(value).map_err(|source| Error::StateWrite {
            property: self.property.to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{ETags, MemoryStorage};
    use async_trait::async_trait;
    use serde_json::json;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A store that yields between read and write (so writers interleave) and counts
    /// conflicts.
    #[derive(Default)]
    struct Counting {
        inner: MemoryStorage,
        conflicts: AtomicUsize,
        writes: AtomicUsize,
    }

    #[async_trait]
    impl Storage for Counting {
        async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
            let items = self.inner.read(keys).await;
            tokio::task::yield_now().await;
            items
        }
        async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
            tokio::task::yield_now().await;
            let result = self.inner.write(changes).await;
            self.writes.fetch_add(1, Ordering::SeqCst);
            if result.as_ref().is_err_and(Error::is_conflict) {
                self.conflicts.fetch_add(1, Ordering::SeqCst);
            }
            result
        }
        async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
            self.inner.delete(keys).await
        }
    }

    type Log = BTreeMap<u32, u32>;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_in_one_process_never_conflict() {
        let store = Arc::new(Counting::default());
        let shared: Arc<dyn Storage> = store.clone();
        let tasks: Vec<_> = (0..200u32)
            .map(|n| {
                // A new handle per writer: the lock is per storage and key, not per handle.
                let doc = SharedDocument::<Log>::new(shared.clone(), "log", "entries");
                tokio::spawn(async move { doc.update(|log| log.insert(n, n * 2)).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), None);
        }
        let doc = SharedDocument::<Log>::new(shared.clone(), "log", "entries");
        assert_eq!(doc.read().await.unwrap().len(), 200);
        // Two long-lived handles, taking turns: still no conflict.
        let other = SharedDocument::<Log>::new(shared, "log", "entries");
        for n in 200..210 {
            doc.update(|log| log.insert(n, n)).await.unwrap();
            other.update(|log| log.insert(n + 100, n)).await.unwrap();
        }
        assert_eq!(store.conflicts.load(Ordering::SeqCst), 0);
        assert_eq!(store.writes.load(Ordering::SeqCst), 220);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_on_two_handles_of_one_store_as_two_processes_keep_every_change() {
        // Two `Arc`s over one memory store behave as two processes: no shared lock, so
        // their writes conflict, and backoff sorts them out.
        let inner = Counting::default();
        let store = Arc::new(inner);
        let a: Arc<dyn Storage> = store.clone();
        let b: Arc<dyn Storage> = Arc::new(Arc::clone(&store));
        let tasks: Vec<_> = (0..100u32)
            .map(|n| {
                let storage = if n % 2 == 0 { a.clone() } else { b.clone() };
                let doc = SharedDocument::<Log>::new(storage, "log", "entries");
                tokio::spawn(async move { doc.update(|log| log.insert(n, n)).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let log = SharedDocument::<Log>::new(a, "log", "entries")
            .read()
            .await
            .unwrap();
        assert_eq!(log.len(), 100);
        assert!(
            store.conflicts.load(Ordering::SeqCst) > 0,
            "the test must meet conflicts"
        );
    }

    #[tokio::test]
    async fn a_handle_that_skips_the_read_notices_another_process_wrote() {
        let store = Arc::new(Counting::default());
        let here = SharedDocument::<Log>::new(store.clone(), "log", "entries");
        // Another lock domain, as another process is.
        let elsewhere: Arc<dyn Storage> = Arc::new(Arc::clone(&store));
        let there = SharedDocument::<Log>::new(elsewhere, "log", "entries");
        here.update(|log| log.insert(1, 1)).await.unwrap();
        there.update(|log| log.insert(2, 2)).await.unwrap();
        // `here` starts from what it wrote, meets the conflict, reads, and redoes its change.
        let mut runs = 0;
        here.update(|log| {
            runs += 1;
            log.insert(3, 3)
        })
        .await
        .unwrap();
        assert_eq!(runs, 2);
        assert_eq!(store.conflicts.load(Ordering::SeqCst), 1);
        let log = here.read().await.unwrap();
        assert_eq!(log.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
        // And it remembers again: the next change needs no read and meets no conflict.
        here.update(|log| log.insert(4, 4)).await.unwrap();
        assert_eq!(store.conflicts.load(Ordering::SeqCst), 1);
    }

    /// A store whose writes always conflict, or always fail.
    struct Refusing {
        conflict: bool,
        writes: AtomicUsize,
    }

    #[async_trait]
    impl Storage for Refusing {
        async fn read(&self, _keys: &[&str]) -> Result<StoreItems, Error> {
            Ok(StoreItems::new())
        }
        async fn write(&self, _changes: StoreItems) -> Result<ETags, Error> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            if self.conflict {
                Err(Error::StorageConflict { key: "k".into() })
            } else {
                Err(Error::storage("writing", std::io::Error::other("down")))
            }
        }
        async fn delete(&self, _keys: &[&str]) -> Result<(), Error> {
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn conflicts_back_off_until_the_deadline_and_other_errors_end_at_once() {
        let store = Arc::new(Refusing {
            conflict: true,
            writes: AtomicUsize::new(0),
        });
        let backoff = ConflictBackoff {
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
            deadline: Duration::from_secs(60),
        };
        let doc = SharedDocument::<Log>::new(store.clone(), "k", "v").with_backoff(backoff);
        let started = tokio::time::Instant::now();
        let error = doc.update(|log| log.insert(1, 1)).await.unwrap_err();
        assert!(error.is_conflict());
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(60), "{waited:?}");
        assert!(waited < Duration::from_secs(62), "{waited:?}");
        // Capped at a second, at least half of it: between 60 and 130 attempts.
        let writes = store.writes.load(Ordering::SeqCst);
        assert!((60..=130).contains(&writes), "{writes}");

        let store = Arc::new(Refusing {
            conflict: false,
            writes: AtomicUsize::new(0),
        });
        let doc = SharedDocument::<Log>::new(store.clone(), "k", "v");
        let error = doc.update(|log| log.insert(1, 1)).await.unwrap_err();
        assert!(!error.is_conflict());
        assert_eq!(store.writes.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn unchanged_values_are_not_written_and_the_layout_is_bot_states() {
        let store = Arc::new(Counting::default());
        let doc = SharedDocument::<Log>::new(store.clone(), "k", "entries");
        assert_eq!(doc.update(|log| log.len()).await.unwrap(), 0);
        assert_eq!(store.writes.load(Ordering::SeqCst), 0);
        doc.update(|log| log.insert(3, 4)).await.unwrap();
        let stored = store.inner.read(&["k"]).await.unwrap().remove("k").unwrap();
        assert_eq!(stored["entries"], json!({"3": 4}));
        doc.update(|log| log.get(&3).copied()).await.unwrap();
        assert_eq!(store.writes.load(Ordering::SeqCst), 1);
        assert_eq!(doc.key(), "k");
        assert!(format!("{doc:?}").contains("\"entries\""));
    }

    #[tokio::test]
    async fn a_value_of_another_type_is_an_error() {
        let store: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
        store
            .write(StoreItems::from([("k".to_owned(), json!({"v": "text"}))]))
            .await
            .unwrap();
        let doc = SharedDocument::<Log>::new(store, "k", "v");
        assert!(matches!(doc.read().await, Err(Error::StateRead { .. })));
        assert!(matches!(
            doc.update(|_| ()).await,
            Err(Error::StateRead { .. })
        ));
    }

    #[test]
    fn jitter_grows_and_is_capped() {
        let first = Duration::from_millis(10);
        let cap = Duration::from_millis(100);
        for _ in 0..100 {
            let d = jittered(first, cap, 1);
            assert!(d >= Duration::from_millis(5) && d <= first, "{d:?}");
            let d = jittered(first, cap, 3);
            assert!(d >= Duration::from_millis(20) && d <= Duration::from_millis(40));
            let d = jittered(first, cap, 30);
            assert!(d >= Duration::from_millis(50) && d <= cap);
        }
        assert_eq!(jittered(Duration::ZERO, cap, 4), Duration::ZERO);
    }
}
