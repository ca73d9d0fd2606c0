//! Federated identity credentials: a managed identity's token for the token exchange audience
//! as the app registration's client assertion, against loopback stand-ins of the identity
//! endpoint and the token endpoint. Settings are given as maps, never through the process
//! environment (tests run in parallel).

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_connector::ConnectorError;
use botbuilder_connector::config::BotConfig;
use botbuilder_test_support as support;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;
use support::{Mock, Reply};

const APP_ID: &str = "7a3c24f6-0000-4000-8000-0000000000a1";
const IDENTITY: &str = "5e0c9f1d-0000-4000-8000-0000000000f1";
const TENANT: &str = "contoso.onmicrosoft.com";
const HEADER: &str = "hdr-Fed3rated~9";
const RESOURCE: &str = "https://api.botframework.com";

/// An App Service identity endpoint answering `mi-N`, valid for a day.
async fn identity_endpoint() -> Mock {
    let expires_on = support::auth::unix(SystemTime::now()) + 86_400;
    Mock::start(move |_, n| {
        Reply::json(
            200,
            json!({"access_token": format!("mi-{n}"), "expires_on": expires_on, "token_type": "Bearer"}),
        )
    })
    .await
}

fn config(identity: &Mock, login: &str, id_key: &str) -> BotConfig {
    BotConfig::from_map([
        ("MicrosoftAppId", APP_ID.to_owned()),
        ("MicrosoftAppType", "SingleTenant".to_owned()),
        ("MicrosoftAppTenantId", TENANT.to_owned()),
        (id_key, IDENTITY.to_owned()),
        ("IDENTITY_ENDPOINT", format!("{}/msi/token", identity.url())),
        ("IDENTITY_HEADER", HEADER.to_owned()),
        ("ToChannelFromBotLoginUrl", login.to_owned()),
    ])
    .unwrap()
}

#[tokio::test]
async fn the_identity_token_is_the_assertion_and_both_are_cached() {
    let identity = identity_endpoint().await;
    let login = Mock::token_endpoint(3600).await;
    let config = config(
        &identity,
        &format!("{}/botframework.com", login.url()),
        "MicrosoftAppClientId",
    );
    assert_eq!(config.fic_client_id.as_deref(), Some(IDENTITY));
    let credentials = config.credentials().unwrap();
    assert_eq!(credentials.app_id(), Some(APP_ID));
    let debug = format!("{credentials:?}");
    assert!(
        debug.contains("FederatedCredentials") && debug.contains(IDENTITY),
        "{debug}"
    );
    assert!(!debug.contains(HEADER), "{debug}");

    let token = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(token.secret().expose(), "tok-1");
    credentials.token(RESOURCE).await.unwrap();

    // Step 1: the identity's token for the token exchange.
    let requests = identity.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/msi/token");
    let query = request.query_pairs();
    assert_eq!(query.len(), 3, "{query:?}");
    assert_eq!(query["api-version"], "2019-08-01");
    assert_eq!(query["resource"], "api://AzureADTokenExchange");
    assert_eq!(query["client_id"], IDENTITY);
    assert_eq!(request.header("x-identity-header"), Some(HEADER));

    // Step 2: the app's token, with that token as the assertion.
    assert_eq!(login.requests().len(), 1, "two tokens, one fetch");
    let request = login.last();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        request.header("x-identity-header"),
        None,
        "the header stays with the identity endpoint"
    );
    let form = request.form();
    assert_eq!(form.len(), 5, "{form:?}");
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], APP_ID);
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(form["client_assertion"], "mi-1");
    assert_eq!(form["scope"], "https://api.botframework.com/.default");

    // A refused app token is asked for again, with the identity's cached token.
    credentials.invalidate(RESOURCE, &token).await;
    let renewed = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(renewed.secret().expose(), "tok-2");
    assert_eq!(
        identity.requests().len(),
        1,
        "the identity's token is cached"
    );
    assert_eq!(login.last().form()["client_assertion"], "mi-1");
}

