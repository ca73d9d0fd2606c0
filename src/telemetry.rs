//! OpenTelemetry export of the SDK's traces and metrics over OTLP (feature `otel`), set up by
//! one call in `main` and configured by the standard `OTEL_*` environment variables.
//!
//! ```no_run
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // Logs to stdout (RUST_LOG, default `info`); with OTEL_EXPORTER_OTLP_ENDPOINT set, traces
//!     // and metrics also go to that OTLP endpoint. Dropping the guard flushes them.
//!     let _telemetry = botbuilder::telemetry::init()?;
//!     // ... build the adapter and serve the bot ...
//!     Ok(())
//! }
//! ```
//!
//! What is exported: the `tracing` spans of every turn (`botbuilder.turn` and its children)
//! and any other span at `INFO` or above, and the SDK's metrics, which it records as `tracing`
//! events (see [`botbuilder_core::telemetry`] for every name). The environment variables read:
//!
//! | variable | effect |
//! |---|---|
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL of the collector (`http://localhost:4318` for HTTP, `http://localhost:4317` for gRPC); export is off unless this or a per-signal endpoint is set |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` | per-signal URLs (HTTP: the full URL, `.../v1/traces`) |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` (default) or `grpc` (feature `otel-grpc`) |
//! | `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, and their per-signal forms | headers (API keys) and timeout of the export requests |
//! | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | the resource that names the bot |
//! | `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER` | `none` turns one signal off |
//! | `OTEL_METRIC_EXPORT_INTERVAL` | milliseconds between metric exports (default 60000) |
//! | `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` | head sampling, e.g. `parentbased_traceidratio` and `0.1` (default: every trace) |
//! | `OTEL_SDK_DISABLED` | `true` turns export off |
//! | `BOTBUILDER_LOG_PERSONAL_INFORMATION` | `true` lets user ids and message text into spans and activity-log events |
//!
//! Export runs on a thread of its own, so it works under any Tokio runtime flavour and drops
//! cleanly at the end of `main`.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{
    Aggregation, Instrument, PeriodicReader, SdkMeterProvider, Stream,
};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::{MetricsLayer, OpenTelemetrySpanExt};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;

use botbuilder_core::telemetry::{METRICS_TARGET, TracePropagation, metric};

/// The environment variable that lets personal information into spans and activity logs.
pub const LOG_PERSONAL_INFORMATION_VAR: &str = "BOTBUILDER_LOG_PERSONAL_INFORMATION";

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// A global `tracing` subscriber was installed before.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInitialized,
    /// An OTLP exporter could not be built (a bad endpoint URL or header).
    #[error("could not build the OTLP {signal} exporter")]
    Exporter {
        /// `traces` or `metrics`.
        signal: &'static str,
        /// What the exporter said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` names a protocol this build cannot speak.
    #[error(
        "OTLP protocol {protocol:?} is not supported (use http/protobuf, or grpc with feature otel-grpc)"
    )]
    UnsupportedProtocol {
        /// The protocol asked for.
        protocol: String,
    },
    /// The export thread could not be started.
    #[error("could not start the telemetry export thread")]
    Runtime(#[source] std::io::Error),
}

/// The OTLP transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// Protobuf over HTTP (`http/protobuf`, port 4318), the default.
    HttpProtobuf,
    /// gRPC (`grpc`, port 4317); needs feature `otel-grpc`.
    Grpc,
}

/// How [`init_with`] sets telemetry up; [`TelemetryOptions::from_env`] reads the `OTEL_*`
/// variables, and fields set here win over them.
#[derive(Clone, Debug)]
pub struct TelemetryOptions {
    /// Export traces and metrics (off when no endpoint is configured).
    pub export: bool,
    /// The collector's base URL; `None` lets the exporter read `OTEL_EXPORTER_OTLP_*ENDPOINT`.
    pub endpoint: Option<String>,
    /// The OTLP transport.
    pub protocol: OtlpProtocol,
    /// Export traces.
    pub traces: bool,
    /// Export metrics.
    pub metrics: bool,
    /// `service.name`; `None` leaves it to `OTEL_SERVICE_NAME`.
    pub service_name: Option<String>,
    /// How often metrics are exported; `None` leaves it to `OTEL_METRIC_EXPORT_INTERVAL`.
    pub metric_export_interval: Option<Duration>,
    /// Which spans are exported (`tracing` target directives, `info` by default).
    pub trace_filter: String,
    /// Which events are logged to stdout (`RUST_LOG`, `info` by default); `None`: no log output.
    pub log_filter: Option<String>,
    /// Let user ids and message text into spans and activity-log events.
    pub log_personal_information: bool,
}

