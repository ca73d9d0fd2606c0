//! The storage conformance suite on SQLite, plus what is particular to a file: two stores on
//! one file are two clients, and documents survive reopening.

use std::path::PathBuf;
use std::sync::Arc;

use botbuilder_core::Error;
use botbuilder_core::storage::{Storage, StoreItems};
use botbuilder_core::testing::storage_conformance;
use botbuilder_storage_sqlite::SqliteStorage;
use serde_json::json;

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "botbuilder-sqlite-{name}-{}-{:x}",
            std::process::id(),
            nanos_now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn nanos_now() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = TempDir::new("conformance");
    let store = SqliteStorage::open(dir.file("bot.db")).await.unwrap();
    storage_conformance::run_all(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_lost_updates_across_two_stores_on_one_file() {
    let dir = TempDir::new("two-clients");
    let path = dir.file("bot.db");
    let a = SqliteStorage::open(&path).await.unwrap();
    let b = SqliteStorage::open(&path).await.unwrap();
    let conflicts =
        storage_conformance::no_lost_updates_across_clients(Arc::new(a), Arc::new(b), 100).await;
    eprintln!("sqlite, two stores on one file: {conflicts} conflicts retried");
}

#[tokio::test]
async fn documents_survive_reopening() {
    let dir = TempDir::new("reopen");
    let path = dir.file("bot.db");
    let e_tags = {
        let store = SqliteStorage::open(&path).await.unwrap();
        store
            .write(StoreItems::from([(
                "msteams/conversations/a:1".to_owned(),
                json!({"count": 3}),
            )]))
            .await
            .unwrap()
    };
    let store = SqliteStorage::open(&path).await.unwrap();
    let read = store.read(&["msteams/conversations/a:1"]).await.unwrap();
    assert_eq!(
        read["msteams/conversations/a:1"],
        json!({"count": 3, "eTag": e_tags["msteams/conversations/a:1"]})
    );
}

#[tokio::test]
async fn tables_are_separate_and_the_file_is_in_wal_mode() {
    let dir = TempDir::new("tables");
    let path = dir.file("bot.db");
    let a = SqliteStorage::open(&path).await.unwrap();
    let b = SqliteStorage::builder(&path)
        .table("other_bot")
        .open()
        .await
        .unwrap();
    assert_eq!((a.table(), b.table()), ("botbuilder_storage", "other_bot"));
    a.write(StoreItems::from([("k".to_owned(), json!({"bot": "a"}))]))
        .await
        .unwrap();
    assert!(b.read(&["k"]).await.unwrap().is_empty());

    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let stored: String = conn
        .query_row(
            "SELECT document FROM botbuilder_storage WHERE key = 'k'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        stored, r#"{"bot":"a"}"#,
        "the eTag is not stored in the document"
    );
}

#[tokio::test]
async fn a_batch_that_conflicts_writes_nothing() {
    let dir = TempDir::new("batch");
    let store = SqliteStorage::open(dir.file("bot.db")).await.unwrap();
    store
        .write(StoreItems::from([("a".to_owned(), json!({"v": 1}))]))
        .await
        .unwrap();
    let err = store
        .write(StoreItems::from([
            ("a".to_owned(), json!({"v": 2, "eTag": "stale"})),
            ("b".to_owned(), json!({"v": 2})),
        ]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StorageConflict { ref key } if key == "a"));
    assert!(store.read(&["b"]).await.unwrap().is_empty());
}

#[tokio::test]
async fn errors_name_what_failed() {
    let dir = TempDir::new("errors");
    let missing_dir = dir.file("no/such/dir/bot.db");
    let err = SqliteStorage::open(&missing_dir).await.unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("storage failed while opening the sqlite database"),
        "{err}"
    );

    let err = SqliteStorage::builder(dir.file("bot.db"))
        .table("bad name")
        .open()
        .await
        .unwrap_err();
    let shown = botbuilder_core::error::report(&err).to_string();
    assert!(shown.contains("invalid table name \"bad name\""), "{shown}");

    // A file that is not a database.
    let not_db = dir.file("not.db");
    std::fs::write(&not_db, vec![b'x'; 4096]).unwrap();
    let err = SqliteStorage::open(&not_db).await.unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
}

#[tokio::test]
async fn a_damaged_document_is_an_error_naming_its_key_and_others_still_read() {
    let dir = TempDir::new("damaged");
    let path = dir.file("bot.db");
    let store = SqliteStorage::open(&path).await.unwrap();
    store
        .write(StoreItems::from([
            ("bad".to_owned(), json!({"v": 1})),
            ("good".to_owned(), json!({"v": 2})),
        ]))
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (text, reason) in [
        ("{\"v\":", "not valid JSON"),
        ("[1,2]", "an array, not a JSON object"),
    ] {
        conn.execute(
            "UPDATE botbuilder_storage SET document = ?1 WHERE key = 'bad'",
            [text],
        )
        .unwrap();
        let err = store.read(&["bad"]).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidDocument { ref key, .. } if key == "bad"),
            "{err:?}"
        );
        assert!(err.to_string().contains(reason), "{err}");
        assert_eq!(store.read(&["good"]).await.unwrap()["good"]["v"], 2);
    }
}
