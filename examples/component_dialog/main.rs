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
//! Emulator at `http://localhost:3978/api/messages`, or in a browser at the chat page it prints
//! (`http://127.0.0.1:3978/chat`). It is served like the other examples: bot
//! settings with BotBuilder's keys (`MicrosoftAppId`, `MicrosoftAppPassword`, ...; none means
//! anonymous, for the Emulator) from the environment or `.env`, `PORT` (default 3978), `HOST`.
//!
//! The dialog stack is kept in `component-dialog.db` (SQLite) in the working directory, or
//! under `BOT_STATE_DIR`, so a restart resumes each booking at the question it was on;
//! `BOT_STORAGE` picks another store by URL (`memory`, `sqlite:PATH`, `redis://…`,
//! `postgres://…`).

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
    let store_url = settings.storage_url("component-dialog.db");
    let bot = bot::BookingBot::new(botbuilder::storage::open(&store_url).await?);
    let adapter = CloudAdapter::new(&config)?;
    let bot: Arc<dyn Bot> = Arc::new(bot);
    let banner =
        common::Banner::new("Booking bot", "hi").note("State", common::describe_store(&store_url));

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
