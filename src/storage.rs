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
//! | `rediss://...[?ca_cert=PATH]`: the same over TLS | [`RedisStorage`] | `redis` |
//! | `postgres://user:password@host[:port]/dbname[?table=T&max_connections=N&sslmode=M&sslrootcert=PATH]` (or `postgresql://`) | [`PostgresStorage`] | `postgres` |
//! | `azblob://ACCOUNT/CONTAINER?sas=TOKEN` (or `?key=ACCOUNT_KEY`) | [`BlobStorage`] | `azure-blob` |
//! | `azblob:CONNECTION_STRING;ContainerName=CONTAINER` | [`BlobStorage`] | `azure-blob` |
//!
//! - `sqlite:`: everything after `sqlite:` (and after `//`, if present) is the file path,
//!   used as is (no percent-decoding, no options). The file and its table are created if
//!   missing. In-memory SQLite (`sqlite::memory:`) is not offered: use `memory`.
//! - `redis://`: `prefix` is put before every key (default none); `ttl` makes documents
//!   expire that many seconds after their last write (default never). Other query
//!   parameters go to the `redis` crate.
//! - `rediss://`: TLS, the server's certificate and host name always verified against
//!   Mozilla's roots, or against the CA certificates in the PEM file `ca_cert` names.
//! - `postgres://`: `table` is the table to use, `name` or `schema.name` (default
//!   `botbuilder_storage`), created if missing; `max_connections` sizes the pool (default
//!   16); `sslmode` is libpq's (`disable`, `prefer` (default), `require`, `verify-ca`,
//!   `verify-full`) and `sslrootcert` the PEM file of the CA certificates to trust instead
//!   of Mozilla's roots. Other query parameters (such as `connect_timeout`,
//!   `application_name`) go to `tokio-postgres`.
//! - `azblob:`: Azure Blob Storage, blob names and bodies as BotBuilder's `BlobsStorage`
//!   writes them; `layout=js` (`;Layout=js` in a connection string) names blobs as
//!   BotBuilder JavaScript does, the default as BotBuilder .NET. The container is created if
//!   missing. For a managed identity, use `BlobStorage::builder` with a token provider.
//!
//! Query values are percent-decoded (`prefix=bot%3A` is `bot:`). Errors never show the
//! password of a URL. [`open`] only dispatches on the scheme: each backend crate reads its
//! own URLs, and its constructors can be called directly ([`SqliteStorage::open_url`],
//! `RedisStorage::connect_url`, `PostgresStorage::connect_url`).
//!
//! # Features
//!
//! | feature | default | store |
//! |---|---|---|
//! | `sqlite` | yes | [`SqliteStorage`] (crate `botbuilder-storage-sqlite`) |
//! | `redis` | no | [`RedisStorage`] (crate `botbuilder-storage-redis`) |
//! | `postgres` | no | [`PostgresStorage`] (crate `botbuilder-storage-postgres`) |
//! | `azure-blob` | no | [`BlobStorage`] (crate `botbuilder-storage-azure-blob`) |
//!
//! See `docs/storage.md` for choosing a store, running several bot instances, key formats
//! shared with BotBuilder C#/JS/Python, and backups.

use std::sync::Arc;

// Everything of `botbuilder_core::storage`: what a bot uses, and the backend author's pieces
// in `backend`.
pub use botbuilder_core::storage::*;

#[cfg(feature = "azure-blob")]
pub use botbuilder_storage_azure_blob::{
    AzureBlobError, BlobStorage, BlobStorageBuilder, BlobTranscriptStore, KeyLayout, STORAGE_SCOPE,
    TokenProvider,
};
/// Storage tokens from the bot's connector credentials (a managed identity, workload
/// identity, a certificate): the [`TokenProvider`] a [`BlobStorage`] authenticates with, so
/// that a bot on Azure needs no storage key.
///
/// ```no_run
/// use std::sync::Arc;
/// use botbuilder::connector::auth::ManagedIdentityCredentials;
/// use botbuilder::storage::{BlobStorage, CredentialsTokenProvider, STORAGE_SCOPE};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The user-assigned managed identity's client id; tokens for Azure Storage.
/// let identity = ManagedIdentityCredentials::new("6b8f...", STORAGE_SCOPE)?;
/// let store = BlobStorage::builder()
///     .endpoint("https://mybot.blob.core.windows.net")?
///     .token_provider(Arc::new(CredentialsTokenProvider::new(Arc::new(identity))))
///     .container("bot-state")
///     .connect()
///     .await?;
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "azure-blob")]
#[derive(Clone, Debug)]
pub struct CredentialsTokenProvider(Arc<dyn botbuilder_connector::auth::AppCredentials>);

