//! OpenTelemetry export end to end: an authenticated bot served on loopback, one incoming turn
//! that continues the caller's trace (`traceparent`) and counts in conversation state saved
//! by middleware, and one proactive send that the channel throttles once (429), exported over
//! OTLP/HTTP to a receiver on 127.0.0.1 that decodes the real protobuf payloads. Asserts the
//! span tree and attributes, the trace context on the outgoing connector calls, the metrics,
//! and that no message text, name or token reaches any exported attribute.

// Setup helpers unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

mod otlp;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use botbuilder::core::middleware::TelemetryLoggerMiddleware;
use botbuilder::core::state::{AutoSaveStateMiddleware, BotStateSet, StatePropertyAccessor};
use botbuilder::core::{ConversationState, MemoryStorage};
use botbuilder::prelude::*;
use botbuilder::telemetry::{OtlpProtocol, TelemetryOptions};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use serde_json::json;

use otlp::{Received, attrs, hex, metrics_by_name, spans, start_receiver, sum_total};
use support::Mock;
use support::auth::{APP_ID, KeyServer, PASSWORD, TestKey, channel_claims};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
const SECRET_TEXT: &str = "my secret plans for tuesday";
const USER_NAME: &str = "Ada Lovelace";
const USER_ID: &str = "user-ada-1";

/// Echoes, counts messages in conversation state, and remembers the conversation for the
/// proactive message.
struct EchoBot {
    last: Mutex<Option<ConversationReference>>,
    count: StatePropertyAccessor<u64>,
}

#[async_trait]
impl ActivityHandler for EchoBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        *self.last.lock().unwrap() = Some(ctx.activity().conversation_reference());
        let count = self.count.get_or_default(ctx).await? + 1;
        self.count.set(ctx, count).await?;
        let text = ctx.activity().text();
        ctx.send_activity(format!("Echo: {text}")).await?;
        Ok(())
    }
}

