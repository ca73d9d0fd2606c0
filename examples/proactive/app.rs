//! The proactive bot's running parts: the store, the adapter, the bot, the outbox of its
//! notifications, and the jobs API (`GET /api/jobs`, `POST /api/jobs/{number}/complete`,
//! `GET /api/outbox`), served beside `/api/messages`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use botbuilder::core::ChannelFailure;
use botbuilder::core::error::report;
use botbuilder::core::outbox::{OutboxPolicy, OutboxWorker};
use botbuilder::prelude::*;
use serde_json::{Value, json};

use crate::bot::{Completion, JobBot};
use crate::common::{self, Banner, Settings};

/// The store used when `BOT_STORAGE` is not set: a SQLite file in the working directory (or
/// under `BOT_STATE_DIR`).
pub(crate) const DEFAULT_DB_FILE: &str = "proactive-bot.db";

/// The running parts of the example.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) adapter: CloudAdapter,
    pub(crate) bot: JobBot,
    pub(crate) jobs_api_key: Option<String>,
}

impl App {
    /// Opens the store (`BOT_STORAGE`, or [`DEFAULT_DB_FILE`]) and builds the adapter;
    /// `JOBS_API_KEY`, when set, guards the jobs API.
    pub(crate) async fn build(settings: &Settings) -> Result<Self, BoxError> {
        Self::build_with(settings, OutboxPolicy::default()).await
    }

    /// As [`build`](Self::build), with the outbox retrying as `policy` says.
    pub(crate) async fn build_with(
        settings: &Settings,
        policy: OutboxPolicy,
    ) -> Result<Self, BoxError> {
        let storage = botbuilder::storage::open(&settings.storage_url(DEFAULT_DB_FILE)).await?;
        let adapter = CloudAdapter::new(&settings.bot)?;
        let bot = JobBot::new(storage);
        let outbox = bot.outbox().clone().with_policy(policy);
        Ok(Self {
            adapter,
            bot: bot.with_outbox(outbox),
            jobs_api_key: settings.get("JOBS_API_KEY"),
        })
    }

    /// Starts the outbox's worker: it retries the notifications the channel refused, those
    /// left by an earlier run or another instance included, until the handle is dropped.
    pub(crate) fn start_outbox(&self) -> OutboxWorker {
        self.bot.outbox().spawn(Arc::new(self.adapter.clone()))
    }

    /// The jobs API: `GET /api/jobs`, `POST /api/jobs/{number}/complete` and
    /// `GET /api/outbox` (the notifications not delivered yet).
    pub(crate) fn jobs_api(&self) -> Router {
        Router::new()
            .route("/api/jobs", get(list_jobs))
            .route("/api/jobs/{number}/complete", post(complete_job))
            .route("/api/outbox", get(list_outbox))
            .with_state(self.clone())
    }

    /// Checks that the app may serve on `listen`: an anonymous bot only on loopback (unless
    /// `AllowAnonymousBeyondLoopback=true`), and the jobs API beyond loopback only with a
    /// `JOBS_API_KEY`: without one, anyone who reaches it could list every conversation and
    /// complete any job (the rule the Direct Line endpoint follows for its secret).
    #[allow(dead_code)] // `main` and the tests use it, not every test
    pub(crate) fn check_listen(&self, listen: std::net::SocketAddr) -> Result<(), BoxError> {
        self.adapter.check_listen(listen)?;
        botbuilder::connector::listen::require_beyond_loopback(
            listen,
            self.jobs_api_key.is_some(),
            "JOBS_API_KEY",
            "the jobs API (anyone who reaches it could list every conversation and complete any job)",
        )?;
        Ok(())
    }

    /// The start banner: how to reach the bot, the jobs API (and whether it takes a key) and
    /// where the job log is kept.
    #[allow(dead_code)] // `main` and the end-to-end test use it, not every test
    pub(crate) fn banner(&self, settings: &Settings) -> Banner {
        let guard = if self.jobs_api_key.is_some() {
            "each needs `Authorization: Bearer <JOBS_API_KEY>`"
        } else {
            "no JOBS_API_KEY: loopback only, as anyone reaching it could list conversations and complete jobs"
        };
        Banner::new("Proactive job bot", "run")
            .note(
                "Jobs API",
                format!(
                    "GET /api/jobs, POST /api/jobs/<number>/complete, GET /api/outbox ({guard})"
                ),
            )
            .note(
                "Job log",
                common::describe_store(&settings.storage_url(DEFAULT_DB_FILE)),
            )
    }

