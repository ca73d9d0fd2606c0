//! [`BotConfig`]: a bot's settings, from the environment, a `.env` file or code, under
//! BotBuilder's key names, so an existing bot's `appsettings.json` / `.env` values carry over.
//!
//! | key | field | default |
//! |---|---|---|
//! | `MicrosoftAppId` | [`app_id`](BotConfig::app_id) (see [`effective_app_id`](BotConfig::effective_app_id)) | none: anonymous (local testing with the Emulator) |
//! | `MicrosoftAppPassword` | [`app_password`](BotConfig::app_password) | none |
//! | `MicrosoftAppType` | [`app_type`](BotConfig::app_type) | `MultiTenant` |
//! | `MicrosoftAppTenantId` | [`tenant_id`](BotConfig::tenant_id) | none |
//! | `ChannelService` | [`channel_service`](BotConfig::channel_service) | empty: the public cloud |
//! | `ValidateAuthority` | [`validate_authority`](BotConfig::validate_authority) | `true` |
//! | `ToChannelFromBotLoginUrl` | [`to_channel_from_bot_login_url`](BotConfig::to_channel_from_bot_login_url) | the cloud's |
//! | `ToChannelFromBotOAuthScope` | [`to_channel_from_bot_oauth_scope`](BotConfig::to_channel_from_bot_oauth_scope) | the cloud's |
//! | `ToBotFromChannelTokenIssuer` | [`to_bot_from_channel_token_issuer`](BotConfig::to_bot_from_channel_token_issuer) | the cloud's |
//! | `ToBotFromChannelOpenIdMetadataUrl` | [`to_bot_from_channel_open_id_metadata_url`](BotConfig::to_bot_from_channel_open_id_metadata_url) | the cloud's |
//! | `ToBotFromEmulatorOpenIdMetadataUrl` | [`to_bot_from_emulator_open_id_metadata_url`](BotConfig::to_bot_from_emulator_open_id_metadata_url) | the cloud's |
//! | `OAuthUrl` | [`oauth_url`](BotConfig::oauth_url) | the cloud's |
//! | `CallerId` | [`caller_id`](BotConfig::caller_id) | the cloud's |
//! | `IDENTITY_ENDPOINT` | [`identity_endpoint`](BotConfig::identity_endpoint) | none: the VM's metadata service (IMDS) |
//! | `IDENTITY_HEADER` | [`identity_header`](BotConfig::identity_header) | none |
//! | `AZURE_FEDERATED_TOKEN_FILE` | [`azure_federated_token_file`](BotConfig::azure_federated_token_file) | none |
//! | `AZURE_CLIENT_ID` | [`azure_client_id`](BotConfig::azure_client_id) | none |
//! | `AZURE_TENANT_ID` | [`azure_tenant_id`](BotConfig::azure_tenant_id) | none |
//! | `CertPemFile` | [`cert_pem_file`](BotConfig::cert_pem_file) | none |
//! | `CertKeyFile` | [`cert_key_file`](BotConfig::cert_key_file) | none: the key is in `CertPemFile` |
//! | `SendX5C` | [`send_x5c`](BotConfig::send_x5c) | `false` |
//! | `MicrosoftAppClientId` (or `FICClientId`) | [`fic_client_id`](BotConfig::fic_client_id) | none |
//! | `AllowAnonymousBeyondLoopback` | [`allow_anonymous_beyond_loopback`](BotConfig::allow_anonymous_beyond_loopback) | `false` |
//!
//! Which credentials the bot sends ([`BotConfig::credentials`]):
//!
//! | settings | credentials |
//! |---|---|
//! | no `MicrosoftAppId` | [`AnonymousCredentials`]: none (local testing; loopback only unless `AllowAnonymousBeyondLoopback`) |
//! | `MicrosoftAppPassword` | [`MicrosoftAppCredentials`]: the client secret |
//! | `CertPemFile` | [`CertificateCredentials`]: an assertion signed with the certificate's key |
//! | `MicrosoftAppClientId` / `FICClientId` | [`FederatedCredentials`]: that managed identity's token as the assertion |
//! | `MicrosoftAppType=UserAssignedMSI` + `AZURE_FEDERATED_TOKEN_FILE` | [`WorkloadIdentityCredentials`] (Kubernetes) |
//! | `MicrosoftAppType=UserAssignedMSI` + `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` | [`ManagedIdentityCredentials`] (App Service, Functions, Container Apps) |
//! | `MicrosoftAppType=UserAssignedMSI` | [`ManagedIdentityCredentials`] (the VM's metadata service) |
//!
//! At most one of the password, the certificate and the federated identity may be set.
//!
//! The clouds' values are in the table of [`Cloud`]. An empty value means "not set".

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::ConnectorError;
use crate::auth::managed_identity::parse_platform_endpoint;
use crate::auth::settings::validate_tenant;
use crate::auth::{
    AnonymousCredentials, AppCredentials, CertificateCredentials, ClientCertificate, Cloud,
    FederatedCredentials, ManagedIdentityCredentials, MicrosoftAppCredentials,
    OutgoingAuthSettings, Secret, TOKEN_EXCHANGE_AUDIENCE, WorkloadIdentityCredentials,
};
use crate::clock::Clock;
use crate::error::one_line;
use crate::urls::parse_secure;

