//! Turn ordering across bot instances: [`ConversationLock`], the lease a shared store grants,
//! and [`TurnLeases`], which runs a turn while holding it.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::future::{Either, select};

use crate::error::{Error, report};

/// A lease on one conversation's turn, kept in a store every instance of the bot shares
/// (Redis, PostgreSQL): while one instance holds it, no other runs a turn of that
/// conversation.
///
/// Implemented by stores, used by [`TurnLeases`]. A lease is named by the conversation's key
/// (`{channelId}/conversations/{conversationId}`) and held by a *token*, a random string
/// the caller makes for one turn. Every operation is atomic in the store, and decided by the
/// store's clock, so the instances' clocks do not matter:
///
/// - **Expiry.** A lease lasts `ttl` from when it was taken or last
///   [extended](Self::extend); an instance that crashes releases it by not extending it.
/// - **Fairness.** A token that asks for a held lease takes a place in the conversation's
///   line, kept by the store; the lease goes to the first live place in line. A place lapses
///   when its token has not asked again for `ttl` (its instance crashed). So a turn that
///   keeps asking gets the lease after the turns that asked before it, and before those that
///   ask after it: none starves.
///
/// Implementations must be cheap to call often: [`TurnLeases`] asks again every few
/// milliseconds while a turn waits.
///
/// ```
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use botbuilder_core::{async_trait, ConversationLock, Error};
///
/// /// One process's stand-in (a real one lives in a shared store): no expiry, no line.
/// #[derive(Default)]
/// struct Single(Mutex<Option<String>>);
///
/// #[async_trait]
/// impl ConversationLock for Single {
///     async fn try_acquire(&self, _key: &str, token: &str, _ttl: Duration) -> Result<bool, Error> {
///         let mut holder = self.0.lock().unwrap();
///         Ok(match holder.as_deref() {
///             None => { *holder = Some(token.to_owned()); true }
///             Some(held) => held == token,
///         })
///     }
///     async fn extend(&self, _key: &str, token: &str, _ttl: Duration) -> Result<bool, Error> {
///         Ok(self.0.lock().unwrap().as_deref() == Some(token))
///     }
///     async fn release(&self, _key: &str, token: &str) -> Result<(), Error> {
///         let mut holder = self.0.lock().unwrap();
///         if holder.as_deref() == Some(token) { *holder = None; }
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Error> {
/// let lock = Single::default();
/// assert!(lock.try_acquire("c", "a", Duration::from_secs(5)).await?);
/// assert!(!lock.try_acquire("c", "b", Duration::from_secs(5)).await?);
/// lock.release("c", "a").await?;
/// assert!(lock.try_acquire("c", "b", Duration::from_secs(5)).await?);
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait ConversationLock: Send + Sync {
    /// Takes the lease of conversation `key` for `token`, for `ttl`, when no other token
    /// holds it and `token` is first in line; otherwise keeps (or takes) `token`'s place in
    /// line for `ttl` more. `Ok(true)` when `token` holds the lease (also when it held it
    /// already: it is then extended).
    ///
    /// # Errors
    /// [`Error::Storage`] when the store fails.
    async fn try_acquire(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error>;

    /// Makes the lease of `key` last `ttl` from now, if `token` still holds it: `Ok(false)`
    /// when it does not (it expired, and may have gone to another token).
    ///
    /// # Errors
    /// [`Error::Storage`] when the store fails.
    async fn extend(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error>;

    /// Gives up the lease of `key` if `token` holds it, and `token`'s place in line if it
    /// has one. Releasing what `token` does not hold does nothing.
    ///
    /// # Errors
    /// [`Error::Storage`] when the store fails.
    async fn release(&self, key: &str, token: &str) -> Result<(), Error>;
}

/// How long a lease lasts unless renewed, unless [`TurnLeases::with_ttl`] says otherwise:
/// how long the turns of a conversation wait after the instance running one crashed.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(10);

/// The longest pause between two asks for a lease while a turn waits, unless
/// [`TurnLeases::with_max_poll_interval`] says otherwise.
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// The first pause between two asks; it doubles up to the maximum.
const FIRST_POLL_INTERVAL: Duration = Duration::from_millis(1);

/// Runs turns while holding their conversation's lease in a shared store, so that turns of
/// one conversation run one at a time across every instance of a bot: what
/// [`TurnOrdering::Distributed`] does around each turn.
///
/// Each turn makes a token, asks the store for the lease until it gets it (pausing 1 ms,
/// doubling to at most [`DEFAULT_MAX_POLL_INTERVAL`], with jitter), runs while a background
/// timer extends the lease every third of its time to live, then releases it. A turn that
/// loses its lease (the store was unreachable for longer than the time to live) goes on, with
/// a warning logged: storage eTags still catch a conflicting write.
///
/// Cancel-safe: dropping [`run`](Self::run)'s future releases the lease, or the place in
/// line, in a spawned task (or lets it expire if there is no runtime).
///
/// ```
/// # use std::sync::Mutex;
/// # use std::time::Duration;
/// # use botbuilder_core::{async_trait, ConversationLock, Error};
/// # #[derive(Default)]
/// # struct Single(Mutex<Option<String>>);
/// # #[async_trait]
/// # impl ConversationLock for Single {
/// #     async fn try_acquire(&self, _k: &str, token: &str, _t: Duration) -> Result<bool, Error> {
/// #         let mut h = self.0.lock().unwrap();
/// #         Ok(match h.as_deref() { None => { *h = Some(token.to_owned()); true } Some(x) => x == token })
/// #     }
/// #     async fn extend(&self, _k: &str, token: &str, _t: Duration) -> Result<bool, Error> {
/// #         Ok(self.0.lock().unwrap().as_deref() == Some(token))
/// #     }
/// #     async fn release(&self, _k: &str, token: &str) -> Result<(), Error> {
/// #         let mut h = self.0.lock().unwrap();
/// #         if h.as_deref() == Some(token) { *h = None; }
/// #         Ok(())
/// #     }
/// # }
/// use botbuilder_core::{TurnLeases, TurnOrdering};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Error> {
/// // `Single` stands in for a store's lock, such as `RedisStorage::conversation_lock()`.
/// let leases = TurnLeases::new(Single::default()).with_ttl(Duration::from_secs(30));
/// let answer = leases.run("msteams/conversations/19:abc", async { 42 }).await?;
/// assert_eq!(answer, 42);
/// let ordering = TurnOrdering::from(leases); // for `TurnPipeline::with_turn_ordering`
/// # let _ = ordering;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TurnLeases {
    lock: Arc<dyn ConversationLock>,
    ttl: Duration,
    max_poll: Duration,
}

impl TurnLeases {
    /// Leases from `lock`, with the default time to live and poll interval.
    #[must_use]
    pub fn new(lock: impl ConversationLock + 'static) -> Self {
        Self::from_arc(Arc::new(lock))
    }

    /// Leases from a shared lock, such as a store's `conversation_lock()`.
    #[must_use]
    pub fn from_arc(lock: Arc<dyn ConversationLock>) -> Self {
        Self {
            lock,
            ttl: DEFAULT_LEASE_TTL,
            max_poll: DEFAULT_MAX_POLL_INTERVAL,
        }
    }

    /// How long a lease lasts unless renewed (default [`DEFAULT_LEASE_TTL`]; at least
    /// 100 ms): how long a conversation's turns wait after an instance crashed mid-turn.
    /// Renewal runs every third of it, so keep it well above the store's round trip.
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl.max(Duration::from_millis(100));
        self
    }

    /// The longest pause between two asks for a held lease (default
    /// [`DEFAULT_MAX_POLL_INTERVAL`]; at least 1 ms): shorter hands a released lease on
    /// sooner, at the price of more requests to the store while turns wait.
    #[must_use]
    pub fn with_max_poll_interval(mut self, interval: Duration) -> Self {
        self.max_poll = interval.max(FIRST_POLL_INTERVAL);
        self
    }

    /// How long a lease lasts unless renewed.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Runs `turn` while holding the lease of conversation `key`, once it is this turn's
    /// (see the type's docs), and returns its output.
    ///
    /// # Errors
    /// [`Error::Storage`] when the store fails while the turn waits: the turn did not run.
    pub async fn run<F: Future>(&self, key: &str, turn: F) -> Result<F::Output, Error> {
        let mut place = Place {
            lock: Arc::clone(&self.lock),
            key: key.to_owned(),
            token: format!("{:032x}", fastrand::u128(..)),
            done: false,
        };
        self.wait_for(&place).await?;
        let output = {
            let renew = pin!(self.renew(&place));
            match select(pin!(turn), renew).await {
                Either::Left((output, _)) => output,
                Either::Right((never, _)) => match never {},
            }
        };
        place.done = true;
        if let Err(error) = self.lock.release(&place.key, &place.token).await {
            // It expires by itself; the next turn waits until then.
            tracing::warn!(
                conversation = %place.key,
                error = %report(&error),
                "could not release a turn lease"
            );
        }
        Ok(output)
    }

    async fn wait_for(&self, place: &Place) -> Result<(), Error> {
        let mut pause = FIRST_POLL_INTERVAL;
        loop {
            if self
                .lock
                .try_acquire(&place.key, &place.token, self.ttl)
                .await?
            {
                return Ok(());
            }
            let jittered = pause.mul_f64(0.5 + fastrand::f64() / 2.0);
            tokio::time::sleep(jittered).await;
            pause = (pause * 2).min(self.max_poll);
        }
    }

    /// Extends the lease every third of its time to live; never returns.
    async fn renew(&self, place: &Place) -> Infallible {
        let every = self.ttl / 3;
        loop {
            tokio::time::sleep(every).await;
            match self.lock.extend(&place.key, &place.token, self.ttl).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(
                        conversation = %place.key,
                        "a turn lost its lease (it expired): another instance may run a turn \
                         of this conversation at the same time; eTags catch conflicting writes"
                    );
                    return std::future::pending().await;
                }
                Err(error) => tracing::warn!(
                    conversation = %place.key,
                    error = %report(&error),
                    "could not extend a turn lease; trying again"
                ),
            }
        }
    }
}

