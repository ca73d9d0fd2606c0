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
//! | `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` | head sampling: the standard values (`parentbased_always_on` records every trace, `parentbased_traceidratio` with `0.1` one in ten), or Azure Monitor's `microsoft.rate_limited` (argument: traces a second) and `microsoft.fixed_percentage` (argument: a ratio); unset: the rate limit below |
//! | `BOTBUILDER_TRACES_PER_SECOND` | without `OTEL_TRACES_SAMPLER`: new traces recorded per second at most (default 5, as Azure Monitor's distribution; a trace the caller sampled is always continued) |
//! | `OTEL_SDK_DISABLED` | `true` turns export off |
//! | `BOTBUILDER_LOG_PERSONAL_INFORMATION` | `true` lets user ids and message text into spans and activity-log events |
//!
//! Export runs on a thread of its own, so it works under any Tokio runtime flavour and drops
//! cleanly at the end of `main`.
//!
//! Cost: metrics go straight to OpenTelemetry instruments, and the sampling decision of each
//! request is made before any of its spans exists, so a turn whose trace is not sampled makes
//! no span for the exporter (none at all when no log output wants them). By default every
//! trace is recorded up to 5 new traces a second (a quiet bot keeps them all, a busy one a
//! steady sample beside complete metrics); `OTEL_TRACES_SAMPLER=parentbased_always_on`
//! records all of them, at a cost per turn that docs/performance.md measures.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter, MeterProvider as _, UpDownCounter};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    Link, SpanKind, TraceContextExt as _, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    IdGenerator, RandomIdGenerator, Sampler, SamplingDecision, SamplingResult, SdkTracerProvider,
    ShouldSample,
};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::registry::Registry;

use botbuilder_core::telemetry::{
    METRICS_TARGET, Measurement, MetricsRecorder, TracePropagation, attr, metric,
};

/// The environment variable that lets personal information into spans and activity logs.
pub const LOG_PERSONAL_INFORMATION_VAR: &str = "BOTBUILDER_LOG_PERSONAL_INFORMATION";

/// The environment variable that sets [`TelemetryOptions::traces_per_second`].
pub const TRACES_PER_SECOND_VAR: &str = "BOTBUILDER_TRACES_PER_SECOND";

