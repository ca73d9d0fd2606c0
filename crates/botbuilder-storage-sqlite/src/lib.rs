//! [`SqliteStorage`]: bot state in an embedded SQLite database file, the durable store of a
//! bot that runs as one process (or a few processes on one machine).
//!
//! - **Durable**: every write is committed to the file before it returns (`synchronous=FULL`
//!   in WAL mode), so state survives a crash or a restart.
//! - **Concurrent**: the database runs in WAL mode, so readers never wait for a writer; writers
//!   take the write lock up front (`BEGIN IMMEDIATE`) and wait for each other up to a busy
//!   timeout. Any number of tasks, [`SqliteStorage`] values and *processes* may share one
//!   file; eTags keep read-modify-write safe across all of them.
//! - **Async**: SQLite is a blocking library, so every operation runs on Tokio's blocking
//!   thread pool (`spawn_blocking`) over a small pool of connections. It needs a multi-thread
//!   or current-thread Tokio runtime.
//!
//! ```
//! use botbuilder_core::storage::{Storage, StoreItems};
//! use botbuilder_storage_sqlite::SqliteStorage;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_core::Error> {
//! # let dir = std::env::temp_dir().join(format!("botbuilder-sqlite-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("bot.db");
//! let store = SqliteStorage::open(&path).await?;
//! let e_tags = store
//!     .write(StoreItems::from([("emulator/users/ada".to_owned(), json!({"name": "Ada"}))]))
//!     .await?;
//!
//! // Another process, or the same bot after a restart, reads it back.
//! let reopened = SqliteStorage::open(&path).await?;
//! let read = reopened.read(&["emulator/users/ada"]).await?;
//! assert_eq!(read["emulator/users/ada"]["name"], "Ada");
//! assert_eq!(read["emulator/users/ada"]["eTag"], json!(e_tags["emulator/users/ada"]));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! One table (default `botbuilder_storage`, see [`SqliteStorageBuilder::table`]):
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS "botbuilder_storage" (
//!     key      TEXT PRIMARY KEY NOT NULL,  -- the storage key, verbatim
//!     e_tag    TEXT NOT NULL,              -- a random 128-bit hex string, new on every write
//!     document TEXT NOT NULL               -- the JSON object, without its eTag
//! )
//! ```
//!
//! # URLs
//!
//! [`SqliteStorage::open_url`] opens the store a `sqlite:` URL names (what
//! `botbuilder::storage::open` does with one): everything after `sqlite:` (and after `//`, if
//! present) is the file path, used as is (no percent-decoding, no options), so `sqlite:bot.db`
//! and `sqlite://bot.db` are `bot.db` relative to the working directory, and
//! `sqlite:///var/lib/bot/state.db` is the absolute path `/var/lib/bot/state.db`. In-memory
//! SQLite (`sqlite::memory:`) is not offered: a bot's state there would be lost on restart
//! (use `MemoryStorage`).
//!
//! A batch [`write`](Storage::write) or [`delete`](Storage::delete) runs in one transaction:
//! here a batch write *is* atomic (if one document conflicts, none is written), though the
//! [`Storage`] contract does not promise it.

#![warn(clippy::unwrap_used)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::Error;
use botbuilder_core::storage::backend::{
    WriteCondition, document_with_e_tag, parse_stored_body, prepare_write, random_e_tag, redact_url,
};
use botbuilder_core::storage::{ETags, Storage, StoreItems};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

/// The table documents are kept in unless [`SqliteStorageBuilder::table`] says otherwise.
pub const DEFAULT_TABLE: &str = "botbuilder_storage";

/// How long a writer waits for another writer (in this or another process) before failing,
/// unless [`SqliteStorageBuilder::busy_timeout`] says otherwise.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many idle connections a store keeps open, unless
/// [`SqliteStorageBuilder::max_idle_connections`] says otherwise.
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 8;

/// Why a `sqlite:` URL gave no store ([`SqliteStorage::open_url`]). The URL in it is as
/// written (a `sqlite:` URL holds no password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteUrlError {
    /// The URL is not a `sqlite:` URL naming a file.
    #[error("invalid sqlite url {url:?}: {reason}")]
    Malformed {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The URL names a file, but the store could not be opened there (missing directory,
    /// permissions, not an SQLite database).
    #[error("could not open the sqlite store at {url:?}")]
    Open {
        /// The URL.
        url: String,
        /// Why: an [`Error::Storage`].
        #[source]
        source: Error,
    },
}

/// A [`Storage`] in an SQLite database file. See the [crate docs](crate).
///
/// Cheap to clone: clones share connections. Two `SqliteStorage` values opened on the same
/// file, in one process or in several, are two clients of one store.
#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    table: String,
    busy_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Connection>>,
    /// Writers of this store take turns here rather than in SQLite's busy handler, which
    /// polls with sleeps; writers in other processes (or other stores on the same file)
    /// still meet in SQLite's lock.
    write_turn: Mutex<()>,
    sql: Sql,
}

/// The statements, with the table name in them.
struct Sql {
    select: String,
    upsert: String,
    insert_new: String,
    update_matching: String,
    delete: String,
}

/// Options for opening a [`SqliteStorage`]: `SqliteStorage::builder(path).table("state")
/// .open().await?`.
///
/// ```
/// use std::time::Duration;
/// use botbuilder_storage_sqlite::SqliteStorage;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// # let dir = std::env::temp_dir().join(format!("botbuilder-sqlite-builder-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let store = SqliteStorage::builder(dir.join("bot.db"))
///     .table("bot_state")
///     .busy_timeout(Duration::from_secs(30))
///     .open()
///     .await?;
/// assert_eq!(store.table(), "bot_state");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct SqliteStorageBuilder {
    path: PathBuf,
    table: String,
    busy_timeout: Duration,
    max_idle: usize,
}

