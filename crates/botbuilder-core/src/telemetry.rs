//! What the SDK tells an operator: `tracing` spans per turn, metrics as `tracing` events, the
//! personal-information switch, and the hook that carries W3C trace context across HTTP.
//!
//! Nothing here needs OpenTelemetry: spans and metric events are plain `tracing` data, free when
//! no subscriber listens. The facade's `telemetry` module (feature `otel`) exports them over
//! OTLP; any other `tracing` subscriber sees them too.
//!
//! - **Spans** (level `INFO`): `botbuilder.turn` (one per turn), with children
//!   `botbuilder.middleware`, `botbuilder.state.load`, `botbuilder.state.save` here, and in
//!   `botbuilder-connector` the HTTP server span, authentication, every connector call and
//!   token acquisition. Attribute names are in [`attr`].
//! - **Metrics** are typed [`Measurement`]s handed to [`record`]. With a [`MetricsRecorder`]
//!   installed (the facade's `telemetry::init` installs one that feeds OpenTelemetry
//!   instruments directly), they go to it; without one they become `TRACE` events of target
//!   [`METRICS_TARGET`] whose fields follow the `tracing-opentelemetry` convention
//!   (`monotonic_counter.NAME`, `counter.NAME`, `histogram.NAME`; the other fields are the
//!   metric's attributes), for any `tracing` subscriber. Names are in [`metric`].
//! - **Sampling**: an adapter asks [`decide_trace`] once per incoming request whether its
//!   trace is recorded, and runs the request inside [`with_trace_decision`]; spans made inside
//!   can then be left out cheaply by a subscriber that reads [`trace_sampled`]. Proactive turns
//!   decide for themselves.
//! - **Personal information** (message text, user names and ids) stays out of spans and events
//!   unless [`set_log_personal_information`] turned it on.
//! - **Trace context**: an adapter calls [`continue_trace`] with an incoming request's headers
//!   and [`inject_trace`] for outgoing requests; both do nothing until a [`TracePropagation`]
//!   is installed (the facade's `telemetry::init` installs the W3C one).
//!
//! ```
//! use botbuilder_core::telemetry;
//!
//! assert!(!telemetry::log_personal_information()); // off unless the operator turns it on
//! let span = tracing::info_span!("incoming");
//! // Without an installed propagation these do nothing.
//! telemetry::continue_trace(&span, &|_| {
//!     Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned())
//! });
//! let mut headers = Vec::new();
//! telemetry::inject_trace(&span, &mut |name, value| headers.push((name.to_owned(), value)));
//! assert!(headers.is_empty());
//! ```

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The target of the events that carry metrics (level `TRACE`, so that a log subscriber at
/// the usual levels never prints them).
pub const METRICS_TARGET: &str = "botbuilder::metrics";

/// Span names.
pub mod span {
    /// One turn, incoming or proactive.
    pub const TURN: &str = "botbuilder.turn";
    /// One middleware (it covers the middleware after it and the bot).
    pub const MIDDLEWARE: &str = "botbuilder.middleware";
    /// Reading a state scope from storage.
    pub const STATE_LOAD: &str = "botbuilder.state.load";
    /// Writing a state scope to storage.
    pub const STATE_SAVE: &str = "botbuilder.state.save";
    /// A storage operation.
    pub const STORAGE: &str = "botbuilder.storage";
}

/// Span and metric attribute names. OpenTelemetry semantic-convention names where one exists
/// (`http.*`, `url.*`, `db.*`, `error.type`), `botbuilder.*` otherwise.
pub mod attr {
    /// The activity type (`message`, `conversationUpdate`, ...).
    pub const ACTIVITY_TYPE: &str = "botbuilder.activity.type";
    /// The channel id (`msteams`, `webchat`, ...).
    pub const CHANNEL: &str = "botbuilder.channel";
    /// The conversation id.
    pub const CONVERSATION_ID: &str = "botbuilder.conversation.id";
    /// The bot's app id (Microsoft App ID).
    pub const BOT_APP_ID: &str = "botbuilder.bot.app_id";
    /// Whether the turn is proactive (`continue_conversation`).
    pub const PROACTIVE: &str = "botbuilder.turn.proactive";
    /// How the turn ended: `ok`, `error` or `panic`.
    pub const OUTCOME: &str = "botbuilder.turn.outcome";
    /// The middleware's type name.
    pub const MIDDLEWARE_NAME: &str = "botbuilder.middleware.name";
    /// The state scope (`ConversationState`, `UserState`, ...).
    pub const STATE_SCOPE: &str = "botbuilder.state.scope";
    /// The storage operation: `read`, `write` or `delete`.
    pub const STORAGE_OPERATION: &str = "db.operation.name";
    /// The sender's id: only with personal-information logging on.
    pub const USER_ID: &str = "enduser.id";
}

/// Metric names (instruments). Durations are in seconds.
pub mod metric {
    /// Counter: turns, by activity type, channel and outcome.
    pub const TURNS: &str = "botbuilder.turns";
    /// Histogram (s): turn duration, by activity type, channel and outcome.
    pub const TURN_DURATION: &str = "botbuilder.turn.duration";
    /// Counter: connector (and token) requests, by method, route template and status.
    pub const CONNECTOR_REQUESTS: &str = "botbuilder.connector.requests";
    /// Histogram (s): connector request latency (retries included), by method, route and status.
    pub const CONNECTOR_DURATION: &str = "botbuilder.connector.request.duration";
    /// Counter: retries of connector requests, by method, route and status (0: transport).
    pub const CONNECTOR_RETRIES: &str = "botbuilder.connector.retries";
    /// Counter: 429 (Too Many Requests) answers, by method and route.
    pub const CONNECTOR_THROTTLED: &str = "botbuilder.connector.throttled";
    /// Counter: app tokens acquired from the identity provider (cache misses and refreshes).
    pub const TOKEN_REFRESHES: &str = "botbuilder.token.refreshes";
    /// Counter: storage writes refused because the eTag did not match.
    pub const STORAGE_CONFLICTS: &str = "botbuilder.storage.conflicts";
    /// Up-down counter: conversations with a turn running or waiting (the ordering table).
    pub const ACTIVE_CONVERSATIONS: &str = "botbuilder.ordering.active_conversations";
    /// Up-down counter: open Direct Line WebSocket connections.
    pub const DIRECTLINE_CONNECTIONS: &str = "botbuilder.directline.connections";
}

static LOG_PERSONAL_INFORMATION: AtomicBool = AtomicBool::new(false);

/// Turns logging of personal information (message text, user ids and names) in spans and
/// activity-log events on or off, for the whole process. Off by default, as in BotBuilder.
pub fn set_log_personal_information(on: bool) {
    LOG_PERSONAL_INFORMATION.store(on, Ordering::Relaxed);
}

/// Whether personal information may appear in spans and activity-log events.
#[must_use]
pub fn log_personal_information() -> bool {
    LOG_PERSONAL_INFORMATION.load(Ordering::Relaxed)
}

/// Carries trace context in and out of HTTP headers for `tracing` spans. The facade's
/// `telemetry::init` (feature `otel`) installs the W3C Trace Context one; a bot with its own
/// OpenTelemetry setup implements this with its propagator.
pub trait TracePropagation: Send + Sync {
    /// Makes `span` continue the trace named by the incoming headers (`get` reads a header by
    /// its lowercase name), if any.
    fn extract(&self, span: &tracing::Span, get: &dyn Fn(&str) -> Option<String>);

    /// Writes the headers that carry `span`'s trace context (`traceparent`, `tracestate`).
    fn inject(&self, span: &tracing::Span, set: &mut dyn FnMut(&str, String));

    /// Whether the trace of a request with these headers (or, with no trace context in them,
    /// a new trace) is recorded: the head-sampling decision, made once before any span of the
    /// request exists. Records everything unless overridden.
    fn sample(&self, get: &dyn Fn(&str) -> Option<String>) -> bool {
        let _ = get;
        true
    }
}

static PROPAGATION: OnceLock<Box<dyn TracePropagation>> = OnceLock::new();

/// The error of [`set_trace_propagation`] when one is already installed.
#[derive(Debug)]
pub struct PropagationAlreadySet;

impl fmt::Display for PropagationAlreadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a trace propagation is already installed")
    }
}