impl TelemetryOptions {
    /// The options the environment asks for (see the [module docs](self)).
    ///
    /// # Errors
    /// [`TelemetryError::UnsupportedProtocol`] for an unknown `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn from_env() -> Result<Self, TelemetryError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let is = |name: &str, value: &str| var(name).is_some_and(|v| v.eq_ignore_ascii_case(value));
        let configured = [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        ]
        .iter()
        .any(|name| var(name).is_some());
        let protocol = match var("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref() {
            None | Some("http/protobuf") => OtlpProtocol::HttpProtobuf,
            Some("grpc") => OtlpProtocol::Grpc,
            Some(other) => {
                return Err(TelemetryError::UnsupportedProtocol {
                    protocol: other.to_owned(),
                });
            }
        };
        Ok(Self {
            export: configured && !is("OTEL_SDK_DISABLED", "true"),
            endpoint: None,
            protocol,
            traces: !is("OTEL_TRACES_EXPORTER", "none"),
            metrics: !is("OTEL_METRICS_EXPORTER", "none"),
            service_name: None,
            metric_export_interval: None,
            trace_filter: "info".to_owned(),
            log_filter: Some(var("RUST_LOG").unwrap_or_else(|| "info".to_owned())),
            log_personal_information: is(LOG_PERSONAL_INFORMATION_VAR, "true"),
        })
    }

    /// Options that export to `endpoint` (a collector's base URL) with `protocol`, whatever
    /// the environment says; no log output.
    #[must_use]
    pub fn exporting_to(endpoint: impl Into<String>, protocol: OtlpProtocol) -> Self {
        Self {
            export: true,
            endpoint: Some(endpoint.into()),
            protocol,
            traces: true,
            metrics: true,
            service_name: None,
            metric_export_interval: None,
            trace_filter: "info".to_owned(),
            log_filter: None,
            log_personal_information: false,
        }
    }
}

/// Installs logging and, when configured, OTLP export, for the whole process: see the
/// [module docs](self). Keep the guard until the end of `main`.
///
/// # Errors
/// See [`TelemetryError`].
pub fn init() -> Result<Telemetry, TelemetryError> {
    init_with(TelemetryOptions::from_env()?)
}

/// [`init`] with explicit options.
///
/// # Errors
/// See [`TelemetryError`].
pub fn init_with(options: TelemetryOptions) -> Result<Telemetry, TelemetryError> {
    botbuilder_core::telemetry::set_log_personal_information(options.log_personal_information);
    let mut telemetry = Telemetry {
        tracer_provider: None,
        meter_provider: None,
        runtime: None,
    };
    if options.export {
        let runtime = ExportRuntime::start().map_err(TelemetryError::Runtime)?;
        let resource = match &options.service_name {
            Some(name) => Resource::builder().with_service_name(name.clone()).build(),
            None => Resource::builder().build(),
        };
        if options.traces {
            let exporter = span_exporter(&options, &runtime)?;
            telemetry.tracer_provider = Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(resource.clone())
                    .build(),
            );
        }
        if options.metrics {
            let exporter = metric_exporter(&options, &runtime)?;
            let mut reader = PeriodicReader::builder(exporter);
            if let Some(interval) = options.metric_export_interval {
                reader = reader.with_interval(interval);
            }
            telemetry.meter_provider = Some(
                SdkMeterProvider::builder()
                    .with_reader(reader.build())
                    .with_resource(resource)
                    .with_view(describe)
                    .build(),
            );
        }
        telemetry.runtime = Some(runtime);
    }

    let log_layer = options.log_filter.as_deref().map(|filter| {
        tracing_subscriber::fmt::layer()
            .with_filter(parse_targets(filter).with_target(METRICS_TARGET, LevelFilter::OFF))
    });
    let trace_layer = telemetry.tracer_provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("botbuilder"))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            // Spans carry their own context (propagation reads it from the span); attaching
            // an OpenTelemetry context on every poll of every span costs for nothing.
            .with_context_activation(false)
            .with_filter(
                parse_targets(&options.trace_filter).with_target(METRICS_TARGET, LevelFilter::OFF),
            )
    });
    let metrics_layer = telemetry
        .meter_provider
        .as_ref()
        .map(|provider| MetricsLayer::new(provider.clone()));
    let subscriber = tracing_subscriber::registry()
        .with(log_layer)
        .with(trace_layer)
        .with(metrics_layer);
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| TelemetryError::AlreadyInitialized)?;
    if telemetry.tracer_provider.is_some() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        // Installed once per process; a second `init` keeps the first (it is the same).
        let _ = botbuilder_core::telemetry::set_trace_propagation(W3cPropagation(
            TraceContextPropagator::new(),
        ));
    }
    Ok(telemetry)
}

