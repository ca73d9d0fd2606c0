//! [`ManagedIdentityCredentials`]: tokens from an Azure managed identity (IMDS).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Url;

use crate::auth::cache::{TokenCache, read_token_answer, unreachable_token_endpoint};
use crate::auth::settings::resource_of;
use crate::auth::{AccessToken, AppCredentials, default_scope_for};
use crate::clock::{Clock, SystemClock};
use crate::retry::{Replay, RetryPolicy};
use crate::transport::Transport;
use crate::urls::check_secure;
use crate::{ConnectorError, default_http_client};

/// The Azure Instance Metadata Service token endpoint.
pub const IMDS_TOKEN_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// App credentials of a user-assigned managed identity (`MicrosoftAppType=UserAssignedMSI`):
/// the bot's app id is the identity's client id, and tokens come from the Azure Instance
/// Metadata Service (IMDS) of the VM or container the bot runs on; there is no password.
///
/// The request is `GET {endpoint}?api-version=2018-02-01&resource={resource}&client_id={app id}`
/// with `Metadata: true`. Tokens are cached and refreshed like [`MicrosoftAppCredentials`]'s.
///
/// [`MicrosoftAppCredentials`]: crate::auth::MicrosoftAppCredentials
///
/// ```
/// use botbuilder_connector::auth::{AppCredentials, ManagedIdentityCredentials};
///
/// let credentials = ManagedIdentityCredentials::new("identity-client-id", "https://api.botframework.com")?;
/// assert_eq!(credentials.app_id(), Some("identity-client-id"));
/// assert_eq!(credentials.oauth_scope(), "https://api.botframework.com");
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
pub struct ManagedIdentityCredentials {
    client_id: String,
    oauth_scope: String,
    endpoint: Url,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    cache: TokenCache,
}

impl ManagedIdentityCredentials {
    /// Credentials for the managed identity with this client id, asking tokens for
    /// `oauth_scope` by default (`ToChannelFromBotOAuthScope`, such as
    /// `https://api.botframework.com`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty client id;
    /// [`ConnectorError::Transport`] if no HTTP client can be built.
    pub fn new(
        client_id: impl Into<String>,
        oauth_scope: impl Into<String>,
    ) -> Result<Self, ConnectorError> {
        let client_id = client_id.into().trim().to_owned();
        if client_id.is_empty() {
            return Err(ConnectorError::invalid_argument(
                "the managed identity's client id (MicrosoftAppId) is empty",
            ));
        }
        let endpoint = Url::parse(IMDS_TOKEN_ENDPOINT)
            .map_err(|e| ConnectorError::invalid_url(IMDS_TOKEN_ENDPOINT, e.to_string()))?;
        Ok(Self {
            client_id,
            oauth_scope: resource_of(&oauth_scope.into()).to_owned(),
            endpoint,
            http: default_http_client()?,
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            cache: TokenCache::default(),
        })
    }

    /// Asks tokens from another endpoint: https, loopback http (tests), or IMDS itself.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] for any other URL.
    pub fn with_endpoint(mut self, endpoint: &str) -> Result<Self, ConnectorError> {
        let url = Url::parse(endpoint.trim())
            .map_err(|e| ConnectorError::invalid_url(endpoint, e.to_string()))?;
        let is_imds = url.scheme() == "http" && url.host_str() == Some("169.254.169.254");
        if !is_imds {
            check_secure(&url, "the managed identity endpoint")?;
        }
        self.endpoint = url;
        Ok(self)
    }

    /// Uses this HTTP client.
    #[must_use]
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Uses this clock for token expiry and retry waits.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses this retry policy for token requests.
    #[must_use]
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    async fn fetch(&self, resource: &str) -> Result<AccessToken, ConnectorError> {
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("api-version", "2018-02-01")
            .append_pair("resource", resource)
            .append_pair("client_id", &self.client_id);
        let endpoint = self.endpoint.as_str();
        let transport = Transport {
            retry: &self.retry,
            clock: self.clock.as_ref(),
        };
        let what = format!("GET {endpoint}");
        tracing::debug!(client_id = %self.client_id, resource, "requesting a managed identity token");
        let answer = transport
            .send(&what, Replay::Idempotent, &|| {
                self.http.get(url.clone()).header("Metadata", "true")
            })
            .await
            .map_err(|e| {
                unreachable_token_endpoint(
                    e,
                    endpoint,
                    "the managed identity endpoint could not be reached",
                )
            })?;
        read_token_answer(&answer, endpoint, self.clock.now())
    }
}

#[async_trait]
impl AppCredentials for ManagedIdentityCredentials {
    fn app_id(&self) -> Option<&str> {
        Some(&self.client_id)
    }

    fn oauth_scope(&self) -> &str {
        &self.oauth_scope
    }

    async fn token(&self, scope: &str) -> Result<Option<AccessToken>, ConnectorError> {
        let key = default_scope_for(scope);
        let resource = resource_of(scope);
        let token = self
            .cache
            .get_or_fetch(&key, self.clock.as_ref(), || self.fetch(resource))
            .await?;
        Ok(Some(token))
    }

    async fn invalidate(&self, scope: &str, rejected: &AccessToken) {
        self.cache
            .invalidate(&default_scope_for(scope), rejected)
            .await;
    }
}

impl fmt::Debug for ManagedIdentityCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedIdentityCredentials")
            .field("client_id", &self.client_id)
            .field("endpoint", &self.endpoint.as_str())
            .field("oauth_scope", &self.oauth_scope)
            .finish_non_exhaustive()
    }
}