impl std::error::Error for PropagationAlreadySet {}

/// Installs the process's trace propagation (once).
///
/// # Errors
/// [`PropagationAlreadySet`] when one was installed before.
pub fn set_trace_propagation(
    propagation: impl TracePropagation + 'static,
) -> Result<(), PropagationAlreadySet> {
    PROPAGATION
        .set(Box::new(propagation))
        .map_err(|_| PropagationAlreadySet)
}

/// Makes `span` continue the trace of an incoming request (see [`TracePropagation::extract`]);
/// nothing without an installed propagation or when `span` is disabled.
pub fn continue_trace(span: &tracing::Span, get: &dyn Fn(&str) -> Option<String>) {
    if let Some(propagation) = PROPAGATION.get()
        && !span.is_disabled()
    {
        propagation.extract(span, get);
    }
}

/// Writes the trace-context headers of `span` for an outgoing request (see
/// [`TracePropagation::inject`]); nothing without an installed propagation or when `span` is
/// disabled.
pub fn inject_trace(span: &tracing::Span, set: &mut dyn FnMut(&str, String)) {
    if let Some(propagation) = PROPAGATION.get()
        && !span.is_disabled()
    {
        propagation.inject(span, set);
    }
}

/// The head-sampling decision for a request with these headers (see
/// [`TracePropagation::sample`]); `None` when no propagation is installed (nothing to decide).
#[must_use]
pub fn decide_trace(get: &dyn Fn(&str) -> Option<String>) -> Option<bool> {
    PROPAGATION.get().map(|propagation| propagation.sample(get))
}

