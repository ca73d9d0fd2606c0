//! The proactive bot's server: settings from the environment, the store, the adapter, and the
//! HTTP routes (`/api/messages` and the jobs API).

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use botbuilder::connector::ConnectorError;
use botbuilder::prelude::*;
use serde_json::{Value, json};

use crate::bot::{Completion, JobBot};

/// The store used when `BOT_STORAGE` is not set: a SQLite file in the working directory (or
/// under `BOT_STATE_DIR`).
pub(crate) const DEFAULT_DB_FILE: &str = "proactive-bot.db";

/// The port used when `PORT` is not set, as BotBuilder's samples and the Emulator expect.
pub(crate) const DEFAULT_PORT: u16 = 3978;

/// Everything the example reads from the environment (and `.env`).
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) host: IpAddr,
    pub(crate) port: u16,
    pub(crate) storage_url: String,
    pub(crate) jobs_api_key: Option<String>,
    pub(crate) bot: BotConfig,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("storage", &redact_url(&self.storage_url))
            .field(
                "jobs_api_key",
                &self.jobs_api_key.as_ref().map(|_| "<redacted>"),
            )
            .field("bot", &self.bot)
            .finish()
    }
}

/// A bad setting, naming its key.
#[derive(Debug)]
pub(crate) struct SettingsError {
    pub(crate) key: &'static str,
    pub(crate) message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid setting `{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Reads the settings from the process environment over a `.env` file in the working
    /// directory (BotBuilder's keys for the bot; `PORT`, `HOST`, `BOT_STORAGE`,
    /// `BOT_STATE_DIR`, `JOBS_API_KEY` for the example).
    pub(crate) fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        // BotBuilder's keys, with a clear error for a malformed `.env` or a bad value.
        let bot = BotConfig::from_env()?;
        let mut values: HashMap<String, String> = HashMap::new();
        if let Ok(iter) = dotenvy::dotenv_iter() {
            for item in iter {
                let (key, value) = item?;
                values.insert(key, value);
            }
        }
        values.extend(std::env::vars());
        Ok(Self::from_values(&values, bot)?)
    }

    /// The example's own settings from a map of values.
    pub(crate) fn from_values(
        values: &HashMap<String, String>,
        bot: BotConfig,
    ) -> Result<Self, SettingsError> {
        let get = |key: &str| {
            values
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let port = match get("PORT") {
            None => DEFAULT_PORT,
            Some(p) => p.parse::<u16>().map_err(|_| SettingsError {
                key: "PORT",
                message: format!("`{p}` is not a port number (1-65535)"),
            })?,
        };
        let host = match get("HOST") {
            Some(h) => h.parse::<IpAddr>().map_err(|_| SettingsError {
                key: "HOST",
                message: format!("`{h}` is not an IP address (such as 127.0.0.1 or 0.0.0.0)"),
            })?,
            // An anonymous bot (local development) listens on loopback only; a bot with an
            // app id is meant to be reached by a channel.
            None if bot.is_anonymous() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        let storage_url = match get("BOT_STORAGE") {
            Some(url) => url,
            None => {
                let dir = get("BOT_STATE_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
                let path = dir.join(DEFAULT_DB_FILE);
                format!("sqlite:{}", path.display())
            }
        };
        Ok(Self {
            host,
            port,
            storage_url,
            jobs_api_key: get("JOBS_API_KEY"),
            bot,
        })
    }

    pub(crate) fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// The URL of a store with any password replaced, for logs and the start banner.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The running parts of the example.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) adapter: CloudAdapter,
    pub(crate) bot: JobBot,
    pub(crate) jobs_api_key: Option<String>,
}

impl App {
    /// Opens the store and builds the adapter.
    pub(crate) async fn build(
        settings: &Settings,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let storage = botbuilder::storage::open(&settings.storage_url).await?;
        let adapter = CloudAdapter::new(&settings.bot)?;
        Ok(Self {
            adapter,
            bot: JobBot::new(storage),
            jobs_api_key: settings.jobs_api_key.clone(),
        })
    }

    /// `/api/messages` (and the health route) plus the jobs API.
    pub(crate) fn router(&self) -> Router {
        let bot: Arc<dyn Bot> = Arc::new(self.bot.clone());
        botbuilder::hosting::router(self.adapter.clone(), bot).merge(
            Router::new()
                .route("/api/jobs", get(list_jobs))
                .route("/api/jobs/{number}/complete", post(complete_job))
                .with_state(self.clone()),
        )
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
            tracing::error!(%error, "could not read the job log");
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
        Ok(Completion::Completed) => {
            axum::Json(json!({ "number": number, "completed": true, "notified": true }))
                .into_response()
        }
        Ok(Completion::Unknown) => {
            problem(StatusCode::NOT_FOUND, format!("there is no job {number}"))
        }
        Ok(Completion::AlreadyComplete) => problem(
            StatusCode::CONFLICT,
            format!("job {number} is already complete"),
        ),
        Err(error) => {
            let throttled = matches!(
                std::error::Error::source(&error).and_then(|s| s.downcast_ref::<ConnectorError>()),
                Some(ConnectorError::Throttled { .. })
            );
            tracing::error!(%error, job = number, "could not complete the job");
            if throttled {
                problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the channel is busy; try again later",
                )
            } else {
                problem(
                    StatusCode::BAD_GATEWAY,
                    format!("job {number} could not be completed: the notification failed"),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_need_no_configuration() {
        let s = Settings::from_values(&HashMap::new(), BotConfig::anonymous()).unwrap();
        assert_eq!(s.port, 3978);
        assert_eq!(s.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(s.storage_url, "sqlite:./proactive-bot.db");
        assert!(s.jobs_api_key.is_none());
    }

    #[test]
    fn settings_name_the_bad_key() {
        let err = Settings::from_values(&values(&[("PORT", "eighty")]), BotConfig::anonymous())
            .unwrap_err();
        assert_eq!(err.key, "PORT");
        assert!(err.to_string().contains("`PORT`"));
        let err =
            Settings::from_values(&values(&[("HOST", "localhost:80")]), BotConfig::anonymous())
                .unwrap_err();
        assert_eq!(err.key, "HOST");
    }

    #[test]
    fn storage_and_state_dir() {
        let s = Settings::from_values(
            &values(&[("BOT_STATE_DIR", "/var/lib/bot")]),
            BotConfig::anonymous(),
        )
        .unwrap();
        assert_eq!(s.storage_url, "sqlite:/var/lib/bot/proactive-bot.db");
        let s = Settings::from_values(
            &values(&[("BOT_STORAGE", "memory")]),
            BotConfig::anonymous(),
        )
        .unwrap();
        assert_eq!(s.storage_url, "memory");
    }

    #[test]
    fn passwords_in_store_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://bot:s3cret@127.0.0.1/bot"),
            "postgres://bot:***@127.0.0.1/bot"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(redact_url("sqlite:bot.db"), "sqlite:bot.db");
        let s = Settings::from_values(
            &values(&[
                ("BOT_STORAGE", "postgres://u:pw@h/db"),
                ("JOBS_API_KEY", "k3y"),
            ]),
            BotConfig::anonymous(),
        )
        .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("pw@") && !debug.contains("k3y"), "{debug}");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
