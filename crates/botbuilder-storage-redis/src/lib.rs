//! [`RedisStorage`]: bot state in Redis, shared by every instance of a bot.
//!
//! Run several instances of a bot behind a load balancer and point them all at one Redis:
//! each document's eTag is checked and replaced **atomically on the server** (one Lua
//! script per document), so two instances writing the same conversation at once never
//! overwrite each other silently: one wins, the other gets
//! [`Error::StorageConflict`] and retries.
//!
//! - Async over one multiplexed connection per [`RedisStorage`], through the `redis` crate's
//!   connection manager, which reconnects after the connection drops. Clones share it.
//! - An optional key prefix ([`RedisStorageBuilder::prefix`]) keeps several bots, or several
//!   environments, apart in one Redis database.
//! - An optional time to live ([`RedisStorageBuilder::ttl`]) lets Redis forget documents
//!   that have not been written for a while (abandoned conversations).
//! - TLS with `rediss://` URLs (Azure Cache for Redis, most hosted Redis): see [TLS](#tls).
//!
//! ```no_run
//! use botbuilder_core::storage::{Storage, StoreItems};
//! use botbuilder_storage_redis::RedisStorage;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_core::Error> {
//! let store = RedisStorage::builder("redis://127.0.0.1:6379/0")
//!     .prefix("echo-bot:")
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
//! Each document is one Redis hash under the key `{prefix}{storage key}` (the storage key
//! verbatim: Redis keys are binary-safe), with two fields:
//!
//! | field | value |
//! |---|---|
//! | `document` | the JSON object, without its eTag |
//! | `eTag` | a random 128-bit hex string, new on every write |
//!
//! Redis Cluster is not supported: a batch touches keys in any hash slot.
//!
//! A batch write sends every document at once; each is written or not on its own (the
//! [`Storage`] contract allows it). Deleting is one `DEL`.
//!
//! # Turn ordering across instances
//!
//! A `RedisStorage` is also a [`ConversationLock`](botbuilder_core::ConversationLock): with
//! [`TurnOrdering::Distributed`](botbuilder_core::TurnOrdering::Distributed), turns of one
//! conversation run one at a time across every instance sharing the Redis.
//!
//! ```no_run
//! use botbuilder_core::{TurnLeases, TurnOrdering};
//! use botbuilder_storage_redis::RedisStorage;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_core::Error> {
//! let store = RedisStorage::connect("redis://127.0.0.1:6379/0").await?;
//! let ordering = TurnOrdering::Distributed(TurnLeases::new(store.clone()));
//! // CloudAdapter::builder(&config).turn_ordering(ordering), or TurnPipeline::with_turn_ordering
//! # let _ = ordering;
//! # Ok(())
//! # }
//! ```
//!
//! A conversation's lease is the string `{prefix}botbuilder-turn:{conversation key}` holding
//! the holder's token, with a `PX` time to live; its line is the sorted set `…:line` (tokens
//! by arrival number) and the hash `…:places` (each token's lapse time, by the server's
//! clock). Taking, extending and releasing are one Lua script each, one round trip.
//!
//! # URLs
//!
//! [`RedisStorage::connect_url`] connects to the store a URL names, with its options (what
//! `botbuilder::storage::open` does with a `redis://` URL):
//! `redis[s]://[[user]:password@]host[:port][/db][?prefix=P&ttl=SECONDS&ca_cert=PATH]`.
//! `prefix` is put before every key (default none); `ttl` makes documents expire that many
//! seconds after their last write (default never); `ca_cert` (with `rediss://` only) is a
//! PEM file of the certificate authorities to trust instead of the built-in ones. Option
//! values are percent-decoded (`prefix=bot%3A` is `bot:`); other query parameters go to the
//! `redis` crate. Errors never show the URL's password.
//!
//! # TLS
//!
//! A `rediss://` URL connects over TLS (rustls) and always verifies the server's certificate
//! and host name, against Mozilla's root certificates (the `webpki-roots` crate, as reqwest
//! here does) or, with `ca_cert` / [`RedisStorageBuilder::ca_cert_file`], against the
//! certificate authorities in a PEM file (a private CA). A certificate that is refused fails
//! [`connect`](RedisStorageBuilder::connect) with an [`Error::Storage`] whose source is a
//! [`TlsCertificateError`] saying why (unknown issuer, wrong host name, expired); from a URL,
//! with [`RedisUrlError::Tls`].
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_storage_redis::RedisUrlError> {
//! // Azure Cache for Redis: TLS on port 6380, the access key as the password.
//! let azure = "rediss://:ACCESS_KEY@mybot.redis.cache.windows.net:6380/0?prefix=bot%3A";
//! let store = botbuilder_storage_redis::RedisStorage::connect_url(azure).await?;
//! // A server with a certificate from a private CA.
//! let private = "rediss://redis.internal:6379/0?ca_cert=/etc/bot/redis-ca.pem";
//! let other = botbuilder_storage_redis::RedisStorage::connect_url(private).await?;
//! # let _ = (store, other);
//! # Ok(())
//! # }
//! ```
//!
//! rustls needs a process-wide crypto provider: when the application installed none,
//! connecting to a `rediss://` URL installs ring's (the one reqwest uses here).

#![warn(clippy::unwrap_used)]

mod lease;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::Error;
use botbuilder_core::storage::backend::{
    CertificateProblem, TlsCertificateError, WriteCondition, document_with_e_tag,
    parse_stored_body, prepare_write, random_e_tag, redact_url, split_url_options,
};
use botbuilder_core::storage::{ETags, Storage, StoreItems};
use futures::future::join_all;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::Value;

/// How long a command may take before it fails, unless [`RedisStorageBuilder::timeout`] says
/// otherwise. Also the limit for each connection attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The conditional write, run atomically by the server.
///
/// KEYS[1]: the document's Redis key. ARGV: the condition (`any`, `absent` or `match`), the
/// expected eTag, the new eTag, the document's JSON, the time to live in milliseconds
/// (`0`: none). Returns 1 when written, 0 on a conflict.
const WRITE_SCRIPT: &str = r"
local stored = redis.call('HGET', KEYS[1], 'eTag')
if ARGV[1] == 'absent' and stored then return 0 end
if ARGV[1] == 'match' and stored ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'eTag', ARGV[3], 'document', ARGV[4])
if ARGV[5] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
else
  redis.call('PERSIST', KEYS[1])
