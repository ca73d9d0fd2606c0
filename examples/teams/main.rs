//! A Microsoft Teams bot: `cargo run --example teams`.
//!
//! ```text
//! (Ada joins the Contoso team)
//! bot:  Welcome to Contoso, <at>Ada</at>
//! user: <at>Bot</at> hello
//! bot:  <at>Ada</at>, I can run a vote (`vote`), collect an idea (`idea`), start a thread (`post <channel>: <text>`) and message every member (`tell everyone: <text>`); search the catalogue from the message extension.
//! user: <at>Bot</at> vote
//! bot:  [Adaptive Card: "Team lunch on Friday?" | No votes yet. | I'm in]
//! (Grace presses "I'm in": the card changes for everyone to "1 vote: Grace")
//! user: <at>Bot</at> idea
//! bot:  [Adaptive Card: "Got an idea for the team?" | Share an idea]
//! (Ada presses "Share an idea", types "Friday demos" in the form and posts it)
//! bot:  New idea from <at>Ada</at>: Friday demos
//! user: <at>Bot</at> post Design: Lunch is here
//! bot:  Posted in Design.
//! (a new thread in Design: "Lunch is here")
//! user: <at>Bot</at> tell everyone: the build is green
//! bot:  Sending it to every member. `status op-1` tells how far it got.
//! (each member gets "the build is green" in their 1:1 chat with the bot)
//! user: <at>Bot</at> status op-1
//! bot:  Completed: 12 of 12 sent.
//! (in the compose box, the message extension searches "http" and lists reqwest)
//! (a meeting of the team starts, then ends)
//! bot:  Standup started (2024-03-01T09:00:00Z).
//! bot:  Standup ended (2024-03-01T09:15:00Z).
//! ```
//!
//! It listens on `http://127.0.0.1:3978/api/messages` like the other examples (`PORT`,
//! `HOST`, `MicrosoftAppId`, ... from the environment or `.env`). To talk to it from Teams,
//! register a bot, expose the port with a tunnel and sideload `examples/teams/manifest/`:
//! `docs/teams.md` has the steps. Without a tenant, `tests/example_teams.rs` plays recorded
//! Teams traffic against it.

mod bot;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::sync::Arc;

use botbuilder::directline::ChatPage;
use botbuilder::hosting;
use botbuilder::prelude::*;
use botbuilder::teams::mention::RemoveMentionMiddleware;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = common::init_tracing();
    common::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    // The bot's identity: BotBuilder's keys (`MicrosoftAppId`, ...); Teams needs a registered
    // bot, so leave them empty only to try it with the Emulator or the tests.
    let config = BotConfig::from_env()?;
    let settings = common::Settings::from_env(config.clone())?;
    // `<at>Bot</at> vote` reaches the bot as `vote`.
    let adapter = CloudAdapter::new(&config)?.with_middleware(RemoveMentionMiddleware);
    let bot: Arc<dyn Bot> = Arc::new(bot::TeamsBot);
    let banner = common::Banner::new("Teams bot", "vote")
        .note("Teams", "sideload examples/teams/manifest (docs/teams.md)");

    let server = hosting::Server::bind(settings.address())
        .await
        .map_err(|e| format!("{e} (set PORT or HOST)"))?;
    let app = hosting::router(adapter, bot).merge(hosting::health_route());
    banner.print(&settings, server.local_addr(), &ChatPage::Disabled);
    server
        .with_graceful_shutdown(hosting::shutdown_signal())
        .serve(app)
        .await?;
    Ok(())
}