#[tokio::test]
async fn a_refused_assertion_is_replaced_on_the_next_request() {
    let identity = identity_endpoint().await;
    let refuse = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&refuse);
    let login = Mock::start(move |request, n| {
        if flag.load(Ordering::SeqCst) {
            let assertion = request.form()["client_assertion"].clone();
            Reply::json(
                400,
                json!({"error": "invalid_client", "error_description": format!("AADSTS70021: no matching federated identity record for {assertion}")}),
            )
        } else {
            Reply::json(200, json!({"access_token": format!("tok-{n}"), "expires_in": 3600}))
        }
    })
    .await;
    let credentials = config(
        &identity,
        &format!("{}/botframework.com", login.url()),
        "FICClientId",
    )
    .credentials()
    .unwrap();
    let error = credentials.token(RESOURCE).await.unwrap_err();
    assert!(matches!(error, ConnectorError::Token { .. }), "{error:?}");
    assert_eq!(error.code(), Some("invalid_client"));
    assert!(!error.to_string().contains("mi-1"), "{error}");

    refuse.store(false, Ordering::SeqCst);
    credentials.token(RESOURCE).await.unwrap();
    assert_eq!(
        identity.requests().len(),
        2,
        "a new identity token after the refusal"
    );
    assert_eq!(login.last().form()["client_assertion"], "mi-2");
}

#[test]
fn the_two_names_of_the_identity_must_agree_and_need_an_app_id() {
    let key_of = |pairs: &[(&str, &str)]| match BotConfig::from_map(pairs.iter().copied()) {
        Err(ConnectorError::Setting { key, .. }) => key,
        other => panic!("expected a setting error, got {other:?}"),
    };
    assert_eq!(
        key_of(&[
            ("MicrosoftAppId", APP_ID),
            ("MicrosoftAppClientId", IDENTITY),
            ("FICClientId", "another"),
        ]),
        "FICClientId"
    );
    assert_eq!(key_of(&[("FICClientId", IDENTITY)]), "MicrosoftAppId");
    assert_eq!(
        key_of(&[
            ("MicrosoftAppId", APP_ID),
            ("MicrosoftAppClientId", IDENTITY),
            ("MicrosoftAppPassword", "pw"),
        ]),
        "MicrosoftAppClientId"
    );
    assert_eq!(
        key_of(&[
            ("MicrosoftAppId", APP_ID),
            ("MicrosoftAppClientId", IDENTITY),
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token"),
        ]),
        "IDENTITY_HEADER"
    );
    // Both names, the same identity: fine.
    let config = BotConfig::from_map([
        ("MicrosoftAppId", APP_ID),
        ("MicrosoftAppClientId", IDENTITY),
        ("FICClientId", IDENTITY),
    ])
    .unwrap();
    assert_eq!(config.fic_client_id.as_deref(), Some(IDENTITY));
}

#[tokio::test]
async fn app_and_identity_tokens_are_refreshed_before_they_expire() {
    use botbuilder_connector::auth::{
        AppCredentials, FederatedCredentials, ManagedIdentityCredentials, OutgoingAuthSettings,
    };
    use botbuilder_connector::clock::ManualClock;
    use std::time::Duration;

    let start = 1_700_000_000;
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(start),
    ));
    // The identity's tokens live two hours, the app's one.
    let identity_endpoint = Mock::start(move |_, n| {
        Reply::json(
            200,
            json!({"access_token": format!("mi-{n}"), "expires_in": "7200", "token_type": "Bearer"}),
        )
    })
    .await;
    let login = Mock::token_endpoint(3600).await;
    let identity = ManagedIdentityCredentials::new(IDENTITY, "api://AzureADTokenExchange")
        .unwrap()
        .with_app_service_endpoint(&format!("{}/msi/token", identity_endpoint.url()), HEADER)
        .unwrap()
        .with_clock(clock.clone());
    let settings = OutgoingAuthSettings::default()
        .with_login_url(format!("{}/botframework.com", login.url()))
        .with_tenant_id(TENANT);
    let credentials = FederatedCredentials::new(APP_ID, identity, settings)
        .unwrap()
        .with_clock(clock.clone());
    assert_eq!(
        credentials.token_endpoint().as_str(),
        format!("{}/{TENANT}/oauth2/v2.0/token", login.url())
    );

    let first = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(
        first.expires_at(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(start + 3600)
    );
    // 56 minutes on: within five minutes of the app token's expiry, a new one is asked for,
    // with the identity's token still cached.
    clock.advance(Duration::from_secs(3360));
    let second = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(second.secret().expose(), "tok-2");
    assert_eq!(identity_endpoint.requests().len(), 1);
    // Near the identity token's own expiry, both are renewed.
    clock.advance(Duration::from_secs(3600));
    let third = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(third.secret().expose(), "tok-3");
    assert_eq!(identity_endpoint.requests().len(), 2);
    assert_eq!(login.last().form()["client_assertion"], "mi-2");
}
