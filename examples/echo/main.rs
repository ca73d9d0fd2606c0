//! The echo bot: `cargo run --example echo`.
//!
//! ```text
//! (the user opens the chat)
//! bot:  Hello and welcome! Say something and I will echo it.
//! user: hello
//! bot:  Echo: hello
//! user: is anybody there?
//! bot:  Echo: is anybody there?
//! ```
//!
//! It listens on `http://127.0.0.1:3978/api/messages` (`PORT` and `HOST` change that) and
//! prints how to reach it with the Bot Framework Emulator, `curl` or a browser (its chat page,
//! `http://127.0.0.1:3978/chat`). Bot settings use
//! BotBuilder's keys (`MicrosoftAppId`, `MicrosoftAppPassword`, ...) from the environment or
//! `.env`; with no app id the bot is anonymous, as the Emulator expects. `docs/getting-started.md`
//! walks through it.

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
    let bot: Arc<dyn Bot> = Arc::new(bot::EchoBot);
    let banner = common::Banner::new("Echo bot", "hello");

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
