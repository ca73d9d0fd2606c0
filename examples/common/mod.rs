//! The examples' plumbing, not the SDK's: their settings from the environment (and `.env`),
//! logging, the exit code, and the start [`Banner`]. Each `main.rs` makes the SDK calls
//! itself (the adapter, the server, the routes, the chat page). Included with
//! `#[path = "../common/mod.rs"] mod common;`.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `PORT` | 3978 | the port to listen on |
//! | `HOST` | `127.0.0.1` when anonymous, else `0.0.0.0` | the address to listen on |
//! | `BOT_STORAGE` | `sqlite:<name>.db` | the store of examples that keep state (`memory`, `sqlite:PATH`, `redis://…`, `postgres://…`) |
//! | `BOT_STATE_DIR` | `.` | where the default SQLite file goes |
//! | `DirectLineSecret` | none | the chat page's secret, needed to serve it beyond loopback (read by `DirectLine::from_env_if_allowed` in `main.rs`) |
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

use botbuilder::directline::{ChatPage, SECRET_KEY};
use botbuilder::prelude::*;
#[cfg(not(feature = "otel"))]
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
    /// The settings of a bot with identity `bot` (from [`BotConfig::from_env`]), the rest read
    /// from the process environment over a `.env` file in the working directory.
    pub(crate) fn from_env(bot: BotConfig) -> Result<Self, BoxError> {
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

/// Logs to stdout, filtered by `RUST_LOG` (default `info`); built with feature `otel` and with
/// `OTEL_EXPORTER_OTLP_ENDPOINT` set, also exports traces and metrics over OTLP
/// (`docs/observability.md`). Keep the guard until the end of `main`: dropping it flushes.
#[cfg(feature = "otel")]
#[must_use = "dropping the guard stops the export"]
pub(crate) fn init_tracing() -> Option<botbuilder::telemetry::Telemetry> {
    match botbuilder::telemetry::init() {
        Ok(telemetry) => Some(telemetry),
        Err(error) => {
            eprintln!("telemetry: {}", botbuilder::core::error::report(&error));
            None
        }
    }
}

/// Logs to stdout, filtered by `RUST_LOG` (default `info`). (Built with feature `otel`, this
/// also exports traces and metrics over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.)
#[cfg(not(feature = "otel"))]
#[must_use = "the same signature as with feature `otel`, whose guard must be kept"]
pub(crate) fn init_tracing() -> Option<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    None
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

/// The start banner: the example's title, the message its `curl` line sends, and notes of its
/// own. [`lines`](Self::lines) says how to reach the bot as it runs: the Emulator with or
/// without an app id, `curl` only when the bot is anonymous, the chat page or why there is
/// none, and the bot's mode. No line holds the app password.
#[derive(Clone, Debug)]
pub(crate) struct Banner {
    title: String,
    first_message: String,
    notes: Vec<(&'static str, String)>,
}

impl Banner {
    /// A banner titled `title` whose `curl` line sends `first_message`.
    pub(crate) fn new(title: impl Into<String>, first_message: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            first_message: first_message.into(),
            notes: Vec::new(),
        }
    }

    /// A `label: value` line, after the chat page's.
    #[must_use]
    #[allow(dead_code)] // not every example has notes
    pub(crate) fn note(mut self, label: &'static str, value: impl Into<String>) -> Self {
        self.notes.push((label, value.into()));
        self
    }

    /// The banner of a bot with `settings`, bound to `bound`, whose chat page is `chat`.
    pub(crate) fn lines(
        &self,
        settings: &Settings,
        bound: SocketAddr,
        chat: &ChatPage,
    ) -> Vec<String> {
        let shown = if bound.ip().is_unspecified() {
            format!("localhost:{}", bound.port())
        } else {
            bound.to_string()
        };
        let messages = format!("http://{shown}/api/messages");
        let app_id = settings.bot.effective_app_id();
        let mut lines = vec![format!("{} listening on http://{bound}", self.title)];
        let mut line = |label: &str, value: String| {
            lines.push(format!("  {:<9} {value}", format!("{label}:")));
        };
        match app_id {
            None => {
                line(
                    "Emulator",
                    format!("open {messages} (no app id or password)"),
                );
                let text = serde_json::Value::from(self.first_message.as_str());
                line(
                    "curl",
                    format!(
                        "curl -s {messages} -H 'Content-Type: application/json' -d \
                         '{{\"type\":\"message\",\"text\":{text},\"channelId\":\"emulator\",\
                         \"serviceUrl\":\"http://localhost\",\"conversation\":{{\"id\":\"c1\"}},\
                         \"from\":{{\"id\":\"u1\"}},\"recipient\":{{\"id\":\"bot\"}},\
                         \"deliveryMode\":\"expectReplies\"}}'"
                    ),
                );
            }
            Some(id) => {
                line(
                    "Emulator",
                    format!("open {messages} with app id {id} and its password"),
                );
                line(
                    "curl",
                    "none: requests to /api/messages need a channel's token (the bot has an app id)"
                        .to_owned(),
                );
            }
        }
        let chat = match chat {
            ChatPage::Served {
                url,
                needs_secret: false,
            } => format!("{url} (each tab is its own conversation)"),
            ChatPage::Served {
                url,
                needs_secret: true,
            } => format!("{url} (it asks for the {SECRET_KEY}; each tab is its own conversation)"),
            ChatPage::Disabled => "off (no chat page)".to_owned(),
            ChatPage::NeedsSecret => {
                format!("off (listening beyond loopback: set {SECRET_KEY} to serve the chat page)")
            }
        };
        line("Chat in a browser", chat);
        for (label, value) in &self.notes {
            line(label, value.clone());
        }
        // An anonymous bot accepts activities nobody authenticated and replies to the
        // `serviceUrl` they name: beyond loopback, anyone on the network could drive it.
        let beyond_loopback = botbuilder::connector::listen::is_beyond_loopback(&bound);
        line(
            "Mode",
            match app_id {
                None if !beyond_loopback => {
                    "anonymous, loopback only (set MicrosoftAppId and MicrosoftAppPassword to connect a channel)"
                        .to_owned()
                }
                None if settings.bot.allow_anonymous_beyond_loopback => {
                    "anonymous and reachable beyond loopback (AllowAnonymousBeyondLoopback): anyone who reaches it drives it; replies go only to loopback and trusted hosts"
                        .to_owned()
                }
                None => {
                    "anonymous beyond loopback: every request is refused (403), as anyone on the network could drive the bot; set MicrosoftAppId, HOST=127.0.0.1, or AllowAnonymousBeyondLoopback=true"
                        .to_owned()
                }
                Some(id) => format!("authenticated as app id {id}"),
            },
        );
        lines
    }

    /// Prints [`lines`](Self::lines).
    pub(crate) fn print(&self, settings: &Settings, bound: SocketAddr, chat: &ChatPage) {
        for line in self.lines(settings, bound, chat) {
            println!("{line}");
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

    /// The banner of a test bot with `bot`'s identity, bound to `bound`.
    fn banner(bot: BotConfig, bound: &str, chat: &ChatPage) -> Vec<String> {
        let settings = Settings::from_values(HashMap::new(), bot).unwrap();
        Banner::new("Test bot", "hi").note("State", "memory").lines(
            &settings,
            bound.parse().unwrap(),
            chat,
        )
    }

    /// The value of the banner line labelled `label`.
    fn value<'a>(lines: &'a [String], label: &str) -> Option<&'a str> {
        let label = format!("{label}:");
        lines
            .iter()
            .find_map(|l| l.trim_start().strip_prefix(label.as_str()))
            .map(str::trim)
    }

    fn served(url: &str, needs_secret: bool) -> ChatPage {
        ChatPage::Served {
            url: url.to_owned(),
            needs_secret,
        }
    }

    #[test]
    fn the_banner_of_an_anonymous_bot_on_loopback() {
        let lines = banner(
            BotConfig::anonymous(),
            "127.0.0.1:3978",
            &served("http://127.0.0.1:3978/chat", false),
        );
        assert_eq!(lines[0], "Test bot listening on http://127.0.0.1:3978");
        assert_eq!(
            value(&lines, "Emulator"),
            Some("open http://127.0.0.1:3978/api/messages (no app id or password)")
        );
        let curl = value(&lines, "curl").unwrap();
        assert!(
            curl.starts_with("curl -s http://127.0.0.1:3978/api/messages ")
                && curl.contains(r#""text":"hi""#)
                && curl.contains(r#""deliveryMode":"expectReplies""#),
            "{curl}"
        );
        assert_eq!(
            value(&lines, "Chat in a browser"),
            Some("http://127.0.0.1:3978/chat (each tab is its own conversation)")
        );
        assert_eq!(value(&lines, "State"), Some("memory"));
        assert!(value(&lines, "Mode").unwrap().starts_with("anonymous"));
    }

    #[test]
    fn the_banner_of_a_bot_with_an_app_id() {
        let bot = BotConfig::new("app-1234", "pa55word-of-the-app");
        let lines = banner(bot, "0.0.0.0:3978", &ChatPage::NeedsSecret);
        assert_eq!(lines[0], "Test bot listening on http://0.0.0.0:3978");
        assert_eq!(
            value(&lines, "Emulator"),
            Some("open http://localhost:3978/api/messages with app id app-1234 and its password")
        );
        let curl = value(&lines, "curl").unwrap();
        assert!(
            !curl.contains("curl -s") && curl.contains("need a channel's token"),
            "{curl}"
        );
        assert_eq!(
            value(&lines, "Mode"),
            Some("authenticated as app id app-1234")
        );
        let all = lines.join("\n");
        assert!(!all.contains("pa55word"), "{all}");
        assert!(!all.contains("no app id"), "{all}");
    }

    #[test]
    fn beyond_loopback_without_a_secret_the_banner_says_why_there_is_no_chat_page() {
        let lines = banner(
            BotConfig::anonymous(),
            "0.0.0.0:3978",
            &ChatPage::NeedsSecret,
        );
        assert_eq!(
            value(&lines, "Chat in a browser"),
            Some("off (listening beyond loopback: set DirectLineSecret to serve the chat page)")
        );
    }

    #[test]
    fn with_a_direct_line_secret_the_banner_says_the_page_asks_for_it() {
        let bot = BotConfig::new("app-1234", "pa55word-of-the-app");
        let lines = banner(
            bot,
            "0.0.0.0:3978",
            &served("http://127.0.0.1:3978/chat", true),
        );
        assert_eq!(
            value(&lines, "Chat in a browser"),
            Some(
                "http://127.0.0.1:3978/chat (it asks for the DirectLineSecret; each tab is its own conversation)"
            )
        );
        let lines = banner(
            BotConfig::anonymous(),
            "127.0.0.1:3978",
            &ChatPage::Disabled,
        );
        assert_eq!(
            value(&lines, "Chat in a browser"),
            Some("off (no chat page)")
        );
    }

    #[test]
    fn beyond_loopback_an_anonymous_bot_says_why_it_refuses() {
        let lines = banner(
            BotConfig::anonymous(),
            "0.0.0.0:3978",
            &ChatPage::NeedsSecret,
        );
        let mode = value(&lines, "Mode").unwrap();
        assert!(
            mode.starts_with("anonymous beyond loopback: every request is refused (403)")
                && mode.contains("AllowAnonymousBeyondLoopback=true"),
            "{mode}"
        );
        let open = BotConfig::from_map([("AllowAnonymousBeyondLoopback", "true")]).unwrap();
        let lines = banner(open, "0.0.0.0:3978", &ChatPage::NeedsSecret);
        let mode = value(&lines, "Mode").unwrap();
        assert!(
            mode.contains("replies go only to loopback and trusted hosts"),
            "{mode}"
        );
        let lines = banner(
            BotConfig::anonymous(),
            "127.0.0.1:3978",
            &ChatPage::Disabled,
        );
        assert!(
            value(&lines, "Mode")
                .unwrap()
                .starts_with("anonymous, loopback only"),
            "{lines:?}"
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
