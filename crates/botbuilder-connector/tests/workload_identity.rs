//! Kubernetes workload identity: the federated token file as the client assertion, against a
//! loopback token endpoint. Settings are given as maps, never through the process
//! environment (tests run in parallel).

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use botbuilder_connector::ConnectorError;
use botbuilder_connector::auth::{
    AppCredentials, OutgoingAuthSettings, WorkloadIdentityCredentials,
};
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_test_support as support;
use support::{Mock, Reply};

const CLIENT_ID: &str = "0d3c5e7a-0000-4000-8000-0000000000bb";
const TENANT: &str = "contoso.onmicrosoft.com";
const RESOURCE: &str = "https://api.botframework.com";

/// A token file in a fresh temporary directory, removed on drop.
struct TokenFile(PathBuf);

impl TokenFile {
    fn new(text: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "botbuilder-workload-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("azure-identity-token");
        std::fs::write(&path, text).unwrap();
        Self(path)
    }

    fn path(&self) -> String {
        self.0.to_str().unwrap().to_owned()
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn config(login: &str, file: &str) -> BotConfig {
    BotConfig::from_map([
        ("MicrosoftAppType", "UserAssignedMSI"),
        ("MicrosoftAppId", CLIENT_ID),
        ("MicrosoftAppTenantId", TENANT),
        ("ToChannelFromBotLoginUrl", login),
        ("AZURE_FEDERATED_TOKEN_FILE", file),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_TENANT_ID", TENANT),
    ])
    .unwrap()
}

#[tokio::test]
async fn the_file_token_is_the_client_assertion_and_is_read_again_for_each_new_token() {
    let login = Mock::token_endpoint(3600).await;
    let file = TokenFile::new("eyJ.first-projected.token\n");
    let credentials = config(&format!("{}/botframework.com", login.url()), &file.path())
        .credentials()
        .unwrap();
    assert_eq!(credentials.app_id(), Some(CLIENT_ID));
    assert!(format!("{credentials:?}").contains("WorkloadIdentityCredentials"));

    let token = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(token.secret().expose(), "tok-1");
    credentials.token(RESOURCE).await.unwrap();
    assert_eq!(login.requests().len(), 1, "two tokens, one fetch");

    let request = login.last();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/{TENANT}/oauth2/v2.0/token"));
    let form = request.form();
    assert_eq!(form.len(), 5, "{form:?}");
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(form["client_assertion"], "eyJ.first-projected.token");
    assert_eq!(form["scope"], "https://api.botframework.com/.default");

    // The cluster rotates the file; the next token is asked with the new contents.
    std::fs::write(&file.0, "eyJ.rotated.token").unwrap();
    credentials.invalidate(RESOURCE, &token).await;
    let renewed = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(renewed.secret().expose(), "tok-2");
    assert_eq!(login.last().form()["client_assertion"], "eyJ.rotated.token");
}

#[tokio::test]
async fn refreshes_on_expiry_and_errors_keep_the_assertion_out() {
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let login = Mock::token_endpoint(3600).await;
    let file = TokenFile::new("eyJ.assertion.one");
    let settings = OutgoingAuthSettings::default()
        .with_login_url(format!("{}/botframework.com", login.url()))
        .with_tenant_id(TENANT);
    let credentials = WorkloadIdentityCredentials::new(CLIENT_ID, &file.0, settings)
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
    credentials.token(RESOURCE).await.unwrap();
    std::fs::write(&file.0, "eyJ.assertion.two").unwrap();
    clock.advance(Duration::from_secs(3600));
    let renewed = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(renewed.secret().expose(), "tok-2");
    assert_eq!(login.last().form()["client_assertion"], "eyJ.assertion.two");

    // An endpoint that echoes the assertion in its error.
    let failing = Mock::start(|request, _| {
        let assertion = request.form()["client_assertion"].clone();
        Reply::json(
            400,
            serde_json::json!({"error": "invalid_client", "error_description": format!("AADSTS700213: bad assertion {assertion}")}),
        )
    })
    .await;
    let settings = OutgoingAuthSettings::default()
        .with_login_url(format!("{}/botframework.com", failing.url()))
        .with_tenant_id(TENANT);
    let credentials = WorkloadIdentityCredentials::new(CLIENT_ID, &file.0, settings).unwrap();
    let error = credentials.token(RESOURCE).await.unwrap_err();
    assert!(matches!(error, ConnectorError::Token { .. }), "{error:?}");
    assert_eq!(error.code(), Some("invalid_client"));
    assert!(!error.to_string().contains("eyJ.assertion.two"), "{error}");
    assert!(!format!("{error:?}").contains("eyJ.assertion.two"));

    // A missing or empty file is a token error naming the file.
    std::fs::write(&file.0, "  \n").unwrap();
    let error = credentials.token(RESOURCE).await.unwrap_err();
    assert!(
        error.to_string().contains("AZURE_FEDERATED_TOKEN_FILE"),
        "{error}"
    );
    let missing = WorkloadIdentityCredentials::new(
        CLIENT_ID,
        file.0.with_file_name("missing"),
        OutgoingAuthSettings::default().with_tenant_id(TENANT),
    )
    .unwrap();
    let error = missing.token(RESOURCE).await.unwrap_err();
    assert!(matches!(error, ConnectorError::Token { .. }), "{error:?}");
    assert_eq!(failing.requests().len(), 1);
}

#[test]
fn the_client_and_tenant_ids_must_be_the_bots() {
    let key_of = |pairs: &[(&str, &str)]| match BotConfig::from_map(pairs.iter().copied()) {
        Err(ConnectorError::Setting { key, .. }) => key,
        other => panic!("not a setting error: {other:?}"),
    };
    let base = [
        ("MicrosoftAppType", "UserAssignedMSI"),
        ("MicrosoftAppId", CLIENT_ID),
        ("MicrosoftAppTenantId", TENANT),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            "/var/run/secrets/azure/tokens/t",
        ),
    ];
    let mut other_client = base.to_vec();
    other_client.push(("AZURE_CLIENT_ID", "another-client"));
    assert_eq!(key_of(&other_client), "AZURE_CLIENT_ID");
    let mut other_tenant = base.to_vec();
    other_tenant.push(("AZURE_TENANT_ID", "fabrikam.onmicrosoft.com"));
    assert_eq!(key_of(&other_tenant), "AZURE_TENANT_ID");

    // The token file wins over the App Service endpoint.
    let mut both = base.to_vec();
    both.push(("IDENTITY_ENDPOINT", "http://localhost:42356/msi/token"));
    both.push(("IDENTITY_HEADER", "h"));
    let credentials = BotConfig::from_map(both).unwrap().credentials().unwrap();
    assert!(format!("{credentials:?}").contains("WorkloadIdentityCredentials"));

    // Password app types ignore it.
    let config = BotConfig::from_map([
        ("MicrosoftAppId", CLIENT_ID),
        ("MicrosoftAppPassword", "pw"),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            "/var/run/secrets/azure/tokens/t",
        ),
        ("AZURE_CLIENT_ID", "another-client"),
    ])
    .unwrap();
    assert!(format!("{:?}", config.credentials().unwrap()).contains("MicrosoftAppCredentials"));
}
