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
//! Emulator at `http://localhost:3978/api/messages`, or in a browser at the chat page it prints
//! (`http://127.0.0.1:3978/chat`). It is served like the other examples: bot
//! settings with BotBuilder's keys (`MicrosoftAppId`, `MicrosoftAppPassword`, ...; none means
//! anonymous, for the Emulator) from the environment or `.env`, `PORT` (default 3978), `HOST`.
//!
//! The dialog stack (conversation state) and the profile (user state) are kept in
//! `multi-turn-prompt.db` (SQLite) in the working directory, or under `BOT_STATE_DIR`, so a
//! restart resumes each conversation at the question it was on; `BOT_STORAGE` picks another
//! store by URL (`memory`, `sqlite:PATH`, `redis://…`, `postgres://…`).

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
    let store_url = settings.storage_url("multi-turn-prompt.db");
    let bot = bot::MultiTurnBot::new(botbuilder::storage::open(&store_url).await?);
    let adapter = CloudAdapter::new(&config)?;
    let bot: Arc<dyn Bot> = Arc::new(bot);
    let banner = common::Banner::new("Multi-turn prompt bot", "hi")
        .note("State", common::describe_store(&store_url));

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