tokio::task_local! {
    static TRACE_SAMPLED: bool;
}

/// Runs `work` with the sampling decision of its trace in scope (see [`trace_sampled`]).
pub fn with_trace_decision<F: Future>(sampled: bool, work: F) -> impl Future<Output = F::Output> {
    TRACE_SAMPLED.scope(sampled, work)
}

/// Whether the trace the current task works for is recorded: `Some(false)` inside a request
/// or turn whose trace was not sampled, `None` outside any decision. A `tracing` layer that
/// exports traces reads it to leave the spans of unsampled turns out before they are made.
#[must_use]
pub fn trace_sampled() -> Option<bool> {
    TRACE_SAMPLED.try_with(|sampled| *sampled).ok()
}

/// One measurement of the SDK's metrics (see [`metric`] for the instruments).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Measurement<'a> {
    /// A turn ended ([`metric::TURNS`], [`metric::TURN_DURATION`]).
    Turn {
        /// The activity type.
        activity_type: &'a str,
        /// The channel id.
        channel: &'a str,
        /// `ok`, `error` or `panic`.
        outcome: &'static str,
        /// How long the turn took.
        duration: Duration,
    },
    /// A connector request ended, retries included ([`metric::CONNECTOR_REQUESTS`],
    /// [`metric::CONNECTOR_DURATION`]).
    ConnectorRequest {
        /// The HTTP method.
        method: &'static str,
        /// The route template (never an id).
        route: &'static str,
        /// The final status; 0 when no answer came.
        status: u16,
        /// How long the request took.
        duration: Duration,
    },
    /// A connector request is retried ([`metric::CONNECTOR_RETRIES`]).
    ConnectorRetry {
        /// The HTTP method.
        method: &'static str,
        /// The route template.
        route: &'static str,
        /// The status that caused the retry; 0 for a transport failure.
        status: u16,
    },
    /// A connector request was answered 429 ([`metric::CONNECTOR_THROTTLED`]).
    ConnectorThrottled {
        /// The HTTP method.
        method: &'static str,
        /// The route template.
        route: &'static str,
    },
    /// An app token was fetched ([`metric::TOKEN_REFRESHES`]).
    TokenRefresh {
        /// `ok` or `error`.
        outcome: &'static str,
    },
    /// A storage write was refused by eTag ([`metric::STORAGE_CONFLICTS`]).
    StorageConflict {
        /// The state scope that was written.
        scope: &'a str,
    },
    /// Conversations in the ordering table went up or down by this much
    /// ([`metric::ACTIVE_CONVERSATIONS`]).
    ActiveConversations(i64),
    /// Open Direct Line WebSocket connections went up or down by this much
    /// ([`metric::DIRECTLINE_CONNECTIONS`]).
    DirectLineConnections(i64),
}

