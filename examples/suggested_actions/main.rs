//! The suggested actions bot: `cargo run --example suggested_actions`.
//!
//! ```text
//! (the user opens the chat)
//! bot:  Welcome! I ask questions with suggested actions: tap a button to answer.
//! bot:  What is your favourite colour?          [Red] [Yellow] [Blue]
//! user: Red                                     <- tapped: the button posts its title
//! bot:  Red is a fine choice.
//! bot:  What is your favourite colour?          [Red] [Yellow] [Blue]
//! user: green
//! bot:  Please pick one of: Red, Yellow, Blue.
//! bot:  What is your favourite colour?          [Red] [Yellow] [Blue]
//! ```
//!
//! BotBuilder's sample 08 (suggested actions), in Rust. Listening and bot settings are the
//! echo example's (`PORT`, `MicrosoftAppId`, ...).

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
    let adapter = CloudAdapter::new(&config)?;
    let bot: Arc<dyn Bot> = Arc::new(bot::SuggestedActionsBot);
    let banner = common::Banner::new("Suggested actions bot", "Red");

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
