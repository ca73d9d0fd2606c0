//! [`PostgresStorage`]: bot state in PostgreSQL, shared by every instance of a bot.
//!
//! Run several instances of a bot behind a load balancer and point them all at one
//! database: each conditional write is **one SQL statement** whose `WHERE` (or
//! `ON CONFLICT`) clause checks the eTag, so the server decides atomically which of two
//! concurrent writers wins; the other gets
//! [`Error::StorageConflict`] and retries.
//!
//! - Async, over a pool of connections (`deadpool-postgres` on `tokio-postgres`). Clones
//!   share the pool.
//! - The table is created on first use, if missing (see [`PostgresStorageBuilder::table`]
//!   and [`PostgresStorageBuilder::create_table`]).
//! - TLS with libpq's `sslmode` (`verify-full` for Azure Database for PostgreSQL and any
//!   database across a network): see [TLS](#tls).
//!
//! ```no_run
//! use botbuilder_core::storage::{Storage, StoreItems};
//! use botbuilder_storage_postgres::PostgresStorage;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_core::Error> {
//! let store = PostgresStorage::builder("postgres://bot:secret@127.0.0.1/bot")
//!     .table("echo_bot_state")
//!     .connect()
//!     .await?;
//! store
//!     .write(StoreItems::from([("emulator/users/ada".to_owned(), json!({"name": "Ada"}))]))
//!     .await?;
//! let read = store.read(&["emulator/users/ada"]).await?;
//! assert_eq!(read["emulator/users/ada"]["name"], "Ada");
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS "botbuilder_storage" (
//!     key        text COLLATE "C" PRIMARY KEY,      -- the storage key, verbatim
//!     e_tag      text NOT NULL,                     -- random 128-bit hex, new on every write
//!     document   json NOT NULL,                     -- the JSON object, without its eTag
//!     updated_at timestamptz NOT NULL DEFAULT now() -- when it was last written
//! )
//! ```
//!
//! Documents are stored as `json`, not `jsonb`: `jsonb` cannot hold the character U+0000 in
//! a string, and it rewrites numbers (a float `1e10` reads back as the integer
//! `10000000000`), so documents would not read back as written. `json` keeps the exact text;
//! its operators (`document->>'count'`) and `document::jsonb` (for indexing or queries)
//! work on every document without U+0000 in it.
//!
//! Limits of PostgreSQL's `text`: a key cannot contain U+0000 (such a key is never found,
//! and writing it is [`Error::InvalidDocument`]),
//! and an index entry holds at most about 2 700 bytes, so a key longer than that (1 000
//! four-byte characters) is refused by the server.
//!
//! A batch write runs in one transaction: here a batch *is* atomic (if one document
//! conflicts, none is written), though the [`Storage`] contract does not promise it.
//!
//! # Turn ordering across instances
//!
//! A `PostgresStorage` is also a [`ConversationLock`](botbuilder_core::ConversationLock):
//! with [`TurnOrdering::Distributed`](botbuilder_core::TurnOrdering::Distributed), turns of
//! one conversation run one at a time across every instance sharing the database.
//!
//! ```no_run
//! use botbuilder_core::{TurnLeases, TurnOrdering};
//! use botbuilder_storage_postgres::PostgresStorage;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_core::Error> {
//! let store = PostgresStorage::connect("postgres://bot:secret@127.0.0.1/bot").await?;
//! let ordering = TurnOrdering::Distributed(TurnLeases::new(store.clone()));
//! // CloudAdapter::builder(&config).turn_ordering(ordering), or TurnPipeline::with_turn_ordering
//! # let _ = ordering;
//! # Ok(())
//! # }
//! ```
//!
//! Leases and the line of waiting turns are rows of a table beside the documents' table,
//! `{table}_turns` (the table's name cut to 48 characters), with a function that takes a
//! lease, both created on first use (unless
//! [`create_table(false)`](PostgresStorageBuilder::create_table): then create them yourself):
//!
//! ```sql
//! CREATE UNLOGGED TABLE IF NOT EXISTS "botbuilder_storage_turns" (
//!     key        text COLLATE "C" NOT NULL,             -- the conversation key
//!     token      text COLLATE "C" NOT NULL,             -- one turn's random token
//!     holds      boolean NOT NULL,                      -- the holder, or a place in line
//!     arrival    bigint GENERATED ALWAYS AS IDENTITY,   -- the order of the line
//!     expires_at timestamptz NOT NULL,                  -- by the server's clock
//!     PRIMARY KEY (key, token));
//! CREATE UNIQUE INDEX IF NOT EXISTS "botbuilder_storage_turns_holder"
//!     ON "botbuilder_storage_turns" (key) WHERE holds;
//! -- Takes the lease, or keeps the place in line: one round trip.
//! CREATE OR REPLACE FUNCTION "botbuilder_storage_turns_acquire"(p_key text, p_token text, p_ttl_ms float8)
//! RETURNS boolean LANGUAGE plpgsql AS $fn$
//! DECLARE
//!     v_first text;
//!     v_until timestamptz := clock_timestamp() + p_ttl_ms * interval '1 millisecond';
//! BEGIN
//!     PERFORM pg_advisory_xact_lock(hashtext('botbuilder-turn'), hashtext(p_key));
//!     DELETE FROM "botbuilder_storage_turns" WHERE key = p_key AND expires_at < clock_timestamp();
//!     SELECT token INTO v_first FROM "botbuilder_storage_turns" WHERE key = p_key
//!         ORDER BY holds DESC, arrival LIMIT 1;
//!     IF v_first IS NULL OR v_first = p_token THEN
//!         INSERT INTO "botbuilder_storage_turns" (key, token, holds, expires_at)
//!             VALUES (p_key, p_token, true, v_until)
//!             ON CONFLICT (key, token) DO UPDATE
//!             SET holds = true, expires_at = EXCLUDED.expires_at;
//!         RETURN true;
//!     END IF;
//!     INSERT INTO "botbuilder_storage_turns" (key, token, holds, expires_at)
//!         VALUES (p_key, p_token, false, v_until)
//!         ON CONFLICT (key, token) DO UPDATE SET expires_at = EXCLUDED.expires_at;
//!     RETURN false;
//! END
//! $fn$;
//! ```
//!
//! Why rows with an expiry rather than session advisory locks (`pg_advisory_lock`): a session
//! lock belongs to a connection, so every running or waiting turn would hold a pooled
//! connection for its whole length (the turn's own state reads then wait for the pool, and
//! at `max_connections` waiting turns the pool deadlocks); and a lock held by an instance
//! that hangs without dropping its connection never lapses. Rows expire by the server's
//! clock, and taking a lease holds a connection only for one statement (a transaction-scoped
//! advisory lock serializes the asks for one conversation).
//!
//! The table is `UNLOGGED`: leases live seconds, and writing them to the WAL would make every
//! turn wait for two more disk flushes. The price: after the server crashes, or on a
//! standby promoted after a failover, the table starts empty, so a turn running at that
//! moment may overlap the next one of its conversation (storage eTags still catch a
//! conflicting write).
//!
//! # URLs
//!
//! [`PostgresStorage::connect_url`] connects to the store a URL names, with its options (what
//! `botbuilder::storage::open` does with a `postgres://` URL):
//! `postgres://user:password@host[:port]/dbname[?table=T&max_connections=N&sslmode=M&sslrootcert=PATH]`
//! (or `postgresql://`). `table` is the table to use, `name` or `schema.name` (default
//! [`DEFAULT_TABLE`]), created if missing; `max_connections` sizes the pool (default
//! [`DEFAULT_MAX_CONNECTIONS`]); `sslmode` and `sslrootcert` as libpq's (see [TLS](#tls)).
//! Option values are percent-decoded; other query parameters (such as `connect_timeout`,
//! `application_name`) go to `tokio-postgres`. Errors never show the URL's password.
//!
//! # TLS
//!
//! `sslmode` ([`SslMode`], [`PostgresStorageBuilder::ssl_mode`]) works as libpq's, on rustls:
//!
//! | `sslmode` | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (default) | when the server offers it | no (as `verify-ca` with `sslrootcert`) |
//! | `require` | always | no (as `verify-ca` with `sslrootcert`) |
//! | `verify-ca` | always | signed by a trusted CA |
//! | `verify-full` | always | signed by a trusted CA and valid for the host name |
//!
//! The trusted certificate authorities are Mozilla's (the `webpki-roots` crate, as reqwest
//! here uses), or those in the PEM file `sslrootcert` names
//! ([`PostgresStorageBuilder::ssl_root_cert_file`]) instead: libpq's default
//! `~/.postgresql/root.crt` is not read, nor are client certificates (`sslcert`, `sslkey`)
//! supported. A refused certificate fails with an [`Error::Storage`] whose source is a
//! [`TlsCertificateError`] saying why (unknown issuer, wrong host name, expired); from a URL,
//! with [`PostgresUrlError::Tls`].
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_storage_postgres::PostgresUrlError> {
//! // Azure Database for PostgreSQL: its certificate chains to a root Mozilla trusts.
//! let azure = "postgres://bot:secret@mybot.postgres.database.azure.com/bot?sslmode=verify-full";
//! let store = botbuilder_storage_postgres::PostgresStorage::connect_url(azure).await?;
//! // A server with a certificate from a private CA.
//! let private = "postgres://bot:secret@db.internal/bot?sslmode=verify-full&sslrootcert=/etc/bot/db-ca.pem";
//! let other = botbuilder_storage_postgres::PostgresStorage::connect_url(private).await?;
//! # let _ = (store, other);
//! # Ok(())
//! # }
//! ```

#![warn(clippy::unwrap_used)]

mod lease;
mod tls;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::Error;
use botbuilder_core::storage::backend::{
    TlsCertificateError, WriteCondition, document_with_e_tag, parse_stored_body, prepare_write,
    random_e_tag, redact_url, split_url_options,
};
use botbuilder_core::storage::{ETags, Storage, StoreItems};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use serde_json::Value;

pub use botbuilder_core::storage::backend::CertificateProblem;
pub use tls::{SslMode, UnknownSslMode};

/// The table documents are kept in unless [`PostgresStorageBuilder::table`] says otherwise.
pub const DEFAULT_TABLE: &str = "botbuilder_storage";

/// The most connections a store opens at once, unless
/// [`PostgresStorageBuilder::max_connections`] says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;

/// How long connecting, or waiting for a free pooled connection, may take, unless
/// [`PostgresStorageBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a `postgres://` URL gave no store ([`PostgresStorage::connect_url`]). The URL in it
/// has its password replaced by `***`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresUrlError {
    /// The URL is not a `postgres://` URL, or an option has a bad value.
    #[error("invalid postgres url {url:?}: {reason}")]
    Malformed {
        /// The URL, password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL was understood, but the server could not be reached, refused the
    /// credentials, or the table could not be created.
    #[error("could not connect to the postgres store at {url:?}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// Why: an [`Error::Storage`].
        #[source]
        source: Error,
    },
    /// The server's TLS certificate was refused (`sslmode=verify-ca` or `verify-full`): not
    /// signed by a trusted certificate authority (set `sslrootcert`), not for this host
    /// name, or expired.
    #[error("the TLS certificate of the postgres store at {url:?} was refused: {problem}")]
    Tls {
        /// The URL, password hidden.
        url: String,
        /// Why the certificate was refused.
        problem: CertificateProblem,
        /// An [`Error::Storage`] whose source is the [`TlsCertificateError`].
        #[source]
        source: Error,
    },
}

/// A [`Storage`] in a PostgreSQL table. See the [crate docs](crate).
///
/// Cheap to clone: clones share the connection pool. Two `PostgresStorage` values connected
/// separately are two clients of one store, as two bot instances are.
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    inner: Arc<Inner>,
}

