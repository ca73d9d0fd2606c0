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

#![warn(clippy::unwrap_used)]

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::Error;
use botbuilder_core::storage::{
    ETags, Storage, StoreItems, WriteCondition, document_with_e_tag, parse_stored_body,
    prepare_write, random_e_tag,
};
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

    /// Connects to Redis.
    ///
    /// # Errors
    /// [`Error::Storage`] when the URL is not a Redis URL the `redis` crate accepts
    /// (`redis://[[user]:password@]host[:port][/db]` or `redis+unix:///path`; TLS is not
    /// built in), or the server cannot be reached or refuses the credentials.
    pub async fn connect(self) -> Result<RedisStorage, Error> {
        let client = redis::Client::open(self.url.as_str())
            .map_err(|e| Error::storage("reading the redis url", e))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| Error::storage("connecting to redis", e))?;
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

    /// Options for connecting to the Redis at `url`
    /// (`redis://[[user]:password@]host[:port][/db]`).
    pub fn builder(url: impl Into<String>) -> RedisStorageBuilder {
        RedisStorageBuilder {
            url: url.into(),
            prefix: String::new(),
            ttl: None,
            timeout: DEFAULT_TIMEOUT,
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

#[cfg(test)]
mod tests {
    use super::*;

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
