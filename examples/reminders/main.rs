//! The reminders bot: `cargo run --example reminders`.
//!
//! ```text
//! user: remind me in 10 seconds to stretch
//! bot:  OK, I will remind you to stretch in 10 seconds.
//! user: remind me to call Bob in 2 minutes
//! bot:  OK, I will remind you to call Bob in 2 minutes.
//! (3 seconds later)
//! user: reminders
//! bot:  Pending reminders:
//!       - stretch, in 7 seconds
//!       - call Bob, in 1 minute 57 seconds
//! (10 seconds after the first message)
//! bot:  Reminder: stretch                     <- a proactive message
//! (stop the bot, start it again a few minutes later)
//! bot:  Reminder: call Bob                    <- overdue: sent as soon as the bot is back
//! ```
//!
//! A reminder the channel refuses (it is down, or throttles) waits in the store's outbox and
//! is retried with backoff, across restarts, for up to 24 hours. Pending reminders survive
//! restarts: they are kept in `reminders-bot.db` (SQLite) in the
//! working directory, or under `BOT_STATE_DIR`; `BOT_STORAGE` picks another store by URL
//! (`memory`, `sqlite:PATH`, `redis://…`, `postgres://…`). On start the bot schedules them
//! again. Listening and bot settings are the echo example's (`PORT`, `MicrosoftAppId`, ...).
//! With the Emulator, leave the conversation open: the reminder is sent to it. `curl` with
//! `expectReplies` cannot show a reminder (it arrives after the response); see
//! `docs/proactive.md`.

mod bot;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::sync::Arc;

use botbuilder::directline::{ChatPage, DirectLine};
use botbuilder::hosting;
use botbuilder::prelude::*;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = common::init_tracing();
    common::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    // The bot's identity: BotBuilder's keys (`MicrosoftAppId`, ...), none for anonymous.
    let config = BotConfig::from_env()?;
    let settings = common::Settings::from_env(config.clone())?;
    let store_url = settings.storage_url("reminders-bot.db");
    let bot = bot::RemindersBot::new(botbuilder::storage::open(&store_url).await?);
    let adapter = CloudAdapter::new(&config)?;
    // Reminders set before a restart: schedule them again (overdue ones fire at once).
    let pending = bot.start(Arc::new(adapter.clone())).await?;
    // Retries the reminders the channel refused, including those of an earlier run.
    let _outbox = bot.outbox().spawn(Arc::new(adapter.clone()));
    let bot: Arc<dyn Bot> = Arc::new(bot);
    let banner = common::Banner::new("Reminders bot", "remind me in 10 seconds to stretch")
        .note("State", common::describe_store(&store_url))
        .note("Pending", format!("{pending} reminder(s) rescheduled"));

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
