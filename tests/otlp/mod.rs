//! The OTLP/HTTP receiver of the OpenTelemetry tests: listens on 127.0.0.1, decodes the real
//! protobuf payloads of `/v1/traces` and `/v1/metrics`, and reads them back.

// Each test uses some of these.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric, number_data_point};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// What the OTLP receiver got, decoded.
#[derive(Clone, Default)]
pub(crate) struct Received {
    pub(crate) traces: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    pub(crate) metrics: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
}

async fn traces(State(received): State<Received>, body: Bytes) -> impl IntoResponse {
    let request = ExportTraceServiceRequest::decode(body).unwrap();
    received.traces.lock().unwrap().push(request);
    (
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
}

async fn metrics(State(received): State<Received>, body: Bytes) -> impl IntoResponse {
    let request = ExportMetricsServiceRequest::decode(body).unwrap();
    received.metrics.lock().unwrap().push(request);
    (
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        ExportMetricsServiceResponse::default().encode_to_vec(),
    )
}

pub(crate) async fn start_receiver() -> (String, Received) {
    let received = Received::default();
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/metrics", post(metrics))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

pub(crate) fn string(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

pub(crate) fn attrs(attributes: &[KeyValue]) -> HashMap<String, String> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), string(&kv.value)))
        .collect()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn spans(received: &Received) -> Vec<Span> {
    received
        .traces
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| s.spans.clone())
        .collect()
}

/// The last export of each metric (they are cumulative).
pub(crate) fn metrics_by_name(received: &Received) -> HashMap<String, Metric> {
    received
        .metrics
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| &r.resource_metrics)
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| s.metrics.clone())
        .map(|m| (m.name.clone(), m))
        .collect()
}

pub(crate) fn sum_total(metric: &Metric) -> i64 {
    match metric.data.as_ref().unwrap() {
        metric::Data::Sum(sum) => sum
            .data_points
            .iter()
            .map(|p| match p.value {
                Some(number_data_point::Value::AsInt(i)) => i,
                Some(number_data_point::Value::AsDouble(d)) => d as i64,
                None => 0,
            })
            .sum(),
        other => panic!("{} is not a sum: {other:?}", metric.name),
    }
}