impl SqliteStorageBuilder {
    /// The table to keep documents in (created if missing): ASCII letters, digits and `_`,
    /// not starting with a digit, at most 63 characters. Default [`DEFAULT_TABLE`].
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// How long a write waits for the database's write lock, held by another writer,
    /// before it fails with [`Error::Storage`]. Default [`DEFAULT_BUSY_TIMEOUT`].
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How many idle connections to keep open for reuse (more may be open while busy).
    /// Default [`DEFAULT_MAX_IDLE_CONNECTIONS`].
    pub fn max_idle_connections(mut self, n: usize) -> Self {
        self.max_idle = n;
        self
    }

    /// Opens (or creates) the database file, switches it to WAL mode, and creates the table
    /// if it is missing.
    ///
    /// # Errors
    /// [`Error::Storage`] when the table name is invalid, or the file cannot be opened or
    /// written (missing directory, permissions, not an SQLite database).
    pub async fn open(self) -> Result<SqliteStorage, Error> {
        check_table_name(&self.table)?;
        let sql = Sql::new(&self.table);
        let inner = Arc::new(Inner {
            path: self.path,
            table: self.table,
            busy_timeout: self.busy_timeout,
            max_idle: self.max_idle,
            idle: Mutex::new(Vec::new()),
            write_turn: Mutex::new(()),
            sql,
        });
        let store = SqliteStorage { inner };
        store
            .run("opening the sqlite database", |inner, conn| {
                let create = format!(
                    "CREATE TABLE IF NOT EXISTS \"{}\" (\
                     key TEXT PRIMARY KEY NOT NULL, \
                     e_tag TEXT NOT NULL, \
                     document TEXT NOT NULL)",
                    inner.table
                );
                conn.execute_batch(&create)
                    .map_err(|e| Error::storage("creating the sqlite table", e))
            })
            .await?;
        tracing::debug!(path = %store.inner.path.display(), table = %store.inner.table, "opened sqlite storage");
        Ok(store)
    }
}