/// New traces recorded per second at most when no `OTEL_TRACES_SAMPLER` is set.
pub const DEFAULT_TRACES_PER_SECOND: f64 = 5.0;

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
    /// Without `OTEL_TRACES_SAMPLER`: how many new traces a second are recorded at most
    /// (traces the caller sampled are always continued); `None` records every trace.
    pub traces_per_second: Option<f64>,
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
            traces_per_second: Some(
                var(TRACES_PER_SECOND_VAR)
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|rate| rate.is_finite() && *rate >= 0.0)
                    .unwrap_or(DEFAULT_TRACES_PER_SECOND),
            ),
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
            traces_per_second: Some(DEFAULT_TRACES_PER_SECOND),
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
    let mut sampler = None;
    if options.export {
        let runtime = ExportRuntime::start().map_err(TelemetryError::Runtime)?;
        let resource = match &options.service_name {
            Some(name) => Resource::builder().with_service_name(name.clone()).build(),
            None => Resource::builder().build(),
        };
        if options.traces {
            let exporter = span_exporter(&options, &runtime)?;
            let configured = configured_sampler(&options);
            sampler = Some(configured.clone());
            telemetry.tracer_provider = Some(
                SdkTracerProvider::builder()
                    .with_sampler(DecidedSampler { inner: configured })
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
                    .build(),
            );
        }
        telemetry.runtime = Some(runtime);
    }

    // A `Vec` of boxed layers rather than `Option` layers: an absent `Option` layer declares
    // an interest in every callsite, which would make every span and event of the process live.
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = Vec::new();
    if let Some(filter) = options.log_filter.as_deref() {
        layers.push(Box::new(tracing_subscriber::fmt::layer().with_filter(
            parse_targets(filter).with_target(METRICS_TARGET, LevelFilter::OFF),
        )));
    }
    if let Some(provider) = &telemetry.tracer_provider {
        layers.push(Box::new(
            tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("botbuilder"))
                .with_location(false)
                .with_threads(false)
                .with_target(false)
                .with_tracked_inactivity(false)
                // Spans carry their own context (propagation reads it from the span);
                // attaching an OpenTelemetry context on every poll of every span costs for
                // nothing.
                .with_context_activation(false)
                .with_filter(
                    parse_targets(&options.trace_filter)
                        .with_target(METRICS_TARGET, LevelFilter::OFF)
                        .and(SampledTraces),
                ),
        ));
    }
    // Spans of unsampled turns that no log output wants are not made at all (a per-layer
    // filter alone cannot do that: the registry still makes a span every filter refused).
    let skip = telemetry.tracer_provider.as_ref().map(|_| SkipUnsampled {
        logs: options
            .log_filter
            .as_deref()
            .map(|filter| parse_targets(filter).with_target(METRICS_TARGET, LevelFilter::OFF)),
    });
    let subscriber = tracing_subscriber::registry().with(layers).with(skip);
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| TelemetryError::AlreadyInitialized)?;
    if let Some(sampler) = sampler {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        // Installed once per process; a second `init` keeps the first.
        let _ = botbuilder_core::telemetry::set_trace_propagation(W3cPropagation {
            propagator: TraceContextPropagator::new(),
            sampler,
            ids: RandomIdGenerator::default(),
        });
    }
    if let Some(provider) = &telemetry.meter_provider {
        let _ = botbuilder_core::telemetry::set_metrics_recorder(OtelMetrics::new(
            &provider.meter("botbuilder"),
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

/// The SDK's instruments, fed directly by its [`Measurement`]s.
struct OtelMetrics {
    turns: Counter<u64>,
    turn_duration: Histogram<f64>,
    requests: Counter<u64>,
    request_duration: Histogram<f64>,
    retries: Counter<u64>,
    throttled: Counter<u64>,
    token_refreshes: Counter<u64>,
    storage_conflicts: Counter<u64>,
    active_conversations: UpDownCounter<i64>,
    directline_connections: UpDownCounter<i64>,
}

impl OtelMetrics {
    fn new(meter: &Meter) -> Self {
        const SECONDS: &[f64] = &[
            0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
        ];
        let counter = |name: &'static str, description: &'static str, unit: &'static str| {
            meter
                .u64_counter(name)
                .with_description(description)
                .with_unit(unit)
                .build()
        };
        let histogram = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_description(description)
                .with_unit("s")
                .with_boundaries(SECONDS.to_vec())
                .build()
        };
        let up_down = |name: &'static str, description: &'static str, unit: &'static str| {
            meter
                .i64_up_down_counter(name)
                .with_description(description)
                .with_unit(unit)
                .build()
        };
        Self {
            turns: counter(
                metric::TURNS,
                "Turns, by activity type, channel and outcome",
                "{turn}",
            ),
            turn_duration: histogram(metric::TURN_DURATION, "Duration of turns"),
            requests: counter(
                metric::CONNECTOR_REQUESTS,
                "Bot Connector and token requests",
                "{request}",
            ),
            request_duration: histogram(
                metric::CONNECTOR_DURATION,
                "Duration of connector requests, retries included",
            ),
            retries: counter(
                metric::CONNECTOR_RETRIES,
                "Retries of connector requests",
                "{retry}",
            ),
            throttled: counter(
                metric::CONNECTOR_THROTTLED,
                "429 answers to connector requests",
                "{response}",
            ),
            token_refreshes: counter(metric::TOKEN_REFRESHES, "App tokens acquired", "{token}"),
            storage_conflicts: counter(
                metric::STORAGE_CONFLICTS,
                "Storage writes refused by eTag",
                "{conflict}",
            ),
            active_conversations: up_down(
                metric::ACTIVE_CONVERSATIONS,
                "Conversations with a turn running or waiting",
                "{conversation}",
            ),
            directline_connections: up_down(
                metric::DIRECTLINE_CONNECTIONS,
                "Open Direct Line WebSocket connections",
                "{connection}",
            ),
        }
    }
}

