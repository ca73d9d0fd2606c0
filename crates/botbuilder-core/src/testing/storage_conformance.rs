//! The storage conformance suite: the [`Storage`] contract as checks every backend runs,
//! today's and future ones.
//!
//! Each check is an `async fn` that panics, like a failing test, with a message naming the
//! check and what went wrong. [`run_all`] runs them all. The checks use only the
//! [`Storage`] trait, and every key they write starts with a prefix unique to the run (and
//! is deleted at the end), so they can run against a shared, real server, in parallel with
//! other runs.
//!
//! One line per backend:
//!
//! ```
//! use std::sync::Arc;
//! use botbuilder_core::storage::MemoryStorage;
//! use botbuilder_core::testing::storage_conformance;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! storage_conformance::run_all(Arc::new(MemoryStorage::new())).await;
//! # }
//! ```
//!
//! Backends reached through a network should also run
//! [`no_lost_updates_across_clients`] with two separately connected clients, as two bot
//! instances would be.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::join_all;
use serde_json::{Value, json};

use crate::Error;
use crate::error::report;
use crate::storage::{ETAG_ANY, ETAG_FIELD, ETAG_NEW, ETags, Storage, StoreItems, new_document};

/// Runs every check of the suite on `storage`, one after the other.
///
/// # Panics
/// When `storage` breaks the contract; the message names the check.
pub async fn run_all(storage: Arc<dyn Storage>) {
    let s = &*storage;
    read_missing_keys(s).await;
    create_read_update_delete(s).await;
    batches(s).await;
    stale_etag_conflicts(s).await;
    wildcard_etag_always_writes(s).await;
    new_etag_creates_only(s).await;
    etag_of_deleted_document_conflicts(s).await;
    every_write_yields_a_new_etag(s).await;
    delete_missing_keys(s).await;
    special_keys(s).await;
    large_documents(s).await;
    json_values_round_trip(s).await;
    invalid_documents_are_rejected(s).await;
    concurrent_writers_on_one_key(s).await;
    no_lost_updates_across_clients(storage.clone(), storage, 25).await;
}

/// Reading missing keys yields nothing, not an error; so does reading no key.
pub async fn read_missing_keys(storage: &dyn Storage) {
    const CHECK: &str = "read_missing_keys";
    let keys = Keys::new(CHECK);
    let (a, b) = (keys.key("a"), keys.key("b"));
    let read = ok(CHECK, "reading missing keys", storage.read(&[&a, &b]).await);
    assert!(
        read.is_empty(),
        "[{CHECK}] reading missing keys returned {read:?}"
    );
    let read = ok(CHECK, "reading no key", storage.read(&[]).await);
    assert!(
        read.is_empty(),
        "[{CHECK}] reading no key returned {read:?}"
    );
}

/// Create, read, update with the eTag read, delete.
pub async fn create_read_update_delete(storage: &dyn Storage) {
    const CHECK: &str = "create_read_update_delete";
    let keys = Keys::new(CHECK);
    let k = keys.key("doc");
    let e1 = write_one(CHECK, storage, &k, json!({"a": 1, "nested": {"b": [1, 2]}})).await;
    assert!(!e1.is_empty(), "[{CHECK}] a write returned an empty eTag");
    let doc = read_one(CHECK, storage, &k).await;
    assert_eq!(
        doc,
        Some(json!({"a": 1, "nested": {"b": [1, 2]}, ETAG_FIELD: e1})),
        "[{CHECK}] the document read differs from the one written (with its eTag in `eTag`)"
    );
    let mut doc = doc.unwrap_or_default();
    doc["a"] = json!(2);
    let e2 = write_one(CHECK, storage, &k, doc).await;
    assert_ne!(e1, e2, "[{CHECK}] an update kept the same eTag");
    assert_eq!(
        read_one(CHECK, storage, &k).await,
        Some(json!({"a": 2, "nested": {"b": [1, 2]}, ETAG_FIELD: e2})),
        "[{CHECK}] the update is not what is read"
    );
    ok(CHECK, "deleting", storage.delete(&[&k]).await);
    assert_eq!(
        read_one(CHECK, storage, &k).await,
        None,
        "[{CHECK}] a deleted document is still read"
    );
}

