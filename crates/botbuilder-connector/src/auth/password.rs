//! [`MicrosoftAppCredentials`]: client-credentials tokens for an app id and password.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Url;

use crate::auth::cache::{TokenCache, post_token_form};
use crate::auth::on_behalf_of::post_on_behalf_of;
use crate::auth::{AccessToken, AppCredentials, OnBehalfOfRequest, OutgoingAuthSettings, Secret};
use crate::clock::{Clock, SystemClock};
use crate::retry::RetryPolicy;
use crate::transport::Transport;
use crate::{ConnectorError, default_http_client};

/// App credentials from `MicrosoftAppId` and `MicrosoftAppPassword`: OAuth 2.0 client-credentials
/// tokens from Microsoft Entra ID, multi-tenant or single-tenant (see
/// [`OutgoingAuthSettings`]).
///
/// The token request is `POST {authority}/oauth2/v2.0/token` with `grant_type=client_credentials`,
/// `client_id`, `client_secret` and `scope={scope}/.default`. Tokens are cached per scope and
/// refreshed up to five minutes before they expire; concurrent callers share one refresh.
/// Neither the password nor tokens appear in `Debug` or logs.
///
/// ```
/// use std::sync::Arc;
/// use botbuilder_connector::auth::{AppCredentials, MicrosoftAppCredentials, OutgoingAuthSettings};
///
/// let single_tenant = OutgoingAuthSettings::default().with_tenant_id("contoso.onmicrosoft.com");
/// let credentials = MicrosoftAppCredentials::new("app-id", "app-password", single_tenant)?;
/// assert_eq!(
///     credentials.token_endpoint().as_str(),
///     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
/// );
/// assert!(!format!("{credentials:?}").contains("app-password"));
/// let shared: Arc<dyn AppCredentials> = Arc::new(credentials);
/// assert_eq!(shared.app_id(), Some("app-id"));
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
pub struct MicrosoftAppCredentials {
    app_id: String,
    password: Secret,
    settings: OutgoingAuthSettings,
    token_endpoint: Url,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    cache: TokenCache,
}

impl MicrosoftAppCredentials {
    /// Credentials for an app id and password.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty app id or password or a malformed tenant;
    /// [`ConnectorError::InvalidUrl`] for a login URL that is malformed or not https (loopback
    /// hosts may use http); [`ConnectorError::Transport`] if no HTTP client can be built.
    pub fn new(
        app_id: impl Into<String>,
        password: impl Into<Secret>,
        settings: OutgoingAuthSettings,
    ) -> Result<Self, ConnectorError> {
        let app_id = app_id.into().trim().to_owned();
        let password = password.into();
        if app_id.is_empty() {
            return Err(ConnectorError::invalid_argument(
                "MicrosoftAppId is empty (use AnonymousCredentials for a bot without an app id)",
            ));
        }
        if password.is_empty() {
            return Err(ConnectorError::invalid_argument(
                "MicrosoftAppPassword is empty",
            ));
        }
        let token_endpoint = settings.token_endpoint()?;
        Ok(Self {
            app_id,
            password,
            settings,
            token_endpoint,
            http: default_http_client()?,
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            cache: TokenCache::default(),
        })
    }

    /// Uses this HTTP client (to share one connection pool with the connector clients).
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

    /// The token endpoint tokens are asked from.
    #[must_use]
    pub fn token_endpoint(&self) -> &Url {
        &self.token_endpoint
    }

    /// The settings these credentials were made with.
    #[must_use]
    pub fn settings(&self) -> &OutgoingAuthSettings {
        &self.settings
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken, ConnectorError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.app_id.as_str()),
            ("client_secret", self.password.expose()),
            ("scope", scope),
        ];
        let transport = Transport {
            retry: &self.retry,
            clock: self.clock.as_ref(),
        };
        tracing::debug!(app_id = %self.app_id, endpoint = self.token_endpoint.as_str(), scope, "requesting an app token");
        post_token_form(
            &self.http,
            &transport,
            &self.token_endpoint,
            &form,
            self.password.expose(),
            self.clock.as_ref(),
        )
        .await
    }
}

#[async_trait]
impl AppCredentials for MicrosoftAppCredentials {
    fn app_id(&self) -> Option<&str> {
        Some(&self.app_id)
    }

    fn oauth_scope(&self) -> &str {
        self.settings.scope()
    }

    async fn token(&self, scope: &str) -> Result<Option<AccessToken>, ConnectorError> {
        self.cache
            .app_token(scope, self.clock.as_ref(), |scope| async move {
                self.fetch(&scope).await
            })
            .await
    }

    async fn invalidate(&self, scope: &str, rejected: &AccessToken) {
        self.cache.invalidate_app_token(scope, rejected).await;
    }

    async fn on_behalf_of(
        &self,
        request: &OnBehalfOfRequest,
    ) -> Result<AccessToken, ConnectorError> {
        let transport = Transport {
            retry: &self.retry,
            clock: self.clock.as_ref(),
        };
        post_on_behalf_of(
            &self.http,
            &transport,
            &request.token_endpoint(&self.settings)?,
            &self.app_id,
            &[("client_secret", self.password.expose())],
            request,
            self.clock.as_ref(),
        )
        .await
    }
}

impl fmt::Debug for MicrosoftAppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MicrosoftAppCredentials")
            .field("app_id", &self.app_id)
            .field("password", &self.password)
            .field("token_endpoint", &self.token_endpoint.as_str())
            .field("scope", &self.settings.scope())
            .finish_non_exhaustive()
    }
}
