//! On-behalf-of: the request shape (route, grant, client authentication, assertion, scope)
//! against a loopback identity endpoint, with the password and with workload identity, and
//! what a refusal looks like.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use serde_json::json;

use botbuilder_connector::auth::{
    AnonymousCredentials, AppCredentials, JWT_BEARER_ASSERTION_TYPE, ManagedIdentityCredentials,
    MicrosoftAppCredentials, ON_BEHALF_OF_GRANT_TYPE, OnBehalfOfRequest, OutgoingAuthSettings,
    WorkloadIdentityCredentials,
};
use botbuilder_connector::{BotConfig, CloudAdapter, ConnectorError, RetryPolicy};
use botbuilder_test_support as support;
use support::{Mock, Reply};

const APP_ID: &str = "11111111-2222-3333-4444-555555555555";
const PASSWORD: &str = "sUp3r~s3cret.pa55word";
const SSO_TOKEN: &str = "eyJ-the-users-sso-token";
const GRAPH: &str = "https://graph.microsoft.com/User.Read";

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    }
}

fn password_credentials(login: &Mock, tenant: Option<&str>) -> MicrosoftAppCredentials {
    let mut settings =
        OutgoingAuthSettings::default().with_login_url(format!("{}/botframework.com", login.url()));
    if let Some(tenant) = tenant {
        settings = settings.with_tenant_id(tenant);
    }
    MicrosoftAppCredentials::new(APP_ID, PASSWORD, settings)
        .unwrap()
        .with_retry_policy(fast_policy())
}

fn form(expected: &[(&str, &str)]) -> HashMap<String, String> {
    expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn the_password_credentials_send_entras_on_behalf_of_request() {
    let login = Mock::token_endpoint(3600).await;
    let credentials = password_credentials(&login, None);
    let request = OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH, "offline_access"])
        .with_tenant_id("contoso.onmicrosoft.com");
    let token = credentials.on_behalf_of(&request).await.unwrap();
    assert_eq!(token.secret().expose(), "tok-1");

    let r = login.last();
    assert_eq!(r.method, Method::POST);
    // the user's tenant, not the bot framework's
    assert_eq!(r.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token");
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        r.form(),
        form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("client_id", APP_ID),
            ("client_secret", PASSWORD),
            ("assertion", SSO_TOKEN),
            (
                "scope",
                "https://graph.microsoft.com/User.Read offline_access"
            ),
            ("requested_token_use", "on_behalf_of"),
        ])
    );
    assert_eq!(ON_BEHALF_OF_GRANT_TYPE, r.form()["grant_type"]);

    // Not cached: a second exchange asks again.
    credentials.on_behalf_of(&request).await.unwrap();
    assert_eq!(login.requests().len(), 2);
}

#[tokio::test]
async fn the_tenant_is_the_requests_or_the_single_tenant_bots() {
    let login = Mock::token_endpoint(3600).await;
    let single = password_credentials(&login, Some("fabrikam.example"));
    single
        .on_behalf_of(&OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]))
        .await
        .unwrap();
    assert_eq!(login.last().path, "/fabrikam.example/oauth2/v2.0/token");

    // A multi-tenant bot must say whose tenant: nothing is sent.
    let multi = password_credentials(&login, None);
    let e = multi
        .on_behalf_of(&OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::InvalidArgument { .. }), "{e:?}");
    assert!(e.to_string().contains("tenant"), "{e}");
    // No token or no scope: refused before sending.
    for request in [
        OnBehalfOfRequest::new("", [GRAPH]).with_tenant_id("t"),
        OnBehalfOfRequest::new(SSO_TOKEN, Vec::<String>::new()).with_tenant_id("t"),
    ] {
        let e = multi.on_behalf_of(&request).await.unwrap_err();
        assert!(matches!(e, ConnectorError::InvalidArgument { .. }), "{e:?}");
    }
    assert_eq!(login.requests().len(), 1);
}

#[tokio::test]
async fn a_refusal_is_a_token_error_without_the_secrets() {
    let login = Mock::token_endpoint(3600).await;
    // An endpoint that echoes the request back in its error.
    let echo = format!(
        "AADSTS65001: The user or administrator has not consented. assertion={SSO_TOKEN} secret={PASSWORD}"
    );
    login.script(
        Method::POST,
        "/contoso.example/oauth2/v2.0/token",
        Reply::json(
            400,
            json!({"error": "invalid_grant", "error_description": echo}),
        ),
    );
    let credentials = password_credentials(&login, None);
    let e = credentials
        .on_behalf_of(&OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]).with_tenant_id("contoso.example"))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Token { .. }), "{e:?}");
    assert_eq!(e.code(), Some("invalid_grant"));
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("AADSTS65001"), "{shown}");
    assert!(!shown.contains(SSO_TOKEN), "{shown}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    let request = OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]);
    assert!(!format!("{request:?}").contains(SSO_TOKEN));
}