struct Inner {
    table: String,
    sql: Sql,
    /// Whether missing tables are created (the turn lease table too, on first use).
    create_table: bool,
    /// The turn lease statements, once the lease table is known to exist.
    leases: tokio::sync::OnceCell<lease::LeaseSql>,
}

struct Sql {
    select: String,
    upsert: String,
    insert_new: String,
    update_matching: String,
    delete: String,
}

/// Options for connecting a [`PostgresStorage`]:
/// `PostgresStorage::builder(url).table("bot_state").connect().await?`.
///
/// ```no_run
/// use botbuilder_storage_postgres::PostgresStorage;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let store = PostgresStorage::builder("host=127.0.0.1 user=bot password=secret dbname=bot")
///     .table("bots.echo_state")
///     .max_connections(32)
///     .connect()
///     .await?;
/// assert_eq!(store.table(), "bots.echo_state");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
#[must_use]
pub struct PostgresStorageBuilder {
    url: String,
    table: String,
    max_connections: usize,
    timeout: Duration,
    create_table: bool,
    ssl_mode: Option<SslMode>,
    ssl_root_cert: Option<RootCert>,
}

/// Where the certificate authorities to trust come from.
#[derive(Clone)]
enum RootCert {
    File(PathBuf),
    Pem(Arc<[u8]>),
}