impl SqliteStorage {
    /// Opens (or creates) the database at `path` with the default options: see
    /// [`SqliteStorageBuilder::open`].
    ///
    /// # Errors
    /// [`Error::Storage`] when the file cannot be opened, created or written.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder(path).open().await
    }

    /// Opens (or creates) the database a `sqlite:` URL names, with the default options (see
    /// the [crate docs](crate#urls) for the form).
    ///
    /// ```
    /// use botbuilder_storage_sqlite::{SqliteStorage, SqliteUrlError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), SqliteUrlError> {
    /// # let dir = std::env::temp_dir().join(format!("botbuilder-sqlite-url-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let url = format!("sqlite:{}", dir.join("bot.db").display());
    /// let store = SqliteStorage::open_url(&url).await?;
    /// assert!(store.path().ends_with("bot.db"));
    ///
    /// let err = SqliteStorage::open_url("sqlite::memory:").await.unwrap_err();
    /// assert!(matches!(err, SqliteUrlError::Malformed { .. }));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`SqliteUrlError::Malformed`] for a URL that names no file;
    /// [`SqliteUrlError::Open`] when the file cannot be opened, created or written.
    pub async fn open_url(url: &str) -> Result<Self, SqliteUrlError> {
        Self::builder_from_url(url)?
            .open()
            .await
            .map_err(|source| SqliteUrlError::Open {
                url: redact_url(url),
                source,
            })
    }

    /// Options for opening the database a `sqlite:` URL names, to set more before
    /// [`open`](SqliteStorageBuilder::open); nothing is opened yet.
    ///
    /// # Errors
    /// [`SqliteUrlError::Malformed`] for a URL that names no file.
    pub fn builder_from_url(url: &str) -> Result<SqliteStorageBuilder, SqliteUrlError> {
        let malformed = |reason| SqliteUrlError::Malformed {
            url: redact_url(url),
            reason,
        };
        let rest = match url.split_once(':') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("sqlite") => rest,
            _ => return Err(malformed("expected sqlite:PATH")),
        };
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path == ":memory:" {
            return Err(malformed(
                "in-memory sqlite is not offered: use `memory` for a store that is not kept",
            ));
        }
        if path.is_empty() {
            return Err(malformed(
                "no file path: use sqlite:bot.db or sqlite:///absolute/path.db",
            ));
        }
        Ok(Self::builder(path))
    }

    /// Options for opening the database at `path`.
    pub fn builder(path: impl AsRef<Path>) -> SqliteStorageBuilder {
        SqliteStorageBuilder {
            path: path.as_ref().to_owned(),
            table: DEFAULT_TABLE.to_owned(),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            max_idle: DEFAULT_MAX_IDLE_CONNECTIONS,
        }
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The table documents are kept in.
    #[must_use]
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    async fn run<T, F>(&self, context: &'static str, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Inner, &mut Connection) -> Result<T, Error> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.connection()?;
            let result = f(&inner, &mut conn);
            inner.give_back(conn);
            result
        })
        .await
        .map_err(|e| Error::storage(context, e))?
    }
}

impl Inner {
    fn connection(&self) -> Result<Connection, Error> {
        if let Some(conn) = lock(&self.idle).pop() {
            return Ok(conn);
        }
        self.connect()
            .map_err(|e| Error::storage("opening the sqlite database", e))
    }

    /// Opens a connection. Setting one up can meet `SQLITE_BUSY` that SQLite's busy handler
    /// does not wait out (another process recovering or checkpointing the write-ahead log
    /// while this one reads the journal mode), so a busy set-up is retried, with short
    /// jittered pauses, for up to the busy timeout.
    fn connect(&self) -> rusqlite::Result<Connection> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match self.try_connect() {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && started.elapsed() < self.busy_timeout =>
                {
                    // A blocking-pool thread: sleeping here holds no async worker.
                    std::thread::sleep(pause.mul_f64(0.5 + fastrand::f64()));
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    fn try_connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(self.busy_timeout)?;
        // WAL is a property of the file, so this is a no-op after the first connection;
        // it reports the mode in force.
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %self.path.display(), %mode, "sqlite database is not in WAL mode");
        }
        conn.execute_batch("PRAGMA synchronous=FULL")?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = lock(&self.idle);
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }
}

impl Sql {
    fn new(table: &str) -> Self {
        Self {
            select: format!("SELECT e_tag, document FROM \"{table}\" WHERE key = ?1"),
            upsert: format!(
                "INSERT INTO \"{table}\" (key, e_tag, document) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO UPDATE SET e_tag = excluded.e_tag, document = excluded.document"
            ),
            insert_new: format!(
                "INSERT INTO \"{table}\" (key, e_tag, document) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO NOTHING"
            ),
            update_matching: format!(
                "UPDATE \"{table}\" SET e_tag = ?2, document = ?3 WHERE key = ?1 AND e_tag = ?4"
            ),
            delete: format!("DELETE FROM \"{table}\" WHERE key = ?1"),
        }
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        if keys.is_empty() {
            return Ok(StoreItems::new());
        }
        let keys: Vec<String> = keys.iter().map(|&k| k.to_owned()).collect();
        self.run("reading from sqlite", move |inner, conn| {
            let failed = |e: rusqlite::Error| Error::storage("reading from sqlite", e);
            // One read transaction, so a batch sees one snapshot.
            let tx = conn.transaction().map_err(failed)?;
            let mut items = StoreItems::new();
            {
                let mut select = tx.prepare_cached(&inner.sql.select).map_err(failed)?;
                for key in keys {
                    let row = select
                        .query_row([&key], |row| {
                            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                        })
                        .optional()
                        .map_err(failed)?;
                    if let Some((e_tag, document)) = row {
                        let body = parse_stored_body(&key, &document)?;
                        items.insert(key, document_with_e_tag(body, e_tag));
                    }
                }
            }
            tx.finish().map_err(failed)?;
            Ok(items)
        })
        .await
    }