/// Several documents read, written and deleted in one call.
pub async fn batches(storage: &dyn Storage) {
    const CHECK: &str = "batches";
    let keys = Keys::new(CHECK);
    let (a, b, c, missing) = (
        keys.key("a"),
        keys.key("b"),
        keys.key("c"),
        keys.key("missing"),
    );
    let e_tags = ok(
        CHECK,
        "writing a batch",
        storage
            .write(StoreItems::from([
                (a.clone(), json!({"n": "a"})),
                (b.clone(), json!({"n": "b"})),
                (c.clone(), json!({"n": "c"})),
            ]))
            .await,
    );
    for key in [&a, &b, &c] {
        assert!(
            e_tags.get(key).is_some_and(|e| !e.is_empty()),
            "[{CHECK}] the batch write returned no eTag for {key:?}: {e_tags:?}"
        );
    }
    assert_eq!(
        e_tags.len(),
        3,
        "[{CHECK}] eTags for keys not written: {e_tags:?}"
    );
    let read = ok(
        CHECK,
        "reading a batch",
        storage.read(&[&a, &b, &c, &missing]).await,
    );
    assert_eq!(read.len(), 3, "[{CHECK}] a batch read returned {read:?}");
    for (key, name) in [(&a, "a"), (&b, "b"), (&c, "c")] {
        assert_eq!(
            read.get(key),
            Some(&json!({"n": name, ETAG_FIELD: e_tags[key]})),
            "[{CHECK}] wrong document under {key:?}"
        );
    }
    ok(
        CHECK,
        "deleting a batch",
        storage.delete(&[&a, &c, &missing]).await,
    );
    let read = ok(
        CHECK,
        "reading after delete",
        storage.read(&[&a, &b, &c]).await,
    );
    assert_eq!(
        read.keys().collect::<Vec<_>>(),
        vec![&b],
        "[{CHECK}] the batch delete left the wrong documents"
    );
    keys.clean(storage, &[&b]).await;
}

/// A write with an eTag that is not the stored one fails with a conflict naming the key,
/// and changes nothing.
pub async fn stale_etag_conflicts(storage: &dyn Storage) {
    const CHECK: &str = "stale_etag_conflicts";
    let keys = Keys::new(CHECK);
    let k = keys.key("doc");
    let e1 = write_one(CHECK, storage, &k, json!({"v": 1})).await;
    let e2 = write_one(CHECK, storage, &k, json!({"v": 2, ETAG_FIELD: e1})).await;
    for stale in [e1.as_str(), "an eTag never issued"] {
        let result = storage
            .write(StoreItems::from([(
                k.clone(),
                json!({"v": 3, ETAG_FIELD: stale}),
            )]))
            .await;
        expect_conflict(CHECK, &k, result);
    }
    assert_eq!(
        read_one(CHECK, storage, &k).await,
        Some(json!({"v": 2, ETAG_FIELD: e2})),
        "[{CHECK}] a conflicting write changed the document"
    );
    keys.clean(storage, &[&k]).await;
}

/// A write with no eTag, a `null` one or `*` replaces whatever is stored.
pub async fn wildcard_etag_always_writes(storage: &dyn Storage) {
    const CHECK: &str = "wildcard_etag_always_writes";
    let keys = Keys::new(CHECK);
    let k = keys.key("doc");
    let mut last = write_one(CHECK, storage, &k, json!({"v": 0})).await;
    let docs = [
        json!({"v": 1}),
        json!({"v": 2, ETAG_FIELD: ETAG_ANY}),
        json!({"v": 3, ETAG_FIELD: null}),
    ];
    for (i, doc) in docs.into_iter().enumerate() {
        let e = write_one(CHECK, storage, &k, doc).await;
        assert_ne!(e, last, "[{CHECK}] an overwrite kept the eTag");
        assert_eq!(
            read_one(CHECK, storage, &k).await,
            Some(json!({"v": i + 1, ETAG_FIELD: e})),
            "[{CHECK}] an unconditional write did not replace the document"
        );
        last = e;
    }
    keys.clean(storage, &[&k]).await;
}

/// A write with the eTag `""` creates a document only if none is stored.
pub async fn new_etag_creates_only(storage: &dyn Storage) {
    const CHECK: &str = "new_etag_creates_only";
    let keys = Keys::new(CHECK);
    let k = keys.key("doc");
    let e = write_one(CHECK, storage, &k, json!({"v": 1, ETAG_FIELD: ETAG_NEW})).await;
    let result = storage
        .write(StoreItems::from([(
            k.clone(),
            json!({"v": 2, ETAG_FIELD: ETAG_NEW}),
        )]))
        .await;
    expect_conflict(CHECK, &k, result);
    assert_eq!(
        read_one(CHECK, storage, &k).await,
        Some(json!({"v": 1, ETAG_FIELD: e})),
        "[{CHECK}] a create-only write replaced an existing document"
    );
    ok(CHECK, "deleting", storage.delete(&[&k]).await);
    write_one(CHECK, storage, &k, json!({"v": 3, ETAG_FIELD: ETAG_NEW})).await;
    keys.clean(storage, &[&k]).await;
}