impl PostgresStorageBuilder {
    /// The table to keep documents in, optionally schema-qualified (`schema.table`): each
    /// part ASCII letters, digits and `_`, not starting with a digit, at most 63 characters,
    /// used as written (quoted, so case matters). Default [`DEFAULT_TABLE`].
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The most connections the pool opens at once. Default [`DEFAULT_MAX_CONNECTIONS`].
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long connecting, or waiting for a pooled connection, may take before an
    /// operation fails with [`Error::Storage`]. Default [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether [`connect`](Self::connect) creates the table when it is missing (default
    /// `true`). Turn it off when migrations are run separately and the bot's database user
    /// may not create tables; the crate docs show the table.
    pub fn create_table(mut self, create: bool) -> Self {
        self.create_table = create;
        self
    }

    /// How the connection uses TLS and checks the server's certificate (see the
    /// [crate docs](crate#tls)). Default: the `sslmode` in a key-value connection string
    /// (`disable`, `prefer` or `require`), else [`SslMode::Prefer`]. The URL option
    /// `sslmode=` sets it too.
    pub fn ssl_mode(mut self, mode: SslMode) -> Self {
        self.ssl_mode = Some(mode);
        self
    }

    /// Trust the certificate authorities in this PEM file (read when connecting) instead of
    /// Mozilla's roots: for a server whose certificate comes from a private CA. The URL
    /// option `sslrootcert=PATH` sets it too.
    pub fn ssl_root_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_root_cert = Some(RootCert::File(path.into()));
        self
    }

    /// Trust the certificate authorities in this PEM text instead of Mozilla's roots.
    pub fn ssl_root_cert_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ssl_root_cert = Some(RootCert::Pem(pem.into().into()));
        self
    }

    /// Connects (checking the URL, the server and the credentials with one connection) and
    /// creates the table if it is missing.
    ///
    /// # Errors
    /// [`Error::Storage`] when the URL or table name is invalid, the root certificate file
    /// cannot be read, the server cannot be reached, refuses the credentials, or the table
    /// cannot be created; its source is a [`TlsCertificateError`] when the server's TLS
    /// certificate is refused.
    pub async fn connect(self) -> Result<PostgresStorage, Error> {
        let table = quote_table_name(&self.table)?;
        let mut config: tokio_postgres::Config = self
            .url
            .parse()
            .map_err(|e| Error::storage("reading the postgres url", e))?;
        let ssl_mode = self
            .ssl_mode
            .unwrap_or_else(|| tls::from_driver_mode(config.get_ssl_mode()));
        config.ssl_mode(tls::driver_mode(ssl_mode));
        let root_pem = match &self.ssl_root_cert {
            None => None,
            Some(RootCert::Pem(pem)) => Some(pem.to_vec()),
            Some(RootCert::File(path)) => Some(tokio::fs::read(path).await.map_err(|e| {
                Error::storage(
                    format!("reading the postgres sslrootcert {}", path.display()),
                    e,
                )
            })?),
        };
        let tls = tls::connector(ssl_mode, root_pem.as_deref())?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("botbuilder");
        }
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(self.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(self.timeout))
            .create_timeout(Some(self.timeout))
            .build()
            .map_err(|e| Error::storage("creating the postgres connection pool", e))?;
        let store = PostgresStorage {
            pool,
            inner: Arc::new(Inner {
                sql: Sql::new(&table),
                table: self.table,
                create_table: self.create_table,
                leases: tokio::sync::OnceCell::new(),
            }),
        };
        let mut client = store.client().await?;
        if self.create_table {
            let failed = |e| Error::storage("creating the postgres table", e);
            // Concurrent `CREATE TABLE IF NOT EXISTS` can fail in PostgreSQL; instances
            // starting together take turns.
            let tx = client.transaction().await.map_err(failed)?;
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))",
                &[&format!("botbuilder-storage {table}")],
            )
            .await
            .map_err(failed)?;
            tx.batch_execute(&create_table_sql(&table))
                .await
                .map_err(failed)?;
            tx.commit().await.map_err(failed)?;
        }
        tracing::debug!(table = %store.inner.table, "connected postgres storage");
        Ok(store)
    }
}

