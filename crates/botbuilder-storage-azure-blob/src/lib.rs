//! [`BlobStorage`]: bot state in Azure Blob Storage, one blob per document, readable and
//! writable by BotBuilder's `BlobsStorage` (.NET and JavaScript).
//!
//! - **Concurrency**: each write is conditional on the blob's ETag (`If-Match`, or
//!   `If-None-Match: *` for a document that must be new), so the service decides which of two
//!   bot instances writing one conversation wins; the other gets
//!   [`Error::StorageConflict`] and retries. The document's `eTag` is the blob's ETag.
//! - **A bot moving from BotBuilder keeps its state**: blob names and bodies are those
//!   BotBuilder writes (see [Layout](#layout)).
//! - **Authentication**: a connection string (account key, signed with Shared Key, or a SAS
//!   token), a SAS token, or bearer tokens from a [`TokenProvider`] (managed identity).
//! - **Retries**: a `500`, `503` or `429` answer, or a connection failure, is retried with
//!   exponential backoff and jitter (honouring `Retry-After`), up to
//!   [`BlobStorageBuilder::max_retries`] times. An answer the store cannot read is an
//!   [`Error::Storage`], never a panic.
//! - **Transcripts**: [`BlobTranscriptStore`] keeps the transcripts of
//!   `TranscriptLoggerMiddleware` in a container, in the blob layout of BotBuilder .NET's
//!   `BlobsTranscriptStore`, so either SDK reads the other's.
//!
//! ```no_run
//! use botbuilder_core::storage::{Storage, StoreItems};
//! use botbuilder_storage_azure_blob::BlobStorage;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), botbuilder_core::Error> {
//! let connection_string = std::env::var("AZURE_STORAGE_CONNECTION_STRING").unwrap_or_default();
//! let store = BlobStorage::builder()
//!     .connection_string(&connection_string)?
//!     .container("bot-state")
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
//! One block blob per document in one container (created if missing), `Content-Type:
//! application/json`, the body the document's JSON object without its `eTag` (BotBuilder
//! JavaScript writes the same; BotBuilder .NET writes Json.NET's output with `$type`
//! members, which are kept as they are: a bot reads its properties by name and ignores
//! them). The blob name is the storage key URL-encoded as the BotBuilder SDK the bot comes
//! from did it ([`KeyLayout`]: .NET's `HttpUtility.UrlEncode` by default, or JavaScript's
//! `encodeURIComponent`): `emulator/conversations/42` is the blob
//! `emulator%2fconversations%2f42`.
//!
//! # URLs
//!
//! [`BlobStorage::connect_url`] (and `botbuilder::storage::open`) take two forms:
//!
//! - `azblob://ACCOUNT/CONTAINER?sas=TOKEN` or `azblob://ACCOUNT/CONTAINER?key=ACCOUNT_KEY`:
//!   the account's endpoint `https://ACCOUNT.blob.core.windows.net`, with a SAS token or the
//!   account key (percent-encoded);
//! - `azblob:CONNECTION_STRING;ContainerName=CONTAINER`: an Azure Storage connection string
//!   (`DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=...`,
//!   `BlobEndpoint=...;SharedAccessSignature=...`, or `UseDevelopmentStorage=true` for
//!   Azurite on its default port), with the container as one more `ContainerName=` pair.
//!
//! Both take `layout=dotnet` (default) or `layout=js` ([`KeyLayout`]): as a query option in
//! the first form, as a `Layout=` pair in the second. Errors and logs never show the key or
//! the SAS signature.
//!
//! # Managed identity
//!
//! Bearer tokens come from a [`TokenProvider`] given to [`BlobStorageBuilder::token_provider`]
//! with the account's endpoint ([`BlobStorageBuilder::endpoint`]); the identity needs the
//! *Storage Blob Data Contributor* role on the container. The bot's connector credentials
//! (`botbuilder::connector::auth::ManagedIdentityCredentials`) give such tokens for
//! [`STORAGE_SCOPE`]: `botbuilder::storage::CredentialsTokenProvider` wraps them.

#![warn(clippy::unwrap_used)]

mod auth;
mod names;
mod transcript;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use botbuilder_core::Error;
use botbuilder_core::storage::backend::{
    WriteCondition, document_with_e_tag, parse_stored_body, prepare_write,
};
use botbuilder_core::storage::{ETags, Storage, StoreItems};
use futures::future::join_all;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use auth::{Credential, ToSign};
pub use auth::{STORAGE_SCOPE, TokenProvider};
pub use names::KeyLayout;
pub use transcript::BlobTranscriptStore;

/// The Blob service REST API version the store speaks.
const API_VERSION: &str = "2021-12-02";

/// Azurite's well-known development account (`UseDevelopmentStorage=true`).
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// How long one request may take, unless [`BlobStorageBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a request that failed transiently is tried again, unless
/// [`BlobStorageBuilder::max_retries`] says otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 4;

/// The error of this crate: a store URL or connection string that gives no store, or an
/// answer of the Blob service (the source of an [`Error::Storage`]). URLs in it never show
/// the account key or the SAS signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AzureBlobError {
    /// The URL or connection string has not the form the store needs.
    #[error("invalid azure blob storage url {url:?}: {reason}")]
    Malformed {
        /// The URL, secrets hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL was understood, but the container could not be reached or created.
    #[error("could not connect to the azure blob store at {url:?}")]
    Connect {
        /// The URL, secrets hidden.
        url: String,
        /// Why: an [`Error::Storage`].
        #[source]
        source: Error,
    },
    /// The Blob service answered with an error status.
    #[error("azure blob storage answered {status} ({code}) to {operation}")]
    Status {
        /// What the store was doing (`PUT blob`...).
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The service's error code (`x-ms-error-code`), or `-` when it gave none.
        code: String,
    },
    /// A List Blobs answer the store could not read (not the XML the Blob service sends).
    #[error("could not read the azure blob storage listing: {reason}")]
    InvalidListing {
        /// What is wrong with it.
        reason: String,
    },
    /// A transcript continuation token the store did not issue.
    #[error("unknown transcript continuation token {token:?}")]
    InvalidToken {
        /// The token.
        token: String,
    },
}

