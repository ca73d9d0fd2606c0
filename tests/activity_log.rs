//! `TelemetryLoggerMiddleware`: one event per activity received, sent, updated and deleted,
//! with message text and names only when personal-information logging is on.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use botbuilder::core::middleware::TelemetryLoggerMiddleware;
use botbuilder::prelude::*;
use tracing_subscriber::fmt::MakeWriter;

/// Captures what the log subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Echoes, then edits and deletes its echo.
fn bot() -> impl Bot {
    bot_fn(async |ctx| {
        let text = ctx.activity().text();
        let sent = ctx.send_activity(format!("Echo: {text}")).await?;
        let mut edited = Activity::message("edited secret");
        edited.id = Some(sent.id.clone());
        ctx.update_activity(edited).await?;
        ctx.delete_activity(&sent.id).await?;
        Ok(())
    })
}

/// The activity-log lines of one turn saying `text`, with `middleware`.
async fn log_of(middleware: TelemetryLoggerMiddleware, text: &str) -> Vec<String> {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let adapter = TestAdapter::new().with_middleware(middleware);
    TestFlow::new(adapter, bot())
        .send(text)
        .assert_reply_contains("Echo:")
        .await;
    let bytes = captured.0.lock().unwrap().clone();
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .filter(|l| l.contains("botbuilder::activity"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn every_activity_is_logged_without_personal_information_by_default() {
    let lines = log_of(TelemetryLoggerMiddleware::new(), "my secret plans").await;
    let events: Vec<&str> = [
        "BotMessageReceived",
        "BotMessageSend",
        "BotMessageUpdate",
        "BotMessageDelete",
    ]
    .into_iter()
    .filter(|event| {
        lines
            .iter()
            .any(|l| l.contains(&format!("botbuilder.event=\"{event}\"")))
    })
    .collect();
    assert_eq!(events.len(), 4, "{lines:#?}");
    for line in &lines {
        assert!(line.contains("botbuilder.activity.type="), "{line}");
        assert!(line.contains("botbuilder.conversation.id="), "{line}");
        for secret in [
            "my secret plans",
            "edited secret",
            "Echo:",
            "botbuilder.from.",
            "botbuilder.activity.text",
        ] {
            assert!(!line.contains(secret), "{secret:?} logged: {line}");
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn personal_information_is_logged_when_turned_on() {
    let lines = log_of(
        TelemetryLoggerMiddleware::new().log_personal_information(true),
        "my secret plans",
    )
    .await;
    let received = lines
        .iter()
        .find(|l| l.contains("BotMessageReceived"))
        .unwrap();
    assert!(
        received.contains("botbuilder.activity.text=\"my secret plans\""),
        "{received}"
    );
    assert!(received.contains("botbuilder.from.id="), "{received}");
    let sent = lines.iter().find(|l| l.contains("BotMessageSend")).unwrap();
    assert!(sent.contains("Echo: my secret plans"), "{sent}");
    let updated = lines
        .iter()
        .find(|l| l.contains("BotMessageUpdate"))
        .unwrap();
    assert!(updated.contains("edited secret"), "{updated}");
}
