//! The state bot: `cargo run --example state`.
//!
//! ```text
//! user: hi
//! bot:  Hello! What is your name?
//! user: I'm Ada
//! bot:  Nice to meet you, Ada. I will remember your name in every conversation with me.
//! user: how are you?
//! bot:  Ada, this is message 3 of this conversation. You said: how are you?
//! (a new conversation with the same user, or the bot restarted)
//! user: hello again
//! bot:  Ada, this is message 1 of this conversation. You said: hello again
//! user: forget me
//! bot:  Done: I have forgotten your name.
//! ```
//!
//! The name lives in user state (`{channelId}/users/{userId}`), the message count in
//! conversation state (`{channelId}/conversations/{conversationId}`), and "I asked you your
//! name" in private conversation state (`…/conversations/{conversationId}/users/{userId}`):
//! BotBuilder's keys and document shapes, in `state-bot.db` (SQLite) in the working directory, or under
//! `BOT_STATE_DIR`; `BOT_STORAGE` picks another store by URL (`memory`, `sqlite:PATH`,
//! `redis://…`, `postgres://…`). See `docs/state.md`. Listening and bot settings are the echo
//! example's (`PORT`, `MicrosoftAppId`, ...).

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
    let store_url = settings.storage_url("state-bot.db");
    let bot = bot::StateBot::new(botbuilder::storage::open(&store_url).await?);
    // Saves user and conversation state after every turn that succeeded.
    let adapter = CloudAdapter::new(&config)?.with_middleware(bot.auto_save());
    let bot: Arc<dyn Bot> = Arc::new(bot);
    let banner =
        common::Banner::new("State bot", "hi").note("State", common::describe_store(&store_url));

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
