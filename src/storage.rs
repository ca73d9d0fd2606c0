//! Where a bot keeps its state: the [`Storage`] trait and its backends, and [`open`], which
//! picks a store from a URL so that an application chooses its store in configuration.
//!
//! ```
//! use botbuilder::storage;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // From configuration, e.g. `STORAGE_URL=redis://127.0.0.1:6379/0?prefix=echo-bot:`
//! let url = std::env::var("STORAGE_URL").unwrap_or_else(|_| "memory".to_owned());
//! let store = storage::open(&url).await?;
//! let conversation_state = botbuilder::core::ConversationState::new(store);
//! # let _ = conversation_state;
//! # Ok(())
//! # }
//! ```
//!
//! # URLs
//!
//! | URL | store | feature |
//! |---|---|---|
//! | `memory` | [`MemoryStorage`]: lost on restart | always |
//! | `sqlite:bot.db`, `sqlite://bot.db` | [`SqliteStorage`] on `bot.db`, relative to the working directory | `sqlite` (default) |
//! | `sqlite:///var/lib/bot/state.db` | [`SqliteStorage`] on the absolute path `/var/lib/bot/state.db` | `sqlite` (default) |
//! | `redis://[[user]:password@]host[:port][/db][?prefix=P&ttl=SECONDS]` | [`RedisStorage`] | `redis` |
//! | `postgres://user:password@host[:port]/dbname[?table=T&max_connections=N]` (or `postgresql://`) | [`PostgresStorage`] | `postgres` |
//!
//! - `sqlite:`: everything after `sqlite:` (and after `//`, if present) is the file path,
//!   used as is (no percent-decoding, no options). The file and its table are created if
//!   missing. In-memory SQLite (`sqlite::memory:`) is not offered: use `memory`.
//! - `redis://`: `prefix` is put before every key (default none); `ttl` makes documents
//!   expire that many seconds after their last write (default never). Other query
//!   parameters go to the `redis` crate. TLS (`rediss://`) is not built in.
//! - `postgres://`: `table` is the table to use, `name` or `schema.name` (default
//!   `botbuilder_storage`), created if missing; `max_connections` sizes the pool (default
//!   16). Other query parameters (such as `connect_timeout`, `application_name`) go to
//!   `tokio-postgres`. No TLS: loopback or a private network.
//!
//! Query values are percent-decoded (`prefix=bot%3A` is `bot:`). Errors never show the
//! password of a URL.
//!
//! # Features
//!
//! | feature | default | store |
//! |---|---|---|
//! | `sqlite` | yes | [`SqliteStorage`] (crate `botbuilder-storage-sqlite`) |
//! | `redis` | no | [`RedisStorage`] (crate `botbuilder-storage-redis`) |
//! | `postgres` | no | [`PostgresStorage`] (crate `botbuilder-storage-postgres`) |
//!
//! See `docs/storage.md` for choosing a store, running several bot instances, key formats
//! shared with BotBuilder C#/JS/Python, and backups.

use std::sync::Arc;

pub use botbuilder_core::storage::*;

#[cfg(feature = "postgres")]
pub use botbuilder_storage_postgres::{PostgresStorage, PostgresStorageBuilder};
#[cfg(feature = "redis")]
pub use botbuilder_storage_redis::{RedisStorage, RedisStorageBuilder};
#[cfg(feature = "sqlite")]
pub use botbuilder_storage_sqlite::{SqliteStorage, SqliteStorageBuilder};