fn parse_targets(filter: &str) -> Targets {
    filter
        .parse()
        .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO))
}

/// Keeps telemetry running; dropping it flushes the spans and metrics not yet exported and
/// stops the export thread.
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
    runtime: Option<ExportRuntime>,
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("traces", &self.tracer_provider.is_some())
            .field("metrics", &self.meter_provider.is_some())
            .finish()
    }
}

impl Telemetry {
    /// Whether traces or metrics are exported.
    #[must_use]
    pub fn is_exporting(&self) -> bool {
        self.tracer_provider.is_some() || self.meter_provider.is_some()
    }

    /// Exports what was recorded so far, now (blocking until the collector answered).
    pub fn flush(&self) {
        if let Some(provider) = &self.tracer_provider
            && let Err(error) = provider.force_flush()
        {
            tracing::warn!(%error, "could not flush the trace export");
        }
        if let Some(provider) = &self.meter_provider
            && let Err(error) = provider.force_flush()
        {
            tracing::warn!(%error, "could not flush the metric export");
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take() {
            let _ = provider.shutdown();
        }
        if let Some(provider) = self.meter_provider.take() {
            let _ = provider.shutdown();
        }
        self.runtime.take();
    }
}

/// Units, descriptions and buckets of the SDK's instruments (the metrics layer makes them
/// with names only).
fn describe(instrument: &Instrument) -> Option<Stream> {
    const SECONDS: &[f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    ];
    let (description, unit, histogram) = match instrument.name() {
        metric::TURNS => (
            "Turns, by activity type, channel and outcome",
            "{turn}",
            false,
        ),
        metric::TURN_DURATION => ("Duration of turns", "s", true),
        metric::CONNECTOR_REQUESTS => ("Bot Connector and token requests", "{request}", false),
        metric::CONNECTOR_DURATION => (
            "Duration of connector requests, retries included",
            "s",
            true,
        ),
        metric::CONNECTOR_RETRIES => ("Retries of connector requests", "{retry}", false),
        metric::CONNECTOR_THROTTLED => ("429 answers to connector requests", "{response}", false),
        metric::TOKEN_REFRESHES => ("App tokens acquired", "{token}", false),
        metric::STORAGE_CONFLICTS => ("Storage writes refused by eTag", "{conflict}", false),
        metric::ACTIVE_CONVERSATIONS => (
            "Conversations with a turn running or waiting",
            "{conversation}",
            false,
        ),
        metric::DIRECTLINE_CONNECTIONS => (
            "Open Direct Line WebSocket connections",
            "{connection}",
            false,
        ),
        _ => return None,
    };
    let mut stream = Stream::builder()
        .with_description(description)
        .with_unit(unit);
    if histogram {
        stream = stream.with_aggregation(Aggregation::ExplicitBucketHistogram {
            boundaries: SECONDS.to_vec(),
            record_min_max: true,
        });
    }
    stream.build().ok()
}

fn span_exporter(
    options: &TelemetryOptions,
    runtime: &ExportRuntime,
) -> Result<opentelemetry_otlp::SpanExporter, TelemetryError> {
    let error = |source: opentelemetry_otlp::ExporterBuildError| TelemetryError::Exporter {
        signal: "traces",
        source: Box::new(source),
    };
    match options.protocol {
        OtlpProtocol::HttpProtobuf => {
            let mut builder = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_http_client(runtime.http_client());
            if let Some(base) = &options.endpoint {
                builder = builder.with_endpoint(signal_url(base, "traces"));
            }
            builder.build().map_err(error)
        }
        OtlpProtocol::Grpc => grpc::span_exporter(options, runtime).map_err(error),
    }
}

fn metric_exporter(
    options: &TelemetryOptions,
    runtime: &ExportRuntime,
) -> Result<opentelemetry_otlp::MetricExporter, TelemetryError> {
    let error = |source: opentelemetry_otlp::ExporterBuildError| TelemetryError::Exporter {
        signal: "metrics",
        source: Box::new(source),
    };
    match options.protocol {
        OtlpProtocol::HttpProtobuf => {
            let mut builder = opentelemetry_otlp::MetricExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_http_client(runtime.http_client());
            if let Some(base) = &options.endpoint {
                builder = builder.with_endpoint(signal_url(base, "metrics"));
            }
            builder.build().map_err(error)
        }
        OtlpProtocol::Grpc => grpc::metric_exporter(options, runtime).map_err(error),
    }
}

/// `{base}/v1/{signal}`, as the OTLP/HTTP spec builds signal URLs from the base endpoint.
fn signal_url(base: &str, signal: &str) -> String {
    format!("{}/v1/{signal}", base.trim_end_matches('/'))
}

#[cfg(feature = "otel-grpc")]
mod grpc {
    use super::{ExportRuntime, TelemetryOptions};
    use opentelemetry_otlp::{ExporterBuildError, WithExportConfig};

