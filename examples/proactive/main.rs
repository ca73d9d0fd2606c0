//! The proactive-messages job bot: `cargo run --example proactive`.
//!
//! Two chat windows (two conversations) with the bot:
//!
//! ```text
//! window 1  user: run
//!           bot:  Job 1732581234567 started. I will let you know here when it is complete.
//!           user: run
//!           bot:  Job 1732581239001 started. I will let you know here when it is complete.
//! window 2  user: show
//!           bot:  | Job number    | Conversation ID | Completed |
//!                 | 1732581234567 | conv-1          | no        |
//!                 | 1732581239001 | conv-1          | no        |
//!           user: done 1732581234567
//!           bot:  Job 1732581234567 is completing; I am notifying the conversation that started it.
//! window 1  bot:  Job 1732581234567 is complete.          <- a proactive message
//! ```
//!
//! An outside system completes a job over HTTP on the same server:
//! `curl -X POST http://127.0.0.1:3978/api/jobs/1732581239001/complete`
//! (200 notified, 404 unknown job, 409 already complete; with `JOBS_API_KEY` set, send
//! `Authorization: Bearer <key>`), and `GET /api/jobs` lists the jobs.
//!
//! Or chat in a browser: the server prints the URL of its built-in chat page
//! (`http://127.0.0.1:3978/chat`), a local Direct Line endpoint; open it in two tabs, each its
//! own conversation, and play the two windows above (see `docs/chat-in-browser.md`).
//!
//! The job log survives restarts: it is kept in `proactive-bot.db` (SQLite) in the working
//! directory, or under `BOT_STATE_DIR`; `BOT_STORAGE` picks another store by URL (`memory`,
//! `sqlite:PATH`, `redis://…`, `postgres://…`). Bot settings use BotBuilder's keys
//! (`MicrosoftAppId`, `MicrosoftAppPassword`, ...) from the environment or `.env`; with no app
//! id the bot runs anonymously, as the Bot Framework Emulator expects. `PORT` defaults to 3978.

// An example program talks to its user on the terminal.
#![allow(clippy::print_stdout)]

mod app;
mod bot;

use std::process::ExitCode;
use std::sync::Arc;

use botbuilder::directline::DirectLine;
use botbuilder::prelude::Bot;

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let settings = app::Settings::from_env()?;
    let app = app::App::build(&settings).await?;
    let address = settings.address();
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address} (set PORT or HOST): {e}"))?;
    let bound = listener.local_addr()?;
    // The chat page and its local Direct Line endpoint (beyond loopback only with a
    // `DirectLineSecret`).
    let bot: Arc<dyn Bot> = Arc::new(app.bot.clone());
    let direct_line = DirectLine::from_env(app.adapter.clone(), bot, bound);
    let mut router = app.router();
    if let Ok(direct_line) = &direct_line {
        router = router.merge(direct_line.router());
    }
    let shown = if bound.ip().is_unspecified() {
        format!("localhost:{}", bound.port())
    } else {
        bound.to_string()
    };
    println!("Proactive job bot listening on http://{bound}");
    println!("  Bot Framework Emulator: open http://{shown}/api/messages (no app id or password)");
    println!("  curl (replies come back in the response, thanks to deliveryMode expectReplies):");
    println!(
        "            curl -X POST http://{shown}/api/messages -H 'Content-Type: application/json' \\"
    );
    println!(
        "              -d '{{\"type\":\"message\",\"text\":\"run\",\"channelId\":\"emulator\",\"serviceUrl\":\"http://localhost\",\"conversation\":{{\"id\":\"c1\"}},\"from\":{{\"id\":\"u1\"}},\"recipient\":{{\"id\":\"bot\"}},\"deliveryMode\":\"expectReplies\"}}'"
    );
    match &direct_line {
        Ok(direct_line) => {
            if let Some(url) = direct_line.chat_url() {
                println!("  Chat in a browser: {url} (open two tabs: two conversations)");
            }
        }
        Err(error) => println!("  Chat in a browser: off ({error})"),
    }
    println!(
        "  Jobs API: GET http://{shown}/api/jobs, POST http://{shown}/api/jobs/<number>/complete"
    );
    println!("  Job log:  {}", app::redact_url(&settings.storage_url));
    if settings.bot.is_anonymous() {
        println!(
            "  Mode:     anonymous (set MicrosoftAppId and MicrosoftAppPassword to connect a channel)"
        );
    }
    botbuilder::hosting::serve_with_shutdown(
        listener,
        router,
        botbuilder::hosting::shutdown_signal(),
    )
    .await?;
    println!("Stopped.");
    Ok(())
}
