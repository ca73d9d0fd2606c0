//! [`WorkloadIdentityCredentials`]: Kubernetes workload identity (a federated token file as
//! the client assertion).

use std::fmt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::ConnectorError;
use crate::auth::entra::{EntraClient, entra_credential_methods};
use crate::auth::{AccessToken, AppCredentials, OnBehalfOfRequest, OutgoingAuthSettings, Secret};

/// The `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// App credentials of Kubernetes workload identity (AKS): the cluster projects a service
/// account token into a file (`AZURE_FEDERATED_TOKEN_FILE`), and the app (or user-assigned
/// managed identity) has a federated credential that trusts it. There is no password.
///
/// The token request is `POST {authority}/oauth2/v2.0/token` (the tenant's, see
/// [`OutgoingAuthSettings`]) with `grant_type=client_credentials`, `client_id`,
/// `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`,
/// `client_assertion={the file's contents}` and `scope={scope}/.default`. The file is read
/// again for every new token, as the cluster rotates it. Tokens are cached and refreshed like
/// [`MicrosoftAppCredentials`](crate::auth::MicrosoftAppCredentials)'s; neither the file's
/// token nor the tokens appear in `Debug` or logs.
///
/// ```
/// use botbuilder_connector::auth::{AppCredentials, OutgoingAuthSettings, WorkloadIdentityCredentials};
///
/// let settings = OutgoingAuthSettings::default().with_tenant_id("contoso.onmicrosoft.com");
/// let credentials = WorkloadIdentityCredentials::new(
///     "client-id",
///     "/var/run/secrets/azure/tokens/azure-identity-token",
///     settings,
/// )?;
/// assert_eq!(credentials.app_id(), Some("client-id"));
/// assert_eq!(
///     credentials.token_endpoint().as_str(),
///     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
/// );
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
pub struct WorkloadIdentityCredentials {
    client_id: String,
    token_file: PathBuf,
    entra: EntraClient,
}

impl WorkloadIdentityCredentials {
    /// Credentials for the app with this client id (`AZURE_CLIENT_ID`), whose assertion is
    /// read from `token_file` (`AZURE_FEDERATED_TOKEN_FILE`), asking the tenant of `settings`
    /// (`AZURE_TENANT_ID`).
    ///
    /// # Errors
    /// [`ConnectorError::InvalidArgument`] for an empty client id or file path, or a malformed
    /// tenant; [`ConnectorError::InvalidUrl`] for a login URL that is malformed or not https;
    /// [`ConnectorError::Transport`] if no HTTP client can be built.
    pub fn new(
        client_id: impl Into<String>,
        token_file: impl Into<PathBuf>,
        settings: OutgoingAuthSettings,
    ) -> Result<Self, ConnectorError> {
        let client_id = client_id.into().trim().to_owned();
        if client_id.is_empty() {
            return Err(ConnectorError::invalid_argument(
                "the workload identity's client id (AZURE_CLIENT_ID) is empty",
            ));
        }
        let token_file = token_file.into();
        if token_file.as_os_str().is_empty() {
            return Err(ConnectorError::invalid_argument(
                "the federated token file (AZURE_FEDERATED_TOKEN_FILE) is empty",
            ));
        }
        Ok(Self {
            client_id,
            token_file,
            entra: EntraClient::new(settings)?,
        })
    }

    entra_credential_methods!();

    /// The file the client assertion is read from.
    #[must_use]
    pub fn token_file(&self) -> &Path {
        &self.token_file
    }

    async fn read_assertion(&self) -> Result<Secret, ConnectorError> {
        let path = self.token_file.clone();
        let unreadable = |source: Option<Box<dyn std::error::Error + Send + Sync>>| {
            ConnectorError::Token {
                endpoint: self.entra.token_endpoint.to_string(),
                status: None,
                code: None,
                message: Some(format!(
                    "the federated token file `{}` (AZURE_FEDERATED_TOKEN_FILE) could not be read or is empty",
                    self.token_file.display()
                )),
                source,
            }
        };
        let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(path))
            .await
            .map_err(|e| unreadable(Some(Box::new(e))))?
            .map_err(|e| unreadable(Some(Box::new(e))))?;
        let text = text.trim();
        if text.is_empty() {
            return Err(unreadable(None));
        }
        Ok(Secret::new(text))
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken, ConnectorError> {
        let assertion = self.read_assertion().await?;
        tracing::debug!(client_id = %self.client_id, endpoint = self.entra.token_endpoint.as_str(), scope, "requesting a workload identity token");
        self.entra
            .post_assertion(&self.client_id, assertion.expose(), scope)
            .await
    }
}

#[async_trait]
impl AppCredentials for WorkloadIdentityCredentials {
    fn app_id(&self) -> Option<&str> {
        Some(&self.client_id)
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
        let assertion = self.read_assertion().await?;
        self.entra
            .on_behalf_of(
                &request.token_endpoint(&self.entra.settings)?,
                &self.client_id,
                &[
                    ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                    ("client_assertion", assertion.expose()),
                ],
                request,
            )
            .await
    }
}

impl fmt::Debug for WorkloadIdentityCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadIdentityCredentials")
            .field("client_id", &self.client_id)
            .field("token_file", &self.token_file)
            .field("token_endpoint", &self.entra.token_endpoint.as_str())
            .field("scope", &self.entra.settings.scope())
            .finish_non_exhaustive()
    }
}
