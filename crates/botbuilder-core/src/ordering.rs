//! [`ConversationLocks`]: one conversation's turns run one at a time.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use botbuilder_schema::{Activity, ConversationReference};
use tokio::sync::OwnedMutexGuard;

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
    entries: Mutex<HashMap<Arc<str>, Entry>>,
}

struct Entry {
    /// The map's key, shared with the registrations.
    key: Arc<str>,
    mutex: Arc<tokio::sync::Mutex<()>>,
    /// Turns holding or waiting for this conversation's lock.
    users: usize,
}

/// Keys held by the current task, so that a turn does not wait for itself.
#[derive(Clone, Default)]
struct Held(Vec<(u64, Arc<str>)>);

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
                entries: Mutex::new(HashMap::new()),
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
        let Some(key) = key else {
            return turn.await;
        };
        let held = HELD.try_with(Held::clone).unwrap_or_default();
        if held
            .0
            .iter()
            .any(|(id, k)| *id == self.inner.id && &**k == key)
        {
            return turn.await;
        }
        let guard = self.lock(key).await;
        let mut now_held = held;
        now_held
            .0
            .push((self.inner.id, Arc::clone(&guard.registration.key)));
        HELD.scope(now_held, turn).await
    }

    /// How many conversations have a turn running or waiting.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether no turn runs or waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    async fn lock(&self, key: &str) -> Guard {
        // One allocation of the key, shared by the map, the registration and `HELD`.
        let (key, mutex) = {
            let mut entries = self.entries();
            match entries.get_mut(key) {
                Some(entry) => {
                    entry.users += 1;
                    (Arc::clone(&entry.key), entry.mutex.clone())
                }
                None => {
                    let shared: Arc<str> = Arc::from(key);
                    let mutex = Arc::new(tokio::sync::Mutex::new(()));
                    entries.insert(
                        Arc::clone(&shared),
                        Entry {
                            key: Arc::clone(&shared),
                            mutex: mutex.clone(),
                            users: 1,
                        },
                    );
                    (shared, mutex)
                }
            }
        };
        // From here the registration is undone on drop, even if this future is dropped while
        // waiting.
        let registration = Registration {
            locks: self.clone(),
            key,
        };
        let held = mutex.lock_owned().await;
        Guard {
            _held: held,
            registration,
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Entry>> {
        // Nothing panics while the lock is held; if something did, the map is still whole.
        self.inner
            .entries
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

/// Holds a conversation's lock; fields drop in order: the lock, then the registration.
struct Guard {
    _held: OwnedMutexGuard<()>,
    registration: Registration,
}

/// One turn holding or waiting for a conversation's lock.
struct Registration {
    locks: ConversationLocks,
    key: Arc<str>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut entries = self.locks.entries();
        if let Some(entry) = entries.get_mut(&*self.key) {
            entry.users -= 1;
            if entry.users == 0 {
                entries.remove(&*self.key);
            }
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
