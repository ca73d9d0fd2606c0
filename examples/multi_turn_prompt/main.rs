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
//! Emulator at `http://localhost:3978/api/messages`. It is served like the other examples: bot
//! settings with BotBuilder's keys (`MicrosoftAppId`, `MicrosoftAppPassword`, ...; none means
//! anonymous, for the Emulator) from the environment or `.env`, `PORT` (default 3978), `HOST`.
//!
//! The dialog stack (conversation state) and the profile (user state) are kept in
//! `multi-turn-prompt.db` (SQLite) in the working directory, or under `BOT_STATE_DIR`, so a
//! restart resumes each conversation at the question it was on; `BOT_STORAGE` picks another
//! store by URL (`memory`, `sqlite:PATH`, `redis://…`, `postgres://…`).

mod bot;
#[path = "../shared/host.rs"]
mod host;

use std::process::ExitCode;
use std::sync::Arc;

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let run = async {
        let settings = host::Settings::from_env("multi-turn-prompt.db")?;
        host::serve("Multi-turn prompt bot", settings, |storage| {
            Arc::new(bot::MultiTurnBot::new(storage))
        })
        .await
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