/// Every string an operator's backend would store: span names, attributes of resources,
/// spans, span events and metric points.
fn every_exported_string(received: &Received) -> Vec<String> {
    let mut all = Vec::new();
    for request in received.traces.lock().unwrap().iter() {
        for rs in &request.resource_spans {
            if let Some(resource) = &rs.resource {
                all.extend(attrs(&resource.attributes).into_values());
            }
            for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                all.push(span.name.clone());
                all.extend(attrs(&span.attributes).into_values());
                for event in &span.events {
                    all.push(event.name.clone());
                    all.extend(attrs(&event.attributes).into_values());
                }
            }
        }
    }
    for request in received.metrics.lock().unwrap().iter() {
        for metric in request
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
        {
            let points: Vec<&[KeyValue]> = match metric.data.as_ref() {
                Some(metric::Data::Sum(s)) => {
                    s.data_points.iter().map(|p| &p.attributes[..]).collect()
                }
                Some(metric::Data::Histogram(h)) => {
                    h.data_points.iter().map(|p| &p.attributes[..]).collect()
                }
                Some(metric::Data::Gauge(g)) => {
                    g.data_points.iter().map(|p| &p.attributes[..]).collect()
                }
                _ => Vec::new(),
            };
            for point in points {
                all.extend(attrs(point).into_values());
            }
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_and_a_throttled_proactive_send_are_exported_over_otlp() {
    let (receiver_url, received) = start_receiver().await;
    let telemetry = botbuilder::telemetry::init_with(TelemetryOptions {
        service_name: Some("otel-export-test".to_owned()),
        metric_export_interval: Some(Duration::from_secs(3600)),
        ..TelemetryOptions::exporting_to(receiver_url, OtlpProtocol::HttpProtobuf)
    })
    .unwrap();
    assert!(telemetry.is_exporting());

    let connector = Mock::connector().await;
    let login = Mock::token_endpoint(3600).await;
    let keys = KeyServer::start(vec![TestKey::A.jwk("key-1", &["webchat"])]).await;
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
    let state = ConversationState::new(MemoryStorage::new());
    let adapter = CloudAdapter::new(&config)
        .unwrap()
        .with_middleware(TelemetryLoggerMiddleware::new())
        .with_middleware(AutoSaveStateMiddleware::new(BotStateSet::new()).with(state.clone()));
    let bot = Arc::new(EchoBot {
        last: Mutex::default(),
        count: state.create_property("count"),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bot_url = format!("http://{}/api/messages", listener.local_addr().unwrap());
    let app = botbuilder::hosting::router(adapter.clone(), Arc::clone(&bot) as Arc<dyn Bot>);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // The incoming turn, continuing the caller's trace.
    let jwt = TestKey::A.sign(
        "key-1",
        &channel_claims(std::time::SystemTime::now(), &connector.url()),
    );
    let response = reqwest::Client::new()
        .post(&bot_url)
        .bearer_auth(&jwt)
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01"))
        .json(&json!({
            "type": "message",
            "id": "msg-1",
            "text": SECRET_TEXT,
            "channelId": "webchat",
            "serviceUrl": connector.url(),
            "conversation": {"id": "conv-42"},
            "from": {"id": USER_ID, "name": USER_NAME},
            "recipient": {"id": APP_ID, "name": "EchoBot"},
            "locale": "en-US",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // The proactive send: the channel is busy once (429, come back in 50 ms).
    connector.script(
        Method::POST,
        "/v3/conversations/conv-42/activities",
        support::Reply::json(
            429,
            json!({"error": {"code": "Throttled", "message": "busy"}}),
        )
        .header("retry-after", "0.05"),
    );
    let reference = bot.last.lock().unwrap().clone().unwrap();
    adapter
        .continue_conversation(reference, async |ctx| {
            ctx.send_activity(format!("Later: {SECRET_TEXT}")).await?;
            Ok(())
        })
        .await
        .unwrap();

    tokio::task::block_in_place(|| telemetry.flush());

    // The span tree.
    let spans = spans(&received);
    let by_id: HashMap<Vec<u8>, &Span> = spans.iter().map(|s| (s.span_id.clone(), s)).collect();
    let named = |name: &str| -> Vec<&Span> { spans.iter().filter(|s| s.name == name).collect() };
    let parent_of = |span: &Span| by_id.get(&span.parent_span_id).copied();
    let is_under = |span: &Span, ancestor: &Span| {
        let mut at = parent_of(span);
        while let Some(s) = at {
            if s.span_id == ancestor.span_id {
                return true;
            }
            at = parent_of(s);
        }
        false
    };

    let server = named("POST /api/messages");
    assert_eq!(
        server.len(),
        1,
        "one server span: {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let server = server[0];
    assert_eq!(
        hex(&server.trace_id),
        TRACE_ID,
        "the caller's trace continues"
    );
    assert_eq!(hex(&server.parent_span_id), PARENT_SPAN_ID);
    assert_eq!(server.kind, SpanKind::Server as i32);
    let server_attrs = attrs(&server.attributes);
    assert_eq!(server_attrs["http.response.status_code"], "200");
    assert_eq!(server_attrs["http.route"], "/api/messages");

    let auth = named("botbuilder.authenticate");
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0].parent_span_id, server.span_id);

    let turns = named("botbuilder.turn");
    assert_eq!(turns.len(), 2, "the incoming and the proactive turn");
    let (incoming, proactive): (Vec<&Span>, Vec<&Span>) = turns
        .iter()
        .partition(|s| attrs(&s.attributes)["botbuilder.turn.proactive"] == "false");
    let (incoming, proactive) = (incoming[0], proactive[0]);
    assert_eq!(incoming.parent_span_id, server.span_id);
    let turn = attrs(&incoming.attributes);
    assert_eq!(turn["botbuilder.activity.type"], "message");
    assert_eq!(turn["botbuilder.channel"], "webchat");
    assert_eq!(turn["botbuilder.conversation.id"], "conv-42");
    assert_eq!(turn["botbuilder.bot.app_id"], APP_ID);
    assert_eq!(turn["botbuilder.turn.outcome"], "ok");
    assert!(!turn.contains_key("enduser.id"), "no user id by default");
    let turn = attrs(&proactive.attributes);
    assert_eq!(turn["botbuilder.activity.type"], "event");
    assert_eq!(turn["botbuilder.turn.outcome"], "ok");
    assert_eq!(turn["botbuilder.conversation.id"], "conv-42");

    let middleware = named("botbuilder.middleware");
    assert_eq!(middleware.len(), 4, "two per turn");
    let logger = middleware
        .iter()
        .find(|m| m.parent_span_id == incoming.span_id)
        .unwrap();
    assert_eq!(
        attrs(&logger.attributes)["botbuilder.middleware.name"],
        "TelemetryLoggerMiddleware"
    );
    let auto_save = middleware
        .iter()
        .find(|m| m.parent_span_id == logger.span_id)
        .unwrap();
    assert_eq!(
        attrs(&auto_save.attributes)["botbuilder.middleware.name"],
        "AutoSaveStateMiddleware",
        "the second middleware runs inside the first"
    );

    // State: read by the bot, written by the auto-save middleware, in the incoming turn.
    let load = named("botbuilder.state.load");
    assert_eq!(load.len(), 1, "the proactive turn reads no state");
    assert!(is_under(load[0], auto_save));
    let load_attrs = attrs(&load[0].attributes);
    assert_eq!(load_attrs["botbuilder.state.scope"], "ConversationState");
    assert_eq!(load_attrs["db.operation.name"], "read");
    let save = named("botbuilder.state.save");
    assert_eq!(save.len(), 1);
    assert_eq!(save[0].parent_span_id, auto_save.span_id);
    assert_eq!(attrs(&save[0].attributes)["db.operation.name"], "write");

    // The activity log: received and sent, inside the turn, with no text.
    let events: Vec<(String, HashMap<String, String>)> = spans
        .iter()
        .flat_map(|s| &s.events)
        .map(|e| (e.name.clone(), attrs(&e.attributes)))
        .collect();
    let logged: Vec<&str> = events
        .iter()
        .filter_map(|(_, a)| a.get("botbuilder.event").map(String::as_str))
        .collect();
    assert!(logged.contains(&"BotMessageReceived"), "{logged:?}");
    assert_eq!(
        logged.iter().filter(|e| **e == "BotMessageSend").count(),
        2,
        "{logged:?}"
    );
    assert!(
        events
            .iter()
            .all(|(_, a)| !a.contains_key("botbuilder.activity.text"))
    );

    // The reply: a connector call under the incoming turn, with an app token fetched first.
    let reply = named("POST /v3/conversations/{conversationId}/activities/{activityId}");
    assert_eq!(reply.len(), 1);
    let reply = reply[0];
    assert!(is_under(reply, incoming));
    let reply_attrs = attrs(&reply.attributes);
    assert_eq!(reply.kind, SpanKind::Client as i32);
    assert_eq!(reply_attrs["http.request.method"], "POST");
    assert_eq!(
        reply_attrs["url.template"],
        "/v3/conversations/{conversationId}/activities/{activityId}"
    );
    assert_eq!(reply_attrs["http.response.status_code"], "200");
    let token = named("botbuilder.token.acquire");
    assert_eq!(token.len(), 1, "one token, cached for the proactive send");
    assert!(is_under(token[0], incoming));
    let token_request = named("POST /{tenant}/oauth2/v2.0/token");
    assert_eq!(token_request.len(), 1);
    assert_eq!(token_request[0].parent_span_id, token[0].span_id);

    // The proactive send: one span for both attempts, its retry and wait recorded.
    let send = named("POST /v3/conversations/{conversationId}/activities");
    assert_eq!(send.len(), 1);
    let send = send[0];
    assert!(is_under(send, proactive));
    let send_attrs = attrs(&send.attributes);
    assert_eq!(send_attrs["http.response.status_code"], "200");
    assert_eq!(send_attrs["http.request.resend_count"], "1");
    assert_eq!(send_attrs["botbuilder.retry.wait_ms"], "50");
    assert!(
        send.events
            .iter()
            .any(|e| attrs(&e.attributes).get("status").map(String::as_str) == Some("429")),
        "the retry's warning is an event of the call"
    );

    // Outgoing trace context: every connector request names its call's span.
    let requests = connector.requests();
    assert_eq!(requests.len(), 3, "the reply, the 429 and the retry");
    let traceparent = |i: usize| requests[i].header("traceparent").unwrap().to_owned();
    assert_eq!(
        traceparent(0),
        format!("00-{TRACE_ID}-{}-01", hex(&reply.span_id))
    );
    assert_eq!(
        traceparent(1),
        format!("00-{}-{}-01", hex(&send.trace_id), hex(&send.span_id))
    );
    assert_eq!(traceparent(1), traceparent(2), "a retry is the same call");

    // Metrics.
    let metrics = metrics_by_name(&received);
    let turns = &metrics["botbuilder.turns"];
    assert_eq!(sum_total(turns), 2);
    let histogram = match metrics["botbuilder.turn.duration"].data.as_ref().unwrap() {
        metric::Data::Histogram(h) => h,
        other => panic!("not a histogram: {other:?}"),
    };
    assert_eq!(metrics["botbuilder.turn.duration"].unit, "s");
    assert_eq!(
        histogram.data_points.iter().map(|p| p.count).sum::<u64>(),
        2
    );
    let point = &histogram.data_points[0];
    let point_attrs = attrs(&point.attributes);
    assert_eq!(point_attrs["botbuilder.turn.outcome"], "ok");
    assert!(point_attrs.contains_key("botbuilder.activity.type"));
    assert!(point_attrs.contains_key("botbuilder.channel"));
    assert_eq!(sum_total(&metrics["botbuilder.connector.throttled"]), 1);
    assert_eq!(sum_total(&metrics["botbuilder.connector.retries"]), 1);
    assert_eq!(sum_total(&metrics["botbuilder.token.refreshes"]), 1);
    // The reply, the proactive send and the token request.
    assert_eq!(sum_total(&metrics["botbuilder.connector.requests"]), 3);
    assert!(metrics.contains_key("botbuilder.connector.request.duration"));
    assert_eq!(
        sum_total(&metrics["botbuilder.ordering.active_conversations"]),
        0,
        "both turns are over"
    );

    // No message text, name or token anywhere.
    let jwt_tail = &jwt[jwt.len() - 20..];
    for value in every_exported_string(&received) {
        for secret in [
            SECRET_TEXT,
            USER_NAME,
            USER_ID,
            "tok-1",
            PASSWORD,
            jwt_tail,
            "Echo:",
        ] {
            assert!(!value.contains(secret), "{secret:?} exported in {value:?}");
        }
    }
    drop(telemetry);
}
