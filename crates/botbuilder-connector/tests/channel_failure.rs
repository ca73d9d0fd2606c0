//! What the channel did, asked of the error a proactive send returns: a loopback mock channel
//! that answers 429 (after the client's retries), 403, 500, or nothing at all, and the
//! classification `botbuilder_core::Error::channel_failure` reads through the two wrappers
//! (`Error::Turn` around `Error::Adapter` around the `ConnectorError`). Also the report of that
//! chain: each cause once.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use botbuilder_connector::ConnectorError;
use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::schema::{ChannelAccount, ConversationAccount, ConversationReference};
use botbuilder_core::error::{channel_failure, report};
use botbuilder_core::{BotAdapterExt, BoxError, ChannelFailure, Error};
use support::auth::start_time;
use support::{Mock, Reply};

/// An anonymous adapter whose retries wait on a manual clock (the default policy: 3 retries).
fn adapter(clock: &ManualClock) -> CloudAdapter {
    CloudAdapter::builder(BotConfig::anonymous())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

fn reference(service_url: &str) -> ConversationReference {
    ConversationReference {
        user: Some(ChannelAccount::new("user-1")),
        bot: Some(ChannelAccount::new("bot-1")),
        conversation: Some(ConversationAccount::new("conv-1")),
        channel_id: Some("emulator".into()),
        service_url: Some(service_url.to_owned()),
        ..ConversationReference::default()
    }
}

/// Sends one proactive message to `service_url` and returns the error, as a job API would.
async fn proactive_send_error(clock: &ManualClock, service_url: &str) -> Error {
    adapter(clock)
        .continue_conversation(reference(service_url), async move |ctx| {
            ctx.send_activity("Job 7 is complete.").await?;
            Ok(())
        })
        .await
        .unwrap_err()
}

/// The connector error at the bottom of the chain.
fn connector_error(error: &Error) -> &ConnectorError {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<ConnectorError>() {
            return found;
        }
        next = e.source();
    }
    panic!("no connector error in {}", report(error));
}

#[tokio::test]
async fn a_channel_that_keeps_answering_429_is_throttled_with_its_retry_after() {
    let channel = Mock::start(|_, _| {
        Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        )
        .header("Retry-After", "7")
    })
    .await;
    let clock = ManualClock::new(start_time());
    let error = proactive_send_error(&clock, &channel.url()).await;

    // The client retried (three times, each after the 7 s the channel asked for) first.
    assert!(channel.requests().len() >= 4, "{:?}", channel.requests());
    assert_eq!(clock.sleeps()[..3], [Duration::from_secs(7); 3]);
    let throttled = ChannelFailure::Throttled {
        retry_after: Some(Duration::from_secs(7)),
    };
    assert!(matches!(error, Error::Turn { .. }), "{error:?}");
    assert_eq!(error.channel_failure(), Some(throttled.clone()));
    assert_eq!(
        error.channel_failure().and_then(|f| f.retry_after()),
        Some(Duration::from_secs(7))
    );
    // The same through a `BoxError`, as a bot's own code holds it.
    let boxed: BoxError = Box::new(error);
    assert_eq!(channel_failure(boxed.as_ref()), Some(throttled));
}

#[tokio::test]
async fn the_report_of_a_throttled_send_names_each_cause_once() {
    let channel = Mock::start(|_, _| {
        Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        )
        .header("Retry-After", "7")
    })
    .await;
    let clock = ManualClock::new(start_time());
    let error = proactive_send_error(&clock, &channel.url()).await;

    // Each error says only its own part...
    let adapter_error = error.source().unwrap();
    let connector = connector_error(&error);
    assert_eq!(error.to_string(), "the turn failed");
    assert_eq!(adapter_error.to_string(), "send activities failed");
    assert_eq!(
        connector.to_string(),
        "the connector service is throttling requests (429), retry after 7s: TooManyRequests: \
         slow down"
    );
    // ... and the report joins them, each once.
    let reported = report(&error).to_string();
    assert_eq!(
        reported,
        "the turn failed: send activities failed: the connector service is throttling requests \
         (429), retry after 7s: TooManyRequests: slow down"
    );
    for part in [
        "the turn failed",
        "send activities failed",
        "throttling requests (429)",
        "TooManyRequests",
    ] {
        assert_eq!(reported.matches(part).count(), 1, "{part:?} in {reported}");
    }
}

#[tokio::test]
async fn a_channel_that_answers_403_refused_with_its_code() {
    let channel = Mock::start(|_, _| {
        Reply::json(
            403,
            json!({"error": {"code": "BotNotInConversationRoster", "message": "the bot was removed"}}),
        )
    })
    .await;
    let clock = ManualClock::new(start_time());
    let error = proactive_send_error(&clock, &channel.url()).await;

    assert_eq!(
        error.channel_failure(),
        Some(ChannelFailure::Refused {
            status: 403,
            code: Some("BotNotInConversationRoster".into()),
        })
    );
    assert!(matches!(
        connector_error(&error),
        ConnectorError::Refused { status, .. } if status.as_u16() == 403
    ));
    // A refusal is not retried.
    assert!(clock.sleeps().is_empty(), "{:?}", clock.sleeps());
}

#[tokio::test]
async fn a_channel_that_answers_nothing_is_unreachable() {
    // A port that was just free: connections to it are refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let clock = ManualClock::new(start_time());
    let error = proactive_send_error(&clock, &url).await;

    assert_eq!(error.channel_failure(), Some(ChannelFailure::Unreachable));
    assert!(
        matches!(connector_error(&error), ConnectorError::Transport { .. }),
        "{}",
        report(&error)
    );
    // The report names the request once, then why it failed.
    let reported = report(&error).to_string();
    assert_eq!(reported.matches(&url).count(), 1, "{reported}");
    assert!(
        reported.starts_with(&format!(
            "the turn failed: send activities failed: POST {url}/v3/conversations/conv-1/activities failed: "
        )),
        "{reported}"
    );
    // The connection failures were retried first (and again for `on_turn_error`'s messages).
    assert!(clock.sleeps().len() >= 3, "{:?}", clock.sleeps());
}

#[tokio::test]
async fn a_channel_that_answers_500_is_unreachable_and_a_404_is_not_a_channel_failure() {
    let failing =
        Mock::start(|_, _| Reply::json(500, json!({"error": {"code": "ServiceError"}}))).await;
    let clock = ManualClock::new(start_time());
    let error = proactive_send_error(&clock, &failing.url()).await;
    assert_eq!(error.channel_failure(), Some(ChannelFailure::Unreachable));

    let gone =
        Mock::start(|_, _| Reply::json(404, json!({"error": {"code": "ConversationNotFound"}})))
            .await;
    let error = proactive_send_error(&clock, &gone.url()).await;
    assert_eq!(error.channel_failure(), None, "{}", report(&error));
    assert_eq!(connector_error(&error).code(), Some("ConversationNotFound"));
}
