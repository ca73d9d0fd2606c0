//! The one place requests go out: retries, backoff, `Retry-After`, bounded bodies.

use botbuilder_core::error::report;
use std::borrow::Cow;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tracing::Instrument;

use crate::ConnectorError;
use crate::auth::secret::redact;
use crate::clock::Clock;
use crate::retry::{Replay, RetryPolicy, parse_retry_after};

/// The largest response body read (an attachment view is the largest answer).
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// An answer read in full.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) retry_after: Option<Duration>,
}

/// Sends requests with the retry policy, waiting on the clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transport<'a> {
    pub(crate) retry: &'a RetryPolicy,
    pub(crate) clock: &'a dyn Clock,
}

impl Transport<'_> {
    /// Sends the request `build` makes (once per attempt) and reads the answer.
    ///
    /// Returns the last answer, whatever its status, once it is not retryable or the retries
    /// are spent; transport failures that are not retried (or are the last) are errors.
    /// `route` names the call in its span and metrics: the method and the route template
    /// (`POST /v3/conversations/{conversationId}/activities`), never an id or a secret.
    /// `what` names the request in logs and errors (method and URL; never a secret); it is
    /// written out only when a log line or an error needs it. The request carries the
    /// trace context of its span (`traceparent`) when a trace propagation is installed.
    pub(crate) async fn send(
        &self,
        route: &'static str,
        what: &(dyn std::fmt::Display + Sync),
        replay: Replay,
        build: &(dyn Fn() -> reqwest::RequestBuilder + Send + Sync),
    ) -> Result<Answer, ConnectorError> {
        let (method, template) = route.split_once(' ').unwrap_or(("", route));
        let span = tracing::info_span!(
            "botbuilder.connector.request",
            otel.name = route,
            otel.kind = "client",
            http.request.method = method,
            url.template = template,
            http.response.status_code = tracing::field::Empty,
            http.request.resend_count = tracing::field::Empty,
            botbuilder.retry.wait_ms = tracing::field::Empty,
            error.type = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        let mut trace_headers = Vec::new();
        botbuilder_core::telemetry::inject_trace(&span, &mut |name, value| {
            trace_headers.push((name.to_owned(), value));
        });
        let started = std::time::Instant::now();
        let mut stats = Stats::default();
        let result = self
            .attempts(route, what, replay, build, &trace_headers, &mut stats)
            .instrument(span.clone())
            .await;
        let status = match &result {
            Ok(answer) => answer.status.as_u16(),
            Err(_) => 0,
        };
        if !span.is_disabled() {
            if status != 0 {
                span.record("http.response.status_code", status);
            }
            if stats.retries > 0 {
                span.record("http.request.resend_count", stats.retries);
                span.record(
                    "botbuilder.retry.wait_ms",
                    u64::try_from(stats.waited.as_millis()).unwrap_or(u64::MAX),
                );
            }
            if status == 0 || status >= 400 {
                span.record("otel.status_code", "ERROR");
                match &result {
                    Ok(answer) => span.record("error.type", answer.status.as_str()),
                    Err(_) => span.record("error.type", "transport"),
                };
            }
        }
        botbuilder_core::telemetry::record(
            botbuilder_core::telemetry::Measurement::ConnectorRequest {
                method,
                route: template,
                status,
                duration: started.elapsed(),
            },
        );
        result
    }

    async fn attempts(
        &self,
        route: &'static str,
        what: &(dyn std::fmt::Display + Sync),
        replay: Replay,
        build: &(dyn Fn() -> reqwest::RequestBuilder + Send + Sync),
        trace_headers: &[(String, String)],
        stats: &mut Stats,
    ) -> Result<Answer, ConnectorError> {
        let (method, template) = route.split_once(' ').unwrap_or(("", route));
        let mut retry = 0u32;
        loop {
            tracing::debug!(request = %what, attempt = retry + 1, "sending");
            let mut request = build();
            for (name, value) in trace_headers {
                request = request.header(name.as_str(), value.as_str());
            }
            let outcome = match request.send().await {
                Ok(response) => read(response).await,
                Err(e) => Err(ReadError::Http(e)),
            };
            match outcome {
                Ok(mut answer) => {
                    answer.retry_after = self.retry_after_of(&answer.headers);
                    tracing::debug!(request = %what, status = answer.status.as_u16(), "answered");
                    if answer.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                        botbuilder_core::telemetry::record(
                            botbuilder_core::telemetry::Measurement::ConnectorThrottled {
                                method,
                                route: template,
                            },
                        );
                    }
                    if !replay.retries_status(answer.status, answer.retry_after.is_some())
                        || retry >= self.retry.max_retries
                    {
                        return Ok(answer);
                    }
                    let wait = match answer.retry_after {
                        Some(asked) if asked > self.retry.max_retry_after => {
                            tracing::warn!(
                                request = %what,
                                status = answer.status.as_u16(),
                                retry_after_ms = u64::try_from(asked.as_millis()).unwrap_or(u64::MAX),
                                "the service asks for a longer wait than the retry policy allows; giving up"
                            );
                            return Ok(answer);
                        }
                        Some(asked) => asked,
                        None => self.retry.backoff(retry),
                    };
                    tracing::warn!(
                        request = %what,
                        status = answer.status.as_u16(),
                        retry = retry + 1,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "retrying"
                    );
                    stats.retried(wait, answer.status.as_u16(), method, template);
                    self.clock.sleep(wait).await;
                }
                Err(ReadError::Http(e)) => {
                    // The request's name (method and URL) is the context; reqwest need not
                    // repeat the URL.
                    let e = e.without_url();
                    if !replay.retries_transport(&e) || retry >= self.retry.max_retries {
                        return Err(ConnectorError::transport(what.to_string(), e));
                    }
                    let wait = self.retry.backoff(retry);
                    tracing::warn!(
                        request = %what,
                        error = %report(&e),
                        retry = retry + 1,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "retrying after a transport failure"
                    );
                    stats.retried(wait, 0, method, template);
                    self.clock.sleep(wait).await;
                }
                Err(ReadError::TooLarge) => {
                    return Err(ConnectorError::InvalidResponse {
                        context: what.to_string(),
                        source: format!("body larger than {MAX_BODY_BYTES} bytes").into(),
                    });
                }
            }
            retry += 1;
        }
    }

    /// The wall clock, for `Retry-After` dates.
    fn now(&self) -> std::time::SystemTime {
        self.clock.now()
    }
}