impl fmt::Debug for PostgresStorageBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: it is not shown.
        f.debug_struct("PostgresStorageBuilder")
            .field("table", &self.table)
            .field("max_connections", &self.max_connections)
            .field("timeout", &self.timeout)
            .field("create_table", &self.create_table)
            .field("ssl_mode", &self.ssl_mode)
            .field("custom_root_cert", &self.ssl_root_cert.is_some())
            .finish_non_exhaustive()
    }
}

impl PostgresStorage {
    /// Connects to the database at `url` with the default options: see
    /// [`PostgresStorageBuilder::connect`].
    ///
    /// # Errors
    /// [`Error::Storage`] when the URL is invalid, the server cannot be reached, or the table
    /// cannot be created.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::builder(url).connect().await
    }

    /// Connects to the store a `postgres://` URL names, with the `table` and
    /// `max_connections` options the URL may carry (see the [crate docs](crate#urls)), and
    /// creates the table if it is missing.
    ///
    /// ```no_run
    /// use botbuilder_storage_postgres::{PostgresStorage, PostgresUrlError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), PostgresUrlError> {
    /// let store = PostgresStorage::connect_url("postgres://bot:secret@127.0.0.1/bot?table=echo_state").await?;
    /// assert_eq!(store.table(), "echo_state");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`PostgresUrlError::Malformed`] for a URL that is not a `postgres://` URL or has a bad
    /// option; [`PostgresUrlError::Tls`] when the server's TLS certificate is refused;
    /// [`PostgresUrlError::Connect`] when the server cannot be reached, refuses the
    /// credentials, or the table cannot be created.
    pub async fn connect_url(url: &str) -> Result<Self, PostgresUrlError> {
        Self::builder_from_url(url)?
            .connect()
            .await
            .map_err(|source| match TlsCertificateError::find(&source) {
                Some(refused) => PostgresUrlError::Tls {
                    url: redact_url(url),
                    problem: refused.problem(),
                    source,
                },
                None => PostgresUrlError::Connect {
                    url: redact_url(url),
                    source,
                },
            })
    }

    /// Options for connecting to the store a `postgres://` URL names, read from the URL (see
    /// the [crate docs](crate#urls)), to set more before
    /// [`connect`](PostgresStorageBuilder::connect); nothing is connected yet.
    ///
    /// ```
    /// use botbuilder_storage_postgres::PostgresStorage;
    ///
    /// let builder = PostgresStorage::builder_from_url("postgres://bot@127.0.0.1/bot?table=s.t")?
    ///     .create_table(false);
    /// # let _ = builder;
    /// assert!(PostgresStorage::builder_from_url("postgres:///bot").is_err());
    /// # Ok::<(), botbuilder_storage_postgres::PostgresUrlError>(())
    /// ```
    ///
    /// # Errors
    /// [`PostgresUrlError::Malformed`] for a URL that is not a `postgres://` URL or has a bad
    /// option.
    pub fn builder_from_url(url: &str) -> Result<PostgresStorageBuilder, PostgresUrlError> {
        let malformed = |reason: String| PostgresUrlError::Malformed {
            url: redact_url(url),
            reason,
        };
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("postgres" | "postgresql")) {
            return Err(malformed(
                "expected postgres://user:password@host[:port]/dbname".to_owned(),
            ));
        }
        check_server_url(url)?;
        let (driver_url, options) =
            split_url_options(url, &["table", "max_connections", "sslmode", "sslrootcert"]);
        let mut builder = Self::builder(driver_url);
        for (name, value) in options {
            if name == "table" {
                builder = builder.table(value);
            } else if name == "sslmode" {
                builder = builder.ssl_mode(
                    value
                        .parse()
                        .map_err(|e: UnknownSslMode| malformed(e.to_string()))?,
                );
            } else if name == "sslrootcert" {
                if value.is_empty() {
                    return Err(malformed("sslrootcert needs a file path".to_owned()));
                }
                builder = builder.ssl_root_cert_file(value);
            } else {
                let n: usize = value.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    malformed(format!(
                        "max_connections must be a positive whole number, not {value:?}"
                    ))
                })?;
                builder = builder.max_connections(n);
            }
        }
        Ok(builder)
    }

    /// Options for connecting to the database at `url`, in either form `tokio-postgres`
    /// accepts: `postgres://user:password@host:port/dbname?options` or
    /// `host=... user=... password=... dbname=...`, passed to it as is: for a URL with this
    /// crate's options, see [`PostgresStorage::builder_from_url`].
    pub fn builder(url: impl Into<String>) -> PostgresStorageBuilder {
        PostgresStorageBuilder {
            url: url.into(),
            table: DEFAULT_TABLE.to_owned(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            timeout: DEFAULT_TIMEOUT,
            create_table: true,
            ssl_mode: None,
            ssl_root_cert: None,
        }
    }

    /// The table documents are kept in, as given to [`PostgresStorageBuilder::table`].
    #[must_use]
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, Error> {
        self.pool
            .get()
            .await
            .map_err(|e| match tls::certificate_problem(&e) {
                Some(problem) => Error::storage(
                    "connecting to postgres",
                    TlsCertificateError::new(problem, e),
                ),
                None => Error::storage("connecting to postgres", e),
            })
    }
}