/// The configuration keys, as BotBuilder names them.
pub mod keys {
    /// The bot's app id (its Microsoft Entra ID application / client id).
    pub const MICROSOFT_APP_ID: &str = "MicrosoftAppId";
    /// The app's client secret.
    pub const MICROSOFT_APP_PASSWORD: &str = "MicrosoftAppPassword";
    /// `MultiTenant`, `SingleTenant` or `UserAssignedMSI`.
    pub const MICROSOFT_APP_TYPE: &str = "MicrosoftAppType";
    /// The app's tenant (single-tenant and managed identity bots).
    pub const MICROSOFT_APP_TENANT_ID: &str = "MicrosoftAppTenantId";
    /// Empty for the public cloud, `https://botframework.azure.us` for US Government.
    pub const CHANNEL_SERVICE: &str = "ChannelService";
    /// Whether the identity provider's authority is validated (`true` or `false`).
    pub const VALIDATE_AUTHORITY: &str = "ValidateAuthority";
    /// Where outgoing app tokens come from.
    pub const TO_CHANNEL_FROM_BOT_LOGIN_URL: &str = "ToChannelFromBotLoginUrl";
    /// What outgoing app tokens are for.
    pub const TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: &str = "ToChannelFromBotOAuthScope";
    /// The issuer of channel tokens.
    pub const TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: &str = "ToBotFromChannelTokenIssuer";
    /// The OpenID metadata of channel tokens.
    pub const TO_BOT_FROM_CHANNEL_OPEN_ID_METADATA_URL: &str = "ToBotFromChannelOpenIdMetadataUrl";
    /// The OpenID metadata of Emulator tokens.
    pub const TO_BOT_FROM_EMULATOR_OPEN_ID_METADATA_URL: &str =
        "ToBotFromEmulatorOpenIdMetadataUrl";
    /// The Bot Framework token service (user sign-in).
    pub const OAUTH_URL: &str = "OAuthUrl";
    /// The `callerId` stamped on incoming activities.
    pub const CALLER_ID: &str = "CallerId";
    /// The managed identity endpoint of App Service, Functions and Container Apps (set by
    /// the platform).
    pub const IDENTITY_ENDPOINT: &str = "IDENTITY_ENDPOINT";
    /// The secret header value that endpoint requires (set by the platform).
    pub const IDENTITY_HEADER: &str = "IDENTITY_HEADER";
    /// Kubernetes workload identity: the file holding the projected service account token.
    pub const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
    /// Kubernetes workload identity: the client id of the identity.
    pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
    /// Kubernetes workload identity: the identity's tenant.
    pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
    /// Certificate credentials: the PEM file of the app's certificate (and its chain); it may
    /// also hold the private key. (The Agents SDK's `certPemFile`.)
    pub const CERT_PEM_FILE: &str = "CertPemFile";
    /// Certificate credentials: the PEM file of the certificate's private key. (The Agents
    /// SDK's `certKeyFile`.)
    pub const CERT_KEY_FILE: &str = "CertKeyFile";
    /// Certificate credentials: `true` to send the chain (`x5c`), for subject name and issuer
    /// authentication. (The Agents SDK's `sendX5C`.)
    pub const SEND_X5C: &str = "SendX5C";
    /// Federated identity credentials: the client id of the managed identity the app
    /// registration trusts (BotBuilder's name).
    pub const MICROSOFT_APP_CLIENT_ID: &str = "MicrosoftAppClientId";
    /// The Agents SDK's name of [`MICROSOFT_APP_CLIENT_ID`].
    pub const FIC_CLIENT_ID: &str = "FICClientId";
    /// `true` to let an anonymous bot (no app id) listen beyond loopback.
    pub const ALLOW_ANONYMOUS_BEYOND_LOOPBACK: &str = "AllowAnonymousBeyondLoopback";
    /// Every key, in the order of the table in [`crate::config`].
    pub const ALL: &[&str] = &[
        MICROSOFT_APP_ID,
        MICROSOFT_APP_PASSWORD,
        MICROSOFT_APP_TYPE,
        MICROSOFT_APP_TENANT_ID,
        CHANNEL_SERVICE,
        VALIDATE_AUTHORITY,
        TO_CHANNEL_FROM_BOT_LOGIN_URL,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        TO_BOT_FROM_CHANNEL_OPEN_ID_METADATA_URL,
        TO_BOT_FROM_EMULATOR_OPEN_ID_METADATA_URL,
        OAUTH_URL,
        CALLER_ID,
        IDENTITY_ENDPOINT,
        IDENTITY_HEADER,
        AZURE_FEDERATED_TOKEN_FILE,
        AZURE_CLIENT_ID,
        AZURE_TENANT_ID,
        CERT_PEM_FILE,
        CERT_KEY_FILE,
        SEND_X5C,
        MICROSOFT_APP_CLIENT_ID,
        FIC_CLIENT_ID,
        ALLOW_ANONYMOUS_BEYOND_LOOPBACK,
    ];
}

/// How the bot's identity gets its tokens (`MicrosoftAppType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AppType {
    /// An app registered in any tenant; tokens come from the `botframework.com` tenant.
    #[default]
    MultiTenant,
    /// An app of one tenant (`MicrosoftAppTenantId`); tokens come from that tenant.
    SingleTenant,
    /// A user-assigned managed identity (`UserAssignedMSI`): no password; tokens come from the
    /// Azure Instance Metadata Service.
    UserAssignedMsi,
}

impl AppType {
    /// Parses a `MicrosoftAppType` value, ignoring case (`MultiTenant`, `SingleTenant`,
    /// `UserAssignedMSI`).
    ///
    /// ```
    /// use botbuilder_connector::config::AppType;
    ///
    /// assert_eq!(AppType::parse("userassignedmsi"), Some(AppType::UserAssignedMsi));
    /// assert_eq!(AppType::parse("Anything"), None);
    /// ```
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        [
            AppType::MultiTenant,
            AppType::SingleTenant,
            AppType::UserAssignedMsi,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(value))
    }

    /// The configuration value: `MultiTenant`, `SingleTenant` or `UserAssignedMSI`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AppType::MultiTenant => "MultiTenant",
            AppType::SingleTenant => "SingleTenant",
            AppType::UserAssignedMsi => "UserAssignedMSI",
        }
    }
}