end
return 1
";

static WRITE: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(WRITE_SCRIPT));

/// Why a `redis://` URL gave no store ([`RedisStorage::connect_url`]). The URL in it has its
/// password replaced by `***`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisUrlError {
    /// The URL is not a `redis://` URL, or an option has a bad value.
    #[error("invalid redis url {url:?}: {reason}")]
    Malformed {
        /// The URL, password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL was understood, but the server could not be reached or refused the
    /// credentials.
    #[error("could not connect to the redis store at {url:?}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// Why: an [`Error::Storage`].
        #[source]
        source: Error,
    },
    /// The server's TLS certificate was refused (`rediss://`): not signed by a trusted
    /// certificate authority (set `ca_cert`), not for this host name, or expired.
    #[error("the TLS certificate of the redis store at {url:?} was refused: {problem}")]
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

/// A [`Storage`] in Redis. See the [crate docs](crate).
///
/// Cheap to clone: clones share one multiplexed connection. Two `RedisStorage` values
/// connected separately are two clients of one store, as two bot instances are.
#[derive(Clone)]
pub struct RedisStorage {
    connection: ConnectionManager,
    prefix: String,
    ttl: Option<Duration>,
}

/// Options for connecting a [`RedisStorage`]:
/// `RedisStorage::builder(url).prefix("bot:").connect().await?`.
///
/// ```no_run
/// use std::time::Duration;
/// use botbuilder_storage_redis::RedisStorage;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let store = RedisStorage::builder("redis://:secret@127.0.0.1:6379/2")
///     .prefix("echo-bot:")
///     .ttl(Duration::from_secs(30 * 24 * 3600))
///     .connect()
///     .await?;
/// assert_eq!(store.prefix(), "echo-bot:");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
#[must_use]
pub struct RedisStorageBuilder {
    url: String,
    prefix: String,
    ttl: Option<Duration>,
    timeout: Duration,
    ca_cert: Option<CaCert>,
}

/// Where the certificate authorities to trust come from.
#[derive(Clone)]
enum CaCert {
    File(PathBuf),
    Pem(Arc<[u8]>),
}