/// Why [`open`] could not open a store. The URLs in it have their password replaced by
/// `***`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageUrlError {
    /// The URL does not have the form its scheme needs, or an option has a bad value.
    #[error("invalid storage url {url:?}: {reason}")]
    Malformed {
        /// The URL, password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The scheme names no store this crate knows.
    #[error(
        "unknown storage url scheme {scheme:?} in {url:?}: expected memory, sqlite:PATH, \
         redis://... or postgres://..."
    )]
    UnknownScheme {
        /// The scheme, as written.
        scheme: String,
        /// The URL, password hidden.
        url: String,
    },
    /// The store exists but its backend was not compiled in: enable the feature.
    #[error(
        "the {scheme} store is not compiled in: enable the `{feature}` feature of botbuilder \
         (botbuilder = {{ features = [\"{feature}\"] }})"
    )]
    NotCompiledIn {
        /// The scheme, such as `redis`.
        scheme: &'static str,
        /// The feature of the `botbuilder` crate that brings it in.
        feature: &'static str,
    },
    /// The URL was understood, but the store could not be opened: the server is not
    /// reachable, refused the credentials, the file cannot be created...
    #[error("could not open the {scheme} store at {url:?}")]
    Open {
        /// The scheme, such as `postgres`.
        scheme: &'static str,
        /// The URL, password hidden.
        url: String,
        /// The backend's error.
        #[source]
        source: botbuilder_core::Error,
    },
}

/// What a URL asks for, before anything is opened.
#[derive(Debug, PartialEq)]
#[cfg_attr(
    not(all(feature = "sqlite", feature = "redis", feature = "postgres")),
    allow(dead_code)
)]
enum Plan {
    Memory,
    Sqlite {
        path: String,
    },
    Redis {
        url: String,
        prefix: String,
        ttl: Option<std::time::Duration>,
    },
    Postgres {
        url: String,
        table: Option<String>,
        max_connections: Option<usize>,
    },
}