impl Sql {
    fn new(table: &str) -> Self {
        Self {
            select: format!(
                "SELECT key, e_tag, document::text FROM {table} WHERE key = ANY($1::text[])"
            ),
            upsert: format!(
                "INSERT INTO {table} (key, e_tag, document, updated_at) \
                 VALUES ($1, $2, $3::text::json, now()) \
                 ON CONFLICT (key) DO UPDATE SET e_tag = EXCLUDED.e_tag, \
                 document = EXCLUDED.document, updated_at = EXCLUDED.updated_at"
            ),
            insert_new: format!(
                "INSERT INTO {table} (key, e_tag, document, updated_at) \
                 VALUES ($1, $2, $3::text::json, now()) ON CONFLICT (key) DO NOTHING"
            ),
            update_matching: format!(
                "UPDATE {table} SET e_tag = $2, document = $3::text::json, updated_at = now() \
                 WHERE key = $1 AND e_tag = $4"
            ),
            delete: format!("DELETE FROM {table} WHERE key = ANY($1::text[])"),
        }
    }
}

/// The statement that creates the table (used by [`PostgresStorageBuilder::connect`]).
fn create_table_sql(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (\
         key text COLLATE \"C\" PRIMARY KEY, \
         e_tag text NOT NULL, \
         document json NOT NULL, \
         updated_at timestamptz NOT NULL DEFAULT now())"
    )
}