    pub(super) fn span_exporter(
        options: &TelemetryOptions,
        runtime: &ExportRuntime,
    ) -> Result<opentelemetry_otlp::SpanExporter, ExporterBuildError> {
        // The channel's worker runs on the export runtime.
        let _entered = runtime.handle.enter();
        let mut builder = opentelemetry_otlp::SpanExporter::builder().with_tonic();
        if let Some(base) = &options.endpoint {
            builder = builder.with_endpoint(base.clone());
        }
        builder.build()
    }

    pub(super) fn metric_exporter(
        options: &TelemetryOptions,
        runtime: &ExportRuntime,
    ) -> Result<opentelemetry_otlp::MetricExporter, ExporterBuildError> {
        let _entered = runtime.handle.enter();
        let mut builder = opentelemetry_otlp::MetricExporter::builder().with_tonic();
        if let Some(base) = &options.endpoint {
            builder = builder.with_endpoint(base.clone());
        }
        builder.build()
    }
}

#[cfg(not(feature = "otel-grpc"))]
mod grpc {
    use super::{ExportRuntime, TelemetryOptions};
    use opentelemetry_otlp::ExporterBuildError;

    fn unsupported() -> ExporterBuildError {
        ExporterBuildError::InternalFailure(
            "OTLP over gRPC needs the botbuilder feature otel-grpc".to_owned(),
        )
    }

    pub(super) fn span_exporter(
        _options: &TelemetryOptions,
        _runtime: &ExportRuntime,
    ) -> Result<opentelemetry_otlp::SpanExporter, ExporterBuildError> {
        Err(unsupported())
    }

    pub(super) fn metric_exporter(
        _options: &TelemetryOptions,
        _runtime: &ExportRuntime,
    ) -> Result<opentelemetry_otlp::MetricExporter, ExporterBuildError> {
        Err(unsupported())
    }
}

/// A Tokio runtime on a thread of its own for the exporters' network I/O: the batch span
/// processor and the metric reader export from their own threads, outside any runtime, and
/// a bot's runtime may be single-threaded and blocked in the guard's `drop`.
struct ExportRuntime {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ExportRuntime {
    fn start() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("botbuilder-otel".to_owned())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(Self {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn http_client(&self) -> ExportClient {
        ExportClient {
            // The SDK's own client: rustls, no second HTTP stack in the build.
            http: reqwest::Client::builder()
                .user_agent(concat!("botbuilder-rs/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            handle: self.handle.clone(),
        }
    }
}

impl Drop for ExportRuntime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The OTLP/HTTP exporters' client: the SDK's reqwest, run on the export runtime.
#[derive(Debug, Clone)]
struct ExportClient {
    http: reqwest::Client,
    handle: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for ExportClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let http = self.http.clone();
        let answer = self
            .handle
            .spawn(async move {
                let response = http.execute(request).await?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            })
            .await?;
        let (status, headers, body) = answer?;
        let mut response = Response::builder().status(status).body(body)?;
        *response.headers_mut() = headers;
        Ok(response)
    }
}

/// W3C Trace Context (`traceparent`, `tracestate`) for the SDK's spans.
struct W3cPropagation(TraceContextPropagator);

impl TracePropagation for W3cPropagation {
    fn extract(&self, span: &tracing::Span, get: &dyn Fn(&str) -> Option<String>) {
        let carrier: HashMap<String, String> = self
            .0
            .fields()
            .filter_map(|name| get(name).map(|value| (name.to_owned(), value)))
            .collect();
        if carrier.is_empty() {
            return;
        }
        let parent = self.0.extract(&carrier);
        // Fails only for a span already started elsewhere; it then keeps its own parent.
        let _ = span.set_parent(parent);
    }

    fn inject(&self, span: &tracing::Span, set: &mut dyn FnMut(&str, String)) {
        let mut carrier = HashMap::new();
        self.0.inject_context(&span.context(), &mut carrier);
        for (name, value) in carrier {
            set(&name, value);
        }
    }
}