    /// `/api/messages` (and the health route) plus the jobs API, without the chat page.
    #[allow(dead_code)] // the end-to-end test serves this; `main` builds its own routes
    pub(crate) fn router(&self) -> Router {
        let bot: Arc<dyn Bot> = Arc::new(self.bot.clone());
        botbuilder::hosting::router(self.adapter.clone(), bot).merge(self.jobs_api())
    }
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// Checks `Authorization: Bearer <JOBS_API_KEY>` when a key is configured.
fn authorize(app: &App, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let Some(expected) = app.jobs_api_key.as_deref() else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        let mut response = problem(
            StatusCode::UNAUTHORIZED,
            "this endpoint needs `Authorization: Bearer <JOBS_API_KEY>`",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        Err(Box::new(response))
    }
}

/// Compares without stopping at the first difference, so the time taken says nothing about
/// how much of a guessed key was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn list_jobs(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(denied) = authorize(&app, &headers) {
        return *denied;
    }
    match app.bot.jobs().await {
        Ok(jobs) => {
            let list: Vec<Value> = jobs
                .values()
                .map(|job| {
                    json!({
                        "number": job.time_stamp,
                        "completed": job.completed,
                        "channelId": job.conversation.channel_id,
                        "conversationId": job.conversation.conversation_id(),
                    })
                })
                .collect();
            axum::Json(json!({ "jobs": list })).into_response()
        }
        Err(error) => {
            tracing::error!(error = %report(&error), "could not read the job log");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the job log cannot be read right now",
            )
        }
    }
}

async fn complete_job(
    State(app): State<App>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    if let Err(denied) = authorize(&app, &headers) {
        return *denied;
    }
    let Ok(number) = number.trim().parse::<u64>() else {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("`{number}` is not a job number"),
        );
    };
    match app.bot.complete_job(&app.adapter, number).await {
        Ok(Completion::Notified) => axum::Json(json!({
            "number": number,
            "completed": true,
            "notified": true,
            "status": "complete; user notified",
        }))
        .into_response(),
        // The channel refused or could not be reached: the notification waits in the outbox,
        // which retries it (and survives a restart).
        Ok(Completion::Queued { id, error, channel }) => {
            let (reason, retry_after) = queued_reason(channel.as_ref());
            (
                StatusCode::ACCEPTED,
                axum::Json(json!({
                    "number": number,
                    "completed": true,
                    "notified": false,
                    "status": "complete; notification queued",
                    "reason": reason,
                    "retryAfterSeconds": retry_after,
                    "outboxId": id,
                    "lastError": error,
                })),
            )
                .into_response()
        }
        Ok(Completion::Undeliverable { id, error }) => axum::Json(json!({
            "number": number,
            "completed": true,
            "notified": false,
            "status": "complete; the notification cannot be delivered",
            "outboxId": id,
            "lastError": error,
        }))
        .into_response(),
        Ok(Completion::Unknown) => {
            problem(StatusCode::NOT_FOUND, format!("there is no job {number}"))
        }
        Ok(Completion::AlreadyComplete) => problem(
            StatusCode::CONFLICT,
            format!("job {number} is already complete"),
        ),
        // The job log or the outbox could not be written: nothing was completed or sent.
        Err(error) => {
            tracing::error!(error = %report(&error), job = number, "could not complete the job");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "job {number} could not be completed now: the store is unavailable; try again"
                ),
            )
        }
    }
}

/// Why a notification waits in the outbox, by what the channel did: `(reason, seconds the
/// channel asked to wait)`.
fn queued_reason(channel: Option<&ChannelFailure>) -> (String, Option<u64>) {
    match channel {
        Some(ChannelFailure::Throttled { retry_after }) => (
            "the channel is busy (429); the outbox retries when it allows".to_owned(),
            // Whole seconds, rounded up.
            retry_after.map(|wait| wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
        ),
        Some(ChannelFailure::Refused { status, code }) => {
            let code = code
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default();
            (
                format!("the channel refused the notification ({status}{code})"),
                None,
            )
        }
        Some(ChannelFailure::Unreachable) => ("the channel cannot be reached".to_owned(), None),
        _ => ("the notification failed".to_owned(), None),
    }
}

/// The notifications not delivered yet: pending (with attempts, last error, next try) and
/// given up.
async fn list_outbox(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(denied) = authorize(&app, &headers) {
        return *denied;
    }
    match app.bot.outbox().entries().await {
        Ok(entries) => {
            let list: Vec<Value> = entries
                .iter()
                .map(|entry| {
                    json!({
                        "id": entry.id,
                        "state": entry.state,
                        "conversationId": entry.reference.conversation_id(),
                        "attempts": entry.attempts,
                        "lastError": entry.last_error,
                        "nextAttemptMs": entry.next_attempt_ms,
                    })
                })
                .collect();
            axum::Json(json!({ "entries": list })).into_response()
        }
        Err(error) => {
            tracing::error!(error = %report(&error), "could not read the outbox");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the outbox cannot be read right now",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