/// Writes one document under its condition, in one statement; `Ok(false)` on a conflict.
async fn write_one(
    client: &impl GenericClient,
    sql: &Sql,
    key: &str,
    e_tag: &str,
    json: &str,
    condition: &WriteCondition,
) -> Result<bool, tokio_postgres::Error> {
    let written = match condition {
        WriteCondition::Any => {
            let statement = client.prepare_cached(&sql.upsert).await?;
            client.execute(&statement, &[&key, &e_tag, &json]).await?
        }
        WriteCondition::Absent => {
            let statement = client.prepare_cached(&sql.insert_new).await?;
            client.execute(&statement, &[&key, &e_tag, &json]).await?
        }
        WriteCondition::Matches(expected) => {
            let statement = client.prepare_cached(&sql.update_matching).await?;
            client
                .execute(&statement, &[&key, &e_tag, &json, expected])
                .await?
        }
    };
    Ok(written == 1)
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        // A key PostgreSQL cannot hold is never stored.
        let keys: Vec<&str> = keys.iter().copied().filter(|k| storable(k)).collect();
        if keys.is_empty() {
            return Ok(StoreItems::new());
        }
        let failed = |e| Error::storage("reading from postgres", e);
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.inner.sql.select)
            .await
            .map_err(failed)?;
        let rows = client.query(&statement, &[&keys]).await.map_err(failed)?;
        let mut items = StoreItems::new();
        for row in rows {
            let key: String = row.try_get(0).map_err(failed)?;
            let e_tag: String = row.try_get(1).map_err(failed)?;
            let document: String = row.try_get(2).map_err(failed)?;
            let body = parse_stored_body(&key, &document)?;
            items.insert(key, document_with_e_tag(body, e_tag));
        }
        Ok(items)
    }

    async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
        if changes.is_empty() {
            return Ok(ETags::new());
        }
        let mut prepared = Vec::with_capacity(changes.len());
        for (key, document) in changes {
            let (body, condition) = prepare_write(&key, document)?;
            if !storable(&key) {
                return Err(Error::InvalidDocument {
                    key,
                    reason: "postgres text cannot hold U+0000, so this key cannot be stored"
                        .to_owned(),
                });
            }
            prepared.push((key, Value::Object(body).to_string(), condition));
        }
        let failed = |e| Error::storage("writing to postgres", e);
        let mut client = self.client().await?;
        let mut e_tags = ETags::new();
        if let [(key, json, condition)] = prepared.as_slice() {
            let e_tag = random_e_tag();
            if !write_one(&client, &self.inner.sql, key, &e_tag, json, condition)
                .await
                .map_err(failed)?
            {
                return Err(Error::StorageConflict { key: key.clone() });
            }
            e_tags.insert(key.clone(), e_tag);
            return Ok(e_tags);
        }
        // Keys come sorted (a BTreeMap), so concurrent batches lock rows in one order and
        // cannot deadlock.
        let tx = client.transaction().await.map_err(failed)?;
        for (key, json, condition) in prepared {
            let e_tag = random_e_tag();
            if !write_one(&tx, &self.inner.sql, &key, &e_tag, &json, &condition)
                .await
                .map_err(failed)?
            {
                // Dropping the transaction rolls the whole batch back.
                return Err(Error::StorageConflict { key });
            }
            e_tags.insert(key, e_tag);
        }
        tx.commit().await.map_err(failed)?;
        Ok(e_tags)
    }

    /// This store itself: see [turn ordering across instances](crate#turn-ordering-across-instances).
    fn conversation_lock(&self) -> Option<Arc<dyn botbuilder_core::ConversationLock>> {
        Some(Arc::new(self.clone()))
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        let keys: Vec<&str> = keys.iter().copied().filter(|k| storable(k)).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let failed = |e| Error::storage("deleting from postgres", e);
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.inner.sql.delete)
            .await
            .map_err(failed)?;
        client.execute(&statement, &[&keys]).await.map_err(failed)?;
        Ok(())
    }
}

