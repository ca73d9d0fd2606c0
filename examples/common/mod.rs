//! What every example's `main` shares, so each `main.rs` shows only its bot's wiring:
//! settings from the environment (and `.env`), logging, and [`Host`], which serves the bot
//! (`/api/messages`, the chat page and its local Direct Line endpoint, and any routes of the
//! example's own) with a start banner until ctrl-c or SIGTERM. Included with
//! `#[path = "../common/mod.rs"] mod common;`.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `PORT` | 3978 | the port to listen on |
//! | `HOST` | `127.0.0.1` when anonymous, else `0.0.0.0` | the address to listen on |
//! | `BOT_STORAGE` | `sqlite:<name>.db` | the store of examples that keep state (`memory`, `sqlite:PATH`, `redis://…`, `postgres://…`) |
//! | `BOT_STATE_DIR` | `.` | where the default SQLite file goes |
//! | `DirectLineSecret` | none | the chat page's secret, needed to serve it beyond loopback |
//! | `RUST_LOG` | `info` | log filter |
//!
//! and BotBuilder's keys (`MicrosoftAppId`, `MicrosoftAppPassword`, ...): see
//! `docs/configuration.md`. An example reads keys of its own with [`Settings::get`].

// The start banner is for the person who ran the example.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use botbuilder::directline::{self, DirectLine};
use botbuilder::hosting;
use botbuilder::prelude::*;
use tracing_subscriber::EnvFilter;

/// The port used when `PORT` is not set, as BotBuilder's samples and the Emulator expect.
pub(crate) const DEFAULT_PORT: u16 = 3978;

/// The example's settings: where to listen, the bot's identity, and any other key.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) host: IpAddr,
    pub(crate) port: u16,
    pub(crate) bot: BotConfig,
    /// Every value from `.env` and the environment, for the example's own keys. Not printed
    /// by `Debug` (it holds the app password).
    values: Values,
}

#[derive(Clone, Default)]
struct Values(HashMap<String, String>);

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} values>", self.0.len())
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
    /// Reads BotBuilder's keys with [`BotConfig::from_env`], and the rest from the process
    /// environment over a `.env` file in the working directory.
    pub(crate) fn from_env() -> Result<Self, BoxError> {
        let bot = BotConfig::from_env()?;
        let mut values = HashMap::new();
        if let Ok(iter) = dotenvy::dotenv_iter() {
            for item in iter {
                let (key, value) = item?;
                values.insert(key, value);
            }
        }
        values.extend(std::env::vars());
        Ok(Self::from_values(values, bot)?)
    }

    /// The settings from a map of values (the tests' way in).
    pub(crate) fn from_values(
        values: HashMap<String, String>,
        bot: BotConfig,
    ) -> Result<Self, SettingsError> {
        let values = Values(values);
        let port = match get(&values, "PORT") {
            None => DEFAULT_PORT,
            Some(p) => p.parse::<u16>().map_err(|_| SettingsError {
                key: "PORT",
                message: format!("`{p}` is not a port number (1-65535)"),
            })?,
        };
        let host = match get(&values, "HOST") {
            Some(h) => h.parse::<IpAddr>().map_err(|_| SettingsError {
                key: "HOST",
                message: format!("`{h}` is not an IP address (such as 127.0.0.1 or 0.0.0.0)"),
            })?,
            // Local development listens on loopback only; a bot with an app id is meant to
            // be reached by a channel.
            None if bot.is_anonymous() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        Ok(Self {
            host,
            port,
            bot,
            values,
        })
    }

    /// An example's own setting, trimmed; `None` when unset or empty.
    #[allow(dead_code)] // not every example has settings of its own
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        get(&self.values, key)
    }

    /// The store URL: `BOT_STORAGE`, or a SQLite file named `default_file` in `BOT_STATE_DIR`
    /// (default: the working directory).
    #[allow(dead_code)] // not every example keeps state
    pub(crate) fn storage_url(&self, default_file: &str) -> String {
        self.get("BOT_STORAGE").unwrap_or_else(|| {
            let dir = self
                .get("BOT_STATE_DIR")
                .map_or_else(|| PathBuf::from("."), PathBuf::from);
            format!("sqlite:{}", dir.join(default_file).display())
        })
    }

    pub(crate) fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

fn get(values: &Values, key: &str) -> Option<String> {
    values
        .0
        .get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Logs to stdout, filtered by `RUST_LOG` (default `info`).
pub(crate) fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
}

