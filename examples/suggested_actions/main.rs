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

use botbuilder::prelude::*;

#[tokio::main]
async fn main() -> ExitCode {
    common::init_tracing();
    common::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    let settings = common::Settings::from_env()?;
    let adapter = CloudAdapter::new(&settings.bot)?;
    common::Host::new("Suggested actions bot", "Red")
        .serve(&settings, adapter, Arc::new(bot::SuggestedActionsBot))
        .await
}
