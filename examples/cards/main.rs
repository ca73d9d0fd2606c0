//! The cards bot: `cargo run --example cards`.
//!
//! ```text
//! (the user opens the chat)
//! bot:  Welcome! Which card would you like to see?     [hero] [thumbnail] [adaptive] [all]
//! user: hero
//! bot:  [hero card: large image, "Hero card", buttons thumbnail | About cards]
//! user: thumbnail
//! bot:  [thumbnail card: small image, "Thumbnail card", button adaptive]
//! user: adaptive
//! bot:  [Adaptive Card: title, text, facts, a 1-5 rating, Send | Adaptive Cards designer]
//! user: (picks 4, taps Send)                          <- a message whose value is the form
//! bot:  Thanks! You rated this example 4 out of 5.
//! user: all
//! bot:  [the three cards in a carousel]
//! ```
//!
//! Hero and thumbnail cards are built with `HeroCard` / `ThumbnailCard`, the Adaptive Card from
//! its JSON with `CardFactory::adaptive_card`, the messages with `MessageFactory`. How a card
//! looks is up to the channel (the Emulator and Web Chat render all three). Listening and bot
//! settings are the echo example's (`PORT`, `MicrosoftAppId`, ...).

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
    let bot: Arc<dyn Bot> = Arc::new(bot::CardsBot);
    let banner = common::Banner::new("Cards bot", "hero");

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
