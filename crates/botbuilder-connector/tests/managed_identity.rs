//! Managed identity on App Service, Azure Functions and Container Apps: the
//! `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` endpoint, against a loopback stand-in. Settings are
//! given as maps, never through the process environment (tests run in parallel).

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use botbuilder_connector::ConnectorError;
use botbuilder_connector::auth::{AppCredentials, ManagedIdentityCredentials};
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_test_support as support;
use serde_json::json;
use support::{Mock, Reply};

const CLIENT_ID: &str = "6f5b1c2d-0000-4000-8000-0000000000aa";
const TENANT: &str = "contoso.onmicrosoft.com";
const HEADER: &str = "hdr-5ecret-V4lue~42";
const RESOURCE: &str = "https://api.botframework.com";

fn clock() -> ManualClock {
    ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
}

/// An identity endpoint answering `mi-N`, expiring at `expires_on` (as given: number or text).
async fn identity_endpoint(expires_on: serde_json::Value) -> Mock {
    Mock::start(move |_, n| {
        Reply::json(
            200,
            json!({
                "access_token": format!("mi-{n}"),
                "expires_on": expires_on,
                "resource": RESOURCE,
                "token_type": "Bearer",
            }),
        )
    })
    .await
}

fn msi_config(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MicrosoftAppType", "UserAssignedMSI".to_owned()),
        ("MicrosoftAppId", CLIENT_ID.to_owned()),
        ("MicrosoftAppTenantId", TENANT.to_owned()),
        ("IDENTITY_ENDPOINT", endpoint.to_owned()),
        ("IDENTITY_HEADER", HEADER.to_owned()),
    ]
}

#[tokio::test]
async fn user_assigned_from_the_configuration_asks_the_identity_endpoint() {
    let far = support::auth::unix(SystemTime::now()) + 3600;
    let endpoint = identity_endpoint(json!(far)).await;
    let config = BotConfig::from_map(msi_config(&format!("{}/msi/token", endpoint.url()))).unwrap();
    assert!(!format!("{config:?}").contains(HEADER));
    let credentials = config.credentials().unwrap();
    assert_eq!(credentials.app_id(), Some(CLIENT_ID));
    assert!(!format!("{credentials:?}").contains(HEADER));

    let first = credentials.token(RESOURCE).await.unwrap().unwrap();
    let second = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(first.secret().expose(), "mi-1");
    assert_eq!(second.secret().expose(), "mi-1");
    assert_eq!(
        first.expires_at(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(far)
    );

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1, "two tokens, one fetch");
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/msi/token");
    let query = request.query_pairs();
    assert_eq!(query.len(), 3, "{query:?}");
    assert_eq!(query["api-version"], "2019-08-01");
    assert_eq!(query["resource"], RESOURCE);
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(request.header("x-identity-header"), Some(HEADER));
    assert_eq!(request.header("metadata"), None);
}

#[tokio::test]
async fn system_assigned_sends_no_client_id_and_reads_expires_on_as_text() {
    let clock = clock();
    let expires_on = 1_700_000_000 + 7200;
    let endpoint = identity_endpoint(json!(expires_on.to_string())).await;
    let credentials = ManagedIdentityCredentials::new(CLIENT_ID, RESOURCE)
        .unwrap()
        .system_assigned()
        .with_app_service_endpoint(&format!("{}/msi/token", endpoint.url()), HEADER)
        .unwrap()
        .with_clock(Arc::new(clock.clone()));

    let token = credentials
        .token("https://api.botframework.com/.default")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.secret().expose(), "mi-1");
    assert_eq!(
        token.expires_at(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(expires_on)
    );
    let request = endpoint.last();
    assert_eq!(request.path, "/msi/token");
    let query = request.query_pairs();
    assert_eq!(query.len(), 2, "{query:?}");
    assert_eq!(query["api-version"], "2019-08-01");
    assert_eq!(query["resource"], RESOURCE);
    assert!(!query.contains_key("client_id"));
    assert_eq!(request.header("x-identity-header"), Some(HEADER));

    // Cached until close to its expiry, then fetched again.
    credentials.token(RESOURCE).await.unwrap();
    assert_eq!(endpoint.requests().len(), 1);
    clock.advance(Duration::from_secs(7200));
    let renewed = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(renewed.secret().expose(), "mi-2");
    assert_eq!(endpoint.requests().len(), 2);
}

