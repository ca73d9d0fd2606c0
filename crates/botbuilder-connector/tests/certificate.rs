//! Certificate credentials against a loopback token endpoint: the exact request, and an
//! assertion that verifies with the certificate's public key and carries the right header,
//! claims and lifetime. The keys are throwaway test fixtures (`tests/fixtures/certs`).

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use botbuilder_connector::ConnectorError;
use botbuilder_connector::auth::{
    AppCredentials, AssertionAlgorithm, CertificateCredentials, ClientCertificate,
    OutgoingAuthSettings,
};
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_test_support as support;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use support::{Mock, Reply};

const APP_ID: &str = "6f1c7b44-0000-4000-8000-00000000c3e7";
const TENANT: &str = "contoso.onmicrosoft.com";
const RESOURCE: &str = "https://api.botframework.com";
const SHA1_HEX: &str = "C116812A47C276B4BCD072D240E0C0F5C1CEC1A3";
const SHA256_HEX: &str = "6081DEEE85AE880970CACBA40E66F3EB129AFEB98711EE6D1A1381018F543978";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/certs/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn hex_to_b64url(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Verifies `assertion` with the certificate's public key; returns its header and claims.
fn verify(assertion: &str, algorithm: Algorithm) -> (jsonwebtoken::Header, Value) {
    let public = std::fs::read(fixture("bot.pub.pem")).unwrap();
    let key = DecodingKey::from_rsa_pem(&public).unwrap();
    let mut validation = Validation::new(algorithm);
    // Times and audience are checked below against the test's clock and endpoint.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let data = jsonwebtoken::decode::<Value>(assertion, &key, &validation).unwrap();
    (data.header, data.claims)
}

fn config(login: &str, extra: &[(&str, &str)]) -> BotConfig {
    let mut pairs = vec![
        ("MicrosoftAppId", APP_ID.to_owned()),
        ("MicrosoftAppType", "SingleTenant".to_owned()),
        ("MicrosoftAppTenantId", TENANT.to_owned()),
        ("ToChannelFromBotLoginUrl", login.to_owned()),
    ];
    pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    BotConfig::from_map(pairs).unwrap()
}

#[tokio::test]
async fn from_the_configuration_the_request_and_the_assertion_are_exact() {
    let login = Mock::token_endpoint(3600).await;
    let config = config(
        &format!("{}/botframework.com", login.url()),
        &[
            ("CertPemFile", &fixture("bot.pem")),
            ("CertKeyFile", &fixture("bot.key")),
        ],
    );
    let credentials = config.credentials().unwrap();
    assert_eq!(credentials.app_id(), Some(APP_ID));
    let debug = format!("{credentials:?}");
    assert!(
        debug.contains("CertificateCredentials") && debug.contains(SHA1_HEX),
        "{debug}"
    );
    assert!(!debug.contains("PRIVATE"), "{debug}");

    let before = support::auth::unix(SystemTime::now());
    let token = credentials.token(RESOURCE).await.unwrap().unwrap();
    let after = support::auth::unix(SystemTime::now());
    assert_eq!(token.secret().expose(), "tok-1");
    credentials.token(RESOURCE).await.unwrap();
    assert_eq!(login.requests().len(), 1, "two tokens, one fetch");

    let request = login.last();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.header("authorization"), None);
    let form = request.form();
    assert_eq!(form.len(), 5, "{form:?}");
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], APP_ID);
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(form["scope"], "https://api.botframework.com/.default");

    let (header, claims) = verify(&form["client_assertion"], Algorithm::PS256);
    assert_eq!(header.alg, Algorithm::PS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.x5t, Some(hex_to_b64url(SHA1_HEX)));
    assert_eq!(header.x5t_s256, Some(hex_to_b64url(SHA256_HEX)));
    assert_eq!(header.x5c, None, "no chain unless SendX5C");

    let endpoint = format!("{}/{TENANT}/oauth2/v2.0/token", login.url());
    assert_eq!(claims["aud"], endpoint.as_str());
    assert_eq!(claims["iss"], APP_ID);
    assert_eq!(claims["sub"], APP_ID);
    let nbf = claims["nbf"].as_u64().unwrap();
    assert!((before..=after).contains(&nbf), "{claims}");
    assert_eq!(claims["iat"].as_u64(), Some(nbf));
    assert_eq!(claims["exp"].as_u64(), Some(nbf + 600), "ten minutes");
    let jti = claims["jti"].as_str().unwrap();
    assert_eq!(jti.len(), 36, "a UUID: {jti}");
}

