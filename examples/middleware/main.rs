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

use botbuilder::prelude::*;

#[tokio::main]
async fn main() -> ExitCode {
    common::init_tracing();
    common::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    let settings = common::Settings::from_env()?;
    // Registration order is execution order: TurnLog, CleanText, KeywordFilter, then the bot.
    let stats = Arc::new(bot::Stats::default());
    let adapter = CloudAdapter::new(&settings.bot)?.with_middleware(bot::middleware(stats));
    common::Host::new("Middleware bot", "hello   there")
        .serve(&settings, adapter, Arc::new(bot::MiddlewareBot))
        .await
}
