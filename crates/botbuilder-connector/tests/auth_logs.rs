//! Refused requests are logged with the reason, and no token ever reaches the logs.
//!
//! Alone in its test binary: `tracing`'s per-thread subscriber is only reliable when no other
//! test registers the same call sites concurrently.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::{Arc, Mutex};

use serde_json::json;

use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_core::bot_fn;
use support::Mock;
use support::auth::{APP_ID, KeyServer, PASSWORD, TestKey, channel_claims, start_time};

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn refusals_are_logged_with_the_reason_and_never_the_token() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let connector = Mock::connector().await;
    let login = Mock::token_endpoint(3600).await;
    let keys = KeyServer::start(vec![TestKey::A.jwk("key-1", &["msteams"])]).await;
    let config = BotConfig::from_map([
        ("MicrosoftAppId", APP_ID.to_owned()),
        ("MicrosoftAppPassword", PASSWORD.to_owned()),
        (
            "ToChannelFromBotLoginUrl",
            format!("{}/botframework.com", login.url()),
        ),
        ("ToBotFromChannelOpenIdMetadataUrl", keys.metadata_url()),
    ])
    .unwrap();
    let clock = ManualClock::new(start_time());
    let adapter = CloudAdapter::builder(config)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let bot = bot_fn(async move |ctx| {
        ctx.send_activity("Echo").await?;
        Ok(())
    });
    let service_url = format!("{}/", connector.url());
    let body = serde_json::to_vec(&json!({
        "type": "message", "id": "a1", "text": "hi", "channelId": "msteams",
        "serviceUrl": service_url, "conversation": {"id": "c1"},
        "from": {"id": "u1"}, "recipient": {"id": APP_ID},
    }))
    .unwrap();

    let mut claims = channel_claims(clock.now(), &service_url);
    claims["aud"] = json!("someone-else");
    let refused = TestKey::A.sign("key-1", &claims);
    let accepted = TestKey::A.sign("key-1", &channel_claims(clock.now(), &service_url));
    let answer = adapter
        .process(Some(&format!("Bearer {refused}")), &body, &bot)
        .await;
    assert_eq!(answer.status, 401);
    let answer = adapter
        .process(Some(&format!("Bearer {accepted}")), &body, &bot)
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        connector.last().header("authorization"),
        Some("Bearer tok-1")
    );

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        text.contains("refused an unauthenticated request")
            && text.contains("not this bot's app id"),
        "{text}"
    );
    for token in [&refused, &accepted] {
        for part in token.split('.') {
            assert!(!text.contains(part), "a token part was logged:\n{text}");
        }
    }
    assert!(!text.contains(PASSWORD), "the password was logged");
    assert!(!text.contains("tok-1"), "the app token was logged");
}
