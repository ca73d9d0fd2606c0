//! [`ConversationLocks`]: one conversation's turns run one at a time.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use botbuilder_schema::{Activity, ConversationReference};

/// Per-conversation ordering of turns: turns of one conversation run one at a time, in the
/// order they arrived; turns of different conversations run in parallel (teloxide's default
/// dispatching, by chat).
///
/// Adapters wrap each turn in [`run`](Self::run) with the conversation's
/// [key](Self::key_of_activity). Within one process this makes state read-modify-write safe
/// without conflicts: two quick messages in a conversation are handled one after the other,
/// and the second sees what the first saved. [`TestAdapter`](crate::testing::TestAdapter)
/// does it by default; see `docs/state.md` for why, and for deployments with several
/// instances, where eTags still catch what ordering cannot.
///
/// Waiting is fair (first come, first served). Memory stays bounded: a conversation's entry
/// exists only while one of its turns runs or waits, and goes when the last one ends (or its
/// future is dropped). Cheap to clone; clones share the locks.
///
/// Re-entrant within a task: a turn that runs a proactive turn in its own conversation and
/// awaits it (`continue_conversation` from inside the turn) does not wait for itself. It
/// does wait if the other turn runs in *another task* that the turn awaits (a spawned
/// task, joined), and two turns that each await a turn in the other's conversation wait for
/// each other forever: spawn such work instead of awaiting it.
///
/// ```
/// use botbuilder_core::ConversationLocks;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let locks = ConversationLocks::new();
/// let answer = locks.run(Some("test/conversations/c1"), async { 42 }).await;
/// assert_eq!(answer, 42);
/// assert_eq!(locks.len(), 0); // nothing is kept once the turn is over
/// # }
/// ```
#[derive(Clone)]
pub struct ConversationLocks {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    /// The conversations with a turn running or waiting.
    slots: Mutex<HashSet<SlotKey>>,
}

/// One conversation's place in line. A turn costs two allocations (the key, the slot).
struct Slot {
    key: Box<str>,
    /// Taken by the conversation's running turn; waiting is fair (first come, first served).
    turn: tokio::sync::Mutex<()>,
    /// Turns holding or waiting for `turn`; changed only with the set locked.
    users: AtomicUsize,
}

/// A slot in the set, found by its key.
struct SlotKey(Arc<Slot>);

impl Borrow<str> for SlotKey {
    fn borrow(&self) -> &str {
        &self.0.key
    }
}

impl Hash for SlotKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that lookups by `&str` find it.
        (*self.0.key).hash(state);
    }
}

impl PartialEq for SlotKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.key == other.0.key
    }
}

impl Eq for SlotKey {}

/// The conversations whose turn the current task runs, so that a turn does not wait for
/// itself: the innermost inline (most tasks hold one), the outer ones behind it.
#[derive(Clone, Default)]
struct Held {
    top: Option<(u64, Arc<Slot>)>,
    below: Option<Arc<Held>>,
}

impl Held {
    fn holds(&self, locks: u64, key: &str) -> bool {
        let mut held = self;
        loop {
            match &held.top {
                Some((id, slot)) if *id == locks && *slot.key == *key => return true,
                Some(_) => {}
                None => return false,
            }
            match &held.below {
                Some(below) => held = below,
                None => return false,
            }
        }
    }

    fn with(self, locks: u64, slot: Arc<Slot>) -> Self {
        Self {
            below: self.top.is_some().then(|| Arc::new(self)),
            top: Some((locks, slot)),
        }
    }
}

tokio::task_local! {
    static HELD: Held;
}

impl Default for ConversationLocks {
    fn default() -> Self {
        Self::new()
    }
}