/// A write with the eTag of a document deleted since is a conflict: it does not bring the
/// document back.
pub async fn etag_of_deleted_document_conflicts(storage: &dyn Storage) {
    const CHECK: &str = "etag_of_deleted_document_conflicts";
    let keys = Keys::new(CHECK);
    let k = keys.key("doc");
    let e = write_one(CHECK, storage, &k, json!({"v": 1})).await;
    ok(CHECK, "deleting", storage.delete(&[&k]).await);
    let result = storage
        .write(StoreItems::from([(
            k.clone(),
            json!({"v": 2, ETAG_FIELD: e}),
        )]))
        .await;
    expect_conflict(CHECK, &k, result);
    assert_eq!(
        read_one(CHECK, storage, &k).await,
        None,
        "[{CHECK}] a write with a deleted document's eTag brought it back"
    );
}

/// Every successful write yields a new eTag, even for the same content, and even after the
/// document was deleted and created again (so an old eTag can never match by accident);
/// the eTag read is the eTag the write returned.
pub async fn every_write_yields_a_new_etag(storage: &dyn Storage) {
    const CHECK: &str = "every_write_yields_a_new_etag";
    let keys = Keys::new(CHECK);
    let k = keys.key("doc");
    let mut seen: Vec<String> = Vec::new();
    for round in 0..2 {
        for _ in 0..4 {
            let e = write_one(CHECK, storage, &k, json!({"same": "content"})).await;
            assert!(
                !seen.contains(&e),
                "[{CHECK}] the eTag {e:?} was issued twice for {k:?} (round {round})"
            );
            let read = read_one(CHECK, storage, &k).await;
            assert_eq!(
                read.as_ref().and_then(|d| d.get(ETAG_FIELD)),
                Some(&json!(e)),
                "[{CHECK}] the eTag read is not the one the write returned"
            );
            seen.push(e);
        }
        ok(CHECK, "deleting", storage.delete(&[&k]).await);
    }
}

/// Deleting missing keys, or no key, is fine.
pub async fn delete_missing_keys(storage: &dyn Storage) {
    const CHECK: &str = "delete_missing_keys";
    let keys = Keys::new(CHECK);
    let k = keys.key("never-written");
    ok(CHECK, "deleting a missing key", storage.delete(&[&k]).await);
    ok(CHECK, "deleting no key", storage.delete(&[]).await);
}

