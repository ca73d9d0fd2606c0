//! # botbuilder
//!
//! Build conversational bots on the Bot Framework protocol in Rust: Microsoft Teams, Web Chat,
//! Slack, Facebook and every other Azure Bot Service channel, plus the Bot Framework Emulator.
//!
//! This facade crate re-exports the SDK so that one dependency is enough:
//!
//! | module | crate | what it holds |
//! |---|---|---|
//! | [`schema`] | `botbuilder-schema` | the Activity protocol types, wire-exact |
//! | [`core`] | `botbuilder-core` | turns, `ActivityHandler`, middleware, state, streamed answers, testing |
//! | [`connector`] | `botbuilder-connector` | the Bot Connector client, authentication, HTTP hosting |
//! | [`directline`] | `botbuilder-directline` | a local Direct Line endpoint and chat page (feature `directline`) |
//! | [`dialogs`] | `botbuilder-dialogs` | waterfalls, prompts, component dialogs (feature `dialogs`) |
//! | [`teams`] | `botbuilder-teams` | Microsoft Teams: typed channel data, events, invokes, `TeamsInfo` (feature `teams`) |
//!
//! Start with the [`prelude`]:
//!
//! ```
//! use botbuilder::prelude::*;
//!
//! struct EchoBot;
//!
//! #[async_trait]
//! impl ActivityHandler for EchoBot {
//!     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
//!         let text = ctx.activity().text();
//!         ctx.send_activity(format!("Echo: {text}")).await?;
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Unit-test it with no server:
//! TestFlow::new(TestAdapter::new(), EchoBot)
//!     .test("hi", "Echo: hi")
//!     .await;
//! # }
//! ```
//!
//! And serve it to real channels (settings from the environment or a `.env` file, with
//! BotBuilder's key names: `MicrosoftAppId`, `MicrosoftAppPassword`, `MicrosoftAppType`,
//! `MicrosoftAppTenantId`, ...; without an app id the bot is anonymous, for the Emulator):
//!
//! ```no_run
//! # use botbuilder::prelude::*;
//! # struct EchoBot;
//! # #[async_trait]
//! # impl ActivityHandler for EchoBot {}
//! use std::sync::Arc;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), botbuilder::connector::ConnectorError> {
//!     let adapter = CloudAdapter::from_env()?;
//!     // POST /api/messages on port 3978, until ctrl-c or SIGTERM.
//!     botbuilder::hosting::serve("0.0.0.0:3978", adapter, Arc::new(EchoBot)).await
//! }
//! ```
//!
//! To continue a conversation later (a proactive message), keep its
//! `ConversationReference` (`ctx.activity().conversation_reference()`) and a clone of the
//! adapter, and call `adapter.continue_conversation(reference, logic)`. To host with another
//! web framework, call [`CloudAdapter::process`](connector::CloudAdapter::process) from its
//! handler (see `docs/hosting.md`).
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `axum` | yes | [`hosting`]: the `/api/messages` axum `Router`, `serve` with graceful shutdown |
//! | `directline` | yes | [`directline`]: a local Direct Line 3.0 endpoint and a built-in chat page, to chat with the bot in a browser (implies `axum`) |
//! | `dialogs` | yes | [`dialogs`]: multi-turn conversations (`docs/dialogs.md`) |
//! | `teams` | yes | [`teams`]: Microsoft Teams channel data, events, invokes and `TeamsInfo` (`docs/teams.md`) |
//! | `sqlite` | yes | `SqliteStorage`, an embedded durable store: [`storage::open`]`("sqlite:bot.db")` |
//! | `redis` | no | `RedisStorage`, a store shared by several bot instances: `storage::open("redis://…")` |
//! | `postgres` | no | `PostgresStorage`, a store shared by several bot instances: `storage::open("postgres://…")` |
//! | `azure-blob` | no | `BlobStorage`, Azure Blob Storage compatible with BotBuilder's `BlobsStorage`: `storage::open("azblob:…")`; `BlobTranscriptStore` |
//! | `otel` | no | [`telemetry`]: one call in `main` exports traces and metrics over OTLP/HTTP, configured by `OTEL_*` variables (`docs/observability.md`) |
//! | `otel-grpc` | no | OTLP over gRPC too (`OTEL_EXPORTER_OTLP_PROTOCOL=grpc`; adds tonic) |
//! | `test-util` | no | test plumbing for storage-backend authors and CI: `core::testing::storage_conformance` and `core::testing::server_url` (for `[dev-dependencies]`) |

#![warn(clippy::unwrap_used)]

pub use botbuilder_connector as connector;
pub use botbuilder_core as core;
#[cfg(feature = "dialogs")]
pub use botbuilder_dialogs as dialogs;
pub use botbuilder_schema as schema;
#[cfg(feature = "teams")]
pub use botbuilder_teams as teams;

/// axum hosting: `router(adapter, bot)` for `POST /api/messages`, and `serve` (feature
/// `axum`, on by default). The same module as `botbuilder::connector::hosting`.
#[cfg(feature = "axum")]
pub use botbuilder_connector::hosting;
pub mod storage;
#[cfg(feature = "otel")]
pub mod telemetry;

/// A local Direct Line 3.0 endpoint and the built-in chat page at `/chat`, to chat with the bot
/// in a browser with nothing else installed (feature `directline`, on by default): the
/// `botbuilder-directline` crate.
#[cfg(feature = "directline")]
pub use botbuilder_directline as directline;

/// The names most bots need, in one import: `use botbuilder::prelude::*;`.
pub mod prelude {
    pub use botbuilder_connector::{AdapterResponse, BotConfig, ClaimsIdentity, CloudAdapter};
    pub use botbuilder_core::testing::{TestAdapter, TestFlow};
    pub use botbuilder_core::{
        ActivityHandler, Bot, BotAdapter, BotAdapterExt, BoxError, Middleware, MiddlewareSet, Next,
        TurnContext, TurnResult, async_trait, bot_fn,
    };
    #[cfg(feature = "dialogs")]
    pub use botbuilder_dialogs::{
        AttachmentPrompt, ChoicePrompt, ComponentDialog, ConfirmPrompt, DateTimePrompt, Dialog,
        DialogContext, DialogSet, DialogState, DialogTurnResult, DialogTurnStatus, NumberPrompt,
        PromptOptions, TextPrompt, WaterfallDialog, WaterfallStepContext, run_dialog,
    };
    pub use botbuilder_schema::{
        Activity, ActivityTypes, Attachment, CardAction, ChannelAccount, ChannelId,
        ConversationAccount, ConversationReference, InvokeResponse, SuggestedActions,
    };
}