/// Exit code 0, or 1 after printing the error on one line.
pub(crate) fn exit_code(result: Result<(), BoxError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", botbuilder::core::error::report(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// A store URL fit to print: SQLite paths and `memory` as they are, a server's URL with its
/// password (in the user info or a `password` parameter) replaced by `***`
/// (`postgres://bot:***@db/bot`).
#[allow(dead_code)] // not every example keeps state
pub(crate) fn describe_store(url: &str) -> String {
    botbuilder::storage::redact_url(url)
}

/// How an example is served: the banner's title, the first message of its `curl` line, its
/// notes, and routes of its own. [`Host::serve`] binds the settings' address and serves
/// `POST /api/messages`, `GET /healthz`, the chat page (`/chat`) and its local Direct Line
/// endpoint (on loopback, or with a `DirectLineSecret`), and the extra routes, until ctrl-c
/// or SIGTERM. A part that cannot start (the port is taken, a Direct Line setting is
/// invalid) is an error, and nothing is served.
///
/// ```text
/// common::Host::new("Echo bot", "hello")
///     .note("State", common::describe_store(&store_url))
///     .serve(&settings, adapter, Arc::new(bot))
///     .await
/// ```
pub(crate) struct Host {
    title: String,
    first_message: String,
    notes: Vec<(&'static str, String)>,
    routes: Router,
}

impl Host {
    /// A host whose banner is titled `title` and whose `curl` line sends `first_message`.
    pub(crate) fn new(title: impl Into<String>, first_message: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            first_message: first_message.into(),
            notes: Vec::new(),
            routes: Router::new(),
        }
    }

    /// A `label: value` line of the banner, after the chat page's.
    #[must_use]
    #[allow(dead_code)] // not every example has notes
    pub(crate) fn note(mut self, label: &'static str, value: impl Into<String>) -> Self {
        self.notes.push((label, value.into()));
        self
    }

    /// Routes of the example's own, served beside the bot's.
    #[must_use]
    #[allow(dead_code)] // only the flagship has routes of its own
    pub(crate) fn routes(mut self, routes: Router) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// Binds the settings' address, prints the banner, and serves until ctrl-c or SIGTERM.
    pub(crate) async fn serve(
        self,
        settings: &Settings,
        adapter: CloudAdapter,
        bot: Arc<dyn Bot>,
    ) -> Result<(), BoxError> {
        let address = settings.address();
        let server = hosting::Server::bind(address)
            .await
            .map_err(|e| format!("{e} (set PORT or HOST)"))?;
        let bound = server.local_addr();
        let mut router = hosting::router(adapter.clone(), Arc::clone(&bot))
            .merge(hosting::health_route())
            .merge(self.routes);
        // The chat page and its local Direct Line endpoint: on loopback, or beyond it with a
        // `DirectLineSecret`. Without either the bot serves its channels and the banner says
        // why there is no chat page; a Direct Line setting that is set but invalid stops the
        // start (nothing is served).
        let secret = settings.get(directline::SECRET_KEY);
        let chat = if bound.ip().is_loopback() || secret.is_some() {
            let mut direct_line = DirectLine::builder(adapter, bot, bound);
            if let Some(secret) = secret {
                direct_line = direct_line.secret(secret);
            }
            let direct_line = direct_line.build()?;
            router = router.merge(direct_line.router());
            direct_line.chat_url().map_or_else(
                || "off (no chat page)".to_owned(),
                |url| format!("{url} (each tab is its own conversation)"),
            )
        } else {
            format!(
                "off (set {} to serve the chat page beyond loopback)",
                directline::SECRET_KEY
            )
        };

        let shown = if bound.ip().is_unspecified() {
            format!("localhost:{}", bound.port())
        } else {
            bound.to_string()
        };
        let text = serde_json::Value::from(self.first_message);
        println!("{} listening on http://{bound}", self.title);
        line(
            "Emulator",
            &format!("open http://{shown}/api/messages (no app id or password)"),
        );
        line(
            "curl",
            &format!(
                "curl -s http://{shown}/api/messages -H 'Content-Type: application/json' -d \
                 '{{\"type\":\"message\",\"text\":{text},\"channelId\":\"emulator\",\
                 \"serviceUrl\":\"http://localhost\",\"conversation\":{{\"id\":\"c1\"}},\
                 \"from\":{{\"id\":\"u1\"}},\"recipient\":{{\"id\":\"bot\"}},\
                 \"deliveryMode\":\"expectReplies\"}}'"
            ),
        );
        line("Chat in a browser", &chat);
        for (label, value) in &self.notes {
            line(label, value);
        }
        if settings.bot.is_anonymous() {
            line(
                "Mode",
                "anonymous (set MicrosoftAppId and MicrosoftAppPassword to connect a channel)",
            );
        }
        server.serve(router).await?;
        println!("Stopped.");
        Ok(())
    }
}

/// One `label: value` line of the banner, the values lined up.
fn line(label: &str, value: &str) {
    println!("  {:<9} {value}", format!("{label}:"));
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
        let s = Settings::from_values(HashMap::new(), BotConfig::anonymous()).unwrap();
        assert_eq!(s.address(), "127.0.0.1:3978".parse().unwrap());
        assert_eq!(s.storage_url("echo.db"), "sqlite:./echo.db");
        assert_eq!(s.get("BROADCAST_PER_SECOND"), None);
    }

    #[test]
    fn a_bot_with_an_app_id_listens_on_every_interface() {
        let bot = BotConfig::new("app-id", "password");
        let s = Settings::from_values(HashMap::new(), bot).unwrap();
        assert_eq!(s.host, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn settings_name_the_bad_key() {
        let err = Settings::from_values(values(&[("PORT", "eighty")]), BotConfig::anonymous())
            .unwrap_err();
        assert_eq!(err.key, "PORT");
        assert_eq!(
            err.to_string(),
            "invalid setting `PORT`: `eighty` is not a port number (1-65535)"
        );
        let err = Settings::from_values(values(&[("HOST", "localhost")]), BotConfig::anonymous())
            .unwrap_err();
        assert_eq!(err.key, "HOST");
    }

    #[test]
    fn storage_and_state_dir() {
        let s = Settings::from_values(
            values(&[("BOT_STATE_DIR", "/var/lib/bot"), ("PORT", " 8080 ")]),
            BotConfig::anonymous(),
        )
        .unwrap();
        assert_eq!(s.port, 8080);
        assert_eq!(s.storage_url("state.db"), "sqlite:/var/lib/bot/state.db");
        let s = Settings::from_values(values(&[("BOT_STORAGE", "memory")]), BotConfig::anonymous())
            .unwrap();
        assert_eq!(s.storage_url("state.db"), "memory");
    }

    #[test]
    fn store_urls_are_shown_without_credentials() {
        assert_eq!(describe_store("sqlite:./a.db"), "sqlite:./a.db");
        assert_eq!(describe_store("memory"), "memory");
        let cases = [
            ("postgres://bot:s3cret@db/bot", "postgres://bot:***@db/bot"),
            ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
            ("redis://u:pa@ss/word@cache/0", "redis://u:***@cache/0"),
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            ("redis://user@127.0.0.1/0", "redis://user@127.0.0.1/0"),
            (
                "postgres://db/bot?user=bot&password=s3cret&table=t",
                "postgres://db/bot?user=bot&password=***&table=t",
            ),
        ];
        for (url, shown) in cases {
            assert_eq!(describe_store(url), shown);
        }
    }

    fn on_a_free_port(extra: &[(&str, &str)]) -> Settings {
        let mut pairs = vec![("PORT", "0"), ("HOST", "127.0.0.1")];
        pairs.extend_from_slice(extra);
        Settings::from_values(values(&pairs), BotConfig::anonymous()).unwrap()
    }

    fn echo() -> (CloudAdapter, Arc<dyn Bot>) {
        struct Quiet;
        #[async_trait]
        impl ActivityHandler for Quiet {}
        let adapter = CloudAdapter::new(&BotConfig::anonymous()).unwrap();
        (adapter, Arc::new(Quiet))
    }

    #[tokio::test]
    async fn an_invalid_direct_line_secret_stops_the_start() {
        let settings = on_a_free_port(&[("DirectLineSecret", "short")]);
        let (adapter, bot) = echo();
        let served = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            Host::new("Test bot", "hi").serve(&settings, adapter, bot),
        )
        .await
        .expect("the start fails at once, serving nothing");
        assert_eq!(
            served.unwrap_err().to_string(),
            "invalid setting `DirectLineSecret`: must be at least 16 characters long"
        );
    }

    #[tokio::test]
    async fn a_taken_port_stops_the_start() {
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = taken.local_addr().unwrap().port().to_string();
        let settings = on_a_free_port(&[("PORT", port.as_str())]);
        let (adapter, bot) = echo();
        let error = Host::new("Test bot", "hi")
            .serve(&settings, adapter, bot)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("cannot listen on 127.0.0.1:{port}"))
                && error.ends_with("(set PORT or HOST)"),
            "{error}"
        );
    }

    #[test]
    fn debug_shows_no_value() {
        let s = Settings::from_values(
            values(&[
                ("MicrosoftAppPassword", "s3cret"),
                ("BOT_STORAGE", "postgres://u:pw@h/db"),
                ("JOBS_API_KEY", "k3y"),
            ]),
            BotConfig::anonymous(),
        )
        .unwrap();
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("pw@") && !debug.contains("k3y"),
            "{debug}"
        );
    }
}
