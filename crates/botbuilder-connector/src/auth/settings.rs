//! Where outgoing app tokens come from: the cloud, the login URL (authority), the tenant and
//! the OAuth scope, each with its own default.

use reqwest::Url;

use crate::ConnectorError;
use crate::urls::parse_secure;

/// A Bot Framework cloud: its default endpoints, in both directions.
///
/// Outgoing (bot to channel):
///
/// | | login URL (authority) | OAuth scope | `ChannelService` |
/// |---|---|---|---|
/// | [`Public`](Cloud::Public) | `https://login.microsoftonline.com/botframework.com` | `https://api.botframework.com` | empty |
/// | [`UsGovernment`](Cloud::UsGovernment) | `https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us` | `https://api.botframework.us` | `https://botframework.azure.us` |
///
/// Incoming (channel or Emulator to bot), and the rest:
///
/// | | channel token issuer | channel OpenID metadata | Emulator OpenID metadata | OAuth URL | caller id |
/// |---|---|---|---|---|---|
/// | [`Public`](Cloud::Public) | `https://api.botframework.com` | `https://login.botframework.com/v1/.well-known/openidconfiguration` | `https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration` | `https://api.botframework.com` | `urn:botframework:azure` |
/// | [`UsGovernment`](Cloud::UsGovernment) | `https://api.botframework.us` | `https://login.botframework.azure.us/v1/.well-known/openidconfiguration` | `https://login.microsoftonline.us/cab8a31a-1906-4287-a0d8-4eef66b95f6e/v2.0/.well-known/openid-configuration` | `https://api.botframework.azure.us` | `urn:botframework:azureusgov` |
///
/// These are BotBuilder's values (`AuthenticationConstants`, `GovernmentAuthenticationConstants`,
/// `CallerIdConstants`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cloud {
    /// The public Azure cloud.
    #[default]
    Public,
    /// Azure US Government.
    UsGovernment,
}

impl Cloud {
    /// The `ChannelService` value that selects US Government.
    pub const US_GOVERNMENT_CHANNEL_SERVICE: &'static str = "https://botframework.azure.us";

    /// The cloud a `ChannelService` setting names: empty for [`Cloud::Public`],
    /// `https://botframework.azure.us` for [`Cloud::UsGovernment`], `None` for anything else
    /// (a private cloud, which must then set every endpoint).
    ///
    /// ```
    /// use botbuilder_connector::auth::Cloud;
    ///
    /// assert_eq!(Cloud::from_channel_service(""), Some(Cloud::Public));
    /// assert_eq!(Cloud::from_channel_service("https://botframework.azure.us/"), Some(Cloud::UsGovernment));
    /// assert_eq!(Cloud::from_channel_service("https://bots.contoso.example"), None);
    /// ```
    #[must_use]
    pub fn from_channel_service(channel_service: &str) -> Option<Cloud> {
        let value = channel_service.trim().trim_end_matches('/');
        if value.is_empty() {
            Some(Cloud::Public)
        } else if value.eq_ignore_ascii_case(Self::US_GOVERNMENT_CHANNEL_SERVICE) {
            Some(Cloud::UsGovernment)
        } else {
            None
        }
    }

    /// The default login URL (`ToChannelFromBotLoginUrl`): the authority, ending with the
    /// multi-tenant bot tenant.
    #[must_use]
    pub fn login_url(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com/botframework.com",
            Cloud::UsGovernment => {
                "https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us"
            }
        }
    }

    /// The default OAuth scope (`ToChannelFromBotOAuthScope`), without `/.default`.
    #[must_use]
    pub fn oauth_scope(self) -> &'static str {
        match self {
            Cloud::Public => "https://api.botframework.com",
            Cloud::UsGovernment => "https://api.botframework.us",
        }
    }

    /// The issuer of the tokens channels send to bots (`ToBotFromChannelTokenIssuer`).
    #[must_use]
    pub fn channel_token_issuer(self) -> &'static str {
        match self {
            Cloud::Public => "https://api.botframework.com",
            Cloud::UsGovernment => "https://api.botframework.us",
        }
    }

    /// The OpenID metadata of channel tokens (`ToBotFromChannelOpenIdMetadataUrl`).
    #[must_use]
    pub fn channel_open_id_metadata_url(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.botframework.com/v1/.well-known/openidconfiguration",
            Cloud::UsGovernment => {
                "https://login.botframework.azure.us/v1/.well-known/openidconfiguration"
            }
        }
    }

    /// The OpenID metadata of Emulator tokens (`ToBotFromEmulatorOpenIdMetadataUrl`).
    #[must_use]
    pub fn emulator_open_id_metadata_url(self) -> &'static str {
        match self {
            Cloud::Public => {
                "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
            }
            Cloud::UsGovernment => {
                "https://login.microsoftonline.us/cab8a31a-1906-4287-a0d8-4eef66b95f6e/v2.0/.well-known/openid-configuration"
            }
        }
    }

    /// The Bot Framework token service, for user sign-in (`OAuthUrl`).
    #[must_use]
    pub fn oauth_url(self) -> &'static str {
        match self {
            Cloud::Public => "https://api.botframework.com",
            Cloud::UsGovernment => "https://api.botframework.azure.us",
        }
    }

    /// The `callerId` stamped on activities that come from this cloud's channels (`CallerId`).
    #[must_use]
    pub fn caller_id(self) -> &'static str {
        match self {
            Cloud::Public => "urn:botframework:azure",
            Cloud::UsGovernment => "urn:botframework:azureusgov",
        }
    }
}