impl RedisStorageBuilder {
    /// A prefix put before every storage key to make the Redis key. Default: none.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Documents expire this long after they were last written (Redis `PEXPIRE`, renewed by
    /// every write; reads do not renew it). Default: documents never expire.
    /// `Duration::ZERO` means never, too.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = (!ttl.is_zero()).then_some(ttl);
        self
    }

    /// How long a command, or a connection attempt, may take before it fails with
    /// [`Error::Storage`]. Default [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// With a `rediss://` URL, trust the certificate authorities in this PEM file (read when
    /// connecting) instead of the built-in roots: for a server whose certificate comes from
    /// a private CA. The URL option `ca_cert=PATH` sets it too.
    pub fn ca_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert = Some(CaCert::File(path.into()));
        self
    }

    /// With a `rediss://` URL, trust the certificate authorities in this PEM text instead
    /// of the built-in roots.
    pub fn ca_cert_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_cert = Some(CaCert::Pem(pem.into().into()));
        self
    }

    /// Connects to Redis.
    ///
    /// # Errors
    /// [`Error::Storage`] when the URL is not a Redis URL the `redis` crate accepts
    /// (`redis[s]://[[user]:password@]host[:port][/db]` or `redis+unix:///path`), the CA
    /// file cannot be read, the server cannot be reached or refuses the credentials; its
    /// source is a [`TlsCertificateError`] when the server's TLS certificate is refused.
    pub async fn connect(self) -> Result<RedisStorage, Error> {
        let tls = self
            .url
            .split_once("://")
            .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("rediss"));
        if tls {
            install_crypto_provider();
        }
        let client = match (&self.ca_cert, tls) {
            (None, _) => redis::Client::open(self.url.as_str())
                .map_err(|e| Error::storage("reading the redis url", e))?,
            (Some(ca), true) => {
                let root_cert = match ca {
                    CaCert::Pem(pem) => pem.to_vec(),
                    CaCert::File(path) => tokio::fs::read(path).await.map_err(|e| {
                        Error::storage(
                            format!("reading the redis CA certificate {}", path.display()),
                            e,
                        )
                    })?,
                };
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root_cert),
                };
                redis::Client::build_with_tls(self.url.as_str(), certificates)
                    .map_err(|e| Error::storage("reading the redis url and CA certificate", e))?
            }
            (Some(_), false) => {
                return Err(Error::storage(
                    "reading the redis url",
                    "a CA certificate is for TLS: use a rediss:// url",
                ));
            }
        };
        let refused = |e: redis::RedisError| match certificate_problem(&e) {
            Some(problem) => {
                Error::storage("connecting to redis", TlsCertificateError::new(problem, e))
            }
            None => Error::storage("connecting to redis", e),
        };
        if tls {
            // The connection manager retries failed connections for seconds; a refused
            // certificate will not get better, so one plain attempt tells it first.
            let probe = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(self.timeout))
                .set_response_timeout(Some(self.timeout));
            if let Err(e) = client
                .get_multiplexed_async_connection_with_config(&probe)
                .await
                && certificate_problem(&e).is_some()
            {
                return Err(refused(e));
            }
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(refused)?;
        tracing::debug!(prefix = %self.prefix, ttl = ?self.ttl, "connected redis storage");
        Ok(RedisStorage {
            connection,
            prefix: self.prefix,
            ttl: self.ttl,
        })
    }
}

impl fmt::Debug for RedisStorageBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: it is not shown.
        f.debug_struct("RedisStorageBuilder")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .field("timeout", &self.timeout)
            .field("custom_ca", &self.ca_cert.is_some())
            .finish_non_exhaustive()
    }
}

