//! [`FederatedCredentials`]: a managed identity's token as the client assertion of the bot's
//! app registration (federated identity credentials).

use std::fmt;

use async_trait::async_trait;

use crate::ConnectorError;
use crate::auth::entra::{EntraClient, entra_credential_methods};
use crate::auth::{
    AccessToken, AppCredentials, JWT_BEARER_ASSERTION_TYPE, ManagedIdentityCredentials,
    OnBehalfOfRequest, OutgoingAuthSettings,
};

/// The audience of the managed identity tokens used as client assertions: Entra ID's token
/// exchange.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// App credentials of an app registration that trusts a managed identity (a federated
/// identity credential on the app, `MicrosoftAppClientId` / `FICClientId` naming the
/// identity): no password and no certificate anywhere.
///
/// Each app token takes two steps:
///
/// 1. a token of the managed identity for the audience [`TOKEN_EXCHANGE_AUDIENCE`]
///    (`api://AzureADTokenExchange`), from the identity endpoint of App Service, Functions
///    or Container Apps, or the VM's metadata service (the given
///    [`ManagedIdentityCredentials`] ask for it, and cache it);
/// 2. `POST {authority}/oauth2/v2.0/token` with `grant_type=client_credentials`, `client_id`
///    (the bot's app id), `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`,
///    `client_assertion` (that token) and `scope={scope}/.default`.
///
/// App tokens are cached and refreshed like
/// [`MicrosoftAppCredentials`](crate::auth::MicrosoftAppCredentials)'s; when Entra ID refuses an
/// assertion, the identity's token is dropped so the next request gets a new one.
///
/// ```
/// use botbuilder_connector::auth::{
///     AppCredentials, FederatedCredentials, ManagedIdentityCredentials, OutgoingAuthSettings,
/// };
///
/// let identity = ManagedIdentityCredentials::new("identity-client-id", "api://AzureADTokenExchange")?;
/// let settings = OutgoingAuthSettings::default().with_tenant_id("contoso.onmicrosoft.com");
/// let credentials = FederatedCredentials::new("bot-app-id", identity, settings)?;
/// assert_eq!(credentials.app_id(), Some("bot-app-id"));
/// assert_eq!(credentials.identity_client_id(), "identity-client-id");
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
pub struct FederatedCredentials {
    app_id: String,
    identity: ManagedIdentityCredentials,
    entra: EntraClient,
}

impl FederatedCredentials {
    /// Credentials for the app `app_id` (`MicrosoftAppId`), whose assertions are tokens of
    /// `identity` (the managed identity its federated credential trusts), asking the
    /// authority of `settings` (the app's tenant).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty app id or a malformed tenant;
    /// [`ConnectorError::InvalidUrl`] for a login URL that is malformed or not https;
    /// [`ConnectorError::Transport`] if no HTTP client can be built.
    pub fn new(
        app_id: impl Into<String>,
        identity: ManagedIdentityCredentials,
        settings: OutgoingAuthSettings,
    ) -> Result<Self, ConnectorError> {
        let app_id = app_id.into().trim().to_owned();
        if app_id.is_empty() {
            return Err(ConnectorError::invalid_argument(
                "MicrosoftAppId is empty (federated credentials need the app's id)",
            ));
        }
        Ok(Self {
            app_id,
            identity,
            entra: EntraClient::new(settings)?,
        })
    }

    entra_credential_methods!();

    /// The managed identity's client id (`MicrosoftAppClientId` / `FICClientId`).
    #[must_use]
    pub fn identity_client_id(&self) -> &str {
        self.identity.client_id()
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken, ConnectorError> {
        let Some(assertion) = self.identity.token(TOKEN_EXCHANGE_AUDIENCE).await? else {
            return Err(ConnectorError::invalid_argument(
                "the managed identity gave no token for the token exchange",
            ));
        };
        tracing::debug!(
            app_id = %self.app_id,
            identity = %self.identity.client_id(),
            endpoint = self.entra.token_endpoint.as_str(),
            scope,
            "requesting an app token with a managed identity's assertion"
        );
        let answer = self
            .entra
            .post_assertion(&self.app_id, assertion.secret().expose(), scope)
            .await;
        if let Err(ConnectorError::Token {
            status: Some(status),
            ..
        }) = &answer
            && status.is_client_error()
        {
            // A refused assertion (revoked, or the federation changed): ask for a new one next.
            self.identity
                .invalidate(TOKEN_EXCHANGE_AUDIENCE, &assertion)
                .await;
        }
        answer
    }
}

#[async_trait]
impl AppCredentials for FederatedCredentials {
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
        let endpoint = request.token_endpoint(&self.entra.settings)?;
        let Some(assertion) = self.identity.token(TOKEN_EXCHANGE_AUDIENCE).await? else {
            return Err(ConnectorError::invalid_argument(
                "the managed identity gave no token for the token exchange",
            ));
        };
        self.entra
            .on_behalf_of(
                &endpoint,
                &self.app_id,
                &[
                    ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                    ("client_assertion", assertion.secret().expose()),
                ],
                request,
            )
            .await
    }
}

impl fmt::Debug for FederatedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FederatedCredentials")
            .field("app_id", &self.app_id)
            .field("identity", &self.identity)
            .field("token_endpoint", &self.entra.token_endpoint.as_str())
            .field("scope", &self.entra.settings.scope())
            .finish_non_exhaustive()
    }
}