impl fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PostgresStorage")
            .field("table", &self.inner.table)
            .field("connections", &status.size)
            .field("max_connections", &status.max_size)
            .finish_non_exhaustive()
    }
}

/// Whether PostgreSQL's `text` can hold the key.
fn storable(key: &str) -> bool {
    !key.contains('\0')
}

/// Checks `table` (`name` or `schema.name`) and quotes each part.
fn quote_table_name(table: &str) -> Result<String, Error> {
    let parts: Vec<&str> = table.split('.').collect();
    let valid_part = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && part.len() <= 63
    };
    if parts.len() <= 2 && parts.iter().all(|p| valid_part(p)) {
        Ok(parts
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join("."))
    } else {
        Err(Error::storage(
            "configuring postgres storage",
            format!(
                "invalid table name {table:?}: use `name` or `schema.name`, each ASCII \
                 letters, digits and `_` (not first), at most 63 characters"
            ),
        ))
    }
}

/// Checks that a server URL parses, names a host and has no fragment.
fn check_server_url(url: &str) -> Result<(), PostgresUrlError> {
    let malformed = |reason: String| PostgresUrlError::Malformed {
        url: redact_url(url),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| malformed(e.to_string()))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(malformed(
            "no host: expected postgres://host[:port]/...".to_owned(),
        ));
    }
    if parsed.fragment().is_some() {
        return Err(malformed(
            "a `#` must be percent-encoded (%23) in a storage url".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_table_and_pool_size_and_the_rest_goes_to_the_driver() {
        let b = PostgresStorage::builder_from_url(
            "postgresql://bot:pw@127.0.0.1/bot?table=bots.state&connect_timeout=5&max_connections=4",
        )
        .unwrap();
        assert_eq!(b.url, "postgresql://bot:pw@127.0.0.1/bot?connect_timeout=5");
        assert_eq!(b.table, "bots.state");
        assert_eq!(b.max_connections, 4);
        let b = PostgresStorage::builder_from_url(
            "postgres://bot:pw@db/bot?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=a",
        )
        .unwrap();
        assert_eq!(b.url, "postgres://bot:pw@db/bot?application_name=a");
        assert_eq!(b.ssl_mode, Some(SslMode::VerifyFull));
        assert!(
            matches!(&b.ssl_root_cert, Some(RootCert::File(p)) if p == std::path::Path::new("/etc/ca.pem"))
        );
        let b = PostgresStorage::builder_from_url("postgres://127.0.0.1/bot").unwrap();
        assert_eq!(
            (b.url.as_str(), b.table.as_str(), b.max_connections),
            (
                "postgres://127.0.0.1/bot",
                DEFAULT_TABLE,
                DEFAULT_MAX_CONNECTIONS
            )
        );
    }

    #[test]
    fn bad_urls_are_malformed_without_the_password() {
        for bad in [
            "postgres://bot:pw@127.0.0.1/bot?max_connections=0",
            "postgres://bot:pw@127.0.0.1/bot?max_connections=many",
            "postgres://bot:pw@127.0.0.1/bot?sslmode=verify_full",
            "postgres://bot:pw@127.0.0.1/bot?sslmode=allow",
            "postgres://bot:pw@127.0.0.1/bot?sslrootcert=",
            "postgres:///bot",
            "postgres://bot:pw@127.0.0.1/bot#x",
            "postgres://bot:pw@[::1/bot",
            "mysql://bot:pw@127.0.0.1/bot",
            "host=127.0.0.1 user=bot password=pw",
        ] {
            let e = PostgresStorage::builder_from_url(bad).unwrap_err();
            assert!(
                matches!(e, PostgresUrlError::Malformed { .. }),
                "{bad}: {e}"
            );
            assert!(!e.to_string().contains(":pw"), "{e}");
        }
        assert_eq!(
            PostgresStorage::builder_from_url("postgres://bot:pw@h/bot?max_connections=0")
                .unwrap_err()
                .to_string(),
            "invalid postgres url \"postgres://bot:***@h/bot?max_connections=0\": \
             max_connections must be a positive whole number, not \"0\""
        );
    }

    #[test]
    fn table_names_are_checked_and_quoted() {
        assert_eq!(
            quote_table_name("botbuilder_storage").unwrap(),
            "\"botbuilder_storage\""
        );
        assert_eq!(
            quote_table_name("bots.State").unwrap(),
            "\"bots\".\"State\""
        );
        for bad in [
            "",
            "a.b.c",
            ".t",
            "t.",
            "1t",
            "a-b",
            "t\"; DROP TABLE x; --",
            &"a".repeat(64),
        ] {
            let e = quote_table_name(bad).unwrap_err();
            let shown = botbuilder_core::error::report(&e).to_string();
            assert!(shown.contains("invalid table name"), "{shown}");
        }
    }

    #[test]
    fn debug_hides_the_url() {
        let builder = PostgresStorage::builder("postgres://bot:hunter2@127.0.0.1/bot");
        let shown = format!("{builder:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[tokio::test]
    async fn an_invalid_url_is_an_error_not_a_panic() {
        for url in [
            "postgres://[::1",
            "host=127.0.0.1 port=notaport",
            "mysql://x",
        ] {
            let e = PostgresStorage::connect(url).await.unwrap_err();
            assert!(matches!(e, Error::Storage { .. }), "{url}: {e:?}");
        }
    }
}