/// Keys with `/ : ? # % \`, spaces, Unicode, differing only in case, and 1 000 characters
/// long are all distinct documents that read back under the same key.
pub async fn special_keys(storage: &dyn Storage) {
    const CHECK: &str = "special_keys";
    let keys = Keys::new(CHECK);
    let mut all: Vec<String> = [
        "slash/inside/",
        "colon:inside",
        "question?mark=1&x",
        "hash#mark",
        "percent%sign",
        "percent%2Fencoded",
        "percent%252F",
        "back\\slash",
        "back\\\\slashes",
        "space inside",
        " leading and trailing ",
        "tab\there",
        "Case",
        "case",
        "*",
        "dots...",
        "..",
        "ünïcödé-キー-ключ-🔑",
        "emoji 👍🏽👨‍👩‍👧",
        "quotes \"and' apostrophes",
        "msteams/conversations/a:1Xy_z-9@thread.tacv2;messageid=1610000000000",
    ]
    .iter()
    .map(|suffix| keys.key(suffix))
    .collect();
    all.push(keys.long_key("ascii-", 'k', 1000));
    all.push(keys.long_key("unicode-", 'ж', 1000));
    for key in &all {
        write_one(CHECK, storage, key, json!({"key": key})).await;
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let read = ok(CHECK, "reading special keys", storage.read(&refs).await);
    for key in &all {
        let doc = read.get(key);
        assert_eq!(
            doc.and_then(|d| d.get("key")),
            Some(&json!(key)),
            "[{CHECK}] the key {key:?} ({} characters) did not read back its own document",
            key.chars().count()
        );
    }
    assert_eq!(
        read.len(),
        all.len(),
        "[{CHECK}] reading returned extra keys"
    );
    ok(CHECK, "deleting special keys", storage.delete(&refs).await);
    let read = ok(
        CHECK,
        "reading deleted special keys",
        storage.read(&refs).await,
    );
    assert!(
        read.is_empty(),
        "[{CHECK}] special keys survived deletion: {:?}",
        read.keys()
    );
}

/// A 1 MB document is written, read back whole, and updated with its eTag.
pub async fn large_documents(storage: &dyn Storage) {
    const CHECK: &str = "large_documents";
    let keys = Keys::new(CHECK);
    let k = keys.key("big");
    let blob = "0123456789abcdef".repeat(1024 * 1024 / 16);
    let items: Vec<Value> = (0..1000).map(|i| json!({"i": i, "s": "item"})).collect();
    let doc = json!({"blob": blob, "items": items});
    let e = write_one(CHECK, storage, &k, doc.clone()).await;
    let mut read = read_one(CHECK, storage, &k).await.unwrap_or_default();
    assert_eq!(
        read.get(ETAG_FIELD),
        Some(&json!(e)),
        "[{CHECK}] wrong eTag read"
    );
    if let Some(object) = read.as_object_mut() {
        object.remove(ETAG_FIELD);
    }
    assert!(
        read == doc,
        "[{CHECK}] the 1 MB document did not read back whole"
    );
    let mut update = doc;
    update["blob"] = json!("short now");
    update[ETAG_FIELD] = json!(e);
    write_one(CHECK, storage, &k, update).await;
    keys.clean(storage, &[&k]).await;
}

/// Every kind of JSON value reads back as written: numbers at the limits of `i64`, `u64` and
/// `f64`, strings with escapes and Unicode, nesting, empty containers, and field names
/// BotBuilder uses (`$type`) or that some stores treat specially (`.`, empty).
pub async fn json_values_round_trip(storage: &dyn Storage) {
    const CHECK: &str = "json_values_round_trip";
    let keys = Keys::new(CHECK);
    let k = keys.key("values");
    let doc = json!({
        "null": null,
        "true": true,
        "false": false,
        "zero": 0,
        "i64_min": i64::MIN,
        "i64_max": i64::MAX,
        "u64_max": u64::MAX,
        "half": 0.5,
        "tenth": 0.1,
        "big_float": -1.25e300,
        "empty_string": "",
        "escapes": "quote \" backslash \\ newline \n tab \t nul \u{0} end",
        "unicode": "ünïcödé キー 🔑 \u{200d}",
        "array": [1, "two", null, [3.5, {"four": 4}], {}],
        "empty_array": [],
        "empty_object": {},
        "nested": {"a": {"b": {"c": {"d": {"e": {"f": "deep"}}}}}},
        "$type": "Microsoft.Bot.Builder.Dialogs.DialogState, Microsoft.Bot.Builder.Dialogs",
        "dotted.name": 1,
        "": "empty field name",
        "DialogState": {"dialogStack": [{"id": "root", "state": {"options": {}, "values": {}}}]}
    });
    let e = write_one(CHECK, storage, &k, doc.clone()).await;
    let mut expected = doc;
    expected[ETAG_FIELD] = json!(e);
    let read = read_one(CHECK, storage, &k).await;
    assert_eq!(
        read,
        Some(expected),
        "[{CHECK}] JSON values changed in storage"
    );
    keys.clean(storage, &[&k]).await;
}

/// A document that is not a JSON object, or whose eTag is not a string, is rejected with
/// [`Error::InvalidDocument`] naming the key, and nothing is stored.
pub async fn invalid_documents_are_rejected(storage: &dyn Storage) {
    const CHECK: &str = "invalid_documents_are_rejected";
    let keys = Keys::new(CHECK);
    let k = keys.key("doc");
    for doc in [
        json!(null),
        json!(true),
        json!(7),
        json!("text"),
        json!([1, 2]),
        json!({"v": 1, ETAG_FIELD: 5}),
        json!({"v": 1, ETAG_FIELD: {"not": "a string"}}),
    ] {
        let result = storage
            .write(StoreItems::from([(k.clone(), doc.clone())]))
            .await;
        match result {
            Err(Error::InvalidDocument { key, .. }) if key == k => {}
            other => {
                panic!("[{CHECK}] writing {doc} returned {other:?}, not InvalidDocument for {k:?}")
            }
        }
    }
    assert_eq!(
        read_one(CHECK, storage, &k).await,
        None,
        "[{CHECK}] an invalid document was stored"
    );
}

/// Concurrent writers on one key: of many writes carrying the same eTag (or all creating
/// the same key) exactly one succeeds; and writers doing read-modify-write with eTags,
/// retrying conflicts, lose no update.
pub async fn concurrent_writers_on_one_key(storage: &dyn Storage) {
    const CHECK: &str = "concurrent_writers_on_one_key";
    const WRITERS: usize = 16;
    let keys = Keys::new(CHECK);

    // Everyone creates the same missing key.
    let k = keys.key("create-race");
    let results = join_all((0..WRITERS).map(|i| {
        let k = k.clone();
        async move {
            storage
                .write(StoreItems::from([(
                    k,
                    json!({"writer": i, ETAG_FIELD: ETAG_NEW}),
                )]))
                .await
        }
    }))
    .await;
    let winner = one_winner(CHECK, &k, "creating", results);
    let read = read_one(CHECK, storage, &k).await.unwrap_or_default();
    assert_eq!(
        read["writer"],
        json!(winner.0),
        "[{CHECK}] the stored document is not the winner's"
    );
    assert_eq!(
        read[ETAG_FIELD],
        json!(winner.1),
        "[{CHECK}] the stored eTag is not the winner's"
    );

    // Everyone updates with the same eTag.
    let e = winner.1;
    let results = join_all((0..WRITERS).map(|i| {
        let (k, e) = (k.clone(), e.clone());
        async move {
            storage
                .write(StoreItems::from([(k, json!({"writer": i, ETAG_FIELD: e}))]))
                .await
        }
    }))
    .await;
    let winner = one_winner(CHECK, &k, "updating", results);
    let read = read_one(CHECK, storage, &k).await.unwrap_or_default();
    assert_eq!(
        read["writer"],
        json!(winner.0),
        "[{CHECK}] the stored document is not the winner's"
    );

    // Read-modify-write with retries loses nothing.
    let counter = keys.key("counter");
    let conflicts = AtomicUsize::new(0);
    join_all((0..8).map(|writer| {
        let (counter, conflicts) = (&counter, &conflicts);
        async move {
            for _ in 0..10 {
                increment(CHECK, storage, counter, &format!("w{writer}"), conflicts).await;
            }
        }
    }))
    .await;
    let read = read_one(CHECK, storage, &counter).await.unwrap_or_default();
    assert_eq!(
        read["total"],
        json!(80),
        "[{CHECK}] read-modify-write with eTags lost updates: {read}"
    );
    keys.clean(storage, &[&k, &counter]).await;
}

/// Two clients of one store (two bot instances) increment one counter through
/// read-modify-write with eTags, concurrently, each `updates_per_client` times, retrying
/// conflicts; no update may be lost. Returns how many conflicts were retried (a store that
/// serializes everything may have none; a shared store under contention has some).
///
/// ```
/// use std::sync::Arc;
/// use botbuilder_core::storage::MemoryStorage;
/// use botbuilder_core::testing::storage_conformance;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = MemoryStorage::new();
/// let conflicts = storage_conformance::no_lost_updates_across_clients(
///     Arc::new(store.clone()),
///     Arc::new(store),
///     20,
/// )
/// .await;
/// assert!(conflicts > 0);
/// # }
/// ```
///
/// # Panics
/// When an update is lost, a write fails other than by conflict, or an update needed more
/// than 10 000 attempts.
pub async fn no_lost_updates_across_clients(
    a: Arc<dyn Storage>,
    b: Arc<dyn Storage>,
    updates_per_client: usize,
) -> usize {
    const CHECK: &str = "no_lost_updates_across_clients";
    let keys = Keys::new(CHECK);
    let k = keys.key("counter");
    let conflicts = AtomicUsize::new(0);
    let client = |storage: Arc<dyn Storage>, name: &'static str| {
        let (k, conflicts) = (&k, &conflicts);
        async move {
            for _ in 0..updates_per_client {
                increment(CHECK, &*storage, k, name, conflicts).await;
            }
        }
    };
    futures::future::join(client(a.clone(), "a"), client(b, "b")).await;
    let read = read_one(CHECK, &*a, &k).await.unwrap_or_default();
    let n = updates_per_client;
    assert_eq!(
        (&read["total"], &read["a"], &read["b"]),
        (&json!(2 * n), &json!(n), &json!(n)),
        "[{CHECK}] updates were lost: {read}"
    );
    keys.clean(&*a, &[&k]).await;
    conflicts.into_inner()
}