#[tokio::test]
async fn an_error_answer_is_a_token_error_without_the_header() {
    let endpoint = Mock::start(|_, _| {
        Reply::json(
            400,
            json!({
                "error": "invalid_request",
                "error_description": format!("Unknown header X-IDENTITY-HEADER: {HEADER}"),
            }),
        )
    })
    .await;
    let credentials = ManagedIdentityCredentials::new(CLIENT_ID, RESOURCE)
        .unwrap()
        .with_app_service_endpoint(&format!("{}/msi/token", endpoint.url()), HEADER)
        .unwrap();
    let error = credentials.token(RESOURCE).await.unwrap_err();
    match &error {
        ConnectorError::Token {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(400));
            assert_eq!(code.as_deref(), Some("invalid_request"));
            assert!(
                message.as_deref().unwrap().contains("<redacted>"),
                "{message:?}"
            );
        }
        other => panic!("not a token error: {other:?}"),
    }
    assert!(!error.to_string().contains(HEADER), "{error}");
    assert!(!format!("{error:?}").contains(HEADER), "{error:?}");
}

#[test]
fn the_endpoint_and_header_go_together_and_the_endpoint_is_local_or_https() {
    let key_of = |pairs: Vec<(&'static str, String)>| match BotConfig::from_map(pairs) {
        Err(ConnectorError::Setting { key, message }) => {
            assert!(!message.contains(HEADER), "{message}");
            key
        }
        other => panic!("not a setting error: {other:?}"),
    };
    let mut no_header = msi_config("http://localhost:42356/msi/token");
    no_header.pop();
    assert_eq!(key_of(no_header), "IDENTITY_HEADER");
    let mut no_endpoint = msi_config("");
    no_endpoint.remove(3);
    assert_eq!(key_of(no_endpoint), "IDENTITY_ENDPOINT");
    assert_eq!(
        key_of(msi_config("http://identity.example/msi/token")),
        "IDENTITY_ENDPOINT"
    );
    assert_eq!(
        key_of(msi_config("ftp://127.0.0.1/msi")),
        "IDENTITY_ENDPOINT"
    );

    // The platforms' own endpoints: loopback, private and link-local http, or https.
    for endpoint in [
        "http://localhost:42356/msi/token",
        "http://127.0.0.1:41741/MSI/token/",
        "http://172.16.1.5:8081/msi/token",
        "http://169.254.255.2:8081/msi/token",
        "https://identity.example/msi/token",
    ] {
        let config = BotConfig::from_map(msi_config(endpoint)).unwrap();
        let credentials = config.credentials().unwrap();
        let debug = format!("{credentials:?}");
        assert!(debug.contains(endpoint.trim_end_matches('/')), "{debug}");
        assert!(!debug.contains(HEADER), "{debug}");
    }

    // Without them, a managed identity asks the VM's metadata service, as before.
    let mut imds = msi_config("");
    imds.truncate(3);
    let credentials = BotConfig::from_map(imds).unwrap().credentials().unwrap();
    assert!(format!("{credentials:?}").contains("169.254.169.254"));

    // App types with a password ignore the platform's variables.
    let config = BotConfig::from_map([
        ("MicrosoftAppId", CLIENT_ID),
        ("MicrosoftAppPassword", "pw"),
        ("IDENTITY_ENDPOINT", "http://identity.example/msi/token"),
    ])
    .unwrap();
    assert!(format!("{:?}", config.credentials().unwrap()).contains("MicrosoftAppCredentials"));
}