/// A bot's settings: its identity and the endpoints of its cloud.
///
/// Read them from the environment (and a `.env` file) with [`BotConfig::from_env`], from a
/// map with [`BotConfig::from_map`], or build them in code. Every key of BotBuilder's
/// configuration is a field (see the [module table](crate::config)); unset endpoints take the
/// defaults of the cloud `ChannelService` selects.
///
/// With no app id the bot is **anonymous**: it accepts requests without a token and replies
/// without one, which is what the Bot Framework Emulator does by default. Real channels need
/// an app id.
///
/// ```
/// use botbuilder_connector::config::{AppType, BotConfig};
///
/// let config = BotConfig::from_map([
///     ("MicrosoftAppId", "00000000-0000-0000-0000-000000000001"),
///     ("MicrosoftAppPassword", "secret"),
///     ("MicrosoftAppType", "SingleTenant"),
///     ("MicrosoftAppTenantId", "contoso.onmicrosoft.com"),
/// ])?;
/// assert_eq!(config.app_type, AppType::SingleTenant);
/// assert!(!config.is_anonymous());
/// assert_eq!(config.resolved_caller_id(), Some("urn:botframework:azure"));
///
/// let error = BotConfig::from_map([("MicrosoftAppType", "Sometimes")]).unwrap_err();
/// assert!(error.to_string().contains("MicrosoftAppType"), "{error}");
///
/// let in_code = BotConfig::new("app-id", "app-password").with_tenant_id("contoso.onmicrosoft.com");
/// in_code.validate()?;
/// # Ok::<(), botbuilder_connector::ConnectorError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotConfig {
    /// `MicrosoftAppId`: the bot's app id; `None` for an anonymous bot.
    pub app_id: Option<String>,
    /// `MicrosoftAppPassword`: the app's client secret (never printed).
    pub app_password: Option<Secret>,
    /// `MicrosoftAppType`.
    pub app_type: AppType,
    /// `MicrosoftAppTenantId`: required for single-tenant and managed identity bots.
    pub tenant_id: Option<String>,
    /// `ChannelService`: `None`/empty for the public cloud, `https://botframework.azure.us` for
    /// US Government; any other value is a private cloud, which must set every endpoint.
    pub channel_service: Option<String>,
    /// `ValidateAuthority` (default `true`). Read and checked so existing settings carry over;
    /// this SDK asks tokens from the configured login URL directly (always over https, or
    /// http on loopback), so the value does not change what it does.
    pub validate_authority: bool,
    /// `ToChannelFromBotLoginUrl`: the authority outgoing app tokens come from.
    pub to_channel_from_bot_login_url: Option<String>,
    /// `ToChannelFromBotOAuthScope`: the resource outgoing app tokens are for.
    pub to_channel_from_bot_oauth_scope: Option<String>,
    /// `ToBotFromChannelTokenIssuer`: the `iss` of channel tokens.
    pub to_bot_from_channel_token_issuer: Option<String>,
    /// `ToBotFromChannelOpenIdMetadataUrl`: where channel tokens' signing keys are published.
    pub to_bot_from_channel_open_id_metadata_url: Option<String>,
    /// `ToBotFromEmulatorOpenIdMetadataUrl`: where Emulator tokens' signing keys are published.
    pub to_bot_from_emulator_open_id_metadata_url: Option<String>,
    /// `OAuthUrl`: the Bot Framework token service, for user sign-in.
    pub oauth_url: Option<String>,
    /// `CallerId`: the `callerId` stamped on authenticated incoming activities.
    pub caller_id: Option<String>,
    /// `IDENTITY_ENDPOINT`: set by App Service, Azure Functions and Container Apps when the
    /// app has a managed identity. With `MicrosoftAppType=UserAssignedMSI` and
    /// [`identity_header`](Self::identity_header), tokens come from this endpoint instead
    /// of the VM's metadata service (IMDS); other app types ignore it.
    pub identity_endpoint: Option<String>,
    /// `IDENTITY_HEADER`: the secret the identity endpoint requires (never printed).
    pub identity_header: Option<Secret>,
    /// `AZURE_FEDERATED_TOKEN_FILE`: set by AKS workload identity. With
    /// `MicrosoftAppType=UserAssignedMSI`, tokens come from Entra ID with this file's token as
    /// the client assertion (re-read for every new token); it wins over
    /// [`identity_endpoint`](Self::identity_endpoint) and IMDS. Other app types ignore it.
    pub azure_federated_token_file: Option<String>,
    /// `AZURE_CLIENT_ID`: set by AKS workload identity; when set with the token file, it must
    /// be `MicrosoftAppId`.
    pub azure_client_id: Option<String>,
    /// `AZURE_TENANT_ID`: set by AKS workload identity; when set with the token file, it must
    /// be `MicrosoftAppTenantId`.
    pub azure_tenant_id: Option<String>,
    /// `CertPemFile`: the PEM file of the app's certificate, then any intermediate
    /// certificates; with it, tokens come from [`CertificateCredentials`]. It may also hold
    /// the private key when [`cert_key_file`](Self::cert_key_file) is unset.
    pub cert_pem_file: Option<String>,
    /// `CertKeyFile`: the PEM file of the certificate's private key (RSA, unencrypted).
    pub cert_key_file: Option<String>,
    /// `SendX5C` (default `false`): send the certificate chain with each assertion, for
    /// subject name and issuer (SN+I) authentication.
    pub send_x5c: bool,
    /// `MicrosoftAppClientId` (BotBuilder) or `FICClientId` (Agents SDK): the client id of a
    /// managed identity the app registration trusts through a federated identity credential;
    /// with it, tokens come from [`FederatedCredentials`].
    pub fic_client_id: Option<String>,
    /// `AllowAnonymousBeyondLoopback` (default `false`): let an anonymous bot serve
    /// `/api/messages` on an address beyond loopback. It then accepts activities from anyone
    /// who can reach it, and sends replies only to loopback and trusted hosts
    /// ([`TrustedHosts`](crate::TrustedHosts)). See [`check_listen`](Self::check_listen).
    pub allow_anonymous_beyond_loopback: bool,
}

impl Default for BotConfig {
    /// An anonymous bot on the public cloud.
    fn default() -> Self {
        Self {
            app_id: None,
            app_password: None,
            app_type: AppType::MultiTenant,
            tenant_id: None,
            channel_service: None,
            validate_authority: true,
            to_channel_from_bot_login_url: None,
            to_channel_from_bot_oauth_scope: None,
            to_bot_from_channel_token_issuer: None,
            to_bot_from_channel_open_id_metadata_url: None,
            to_bot_from_emulator_open_id_metadata_url: None,
            oauth_url: None,
            caller_id: None,
            identity_endpoint: None,
            identity_header: None,
            azure_federated_token_file: None,
            azure_client_id: None,
            azure_tenant_id: None,
            cert_pem_file: None,
            cert_key_file: None,
            send_x5c: false,
            fic_client_id: None,
            allow_anonymous_beyond_loopback: false,
        }
    }
}

impl BotConfig {
    /// A multi-tenant bot with this app id and password, on the public cloud.
    #[must_use]
    pub fn new(app_id: impl Into<String>, app_password: impl Into<Secret>) -> Self {
        Self {
            app_id: Some(app_id.into()),
            app_password: Some(app_password.into()),
            ..Self::default()
        }
    }

