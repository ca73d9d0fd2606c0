//! An assistant that streams its answers: `cargo run --example streaming`.
//!
//! ```text
//! (the user opens the chat)
//! bot:  Hello! Ask me about streaming, proactive messages or state, and watch the answer being written. Start with `long` (`long how does state work?`) for an answer that takes a while.
//! user: how does streaming work?
//! bot:  Here is what I found about "how does streaming work?". A streamed answer grows in one bubble…
//! (the answer grows word by word, then ends with: AI generated, [1] Streaming responses, thumbs up / down)
//! user: long how is state kept?
//! bot:  That takes a moment: I will answer here shortly.
//! (20 seconds later, in a proactive turn)
//! bot:  Here is what I found about "how is state kept?". Conversation and user state are kept in storage with eTags…
//! ```
//!
//! By default the answers come from a local generator (no network, no key). With
//! `OPENAI_BASE_URL` (such as `https://api.openai.com/v1`, or a local model server's
//! `http://127.0.0.1:11434/v1`), `OPENAI_API_KEY` and `OPENAI_MODEL` set, they stream from
//! that OpenAI-compatible chat completions endpoint. Feedback (the thumbs) is logged.
//!
//! Chat at the printed `http://127.0.0.1:3978/chat`: the answer grows in one bubble, then
//! shows its sources and the feedback buttons. In Teams (one-on-one chats) it streams too;
//! other channels get the final message. `docs/streaming.md` explains it.

mod bot;
#[path = "../common/mod.rs"]
mod common;
mod model;

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
    let config = BotConfig::from_env()?;
    let settings = common::Settings::from_env(config.clone())?;
    let model = model::Model::from_settings(|key| settings.get(key));
    let banner = common::Banner::new("Streaming assistant", "how does streaming work?")
        .note("Model", model.describe());
    let adapter = CloudAdapter::new(&config)?;
    let bot: Arc<dyn Bot> = Arc::new(bot::AssistantBot::new(model));

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
