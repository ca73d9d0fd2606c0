//! Component dialog: a booking dialog made of a waterfall and prompts, run by a main dialog,
//! with `help` and `cancel` available at every question (BotBuilder's `CancelAndHelpDialog`
//! and `BookingDialog`, from the core bot sample).
//!
//! ```text
//! user> hi
//! bot>  Where would you like to travel to?
//! user> help
//! bot>  I can book a trip: tell me where to, where from and when. Say cancel to stop.
//! bot>  Where would you like to travel to?
//! user> Paris
//! bot>  Where are you traveling from?
//! user> London
//! bot>  On what date would you like to travel?
//! user> at noon
//! bot>  Please give a day and a month, such as 12 December.
//! user> 12 December
//! bot>  Please confirm: to Paris from London on 2026-12-12. Is this correct? (1) Yes or (2) No
//! user> yes
//! bot>  I have you booked to Paris from London on 2026-12-12.
//!
//! user> book a flight to Rome from Oslo     (what the first message says is not asked)
//! bot>  On what date would you like to travel?
//! user> cancel
//! bot>  Cancelling.
//! ```
//!
//! Run it with `cargo run --example component_dialog` and talk to it from the Bot Framework
//! Emulator at `http://localhost:3978/api/messages`. Settings come from the environment or a
//! `.env` file (`MicrosoftAppId`, `MicrosoftAppPassword`, ...; none means anonymous, for the
//! Emulator); `PORT` sets the port (default 3978).
//!
//! The dialog stack is kept in memory here, so a restart forgets bookings in progress; with a
//! durable `Storage` passed to `BookingBot::new` instead, a restart resumes each conversation
//! at the question it was on.

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
    let bot = bot::BookingBot::new(Arc::new(MemoryStorage::new()));
    botbuilder::hosting::serve(("0.0.0.0", port), adapter, Arc::new(bot)).await?;
    Ok(())
}
