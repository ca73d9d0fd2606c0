//! [`MicrosoftAppCredentials`]: client-credentials tokens for an app id and password.

use std::fmt;

use async_trait::async_trait;

use crate::ConnectorError;
use crate::auth::entra::{EntraClient, entra_credential_methods};
use crate::auth::{AccessToken, AppCredentials, OnBehalfOfRequest, OutgoingAuthSettings, Secret};

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
    entra: EntraClient,
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
        Ok(Self {
            app_id,
            password,
            entra: EntraClient::new(settings)?,
        })
    }

    entra_credential_methods!();

    async fn fetch(&self, scope: &str) -> Result<AccessToken, ConnectorError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.app_id.as_str()),
            ("client_secret", self.password.expose()),
            ("scope", scope),
        ];
        tracing::debug!(app_id = %self.app_id, endpoint = self.entra.token_endpoint.as_str(), scope, "requesting an app token");
        self.entra.post_form(&form, self.password.expose()).await
    }
}

#[async_trait]
impl AppCredentials for MicrosoftAppCredentials {
    fn app_id(&self) -> Option<&str> {
        Some(&self.app_id)
    }

    fn oauth_scope(&self) -> &str {
        self.entra.settings.scope()
    }

    async fn token(&self, scope: &str) -> Result<Option<AccessToken>, ConnectorError> {
        self.entra
            .app_token(scope, |scope| async move { self.fetch(&scope).await })
            .await
    }

    async fn invalidate(&self, scope: &str, rejected: &AccessToken) {
        self.entra.invalidate(scope, rejected).await;
    }

    async fn on_behalf_of(
        &self,
        request: &OnBehalfOfRequest,
    ) -> Result<AccessToken, ConnectorError> {
        self.entra
            .on_behalf_of(
                &request.token_endpoint(&self.entra.settings)?,
                &self.app_id,
                &[("client_secret", self.password.expose())],
                request,
            )
            .await
    }
}

impl fmt::Debug for MicrosoftAppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MicrosoftAppCredentials")
            .field("app_id", &self.app_id)
            .field("password", &self.password)
            .field("token_endpoint", &self.entra.token_endpoint.as_str())
            .field("scope", &self.entra.settings.scope())
            .finish_non_exhaustive()
    }
}