/// The settings of outgoing (bot to channel) authentication.
///
/// Every key has its own default, taken from [`cloud`](Self::cloud): setting the login URL does
/// not drop the default scope, or the reverse.
///
/// - **Multi-tenant** (no `tenant_id`): tokens come from the login URL as is, by default the
///   `botframework.com` tenant.
/// - **Single-tenant** (`tenant_id` = `MicrosoftAppTenantId`): the authority follows the
///   tenant: the login URL's last path segment (the tenant) is replaced by `tenant_id`. Asking
///   the `botframework.com` tenant for a single-tenant app's token is what fails with
///   `AADSTS700016`.
///
/// The login URL may also be given as the full token URL (ending `/oauth2/v2.0/token`). Login
/// URLs must be `https`, except on loopback hosts.
///
/// ```
/// use botbuilder_connector::auth::{Cloud, OutgoingAuthSettings};
///
/// let multi = OutgoingAuthSettings::default();
/// assert_eq!(
///     multi.token_endpoint()?.as_str(),
///     "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
/// );
/// assert_eq!(multi.scope(), "https://api.botframework.com");
///
/// let single = OutgoingAuthSettings::default().with_tenant_id("72f988bf-86f1-41af-91ab-2d7cd011db47");
/// assert_eq!(
///     single.authority()?.as_str(),
///     "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47"
/// );
///
/// let gov = OutgoingAuthSettings::for_cloud(Cloud::UsGovernment)
///     .with_oauth_scope("https://api.botframework.us");
/// assert!(gov.authority()?.as_str().starts_with("https://login.microsoftonline.us/"));
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutgoingAuthSettings {
    /// The cloud whose defaults fill the keys left unset.
    pub cloud: Cloud,
    /// `MicrosoftAppTenantId`: the bot's tenant, for single-tenant bots.
    pub tenant_id: Option<String>,
    /// `ToChannelFromBotLoginUrl`: the authority, such as
    /// `https://login.microsoftonline.com/botframework.com`.
    pub login_url: Option<String>,
    /// `ToChannelFromBotOAuthScope`: the resource tokens are for, such as
    /// `https://api.botframework.com` (`/.default` is added when asking for a token).
    pub oauth_scope: Option<String>,
}

impl OutgoingAuthSettings {
    /// The defaults of a cloud.
    #[must_use]
    pub fn for_cloud(cloud: Cloud) -> Self {
        Self {
            cloud,
            ..Self::default()
        }
    }

    /// Sets the tenant (single-tenant bots); an empty value means multi-tenant.
    #[must_use]
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Overrides the login URL; an empty value means the cloud's default.
    #[must_use]
    pub fn with_login_url(mut self, login_url: impl Into<String>) -> Self {
        self.login_url = Some(login_url.into());
        self
    }

    /// Overrides the OAuth scope; an empty value means the cloud's default.
    #[must_use]
    pub fn with_oauth_scope(mut self, oauth_scope: impl Into<String>) -> Self {
        self.oauth_scope = Some(oauth_scope.into());
        self
    }