/// Adds one to `total` and to `field` of the document under `key`, by read-modify-write with
/// its eTag, retrying conflicts.
async fn increment(
    check: &str,
    storage: &dyn Storage,
    key: &str,
    field: &str,
    conflicts: &AtomicUsize,
) {
    for _ in 0..10_000 {
        let mut doc = read_one(check, storage, key)
            .await
            .unwrap_or_else(new_document);
        for name in ["total", field] {
            doc[name] = json!(doc[name].as_u64().unwrap_or(0) + 1);
        }
        // Let the other writers run between the read and the write.
        tokio::task::yield_now().await;
        match storage
            .write(StoreItems::from([(key.to_owned(), doc)]))
            .await
        {
            Ok(_) => return,
            Err(Error::StorageConflict { key: conflict }) if conflict == key => {
                conflicts.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => panic!(
                "[{check}] read-modify-write on {key:?} failed: {}",
                report(&e)
            ),
        }
    }
    panic!("[{check}] an update of {key:?} conflicted 10 000 times in a row");
}

/// Checks that exactly one of concurrent writes succeeded and the others conflicted; returns
/// the winner's index and eTag.
#[track_caller]
fn one_winner(
    check: &str,
    key: &str,
    what: &str,
    results: Vec<Result<ETags, Error>>,
) -> (usize, String) {
    let mut winners = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(mut e_tags) => match e_tags.remove(key) {
                Some(e) => winners.push((i, e)),
                None => panic!("[{check}] a write returned no eTag for {key:?}"),
            },
            Err(Error::StorageConflict { key: conflict }) if conflict == key => {}
            Err(e) => panic!(
                "[{check}] {what} concurrently failed other than by conflict: {}",
                report(&e)
            ),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "[{check}] {what} concurrently with one eTag: {} writes succeeded, not exactly one",
        winners.len()
    );
    winners.remove(0)
}