impl MetricsRecorder for OtelMetrics {
    fn record(&self, measurement: &Measurement<'_>) {
        match *measurement {
            Measurement::Turn {
                activity_type,
                channel,
                outcome,
                duration,
            } => {
                let attributes = [
                    KeyValue::new(attr::ACTIVITY_TYPE, known(activity_type, ACTIVITY_TYPES)),
                    KeyValue::new(attr::CHANNEL, known(channel, CHANNELS)),
                    KeyValue::new(attr::OUTCOME, outcome),
                ];
                self.turns.add(1, &attributes);
                self.turn_duration
                    .record(duration.as_secs_f64(), &attributes);
            }
            Measurement::ConnectorRequest {
                method,
                route,
                status,
                duration,
            } => {
                let attributes = [
                    KeyValue::new("http.request.method", method),
                    KeyValue::new("url.template", route),
                    KeyValue::new("http.response.status_code", i64::from(status)),
                ];
                self.requests.add(1, &attributes);
                self.request_duration
                    .record(duration.as_secs_f64(), &attributes);
            }
            Measurement::ConnectorRetry {
                method,
                route,
                status,
            } => self.retries.add(
                1,
                &[
                    KeyValue::new("http.request.method", method),
                    KeyValue::new("url.template", route),
                    KeyValue::new("http.response.status_code", i64::from(status)),
                ],
            ),
            Measurement::ConnectorThrottled { method, route } => self.throttled.add(
                1,
                &[
                    KeyValue::new("http.request.method", method),
                    KeyValue::new("url.template", route),
                ],
            ),
            Measurement::TokenRefresh { outcome } => self
                .token_refreshes
                .add(1, &[KeyValue::new("botbuilder.token.outcome", outcome)]),
            Measurement::StorageConflict { scope } => self
                .storage_conflicts
                .add(1, &[KeyValue::new(attr::STATE_SCOPE, scope.to_owned())]),
            Measurement::ActiveConversations(change) => {
                self.active_conversations.add(change, &[]);
            }
            Measurement::DirectLineConnections(change) => {
                self.directline_connections.add(change, &[]);
            }
            _ => {}
        }
    }
}

/// Activity types and channel ids common enough to be worth a static string: their metric
/// attributes then allocate nothing (any other value is copied).
const ACTIVITY_TYPES: &[&str] = &[
    "message",
    "conversationUpdate",
    "invoke",
    "event",
    "typing",
    "installationUpdate",
    "messageReaction",
    "messageUpdate",
    "messageDelete",
    "endOfConversation",
];
const CHANNELS: &[&str] = &[
    "msteams",
    "webchat",
    "directline",
    "emulator",
    "slack",
    "facebook",
    "telegram",
    "test",
];

