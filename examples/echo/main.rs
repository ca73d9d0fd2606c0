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

use botbuilder::prelude::*;

#[tokio::main]
async fn main() -> ExitCode {
    common::init_tracing();
    common::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    let settings = common::Settings::from_env()?;
    let adapter = CloudAdapter::new(&settings.bot)?;
    common::Host::new("Echo bot", "hello")
        .serve(&settings, adapter, Arc::new(bot::EchoBot))
        .await
}