    async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
        if changes.is_empty() {
            return Ok(ETags::new());
        }
        let prepared = changes
            .into_iter()
            .map(|(key, document)| {
                let (body, condition) = prepare_write(&key, document)?;
                let json = Value::Object(body).to_string();
                Ok((key, json, condition))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        self.run("writing to sqlite", move |inner, conn| {
            let failed = |e: rusqlite::Error| Error::storage("writing to sqlite", e);
            let _turn = lock(&inner.write_turn);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(failed)?;
            let mut e_tags = ETags::new();
            for (key, json, condition) in prepared {
                let e_tag = random_e_tag();
                let written = match &condition {
                    WriteCondition::Any => tx
                        .prepare_cached(&inner.sql.upsert)
                        .and_then(|mut s| s.execute(params![key, e_tag, json])),
                    WriteCondition::Absent => tx
                        .prepare_cached(&inner.sql.insert_new)
                        .and_then(|mut s| s.execute(params![key, e_tag, json])),
                    WriteCondition::Matches(expected) => tx
                        .prepare_cached(&inner.sql.update_matching)
                        .and_then(|mut s| s.execute(params![key, e_tag, json, expected])),
                }
                .map_err(failed)?;
                if written != 1 {
                    // Dropping the transaction rolls the whole batch back.
                    return Err(Error::StorageConflict { key });
                }
                e_tags.insert(key, e_tag);
            }
            tx.commit().map_err(failed)?;
            Ok(e_tags)
        })
        .await
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = keys.iter().map(|&k| k.to_owned()).collect();
        self.run("deleting from sqlite", move |inner, conn| {
            let failed = |e: rusqlite::Error| Error::storage("deleting from sqlite", e);
            let _turn = lock(&inner.write_turn);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(failed)?;
            {
                let mut delete = tx.prepare_cached(&inner.sql.delete).map_err(failed)?;
                for key in &keys {
                    delete.execute([key]).map_err(failed)?;
                }
            }
            tx.commit().map_err(failed)
        })
        .await
    }
}

impl fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.inner.path)
            .field("table", &self.inner.table)
            .finish_non_exhaustive()
    }
}

fn check_table_name(table: &str) -> Result<(), Error> {
    let mut chars = table.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && table.len() <= 63;
    if valid {
        Ok(())
    } else {
        Err(Error::storage(
            "configuring sqlite storage",
            format!(
                "invalid table name {table:?}: use ASCII letters, digits and `_` \
                 (not first), at most 63 characters"
            ),
        ))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while these locks are held; a poisoned one still guards whole data.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_file() {
        let path = |url: &str| SqliteStorage::builder_from_url(url).unwrap().path;
        assert_eq!(path("sqlite:bot.db"), Path::new("bot.db"));
        assert_eq!(path("sqlite://bot.db"), Path::new("bot.db"));
        assert_eq!(
            path("sqlite:///var/lib/bot.db"),
            Path::new("/var/lib/bot.db")
        );
        assert_eq!(path("SQLite:data/a b?.db"), Path::new("data/a b?.db"));
        for bad in [
            "sqlite:",
            "sqlite://",
            "sqlite::memory:",
            "bot.db",
            "redis://h/0",
        ] {
            let e = SqliteStorage::builder_from_url(bad).unwrap_err();
            assert!(matches!(e, SqliteUrlError::Malformed { .. }), "{bad}: {e}");
        }
        assert_eq!(
            SqliteStorage::builder_from_url("sqlite:")
                .unwrap_err()
                .to_string(),
            "invalid sqlite url \"sqlite:\": no file path: use sqlite:bot.db or \
             sqlite:///absolute/path.db"
        );
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_created_is_an_open_error() {
        let url = "sqlite:/nonexistent-dir-botbuilder/x/bot.db";
        let e = SqliteStorage::open_url(url).await.unwrap_err();
        assert!(
            matches!(&e, SqliteUrlError::Open { url: shown, source: Error::Storage { .. } } if shown == url),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "could not open the sqlite store at \"sqlite:/nonexistent-dir-botbuilder/x/bot.db\""
        );
    }

    #[test]
    fn table_names_are_checked() {
        for ok in ["botbuilder_storage", "_t", "T1", &"a".repeat(63)] {
            assert!(check_table_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1t",
            "a-b",
            "a b",
            "t\"; DROP TABLE x; --",
            "ü",
            &"a".repeat(64),
        ] {
            let e = check_table_name(bad).unwrap_err();
            let shown = botbuilder_core::error::report(&e).to_string();
            assert!(shown.contains("invalid table name"), "{shown}");
        }
    }
}
