//! Configuration: `.env` files, errors that name the key, and adapters built from settings.
//! Only explicit files and maps are read, never the process environment (tests run in
//! parallel).

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use botbuilder_connector::ConnectorError;
use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::auth::incoming::IncomingAuthSettings;
use botbuilder_connector::auth::{AnonymousCredentials, Cloud};
use botbuilder_connector::config::{AppType, BotConfig};

/// A file in a fresh temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "botbuilder-config-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[track_caller]
fn key_of(result: Result<BotConfig, ConnectorError>) -> &'static str {
    match result {
        Err(ConnectorError::Setting { key, .. }) => key,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn a_dotenv_file_with_botbuilders_keys() {
    let file = TempFile::new(
        ".env",
        "# a bot moved from C#\n\
         MicrosoftAppType=SingleTenant\n\
         MicrosoftAppId=00000000-0000-0000-0000-0000000000aa\n\
         MicrosoftAppPassword=\"p@ss word\"\n\
         MicrosoftAppTenantId=contoso.onmicrosoft.com\n\
         ChannelService=https://botframework.azure.us\n\
         ValidateAuthority=false\n\
         CallerId=urn:botframework:custom\n\
         SomeOtherSetting=ignored\n",
    );
    let config = BotConfig::from_env_file(&file.0).unwrap();
    assert_eq!(config.app_type, AppType::SingleTenant);
    assert_eq!(
        config.effective_app_id(),
        Some("00000000-0000-0000-0000-0000000000aa")
    );
    assert_eq!(
        config.app_password.as_ref().map(|p| p.expose()),
        Some("p@ss word")
    );
    assert_eq!(config.cloud(), Some(Cloud::UsGovernment));
    assert!(!config.validate_authority);
    assert_eq!(config.resolved_caller_id(), Some("urn:botframework:custom"));
    assert_eq!(
        config
            .outgoing_auth_settings()
            .token_endpoint()
            .unwrap()
            .as_str(),
        "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    let incoming = IncomingAuthSettings::from_config(&config);
    assert_eq!(incoming.channel_token_issuer, "https://api.botframework.us");
    assert!(
        incoming
            .emulator_issuers
            .iter()
            .any(|i| i == "https://login.microsoftonline.us/contoso.onmicrosoft.com/v2.0")
    );
    // An adapter builds from it without touching the network.
    let adapter = CloudAdapter::new(&config).unwrap();
    assert_eq!(
        adapter.app_id(),
        Some("00000000-0000-0000-0000-0000000000aa")
    );
}

#[test]
fn dotenv_problems_name_the_file_or_the_key() {
    assert_eq!(
        key_of(BotConfig::from_env_file("/nonexistent/botbuilder/.env")),
        ".env"
    );
    let bad_line = TempFile::new(".env", "MicrosoftAppId='unterminated\n");
    assert_eq!(key_of(BotConfig::from_env_file(&bad_line.0)), ".env");
    let bad_value = TempFile::new(".env", "MicrosoftAppType=Sometimes\n");
    let error = BotConfig::from_env_file(&bad_value.0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid setting `MicrosoftAppType`: `Sometimes` is not one of MultiTenant, SingleTenant, UserAssignedMSI"
    );
}

#[test]
fn each_key_is_named_in_its_error() {
    let app = [("MicrosoftAppId", "id"), ("MicrosoftAppPassword", "pw")];
    let with = |extra: &[(&'static str, &'static str)]| {
        BotConfig::from_map(app.iter().chain(extra.iter()).copied())
    };
    assert_eq!(
        key_of(with(&[("MicrosoftAppType", "Bot")])),
        "MicrosoftAppType"
    );
    assert_eq!(
        key_of(with(&[("MicrosoftAppType", "SingleTenant")])),
        "MicrosoftAppTenantId"
    );
    assert_eq!(
        key_of(with(&[
            ("MicrosoftAppType", "UserAssignedMSI"),
            ("MicrosoftAppTenantId", "t")
        ])),
        "MicrosoftAppPassword"
    );
    assert_eq!(
        key_of(with(&[("MicrosoftAppTenantId", "not a tenant!")])),
        "MicrosoftAppTenantId"
    );
    assert_eq!(
        key_of(with(&[("ValidateAuthority", "1")])),
        "ValidateAuthority"
    );
    assert_eq!(
        key_of(with(&[("ChannelService", "https://unknown.example")])),
        "ChannelService"
    );
    assert_eq!(
        key_of(with(&[(
            "ToChannelFromBotLoginUrl",
            "http://login.example/x"
        )])),
        "ToChannelFromBotLoginUrl"
    );
    assert_eq!(
        key_of(with(&[(
            "ToBotFromChannelOpenIdMetadataUrl",
            "http://login.botframework.com/v1/.well-known/openidconfiguration"
        )])),
        "ToBotFromChannelOpenIdMetadataUrl"
    );
    assert_eq!(
        key_of(with(&[(
            "ToBotFromEmulatorOpenIdMetadataUrl",
            "//no-scheme"
        )])),
        "ToBotFromEmulatorOpenIdMetadataUrl"
    );
    assert_eq!(key_of(with(&[("OAuthUrl", "ftp://x.example")])), "OAuthUrl");
    assert_eq!(
        key_of(BotConfig::from_map([("MicrosoftAppId", "id")])),
        "MicrosoftAppPassword"
    );
    // Loopback metadata over http is allowed (local testing).
    with(&[(
        "ToBotFromChannelOpenIdMetadataUrl",
        "http://127.0.0.1:9/metadata",
    )])
    .unwrap();
}

#[test]
fn managed_identity_and_custom_credentials() {
    let msi = BotConfig::from_map([
        ("MicrosoftAppType", "UserAssignedMSI"),
        ("MicrosoftAppId", "identity-client-id"),
        ("MicrosoftAppTenantId", "contoso.onmicrosoft.com"),
    ])
    .unwrap();
    let credentials = msi.credentials().unwrap();
    assert_eq!(credentials.app_id(), Some("identity-client-id"));
    assert!(format!("{credentials:?}").contains("ManagedIdentityCredentials"));

    // Credentials whose app id is not the configuration's are refused.
    let error = CloudAdapter::builder(BotConfig::new("app-id", "pw"))
        .credentials(Arc::new(AnonymousCredentials))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            error,
            ConnectorError::Setting {
                key: "MicrosoftAppId",
                ..
            }
        ),
        "{error}"
    );
}
