//! Secrets stay out of failed turns: a token endpoint that refuses the app and echoes the
//! request (the password in it) and a connector that refuses the app token and echoes it.
//! Neither secret appears in the errors `on_turn_error` sees (`Display` or `Debug`), the logs
//! (captured at TRACE, with the default `on_turn_error`), the 500 answers, or the trace
//! activity the default `on_turn_error` sends to the Emulator.
//!
//! Alone in its test binary: `tracing`'s per-thread subscriber is only reliable when no other
//! test registers the same call sites concurrently.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::{RetryPolicy, async_trait};
use botbuilder_core::{BotAdapterExt, BoxError, TurnContext, TurnErrorHandler, bot_fn};
use support::auth::{APP_ID, KeyServer, TestKey, channel_claims, start_time};
use support::{Mock, Reply};

/// A password with characters that change under JSON and form encoding.
const PASSWORD: &str = "Pa55~w0rd.that/must+not&leak";
const TOKEN_PREFIX: &str = "eyJ.secret-token-";

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

/// Records each error's `Display` and `Debug`, then runs the default handler (which logs it
/// and sends a trace to the Emulator).
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<String>>>);

#[async_trait]
impl TurnErrorHandler for Recording {
    async fn on_turn_error(&self, ctx: &mut TurnContext, error: &BoxError) {
        self.0.lock().unwrap().push(format!("{error} | {error:?}"));
        botbuilder_core::adapter::default_on_turn_error(ctx, error).await;
    }
}

fn leaks(text: &str) -> Option<&'static str> {
    let form_encoded = "Pa55%7Ew0rd.that%2Fmust%2Bnot%26leak";
    if text.contains(PASSWORD) || text.contains(form_encoded) || text.contains("Pa55") {
        Some("the password")
    } else if text.contains(TOKEN_PREFIX) {
        Some("an app token")
    } else {
        None
    }
}

#[tokio::test]
async fn secrets_stay_out_of_failed_turns() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // The token endpoint refuses, quoting the request body (with the password) back.
    let refuse_tokens = Arc::new(AtomicBool::new(true));
    let login = {
        let refuse = refuse_tokens.clone();
        Mock::start(move |request, n| {
            if refuse.load(Ordering::SeqCst) {
                let echoed = String::from_utf8_lossy(&request.body).into_owned();
                Reply::json(
                    401,
                    json!({"error": "invalid_client", "error_description": format!("AADSTS7000215: bad secret in {echoed} (client_secret={PASSWORD})")}),
                )
            } else {
                Reply::json(
                    200,
                    json!({"expires_in": 3600, "access_token": format!("{TOKEN_PREFIX}{n}")}),
                )
            }
        })
        .await
    };
    // The connector refuses the app token, quoting it back.
    let connector = Mock::start(|request, _| {
        let authorization = request.header("authorization").unwrap_or("").to_owned();
        Reply::json(
            403,
            json!({"error": {"code": "Forbidden", "message": format!("{authorization} may not post here")}}),
        )
    })
    .await;
    let keys = KeyServer::start(vec![TestKey::A.jwk("key-1", &["emulator"])]).await;
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
    let recording = Recording::default();
    let adapter = CloudAdapter::builder(config)
        .clock(Arc::new(clock.clone()))
        .retry_policy(RetryPolicy {
            max_retries: 1,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
        .with_on_turn_error(recording.clone());
    let bot = bot_fn(async move |ctx| {
        ctx.send_activity("hello").await?;
        Ok(())
    });
    // The Emulator's channel id: the default on_turn_error sends it a trace with the error.
    let service_url = format!("{}/", connector.url());
    let body = serde_json::to_vec(&json!({
        "type": "message", "id": "a1", "text": "hi", "channelId": "emulator",
        "serviceUrl": service_url, "conversation": {"id": "c1"},
        "from": {"id": "u1"}, "recipient": {"id": APP_ID},
    }))
    .unwrap();
    let authorization = format!(
        "Bearer {}",
        TestKey::A.sign("key-1", &channel_claims(clock.now(), &service_url))
    );

    let mut answers = Vec::new();
    // 1. No token can be had: the turn fails before anything is sent.
    let response = adapter.process(Some(&authorization), &body, &bot).await;
    assert_eq!(response.status, 500);
    answers.push(String::from_utf8_lossy(&response.body_bytes()).into_owned());
    assert!(connector.requests().is_empty());
    // 2. A token, refused by the connector, which echoes it.
    refuse_tokens.store(false, Ordering::SeqCst);
    let response = adapter.process(Some(&authorization), &body, &bot).await;
    assert_eq!(response.status, 500);
    answers.push(String::from_utf8_lossy(&response.body_bytes()).into_owned());
    // 3. A proactive send, outside any incoming request, fails the same way.
    let reference = serde_json::from_slice::<botbuilder_connector::schema::Activity>(&body)
        .unwrap()
        .conversation_reference();
    let proactive = adapter
        .continue_conversation(reference, async move |ctx| {
            ctx.send_activity("later").await?;
            Ok(())
        })
        .await
        .unwrap_err();

    let errors = recording.0.lock().unwrap().clone();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("AADSTS7000215"), "{}", errors[0]);
    assert!(errors[0].contains("<redacted>"), "{}", errors[0]);
    assert!(errors[1].contains("403"), "{}", errors[1]);
    assert!(errors[1].contains("Bearer <redacted>"), "{}", errors[1]);
    // What the Emulator was sent (traces with the error, the apology), minus the
    // Authorization headers, which rightly carry the token.
    let sent: Vec<String> = connector
        .requests()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(
        sent.iter().any(|b| b.contains("OnTurnError Trace")),
        "the default on_turn_error sent its trace: {sent:?}"
    );
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logs.contains("unhandled error in turn"), "{logs}");
    let shown = [
        errors.join("\n"),
        answers.join("\n"),
        format!("{proactive} | {proactive:?}"),
        sent.join("\n"),
        format!("{adapter:?}"),
        logs,
    ];
    for text in &shown {
        if let Some(secret) = leaks(text) {
            panic!("{secret} leaked: {text}");
        }
    }
}