impl RedisStorage {
    /// Connects to the Redis at `url` with the default options: see
    /// [`RedisStorageBuilder::connect`].
    ///
    /// # Errors
    /// [`Error::Storage`] when the URL is invalid or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::builder(url).connect().await
    }

    /// Connects to the store a `redis://` URL names, with the `prefix` and `ttl` options the
    /// URL may carry (see the [crate docs](crate#urls)).
    ///
    /// ```no_run
    /// use botbuilder_storage_redis::{RedisStorage, RedisUrlError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), RedisUrlError> {
    /// let store = RedisStorage::connect_url("redis://127.0.0.1:6379/0?prefix=echo-bot%3A&ttl=86400").await?;
    /// assert_eq!(store.prefix(), "echo-bot:");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`RedisUrlError::Malformed`] for a URL that is not a `redis://` URL or has a bad
    /// option; [`RedisUrlError::Tls`] when the server's TLS certificate is refused;
    /// [`RedisUrlError::Connect`] when the server cannot be reached or refuses the
    /// credentials.
    pub async fn connect_url(url: &str) -> Result<Self, RedisUrlError> {
        Self::builder_from_url(url)?
            .connect()
            .await
            .map_err(|source| match TlsCertificateError::find(&source) {
                Some(refused) => RedisUrlError::Tls {
                    url: redact_url(url),
                    problem: refused.problem(),
                    source,
                },
                None => RedisUrlError::Connect {
                    url: redact_url(url),
                    source,
                },
            })
    }

    /// Options for connecting to the store a `redis://` URL names, read from the URL (see
    /// the [crate docs](crate#urls)), to set more before
    /// [`connect`](RedisStorageBuilder::connect); nothing is connected yet.
    ///
    /// ```
    /// use std::time::Duration;
    /// use botbuilder_storage_redis::RedisStorage;
    ///
    /// let builder = RedisStorage::builder_from_url("redis://127.0.0.1/0?ttl=60")?
    ///     .timeout(Duration::from_secs(2));
    /// # let _ = builder;
    /// assert!(RedisStorage::builder_from_url("redis://127.0.0.1/0?ttl=soon").is_err());
    /// # Ok::<(), botbuilder_storage_redis::RedisUrlError>(())
    /// ```
    ///
    /// # Errors
    /// [`RedisUrlError::Malformed`] for a URL that is not a `redis://` URL or has a bad
    /// option.
    pub fn builder_from_url(url: &str) -> Result<RedisStorageBuilder, RedisUrlError> {
        let malformed = |reason: String| RedisUrlError::Malformed {
            url: redact_url(url),
            reason,
        };
        let tls = match url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase())
        {
            Some(scheme) if scheme == "redis" => false,
            Some(scheme) if scheme == "rediss" => true,
            _ => {
                return Err(malformed(
                    "expected redis://host[:port][/db] or rediss://...".to_owned(),
                ));
            }
        };
        check_server_url(url)?;
        let (driver_url, options) = split_url_options(url, &["prefix", "ttl", "ca_cert"]);
        let mut builder = Self::builder(driver_url);
        for (name, value) in options {
            if name == "prefix" {
                builder = builder.prefix(value);
            } else if name == "ca_cert" {
                if !tls {
                    return Err(malformed(
                        "ca_cert is for TLS: use a rediss:// url".to_owned(),
                    ));
                }
                if value.is_empty() {
                    return Err(malformed("ca_cert needs a file path".to_owned()));
                }
                builder = builder.ca_cert_file(value);
            } else {
                let seconds: u64 = value.parse().map_err(|_| {
                    malformed(format!(
                        "ttl must be a whole number of seconds, not {value:?}"
                    ))
                })?;
                builder = builder.ttl(Duration::from_secs(seconds));
            }
        }
        Ok(builder)
    }

    /// Options for connecting to the Redis at `url`
    /// (`redis[s]://[[user]:password@]host[:port][/db]`), passed to the `redis` crate as is:
    /// for a URL with this crate's options, see [`RedisStorage::builder_from_url`].
    pub fn builder(url: impl Into<String>) -> RedisStorageBuilder {
        RedisStorageBuilder {
            url: url.into(),
            prefix: String::new(),
            ttl: None,
            timeout: DEFAULT_TIMEOUT,
            ca_cert: None,
        }
    }

    /// The prefix of every Redis key.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// How long documents live after their last write, if they expire.
    #[must_use]
    pub fn ttl(&self) -> Option<Duration> {
        self.ttl
    }

    fn redis_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn write_one(
        &self,
        key: String,
        json: String,
        condition: WriteCondition,
    ) -> Result<(String, String), Error> {
        let e_tag = random_e_tag();
        let (mode, expected) = match &condition {
            WriteCondition::Any => ("any", ""),
            WriteCondition::Absent => ("absent", ""),
            WriteCondition::Matches(e) => ("match", e.as_str()),
        };
        let ttl_ms = self.ttl.map_or(0, |t| {
            u64::try_from(t.as_millis()).unwrap_or(u64::MAX).max(1)
        });
        let written: i64 = WRITE
            .key(self.redis_key(&key))
            .arg(mode)
            .arg(expected)
            .arg(&e_tag)
            .arg(json)
            .arg(ttl_ms)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(|e| Error::storage("writing to redis", e))?;
        if written == 1 {
            Ok((key, e_tag))
        } else {
            Err(Error::StorageConflict { key })
        }
    }
}