/// Opens the store a URL names (see the [module docs](self) for the forms), ready to share:
/// hand the `Arc` to `ConversationState::new`, `UserState::new`, and so on.
///
/// Opening connects to the server (Redis, PostgreSQL) or opens the file (SQLite), creating
/// the SQLite file or the PostgreSQL table if missing, so configuration errors show at
/// start-up rather than at the first turn.
///
/// ```
/// use botbuilder::storage::{self, StorageUrlError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), StorageUrlError> {
/// let store = storage::open("memory").await?;
/// assert!(store.read(&["nothing"]).await.is_ok_and(|items| items.is_empty()));
///
/// let err = storage::open("mongodb://127.0.0.1").await.err().unwrap();
/// assert!(matches!(err, StorageUrlError::UnknownScheme { .. }));
/// let err = storage::open("redis://127.0.0.1:6379/0?ttl=soon").await.err().unwrap();
/// assert!(matches!(
///     err,
///     StorageUrlError::Malformed { .. } | StorageUrlError::NotCompiledIn { .. }
/// ));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`StorageUrlError::Malformed`] or [`UnknownScheme`](StorageUrlError::UnknownScheme) for
/// a URL that names no store; [`NotCompiledIn`](StorageUrlError::NotCompiledIn) (naming the
/// feature to enable) for a store whose backend was left out;
/// [`Open`](StorageUrlError::Open) when the store cannot be opened.
pub async fn open(url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    match plan(url)? {
        Plan::Memory => Ok(Arc::new(MemoryStorage::new())),
        Plan::Sqlite { path } => open_sqlite(url, path).await,
        Plan::Redis {
            url: driver_url,
            prefix,
            ttl,
        } => open_redis(url, driver_url, prefix, ttl).await,
        Plan::Postgres {
            url: driver_url,
            table,
            max_connections,
        } => open_postgres(url, driver_url, table, max_connections).await,
    }
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(url: &str, path: String) -> Result<Arc<dyn Storage>, StorageUrlError> {
    match SqliteStorage::open(path).await {
        Ok(store) => Ok(Arc::new(store)),
        Err(source) => Err(StorageUrlError::Open {
            scheme: "sqlite",
            url: redact_url(url),
            source,
        }),
    }
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(_url: &str, _path: String) -> Result<Arc<dyn Storage>, StorageUrlError> {
    Err(StorageUrlError::NotCompiledIn {
        scheme: "sqlite",
        feature: "sqlite",
    })
}

#[cfg(feature = "redis")]
async fn open_redis(
    url: &str,
    driver_url: String,
    prefix: String,
    ttl: Option<std::time::Duration>,
) -> Result<Arc<dyn Storage>, StorageUrlError> {
    let mut builder = RedisStorage::builder(driver_url).prefix(prefix);
    if let Some(ttl) = ttl {
        builder = builder.ttl(ttl);
    }
    match builder.connect().await {
        Ok(store) => Ok(Arc::new(store)),
        Err(source) => Err(StorageUrlError::Open {
            scheme: "redis",
            url: redact_url(url),
            source,
        }),
    }
}

#[cfg(not(feature = "redis"))]
async fn open_redis(
    _url: &str,
    _driver_url: String,
    _prefix: String,
    _ttl: Option<std::time::Duration>,
) -> Result<Arc<dyn Storage>, StorageUrlError> {
    Err(StorageUrlError::NotCompiledIn {
        scheme: "redis",
        feature: "redis",
    })
}

#[cfg(feature = "postgres")]
async fn open_postgres(
    url: &str,
    driver_url: String,
    table: Option<String>,
    max_connections: Option<usize>,
) -> Result<Arc<dyn Storage>, StorageUrlError> {
    let mut builder = PostgresStorage::builder(driver_url);
    if let Some(table) = table {
        builder = builder.table(table);
    }
    if let Some(n) = max_connections {
        builder = builder.max_connections(n);
    }
    match builder.connect().await {
        Ok(store) => Ok(Arc::new(store)),
        Err(source) => Err(StorageUrlError::Open {
            scheme: "postgres",
            url: redact_url(url),
            source,
        }),
    }
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(
    _url: &str,
    _driver_url: String,
    _table: Option<String>,
    _max_connections: Option<usize>,
) -> Result<Arc<dyn Storage>, StorageUrlError> {
    Err(StorageUrlError::NotCompiledIn {
        scheme: "postgres",
        feature: "postgres",
    })
}

/// Reads a URL into what to open, checking what can be checked without opening anything.
fn plan(url: &str) -> Result<Plan, StorageUrlError> {
    let malformed = |reason: &str| StorageUrlError::Malformed {
        url: redact_url(url),
        reason: reason.to_owned(),
    };
    if url == "memory" || url == "memory:" {
        return Ok(Plan::Memory);
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(malformed(
            "no scheme: expected memory, sqlite:PATH, redis://... or postgres://...",
        ));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "memory" => Err(malformed("`memory` takes no path or options")),
        "sqlite" => {
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
            Ok(Plan::Sqlite {
                path: path.to_owned(),
            })
        }
        "redis" | "rediss" => plan_redis(url),
        "postgres" | "postgresql" => plan_postgres(url),
        _ => Err(StorageUrlError::UnknownScheme {
            scheme: scheme.to_owned(),
            url: redact_url(url),
        }),
    }
}

#[cfg(feature = "redis")]
fn plan_redis(url: &str) -> Result<Plan, StorageUrlError> {
    let malformed = |reason: String| StorageUrlError::Malformed {
        url: redact_url(url),
        reason,
    };
    let parsed = parse_server_url(url)?;
    if parsed.scheme() == "rediss" {
        return Err(malformed(
            "TLS (rediss://) is not built in: use redis:// over loopback or a private network"
                .to_owned(),
        ));
    }
    let (driver_url, options) = split_options(url, &["prefix", "ttl"]);
    let mut prefix = String::new();
    let mut ttl = None;
    for (name, value) in options {
        match name.as_str() {
            "prefix" => prefix = value,
            _ => {
                let seconds: u64 = value.parse().map_err(|_| {
                    malformed(format!(
                        "ttl must be a whole number of seconds, not {value:?}"
                    ))
                })?;
                ttl = (seconds > 0).then(|| std::time::Duration::from_secs(seconds));
            }
        }
    }
    Ok(Plan::Redis {
        url: driver_url,
        prefix,
        ttl,
    })
}

#[cfg(not(feature = "redis"))]
fn plan_redis(_url: &str) -> Result<Plan, StorageUrlError> {
    Err(StorageUrlError::NotCompiledIn {
        scheme: "redis",
        feature: "redis",
    })
}

#[cfg(feature = "postgres")]
fn plan_postgres(url: &str) -> Result<Plan, StorageUrlError> {
    let malformed = |reason: String| StorageUrlError::Malformed {
        url: redact_url(url),
        reason,
    };
    parse_server_url(url)?;
    let (driver_url, options) = split_options(url, &["table", "max_connections"]);
    let mut table = None;
    let mut max_connections = None;
    for (name, value) in options {
        match name.as_str() {
            "table" => table = Some(value),
            _ => {
                let n: usize = value.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    malformed(format!(
                        "max_connections must be a positive whole number, not {value:?}"
                    ))
                })?;
                max_connections = Some(n);
            }
        }
    }
    Ok(Plan::Postgres {
        url: driver_url,
        table,
        max_connections,
    })
}

#[cfg(not(feature = "postgres"))]
fn plan_postgres(_url: &str) -> Result<Plan, StorageUrlError> {
    Err(StorageUrlError::NotCompiledIn {
        scheme: "postgres",
        feature: "postgres",
    })
}

/// Checks that a server URL parses and names a host.
#[cfg(any(feature = "redis", feature = "postgres"))]
fn parse_server_url(url: &str) -> Result<url::Url, StorageUrlError> {
    let malformed = |reason: String| StorageUrlError::Malformed {
        url: redact_url(url),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| malformed(e.to_string()))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(malformed(
            "no host: expected scheme://host[:port]/...".to_owned(),
        ));
    }
    if parsed.fragment().is_some() {
        return Err(malformed(
            "a `#` must be percent-encoded (%23) in a storage url".to_owned(),
        ));
    }
    Ok(parsed)
}