impl AzureBlobError {
    /// Whether the service refused the credentials (`401`, `403`).
    #[must_use]
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            AzureBlobError::Status {
                status: 401 | 403,
                ..
            }
        )
    }

    /// Whether the service asked the store to slow down (`429`, `503` ServerBusy) and the
    /// retries ran out.
    #[must_use]
    pub fn is_throttled(&self) -> bool {
        matches!(
            self,
            AzureBlobError::Status {
                status: 429 | 503,
                ..
            }
        )
    }
}

/// A [`Storage`] in an Azure Blob Storage container. See the [crate docs](crate).
///
/// Cheap to clone: clones share the HTTP client. Two `BlobStorage` values on one container
/// are two clients of one store, as two bot instances are.
#[derive(Clone)]
pub struct BlobStorage {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The container's URL, without a trailing `/`.
    container_url: url::Url,
    container: String,
    credential: Credential,
    layout: KeyLayout,
    max_retries: u32,
}

/// Options for connecting a [`BlobStorage`]:
/// `BlobStorage::builder().connection_string(cs)?.container("state").connect().await?`.
///
/// ```no_run
/// use botbuilder_storage_azure_blob::{BlobStorage, KeyLayout};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), botbuilder_core::Error> {
/// let store = BlobStorage::builder()
///     .endpoint("https://mybot.blob.core.windows.net")?
///     .sas_token("sv=2022-11-02&ss=b&srt=co&sp=rwdlc&sig=...")
///     .container("bot-state")
///     .layout(KeyLayout::JavaScript)
///     .connect()
///     .await?;
/// assert_eq!(store.container(), "bot-state");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct BlobStorageBuilder {
    endpoint: Option<url::Url>,
    credential: Option<Credential>,
    container: Option<String>,
    layout: KeyLayout,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    create_container: Option<bool>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for BlobStorageBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStorageBuilder")
            .field("endpoint", &self.endpoint.as_ref().map(url::Url::as_str))
            .field("credential", &self.credential)
            .field("container", &self.container)
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl BlobStorageBuilder {
    /// The account's Blob endpoint and credentials from an Azure Storage connection string:
    /// `AccountName` + `AccountKey` (Shared Key), `BlobEndpoint` or
    /// `DefaultEndpointsProtocol` + `EndpointSuffix`, `SharedAccessSignature`, or
    /// `UseDevelopmentStorage=true` (Azurite on `127.0.0.1:10000`). A `ContainerName` pair
    /// sets [`container`](Self::container), a `Layout` pair ([`KeyLayout`]) the layout.
    ///
    /// # Errors
    /// [`Error::Storage`] (its source an [`AzureBlobError::Malformed`]) when the string
    /// names no endpoint or credentials, or the key is not base64.
    pub fn connection_string(mut self, connection_string: &str) -> Result<Self, Error> {
        let parsed = ConnectionString::parse(connection_string)
            .map_err(|reason| configuration_error(connection_string, reason))?;
        self.endpoint = Some(parsed.endpoint);
        self.credential = parsed.credential;
        if let Some(container) = parsed.container {
            self.container = Some(container);
        }
        if let Some(layout) = parsed.layout {
            self.layout = layout;
        }
        Ok(self)
    }

    /// The account's Blob endpoint, such as `https://ACCOUNT.blob.core.windows.net` (or
    /// Azurite's `http://127.0.0.1:10000/devstoreaccount1`).
    ///
    /// # Errors
    /// [`Error::Storage`] when it is not an `http` or `https` URL.
    pub fn endpoint(mut self, endpoint: &str) -> Result<Self, Error> {
        self.endpoint =
            Some(parse_endpoint(endpoint).map_err(|reason| configuration_error(endpoint, reason))?);
        Ok(self)
    }

    /// Sign requests with the account key (Shared Key).
    ///
    /// # Errors
    /// [`Error::Storage`] when the key is not base64.
    pub fn account_key(mut self, account: &str, key: &str) -> Result<Self, Error> {
        let key = auth::decode_key(key).map_err(|reason| configuration_error(account, reason))?;
        self.credential = Some(Credential::SharedKey {
            account: account.to_owned(),
            key,
        });
        Ok(self)
    }

    /// Authorize requests with a shared access signature (the query string it is, with or
    /// without its leading `?`).
    pub fn sas_token(mut self, sas: &str) -> Self {
        let sas = sas.trim().trim_start_matches('?');
        self.credential = Some(Credential::Sas(sas.into()));
        self
    }

    /// Authorize requests with bearer tokens (Microsoft Entra ID), for a managed identity:
    /// see the [crate docs](crate#managed-identity).
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.credential = Some(Credential::Token(provider));
        self
    }

    /// The container documents are kept in (created on connect if missing, unless
    /// [`create_container`](Self::create_container) is off). Required.
    pub fn container(mut self, container: impl Into<String>) -> Self {
        self.container = Some(container.into());
        self
    }

    /// How storage keys become blob names. Default [`KeyLayout::DotNet`].
    pub fn layout(mut self, layout: KeyLayout) -> Self {
        self.layout = layout;
        self
    }

    /// Whether [`connect`](Self::connect) creates the container when it is missing (default
    /// `true`); turn it off when the identity may only read and write blobs.
    pub fn create_container(mut self, create: bool) -> Self {
        self.create_container = Some(create);
        self
    }

    /// How long one request may take. Default [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many times a transient failure (`500`, `503`, `429`, no connection) is retried.
    /// Default [`DEFAULT_MAX_RETRIES`].
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// The HTTP client to use (for a proxy or custom TLS roots). Default: a reqwest client
    /// with [`timeout`](Self::timeout).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the configuration and creates the container if missing (which also checks
    /// the endpoint and the credentials).
    ///
    /// # Errors
    /// [`Error::Storage`] when no endpoint, credentials or container were given, the
    /// container name is invalid, or the service cannot be reached or refuses the
    /// credentials.
    pub async fn connect(self) -> Result<BlobStorage, Error> {
        let endpoint = self.endpoint.ok_or_else(|| {
            Error::storage(
                "configuring azure blob storage",
                "no endpoint: give a connection string or an endpoint",
            )
        })?;
        let credential = self.credential.ok_or_else(|| {
            Error::storage(
                "configuring azure blob storage",
                "no credentials: give an account key, a SAS token or a token provider",
            )
        })?;
        let container = self
            .container
            .ok_or_else(|| Error::storage("configuring azure blob storage", "no container name"))?;
        check_container_name(&container)
            .map_err(|reason| Error::storage("configuring azure blob storage", reason))?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
                .build()
                .map_err(|e| Error::storage("creating the azure blob storage client", e))?,
        };
        let mut container_url = endpoint;
        container_url
            .path_segments_mut()
            .map_err(|()| Error::storage("configuring azure blob storage", "invalid endpoint"))?
            .pop_if_empty()
            .push(&container);
        let store = BlobStorage {
            inner: Arc::new(Inner {
                http,
                container_url,
                container,
                credential,
                layout: self.layout,
                max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            }),
        };
        if self.create_container.unwrap_or(true) {
            store.create_container().await?;
        }
        tracing::debug!(
            container = %store.inner.container,
            layout = store.inner.layout.as_str(),
            "connected azure blob storage"
        );
        Ok(store)
    }
}