#[tokio::test]
async fn refreshes_on_expiry_with_a_new_assertion_each_time() {
    let start = 1_700_000_000;
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(start));
    let login = Mock::token_endpoint(3600).await;
    let settings = OutgoingAuthSettings::default()
        .with_login_url(format!("{}/botframework.com", login.url()))
        .with_tenant_id(TENANT);
    let certificate =
        ClientCertificate::from_pem_files(fixture("bot.pem"), Some(fixture("bot.key"))).unwrap();
    let credentials = CertificateCredentials::new(APP_ID, certificate, settings)
        .unwrap()
        .with_algorithm(AssertionAlgorithm::Rs256)
        .with_clock(Arc::new(clock.clone()));

    let first = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(
        first.expires_at(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(start + 3600)
    );
    let (header, claims) = verify(&login.last().form()["client_assertion"], Algorithm::RS256);
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(claims["nbf"].as_u64(), Some(start));
    assert_eq!(claims["exp"].as_u64(), Some(start + 600));
    let first_jti = claims["jti"].clone();

    // Still cached a while later; refreshed once within five minutes of expiry.
    clock.advance(Duration::from_secs(3000));
    credentials.token(RESOURCE).await.unwrap();
    assert_eq!(login.requests().len(), 1);
    clock.advance(Duration::from_secs(400));
    let second = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(second.secret().expose(), "tok-2");
    let (_, claims) = verify(&login.last().form()["client_assertion"], Algorithm::RS256);
    assert_eq!(claims["nbf"].as_u64(), Some(start + 3400));
    assert_ne!(claims["jti"], first_jti, "each assertion has its own jti");

    // A refused token is dropped and a new one asked for.
    credentials.invalidate(RESOURCE, &second).await;
    let third = credentials.token(RESOURCE).await.unwrap().unwrap();
    assert_eq!(third.secret().expose(), "tok-3");
}

#[tokio::test]
async fn send_x5c_sends_the_chain_for_subject_name_and_issuer() {
    let login = Mock::token_endpoint(3600).await;
    let config = config(
        &format!("{}/botframework.com", login.url()),
        &[
            ("certPemFile", &fixture("bot-chain.pem")),
            ("certKeyFile", &fixture("bot.pkcs1.key")),
            ("sendX5C", "true"),
        ],
    );
    assert!(config.send_x5c);
    let credentials = config.credentials().unwrap();
    credentials.token(RESOURCE).await.unwrap();
    let (header, _) = verify(&login.last().form()["client_assertion"], Algorithm::PS256);
    let chain = header.x5c.unwrap();
    let expected: Vec<String> = pem::parse_many(std::fs::read(fixture("bot-chain.pem")).unwrap())
        .unwrap()
        .iter()
        .map(|block| STANDARD.encode(block.contents()))
        .collect();
    assert_eq!(chain.len(), 2, "the certificate, then its CA");
    assert_eq!(chain, expected);
    // The thumbprint is the first certificate's, not the CA's.
    assert_eq!(header.x5t, Some(hex_to_b64url(SHA1_HEX)));
}

#[tokio::test]
async fn one_file_may_hold_the_certificate_and_its_key() {
    let login = Mock::token_endpoint(3600).await;
    let config = config(
        &format!("{}/botframework.com", login.url()),
        &[("CertPemFile", &fixture("bot-combined.pem"))],
    );
    config.credentials().unwrap().token(RESOURCE).await.unwrap();
    verify(&login.last().form()["client_assertion"], Algorithm::PS256);
}