#[track_caller]
fn expect_conflict(check: &str, key: &str, result: Result<ETags, Error>) {
    match result {
        Err(Error::StorageConflict { key: conflict }) if conflict == key => {}
        Err(Error::StorageConflict { key: conflict }) => {
            panic!("[{check}] the conflict names {conflict:?}, not {key:?}")
        }
        other => panic!("[{check}] expected a conflict on {key:?}, got {other:?}"),
    }
}

#[track_caller]
fn ok<T>(check: &str, what: &str, result: Result<T, Error>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("[{check}] {what} failed: {}", report(&e)),
    }
}

async fn write_one(check: &str, storage: &dyn Storage, key: &str, document: Value) -> String {
    let mut e_tags = ok(
        check,
        &format!("writing {key:?}"),
        storage
            .write(StoreItems::from([(key.to_owned(), document)]))
            .await,
    );
    match e_tags.remove(key) {
        Some(e) => e,
        None => panic!("[{check}] writing {key:?} returned no eTag for it: {e_tags:?}"),
    }
}

async fn read_one(check: &str, storage: &dyn Storage, key: &str) -> Option<Value> {
    let mut read = ok(
        check,
        &format!("reading {key:?}"),
        storage.read(&[key]).await,
    );
    let doc = read.remove(key);
    assert!(
        read.is_empty(),
        "[{check}] reading {key:?} also returned {:?}",
        read.keys()
    );
    doc
}

/// Keys under a prefix unique to this check in this run.
struct Keys {
    prefix: String,
}

impl Keys {
    fn new(check: &str) -> Self {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        Self {
            prefix: format!(
                "botbuilder-conformance/{check}/{nanos:x}-{}-{sequence}/",
                std::process::id()
            ),
        }
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }

    /// A key of exactly `length` characters: the prefix, `label`, then `fill`.
    fn long_key(&self, label: &str, fill: char, length: usize) -> String {
        let mut key = self.key(label);
        let missing = length.saturating_sub(key.chars().count());
        key.extend(std::iter::repeat_n(fill, missing));
        key
    }

    async fn clean(&self, storage: &dyn Storage, keys: &[&String]) {
        let keys: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
        // Best effort: a failure here is not what the check is about.
        if let Err(e) = storage.delete(&keys).await {
            tracing::warn!(error = %report(&e), prefix = %self.prefix, "could not clean up conformance keys");
        }
    }
}