/// What the retries of one call cost, for its span.
#[derive(Default)]
struct Stats {
    retries: u32,
    waited: Duration,
}

impl Stats {
    fn retried(
        &mut self,
        wait: Duration,
        status: u16,
        method: &'static str,
        template: &'static str,
    ) {
        self.retries += 1;
        self.waited += wait;
        botbuilder_core::telemetry::record(
            botbuilder_core::telemetry::Measurement::ConnectorRetry {
                method,
                route: template,
                status,
            },
        );
    }
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

impl From<reqwest::Error> for ReadError {
    fn from(e: reqwest::Error) -> Self {
        ReadError::Http(e)
    }
}

async fn read(mut response: reqwest::Response) -> Result<Answer, ReadError> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body: body.freeze(),
        retry_after: None,
    })
}

impl Answer {
    /// The answer with `secret` removed from its body (see [`redact`]): for error answers,
    /// whose text ends up in errors and logs, from services that echo the request.
    pub(crate) fn redacting(mut self, secret: &str) -> Self {
        let redacted = match redact(&String::from_utf8_lossy(&self.body), secret) {
            Cow::Owned(text) => Some(text),
            Cow::Borrowed(_) => None,
        };
        if let Some(text) = redacted {
            self.body = Bytes::from(text);
        }
        self
    }
}

impl Transport<'_> {
    /// Fills `retry_after` from the headers.
    pub(crate) fn retry_after_of(&self, headers: &HeaderMap) -> Option<Duration> {
        headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, self.now()))
    }
}