fn setting_error(
    result: Result<Arc<dyn AppCredentials>, ConnectorError>,
) -> (&'static str, String) {
    match result {
        Err(ConnectorError::Setting { key, message }) => (key, message),
        other => panic!("expected a setting error, got {other:?}"),
    }
}

#[test]
fn bad_certificates_and_settings_name_their_key() {
    let login = "https://login.microsoftonline.com/botframework.com";
    let (key, message) = setting_error(
        config(
            login,
            &[
                ("CertPemFile", &fixture("bot.pem")),
                ("CertKeyFile", &fixture("other.key")),
            ],
        )
        .credentials(),
    );
    assert_eq!(key, "CertKeyFile");
    assert!(
        message.contains("does not belong to the certificate"),
        "{message}"
    );

    let (key, message) =
        setting_error(config(login, &[("CertPemFile", &fixture("missing.pem"))]).credentials());
    assert_eq!(key, "CertPemFile");
    assert!(message.contains("missing.pem"), "{message}");

    // A certificate without its key.
    let (key, message) =
        setting_error(config(login, &[("CertPemFile", &fixture("bot.pem"))]).credentials());
    assert_eq!(key, "CertPemFile");
    assert!(message.contains("no private key"), "{message}");

    // A key where the certificate should be.
    let (key, message) =
        setting_error(config(login, &[("CertPemFile", &fixture("bot.key"))]).credentials());
    assert_eq!(key, "CertPemFile");
    assert!(
        message.contains("no `-----BEGIN CERTIFICATE-----`"),
        "{message}"
    );

    let encrypted =
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let cert = std::fs::read(fixture("bot.pem")).unwrap();
    let error = ClientCertificate::from_pem(&cert, Some(encrypted)).unwrap_err();
    assert!(error.to_string().contains("encrypted"), "{error}");

    let key_of = |pairs: Vec<(&str, String)>| match BotConfig::from_map(pairs) {
        Err(ConnectorError::Setting { key, .. }) => key,
        other => panic!("expected a setting error, got {other:?}"),
    };
    // One way to prove the identity at a time.
    assert_eq!(
        key_of(vec![
            ("MicrosoftAppId", APP_ID.into()),
            ("MicrosoftAppPassword", "pw".into()),
            ("CertPemFile", fixture("bot.pem")),
        ]),
        "CertPemFile"
    );
    assert_eq!(
        key_of(vec![
            ("MicrosoftAppId", APP_ID.into()),
            ("CertKeyFile", fixture("bot.key")),
            ("MicrosoftAppPassword", "pw".into()),
        ]),
        "CertKeyFile"
    );
    assert_eq!(
        key_of(vec![("CertPemFile", fixture("bot.pem"))]),
        "MicrosoftAppId"
    );
    assert_eq!(
        key_of(vec![
            ("MicrosoftAppId", APP_ID.into()),
            ("MicrosoftAppType", "UserAssignedMSI".into()),
            ("MicrosoftAppTenantId", TENANT.into()),
            ("CertPemFile", fixture("bot.pem")),
        ]),
        "CertPemFile"
    );
    assert_eq!(
        key_of(vec![
            ("MicrosoftAppId", APP_ID.into()),
            ("CertPemFile", fixture("bot.pem")),
            ("SendX5C", "yes".into()),
        ]),
        "SendX5C"
    );
}

#[tokio::test]
async fn a_refusal_echoing_the_assertion_does_not_leak_it() {
    let failing = Mock::start(|request, _| {
        let assertion = request.form()["client_assertion"].clone();
        Reply::json(
            401,
            serde_json::json!({"error": "invalid_client", "error_description": format!("AADSTS700027: bad signature on {assertion}")}),
        )
    })
    .await;
    let config = config(
        &format!("{}/botframework.com", failing.url()),
        &[("CertPemFile", &fixture("bot-combined.pem"))],
    );
    let error = config
        .credentials()
        .unwrap()
        .token(RESOURCE)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("invalid_client"));
    let assertion = failing.last().form()["client_assertion"].clone();
    assert!(!error.to_string().contains(&assertion), "{error}");
    assert!(!format!("{error:?}").contains(&assertion));
}
