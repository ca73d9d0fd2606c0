//! How the dialog examples are served, the way the flagship (`examples/proactive`) is:
//! settings from the environment over a `.env` file, a durable store, the adapter, and
//! `POST /api/messages` until ctrl-c or SIGTERM.
//!
//! | setting | meaning | default |
//! |---|---|---|
//! | `MicrosoftAppId`, `MicrosoftAppPassword`, ... | the bot's identity (BotBuilder's keys) | none: anonymous, for the Emulator |
//! | `PORT` | the port | 3978 |
//! | `HOST` | the address to listen on | `127.0.0.1` when anonymous, else `0.0.0.0` |
//! | `BOT_STORAGE` | the store, by URL: `memory`, `sqlite:PATH`, `redis://…`, `postgres://…` | `sqlite:<BOT_STATE_DIR>/<example>.db` |
//! | `BOT_STATE_DIR` | where the default SQLite file goes | the working directory |

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use botbuilder::core::storage::Storage;
use botbuilder::prelude::*;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// The example's settings.
pub(crate) struct Settings {
    pub(crate) address: SocketAddr,
    pub(crate) storage_url: String,
    pub(crate) bot: BotConfig,
}

impl Settings {
    /// Reads the settings from the process environment over `.env`; `db_file` names the
    /// default SQLite file.
    pub(crate) fn from_env(db_file: &str) -> Result<Self, AnyError> {
        let bot = BotConfig::from_env()?;
        let mut values: HashMap<String, String> = HashMap::new();
        if let Ok(iter) = dotenvy::dotenv_iter() {
            for item in iter {
                let (key, value) = item?;
                values.insert(key, value);
            }
        }
        values.extend(std::env::vars());
        Self::from_values(&values, bot, db_file)
    }

    /// The settings from a map of values.
    pub(crate) fn from_values(
        values: &HashMap<String, String>,
        bot: BotConfig,
        db_file: &str,
    ) -> Result<Self, AnyError> {
        let get = |key: &str| {
            values
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let port = match get("PORT") {
            None => 3978,
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| format!("invalid setting `PORT`: `{p}` is not a port number"))?,
        };
        let host = match get("HOST") {
            Some(h) => h
                .parse::<IpAddr>()
                .map_err(|_| format!("invalid setting `HOST`: `{h}` is not an IP address"))?,
            // Anonymous is local development: listen on loopback only.
            None if bot.is_anonymous() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        let storage_url = get("BOT_STORAGE").unwrap_or_else(|| {
            let dir = get("BOT_STATE_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
            format!("sqlite:{}", dir.join(db_file).display())
        });
        Ok(Settings {
            address: SocketAddr::new(host, port),
            storage_url,
            bot,
        })
    }
}

/// What to show of a store URL: its scheme only when it may carry a password.
pub(crate) fn describe_store(url: &str) -> &str {
    match url.split_once("://") {
        Some((scheme, _)) => scheme,
        None => url,
    }
}

/// Opens the store, builds the bot on it, and serves it until ctrl-c or SIGTERM.
// An example program talks to its user on the terminal.
#[allow(clippy::print_stdout)]
pub(crate) async fn serve(
    name: &str,
    settings: Settings,
    make_bot: impl FnOnce(Arc<dyn Storage>) -> Arc<dyn Bot>,
) -> Result<(), AnyError> {
    let storage = botbuilder::storage::open(&settings.storage_url).await?;
    let adapter = CloudAdapter::new(&settings.bot)?;
    let bot = make_bot(storage);
    let mut router = botbuilder::hosting::router(adapter.clone(), Arc::clone(&bot));
    let listener = tokio::net::TcpListener::bind(settings.address)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {} (set PORT or HOST): {e}",
                settings.address
            )
        })?;
    let bound = listener.local_addr()?;
    // The chat page and its local Direct Line endpoint (beyond loopback only with a
    // `DirectLineSecret`).
    let direct_line = botbuilder::directline::DirectLine::from_env(adapter, bot, bound);
    if let Ok(direct_line) = &direct_line {
        router = router.merge(direct_line.router());
    }
    let shown = if bound.ip().is_unspecified() {
        format!("localhost:{}", bound.port())
    } else {
        bound.to_string()
    };
    println!("{name} listening on http://{bound}");
    println!("  Bot Framework Emulator: open http://{shown}/api/messages");
    match &direct_line {
        Ok(direct_line) => {
            if let Some(url) = direct_line.chat_url() {
                println!("  Chat in a browser: {url}");
            }
        }
        Err(error) => println!("  Chat in a browser: off ({error})"),
    }
    println!("  State: {}", describe_store(&settings.storage_url));
    if settings.bot.is_anonymous() {
        println!(
            "  Mode:  anonymous (set MicrosoftAppId and MicrosoftAppPassword to connect a channel)"
        );
    }
    botbuilder::hosting::serve_with_shutdown(
        listener,
        router,
        botbuilder::hosting::shutdown_signal(),
    )
    .await?;
    println!("Stopped.");
    Ok(())
}
