//! The middleware example: `cargo run --example middleware`.
//!
//! ```text
//! user: hello     there
//! bot:  You said "hello there" (tidied from "hello     there").
//! user: (mentions the bot: @Bot run the report; Teams writes "<at>Bot</at> run the report")
//! bot:  You said "run the report" (tidied from "<at>Bot</at> run the report").
//! user: my password is hunter2
//! bot:  Please do not share passwords here. I stopped that message before it reached the bot.
//! user: stats
//! bot:  This is turn 4. Earlier turns sent 3 replies; the filter stopped 1 of their messages.
//! ```
//!
//! and in the log (`RUST_LOG=info`, the default), two lines a turn:
//!
//! ```text
//! INFO middleware::bot: turn started turn=3 kind=message
//! INFO middleware::bot: turn done turn=3 elapsed_ms=0 replies=1 stopped=true ok=true
//! ```
//!
//! `bot.rs` has the three middleware (`TurnLog`, `CleanText`, `KeywordFilter`) and the
//! diagram of their order. Listening and bot settings are the echo example's (`PORT`,
//! `MicrosoftAppId`, ...).

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
    // Registration order is execution order: TurnLog, CleanText, KeywordFilter, then the bot.
    let stats = Arc::new(bot::Stats::default());
    let adapter = CloudAdapter::new(&config)?.with_middleware(bot::middleware(stats));
    let bot: Arc<dyn Bot> = Arc::new(bot::MiddlewareBot);
    let banner = common::Banner::new("Middleware bot", "hello   there");

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