#[tokio::test]
async fn workload_identity_authenticates_with_the_federated_assertion() {
    let login = Mock::token_endpoint(3600).await;
    let dir = std::env::temp_dir().join(format!(
        "botbuilder-obo-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("azure-identity-token");
    std::fs::write(&file, "eyJ.federated.assertion").unwrap();
    let settings = OutgoingAuthSettings::default()
        .with_login_url(format!("{}/botframework.com", login.url()))
        .with_tenant_id("contoso.example");
    let credentials = WorkloadIdentityCredentials::new(APP_ID, &file, settings).unwrap();
    credentials
        .on_behalf_of(&OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]))
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let r = login.last();
    assert_eq!(r.path, "/contoso.example/oauth2/v2.0/token");
    assert_eq!(
        r.form(),
        form(&[
            ("grant_type", ON_BEHALF_OF_GRANT_TYPE),
            ("client_id", APP_ID),
            ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
            ("client_assertion", "eyJ.federated.assertion"),
            ("assertion", SSO_TOKEN),
            ("scope", GRAPH),
            ("requested_token_use", "on_behalf_of"),
        ])
    );
}

#[tokio::test]
async fn the_adapter_exchanges_with_its_credentials_and_others_refuse() {
    let login = Mock::token_endpoint(3600).await;
    let adapter = CloudAdapter::builder(BotConfig::new(APP_ID, PASSWORD))
        .credentials(Arc::new(password_credentials(&login, None)))
        .build()
        .unwrap();
    let token = adapter
        .on_behalf_of(&OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]).with_tenant_id("contoso.example"))
        .await
        .unwrap();
    assert_eq!(token.secret().expose(), "tok-1");
    assert_eq!(login.last().form()["assertion"], SSO_TOKEN);

    let request = OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]).with_tenant_id("contoso.example");
    let managed = ManagedIdentityCredentials::new(APP_ID, "https://api.botframework.com").unwrap();
    for credentials in [
        Arc::new(managed) as Arc<dyn AppCredentials>,
        Arc::new(AnonymousCredentials),
    ] {
        let e = credentials.on_behalf_of(&request).await.unwrap_err();
        assert!(matches!(e, ConnectorError::InvalidArgument { .. }), "{e:?}");
    }
    assert_eq!(login.requests().len(), 1);
}

#[tokio::test]
async fn certificate_credentials_sign_the_assertion_for_the_users_tenant() {
    use base64::Engine as _;
    use botbuilder_connector::auth::{CertificateCredentials, ClientCertificate};

    let fixture =
        |name: &str| format!("{}/tests/fixtures/certs/{name}", env!("CARGO_MANIFEST_DIR"));
    let login = Mock::token_endpoint(3600).await;
    let settings =
        OutgoingAuthSettings::default().with_login_url(format!("{}/botframework.com", login.url()));
    let certificate =
        ClientCertificate::from_pem_files(fixture("bot.pem"), Some(fixture("bot.key"))).unwrap();
    let credentials = CertificateCredentials::new(APP_ID, certificate, settings).unwrap();
    credentials
        .on_behalf_of(&OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]).with_tenant_id("contoso.example"))
        .await
        .unwrap();
    let r = login.last();
    let endpoint = format!("{}/contoso.example/oauth2/v2.0/token", login.url());
    assert_eq!(r.path, "/contoso.example/oauth2/v2.0/token");
    let form = r.form();
    assert_eq!(form["grant_type"], ON_BEHALF_OF_GRANT_TYPE);
    assert_eq!(form["client_id"], APP_ID);
    assert_eq!(form["client_assertion_type"], JWT_BEARER_ASSERTION_TYPE);
    assert_eq!(form["assertion"], SSO_TOKEN);
    assert_eq!(form["requested_token_use"], "on_behalf_of");
    assert!(!form.contains_key("client_secret"));
    // The client assertion is for the endpoint it is sent to.
    let claims = form["client_assertion"].split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], endpoint);
    assert_eq!(claims["iss"], APP_ID);
}

#[tokio::test]
async fn federated_credentials_use_the_managed_identitys_assertion() {
    use botbuilder_connector::auth::FederatedCredentials;

    let identity_endpoint = Mock::start(|_, n| {
        Reply::json(
            200,
            json!({"access_token": format!("mi-{n}"), "expires_in": "7200", "token_type": "Bearer"}),
        )
    })
    .await;
    let login = Mock::token_endpoint(3600).await;
    let identity = ManagedIdentityCredentials::new("identity-id", "api://AzureADTokenExchange")
        .unwrap()
        .with_app_service_endpoint(&format!("{}/msi/token", identity_endpoint.url()), "hdr")
        .unwrap();
    let settings = OutgoingAuthSettings::default()
        .with_login_url(format!("{}/botframework.com", login.url()))
        .with_tenant_id("contoso.example");
    let credentials = FederatedCredentials::new(APP_ID, identity, settings).unwrap();
    credentials
        .on_behalf_of(&OnBehalfOfRequest::new(SSO_TOKEN, [GRAPH]))
        .await
        .unwrap();
    let r = login.last();
    assert_eq!(r.path, "/contoso.example/oauth2/v2.0/token");
    assert_eq!(
        r.form(),
        form(&[
            ("grant_type", ON_BEHALF_OF_GRANT_TYPE),
            ("client_id", APP_ID),
            ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
            ("client_assertion", "mi-1"),
            ("assertion", SSO_TOKEN),
            ("scope", GRAPH),
            ("requested_token_use", "on_behalf_of"),
        ])
    );
}