impl fmt::Debug for TurnLeases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnLeases")
            .field("ttl", &self.ttl)
            .field("max_poll_interval", &self.max_poll)
            .finish_non_exhaustive()
    }
}

/// One turn's token, released (in a spawned task) if the turn is dropped before it ends.
struct Place {
    lock: Arc<dyn ConversationLock>,
    key: String,
    token: String,
    done: bool,
}

impl Drop for Place {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // the lease, or the place in line, expires by itself
        };
        let lock = Arc::clone(&self.lock);
        let key = std::mem::take(&mut self.key);
        let token = std::mem::take(&mut self.token);
        runtime.spawn(async move {
            if let Err(error) = lock.release(&key, &token).await {
                tracing::debug!(error = %report(&error), "could not release a dropped turn's lease");
            }
        });
    }
}

/// How an adapter orders the turns of one conversation
/// ([`TurnPipeline::with_turn_ordering`](crate::adapter::TurnPipeline::with_turn_ordering)).
/// `true` and `false` convert to [`InProcess`](Self::InProcess) and [`Off`](Self::Off), a
/// [`TurnLeases`] to [`Distributed`](Self::Distributed).
///
/// ```
/// use botbuilder_core::TurnOrdering;
///
/// assert!(matches!(TurnOrdering::from(true), TurnOrdering::InProcess));
/// assert!(matches!(TurnOrdering::from(false), TurnOrdering::Off));
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum TurnOrdering {
    /// Turns run as they arrive, several of one conversation at once.
    Off,
    /// Turns of one conversation run one at a time within this process, in arrival order
    /// ([`ConversationLocks`](crate::ConversationLocks)): the default.
    #[default]
    InProcess,
    /// As `InProcess`, and each turn also holds its conversation's lease in a store shared by
    /// every instance, so turns of one conversation run one at a time across instances. It
    /// costs a few store round trips per turn; see `docs/hosting.md` (scale-out).
    Distributed(TurnLeases),
}

