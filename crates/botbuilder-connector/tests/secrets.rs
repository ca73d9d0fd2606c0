//! Secrets (the app password, tokens) never appear in `Debug`, `Display` or logs.

use botbuilder_test_support as support;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::Method;
use serde_json::json;

use botbuilder_connector::auth::{
    AccessToken, AppCredentials, MicrosoftAppCredentials, OutgoingAuthSettings, Secret,
};
use botbuilder_connector::schema::Activity;
use botbuilder_connector::{ConnectorClientFactory, RetryPolicy};
use support::{Mock, Reply};

const PASSWORD: &str = "Pa55~w0rd.that-must-not-leak";

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

#[tokio::test]
async fn secrets_are_not_in_debug_display_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // Tokens that echo the password back, to be sure neither shows up anywhere.
    let login = Mock::start(|_, n| {
        Reply::json(
            200,
            json!({"expires_in": 3600, "access_token": format!("eyJ.secret-token-{n}")}),
        )
    })
    .await;
    let connector = Mock::connector().await;
    let credentials = MicrosoftAppCredentials::new(
        "app-id",
        PASSWORD,
        OutgoingAuthSettings::default().with_login_url(format!("{}/botframework.com", login.url())),
    )
    .unwrap();
    let debug_credentials = format!("{credentials:?}");
    let policy = RetryPolicy {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    };
    let factory =
        ConnectorClientFactory::builder(Arc::new(credentials.with_retry_policy(policy.clone())))
            .retry_policy(policy)
            .build()
            .unwrap();
    let client = factory.client_for(&connector.url()).unwrap();

    // A throttled send, a refused token, a server error and a token failure: every log path.
    let path = "/v3/conversations/c/activities";
    connector.script(
        Method::POST,
        path,
        Reply::empty(429).header("retry-after", "0"),
    );
    connector.script(Method::POST, path, Reply::empty(401));
    client
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap();
    connector.script(
        Method::POST,
        path,
        Reply::json(500, json!({"error": {"code": "E", "message": "m"}})),
    );
    let service_error = client
        .conversations()
        .send_to_conversation("c", &Activity::message("x"))
        .await
        .unwrap_err();
    let token = factory
        .credentials()
        .token("https://api.botframework.com")
        .await
        .unwrap()
        .unwrap();
    assert!(token.secret().expose().starts_with("eyJ.secret-token-"));

    let bad_login = Mock::start(|_, _| {
        Reply::json(401, json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}))
    })
    .await;
    let bad = MicrosoftAppCredentials::new(
        "app-id",
        PASSWORD,
        OutgoingAuthSettings::default().with_login_url(format!("{}/t", bad_login.url())),
    )
    .unwrap();
    let token_error = bad.token("s").await.unwrap_err();

    let shown = [
        debug_credentials,
        format!("{bad:?}"),
        format!("{factory:?}"),
        format!("{client:?}"),
        format!("{token:?}"),
        format!("{:?}", Secret::new(PASSWORD)),
        format!(
            "{:?}",
            AccessToken::new(PASSWORD, std::time::SystemTime::now())
        ),
        format!("{service_error} {service_error:?}"),
        format!("{token_error} {token_error:?}"),
        logs.text(),
    ];
    for text in &shown {
        assert!(!text.contains(PASSWORD), "the password leaked: {text}");
        assert!(!text.contains("secret-token"), "a token leaked: {text}");
    }
    // The capture did see the flow (so the check above means something).
    let logs = logs.text();
    assert!(logs.contains("retrying"), "{logs}");
    assert!(logs.contains("app token fetched"), "{logs}");
    assert!(logs.contains("refused the app token"), "{logs}");
    assert!(token_error.to_string().contains("AADSTS7000215"));
}