/// Receives the SDK's [`Measurement`]s; installed once per process with
/// [`set_metrics_recorder`]. It is called on the turn's path: keep it cheap.
pub trait MetricsRecorder: Send + Sync {
    /// Records one measurement.
    fn record(&self, measurement: &Measurement<'_>);
}

static RECORDER: OnceLock<Box<dyn MetricsRecorder>> = OnceLock::new();

/// The error of [`set_metrics_recorder`] when one is already installed.
#[derive(Debug)]
pub struct RecorderAlreadySet;

impl fmt::Display for RecorderAlreadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a metrics recorder is already installed")
    }
}

impl std::error::Error for RecorderAlreadySet {}

/// Installs the process's metrics recorder (once).
///
/// # Errors
/// [`RecorderAlreadySet`] when one was installed before.
pub fn set_metrics_recorder(
    recorder: impl MetricsRecorder + 'static,
) -> Result<(), RecorderAlreadySet> {
    RECORDER
        .set(Box::new(recorder))
        .map_err(|_| RecorderAlreadySet)
}

/// Records a measurement: to the installed [`MetricsRecorder`], or else as a `TRACE` event of
/// target [`METRICS_TARGET`] (free when no subscriber listens at that level).
pub fn record(measurement: Measurement<'_>) {
    if let Some(recorder) = RECORDER.get() {
        recorder.record(&measurement);
        return;
    }
    match measurement {
        Measurement::Turn {
            activity_type,
            channel,
            outcome,
            duration,
        } => tracing::event!(
            target: "botbuilder::metrics",
            tracing::Level::TRACE,
            monotonic_counter.botbuilder.turns = 1_u64,
            histogram.botbuilder.turn.duration = duration.as_secs_f64(),
            botbuilder.activity.type = activity_type,
            botbuilder.channel = channel,
            botbuilder.turn.outcome = outcome
        ),
        Measurement::ConnectorRequest {
            method,
            route,
            status,
            duration,
        } => tracing::event!(
            target: "botbuilder::metrics",
            tracing::Level::TRACE,
            monotonic_counter.botbuilder.connector.requests = 1_u64,
            histogram.botbuilder.connector.request.duration = duration.as_secs_f64(),
            http.request.method = method,
            url.template = route,
            http.response.status_code = status
        ),
        Measurement::ConnectorRetry {
            method,
            route,
            status,
        } => tracing::event!(
            target: "botbuilder::metrics",
            tracing::Level::TRACE,
            monotonic_counter.botbuilder.connector.retries = 1_u64,
            http.request.method = method,
            url.template = route,
            http.response.status_code = status
        ),
        Measurement::ConnectorThrottled { method, route } => tracing::event!(
            target: "botbuilder::metrics",
            tracing::Level::TRACE,
            monotonic_counter.botbuilder.connector.throttled = 1_u64,
            http.request.method = method,
            url.template = route
        ),
        Measurement::TokenRefresh { outcome } => tracing::event!(
            target: "botbuilder::metrics",
            tracing::Level::TRACE,
            monotonic_counter.botbuilder.token.refreshes = 1_u64,
            botbuilder.token.outcome = outcome
        ),
        Measurement::StorageConflict { scope } => tracing::event!(
            target: "botbuilder::metrics",
            tracing::Level::TRACE,
            monotonic_counter.botbuilder.storage.conflicts = 1_u64,
            botbuilder.state.scope = scope
        ),
        Measurement::ActiveConversations(change) => tracing::event!(
            target: "botbuilder::metrics",
            tracing::Level::TRACE,
            counter.botbuilder.ordering.active_conversations = change
        ),
        Measurement::DirectLineConnections(change) => tracing::event!(
            target: "botbuilder::metrics",
            tracing::Level::TRACE,
            counter.botbuilder.directline.connections = change
        ),
    }
}

/// A type's name without its module path (`AutoSaveStateMiddleware`), for span attributes.
#[must_use]
pub fn short_type_name(full: &'static str) -> &'static str {
    // Generic arguments keep their paths; the name itself is the last segment before them.
    let head = full.split('<').next().unwrap_or(full);
    let start = head.rfind("::").map_or(0, |i| i + 2);
    &full[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("a::b::Middle"), "Middle");
        assert_eq!(short_type_name("Plain"), "Plain");
        assert_eq!(short_type_name("a::Gen<b::C>"), "Gen<b::C>");
    }
}