impl From<bool> for TurnOrdering {
    fn from(ordered: bool) -> Self {
        if ordered { Self::InProcess } else { Self::Off }
    }
}

impl From<TurnLeases> for TurnOrdering {
    fn from(leases: TurnLeases) -> Self {
        Self::Distributed(leases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, VecDeque};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::time::Instant;

    /// A store's lock in memory, with expiry and a line, by tokio's (pausable) clock.
    #[derive(Default)]
    struct Fake {
        state: Mutex<HashMap<String, Entry>>,
        asks: AtomicUsize,
        fail_extend: std::sync::atomic::AtomicBool,
        store_down: std::sync::atomic::AtomicBool,
    }

    #[derive(Default)]
    struct Entry {
        holder: Option<(String, Instant)>,
        line: VecDeque<(String, Instant)>,
    }

    #[async_trait]
    impl ConversationLock for Fake {
        async fn try_acquire(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error> {
            self.asks.fetch_add(1, Ordering::SeqCst);
            if self.store_down.load(Ordering::SeqCst) {
                return Err(Error::storage("taking a turn lease", "connection refused"));
            }
            let now = Instant::now();
            let mut state = self.state.lock().unwrap();
            let entry = state.entry(key.to_owned()).or_default();
            if entry
                .holder
                .as_ref()
                .is_some_and(|(_, until)| *until <= now)
            {
                entry.holder = None;
            }
            entry.line.retain(|(_, until)| *until > now);
            if let Some((held, until)) = &mut entry.holder {
                if held == token {
                    *until = now + ttl;
                    return Ok(true);
                }
            } else if entry.line.front().is_none_or(|(first, _)| first == token) {
                entry.line.retain(|(t, _)| t != token);
                entry.holder = Some((token.to_owned(), now + ttl));
                return Ok(true);
            }
            match entry.line.iter_mut().find(|(t, _)| t == token) {
                Some((_, until)) => *until = now + ttl,
                None => entry.line.push_back((token.to_owned(), now + ttl)),
            }
            Ok(false)
        }

        async fn extend(&self, key: &str, token: &str, ttl: Duration) -> Result<bool, Error> {
            if self.fail_extend.load(Ordering::SeqCst) {
                return Ok(false);
            }
            let now = Instant::now();
            let mut state = self.state.lock().unwrap();
            let entry = state.entry(key.to_owned()).or_default();
            match &mut entry.holder {
                Some((held, until)) if held == token && *until > now => {
                    *until = now + ttl;
                    Ok(true)
                }
                _ => Ok(false),
            }
        }

        async fn release(&self, key: &str, token: &str) -> Result<(), Error> {
            let mut state = self.state.lock().unwrap();
            if let Some(entry) = state.get_mut(key) {
                if entry.holder.as_ref().is_some_and(|(held, _)| held == token) {
                    entry.holder = None;
                }
                entry.line.retain(|(t, _)| t != token);
            }
            Ok(())
        }
    }

    impl Fake {
        fn holder(&self, key: &str) -> Option<String> {
            let state = self.state.lock().unwrap();
            state.get(key)?.holder.as_ref().map(|(t, _)| t.clone())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn turns_of_one_conversation_never_overlap_across_lease_users() {
        let lock: Arc<Fake> = Arc::default();
        // Two "instances": two TurnLeases over one store, no in-process lock between them.
        let a = TurnLeases::from_arc(lock.clone());
        let b = TurnLeases::from_arc(lock.clone());
        let running = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let leases = if i % 2 == 0 { a.clone() } else { b.clone() };
                let (running, max) = (running.clone(), max.clone());
                tokio::spawn(async move {
                    leases
                        .run("c", async {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            max.fetch_max(now, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                        .unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 1);
        assert_eq!(lock.holder("c"), None, "released after the last turn");
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_turn_keeps_its_lease_and_a_crashed_one_loses_it() {
        let lock: Arc<Fake> = Arc::default();
        let leases = TurnLeases::from_arc(lock.clone()).with_ttl(Duration::from_secs(3));
        // A turn running for ten lease lifetimes keeps the lease: it is renewed.
        let probe = lock.clone();
        leases
            .run("c", async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                assert!(probe.holder("c").is_some());
                assert!(
                    !probe
                        .try_acquire("c", "other", Duration::from_secs(3))
                        .await
                        .unwrap()
                );
            })
            .await
            .unwrap();
        // The waiting "other" asked once and stopped (its instance crashed): its place lapses.
        tokio::time::sleep(Duration::from_secs(4)).await;
        // An instance that took the lease and crashed (never released, never renewed).
        assert!(
            lock.try_acquire("c", "crashed", Duration::from_secs(3))
                .await
                .unwrap()
        );
        let started = Instant::now();
        leases.run("c", async {}).await.unwrap();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
            "waited {waited:?} for the crashed lease to expire"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_turns_get_the_lease_in_the_order_they_asked() {
        let lock: Arc<Fake> = Arc::default();
        let leases = TurnLeases::from_arc(lock.clone());
        assert!(
            lock.try_acquire("c", "first", DEFAULT_LEASE_TTL)
                .await
                .unwrap()
        );
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (leases, order) = (leases.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                leases
                    .run("c", async move { order.lock().unwrap().push(i) })
                    .await
                    .unwrap();
            }));
            // Each asks before the next one is started.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        lock.release("c", "first").await.unwrap();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_waiter_gives_up_its_place_and_a_lost_lease_does_not_stop_the_turn() {
        let lock: Arc<Fake> = Arc::default();
        let leases = TurnLeases::from_arc(lock.clone()).with_ttl(Duration::from_secs(3));
        assert!(
            lock.try_acquire("c", "first", DEFAULT_LEASE_TTL)
                .await
                .unwrap()
        );
        let waiting = tokio::time::timeout(Duration::from_millis(50), leases.run("c", async {}));
        assert!(waiting.await.is_err());
        tokio::task::yield_now().await; // the spawned release runs
        lock.release("c", "first").await.unwrap();
        assert!(
            lock.state.lock().unwrap()["c"].line.is_empty(),
            "the dropped waiter left the line"
        );
        // A turn whose renewals fail goes on to its end.
        lock.fail_extend.store(true, Ordering::SeqCst);
        let out = leases
            .run("c", async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                7
            })
            .await
            .unwrap();
        assert_eq!(out, 7);
        assert!(lock.asks.load(Ordering::SeqCst) >= 3);
    }
    #[tokio::test]
    async fn a_pipeline_with_leases_holds_one_per_turn_and_reenters_without_waiting() {
        use crate::testing::TestAdapter;
        use crate::{BotAdapterExt, bot_fn};
        let lock: Arc<Fake> = Arc::default();
        let adapter = TestAdapter::new().with_turn_ordering(
            TurnLeases::from_arc(lock.clone()).with_ttl(Duration::from_secs(1)),
        );
        assert!(adapter.pipeline().turn_leases().is_some());
        let probe = lock.clone();
        let bot = bot_fn(async move |ctx| {
            let key = crate::ConversationLocks::key_of_activity(ctx.activity()).unwrap();
            assert!(probe.holder(&key).is_some(), "the turn holds its lease");
            // A proactive turn in the same conversation, awaited: it must not wait for itself.
            let reference = ctx.activity().conversation_reference();
            let adapter = ctx.adapter().clone();
            let inner = tokio::time::timeout(
                Duration::from_secs(5),
                adapter.continue_conversation(reference, async |ctx| {
                    ctx.send_activity("inner").await?;
                    Ok(())
                }),
            );
            inner.await.expect("re-entered at once")?;
            Ok(())
        });
        adapter.send_text("hi", &bot).await.unwrap();
        assert!(
            lock.state
                .lock()
                .unwrap()
                .values()
                .all(|e| e.holder.is_none())
        );
        assert!(format!("{:?}", adapter.pipeline()).contains("distributed"));
    }

    #[tokio::test]
    async fn the_in_memory_stand_in_passes_the_lease_conformance_suite() {
        crate::testing::lease_conformance::run_all(Arc::new(Fake::default())).await;
    }

    #[tokio::test]
    async fn a_store_that_fails_while_a_turn_waits_fails_it_before_it_runs() {
        use crate::testing::TestAdapter;
        let lock: Arc<Fake> = Arc::default();
        lock.store_down.store(true, Ordering::SeqCst);
        let adapter = TestAdapter::new().with_turn_ordering(TurnLeases::from_arc(lock.clone()));
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = ran.clone();
        let bot = crate::bot_fn(async move |_ctx| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        let error = adapter.send_text("hi", &bot).await.unwrap_err();
        assert!(matches!(error, Error::Storage { .. }), "{error:?}");
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "the turn ran without its lease"
        );
        lock.store_down.store(false, Ordering::SeqCst);
        adapter.send_text("hi", &bot).await.unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}
