//! The welcome bot: `cargo run --example welcome`.
//!
//! ```text
//! (Ada opens the chat for the first time)
//! bot:  Welcome, Ada! Here is what I can do.
//!       [card: "Welcome to botbuilder-rs" | intro | Get started | Bot Framework docs]
//! user: hi
//! bot:  Hi Ada!
//! (Ada comes back in a new conversation)
//! bot:  Welcome back, Ada!
//! user: intro
//! bot:  [card: "Welcome to botbuilder-rs" | ...]
//! ```
//!
//! Who was welcomed is kept in user state (`{channelId}/users/{userId}`, property
//! `DidBotWelcomeUser`), in `welcome-bot.db` (SQLite) in the working directory, or under
//! `BOT_STATE_DIR`; `BOT_STORAGE` picks another store by URL. With the Emulator, restarting the
//! conversation with the same user id shows the "welcome back", with a new user id the card.
//! Listening and bot settings are the echo example's (`PORT`, `MicrosoftAppId`, ...).

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
    let store_url = settings.storage_url("welcome-bot.db");
    let bot = bot::WelcomeBot::new(botbuilder::storage::open(&store_url).await?);
    let adapter = CloudAdapter::new(&config)?.with_middleware(bot.auto_save());
    let bot: Arc<dyn Bot> = Arc::new(bot);
    let banner =
        common::Banner::new("Welcome bot", "hi").note("State", common::describe_store(&store_url));

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
