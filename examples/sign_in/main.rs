//! Sign-in: the bot signs its user in to an OAuth connection, calls a protected API with the
//! user's token, and signs them out (BotBuilder sample 18, bot-authentication).
//!
//! ```text
//! user> me
//! bot>  (a sign-in card: "Sign in to let me see who you are." [Sign in])
//!       the user opens the link, signs in, and the page shows a six-digit code
//! user> 123456
//! bot>  You are signed in.
//! bot>  You are Ada.
//! user> me
//! bot>  You are Ada.
//! user> logout
//! bot>  You are signed out.
//! ```
//!
//! Run it with `cargo run --example sign_in` and open the chat page it prints
//! (`http://127.0.0.1:3978/chat`). With no configuration the bot runs anonymously on loopback
//! and the local Direct Line endpoint stands in for the Bot Framework token service: the card's
//! link opens a sign-in page on the bot's own server that issues a test token (through a magic
//! code), and `me` calls a stand-in profile API on the same server (`/stand-in/me`, answering
//! Microsoft Graph's `/me` fields). No Azure registration is needed.
//!
//! For real sign-in, register the bot in Azure with an OAuth connection (`docs/sign-in.md`)
//! and set `MicrosoftAppId`, `MicrosoftAppPassword`, `CONNECTION_NAME` (the connection's name)
//! and, for a connection to Microsoft Graph with the `User.Read` scope, nothing else: `me`
//! then calls `https://graph.microsoft.com/v1.0/me`. `ME_URL` names another API.

mod bot;
#[path = "../common/mod.rs"]
mod common;
mod stand_in;

use std::process::ExitCode;
use std::sync::Arc;

use botbuilder::directline::{ChatPage, DirectLine};
use botbuilder::hosting;
use botbuilder::prelude::*;
use stand_in::STAND_IN_PATH;

/// The OAuth connection signed in to when `CONNECTION_NAME` is not set.
const DEFAULT_CONNECTION: &str = "graph";
/// Microsoft Graph's profile of the signed-in user.
const GRAPH_ME: &str = "https://graph.microsoft.com/v1.0/me";

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = common::init_tracing();
    common::exit_code(run().await)
}

async fn run() -> Result<(), BoxError> {
    // The bot's identity: BotBuilder's keys (`MicrosoftAppId`, ...), none for anonymous.
    let config = BotConfig::from_env()?;
    let settings = common::Settings::from_env(config.clone())?;
    let adapter = CloudAdapter::new(&config)?;
    let server = hosting::Server::bind(settings.address())
        .await
        .map_err(|e| format!("{e} (set PORT or HOST)"))?;
    let bound = server.local_addr();

    // Anonymous on loopback, the local Direct Line endpoint stands in for the token service
    // and the bot's server for the protected API; otherwise the real ones.
    let connection = settings
        .get("CONNECTION_NAME")
        .unwrap_or_else(|| DEFAULT_CONNECTION.to_owned());
    let local = DirectLine::local_sign_in_allowed(&adapter, bound)?;
    let me_url = settings.get("ME_URL").unwrap_or_else(|| {
        if local {
            format!("http://{bound}{STAND_IN_PATH}")
        } else {
            GRAPH_ME.to_owned()
        }
    });
    let bot: Arc<dyn Bot> = Arc::new(bot::SignInBot::new(
        &connection,
        bot::ProfileApi::new(me_url.clone()),
    ));
    let builder =
        DirectLine::builder(adapter.clone(), Arc::clone(&bot), bound).secret_from_env()?;
    let direct_line = if local {
        Some(builder.local_sign_in().build()?)
    } else {
        builder.build_if_allowed()?
    };

    let mut app = hosting::router(adapter, bot).merge(hosting::health_route());
    if let Some(direct_line) = &direct_line {
        app = app.merge(direct_line.router());
        if let Some(sign_in) = direct_line.local_sign_in() {
            app = app.merge(stand_in::router(sign_in.clone()));
        }
    }
    let sign_in = if local {
        "local: the chat page's sign-in cards open a test sign-in page on this server"
    } else {
        "through the Bot Framework token service (the Azure Bot's OAuth connections)"
    };
    common::Banner::new("Sign-in bot", "me")
        .note("Sign-in", format!("{sign_in}; connection `{connection}`"))
        .note("API", me_url)
        .print(&settings, bound, &ChatPage::of(direct_line.as_ref()));
    server
        .with_graceful_shutdown(hosting::shutdown_signal())
        .serve(app)
        .await?;
    Ok(())
}
