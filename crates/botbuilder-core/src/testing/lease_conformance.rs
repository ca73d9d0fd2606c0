//! The turn-lease conformance suite: the [`ConversationLock`] contract as checks every store
//! that grants leases runs (Redis, PostgreSQL, future ones).
//!
//! Each check panics, like a failing test, naming what went wrong. Keys start with a prefix
//! unique to the run, so checks can run against a shared, real server. The checks wait for
//! leases to expire, so they take about a second.
//!
//! One line per backend (a store in memory here, standing in for a real one):
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use botbuilder_core::ConversationLock;
//! use botbuilder_core::testing::lease_conformance;
//!
//! # async fn check(store: Arc<dyn ConversationLock>) {
//! lease_conformance::run_all(store).await;
//! # }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{ConversationLock, TurnLeases};

/// A lease time long enough for a check's steps, short enough to wait out.
const TTL: Duration = Duration::from_millis(1000);
const LONG: Duration = Duration::from_secs(30);

/// A conversation key no other run uses.
fn unique_key(check: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "conformance/conversations/{check}-{}-{nanos:x}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    )
}

async fn acquire(lock: &dyn ConversationLock, key: &str, token: &str, ttl: Duration) -> bool {
    lock.try_acquire(key, token, ttl)
        .await
        .unwrap_or_else(|e| panic!("try_acquire({key:?}, {token:?}) failed: {e}"))
}

/// Runs every check on `lock`.
///
/// # Panics
/// When a check fails.
pub async fn run_all(lock: Arc<dyn ConversationLock>) {
    one_holder_at_a_time(lock.as_ref()).await;
    only_the_holder_extends_or_releases(lock.as_ref()).await;
    an_unrenewed_lease_expires(lock.as_ref()).await;
    waiting_tokens_are_served_in_order(lock.as_ref()).await;
    a_lapsed_place_in_line_is_skipped(lock.as_ref()).await;
    turns_through_two_instances_never_overlap(lock).await;
}

/// A held lease is not granted to another token; it is granted again to its holder; other
/// conversations are independent.
///
/// # Panics
/// When the lock breaks the rule.
pub async fn one_holder_at_a_time(lock: &dyn ConversationLock) {
    let key = unique_key("exclusive");
    let other = unique_key("exclusive-other");
    assert!(
        acquire(lock, &key, "a", LONG).await,
        "a free lease was refused"
    );
    assert!(
        !acquire(lock, &key, "b", LONG).await,
        "a held lease went to another token"
    );
    assert!(
        acquire(lock, &key, "a", LONG).await,
        "the holder asking again was refused"
    );
    assert!(
        acquire(lock, &other, "b", LONG).await,
        "another conversation's lease was refused"
    );
    lock.release(&key, "a").await.expect("release");
    assert!(
        acquire(lock, &key, "b", LONG).await,
        "the waiting token did not get the released lease"
    );
    lock.release(&key, "b").await.expect("release");
    lock.release(&other, "b").await.expect("release");
}

/// `extend` and `release` by a token that does not hold the lease change nothing.
///
/// # Panics
/// When the lock breaks the rule.
pub async fn only_the_holder_extends_or_releases(lock: &dyn ConversationLock) {
    let key = unique_key("holder-only");
    assert!(acquire(lock, &key, "a", LONG).await);
    assert!(
        !lock.extend(&key, "b", LONG).await.expect("extend"),
        "a non-holder extended the lease"
    );
    lock.release(&key, "b")
        .await
        .expect("release by a non-holder");
    assert!(
        !acquire(lock, &key, "c", LONG).await,
        "a non-holder's release freed the lease"
    );
    assert!(
        lock.extend(&key, "a", LONG).await.expect("extend"),
        "the holder could not extend"
    );
    lock.release(&key, "a").await.expect("release");
    lock.release(&key, "c").await.expect("release");
    assert!(
        !lock.extend(&key, "a", LONG).await.expect("extend"),
        "a released lease was extended"
    );
}

