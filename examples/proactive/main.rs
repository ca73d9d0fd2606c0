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
//!                 This conversation started 0 of them.
//!           user: done 1732581234567
//!           bot:  Job 1732581234567 is completing; I am notifying the conversation that started it.
//! window 1  bot:  Job 1732581234567 is complete.          <- a proactive message
//! ```
//!
//! An outside system completes a job over HTTP on the same server:
//! `curl -X POST http://127.0.0.1:3978/api/jobs/1732581239001/complete`
//! (200 "complete; user notified", 202 "complete; notification queued" when the channel
//! could not be reached, 404 unknown job, 409 already complete; with `JOBS_API_KEY` set, send
//! `Authorization: Bearer <key>`), and `GET /api/jobs` lists the jobs. Listening beyond
//! loopback (`HOST=0.0.0.0`), the bot refuses to start without a `JOBS_API_KEY`, and, with no
//! app id, without `AllowAnonymousBeyondLoopback=true` (see `docs/security.md`).
//!
//! A notification is never lost: it is recorded in the store's outbox first, and one the
//! channel refused is retried with backoff, across restarts, for up to 24 hours;
//! `GET /api/outbox` lists those not delivered yet (attempts, last error, next try).
//!
//! Or chat in a browser: the server prints the URL of its built-in chat page
//! (`http://127.0.0.1:3978/chat`), a local Direct Line endpoint; open it in two tabs, each its
//! own conversation, and play the two windows above (see `docs/chat-in-browser.md`).
//!
//! The job log survives restarts: it is kept in `proactive-bot.db` (SQLite) in the working
//! directory, or under `BOT_STATE_DIR`; `BOT_STORAGE` picks another store by URL (`memory`,
//! `sqlite:PATH`, `redis://…`, `postgres://…`). Several instances of the bot can share a
//! Redis or PostgreSQL store behind a load balancer: `TURN_ORDERING=distributed` then runs the
//! turns of one conversation one at a time across all of them (a lease in the store; the
//! default, `in-process`, orders them within each instance only; see `docs/hosting.md`).
//! Bot settings use BotBuilder's keys
//! (`MicrosoftAppId`, `MicrosoftAppPassword`, ...) from the environment or `.env`; with no app
//! id the bot runs anonymously, as the Bot Framework Emulator expects. `PORT` defaults to 3978.

mod app;
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
    let settings = common::Settings::from_env(BotConfig::from_env()?)?;
    let app = app::App::build(&settings).await?;
    // Retries the notifications the channel refused, including those of an earlier run.
    let _outbox = app.start_outbox();
    let adapter = app.adapter.clone();
    let bot: Arc<dyn Bot> = Arc::new(app.bot.clone());

    // Listen, then serve `/api/messages`, `/healthz`, the jobs API, and the chat page with its
    // local Direct Line endpoint where it may be served: on loopback, or beyond it with a
    // `DirectLineSecret`.
    let server = hosting::Server::bind(settings.address())
        .await
        .map_err(|e| format!("{e} (set PORT or HOST)"))?;
    // Beyond loopback, an anonymous bot needs `AllowAnonymousBeyondLoopback=true` and the
    // jobs API a `JOBS_API_KEY`: refuse to start rather than serve anyone on the network.
    app.check_listen(server.local_addr())?;
    let mut routes = hosting::router(adapter.clone(), bot.clone())
        .merge(hosting::health_route())
        .merge(app.jobs_api());
    let direct_line = DirectLine::from_env_if_allowed(adapter, bot, server.local_addr())?;
    if let Some(direct_line) = &direct_line {
        routes = routes.merge(direct_line.router());
    }
    let chat = ChatPage::of(direct_line.as_ref());
    app.banner(&settings)
        .print(&settings, server.local_addr(), &chat);
    server
        .with_graceful_shutdown(hosting::shutdown_signal())
        .serve(routes)
        .await?;
    Ok(())
}
