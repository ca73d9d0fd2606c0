//! On-behalf-of (OBO): exchanging a user's token for a token to a downstream API.

use std::fmt;

use reqwest::Url;

use crate::ConnectorError;
use crate::auth::cache::{read_token_answer, unreachable_token_endpoint};
use crate::auth::{AccessToken, OutgoingAuthSettings, Secret};
use crate::clock::Clock;
use crate::retry::Replay;
use crate::transport::Transport;

/// The `grant_type` of an on-behalf-of request.
pub const ON_BEHALF_OF_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// What to exchange on behalf of a user (Microsoft Entra ID's on-behalf-of flow): the user's
/// token, whose audience is the bot's app (a Teams single sign-on token, or the token of an
/// OAuth connection that signs users in to the bot's own exposed API), for a token to another
/// API, such as Microsoft Graph, with the user's identity and permissions.
///
/// The request goes to the token endpoint of the user's tenant: give it with
/// [`with_tenant_id`](Self::with_tenant_id) (in Teams, the activity's
/// `conversation.tenantId`), or the credentials' tenant (single-tenant bots) is used.
///
/// `Debug` never prints the user's token.
///
/// ```
/// use botbuilder_connector::auth::OnBehalfOfRequest;
///
/// let request = OnBehalfOfRequest::new("eyJ-user-sso-token", ["https://graph.microsoft.com/User.Read"])
///     .with_tenant_id("contoso.onmicrosoft.com");
/// assert_eq!(request.scope(), "https://graph.microsoft.com/User.Read");
/// assert!(!format!("{request:?}").contains("eyJ-user"));
/// ```
#[derive(Clone)]
pub struct OnBehalfOfRequest {
    assertion: Secret,
    scopes: Vec<String>,
    tenant_id: Option<String>,
}

impl OnBehalfOfRequest {
    /// Exchanges `user_token` for a token with these scopes (such as
    /// `https://graph.microsoft.com/User.Read`, or `api://my-api/.default`).
    #[must_use]
    pub fn new<S: Into<String>>(
        user_token: impl Into<Secret>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            assertion: user_token.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            tenant_id: None,
        }
    }

    /// Asks the token endpoint of this tenant (the user's).
    #[must_use]
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// The `scope` parameter: the scopes, space-separated.
    #[must_use]
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }

    /// The tenant asked, if set.
    #[must_use]
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// The token endpoint for this request: the credentials' authority, in the request's
    /// tenant (or the credentials').
    pub(crate) fn token_endpoint(
        &self,
        settings: &OutgoingAuthSettings,
    ) -> Result<Url, ConnectorError> {
        let tenant = self.tenant_id().or(settings.tenant()).ok_or_else(|| {
            ConnectorError::invalid_argument(
                "on-behalf-of needs the user's tenant: set it on the request (in Teams, the \
                 activity's conversation.tenantId) or configure MicrosoftAppTenantId",
            )
        })?;
        settings.clone().with_tenant_id(tenant).token_endpoint()
    }
}

impl fmt::Debug for OnBehalfOfRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnBehalfOfRequest")
            .field("assertion", &self.assertion)
            .field("scopes", &self.scopes)
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

/// Posts an on-behalf-of request to `endpoint` (from
/// [`OnBehalfOfRequest::token_endpoint`]), authenticated with `client_auth` (the app's
/// `client_secret`, or `client_assertion_type` and `client_assertion`), and reads the token.
/// On a refusal, the values of `client_auth` and the user's token are redacted from the
/// answer first.
pub(crate) async fn post_on_behalf_of(
    http: &reqwest::Client,
    transport: &Transport<'_>,
    endpoint: &Url,
    client_id: &str,
    client_auth: &[(&str, &str)],
    request: &OnBehalfOfRequest,
    clock: &dyn Clock,
) -> Result<AccessToken, ConnectorError> {
    if request.assertion.is_empty() {
        return Err(ConnectorError::invalid_argument(
            "the user's token to exchange on behalf of the user is empty",
        ));
    }
    let scope = request.scope();
    if scope.trim().is_empty() {
        return Err(ConnectorError::invalid_argument(
            "an on-behalf-of request needs at least one scope",
        ));
    }
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", ON_BEHALF_OF_GRANT_TYPE),
        ("client_id", client_id),
    ];
    form.extend_from_slice(client_auth);
    form.extend([
        ("assertion", request.assertion.expose()),
        ("scope", scope.as_str()),
        ("requested_token_use", "on_behalf_of"),
    ]);
    let shown = endpoint.as_str();
    tracing::debug!(client_id, endpoint = shown, scope = %scope, "requesting a token on behalf of a user");
    let what = format!("POST {shown}");
    let answer = transport
        .send(
            "POST /{tenant}/oauth2/v2.0/token",
            &what,
            Replay::Idempotent,
            &|| http.post(endpoint.clone()).form(&form),
        )
        .await
        .map_err(|e| {
            unreachable_token_endpoint(e, shown, "the token endpoint could not be reached")
        })?;
    let answer = if answer.status.is_success() {
        answer
    } else {
        client_auth
            .iter()
            .fold(answer, |answer, (_, value)| answer.redacting(value))
            .redacting(request.assertion.expose())
    };
    read_token_answer(&answer, shown, clock.now())
}