/// A lease not extended is free after its time to live; one extended is not.
///
/// # Panics
/// When the lock breaks the rule.
pub async fn an_unrenewed_lease_expires(lock: &dyn ConversationLock) {
    let key = unique_key("expiry");
    assert!(acquire(lock, &key, "crashed", TTL).await);
    tokio::time::sleep(TTL / 2).await;
    assert!(
        lock.extend(&key, "crashed", TTL).await.expect("extend"),
        "a live lease could not be extended"
    );
    tokio::time::sleep(TTL / 2 + TTL / 4).await;
    assert!(
        !acquire(lock, &key, "next", TTL).await,
        "an extended lease expired early"
    );
    tokio::time::sleep(TTL).await;
    assert!(
        acquire(lock, &key, "next", TTL).await,
        "an unrenewed lease did not expire"
    );
    assert!(
        !lock.extend(&key, "crashed", TTL).await.expect("extend"),
        "an expired holder extended"
    );
    lock.release(&key, "next").await.expect("release");
}

/// Tokens that asked for a held lease get it in the order they first asked, whoever asks
/// first once it is free.
///
/// # Panics
/// When the lock breaks the rule.
pub async fn waiting_tokens_are_served_in_order(lock: &dyn ConversationLock) {
    let key = unique_key("fifo");
    assert!(acquire(lock, &key, "holder", LONG).await);
    for token in ["first", "second", "third"] {
        assert!(!acquire(lock, &key, token, LONG).await);
    }
    lock.release(&key, "holder").await.expect("release");
    assert!(
        !acquire(lock, &key, "third", LONG).await,
        "the lease jumped the line"
    );
    assert!(
        !acquire(lock, &key, "second", LONG).await,
        "the lease jumped the line"
    );
    assert!(
        !acquire(lock, &key, "late", LONG).await,
        "a newcomer jumped the line"
    );
    assert!(
        acquire(lock, &key, "first", LONG).await,
        "the first in line was refused"
    );
    lock.release(&key, "first").await.expect("release");
    assert!(
        acquire(lock, &key, "second", LONG).await,
        "the second in line was refused"
    );
    lock.release(&key, "second").await.expect("release");
    // A token giving up its place lets the next one through.
    lock.release(&key, "third").await.expect("release");
    assert!(
        acquire(lock, &key, "late", LONG).await,
        "a token that left still held its place"
    );
    lock.release(&key, "late").await.expect("release");
}

/// A token that stopped asking (its instance crashed) loses its place after the time to
/// live, and blocks nobody after that.
///
/// # Panics
/// When the lock breaks the rule.
pub async fn a_lapsed_place_in_line_is_skipped(lock: &dyn ConversationLock) {
    let key = unique_key("lapsed");
    assert!(acquire(lock, &key, "holder", LONG).await);
    assert!(!acquire(lock, &key, "crashed", TTL).await);
    assert!(!acquire(lock, &key, "alive", LONG).await);
    lock.release(&key, "holder").await.expect("release");
    assert!(
        !acquire(lock, &key, "alive", LONG).await,
        "a live place jumped the line"
    );
    tokio::time::sleep(TTL * 2).await;
    assert!(
        acquire(lock, &key, "alive", LONG).await,
        "a lapsed place still blocks the line"
    );
    lock.release(&key, "alive").await.expect("release");
}

/// Turns of one conversation through two [`TurnLeases`] on this lock (two instances), with a
/// short time to live, never overlap, not even a turn that outlives its lease's time to live
/// several times (it is renewed).
///
/// # Panics
/// When two turns overlap, or the lock fails.
pub async fn turns_through_two_instances_never_overlap(lock: Arc<dyn ConversationLock>) {
    let key = unique_key("instances");
    let a = TurnLeases::from_arc(Arc::clone(&lock)).with_ttl(TTL);
    let b = TurnLeases::from_arc(lock).with_ttl(TTL);
    let running = Arc::new(AtomicUsize::new(0));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let turns = (0..12).map(|i| {
        let leases = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (key, running, overlaps) = (key.clone(), running.clone(), overlaps.clone());
        async move {
            // The first turn outlives three times to live; the others are short.
            let length = if i == 0 {
                TTL * 3
            } else {
                Duration::from_millis(5)
            };
            leases
                .run(&key, async {
                    if running.fetch_add(1, Ordering::SeqCst) > 0 {
                        overlaps.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::time::sleep(length).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
                .unwrap_or_else(|e| panic!("a turn could not take its lease: {e}"));
        }
    });
    futures::future::join_all(turns).await;
    assert_eq!(
        overlaps.load(Ordering::SeqCst),
        0,
        "turns of one conversation overlapped across instances"
    );
}