impl ConversationLocks {
    /// A new, empty set of locks.
    #[must_use]
    pub fn new() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Self {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                slots: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// The key that orders an activity's turn: `{channelId}/conversations/{conversationId}`,
    /// or `None` when the activity lacks either (its turn is then not ordered).
    ///
    /// ```
    /// use botbuilder_core::ConversationLocks;
    /// use botbuilder_core::schema::{Activity, ChannelId, ConversationAccount};
    ///
    /// let mut activity = Activity::message("hi");
    /// activity.channel_id = Some(ChannelId::Msteams);
    /// activity.conversation = Some(ConversationAccount::new("19:abc"));
    /// let key = ConversationLocks::key_of_activity(&activity);
    /// assert_eq!(key.as_deref(), Some("msteams/conversations/19:abc"));
    /// ```
    #[must_use]
    pub fn key_of_activity(activity: &Activity) -> Option<String> {
        key(
            activity.channel_id.as_ref()?.as_str(),
            activity.conversation_id()?,
        )
    }

    /// The key that orders a proactive turn in the conversation of `reference`; see
    /// [`key_of_activity`](Self::key_of_activity).
    #[must_use]
    pub fn key_of_reference(reference: &ConversationReference) -> Option<String> {
        key(
            reference.channel_id.as_ref()?.as_str(),
            reference.conversation_id()?,
        )
    }

    /// Runs `turn` once no other turn of the conversation `key` runs in these locks, and
    /// returns its output. A `None` key runs it at once. Re-entrant within a task.
    ///
    /// Cancel-safe: dropping the returned future while it waits gives up the place in line
    /// and leaves no entry behind.
    pub async fn run<F: Future>(&self, key: Option<&str>, turn: F) -> F::Output {
        match key {
            None => turn.await,
            Some(key) => self.run_keyed(key, Box::from, turn).await,
        }
    }

    /// [`run`](Self::run) with a key made by [`key_of_activity`](Self::key_of_activity) or
    /// [`key_of_reference`](Self::key_of_reference), kept as it is (not copied).
    pub async fn run_owned<F: Future>(&self, key: Option<String>, turn: F) -> F::Output {
        match key {
            None => turn.await,
            Some(key) => self.run_keyed(key, String::into_boxed_str, turn).await,
        }
    }

    async fn run_keyed<K, F>(&self, key: K, own: impl FnOnce(K) -> Box<str>, turn: F) -> F::Output
    where
        K: Borrow<str>,
        F: Future,
    {
        let held = HELD.try_with(Held::clone).unwrap_or_default();
        if held.holds(self.inner.id, key.borrow()) {
            return turn.await;
        }
        // From here the registration is undone on drop, even if this future is dropped while
        // waiting; the lock guard is dropped before it.
        let registration = self.register(key, own);
        let _turn = registration.slot.turn.lock().await;
        let held = held.with(self.inner.id, Arc::clone(&registration.slot));
        HELD.scope(held, turn).await
    }

    /// Whether the current task runs a turn of conversation `key` in these locks (a turn
    /// inside it would not wait).
    pub(crate) fn holds(&self, key: &str) -> bool {
        HELD.try_with(|held| held.holds(self.inner.id, key))
            .unwrap_or(false)
    }

    /// How many conversations have a turn running or waiting.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots().len()
    }

    /// Whether no turn runs or waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots().is_empty()
    }

    fn register<K: Borrow<str>>(
        &self,
        key: K,
        own: impl FnOnce(K) -> Box<str>,
    ) -> Registration<'_> {
        let mut slots = self.slots();
        let slot = match slots.get(key.borrow()) {
            Some(SlotKey(slot)) => {
                slot.users.fetch_add(1, Ordering::Relaxed);
                Arc::clone(slot)
            }
            None => {
                let slot = Arc::new(Slot {
                    key: own(key),
                    turn: tokio::sync::Mutex::new(()),
                    users: AtomicUsize::new(1),
                });
                slots.insert(SlotKey(Arc::clone(&slot)));
                crate::telemetry::record(crate::telemetry::Measurement::ActiveConversations(1));
                slot
            }
        };
        Registration { locks: self, slot }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashSet<SlotKey>> {
        // Nothing panics while the lock is held; if something did, the set is still whole.
        self.inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn key(channel_id: &str, conversation_id: &str) -> Option<String> {
    const MIDDLE: &str = "/conversations/";
    (!channel_id.is_empty()).then(|| {
        let mut key =
            String::with_capacity(channel_id.len() + MIDDLE.len() + conversation_id.len());
        key.push_str(channel_id);
        key.push_str(MIDDLE);
        key.push_str(conversation_id);
        key
    })
}

/// One turn holding or waiting for a conversation's lock.
struct Registration<'a> {
    locks: &'a ConversationLocks,
    slot: Arc<Slot>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut slots = self.locks.slots();
        if self.slot.users.fetch_sub(1, Ordering::Relaxed) == 1 {
            slots.remove(&*self.slot.key);
            crate::telemetry::record(crate::telemetry::Measurement::ActiveConversations(-1));
        }
    }
}