    /// An anonymous bot (no app id): for local testing with the Emulator.
    #[must_use]
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Reads the settings from the process environment, over the values of a `.env` file in
    /// the current directory or one of its parents, if there is one (the environment wins, as
    /// with `dotenv`). The process environment is not changed.
    ///
    /// Key names are matched ignoring case; unknown keys are ignored.
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] naming the first key that is malformed or inconsistent, or
    /// `.env` for a `.env` file that cannot be read.
    pub fn from_env() -> Result<Self, ConnectorError> {
        let mut values: Vec<(String, String)> = Vec::new();
        match dotenvy::dotenv_iter() {
            Ok(iter) => {
                for item in iter {
                    values.push(item.map_err(|e| dotenv_error(&e))?);
                }
            }
            Err(e) if e.not_found() => {}
            Err(e) => return Err(dotenv_error(&e)),
        }
        for key in keys::ALL {
            if let Ok(value) = std::env::var(key) {
                values.push(((*key).to_owned(), value));
            }
        }
        Self::from_map(values)
    }

    /// Reads the settings from one `.env`-style file only (not the process environment).
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] with key `.env` when the file cannot be read or parsed, or
    /// naming the first setting that is malformed or inconsistent.
    pub fn from_env_file(path: impl AsRef<Path>) -> Result<Self, ConnectorError> {
        let iter = dotenvy::from_path_iter(path.as_ref()).map_err(|e| dotenv_error(&e))?;
        let mut values = Vec::new();
        for item in iter {
            values.push(item.map_err(|e| dotenv_error(&e))?);
        }
        Self::from_map(values)
    }

    /// Reads the settings from key-value pairs (`MicrosoftAppId` = `...`), then
    /// [validates](Self::validate) them. Keys are matched ignoring case; a later pair wins;
    /// unknown keys are ignored; empty values mean "not set".
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] naming the first key that is malformed or inconsistent.
    pub fn from_map<I, K, V>(values: I) -> Result<Self, ConnectorError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut found: HashMap<&'static str, String> = HashMap::new();
        for (key, value) in values {
            let key = key.as_ref().trim();
            if let Some(known) = keys::ALL.iter().find(|k| k.eq_ignore_ascii_case(key)) {
                found.insert(known, value.as_ref().trim().to_owned());
            }
        }
        let mut take = |key: &'static str| found.remove(key).filter(|v| !v.is_empty());
        let app_type = match take(keys::MICROSOFT_APP_TYPE) {
            None => AppType::MultiTenant,
            Some(v) => AppType::parse(&v).ok_or_else(|| {
                ConnectorError::setting(
                    keys::MICROSOFT_APP_TYPE,
                    format!(
                        "`{}` is not one of MultiTenant, SingleTenant, UserAssignedMSI",
                        one_line(&v, 64)
                    ),
                )
            })?,
        };
        let validate_authority = parse_bool(
            keys::VALIDATE_AUTHORITY,
            take(keys::VALIDATE_AUTHORITY),
            true,
        )?;
        let send_x5c = parse_bool(keys::SEND_X5C, take(keys::SEND_X5C), false)?;
        let allow_anonymous_beyond_loopback = parse_bool(
            keys::ALLOW_ANONYMOUS_BEYOND_LOOPBACK,
            take(keys::ALLOW_ANONYMOUS_BEYOND_LOOPBACK),
            false,
        )?;
        let fic_client_id = match (
            take(keys::MICROSOFT_APP_CLIENT_ID),
            take(keys::FIC_CLIENT_ID),
        ) {
            (Some(a), Some(b)) if !a.eq_ignore_ascii_case(&b) => {
                return Err(ConnectorError::setting(
                    keys::FIC_CLIENT_ID,
                    "differs from MicrosoftAppClientId (they name the same managed identity; set one)",
                ));
            }
            (a, b) => a.or(b),
        };
        let config = Self {
            app_id: take(keys::MICROSOFT_APP_ID),
            app_password: take(keys::MICROSOFT_APP_PASSWORD).map(Secret::from),
            app_type,
            tenant_id: take(keys::MICROSOFT_APP_TENANT_ID),
            channel_service: take(keys::CHANNEL_SERVICE),
            validate_authority,
            to_channel_from_bot_login_url: take(keys::TO_CHANNEL_FROM_BOT_LOGIN_URL),
            to_channel_from_bot_oauth_scope: take(keys::TO_CHANNEL_FROM_BOT_OAUTH_SCOPE),
            to_bot_from_channel_token_issuer: take(keys::TO_BOT_FROM_CHANNEL_TOKEN_ISSUER),
            to_bot_from_channel_open_id_metadata_url: take(
                keys::TO_BOT_FROM_CHANNEL_OPEN_ID_METADATA_URL,
            ),
            to_bot_from_emulator_open_id_metadata_url: take(
                keys::TO_BOT_FROM_EMULATOR_OPEN_ID_METADATA_URL,
            ),
            oauth_url: take(keys::OAUTH_URL),
            caller_id: take(keys::CALLER_ID),
            identity_endpoint: take(keys::IDENTITY_ENDPOINT),
            identity_header: take(keys::IDENTITY_HEADER).map(Secret::from),
            azure_federated_token_file: take(keys::AZURE_FEDERATED_TOKEN_FILE),
            azure_client_id: take(keys::AZURE_CLIENT_ID),
            azure_tenant_id: take(keys::AZURE_TENANT_ID),
            cert_pem_file: take(keys::CERT_PEM_FILE),
            cert_key_file: take(keys::CERT_KEY_FILE),
            send_x5c,
            fic_client_id,
            allow_anonymous_beyond_loopback,
        };
        config.validate()?;
        Ok(config)
    }

    /// Sets the app type.
    #[must_use]
    pub fn with_app_type(mut self, app_type: AppType) -> Self {
        self.app_type = app_type;
        self
    }

    /// Sets the tenant (`MicrosoftAppTenantId`); with [`AppType::SingleTenant`] tokens come
    /// from it.
    #[must_use]
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Sets `ChannelService` (`https://botframework.azure.us` for US Government).
    #[must_use]
    pub fn with_channel_service(mut self, channel_service: impl Into<String>) -> Self {
        self.channel_service = Some(channel_service.into());
        self
    }

    /// Sets `ToChannelFromBotLoginUrl`.
    #[must_use]
    pub fn with_login_url(mut self, login_url: impl Into<String>) -> Self {
        self.to_channel_from_bot_login_url = Some(login_url.into());
        self
    }

    /// Sets `ToBotFromChannelOpenIdMetadataUrl`.
    #[must_use]
    pub fn with_channel_open_id_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.to_bot_from_channel_open_id_metadata_url = Some(url.into());
        self
    }

    /// Sets `ToBotFromEmulatorOpenIdMetadataUrl`.
    #[must_use]
    pub fn with_emulator_open_id_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.to_bot_from_emulator_open_id_metadata_url = Some(url.into());
        self
    }

    /// Sets `CallerId`.
    #[must_use]
    pub fn with_caller_id(mut self, caller_id: impl Into<String>) -> Self {
        self.caller_id = Some(caller_id.into());
        self
    }

    /// The app id the bot runs with: the [`app_id`](Self::app_id) field when it is set and
    /// not blank, else `None` (an anonymous bot).
    ///
    /// ```
    /// use botbuilder_connector::config::BotConfig;
    ///
    /// let mut config = BotConfig::new("app-id", "app-password");
    /// assert_eq!(config.effective_app_id(), Some("app-id"));
    /// config.app_id = Some("  ".into());
    /// assert_eq!(config.effective_app_id(), None);
    /// ```
    #[must_use]
    pub fn effective_app_id(&self) -> Option<&str> {
        nonblank(self.app_id.as_deref())
    }

    /// The tenant the bot runs with: the [`tenant_id`](Self::tenant_id) field when it is set
    /// and not blank, else `None`.
    #[must_use]
    pub fn effective_tenant_id(&self) -> Option<&str> {
        nonblank(self.tenant_id.as_deref())
    }

    /// Whether the bot has no app id: requests need no token and replies carry none.
    #[must_use]
    pub fn is_anonymous(&self) -> bool {
        self.effective_app_id().is_none()
    }

    /// The cloud `ChannelService` names, `None` for a private cloud.
    #[must_use]
    pub fn cloud(&self) -> Option<Cloud> {
        Cloud::from_channel_service(self.channel_service.as_deref().unwrap_or(""))
    }

    /// The cloud whose defaults fill unset endpoints: the public cloud's for a private cloud
    /// (which sets the endpoints it needs).
    fn defaults(&self) -> Cloud {
        self.cloud().unwrap_or(Cloud::Public)
    }

    /// The issuer of channel tokens: `ToBotFromChannelTokenIssuer` or the cloud's.
    #[must_use]
    pub fn resolved_channel_token_issuer(&self) -> &str {
        nonblank(self.to_bot_from_channel_token_issuer.as_deref())
            .unwrap_or(self.defaults().channel_token_issuer())
    }

    /// The OpenID metadata URL of channel tokens.
    #[must_use]
    pub fn resolved_channel_open_id_metadata_url(&self) -> &str {
        nonblank(self.to_bot_from_channel_open_id_metadata_url.as_deref())
            .unwrap_or(self.defaults().channel_open_id_metadata_url())
    }

    /// The OpenID metadata URL of Emulator tokens.
    #[must_use]
    pub fn resolved_emulator_open_id_metadata_url(&self) -> &str {
        nonblank(self.to_bot_from_emulator_open_id_metadata_url.as_deref())
            .unwrap_or(self.defaults().emulator_open_id_metadata_url())
    }

    /// The Bot Framework token service URL.
    #[must_use]
    pub fn resolved_oauth_url(&self) -> &str {
        nonblank(self.oauth_url.as_deref()).unwrap_or(self.defaults().oauth_url())
    }

    /// The `callerId` of authenticated incoming activities: `CallerId`, or the cloud's; `None`
    /// for a private cloud that sets none. (Anonymous requests get no caller id.)
    #[must_use]
    pub fn resolved_caller_id(&self) -> Option<&str> {
        nonblank(self.caller_id.as_deref()).or_else(|| self.cloud().map(Cloud::caller_id))
    }

    /// The outgoing authentication settings: the cloud, login URL and scope, and the tenant
    /// for single-tenant and managed identity bots (a multi-tenant bot asks the
    /// `botframework.com` tenant whatever `MicrosoftAppTenantId` says, as BotBuilder does).
    #[must_use]
    pub fn outgoing_auth_settings(&self) -> OutgoingAuthSettings {
        OutgoingAuthSettings {
            cloud: self.defaults(),
            tenant_id: match self.app_type {
                AppType::MultiTenant => None,
                _ => self.effective_tenant_id().map(str::to_owned),
            },
            login_url: nonblank(self.to_channel_from_bot_login_url.as_deref()).map(str::to_owned),
            oauth_scope: nonblank(self.to_channel_from_bot_oauth_scope.as_deref())
                .map(str::to_owned),
        }
    }

    /// Checks that the bot may serve its messaging endpoint on `listen`: always with an app
    /// id; an anonymous bot (no app id) only on a loopback address, unless
    /// `AllowAnonymousBeyondLoopback=true`. An anonymous bot accepts activities nobody
    /// authenticated, and would POST its replies to whatever `serviceUrl` they name: beyond
    /// loopback, anyone on the network could drive it, and use it to reach hosts of its
    /// network. (The rule of [`crate::listen`], shared with the Direct Line endpoint.)
    ///
    /// ```
    /// use botbuilder_connector::config::BotConfig;
    ///
    /// let everywhere = "0.0.0.0:3978".parse()?;
    /// let error = BotConfig::anonymous().check_listen(everywhere).unwrap_err();
    /// assert!(error.to_string().contains("AllowAnonymousBeyondLoopback"), "{error}");
    /// BotConfig::anonymous().check_listen("127.0.0.1:3978".parse()?)?;
    /// BotConfig::new("app-id", "password").check_listen(everywhere)?;
    /// let mut open = BotConfig::anonymous();
    /// open.allow_anonymous_beyond_loopback = true;
    /// open.check_listen(everywhere)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] naming `MicrosoftAppId` when an anonymous bot would listen
    /// beyond loopback without the opt-in.
    pub fn check_listen(&self, listen: std::net::SocketAddr) -> Result<(), ConnectorError> {
        check_anonymous_listen(
            self.is_anonymous(),
            self.allow_anonymous_beyond_loopback,
            listen,
        )
    }

    /// The outgoing credentials these settings describe (see the [module table](crate::config)):
    /// anonymous, a password, a certificate, federated identity credentials, workload
    /// identity, or a managed identity. A certificate is read here.
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] when the settings are not [valid](Self::validate), or
    /// naming `CertPemFile` / `CertKeyFile` when the certificate or its key cannot be read or
    /// do not match.
    pub fn credentials(&self) -> Result<Arc<dyn AppCredentials>, ConnectorError> {
        self.credentials_with(None, None)
    }

    pub(crate) fn credentials_with(
        &self,
        http: Option<reqwest::Client>,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<Arc<dyn AppCredentials>, ConnectorError> {
        self.validate()?;
        let Some(app_id) = self.effective_app_id() else {
            return Ok(Arc::new(AnonymousCredentials));
        };
        let settings = self.outgoing_auth_settings();
        if let Some(cert_file) = self.certificate_file() {
            let key_file = nonblank(self.cert_key_file.as_deref());
            let certificate =
                ClientCertificate::from_pem_files(cert_file, key_file).map_err(|e| {
                    // Problems with the key name the key's file when it has its own.
                    let key = if key_file.is_some() && e.to_string().contains("private key") {
                        keys::CERT_KEY_FILE
                    } else {
                        keys::CERT_PEM_FILE
                    };
                    ConnectorError::setting(key, url_reason(&e))
                })?;
            let mut credentials =
                CertificateCredentials::new(app_id, certificate, settings)?.with_x5c(self.send_x5c);
            if let Some(http) = http {
                credentials = credentials.with_http_client(http);
            }
            if let Some(clock) = clock {
                credentials = credentials.with_clock(clock);
            }
            return Ok(Arc::new(credentials));
        }
        if let Some(identity_id) = self.federated_identity() {
            let mut identity =
                ManagedIdentityCredentials::new(identity_id, TOKEN_EXCHANGE_AUDIENCE)?;
            if let Some((endpoint, header)) = self.app_service_identity() {
                identity = identity.with_app_service_endpoint(endpoint, header.clone())?;
            }
            if let Some(http) = &http {
                identity = identity.with_http_client(http.clone());
            }
            if let Some(clock) = &clock {
                identity = identity.with_clock(Arc::clone(clock));
            }
            let mut credentials = FederatedCredentials::new(app_id, identity, settings)?;
            if let Some(http) = http {
                credentials = credentials.with_http_client(http);
            }
            if let Some(clock) = clock {
                credentials = credentials.with_clock(clock);
            }
            return Ok(Arc::new(credentials));
        }
        if self.app_type == AppType::UserAssignedMsi
            && let Some(file) = nonblank(self.azure_federated_token_file.as_deref())
        {
            let mut credentials = WorkloadIdentityCredentials::new(app_id, file, settings)?;
            if let Some(http) = http {
                credentials = credentials.with_http_client(http);
            }
            if let Some(clock) = clock {
                credentials = credentials.with_clock(clock);
            }
            return Ok(Arc::new(credentials));
        }
        if self.app_type == AppType::UserAssignedMsi {
            let mut credentials = ManagedIdentityCredentials::new(app_id, settings.scope())?;
            if let Some((endpoint, header)) = self.app_service_identity() {
                credentials = credentials.with_app_service_endpoint(endpoint, header.clone())?;
            }
            if let Some(http) = http {
                credentials = credentials.with_http_client(http);
            }
            if let Some(clock) = clock {
                credentials = credentials.with_clock(clock);
            }
            return Ok(Arc::new(credentials));
        }
        let password = self.app_password.clone().unwrap_or_else(|| Secret::new(""));
        let mut credentials = MicrosoftAppCredentials::new(app_id, password, settings)?;
        if let Some(http) = http {
            credentials = credentials.with_http_client(http);
        }
        if let Some(clock) = clock {
            credentials = credentials.with_clock(clock);
        }
        Ok(Arc::new(credentials))
    }

    /// `CertPemFile`, when set and not blank.
    fn certificate_file(&self) -> Option<&str> {
        nonblank(self.cert_pem_file.as_deref())
    }

    /// The managed identity of federated identity credentials, when set and not blank.
    fn federated_identity(&self) -> Option<&str> {
        nonblank(self.fic_client_id.as_deref())
    }

    /// The App Service / Functions / Container Apps identity endpoint and its header, when
    /// both are set (blank values are unset).
    fn app_service_identity(&self) -> Option<(&str, &Secret)> {
        let endpoint = nonblank(self.identity_endpoint.as_deref())?;
        let header = self
            .identity_header
            .as_ref()
            .filter(|h| !h.expose().trim().is_empty())?;
        Some((endpoint, header))
    }

    /// Checks the settings together: what each app type needs, the tenant's form, that
    /// `ChannelService` names a known cloud or the endpoints of a private one are all set,
    /// and that every URL is https (http only on loopback hosts, for local tests).
    ///
    /// # Errors
    /// [`ConnectorError::Setting`] naming the first key to fix.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        use keys::*;
        let has_password = self.app_password.as_ref().is_some_and(|p| !p.is_empty());
        let app_type = self.app_type.as_str();
        let secrets: Vec<&'static str> = [
            (MICROSOFT_APP_PASSWORD, has_password),
            (CERT_PEM_FILE, self.certificate_file().is_some()),
            (MICROSOFT_APP_CLIENT_ID, self.federated_identity().is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect();
        if let [first, second, ..] = secrets.as_slice() {
            return Err(ConnectorError::setting(
                second,
                format!(
                    "is set with {first}: set one way to prove the app's identity (MicrosoftAppPassword, CertPemFile or MicrosoftAppClientId)"
                ),
            ));
        }
        if nonblank(self.cert_key_file.as_deref()).is_some() && self.certificate_file().is_none() {
            return Err(ConnectorError::setting(
                CERT_KEY_FILE,
                "is set without CertPemFile (the certificate)",
            ));
        }
        let proof = secrets.first().copied();
        if self.effective_app_id().is_none()
            && let Some(key) = proof
        {
            return Err(ConnectorError::setting(
                MICROSOFT_APP_ID,
                format!("is empty but {key} is set"),
            ));
        }
        match self.app_type {
            AppType::MultiTenant => {
                if self.effective_app_id().is_some() && proof.is_none() {
                    return Err(ConnectorError::setting(
                        MICROSOFT_APP_PASSWORD,
                        "is required with MicrosoftAppId (MicrosoftAppType=MultiTenant), unless CertPemFile or MicrosoftAppClientId is set",
                    ));
                }
            }
            AppType::SingleTenant | AppType::UserAssignedMsi => {
                if self.effective_app_id().is_none() {
                    return Err(ConnectorError::setting(
                        MICROSOFT_APP_ID,
                        format!("is required with MicrosoftAppType={app_type}"),
                    ));
                }
                if self.effective_tenant_id().is_none() {
                    return Err(ConnectorError::setting(
                        MICROSOFT_APP_TENANT_ID,
                        format!("is required with MicrosoftAppType={app_type}"),
                    ));
                }
                if self.app_type == AppType::SingleTenant && proof.is_none() {
                    return Err(ConnectorError::setting(
                        MICROSOFT_APP_PASSWORD,
                        "is required with MicrosoftAppType=SingleTenant, unless CertPemFile or MicrosoftAppClientId is set",
                    ));
                }
                if self.app_type == AppType::UserAssignedMsi
                    && let Some(key @ (MICROSOFT_APP_PASSWORD | CERT_PEM_FILE)) = proof
                {
                    return Err(ConnectorError::setting(
                        key,
                        "must not be set with MicrosoftAppType=UserAssignedMSI (a managed identity has no password or certificate)",
                    ));
                }
                if self.app_type == AppType::UserAssignedMsi {
                    self.validate_workload_identity()?;
                }
            }
        }
        if self.app_type == AppType::UserAssignedMsi || self.federated_identity().is_some() {
            self.validate_identity_endpoint()?;
        }
        if let Some(tenant) = self.effective_tenant_id() {
            validate_tenant(tenant).map_err(|_| {
                ConnectorError::setting(
                    MICROSOFT_APP_TENANT_ID,
                    format!("`{}` is not a tenant id or domain", one_line(tenant, 64)),
                )
            })?;
        }
        if self.cloud().is_none() {
            let missing: Vec<&str> = [
                (
                    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
                    &self.to_bot_from_channel_token_issuer,
                ),
                (
                    TO_BOT_FROM_CHANNEL_OPEN_ID_METADATA_URL,
                    &self.to_bot_from_channel_open_id_metadata_url,
                ),
                (
                    TO_CHANNEL_FROM_BOT_LOGIN_URL,
                    &self.to_channel_from_bot_login_url,
                ),
                (
                    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
                    &self.to_channel_from_bot_oauth_scope,
                ),
            ]
            .into_iter()
            .filter(|(_, v)| nonblank(v.as_deref()).is_none())
            .map(|(k, _)| k)
            .collect();
            if !missing.is_empty() {
                return Err(ConnectorError::setting(
                    CHANNEL_SERVICE,
                    format!(
                        "`{}` is neither empty (the public cloud) nor {} (US Government); a private cloud must also set {}",
                        one_line(self.channel_service.as_deref().unwrap_or(""), 100),
                        Cloud::US_GOVERNMENT_CHANNEL_SERVICE,
                        missing.join(", ")
                    ),
                ));
            }
        }
        self.outgoing_auth_settings()
            .authority()
            .map_err(|e| ConnectorError::setting(TO_CHANNEL_FROM_BOT_LOGIN_URL, url_reason(&e)))?;
        for (key, value) in [
            (
                TO_BOT_FROM_CHANNEL_OPEN_ID_METADATA_URL,
                self.resolved_channel_open_id_metadata_url(),
            ),
            (
                TO_BOT_FROM_EMULATOR_OPEN_ID_METADATA_URL,
                self.resolved_emulator_open_id_metadata_url(),
            ),
            (OAUTH_URL, self.resolved_oauth_url()),
        ] {
            parse_secure(value, key).map_err(|e| ConnectorError::setting(key, url_reason(&e)))?;
        }
        Ok(())
    }
}