#[async_trait]
impl Storage for RedisStorage {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        if keys.is_empty() {
            return Ok(StoreItems::new());
        }
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("HMGET")
                .arg(self.redis_key(key))
                .arg("eTag")
                .arg("document");
        }
        let rows: Vec<(Option<String>, Option<String>)> = pipe
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| Error::storage("reading from redis", e))?;
        let mut items = StoreItems::new();
        for (&key, row) in keys.iter().zip(rows) {
            match row {
                (Some(e_tag), Some(document)) => {
                    let body = parse_stored_body(key, &document)?;
                    items.insert(key.to_owned(), document_with_e_tag(body, e_tag));
                }
                (None, None) => {}
                _ => {
                    return Err(Error::InvalidDocument {
                        key: key.to_owned(),
                        reason: "the redis hash lacks its `eTag` or `document` field".to_owned(),
                    });
                }
            }
        }
        Ok(items)
    }

    async fn write(&self, changes: StoreItems) -> Result<ETags, Error> {
        let prepared = changes
            .into_iter()
            .map(|(key, document)| {
                let (body, condition) = prepare_write(&key, document)?;
                Ok((key, Value::Object(body).to_string(), condition))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        // All at once over the multiplexed connection; each document on its own.
        let results = join_all(
            prepared
                .into_iter()
                .map(|(key, json, condition)| self.write_one(key, json, condition)),
        )
        .await;
        results.into_iter().collect()
    }

    /// This store itself: see [turn ordering across instances](crate#turn-ordering-across-instances).
    fn conversation_lock(&self) -> Option<std::sync::Arc<dyn botbuilder_core::ConversationLock>> {
        Some(std::sync::Arc::new(self.clone()))
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        if keys.is_empty() {
            return Ok(());
        }
        let redis_keys: Vec<String> = keys.iter().map(|k| self.redis_key(k)).collect();
        redis::cmd("DEL")
            .arg(redis_keys)
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(|e| Error::storage("deleting from redis", e))
    }
}

impl fmt::Debug for RedisStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStorage")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Makes ring rustls's process-wide crypto provider unless the application chose one: the
/// `redis` crate builds its TLS configuration with the process default, and rustls panics
/// when there is none and its features do not name exactly one.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine: there is one now.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Why the server's certificate was refused, when a TLS handshake failed on it.
fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<CertificateProblem> {
    use rustls::CertificateError as C;
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(rustls::Error::InvalidCertificate(certificate)) = rustls_error(e) {
            return Some(match certificate {
                C::UnknownIssuer => CertificateProblem::UnknownIssuer,
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    CertificateProblem::WrongHostName
                }
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. } => CertificateProblem::Expired,
                _ => CertificateProblem::Other,
            });
        }
        current = e.source();
    }
    None
}

/// The rustls error an error is or wraps (in an `io::Error`, or the `Arc` the `redis` crate
/// keeps it in).
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(found) = error.downcast_ref::<rustls::Error>() {
        return Some(found);
    }
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        return io.get_ref().and_then(|inner| rustls_error(inner));
    }
    if let Some(shared) = error.downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>() {
        return rustls_error(&**shared);
    }
    None
}

