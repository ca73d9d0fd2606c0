//! Authentication in both directions: [`incoming`] checks that requests come from the Bot
//! Framework or the Emulator; the rest of this module is outgoing (bot to channel)
//! authentication: the [`AppCredentials`] trait, its implementations, their settings, and the
//! redacting [`Secret`] type.
//!
//! | credentials | configuration | tokens from |
//! |---|---|---|
//! | [`MicrosoftAppCredentials`] | `MicrosoftAppId` + `MicrosoftAppPassword` (+ `MicrosoftAppTenantId`) | Entra ID client credentials |
//! | [`ManagedIdentityCredentials`] | `MicrosoftAppType=UserAssignedMSI` + `MicrosoftAppId` (+ `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` on App Service, Functions, Container Apps) | the identity endpoint, else the Azure Instance Metadata Service |
//! | [`CertificateCredentials`] | `MicrosoftAppId` + `CertPemFile` (+ `CertKeyFile`, `SendX5C`, `MicrosoftAppTenantId`) | Entra ID, an assertion signed with the certificate's key |
//! | [`FederatedCredentials`] | `MicrosoftAppId` + `MicrosoftAppClientId` (or `FICClientId`) + `MicrosoftAppTenantId` | Entra ID, a managed identity's token as the client assertion |
//! | [`WorkloadIdentityCredentials`] | `MicrosoftAppType=UserAssignedMSI` + `AZURE_FEDERATED_TOKEN_FILE` (Kubernetes workload identity) | Entra ID, the file's token as the client assertion |
//! | [`AnonymousCredentials`] | no app id (local testing with the Emulator) | none: no `Authorization` header |
//!
//! [`BotConfig::credentials`](crate::config::BotConfig::credentials) picks one from the
//! configuration (see [`crate::config`]).
//!
//! [`AppCredentials::on_behalf_of`] exchanges a user's token for a downstream API's
//! ([`OnBehalfOfRequest`]).

mod cache;
mod certificate;
mod entra;
mod federated;
pub mod incoming;
pub(crate) mod managed_identity;
mod on_behalf_of;
mod password;
pub(crate) mod secret;
pub(crate) mod settings;
mod workload_identity;

use std::fmt;

use async_trait::async_trait;

use crate::ConnectorError;

pub use certificate::{
    ASSERTION_LIFETIME, AssertionAlgorithm, CertificateCredentials, ClientCertificate,
};
pub use federated::{FederatedCredentials, TOKEN_EXCHANGE_AUDIENCE};
pub use managed_identity::{
    APP_SERVICE_IDENTITY_API_VERSION, IMDS_TOKEN_ENDPOINT, ManagedIdentityCredentials,
};
pub use on_behalf_of::{ON_BEHALF_OF_GRANT_TYPE, OnBehalfOfRequest};
pub use password::MicrosoftAppCredentials;
pub use secret::{AccessToken, Secret};
pub use settings::{Cloud, OutgoingAuthSettings, default_scope_for};
pub use workload_identity::{JWT_BEARER_ASSERTION_TYPE, WorkloadIdentityCredentials};

/// Where a bot's outgoing app tokens come from.
///
/// Object-safe: share one as `Arc<dyn AppCredentials>` between every connector client (and,
/// later, the adapter), so there is one token cache per app.
///
/// Implement it to bring tokens from elsewhere (a certificate, a secret store, another
/// identity library). Implementations cache tokens themselves.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use botbuilder_connector::{ConnectorError, async_trait};
/// use botbuilder_connector::auth::{AccessToken, AppCredentials};
///
/// /// Tokens from the bot's own secret store.
/// #[derive(Debug)]
/// struct FromVault;
///
/// #[async_trait]
/// impl AppCredentials for FromVault {
///     fn app_id(&self) -> Option<&str> {
///         Some("app-id")
///     }
///     fn oauth_scope(&self) -> &str {
///         "https://api.botframework.com"
///     }
///     async fn token(&self, _scope: &str) -> Result<Option<AccessToken>, ConnectorError> {
///         Ok(Some(AccessToken::new("from-the-vault", SystemTime::now() + Duration::from_secs(600))))
///     }
/// }
/// ```
#[async_trait]
pub trait AppCredentials: Send + Sync + fmt::Debug {
    /// The bot's app id, or `None` for an anonymous bot, which sends no `Authorization`
    /// header and may talk to any host (`token` is then never called by the client).
    fn app_id(&self) -> Option<&str>;

    /// The scope tokens are for by default (`ToChannelFromBotOAuthScope`), without
    /// `/.default`.
    fn oauth_scope(&self) -> &str;

    /// A valid token for `scope` (with or without `/.default`), from the cache when it has
    /// one; `None` when these credentials send no token.
    ///
    /// Cancel-safe: dropping the future leaves the cache consistent.
    ///
    /// # Errors
    /// [`ConnectorError::Token`] when the identity provider gives no token.
    async fn token(&self, scope: &str) -> Result<Option<AccessToken>, ConnectorError>;

    /// Forgets `rejected` (the service answered 401 to it) so the next call fetches a new
    /// token. The default does nothing.
    async fn invalidate(&self, scope: &str, rejected: &AccessToken) {
        let _ = (scope, rejected);
    }

    /// Exchanges a user's token for a token to a downstream API on the user's behalf
    /// (Microsoft Entra ID's on-behalf-of flow; see [`OnBehalfOfRequest`]), authenticated as
    /// the app. Not cached: each call asks the identity provider.
    ///
    /// [`MicrosoftAppCredentials`] (the password), [`CertificateCredentials`] (an assertion
    /// signed for the user's tenant's endpoint), [`FederatedCredentials`] (the managed
    /// identity's assertion) and [`WorkloadIdentityCredentials`] (the file's assertion) can;
    /// the default (managed identity, anonymous) refuses.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] when these credentials cannot, or the request has
    /// no token, scope or tenant; [`ConnectorError::Token`] when Entra ID refuses (for
    /// example `invalid_grant` with `AADSTS65001` when the user has not consented).
    async fn on_behalf_of(
        &self,
        request: &OnBehalfOfRequest,
    ) -> Result<AccessToken, ConnectorError> {
        let _ = request;
        Err(ConnectorError::invalid_argument(
            "these credentials cannot ask for tokens on behalf of a user (use an app password, \
             a certificate or federated credentials)",
        ))
    }
}

/// Credentials of a bot without an app id: no token, no `Authorization` header.
///
/// For local testing with the Bot Framework Emulator; channels reject such requests.
///
/// ```
/// use botbuilder_connector::auth::{AnonymousCredentials, AppCredentials};
///
/// # async fn demo() -> Result<(), botbuilder_connector::ConnectorError> {
/// let anonymous = AnonymousCredentials;
/// assert_eq!(anonymous.app_id(), None);
/// assert!(anonymous.token(anonymous.oauth_scope()).await?.is_none());
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AnonymousCredentials;

#[async_trait]
impl AppCredentials for AnonymousCredentials {
    fn app_id(&self) -> Option<&str> {
        None
    }

    fn oauth_scope(&self) -> &str {
        Cloud::Public.oauth_scope()
    }

    async fn token(&self, _scope: &str) -> Result<Option<AccessToken>, ConnectorError> {
        Ok(None)
    }
}