impl fmt::Debug for ConversationLocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConversationLocks")
            .field("conversations", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_conversation_runs_one_turn_at_a_time() {
        let locks = ConversationLocks::new();
        let running = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (locks, running, max) = (locks.clone(), running.clone(), max.clone());
                tokio::spawn(async move {
                    locks
                        .run(Some("c"), async {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            max.fetch_max(now, Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 1);
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn different_conversations_run_in_parallel() {
        let locks = ConversationLocks::new();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // A waits for B; if A blocked B this would time out.
        let a = locks.run(Some("a"), async move { rx.await.is_ok() });
        let b = locks.run(Some("b"), async move { tx.send(()).is_ok() });
        let both = tokio::time::timeout(Duration::from_secs(5), futures::future::join(a, b));
        assert_eq!(both.await.unwrap(), (true, true));
        assert_eq!(locks.len(), 0);
    }

    #[tokio::test]
    async fn reentrant_in_the_same_task() {
        let locks = ConversationLocks::new();
        let inner_locks = locks.clone();
        let out = tokio::time::timeout(
            Duration::from_secs(5),
            locks.run(Some("c"), async move {
                inner_locks.run(Some("c"), async { 7 }).await
            }),
        )
        .await
        .unwrap();
        assert_eq!(out, 7);
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn reentrant_through_nested_turns() {
        let locks = ConversationLocks::new();
        let (l1, l2) = (locks.clone(), locks.clone());
        // a, then b inside it, then a again inside b: a is held further down, not waited for.
        let out = tokio::time::timeout(
            Duration::from_secs(5),
            locks.run_owned(Some("a".to_owned()), async move {
                l1.run(Some("b"), async move {
                    assert_eq!(l2.len(), 2);
                    l2.run(Some("a"), async { 9 }).await
                })
                .await
            }),
        )
        .await
        .unwrap();
        assert_eq!(out, 9);
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn another_set_of_locks_is_not_reentrant_by_accident() {
        let a = ConversationLocks::new();
        let b = ConversationLocks::new();
        let b2 = b.clone();
        // Holding "c" in `a` says nothing about "c" in `b`: it is locked normally there.
        a.run(Some("c"), async move {
            b2.run(Some("c"), async { assert_eq!(b2.len(), 1) }).await;
        })
        .await;
        assert!(a.is_empty() && b.is_empty());
    }

    #[tokio::test]
    async fn a_dropped_waiter_leaves_nothing_behind() {
        let locks = ConversationLocks::new();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        let holder = tokio::spawn({
            let locks = locks.clone();
            async move {
                locks
                    .run(Some("c"), async move {
                        let _ = started_tx.send(());
                        let _ = released.await;
                    })
                    .await;
            }
        });
        started.await.unwrap();
        // A second turn waits, then gives up.
        let waiting =
            tokio::time::timeout(Duration::from_millis(20), locks.run(Some("c"), async {})).await;
        assert!(waiting.is_err());
        assert_eq!(locks.len(), 1);
        release.send(()).unwrap();
        holder.await.unwrap();
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn no_key_runs_at_once() {
        let locks = ConversationLocks::new();
        assert_eq!(locks.run(None, async { 1 }).await, 1);
        assert_eq!(
            format!("{locks:?}"),
            "ConversationLocks { conversations: 0 }"
        );
    }

    #[test]
    fn keys_of_activities_and_references() {
        use botbuilder_schema::{ChannelId, ConversationAccount};
        let mut activity = Activity::message("hi");
        assert_eq!(ConversationLocks::key_of_activity(&activity), None);
        activity.channel_id = Some(ChannelId::Test);
        assert_eq!(ConversationLocks::key_of_activity(&activity), None);
        activity.conversation = Some(ConversationAccount::new("c1"));
        assert_eq!(
            ConversationLocks::key_of_activity(&activity).as_deref(),
            Some("test/conversations/c1")
        );
        let reference = activity.conversation_reference();
        assert_eq!(
            ConversationLocks::key_of_reference(&reference),
            ConversationLocks::key_of_activity(&activity)
        );
    }
}
