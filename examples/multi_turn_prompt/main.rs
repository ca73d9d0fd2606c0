//! Multi-turn prompt: a waterfall dialog that asks several questions with different prompts,
//! validates an answer, and keeps a profile in user state (BotBuilder sample 05).
//!
//! ```text
//! user> hi
//! bot>  Please choose your mode of transport. (1) Car, (2) Bus, or (3) Bicycle
//!       (buttons on channels with suggested actions: Web Chat, the Emulator, ...)
//! user> the bus
//! bot>  What is your name?
//! user> Ada
//! bot>  Thanks, Ada.
//! bot>  Would you like to give your age? (1) Yes or (2) No
//! user> sure
//! bot>  Please enter your age.
//! user> 200
//! bot>  Your age must be greater than 0 and less than 150.
//! user> thirty six
//! bot>  I have your age as 36.
//! bot>  Is this OK? (1) Yes or (2) No
//! user> yes
//! bot>  I have your mode of transport as Bus, your name as Ada and your age as 36.
//! ```
//!
//! Run it with `cargo run --example multi_turn_prompt` and talk to it from the Bot Framework
//! Emulator at `http://localhost:3978/api/messages`. Settings come from the environment or a
//! `.env` file (`MicrosoftAppId`, `MicrosoftAppPassword`, ...; none means anonymous, for the
//! Emulator); `PORT` sets the port (default 3978).
//!
//! State (the dialog stack in conversation state, the profile in user state) is kept in memory
//! here, so a restart forgets conversations in progress; with a durable `Storage` passed to
//! `MultiTurnBot::new` instead, a restart resumes each conversation at the question it was on.

mod bot;

use std::sync::Arc;

use botbuilder::core::storage::MemoryStorage;
use botbuilder::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse().map_err(|e| format!("PORT={port:?}: {e}"))?,
        Err(_) => 3978,
    };
    let adapter = CloudAdapter::from_env()?;
    let bot = bot::MultiTurnBot::new(Arc::new(MemoryStorage::new()));
    botbuilder::hosting::serve(("0.0.0.0", port), adapter, Arc::new(bot)).await?;
    Ok(())
}