/// Takes the options named in `ours` out of the URL's query string, keeping every other
/// parameter exactly as written; returns the URL for the driver and our options, decoded.
#[cfg(any(feature = "redis", feature = "postgres"))]
fn split_options(url: &str, ours: &[&str]) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), Vec::new());
    };
    let mut kept = Vec::new();
    let mut options = Vec::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let decoded = url::form_urlencoded::parse(segment.as_bytes()).next();
        match decoded {
            Some((name, value)) if ours.contains(&name.as_ref()) => {
                options.push((name.into_owned(), value.into_owned()));
            }
            _ => kept.push(segment),
        }
    }
    let driver_url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (driver_url, options)
}

/// The URL with its password (in the user info or a `password` query parameter) replaced by
/// `***`, for errors, logs and start banners.
///
/// Everything before the last `@` ahead of the query counts as user info, so a password
/// holding `@` or `/` is hidden whole (at worst, more than the password is hidden).
///
/// ```
/// use botbuilder::storage::redact_url;
///
/// assert_eq!(redact_url("postgres://bot:s3cret@db/bot"), "postgres://bot:***@db/bot");
/// assert_eq!(redact_url("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
/// assert_eq!(redact_url("sqlite:bot.db"), "sqlite:bot.db");
/// ```
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let before = match before.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => before.to_owned(),
        },
        None => before.to_owned(),
    };
    match query {
        None => format!("{scheme}://{before}"),
        Some(query) => {
            let query: Vec<String> = query
                .split('&')
                .map(|segment| match segment.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}=***")
                    }
                    _ => segment.to_owned(),
                })
                .collect();
            format!("{scheme}://{before}?{}", query.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        let cases = [
            (
                "postgres://bot:s3cr3t@127.0.0.1:5432/bot?table=t",
                "postgres://bot:***@127.0.0.1:5432/bot?table=t",
            ),
            ("redis://:s3cr3t@127.0.0.1/0", "redis://:***@127.0.0.1/0"),
            ("redis://user:p%40ss:word@host/0", "redis://user:***@host/0"),
            ("redis://127.0.0.1/0", "redis://127.0.0.1/0"),
            ("redis://user@127.0.0.1/0", "redis://user@127.0.0.1/0"),
            (
                "postgres://h/db?user=bot&password=s3cr3t&x=1",
                "postgres://h/db?user=bot&password=***&x=1",
            ),
            ("sqlite:bot.db", "sqlite:bot.db"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact_url(url), expected);
        }
    }

    #[test]
    fn memory_and_sqlite_urls() {
        assert_eq!(plan("memory").unwrap(), Plan::Memory);
        assert_eq!(plan("memory:").unwrap(), Plan::Memory);
        let sqlite = |path: &str| Plan::Sqlite {
            path: path.to_owned(),
        };
        assert_eq!(plan("sqlite:bot.db").unwrap(), sqlite("bot.db"));
        assert_eq!(plan("sqlite://bot.db").unwrap(), sqlite("bot.db"));
        assert_eq!(
            plan("sqlite:///var/lib/bot.db").unwrap(),
            sqlite("/var/lib/bot.db")
        );
        assert_eq!(plan("SQLite:data/a b?.db").unwrap(), sqlite("data/a b?.db"));
        for bad in [
            "sqlite:",
            "sqlite://",
            "sqlite::memory:",
            "memory:x",
            "bot.db",
        ] {
            let e = plan(bad).unwrap_err();
            assert!(matches!(e, StorageUrlError::Malformed { .. }), "{bad}: {e}");
        }
        let e = plan("mongodb://127.0.0.1/db").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown storage url scheme \"mongodb\" in \"mongodb://127.0.0.1/db\": expected \
             memory, sqlite:PATH, redis://... or postgres://..."
        );
    }

    #[cfg(feature = "redis")]
    #[test]
    fn redis_urls() {
        assert_eq!(
            plan("redis://127.0.0.1:6379/0").unwrap(),
            Plan::Redis {
                url: "redis://127.0.0.1:6379/0".to_owned(),
                prefix: String::new(),
                ttl: None,
            }
        );
        assert_eq!(
            plan("redis://:pw@127.0.0.1/2?prefix=bot%3A&protocol=resp3&ttl=3600").unwrap(),
            Plan::Redis {
                url: "redis://:pw@127.0.0.1/2?protocol=resp3".to_owned(),
                prefix: "bot:".to_owned(),
                ttl: Some(std::time::Duration::from_secs(3600)),
            }
        );
        for bad in [
            "redis://127.0.0.1/0?ttl=soon",
            "redis://127.0.0.1/0?ttl=-1",
            "rediss://127.0.0.1/0",
            "redis://",
            "redis://:pw@[::1/0",
        ] {
            let e = plan(bad).unwrap_err();
            assert!(matches!(e, StorageUrlError::Malformed { .. }), "{bad}: {e}");
            assert!(!e.to_string().contains("pw@"), "{e}");
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_urls() {
        assert_eq!(
            plan("postgresql://bot:pw@127.0.0.1/bot?table=bots.state&connect_timeout=5&max_connections=4")
                .unwrap(),
            Plan::Postgres {
                url: "postgresql://bot:pw@127.0.0.1/bot?connect_timeout=5".to_owned(),
                table: Some("bots.state".to_owned()),
                max_connections: Some(4),
            }
        );
        for bad in [
            "postgres://bot:pw@127.0.0.1/bot?max_connections=0",
            "postgres:///bot",
            "postgres://bot:pw@127.0.0.1/bot#x",
        ] {
            let e = plan(bad).unwrap_err();
            assert!(matches!(e, StorageUrlError::Malformed { .. }), "{bad}: {e}");
            assert!(!e.to_string().contains(":pw"), "{e}");
        }
    }

    #[cfg(not(feature = "redis"))]
    #[test]
    fn redis_not_compiled_in_names_the_feature() {
        let e = plan("redis://127.0.0.1/0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the redis store is not compiled in: enable the `redis` feature of botbuilder \
             (botbuilder = { features = [\"redis\"] })"
        );
    }

    #[cfg(not(feature = "postgres"))]
    #[test]
    fn postgres_not_compiled_in_names_the_feature() {
        let e = plan("postgres://127.0.0.1/db").unwrap_err();
        assert!(matches!(
            e,
            StorageUrlError::NotCompiledIn {
                scheme: "postgres",
                feature: "postgres"
            }
        ));
    }
}
