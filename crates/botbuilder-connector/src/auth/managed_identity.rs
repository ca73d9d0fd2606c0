//! [`ManagedIdentityCredentials`]: tokens from an Azure managed identity, through the VM's
//! Instance Metadata Service (IMDS) or the App Service / Functions / Container Apps identity
//! endpoint (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Url;

use crate::auth::cache::{TokenCache, read_token_answer, unreachable_token_endpoint};
use crate::auth::settings::resource_of;
use crate::auth::{AccessToken, AppCredentials, Secret};
use crate::clock::{Clock, SystemClock};
use crate::retry::{Replay, RetryPolicy};
use crate::transport::Transport;
use crate::urls::{check_secure, is_loopback_host};
use crate::{ConnectorError, default_http_client};

/// The Azure Instance Metadata Service token endpoint.
pub const IMDS_TOKEN_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// The App Service / Functions / Container Apps identity endpoint's API version.
pub const APP_SERVICE_IDENTITY_API_VERSION: &str = "2019-08-01";

/// App credentials of a managed identity (`MicrosoftAppType=UserAssignedMSI`): the bot's app
/// id is the identity's client id; there is no password. Tokens come from one of two places:
///
/// - the Azure Instance Metadata Service (IMDS) of the VM the bot runs on (the default):
///   `GET {endpoint}?api-version=2018-02-01&resource={resource}&client_id={app id}` with
///   `Metadata: true`;
/// - the identity endpoint of App Service, Azure Functions and Container Apps
///   ([`with_app_service_endpoint`](Self::with_app_service_endpoint), which
///   [`BotConfig`](crate::config::BotConfig) selects when `IDENTITY_ENDPOINT` and
///   `IDENTITY_HEADER` are set): `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource={resource}&client_id={app id}`
///   with `X-IDENTITY-HEADER: {IDENTITY_HEADER}` (a secret: never logged or printed).
///
/// A [system-assigned](Self::system_assigned) identity sends no `client_id`. Tokens are cached
/// and refreshed like [`MicrosoftAppCredentials`]'s.
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
    user_assigned: bool,
    oauth_scope: String,
    endpoint: Url,
    identity_header: Option<Secret>,
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
            user_assigned: true,
            oauth_scope: resource_of(&oauth_scope.into()).to_owned(),
            endpoint,
            identity_header: None,
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
        self.identity_header = None;
        Ok(self)
    }

    /// Asks tokens from the identity endpoint of App Service, Azure Functions or Container
    /// Apps: `endpoint` is `IDENTITY_ENDPOINT`, `header` is `IDENTITY_HEADER`, sent as
    /// `X-IDENTITY-HEADER` with `api-version=2019-08-01`.
    ///
    /// The endpoint must be https, or http on a loopback, link-local or private address (the
    /// platform's own endpoint, such as `http://localhost:42356/msi/token`).
    ///
    /// ```
    /// use botbuilder_connector::auth::ManagedIdentityCredentials;
    ///
    /// let credentials = ManagedIdentityCredentials::new("identity-client-id", "https://api.botframework.com")?
    ///     .with_app_service_endpoint("http://localhost:42356/msi/token", "header-value")?;
    /// assert!(!format!("{credentials:?}").contains("header-value"));
    /// # Ok::<(), botbuilder_connector::ConnectorError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] for any other URL;
    /// [`ConnectorError::InvalidArgument`] for an empty header.
    pub fn with_app_service_endpoint(
        mut self,
        endpoint: &str,
        header: impl Into<Secret>,
    ) -> Result<Self, ConnectorError> {
        let header = header.into();
        if header.expose().trim().is_empty() {
            return Err(ConnectorError::invalid_argument(
                "the managed identity header (IDENTITY_HEADER) is empty",
            ));
        }
        self.endpoint = parse_platform_endpoint(endpoint)?;
        self.identity_header = Some(header);
        Ok(self)
    }

    /// The identity is system-assigned: token requests carry no `client_id` (the app id is
    /// still the bot's, for [`app_id`](AppCredentials::app_id)).
    #[must_use]
    pub fn system_assigned(mut self) -> Self {
        self.user_assigned = false;
        self
    }

    /// The identity's client id.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
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
        {
            let mut query = url.query_pairs_mut();
            let api_version = if self.identity_header.is_some() {
                APP_SERVICE_IDENTITY_API_VERSION
            } else {
                "2018-02-01"
            };
            query
                .append_pair("api-version", api_version)
                .append_pair("resource", resource);
            if self.user_assigned {
                query.append_pair("client_id", &self.client_id);
            }
        }
        let endpoint = self.endpoint.as_str();
        let transport = Transport {
            retry: &self.retry,
            clock: self.clock.as_ref(),
        };
        let what = format!("GET {endpoint}");
        tracing::debug!(
            client_id = %self.client_id,
            user_assigned = self.user_assigned,
            app_service = self.identity_header.is_some(),
            resource,
            "requesting a managed identity token"
        );
        let answer = transport
            .send(
                "GET {managedIdentityEndpoint}",
                &what,
                Replay::Idempotent,
                &|| {
                    let request = self.http.get(url.clone());
                    match &self.identity_header {
                        Some(header) => request.header("X-IDENTITY-HEADER", header.expose()),
                        None => request.header("Metadata", "true"),
                    }
                },
            )
            .await
            .map_err(|e| {
                unreachable_token_endpoint(
                    e,
                    endpoint,
                    "the managed identity endpoint could not be reached",
                )
            })?;
        // An endpoint that echoes the request must not put the header into the error.
        let answer = match &self.identity_header {
            Some(header) if !answer.status.is_success() => answer.redacting(header.expose()),
            _ => answer,
        };
        read_token_answer(&answer, endpoint, self.clock.now())
    }
}

/// Parses the platform's identity endpoint: https, or http on a loopback, link-local or
/// private address (App Service on Linux gives a private address, Container Apps `localhost`).
pub(crate) fn parse_platform_endpoint(endpoint: &str) -> Result<Url, ConnectorError> {
    let url = Url::parse(endpoint.trim())
        .map_err(|e| ConnectorError::invalid_url(endpoint, e.to_string()))?;
    let local_http = url.scheme() == "http"
        && url.host_str().is_some_and(|host| {
            is_loopback_host(host)
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| match ip {
                        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local(),
                        IpAddr::V6(v6) => v6.is_unique_local() || v6.is_unicast_link_local(),
                    })
        });
    if !local_http {
        check_secure(&url, "the managed identity endpoint (IDENTITY_ENDPOINT)")?;
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConnectorError::invalid_url(
            url.as_str(),
            "the managed identity endpoint (IDENTITY_ENDPOINT) must not carry credentials",
        ));
    }
    Ok(url)
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
        // Managed identity asks for a resource, not a scope.
        let resource = resource_of(scope);
        self.cache
            .app_token(scope, self.clock.as_ref(), |_| self.fetch(resource))
            .await
    }

    async fn invalidate(&self, scope: &str, rejected: &AccessToken) {
        self.cache.invalidate_app_token(scope, rejected).await;
    }
}

impl fmt::Debug for ManagedIdentityCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedIdentityCredentials")
            .field("client_id", &self.client_id)
            .field("user_assigned", &self.user_assigned)
            .field("endpoint", &self.endpoint.as_str())
            .field("identity_header", &self.identity_header)
            .field("oauth_scope", &self.oauth_scope)
            .finish_non_exhaustive()
    }
}