fn known(value: &str, common: &[&'static str]) -> opentelemetry::Value {
    match common.iter().find(|c| **c == value) {
        Some(common) => opentelemetry::Value::from(*common),
        None => opentelemetry::Value::from(value.to_owned()),
    }
}

/// The sampler the operator asked for: `OTEL_TRACES_SAMPLER` when set (the standard values
/// are read by the SDK; Azure Monitor's `microsoft.rate_limited` and
/// `microsoft.fixed_percentage` here), else parent-based with at most `traces_per_second`
/// new traces a second.
fn configured_sampler(options: &TelemetryOptions) -> Box<dyn ShouldSample> {
    sampler_from(options, &|name| std::env::var(name).ok())
}

fn sampler_from(
    options: &TelemetryOptions,
    var: &dyn Fn(&str) -> Option<String>,
) -> Box<dyn ShouldSample> {
    let env = |name: &str| {
        var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let argument = || {
        env("OTEL_TRACES_SAMPLER_ARG")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    match env("OTEL_TRACES_SAMPLER").as_deref() {
        Some("microsoft.rate_limited") => Box::new(Sampler::ParentBased(Box::new(
            RateLimited::new(argument().unwrap_or(DEFAULT_TRACES_PER_SECOND)),
        ))),
        Some("microsoft.fixed_percentage") => Box::new(Sampler::ParentBased(Box::new(
            Sampler::TraceIdRatioBased(argument().unwrap_or(1.0).min(1.0)),
        ))),
        Some(_) => opentelemetry_sdk::trace::Config::default().sampler,
        None => match options.traces_per_second {
            Some(rate) => Box::new(Sampler::ParentBased(Box::new(RateLimited::new(rate)))),
            None => Box::new(Sampler::ParentBased(Box::new(Sampler::AlwaysOn))),
        },
    }
}

/// Samples at most `rate` new traces a second, with bursts of up to a second's worth: the
/// generic cell rate algorithm on one atomic (the theoretical arrival time, in nanoseconds
/// since the sampler was made).
#[derive(Clone, Debug)]
struct RateLimited {
    start: Instant,
    /// Nanoseconds between two traces; 0 samples nothing.
    interval: u64,
    /// How far ahead of now the arrival time may run (one second's burst).
    burst: u64,
    arrival: std::sync::Arc<AtomicU64>,
}

impl RateLimited {
    fn new(per_second: f64) -> Self {
        let interval = if per_second > 0.0 {
            // At least one nanosecond; rates beyond 1e9 a second sample everything anyway.
            ((1e9 / per_second) as u64).max(1)
        } else {
            0
        };
        Self {
            start: Instant::now(),
            interval,
            burst: 1_000_000_000u64.max(interval),
            arrival: std::sync::Arc::new(AtomicU64::new(0)),
        }
    }

    fn admit(&self) -> bool {
        if self.interval == 0 {
            return false;
        }
        let now = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let mut arrival = self.arrival.load(Ordering::Relaxed);
        loop {
            let next = arrival.max(now).saturating_add(self.interval);
            if next - now > self.burst {
                return false;
            }
            match self.arrival.compare_exchange_weak(
                arrival,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(current) => arrival = current,
            }
        }
    }
}

impl ShouldSample for RateLimited {
    fn should_sample(
        &self,
        parent_context: Option<&opentelemetry::Context>,
        _trace_id: TraceId,
        _name: &str,
        _span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        SamplingResult {
            decision: if self.admit() {
                SamplingDecision::RecordAndSample
            } else {
                SamplingDecision::Drop
            },
            attributes: Vec::new(),
            trace_state: parent_trace_state(parent_context),
        }
    }
}

fn parent_trace_state(parent_context: Option<&opentelemetry::Context>) -> TraceState {
    parent_context
        .filter(|cx| cx.has_active_span())
        .map_or_else(TraceState::default, |cx| {
            cx.span().span_context().trace_state().clone()
        })
}

/// The tracer's sampler: a span that starts a trace in this process (no parent, or a remote
/// one) follows the decision its request or turn already made (see
/// [`botbuilder_core::telemetry::decide_trace`]), so that the decision is made once and
/// before the spans exist; every other span asks the configured sampler.
#[derive(Clone, Debug)]
struct DecidedSampler {
    inner: Box<dyn ShouldSample>,
}

impl ShouldSample for DecidedSampler {
    fn should_sample(
        &self,
        parent_context: Option<&opentelemetry::Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let local_parent = parent_context.is_some_and(|cx| {
            cx.has_active_span() && {
                let span = cx.span();
                let context = span.span_context();
                context.is_valid() && !context.is_remote()
            }
        });
        if !local_parent && let Some(sampled) = botbuilder_core::telemetry::trace_sampled() {
            return SamplingResult {
                decision: if sampled {
                    SamplingDecision::RecordAndSample
                } else {
                    SamplingDecision::Drop
                },
                attributes: Vec::new(),
                trace_state: parent_trace_state(parent_context),
            };
        }
        self.inner
            .should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}

/// Leaves out the spans of a request or turn whose trace was not sampled, unless the log
/// output wants them.
struct SkipUnsampled {
    logs: Option<Targets>,
}

impl<S: tracing::Subscriber> Layer<S> for SkipUnsampled {
    fn register_callsite(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if meta.is_span() {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::always()
        }
    }

    fn enabled(&self, meta: &tracing::Metadata<'_>, _cx: Context<'_, S>) -> bool {
        !meta.is_span()
            || botbuilder_core::telemetry::trace_sampled() != Some(false)
            || self
                .logs
                .as_ref()
                .is_some_and(|logs| logs.would_enable(meta.target(), meta.level()))
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // Enables nothing of its own.
        Some(LevelFilter::OFF)
    }
}

/// Keeps the spans and events of a request or turn whose trace was not sampled away from
/// the OpenTelemetry layer: with no other layer wanting them, they are never made.
struct SampledTraces;

impl<S> Filter<S> for SampledTraces {
    fn enabled(&self, _meta: &tracing::Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        botbuilder_core::telemetry::trace_sampled() != Some(false)
    }

    fn callsite_enabled(
        &self,
        _meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // No limit of its own; without a hint, the layer's whole filter would have none, and
        // every `trace!` callsite of the process would be live.
        Some(LevelFilter::TRACE)
    }
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

/// W3C Trace Context (`traceparent`, `tracestate`) for the SDK's spans, and the head-sampling
/// decision of incoming requests.
struct W3cPropagation {
    propagator: TraceContextPropagator,
    sampler: Box<dyn ShouldSample>,
    ids: RandomIdGenerator,
}

impl W3cPropagation {
    fn incoming(&self, get: &dyn Fn(&str) -> Option<String>) -> Option<opentelemetry::Context> {
        let carrier: HashMap<String, String> = self
            .propagator
            .fields()
            .filter_map(|name| get(name).map(|value| (name.to_owned(), value)))
            .collect();
        (!carrier.is_empty()).then(|| self.propagator.extract(&carrier))
    }
}

impl TracePropagation for W3cPropagation {
    fn extract(&self, span: &tracing::Span, get: &dyn Fn(&str) -> Option<String>) {
        if let Some(parent) = self.incoming(get) {
            // Fails only for a span already started elsewhere; it then keeps its own parent.
            let _ = span.set_parent(parent);
        }
    }

    fn inject(&self, span: &tracing::Span, set: &mut dyn FnMut(&str, String)) {
        let mut carrier = HashMap::new();
        self.propagator
            .inject_context(&span.context(), &mut carrier);
        for (name, value) in carrier {
            set(&name, value);
        }
    }

    fn sample(&self, get: &dyn Fn(&str) -> Option<String>) -> bool {
        let parent = self.incoming(get);
        let remote = parent
            .as_ref()
            .filter(|cx| cx.has_active_span())
            .map(|cx| cx.span().span_context().trace_id())
            .filter(|id| *id != TraceId::INVALID);
        let trace_id = remote.unwrap_or_else(|| self.ids.new_trace_id());
        let result = self.sampler.should_sample(
            parent.as_ref(),
            trace_id,
            "botbuilder.http.request",
            &SpanKind::Server,
            &[],
            &[],
        );
        result.decision != SamplingDecision::Drop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_decision(sampler: &dyn ShouldSample) -> SamplingDecision {
        sampler
            .should_sample(
                None,
                RandomIdGenerator::default().new_trace_id(),
                "root",
                &SpanKind::Server,
                &[],
                &[],
            )
            .decision
    }

    #[test]
    fn the_rate_limit_admits_a_seconds_burst_then_refuses() {
        let limited = RateLimited::new(3.0);
        let admitted: Vec<bool> = (0..5).map(|_| limited.admit()).collect();
        assert_eq!(admitted, [true, true, true, false, false]);
        assert!(!RateLimited::new(0.0).admit(), "0 a second samples nothing");
        let unlimited = RateLimited::new(1e12);
        assert!((0..10_000).all(|_| unlimited.admit()));
    }

    #[test]
    fn the_sampler_comes_from_the_environment_or_the_options() {
        let options = TelemetryOptions::exporting_to("http://127.0.0.1:9", OtlpProtocol::Grpc);
        let decisions = |sampler: Box<dyn ShouldSample>| -> Vec<SamplingDecision> {
            (0..4).map(|_| root_decision(&*sampler)).collect()
        };
        let keep = SamplingDecision::RecordAndSample;
        let drop = SamplingDecision::Drop;
        // Azure Monitor's rate-limited sampler: two a second, so two of four at once.
        let env = |name: &str| match name {
            "OTEL_TRACES_SAMPLER" => Some("microsoft.rate_limited".to_owned()),
            "OTEL_TRACES_SAMPLER_ARG" => Some("2".to_owned()),
            _ => None,
        };
        assert_eq!(
            decisions(sampler_from(&options, &env)),
            [keep.clone(), keep.clone(), drop.clone(), drop.clone()]
        );
        let env = |name: &str| match name {
            "OTEL_TRACES_SAMPLER" => Some("microsoft.fixed_percentage".to_owned()),
            "OTEL_TRACES_SAMPLER_ARG" => Some("0".to_owned()),
            _ => None,
        };
        assert_eq!(
            decisions(sampler_from(&options, &env)),
            vec![drop.clone(); 4]
        );
        // Unset: the options' rate (5 a second by default), or every trace with none.
        let unset = |_: &str| None;
        assert_eq!(
            decisions(sampler_from(&options, &unset)),
            vec![keep.clone(); 4]
        );
        let limited = TelemetryOptions {
            traces_per_second: Some(1.0),
            ..options.clone()
        };
        assert_eq!(
            decisions(sampler_from(&limited, &unset)),
            [keep.clone(), drop.clone(), drop.clone(), drop.clone()]
        );
        let every = TelemetryOptions {
            traces_per_second: None,
            ..options
        };
        assert_eq!(decisions(sampler_from(&every, &unset)), vec![keep; 4]);
    }

    #[tokio::test]
    async fn roots_follow_the_decision_in_scope_and_the_sampler_outside() {
        let sampler = DecidedSampler {
            inner: Box::new(Sampler::AlwaysOff),
        };
        assert_eq!(root_decision(&sampler), SamplingDecision::Drop);
        let sampled = botbuilder_core::telemetry::with_trace_decision(true, async {
            root_decision(&sampler)
        })
        .await;
        assert_eq!(sampled, SamplingDecision::RecordAndSample);
        let sampler = DecidedSampler {
            inner: Box::new(Sampler::AlwaysOn),
        };
        let unsampled = botbuilder_core::telemetry::with_trace_decision(false, async {
            root_decision(&sampler)
        })
        .await;
        assert_eq!(unsampled, SamplingDecision::Drop);
    }
}
