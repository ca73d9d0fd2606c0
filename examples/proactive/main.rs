//! The proactive job bot, served on `/api/messages` (channels, the Emulator) and in the
//! browser through the built-in chat page of the local Direct Line endpoint.
//!
//! ```text
//! $ cargo run --example proactive
//! Chat with the bot: http://127.0.0.1:3978/chat   (open it in two tabs)
//!
//! tab 1> run
//! bot  > Job 1732581234567 started. I will let you know here when it is complete.
//! tab 2> show
//! bot  > | Job number | Conversation ID | Completed | ... | 1732581234567 | <tab 1's id> | no |
//! tab 2> done 1732581234567
//! bot  > Job 1732581234567 is completing; I am notifying the conversation that started it.
//! tab 1  (meanwhile, unprompted) Job 1732581234567 is complete.
//! ```
//!
//! Settings: `PORT` (default 3978), `HOST` (default 127.0.0.1; listening beyond loopback
//! needs `DirectLineSecret`), `BOT_STORAGE` (a storage URL, default
//! `sqlite:proactive-jobs.db`; `memory` keeps nothing), and BotBuilder's keys
//! (`MicrosoftAppId`, ...) from the environment or `.env`.

mod bot;

use std::sync::Arc;

use bot::JobBot;
use botbuilder::directline::DirectLine;
use botbuilder::prelude::*;

#[tokio::main]
#[allow(clippy::print_stdout)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse()?,
        Err(_) => 3978,
    };
    let storage_url =
        std::env::var("BOT_STORAGE").unwrap_or_else(|_| "sqlite:proactive-jobs.db".to_owned());
    let storage = botbuilder::storage::open(&storage_url).await?;

    let adapter = CloudAdapter::from_env()?;
    let bot: Arc<dyn Bot> = Arc::new(JobBot::new(storage));
    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    let direct_line = DirectLine::from_env(adapter.clone(), bot.clone(), listener.local_addr()?)?;
    let app = botbuilder::hosting::router(adapter, bot).merge(direct_line.router());

    println!(
        "Bot endpoint: POST http://{}/api/messages",
        listener.local_addr()?
    );
    if let Some(url) = direct_line.chat_url() {
        println!("Chat with the bot: {url}   (open it in two tabs)");
    }
    botbuilder::hosting::serve_with_shutdown(listener, app, botbuilder::hosting::shutdown_signal())
        .await?;
    Ok(())
}