    /// The tenant, if one is set and not empty.
    #[must_use]
    pub fn tenant(&self) -> Option<&str> {
        self.tenant_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// The scope tokens are asked for, without `/.default`.
    #[must_use]
    pub fn scope(&self) -> &str {
        self.oauth_scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(self.cloud.oauth_scope())
    }

    /// The authority tokens are asked from: the login URL, with the tenant when one is set.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUrl`] for a malformed or non-https login URL,
    /// [`ConnectorError::InvalidArgument`] for a malformed tenant id.
    pub fn authority(&self) -> Result<Url, ConnectorError> {
        let configured = self
            .login_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(self.cloud.login_url());
        let mut url = parse_secure(configured, "the login URL")?;
        url.set_query(None);
        url.set_fragment(None);
        let mut path = url.path().trim_end_matches('/').to_owned();
        if path.to_ascii_lowercase().ends_with(TOKEN_PATH) {
            path.truncate(path.len() - TOKEN_PATH.len());
        }
        if let Some(tenant) = self.tenant() {
            validate_tenant(tenant)?;
            path = match path.rsplit_once('/') {
                Some((prefix, last)) if !last.is_empty() => format!("{prefix}/{tenant}"),
                _ => format!("{path}/{tenant}"),
            };
        }
        url.set_path(&path);
        Ok(url)
    }

    /// The token endpoint: `{authority}/oauth2/v2.0/token`.
    ///
    /// # Errors
    /// As [`authority`](Self::authority).
    pub fn token_endpoint(&self) -> Result<Url, ConnectorError> {
        let mut url = self.authority()?;
        let path = format!("{}{TOKEN_PATH}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        Ok(url)
    }
}

const TOKEN_PATH: &str = "/oauth2/v2.0/token";

/// The `scope` parameter of a client-credentials request for a resource: `{resource}/.default`
/// (unchanged if it already ends so).
///
/// ```
/// use botbuilder_connector::auth::default_scope_for;
///
/// assert_eq!(default_scope_for("https://api.botframework.com"), "https://api.botframework.com/.default");
/// assert_eq!(default_scope_for("https://api.botframework.com/.default"), "https://api.botframework.com/.default");
/// ```
#[must_use]
pub fn default_scope_for(resource: &str) -> String {
    let resource = resource.trim();
    if resource.ends_with("/.default") {
        resource.to_owned()
    } else {
        format!("{}/.default", resource.trim_end_matches('/'))
    }
}

/// The resource a scope names (the scope without `/.default`).
pub(crate) fn resource_of(scope: &str) -> &str {
    let scope = scope.trim();
    scope
        .strip_suffix("/.default")
        .unwrap_or(scope)
        .trim_end_matches('/')
}

pub(crate) fn validate_tenant(tenant: &str) -> Result<(), ConnectorError> {
    let ok = tenant.len() <= 256
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(ConnectorError::invalid_argument(format!(
            "MicrosoftAppTenantId `{}` is not a tenant id or domain",
            crate::error::one_line(tenant, 64)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_keeps_its_own_default() {
        let s = OutgoingAuthSettings::default().with_login_url("https://login.example/t1");
        assert_eq!(s.scope(), "https://api.botframework.com");
        assert_eq!(
            s.token_endpoint().unwrap().as_str(),
            "https://login.example/t1/oauth2/v2.0/token"
        );
        let s = OutgoingAuthSettings::default().with_oauth_scope("https://api.example");
        assert_eq!(
            s.authority().unwrap().as_str(),
            "https://login.microsoftonline.com/botframework.com"
        );
        let s = OutgoingAuthSettings::default()
            .with_oauth_scope("")
            .with_login_url("  ");
        assert_eq!(s.scope(), "https://api.botframework.com");
        assert_eq!(
            s.authority().unwrap().as_str(),
            "https://login.microsoftonline.com/botframework.com"
        );
    }

    #[test]
    fn us_government_defaults() {
        let s = OutgoingAuthSettings::for_cloud(Cloud::UsGovernment);
        assert_eq!(s.scope(), "https://api.botframework.us");
        assert_eq!(
            s.token_endpoint().unwrap().as_str(),
            "https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us/oauth2/v2.0/token"
        );
        let single = s.with_tenant_id("contoso.onmicrosoft.us");
        assert_eq!(
            single.authority().unwrap().as_str(),
            "https://login.microsoftonline.us/contoso.onmicrosoft.us"
        );
    }

    #[test]
    fn authority_follows_the_tenant_even_when_overridden() {
        let s = OutgoingAuthSettings::default()
            .with_login_url("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token")
            .with_tenant_id("t-1");
        assert_eq!(
            s.token_endpoint().unwrap().as_str(),
            "https://login.microsoftonline.com/t-1/oauth2/v2.0/token"
        );
        let s = OutgoingAuthSettings::default()
            .with_login_url("http://127.0.0.1:4000/")
            .with_tenant_id("t-2");
        assert_eq!(
            s.token_endpoint().unwrap().as_str(),
            "http://127.0.0.1:4000/t-2/oauth2/v2.0/token"
        );
    }

    #[test]
    fn rejects_bad_endpoints_and_tenants() {
        let s = OutgoingAuthSettings::default().with_login_url("http://login.example/x");
        assert!(matches!(
            s.authority(),
            Err(ConnectorError::InvalidUrl { .. })
        ));
        let s = OutgoingAuthSettings::default().with_tenant_id("../evil");
        assert!(matches!(
            s.authority(),
            Err(ConnectorError::InvalidArgument { .. })
        ));
        let s = OutgoingAuthSettings::default().with_tenant_id("a/b");
        assert!(s.authority().is_err());
    }

    #[test]
    fn scopes() {
        assert_eq!(default_scope_for("abc-app-id"), "abc-app-id/.default");
        assert_eq!(
            resource_of("https://api.botframework.com/.default"),
            "https://api.botframework.com"
        );
        assert_eq!(
            resource_of("https://api.botframework.com/"),
            "https://api.botframework.com"
        );
    }
}