impl BlobStorage {
    /// Options for connecting: give an endpoint and credentials (or a connection string)
    /// and a container.
    pub fn builder() -> BlobStorageBuilder {
        BlobStorageBuilder::default()
    }

    /// Connects to the store an `azblob:` URL names (see the [crate docs](crate#urls)),
    /// creating the container if missing.
    ///
    /// ```no_run
    /// use botbuilder_storage_azure_blob::{AzureBlobError, BlobStorage};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), AzureBlobError> {
    /// let store = BlobStorage::connect_url("azblob:UseDevelopmentStorage=true;ContainerName=bot-state").await?;
    /// assert_eq!(store.container(), "bot-state");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`AzureBlobError::Malformed`] for a URL that names no store;
    /// [`AzureBlobError::Connect`] when the container cannot be reached or created.
    pub async fn connect_url(url: &str) -> Result<Self, AzureBlobError> {
        Self::builder_from_url(url)?
            .connect()
            .await
            .map_err(|source| AzureBlobError::Connect {
                url: redact(url),
                source,
            })
    }

    /// Options read from an `azblob:` URL (see the [crate docs](crate#urls)), to set more
    /// before [`connect`](BlobStorageBuilder::connect); nothing is connected yet.
    ///
    /// ```
    /// use botbuilder_storage_azure_blob::BlobStorage;
    ///
    /// let builder = BlobStorage::builder_from_url("azblob://mybot/state?sas=sv%3D2022-11-02%26sig%3Dabc")?;
    /// # let _ = builder;
    /// assert!(BlobStorage::builder_from_url("azblob://mybot").is_err());
    /// # Ok::<(), botbuilder_storage_azure_blob::AzureBlobError>(())
    /// ```
    ///
    /// # Errors
    /// [`AzureBlobError::Malformed`] for a URL that names no store.
    pub fn builder_from_url(url: &str) -> Result<BlobStorageBuilder, AzureBlobError> {
        let malformed = |reason: String| AzureBlobError::Malformed {
            url: redact(url),
            reason,
        };
        let Some(rest) = strip_prefix_ignore_case(url, "azblob:") else {
            return Err(malformed(
                "expected azblob://ACCOUNT/CONTAINER?sas=... or azblob:CONNECTION_STRING"
                    .to_owned(),
            ));
        };
        if rest.starts_with("//") {
            return account_url(url).map_err(malformed);
        }
        let parsed = ConnectionString::parse(rest).map_err(malformed)?;
        if parsed.container.is_none() {
            return Err(malformed(
                "the connection string needs a ContainerName=... pair".to_owned(),
            ));
        }
        let mut builder = BlobStorage::builder();
        builder.endpoint = Some(parsed.endpoint);
        builder.credential = parsed.credential;
        builder.container = parsed.container;
        builder.layout = parsed.layout.unwrap_or_default();
        if builder.credential.is_none() {
            return Err(malformed(
                "the connection string has no AccountKey or SharedAccessSignature".to_owned(),
            ));
        }
        Ok(builder)
    }

    /// The container documents are kept in.
    #[must_use]
    pub fn container(&self) -> &str {
        &self.inner.container
    }

    /// How storage keys become blob names.
    #[must_use]
    pub fn layout(&self) -> KeyLayout {
        self.inner.layout
    }

    /// The blob name a storage key is stored under.
    #[must_use]
    pub fn blob_name(&self, key: &str) -> String {
        self.inner.layout.blob_name(key)
    }

    async fn create_container(&self) -> Result<(), Error> {
        let mut url = self.inner.container_url.clone();
        url.query_pairs_mut().append_pair("restype", "container");
        let response = self
            .send("PUT container", Method::PUT, url, Request::default())
            .await?;
        match response.status {
            StatusCode::CREATED => Ok(()),
            StatusCode::CONFLICT if response.code.as_deref() == Some("ContainerAlreadyExists") => {
                Ok(())
            }
            _ => Err(response.error("PUT container")),
        }
    }

    fn blob_url(&self, key: &str) -> url::Url {
        self.named_blob_url(&self.inner.layout.blob_name(key))
    }