impl BotConfig {
    fn validate_workload_identity(&self) -> Result<(), ConnectorError> {
        use keys::{AZURE_CLIENT_ID, AZURE_TENANT_ID, MICROSOFT_APP_ID, MICROSOFT_APP_TENANT_ID};
        if nonblank(self.azure_federated_token_file.as_deref()).is_none() {
            return Ok(());
        }
        for (key, value, own_key, own) in [
            (
                AZURE_CLIENT_ID,
                &self.azure_client_id,
                MICROSOFT_APP_ID,
                self.effective_app_id(),
            ),
            (
                AZURE_TENANT_ID,
                &self.azure_tenant_id,
                MICROSOFT_APP_TENANT_ID,
                self.effective_tenant_id(),
            ),
        ] {
            if let Some(value) = nonblank(value.as_deref())
                && !own.is_some_and(|own| own.eq_ignore_ascii_case(value))
            {
                return Err(ConnectorError::setting(
                    key,
                    format!(
                        "`{}` is not {own_key} (`{}`): workload identity signs in as {own_key}",
                        one_line(value, 64),
                        one_line(own.unwrap_or(""), 64)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn validate_identity_endpoint(&self) -> Result<(), ConnectorError> {
        use keys::{IDENTITY_ENDPOINT, IDENTITY_HEADER};
        let endpoint = nonblank(self.identity_endpoint.as_deref());
        let has_header = self
            .identity_header
            .as_ref()
            .is_some_and(|h| !h.expose().trim().is_empty());
        match (endpoint, has_header) {
            (None, false) => Ok(()),
            (Some(_), false) => Err(ConnectorError::setting(
                IDENTITY_HEADER,
                "is required with IDENTITY_ENDPOINT",
            )),
            (None, true) => Err(ConnectorError::setting(
                IDENTITY_ENDPOINT,
                "is required with IDENTITY_HEADER",
            )),
            (Some(endpoint), true) => parse_platform_endpoint(endpoint)
                .map(|_| ())
                .map_err(|e| ConnectorError::setting(IDENTITY_ENDPOINT, url_reason(&e))),
        }
    }
}

/// [`BotConfig::check_listen`] for an adapter that kept only these two facts.
pub(crate) fn check_anonymous_listen(
    anonymous: bool,
    allowed: bool,
    listen: std::net::SocketAddr,
) -> Result<(), ConnectorError> {
    crate::listen::require_beyond_loopback(
        listen,
        !anonymous || allowed,
        keys::MICROSOFT_APP_ID,
        "an anonymous bot (no app id: anyone who can reach it drives it; AllowAnonymousBeyondLoopback=true accepts that)",
    )
}

fn parse_bool(
    key: &'static str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConnectorError> {
    match value {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ConnectorError::setting(
            key,
            format!("`{}` is not true or false", one_line(&v, 64)),
        )),
    }
}

fn nonblank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The reason of a URL error, without repeating the key.
fn url_reason(error: &ConnectorError) -> String {
    match error {
        ConnectorError::InvalidUrl { url, reason } => {
            format!("`{}`: {reason}", one_line(url, 200))
        }
        ConnectorError::InvalidArgument { reason } => reason.clone(),
        other => other.to_string(),
    }
}

fn dotenv_error(error: &dotenvy::Error) -> ConnectorError {
    // dotenvy's messages name the line, never a value.
    ConnectorError::setting(".env", one_line(&error.to_string(), 300))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(pairs: &[(&str, &str)]) -> (&'static str, String) {
        match BotConfig::from_map(pairs.iter().copied()) {
            Err(ConnectorError::Setting { key, message }) => (key, message),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn empty_is_anonymous_public_cloud() {
        let c = BotConfig::from_map(Vec::<(String, String)>::new()).unwrap();
        assert!(c.is_anonymous());
        assert_eq!(c.cloud(), Some(Cloud::Public));
        assert_eq!(
            c.resolved_channel_token_issuer(),
            "https://api.botframework.com"
        );
        assert!(c.validate_authority);
        assert_eq!(c, BotConfig::anonymous());
    }

    #[test]
    fn keys_ignore_case_and_blank_values_are_unset() {
        let c = BotConfig::from_map([
            ("microsoftappid", "id"),
            ("MICROSOFTAPPPASSWORD", "pw"),
            ("ChannelService", "  "),
            ("SomethingElse", "x"),
            ("validateauthority", "False"),
        ])
        .unwrap();
        assert_eq!(c.effective_app_id(), Some("id"));
        assert_eq!(c.cloud(), Some(Cloud::Public));
        assert!(!c.validate_authority);
    }

    #[test]
    fn each_problem_names_its_key() {
        assert_eq!(
            err(&[("MicrosoftAppType", "Sometimes")]).0,
            "MicrosoftAppType"
        );
        assert_eq!(err(&[("ValidateAuthority", "yes")]).0, "ValidateAuthority");
        assert_eq!(err(&[("MicrosoftAppPassword", "pw")]).0, "MicrosoftAppId");
        assert_eq!(err(&[("MicrosoftAppId", "id")]).0, "MicrosoftAppPassword");
        let (key, message) = err(&[
            ("MicrosoftAppId", "id"),
            ("MicrosoftAppPassword", "pw"),
            ("MicrosoftAppType", "SingleTenant"),
        ]);
        assert_eq!(key, "MicrosoftAppTenantId");
        assert!(message.contains("SingleTenant"), "{message}");
        assert_eq!(
            err(&[
                ("MicrosoftAppId", "id"),
                ("MicrosoftAppPassword", "pw"),
                ("MicrosoftAppType", "UserAssignedMSI"),
                ("MicrosoftAppTenantId", "t"),
            ])
            .0,
            "MicrosoftAppPassword"
        );
        assert_eq!(
            err(&[
                ("MicrosoftAppId", "id"),
                ("MicrosoftAppPassword", "pw"),
                ("MicrosoftAppType", "SingleTenant"),
                ("MicrosoftAppTenantId", "a/b"),
            ])
            .0,
            "MicrosoftAppTenantId"
        );
        assert_eq!(
            err(&[("ChannelService", "https://bots.contoso.example")]).0,
            "ChannelService"
        );
        assert_eq!(
            err(&[("ToBotFromChannelOpenIdMetadataUrl", "http://keys.example/x")]).0,
            "ToBotFromChannelOpenIdMetadataUrl"
        );
        assert_eq!(
            err(&[("ToBotFromEmulatorOpenIdMetadataUrl", "not a url")]).0,
            "ToBotFromEmulatorOpenIdMetadataUrl"
        );
        assert_eq!(
            err(&[("ToChannelFromBotLoginUrl", "ftp://login.example/")]).0,
            "ToChannelFromBotLoginUrl"
        );
        assert_eq!(err(&[("OAuthUrl", "http://token.example")]).0, "OAuthUrl");
    }

    #[test]
    fn errors_do_not_print_the_password() {
        let e = BotConfig::from_map([("MicrosoftAppPassword", "hunter2-secret")]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let c = BotConfig::new("id", "hunter2-secret");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn us_government_and_private_clouds() {
        let gov =
            BotConfig::from_map([("ChannelService", "https://botframework.azure.us")]).unwrap();
        assert_eq!(gov.cloud(), Some(Cloud::UsGovernment));
        assert_eq!(
            gov.resolved_channel_token_issuer(),
            "https://api.botframework.us"
        );
        assert_eq!(
            gov.resolved_channel_open_id_metadata_url(),
            "https://login.botframework.azure.us/v1/.well-known/openidconfiguration"
        );
        assert_eq!(
            gov.resolved_caller_id(),
            Some("urn:botframework:azureusgov")
        );
        assert_eq!(
            gov.resolved_oauth_url(),
            "https://api.botframework.azure.us"
        );
        assert_eq!(
            gov.outgoing_auth_settings().scope(),
            "https://api.botframework.us"
        );

        let private = BotConfig::from_map([
            ("ChannelService", "https://bots.contoso.example"),
            (
                "ToBotFromChannelTokenIssuer",
                "https://issuer.contoso.example",
            ),
            (
                "ToBotFromChannelOpenIdMetadataUrl",
                "https://login.contoso.example/v1/.well-known/openidconfiguration",
            ),
            (
                "ToChannelFromBotLoginUrl",
                "https://login.contoso.example/t",
            ),
            ("ToChannelFromBotOAuthScope", "https://api.contoso.example"),
        ])
        .unwrap();
        assert_eq!(private.cloud(), None);
        assert_eq!(private.resolved_caller_id(), None);
        assert_eq!(
            private.resolved_channel_token_issuer(),
            "https://issuer.contoso.example"
        );
    }

    #[test]
    fn tenant_goes_to_outgoing_settings_only_when_not_multi_tenant() {
        let multi = BotConfig::new("id", "pw").with_tenant_id("contoso.onmicrosoft.com");
        assert_eq!(multi.outgoing_auth_settings().tenant(), None);
        let single = multi.with_app_type(AppType::SingleTenant);
        assert_eq!(
            single.outgoing_auth_settings().tenant(),
            Some("contoso.onmicrosoft.com")
        );
    }
}
