//! Head sampling of the OpenTelemetry export, end to end over loopback: with no new traces
//! allowed (`traces_per_second: 0`), a turn whose caller sent no trace context, or an
//! unsampled one, exports no span (and makes none), while its metrics are still exported; a
//! turn whose caller sampled its trace (`traceparent` flags `01`) is exported whole and
//! continues that trace. The spans of an unsampled turn are never made, so they cost nothing.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

mod otlp;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use botbuilder::connector::BotConfig;
use botbuilder::prelude::*;
use botbuilder::telemetry::{OtlpProtocol, TelemetryOptions};
use serde_json::json;

use otlp::{hex, metrics_by_name, spans, start_receiver, sum_total};
use support::Mock;

const SAMPLED_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const UNSAMPLED_TRACE: &str = "11111111111111111111111111111111";

/// Echoes, and notes whether its own span exists (the turn span is the current one).
struct EchoBot {
    spans_made: Mutex<Vec<bool>>,
}

#[async_trait]
impl ActivityHandler for EchoBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let made = !tracing::info_span!("bot.work").is_disabled();
        self.spans_made.lock().unwrap().push(made);
        let text = ctx.activity().text().to_owned();
        ctx.send_activity(format!("Echo: {text}")).await?;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_sampled_traces_are_made_and_exported_and_metrics_count_every_turn() {
    let (receiver_url, received) = start_receiver().await;

    let telemetry = botbuilder::telemetry::init_with(TelemetryOptions {
        metric_export_interval: Some(Duration::from_secs(3600)),
        traces_per_second: Some(0.0),
        ..TelemetryOptions::exporting_to(receiver_url, OtlpProtocol::HttpProtobuf)
    })
    .unwrap();

    let connector = Mock::connector().await;
    let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
    let bot = Arc::new(EchoBot {
        spans_made: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bot_url = format!("http://{}/api/messages", listener.local_addr().unwrap());
    let app = botbuilder::hosting::router(adapter.clone(), Arc::clone(&bot) as Arc<dyn Bot>);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let client = reqwest::Client::new();
    let send = |id: &'static str, traceparent: Option<String>| {
        let mut request = client.post(&bot_url).json(&json!({
            "type": "message",
            "id": id,
            "text": "hello",
            "channelId": "webchat",
            "serviceUrl": connector.url(),
            "conversation": {"id": "conv-1"},
            "from": {"id": "user-1"},
            "recipient": {"id": "bot"},
        }));
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        request.send()
    };
    // No trace context: a new trace, and none may start.
    assert_eq!(send("m1", None).await.unwrap().status(), 200);
    // The caller did not sample its trace.
    let unsampled = format!("00-{UNSAMPLED_TRACE}-00f067aa0ba902b7-00");
    assert_eq!(send("m2", Some(unsampled)).await.unwrap().status(), 200);
    // The caller sampled its trace: it is continued whatever the rate limit.
    let sampled = format!("00-{SAMPLED_TRACE}-00f067aa0ba902b7-01");
    assert_eq!(send("m3", Some(sampled)).await.unwrap().status(), 200);

    tokio::task::block_in_place(|| telemetry.flush());

    assert_eq!(
        *bot.spans_made.lock().unwrap(),
        vec![false, false, true],
        "spans are made only in the sampled turn"
    );
    let spans = spans(&received);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert!(
        spans.iter().all(|s| hex(&s.trace_id) == SAMPLED_TRACE),
        "only the sampled trace is exported: {names:?}"
    );
    for name in [
        "POST /api/messages",
        "botbuilder.turn",
        "bot.work",
        "POST /v3/conversations/{conversationId}/activities/{activityId}",
    ] {
        assert_eq!(
            names.iter().filter(|n| **n == name).count(),
            1,
            "{name} once: {names:?}"
        );
    }
    assert!(
        !names.contains(&"botbuilder.authenticate"),
        "an anonymous bot has no authentication span: {names:?}"
    );
    assert_eq!(
        connector.requests().len(),
        3,
        "every turn answered through the connector"
    );

    // Metrics count all three turns, sampled or not.
    let metrics = metrics_by_name(&received);
    assert_eq!(sum_total(&metrics["botbuilder.turns"]), 3);
    assert_eq!(sum_total(&metrics["botbuilder.connector.requests"]), 3);
    drop(telemetry);
}