    /// The URL of the blob `name` (percent-encoded into the path).
    fn named_blob_url(&self, name: &str) -> url::Url {
        let mut url = self.inner.container_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(name);
        }
        url
    }

    async fn read_one(&self, key: &str) -> Result<Option<Value>, Error> {
        let response = self
            .send(
                "GET blob",
                Method::GET,
                self.blob_url(key),
                Request::default(),
            )
            .await?;
        match response.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(None),
            _ => return Err(response.error("GET blob")),
        }
        let e_tag = response.e_tag.ok_or_else(|| Error::InvalidDocument {
            key: key.to_owned(),
            reason: "the blob service sent no ETag".to_owned(),
        })?;
        let text = std::str::from_utf8(&response.body).map_err(|_| Error::InvalidDocument {
            key: key.to_owned(),
            reason: "the blob is not UTF-8 text".to_owned(),
        })?;
        // .NET writers may start the text with a byte order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let body = parse_stored_body(key, text)?;
        Ok(Some(document_with_e_tag(body, e_tag)))
    }

    async fn write_one(
        &self,
        key: String,
        json: String,
        condition: WriteCondition,
    ) -> Result<(String, String), Error> {
        let (if_match, if_none_match) = match &condition {
            WriteCondition::Any => (None, None),
            WriteCondition::Absent => (None, Some("*".to_owned())),
            WriteCondition::Matches(e_tag) => (Some(e_tag.clone()), None),
        };
        let request = Request {
            body: json.into_bytes(),
            content_type: Some("application/json"),
            if_match,
            if_none_match,
            blob_type: true,
            metadata: Vec::new(),
        };
        let response = self
            .send("PUT blob", Method::PUT, self.blob_url(&key), request)
            .await?;
        match response.status {
            StatusCode::CREATED => {
                let e_tag = response.e_tag.ok_or_else(|| {
                    Error::storage(
                        "writing to azure blob storage",
                        format!("the blob service sent no ETag for {key:?}"),
                    )
                })?;
                Ok((key, e_tag))
            }
            // 412: the ETag differs; 409 BlobAlreadyExists: `If-None-Match: *` on a blob that
            // exists; 404: `If-Match` on a blob that is gone.
            StatusCode::PRECONDITION_FAILED => Err(Error::StorageConflict { key }),
            StatusCode::CONFLICT if condition == WriteCondition::Absent => {
                Err(Error::StorageConflict { key })
            }
            StatusCode::NOT_FOUND
                if matches!(condition, WriteCondition::Matches(_))
                    && response.code.as_deref() == Some("BlobNotFound") =>
            {
                Err(Error::StorageConflict { key })
            }
            _ => Err(response.error("PUT blob")),
        }
    }

    async fn delete_one(&self, key: &str) -> Result<(), Error> {
        let response = self
            .send(
                "DELETE blob",
                Method::DELETE,
                self.blob_url(key),
                Request::default(),
            )
            .await?;
        match response.status {
            StatusCode::ACCEPTED | StatusCode::OK | StatusCode::NOT_FOUND => Ok(()),
            _ => Err(response.error("DELETE blob")),
        }
    }

    /// Sends a request, authorized, retrying transient failures with backoff.
    async fn send(
        &self,
        operation: &'static str,
        method: Method,
        url: url::Url,
        request: Request,
    ) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            let outcome = self.send_once(method.clone(), url.clone(), &request).await;
            let failed = |e: SendError| match e {
                // The URL may carry a SAS signature: it is left out.
                SendError::Http(e) => Error::storage(
                    format!("sending {operation} to azure blob storage"),
                    e.without_url(),
                ),
                SendError::Token(e) => Error::storage("getting a token for azure blob storage", e),
            };
            let retry_after = match &outcome {
                Ok(response) if is_transient(response.status) => response.retry_after,
                Err(SendError::Http(e)) if e.is_connect() || e.is_timeout() => None,
                _ => return outcome.map_err(failed),
            };
            if attempt >= self.inner.max_retries {
                return outcome.map_err(failed);
            }
            attempt += 1;
            let delay = retry_after.unwrap_or_else(|| backoff(attempt));
            tracing::debug!(operation, attempt, ?delay, "retrying an azure blob request");
            tokio::time::sleep(delay).await;
        }
    }

    async fn send_once(
        &self,
        method: Method,
        mut url: url::Url,
        request: &Request,
    ) -> Result<Response, SendError> {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let mut ms_headers = vec![
            ("x-ms-date", date),
            ("x-ms-version", API_VERSION.to_owned()),
        ];
        if request.blob_type {
            ms_headers.push(("x-ms-blob-type", "BlockBlob".to_owned()));
        }
        for (name, value) in &request.metadata {
            ms_headers.push((name, value.clone()));
        }
        let mut headers = HeaderMap::new();
        let mut authorization = None;
        match &self.inner.credential {
            Credential::Sas(sas) => {
                let query = match url.query() {
                    Some(q) => format!("{q}&{sas}"),
                    None => sas.to_string(),
                };
                url.set_query(Some(&query));
            }
            Credential::SharedKey { account, key } => {
                let to_sign = ToSign {
                    method: method.as_str(),
                    url: &url,
                    content_length: request.body.len(),
                    content_type: request.content_type.unwrap_or_default(),
                    if_match: request.if_match.as_deref().unwrap_or_default(),
                    if_none_match: request.if_none_match.as_deref().unwrap_or_default(),
                    ms_headers: &ms_headers,
                };
                authorization = auth::shared_key_authorization(account, key, &to_sign).ok();
            }
            Credential::Token(provider) => {
                let token = provider
                    .token(STORAGE_SCOPE)
                    .await
                    .map_err(SendError::Token)?;
                authorization = Some(format!("Bearer {token}"));
            }
        }
        for (name, value) in &ms_headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(*name, value);
            }
        }
        if let Some(authorization) = authorization
            && let Ok(mut value) = HeaderValue::from_str(&authorization)
        {
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        if let Some(content_type) = request.content_type {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static(content_type),
            );
        }
        for (name, value) in [
            (reqwest::header::IF_MATCH, &request.if_match),
            (reqwest::header::IF_NONE_MATCH, &request.if_none_match),
        ] {
            if let Some(value) = value
                && let Ok(value) = HeaderValue::from_str(value)
            {
                headers.insert(name, value);
            }
        }
        let mut builder = self
            .inner
            .http
            .request(method.clone(), url)
            .headers(headers);
        if method == Method::PUT {
            builder = builder.body(request.body.clone());
        }
        let response = builder.send().await.map_err(SendError::Http)?;
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let e_tag = header("etag");
        let code = header("x-ms-error-code");
        let retry_after = header("retry-after")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(60)));
        let body = response.bytes().await.map_err(SendError::Http)?;
        Ok(Response {
            status,
            e_tag,
            code,
            retry_after,
            body,
        })
    }
}

