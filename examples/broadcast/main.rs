//! The broadcast bot: `cargo run --example broadcast`.
//!
//! ```text
//! window 1  user: hi
//!           bot:  I send announcements to every conversation I know. `broadcast <text>` ...
//! window 2  user: hello
//!           bot:  I send announcements to every conversation I know. ...
//! window 1  user: broadcast Lunch is served
//!           bot:  Broadcasting to 2 conversations, at most 10 a second. I will report here.
//!           bot:  Announcement: Lunch is served                   <- proactive
//! window 2  bot:  Announcement: Lunch is served                   <- proactive
//! window 1  bot:  Broadcast to 2 conversations: delivered 2, failed 0.
//! ```
//!
//! A conversation the bot cannot reach now is reported with the reason, for example
//! `- msteams/a:1Xy…: send activities failed: the connector service refused the request
//! (403 Forbidden): BotNotInConversationRoster` (the bot was removed from it), and its send
//! waits in the store's outbox, retried with backoff for up to 24 hours.
//!
//! The conversations are kept in `broadcast-bot.db` (SQLite) in the working directory, or
//! under `BOT_STATE_DIR`; `BOT_STORAGE` picks another store by URL. `BROADCAST_PER_SECOND`
//! (default 10) and `BROADCAST_CONCURRENCY` (default 4) set the pace. Listening and bot
//! settings are the echo example's (`PORT`, `MicrosoftAppId`, ...). With the Emulator, open two
//! conversations (two tabs) and broadcast from one.

mod bot;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::sync::Arc;

use botbuilder::directline::{ChatPage, DirectLine};
use botbuilder::hosting;
use botbuilder::prelude::*;
use common::{Settings, SettingsError};

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = common::init_tracing();
    common::exit_code(run().await)
}

/// A positive number from the settings, or `default`.
fn positive<T>(settings: &Settings, key: &'static str, default: T) -> Result<T, SettingsError>
where
    T: std::str::FromStr + Default + PartialOrd,
{
    match settings.get(key) {
        None => Ok(default),
        Some(value) => value
            .parse::<T>()
            .ok()
            .filter(|n| *n > T::default())
            .ok_or(SettingsError {
                key,
                message: format!("`{value}` is not a positive whole number"),
            }),
    }
}

async fn run() -> Result<(), BoxError> {
    // The bot's identity: BotBuilder's keys (`MicrosoftAppId`, ...), none for anonymous.
    let config = BotConfig::from_env()?;
    let settings = Settings::from_env(config.clone())?;
    let defaults = bot::Pace::default();
    let pace = bot::Pace {
        per_second: positive(&settings, "BROADCAST_PER_SECOND", defaults.per_second)?,
        concurrency: positive(&settings, "BROADCAST_CONCURRENCY", defaults.concurrency)?,
    };
    let store_url = settings.storage_url("broadcast-bot.db");
    let bot = bot::BroadcastBot::new(botbuilder::storage::open(&store_url).await?).with_pace(pace);
    let known = bot.known_conversations().await?.len();
    let adapter = CloudAdapter::new(&config)?;
    // Retries the sends the channel refused, including those of an earlier run.
    let _outbox = bot.outbox().spawn(Arc::new(adapter.clone()));
    let audience = format!(
        "{known} conversation(s); {} sends a second, {} at a time",
        pace.per_second, pace.concurrency
    );
    let bot: Arc<dyn Bot> = Arc::new(bot);
    let banner = common::Banner::new("Broadcast bot", "hi")
        .note("State", common::describe_store(&store_url))
        .note("Audience", audience);

    // Listen, then serve `/api/messages`, `/healthz`, and the chat page with its local Direct
    // Line endpoint where it may be served: on loopback, or beyond it with a `DirectLineSecret`.
    let server = hosting::Server::bind(settings.address())
        .await
        .map_err(|e| format!("{e} (set PORT or HOST)"))?;
    let mut app = hosting::router(adapter.clone(), bot.clone()).merge(hosting::health_route());
    let direct_line = DirectLine::from_env_if_allowed(adapter, bot, server.local_addr())?;
    if let Some(direct_line) = &direct_line {
        app = app.merge(direct_line.router());
    }
    banner.print(
        &settings,
        server.local_addr(),
        &ChatPage::of(direct_line.as_ref()),
    );
    server
        .with_graceful_shutdown(hosting::shutdown_signal())
        .serve(app)
        .await?;
    Ok(())
}