#[cfg(feature = "azure-blob")]
impl CredentialsTokenProvider {
    /// Tokens from these credentials (cached and refreshed by them).
    #[must_use]
    pub fn new(credentials: Arc<dyn botbuilder_connector::auth::AppCredentials>) -> Self {
        Self(credentials)
    }
}

#[cfg(feature = "azure-blob")]
#[botbuilder_core::async_trait]
impl TokenProvider for CredentialsTokenProvider {
    async fn token(&self, scope: &str) -> Result<String, botbuilder_core::BoxError> {
        match self.0.token(scope).await? {
            Some(token) => Ok(token.secret().expose().to_owned()),
            None => Err("these credentials give no token (an anonymous bot)".into()),
        }
    }
}

#[cfg(feature = "postgres")]
pub use botbuilder_storage_postgres::{
    PostgresStorage, PostgresStorageBuilder, PostgresUrlError, SslMode,
};
#[cfg(feature = "redis")]
pub use botbuilder_storage_redis::{RedisStorage, RedisStorageBuilder, RedisUrlError};
#[cfg(feature = "sqlite")]
pub use botbuilder_storage_sqlite::{SqliteStorage, SqliteStorageBuilder, SqliteUrlError};

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
         redis://..., postgres://... or azblob:..."
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
    /// The server's TLS certificate was refused (`rediss://`, or `postgres://` with
    /// `sslmode=verify-ca` / `verify-full`): not signed by a trusted certificate authority
    /// (give the CA with `ca_cert` / `sslrootcert`), not valid for the host name, or expired.
    #[error("the TLS certificate of the {scheme} store at {url:?} was refused: {problem}")]
    Tls {
        /// The scheme, such as `postgres`.
        scheme: &'static str,
        /// The URL, password hidden.
        url: String,
        /// Why the certificate was refused.
        problem: backend::CertificateProblem,
        /// The backend's error (its sources include a
        /// [`TlsCertificateError`](backend::TlsCertificateError)).
        #[source]
        source: botbuilder_core::Error,
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

/// Opens the store a URL names (see the [module docs](self) for the forms), ready to share:
/// hand the `Arc` to `ConversationState::new`, `UserState::new`, and so on.
///
/// This only dispatches on the scheme: each backend crate reads its own URLs
/// (`SqliteStorage::open_url`, `RedisStorage::connect_url`, `PostgresStorage::connect_url`).
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
/// [`Tls`](StorageUrlError::Tls) when the server's TLS certificate is refused;
/// [`Open`](StorageUrlError::Open) when the store cannot be opened.
pub async fn open(url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    match Scheme::of(url)? {
        Scheme::Memory => Ok(Arc::new(MemoryStorage::new())),
        Scheme::Sqlite => open_sqlite(url).await,
        Scheme::Redis => open_redis(url).await,
        Scheme::Postgres => open_postgres(url).await,
        Scheme::AzureBlob => open_azure_blob(url).await,
    }
}

/// The store a URL's scheme names.
#[derive(Debug, PartialEq)]
enum Scheme {
    Memory,
    Sqlite,
    Redis,
    Postgres,
    AzureBlob,
}

impl Scheme {
    fn of(url: &str) -> Result<Self, StorageUrlError> {
        let malformed = |reason: &str| StorageUrlError::Malformed {
            url: redact_url(url),
            reason: reason.to_owned(),
        };
        if url == "memory" || url == "memory:" {
            return Ok(Scheme::Memory);
        }
        let Some((scheme, _)) = url.split_once(':') else {
            return Err(malformed(
                "no scheme: expected memory, sqlite:PATH, redis://..., postgres://... or azblob:...",
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "memory" => Err(malformed("`memory` takes no path or options")),
            "sqlite" => Ok(Scheme::Sqlite),
            "redis" | "rediss" => Ok(Scheme::Redis),
            "postgres" | "postgresql" => Ok(Scheme::Postgres),
            "azblob" => Ok(Scheme::AzureBlob),
            _ => Err(StorageUrlError::UnknownScheme {
                scheme: scheme.to_owned(),
                url: redact_url(url),
            }),
        }
    }
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    use botbuilder_storage_sqlite::SqliteUrlError;
    match SqliteStorage::open_url(url).await {
        Ok(store) => Ok(Arc::new(store)),
        Err(SqliteUrlError::Malformed { url, reason }) => Err(StorageUrlError::Malformed {
            url,
            reason: reason.to_owned(),
        }),
        Err(SqliteUrlError::Open { url, source }) => Err(StorageUrlError::Open {
            scheme: "sqlite",
            url,
            source,
        }),
        Err(other) => Err(other_error("sqlite", url, other)),
    }
}

#[cfg(feature = "redis")]
async fn open_redis(url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    use botbuilder_storage_redis::RedisUrlError;
    match RedisStorage::connect_url(url).await {
        Ok(store) => Ok(Arc::new(store)),
        Err(RedisUrlError::Malformed { url, reason }) => {
            Err(StorageUrlError::Malformed { url, reason })
        }
        Err(RedisUrlError::Connect { url, source }) => Err(StorageUrlError::Open {
            scheme: "redis",
            url,
            source,
        }),
        Err(RedisUrlError::Tls {
            url,
            problem,
            source,
        }) => Err(StorageUrlError::Tls {
            scheme: "redis",
            url,
            problem,
            source,
        }),
        Err(other) => Err(other_error("redis", url, other)),
    }
}

#[cfg(feature = "postgres")]
async fn open_postgres(url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    use botbuilder_storage_postgres::PostgresUrlError;
    match PostgresStorage::connect_url(url).await {
        Ok(store) => Ok(Arc::new(store)),
        Err(PostgresUrlError::Malformed { url, reason }) => {
            Err(StorageUrlError::Malformed { url, reason })
        }
        Err(PostgresUrlError::Connect { url, source }) => Err(StorageUrlError::Open {
            scheme: "postgres",
            url,
            source,
        }),
        Err(PostgresUrlError::Tls {
            url,
            problem,
            source,
        }) => Err(StorageUrlError::Tls {
            scheme: "postgres",
            url,
            problem,
            source,
        }),
        Err(other) => Err(other_error("postgres", url, other)),
    }
}

#[cfg(feature = "azure-blob")]
async fn open_azure_blob(url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    match BlobStorage::connect_url(url).await {
        Ok(store) => Ok(Arc::new(store)),
        Err(AzureBlobError::Malformed { url, reason }) => {
            Err(StorageUrlError::Malformed { url, reason })
        }
        Err(AzureBlobError::Connect { url, source }) => Err(StorageUrlError::Open {
            scheme: "azblob",
            url,
            source,
        }),
        Err(other) => Err(other_error(
            "azblob",
            &botbuilder_storage_azure_blob::redact(url),
            other,
        )),
    }
}

/// A backend's URL error of a kind this version does not know (the enums are
/// `#[non_exhaustive]`): an `Open` error with the backend's error as its source.
#[cfg(any(
    feature = "sqlite",
    feature = "redis",
    feature = "postgres",
    feature = "azure-blob"
))]
fn other_error(
    scheme: &'static str,
    url: &str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> StorageUrlError {
    StorageUrlError::Open {
        scheme,
        url: redact_url(url),
        source: botbuilder_core::Error::storage(format!("opening the {scheme} store"), error),
    }
}

/// A known store whose backend was left out of this build.
#[cfg(not(all(
    feature = "sqlite",
    feature = "redis",
    feature = "postgres",
    feature = "azure-blob"
)))]
fn not_compiled_in(scheme: &'static str, feature: &'static str) -> StorageUrlError {
    StorageUrlError::NotCompiledIn { scheme, feature }
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(_url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    Err(not_compiled_in("sqlite", "sqlite"))
}

#[cfg(not(feature = "redis"))]
async fn open_redis(_url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    Err(not_compiled_in("redis", "redis"))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(_url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    Err(not_compiled_in("postgres", "postgres"))
}

#[cfg(not(feature = "azure-blob"))]
async fn open_azure_blob(_url: &str) -> Result<Arc<dyn Storage>, StorageUrlError> {
    Err(not_compiled_in("azblob", "azure-blob"))
}

pub use botbuilder_core::storage::backend::redact_url;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_store() {
        for (url, scheme) in [
            ("memory", Scheme::Memory),
            ("memory:", Scheme::Memory),
            ("sqlite:bot.db", Scheme::Sqlite),
            ("SQLite:///var/bot.db", Scheme::Sqlite),
            ("redis://127.0.0.1/0", Scheme::Redis),
            ("rediss://127.0.0.1/0", Scheme::Redis),
            ("postgres://h/db", Scheme::Postgres),
            ("postgresql://h/db", Scheme::Postgres),
            ("azblob://acct/state", Scheme::AzureBlob),
            (
                "AzBlob:UseDevelopmentStorage=true;ContainerName=s",
                Scheme::AzureBlob,
            ),
        ] {
            assert_eq!(Scheme::of(url).unwrap(), scheme, "{url}");
        }
        for bad in ["memory:x", "bot.db", ""] {
            let e = Scheme::of(bad).unwrap_err();
            assert!(matches!(e, StorageUrlError::Malformed { .. }), "{bad}: {e}");
        }
        let e = Scheme::of("mongodb://u:pw@127.0.0.1/db").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown storage url scheme \"mongodb\" in \"mongodb://u:***@127.0.0.1/db\": \
             expected memory, sqlite:PATH, redis://..., postgres://... or azblob:..."
        );
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn the_backends_own_errors_become_url_errors() {
        let e = open("sqlite::memory:").await.err().unwrap();
        assert!(
            matches!(&e, StorageUrlError::Malformed { url, .. } if url == "sqlite::memory:"),
            "{e}"
        );
    }

    #[cfg(feature = "redis")]
    #[tokio::test]
    async fn a_bad_redis_option_is_malformed_without_the_password() {
        let e = open("redis://:pw@127.0.0.1/0?ttl=soon")
            .await
            .err()
            .unwrap();
        assert!(matches!(e, StorageUrlError::Malformed { .. }), "{e}");
        assert!(!e.to_string().contains("pw@"), "{e}");
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn a_bad_postgres_option_is_malformed_without_the_password() {
        let e = open("postgres://bot:pw@127.0.0.1/bot?max_connections=0")
            .await
            .err()
            .unwrap();
        assert!(matches!(e, StorageUrlError::Malformed { .. }), "{e}");
        assert!(!e.to_string().contains(":pw"), "{e}");
    }

    #[cfg(not(feature = "redis"))]
    #[tokio::test]
    async fn redis_not_compiled_in_names_the_feature() {
        let e = open("redis://127.0.0.1/0").await.err().unwrap();
        assert_eq!(
            e.to_string(),
            "the redis store is not compiled in: enable the `redis` feature of botbuilder \
             (botbuilder = { features = [\"redis\"] })"
        );
    }

    #[cfg(feature = "azure-blob")]
    #[tokio::test]
    async fn connector_credentials_give_storage_tokens() {
        use botbuilder_connector::auth::{AccessToken, AnonymousCredentials, AppCredentials};
        use std::time::{Duration, SystemTime};

        #[derive(Debug)]
        struct Fixed;
        #[botbuilder_core::async_trait]
        impl AppCredentials for Fixed {
            fn app_id(&self) -> Option<&str> {
                Some("app")
            }
            fn oauth_scope(&self) -> &str {
                "https://api.botframework.com"
            }
            async fn token(
                &self,
                scope: &str,
            ) -> Result<Option<AccessToken>, botbuilder_connector::ConnectorError> {
                assert_eq!(scope, STORAGE_SCOPE);
                Ok(Some(AccessToken::new(
                    "storage-token",
                    SystemTime::now() + Duration::from_secs(600),
                )))
            }
        }
        let provider = CredentialsTokenProvider::new(Arc::new(Fixed));
        assert_eq!(
            provider.token(STORAGE_SCOPE).await.unwrap(),
            "storage-token"
        );
        let anonymous = CredentialsTokenProvider::new(Arc::new(AnonymousCredentials));
        assert!(anonymous.token(STORAGE_SCOPE).await.is_err());
    }

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn postgres_not_compiled_in_names_the_feature() {
        let e = open("postgres://127.0.0.1/db").await.err().unwrap();
        assert!(matches!(
            e,
            StorageUrlError::NotCompiledIn {
                scheme: "postgres",
                feature: "postgres"
            }
        ));
    }
}