/// Why a request got no answer.
enum SendError {
    Http(reqwest::Error),
    Token(botbuilder_core::BoxError),
}

/// What a request carries besides its method and URL.
#[derive(Default)]
struct Request {
    body: Vec<u8>,
    content_type: Option<&'static str>,
    if_match: Option<String>,
    if_none_match: Option<String>,
    /// Whether it creates a block blob (`x-ms-blob-type`).
    blob_type: bool,
    /// Blob metadata (`x-ms-meta-NAME`): names and values printable ASCII.
    metadata: Vec<(&'static str, String)>,
}

/// What the store reads of an answer.
struct Response {
    status: StatusCode,
    e_tag: Option<String>,
    code: Option<String>,
    retry_after: Option<Duration>,
    body: bytes::Bytes,
}

impl Response {
    fn error(&self, operation: &'static str) -> Error {
        Error::storage(
            "talking to azure blob storage",
            AzureBlobError::Status {
                operation,
                status: self.status.as_u16(),
                code: self.code.clone().unwrap_or_else(|| "-".to_owned()),
            },
        )
    }
}

fn is_transient(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// Exponential backoff with full jitter: up to 0.2 s, 0.4 s, 0.8 s... capped at 10 s.
fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = 200u64.saturating_mul(1 << attempt.min(6)).min(10_000);
    Duration::from_millis(fastrand::u64(ceiling_ms / 2..=ceiling_ms))
}

#[async_trait]
impl Storage for BlobStorage {
    async fn read(&self, keys: &[&str]) -> Result<StoreItems, Error> {
        let results = join_all(keys.iter().map(|key| self.read_one(key))).await;
        let mut items = StoreItems::new();
        for (key, result) in keys.iter().zip(results) {
            if let Some(document) = result? {
                items.insert((*key).to_owned(), document);
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
        let results = join_all(
            prepared
                .into_iter()
                .map(|(key, json, condition)| self.write_one(key, json, condition)),
        )
        .await;
        results.into_iter().collect()
    }

    async fn delete(&self, keys: &[&str]) -> Result<(), Error> {
        let results = join_all(keys.iter().map(|key| self.delete_one(key))).await;
        results.into_iter().collect()
    }
}

impl fmt::Debug for BlobStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStorage")
            .field("container", &self.inner.container)
            .field("layout", &self.inner.layout)
            .field("credential", &self.inner.credential)
            .finish_non_exhaustive()
    }
}

/// A parsed Azure Storage connection string.
struct ConnectionString {
    endpoint: url::Url,
    credential: Option<Credential>,
    container: Option<String>,
    layout: Option<KeyLayout>,
}

impl ConnectionString {
    fn parse(text: &str) -> Result<Self, String> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{:?} is not a Name=value pair", name_of(part)))?;
            pairs.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let container = get("containername").map(str::to_owned);
        let layout = get("layout").map(parse_layout).transpose()?;
        if get("usedevelopmentstorage").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            let endpoint = parse_endpoint(&format!("http://127.0.0.1:10000/{DEV_ACCOUNT}"))?;
            return Ok(Self {
                endpoint,
                credential: Some(Credential::SharedKey {
                    account: DEV_ACCOUNT.to_owned(),
                    key: auth::decode_key(DEV_KEY)?,
                }),
                container,
                layout,
            });
        }
        let account = get("accountname");
        let endpoint = match (get("blobendpoint"), account) {
            (Some(endpoint), _) => parse_endpoint(endpoint)?,
            (None, Some(account)) => {
                let protocol = get("defaultendpointsprotocol").unwrap_or("https");
                let suffix = get("endpointsuffix").unwrap_or("core.windows.net");
                parse_endpoint(&format!("{protocol}://{account}.blob.{suffix}"))?
            }
            (None, None) => {
                return Err("no BlobEndpoint or AccountName in the connection string".to_owned());
            }
        };
        let credential = match (get("sharedaccesssignature"), account, get("accountkey")) {
            (Some(sas), _, _) => Some(Credential::Sas(sas.trim_start_matches('?').into())),
            (None, Some(account), Some(key)) => Some(Credential::SharedKey {
                account: account.to_owned(),
                key: auth::decode_key(key)?,
            }),
            (None, None, Some(_)) => {
                return Err("an AccountKey needs its AccountName".to_owned());
            }
            _ => None,
        };
        Ok(Self {
            endpoint,
            credential,
            container,
            layout,
        })
    }
}

/// The name of a `Name=value` part, for errors (never the value: it may be a key).
fn name_of(part: &str) -> &str {
    part.split('=').next().unwrap_or_default()
}

fn parse_layout(value: &str) -> Result<KeyLayout, String> {
    match value.to_ascii_lowercase().as_str() {
        "dotnet" | "csharp" => Ok(KeyLayout::DotNet),
        "js" | "javascript" | "node" => Ok(KeyLayout::JavaScript),
        other => Err(format!("unknown layout {other:?}: expected dotnet or js")),
    }
}

fn parse_endpoint(endpoint: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(endpoint.trim()).map_err(|e| format!("invalid endpoint: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("the endpoint must be an http(s) URL with a host".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the endpoint takes no query or fragment".to_owned());
    }
    Ok(url)
}

/// `azblob://ACCOUNT/CONTAINER?sas=...|key=...&layout=...`.
fn account_url(url: &str) -> Result<BlobStorageBuilder, String> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let account = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("no account: expected azblob://ACCOUNT/CONTAINER")?
        .to_owned();
    let container = parsed.path().trim_matches('/').to_owned();
    if container.is_empty() || container.contains('/') {
        return Err("expected one container: azblob://ACCOUNT/CONTAINER".to_owned());
    }
    let mut builder = BlobStorage::builder().container(container);
    builder.endpoint = Some(parse_endpoint(&format!(
        "https://{account}.blob.core.windows.net"
    ))?);
    for (name, value) in parsed.query_pairs() {
        match name.as_ref() {
            "sas" => builder = builder.sas_token(&value),
            "key" => {
                builder.credential = Some(Credential::SharedKey {
                    account: account.clone(),
                    key: auth::decode_key(&value)?,
                });
            }
            "layout" => builder.layout = parse_layout(&value)?,
            other => {
                return Err(format!(
                    "unknown option {other:?}: expected sas, key or layout"
                ));
            }
        }
    }
    if builder.credential.is_none() {
        return Err(
            "no credentials: add ?sas=TOKEN or ?key=ACCOUNT_KEY (percent-encoded), or use the \
             builder with a token provider"
                .to_owned(),
        );
    }
    Ok(builder)
}