/// Checks that a server URL parses, names a host and has no fragment.
fn check_server_url(url: &str) -> Result<(), RedisUrlError> {
    let malformed = |reason: String| RedisUrlError::Malformed {
        url: redact_url(url),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| malformed(e.to_string()))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(malformed(
            "no host: expected redis://host[:port]/...".to_owned(),
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
    fn urls_carry_the_prefix_and_ttl_and_the_rest_goes_to_the_driver() {
        let b = RedisStorage::builder_from_url("redis://127.0.0.1:6379/0").unwrap();
        assert_eq!(
            (b.url.as_str(), b.prefix.as_str(), b.ttl),
            ("redis://127.0.0.1:6379/0", "", None)
        );
        let b = RedisStorage::builder_from_url(
            "redis://:pw@127.0.0.1/2?prefix=bot%3A&protocol=resp3&ttl=3600",
        )
        .unwrap();
        assert_eq!(b.url, "redis://:pw@127.0.0.1/2?protocol=resp3");
        assert_eq!(b.prefix, "bot:");
        assert_eq!(b.ttl, Some(Duration::from_secs(3600)));
        let b = RedisStorage::builder_from_url("REDIS://h/0?ttl=0").unwrap();
        assert_eq!(b.ttl, None, "ttl=0 is never");
        let b = RedisStorage::builder_from_url("rediss://:pw@h:6380/0?ca_cert=%2Fetc%2Fca.pem")
            .unwrap();
        assert_eq!(b.url, "rediss://:pw@h:6380/0");
        assert!(
            matches!(&b.ca_cert, Some(CaCert::File(p)) if p == std::path::Path::new("/etc/ca.pem"))
        );
    }

    #[tokio::test]
    async fn a_ca_certificate_without_tls_or_unreadable_is_an_error() {
        let e = RedisStorage::builder("redis://127.0.0.1:1/0")
            .ca_cert_pem("x")
            .connect()
            .await
            .unwrap_err();
        assert!(
            botbuilder_core::error::report(&e)
                .to_string()
                .contains("rediss://"),
            "{e}"
        );
        let e = RedisStorage::connect_url("rediss://127.0.0.1:1/0?ca_cert=/nonexistent/ca.pem")
            .await
            .unwrap_err();
        assert!(matches!(e, RedisUrlError::Connect { .. }), "{e:?}");
        let shown = botbuilder_core::error::report(&e).to_string();
        assert!(shown.contains("/nonexistent/ca.pem"), "{shown}");
    }

    #[test]
    fn bad_urls_are_malformed_without_the_password() {
        for bad in [
            "redis://127.0.0.1/0?ttl=soon",
            "redis://127.0.0.1/0?ttl=-1",
            "redis://:pw@127.0.0.1/0?ca_cert=/etc/ca.pem",
            "rediss://:pw@127.0.0.1/0?ca_cert=",
            "redis://",
            "redis://:pw@[::1/0",
            "redis://:pw@h/0#x",
            "http://:pw@h/0",
            "redis",
        ] {
            let e = RedisStorage::builder_from_url(bad).unwrap_err();
            assert!(matches!(e, RedisUrlError::Malformed { .. }), "{bad}: {e}");
            assert!(!e.to_string().contains("pw@"), "{e}");
        }
        assert_eq!(
            RedisStorage::builder_from_url("redis://:pw@h/0?ttl=soon")
                .unwrap_err()
                .to_string(),
            "invalid redis url \"redis://:***@h/0?ttl=soon\": ttl must be a whole number of \
             seconds, not \"soon\""
        );
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_connected_is_a_connect_error_without_the_password() {
        // A parameter the `redis` crate refuses: it fails before any connection is tried.
        let url = "redis://:hunter2@127.0.0.1:1/0?protocol=bogus";
        let e = RedisStorage::connect_url(url).await.unwrap_err();
        assert!(
            matches!(
                &e,
                RedisUrlError::Connect {
                    source: Error::Storage { .. },
                    ..
                }
            ),
            "{e:?}"
        );
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(
            e.to_string(),
            "could not connect to the redis store at \"redis://:***@127.0.0.1:1/0?protocol=bogus\""
        );
    }

    #[test]
    fn ttl_zero_means_none_and_debug_hides_the_url() {
        let builder = RedisStorage::builder("redis://:hunter2@127.0.0.1/0")
            .prefix("p:")
            .ttl(Duration::ZERO);
        assert_eq!(builder.ttl, None);
        let shown = format!("{builder:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("p:"), "{shown}");
    }

    #[tokio::test]
    async fn an_invalid_url_is_an_error_not_a_panic() {
        for url in ["http://127.0.0.1", "not a url"] {
            let e = RedisStorage::connect(url).await.unwrap_err();
            assert!(matches!(e, Error::Storage { .. }), "{url}: {e:?}");
        }
    }
}