/// Container names: 3 to 63 lowercase letters, digits and single hyphens, starting and
/// ending with a letter or digit.
fn check_container_name(name: &str) -> Result<(), String> {
    let valid = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid container name {name:?}: 3 to 63 lowercase letters, digits and single \
             hyphens, starting and ending with a letter or digit"
        ))
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn configuration_error(input: &str, reason: String) -> Error {
    Error::storage(
        "configuring azure blob storage",
        AzureBlobError::Malformed {
            url: redact(input),
            reason,
        },
    )
}

/// The URL or connection string with its account key and SAS signature hidden.
///
/// ```
/// use botbuilder_storage_azure_blob::redact;
///
/// assert_eq!(
///     redact("azblob:AccountName=a;AccountKey=c2VjcmV0;ContainerName=s"),
///     "azblob:AccountName=a;AccountKey=***;ContainerName=s"
/// );
/// assert_eq!(redact("azblob://a/s?sas=sv%3D1%26sig%3Dx"), "azblob://a/s?sas=***");
/// ```
#[must_use]
pub fn redact(url: &str) -> String {
    const SECRET_PAIRS: [&str; 2] = ["accountkey", "sharedaccesssignature"];
    const SECRET_QUERY: [&str; 4] = ["sas", "key", "sig", "password"];
    if url.contains(';') || url.to_ascii_lowercase().contains("accountkey=") {
        return url
            .split(';')
            .map(|part| match part.split_once('=') {
                // The first pair follows `azblob:`.
                Some((name, _))
                    if SECRET_PAIRS.contains(
                        &name
                            .rsplit(':')
                            .next()
                            .unwrap_or_default()
                            .trim()
                            .to_ascii_lowercase()
                            .as_str(),
                    ) =>
                {
                    format!("{name}=***")
                }
                _ => part.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(";");
    }
    match url.split_once('?') {
        None => url.to_owned(),
        Some((base, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|segment| match segment.split_once('=') {
                    Some((name, _))
                        if SECRET_QUERY.contains(&name.to_ascii_lowercase().as_str()) =>
                    {
                        format!("{name}=***")
                    }
                    _ => segment.to_owned(),
                })
                .collect();
            format!("{base}?{}", query.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_give_the_endpoint_and_credentials() {
        let azurite = ConnectionString::parse(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\
             AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;\
             BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;ContainerName=bots;Layout=js",
        )
        .unwrap();
        assert_eq!(
            azurite.endpoint.as_str(),
            "http://127.0.0.1:10000/devstoreaccount1"
        );
        assert!(
            matches!(&azurite.credential, Some(Credential::SharedKey { account, .. }) if account == "devstoreaccount1")
        );
        assert_eq!(azurite.container.as_deref(), Some("bots"));
        assert_eq!(azurite.layout, Some(KeyLayout::JavaScript));

        let cloud = ConnectionString::parse(
            "DefaultEndpointsProtocol=https;AccountName=mybot;AccountKey=c2VjcmV0;EndpointSuffix=core.chinacloudapi.cn",
        )
        .unwrap();
        assert_eq!(
            cloud.endpoint.as_str(),
            "https://mybot.blob.core.chinacloudapi.cn/"
        );
        let sas = ConnectionString::parse(
            "BlobEndpoint=https://mybot.blob.core.windows.net;SharedAccessSignature=sv=2022-11-02&sig=abc",
        )
        .unwrap();
        assert!(
            matches!(&sas.credential, Some(Credential::Sas(s)) if &**s == "sv=2022-11-02&sig=abc")
        );
        let dev = ConnectionString::parse("UseDevelopmentStorage=true").unwrap();
        assert_eq!(
            dev.endpoint.as_str(),
            "http://127.0.0.1:10000/devstoreaccount1"
        );
    }

    #[test]
    fn bad_urls_are_malformed_without_secrets() {
        for bad in [
            "azblob://acct",
            "azblob://acct/c",
            "azblob://acct/c/d?sas=x",
            "azblob://acct/c?key=not%20base64!",
            "azblob://acct/c?sas=x&colour=blue",
            "azblob:AccountName=a;AccountKey=c2VjcmV0",
            "azblob:AccountKey=c2VjcmV0;ContainerName=c",
            "azblob:AccountName=a;ContainerName=c",
            "azblob:AccountName=a;AccountKey=c2VjcmV0;ContainerName=c;Layout=python",
            "azblob:garbage;ContainerName=c",
            "redis://x",
        ] {
            let e = BlobStorage::builder_from_url(bad).unwrap_err();
            assert!(matches!(e, AzureBlobError::Malformed { .. }), "{bad}: {e}");
            assert!(!e.to_string().contains("c2VjcmV0"), "{e}");
        }
        let b = BlobStorage::builder_from_url("azblob://acct/state?sas=sv%3D1%26sig%3Dx&layout=js")
            .unwrap();
        assert_eq!(
            b.endpoint.as_ref().map(url::Url::as_str),
            Some("https://acct.blob.core.windows.net/")
        );
        assert_eq!(b.layout, KeyLayout::JavaScript);
        assert!(matches!(&b.credential, Some(Credential::Sas(s)) if &**s == "sv=1&sig=x"));
        assert!(!format!("{b:?}").contains("sig=x"));
    }

    #[test]
    fn container_names_are_checked() {
        for good in ["bot-state", "abc", &"a".repeat(63)] {
            assert!(check_container_name(good).is_ok(), "{good}");
        }
        for bad in ["ab", "Bot", "a--b", "-ab", "ab-", "a_b", &"a".repeat(64)] {
            assert!(check_container_name(bad).is_err(), "{bad}");
        }
    }

    /// A store on a fresh container of the Azurite in `BOTBUILDER_TEST_AZURE_BLOB_URL`.
    pub(crate) async fn azurite_store(test: &str, layout: &str) -> Option<BlobStorage> {
        let url = botbuilder_core::testing::server_url("BOTBUILDER_TEST_AZURE_BLOB_URL", test)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let url = format!(
            "{};ContainerName=c{}-{nanos:x};Layout={layout}",
            url.trim_end_matches(';'),
            std::process::id()
        );
        Some(BlobStorage::connect_url(&url).await.unwrap())
    }

    /// Writes a blob as BotBuilder does: JSON, `Content-Type: application/json`.
    async fn put_raw(store: &BlobStorage, name: &str, body: &str) -> String {
        let request = Request {
            body: body.as_bytes().to_vec(),
            content_type: Some("application/json"),
            blob_type: true,
            ..Request::default()
        };
        let response = store
            .send("PUT blob", Method::PUT, store.named_blob_url(name), request)
            .await
            .unwrap();
        assert_eq!(response.status, StatusCode::CREATED);
        response.e_tag.unwrap()
    }

    async fn get_raw(store: &BlobStorage, name: &str) -> Response {
        store
            .send(
                "GET blob",
                Method::GET,
                store.named_blob_url(name),
                Request::default(),
            )
            .await
            .unwrap()
    }

    /// A conversation's state as BotBuilder .NET's `BlobsStorage` writes it: the blob named
    /// `HttpUtility.UrlEncode(key)`, Json.NET's output with `TypeNameHandling.All` (`$type`
    /// members, lists as `$values`), the eTag left in the body by `BotState`'s forced save.
    #[tokio::test]
    async fn reads_and_updates_state_botbuilder_dotnet_wrote() {
        let Some(store) =
            azurite_store("reads_and_updates_state_botbuilder_dotnet_wrote", "dotnet").await
        else {
            return;
        };
        let key = "msteams/conversations/19:meeting_Nz@thread.v2";
        let name = "msteams%2fconversations%2f19%3ameeting_Nz%40thread.v2";
        assert_eq!(store.blob_name(key), name);
        let written_by_dotnet = r#"{"$type":"System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.Object, System.Private.CoreLib]], System.Private.CoreLib","DialogState":{"$type":"Microsoft.Bot.Builder.Dialogs.DialogState, Microsoft.Bot.Builder.Dialogs","dialogStack":{"$type":"System.Collections.Generic.List`1[[Microsoft.Bot.Builder.Dialogs.DialogInstance, Microsoft.Bot.Builder.Dialogs]], System.Private.CoreLib","$values":[]}},"ConversationData":{"$type":"EchoBot.ConversationData, EchoBot","Count":3,"Topic":"billing"},"eTag":"*"}"#;
        let blob_e_tag = put_raw(&store, name, written_by_dotnet).await;

        let read = store.read(&[key]).await.unwrap();
        let document = &read[key];
        assert_eq!(document["eTag"], blob_e_tag, "the eTag is the blob's ETag");
        assert_eq!(document["ConversationData"]["Count"], 3);
        assert_eq!(document["ConversationData"]["Topic"], "billing");
        assert_eq!(
            document["DialogState"]["dialogStack"]["$values"],
            serde_json::json!([])
        );

        // The bot updates a property and saves under the ETag it read.
        let mut updated = document.clone();
        updated["ConversationData"]["Count"] = 4.into();
        let e_tags = store
            .write(StoreItems::from([(key.to_owned(), updated.clone())]))
            .await
            .unwrap();
        assert_ne!(e_tags[key], blob_e_tag);
        // The old ETag now conflicts, as BotBuilder's 412 does.
        let stale = store
            .write(StoreItems::from([(key.to_owned(), document.clone())]))
            .await
            .unwrap_err();
        assert!(stale.is_conflict(), "{stale:?}");

        // What BotBuilder .NET then reads: the same blob, `$type` members kept, no eTag.
        let raw = get_raw(&store, name).await;
        let body: Value = serde_json::from_slice(&raw.body).unwrap();
        assert_eq!(body["ConversationData"]["Count"], 4);
        assert_eq!(
            body["ConversationData"]["$type"],
            "EchoBot.ConversationData, EchoBot"
        );
        assert!(body["$type"].is_string());
        assert!(body.get("eTag").is_none(), "{body}");
        assert_eq!(raw.e_tag.as_deref(), Some(e_tags[key].as_str()));
    }

    /// A user's state as BotBuilder JavaScript's `BlobsStorage` writes it: the blob named
    /// `encodeURIComponent(key)`, the plain JSON object without its eTag.
    #[tokio::test]
    async fn reads_state_botbuilder_javascript_wrote() {
        let Some(store) = azurite_store("reads_state_botbuilder_javascript_wrote", "js").await
        else {
            return;
        };
        let key = "webchat/users/dl_Ada Lovelace";
        let name = "webchat%2Fusers%2Fdl_Ada%20Lovelace";
        assert_eq!(store.blob_name(key), name);
        let e_tag = put_raw(
            &store,
            name,
            r#"{"userProfile":{"name":"Ada","age":36},"dialogState":{"dialogStack":[]}}"#,
        )
        .await;
        let read = store.read(&[key]).await.unwrap();
        assert_eq!(read[key]["userProfile"]["name"], "Ada");
        assert_eq!(read[key]["eTag"], e_tag);

        // A new document of ours is found where BotBuilder JavaScript looks for it.
        store
            .write(StoreItems::from([(
                "webchat/conversations/c1".to_owned(),
                serde_json::json!({"count": 1, "eTag": "*"}),
            )]))
            .await
            .unwrap();
        let raw = get_raw(&store, "webchat%2Fconversations%2Fc1").await;
        assert_eq!(raw.status, StatusCode::OK);
        assert_eq!(&raw.body[..], br#"{"count":1}"#);
    }

    /// A loopback stand-in for the Blob service: answers each request with the next of
    /// `answers` (status line and headers, then body), and records the requests' heads.
    pub(crate) async fn stand_in(
        answers: Vec<(&'static str, &'static str)>,
    ) -> (url::Url, Arc<std::sync::Mutex<Vec<String>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint =
            url::Url::parse(&format!("http://{}/acct", listener.local_addr().unwrap())).unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            for (head, body) in answers {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // The head, then as many body bytes as Content-Length says.
                loop {
                    let n = socket.read(&mut buf).await.unwrap();
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length || n == 0 {
                            log.lock().unwrap().push(text[..end].to_owned());
                            break;
                        }
                    }
                }
                let response = format!(
                    "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
                let _ = socket.shutdown().await;
            }
        });
        (endpoint, seen)
    }

    pub(crate) async fn stand_in_store(endpoint: &url::Url, retries: u32) -> BlobStorage {
        BlobStorage::builder()
            .endpoint(endpoint.as_str())
            .unwrap()
            .account_key("acct", "c2VjcmV0")
            .unwrap()
            .container("state")
            .create_container(false)
            .max_retries(retries)
            .connect()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn transient_answers_are_retried_with_the_same_condition() {
        let (endpoint, seen) = stand_in(vec![
            (
                "HTTP/1.1 503 Service Unavailable\r\nx-ms-error-code: ServerBusy\r\nRetry-After: 0",
                "",
            ),
            ("HTTP/1.1 500 Internal Server Error", ""),
            ("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0", ""),
            ("HTTP/1.1 201 Created\r\nETag: \"0x8DC\"", ""),
        ])
        .await;
        let store = stand_in_store(&endpoint, 4).await;
        let e_tags = store
            .write(StoreItems::from([(
                "a/b".to_owned(),
                serde_json::json!({"n": 1, "eTag": "\"0x8DB\""}),
            )]))
            .await
            .unwrap();
        assert_eq!(e_tags["a/b"], "\"0x8DC\"");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 4, "{seen:?}");
        for head in seen.iter() {
            let head = head.to_ascii_lowercase();
            assert!(head.starts_with("put /acct/state/a%252fb "), "{head}");
            assert!(head.contains("if-match: \"0x8db\""), "{head}");
            assert!(head.contains("authorization: sharedkey acct:"), "{head}");
            assert!(head.contains("x-ms-blob-type: blockblob"), "{head}");
        }
    }

    #[derive(Debug)]
    struct Tokens(Option<&'static str>);

    #[async_trait]
    impl TokenProvider for Tokens {
        async fn token(&self, scope: &str) -> Result<String, botbuilder_core::BoxError> {
            assert_eq!(scope, STORAGE_SCOPE);
            self.0
                .map(str::to_owned)
                .ok_or_else(|| "no identity here".into())
        }
    }

    #[tokio::test]
    async fn a_token_provider_authorizes_with_a_bearer_token() {
        let (endpoint, seen) = stand_in(vec![("HTTP/1.1 202 Accepted", "")]).await;
        let store = BlobStorage::builder()
            .endpoint(endpoint.as_str())
            .unwrap()
            .token_provider(Arc::new(Tokens(Some("eyJ0.abc"))))
            .container("state")
            .create_container(false)
            .connect()
            .await
            .unwrap();
        store.delete(&["k"]).await.unwrap();
        let head = seen.lock().unwrap()[0].to_ascii_lowercase();
        assert!(head.starts_with("delete /acct/state/k "), "{head}");
        assert!(head.contains("authorization: bearer eyj0.abc"), "{head}");
        assert!(head.contains("x-ms-version: "), "{head}");

        let failing = BlobStorage::builder()
            .endpoint(endpoint.as_str())
            .unwrap()
            .token_provider(Arc::new(Tokens(None)))
            .container("state")
            .create_container(false)
            .connect()
            .await
            .unwrap();
        let e = failing.read(&["k"]).await.unwrap_err();
        let shown = botbuilder_core::error::report(&e).to_string();
        assert!(
            shown.contains("getting a token") && shown.contains("no identity here"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn retries_run_out_into_a_typed_error() {
        let (endpoint, seen) = stand_in(vec![
            (
                "HTTP/1.1 503 Service Unavailable\r\nx-ms-error-code: ServerBusy\r\nRetry-After: 0",
                "",
            ),
            (
                "HTTP/1.1 503 Service Unavailable\r\nx-ms-error-code: ServerBusy\r\nRetry-After: 0",
                "",
            ),
        ])
        .await;
        let store = stand_in_store(&endpoint, 1).await;
        let e = store.read(&["k"]).await.unwrap_err();
        let status = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<AzureBlobError>())
            .unwrap_or_else(|| panic!("{e:?}"));
        assert!(status.is_throttled(), "{status}");
        assert_eq!(
            status.to_string(),
            "azure blob storage answered 503 (ServerBusy) to GET blob"
        );
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn bad_answers_are_errors_not_panics() {
        let (endpoint, _) = stand_in(vec![
            ("HTTP/1.1 200 OK\r\nETag: \"1\"", "{not json"),
            ("HTTP/1.1 200 OK\r\nETag: \"1\"", "[1, 2]"),
            ("HTTP/1.1 200 OK", "{}"),
            ("HTTP/1.1 201 Created", ""),
            ("HTTP/1.1 418 I'm a teapot", "<xml/>"),
        ])
        .await;
        let store = stand_in_store(&endpoint, 0).await;
        for _ in 0..3 {
            let e = store.read(&["k"]).await.unwrap_err();
            assert!(matches!(e, Error::InvalidDocument { .. }), "{e:?}");
        }
        let e = store
            .write(StoreItems::from([("k".to_owned(), serde_json::json!({}))]))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Storage { .. }), "{e:?}");
        let e = store.delete(&["k"]).await.unwrap_err();
        assert!(
            botbuilder_core::error::report(&e)
                .to_string()
                .contains("418"),
            "{e:?}"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let d = backoff(attempt);
            assert!(d <= Duration::from_secs(10), "{attempt}: {d:?}");
            assert!(d >= Duration::from_millis(200), "{attempt}: {d:?}");
        }
    }
}
