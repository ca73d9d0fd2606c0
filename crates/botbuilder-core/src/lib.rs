//! The turn pipeline of botbuilder-rs: how an incoming activity becomes a turn, passes through
//! middleware, reaches the bot, and how the bot answers, now or later (proactively).
//!
//! This crate is transport-agnostic: no HTTP types appear in its API. `botbuilder-connector`
//! supplies the HTTP adapter; [`testing::TestAdapter`] runs bots in memory for unit tests.
//!
//! - [`Bot`] / [`ActivityHandler`]: your bot, one `on_turn` or one method per activity kind.
//! - [`TurnContext`]: the incoming activity, `send_activity`, update, delete, hooks, turn state.
//! - [`Middleware`] and [`MiddlewareSet`]: code around every turn; shipped:
//!   [`middleware::ShowTypingMiddleware`], [`middleware::TranscriptLoggerMiddleware`].
//! - [`BotAdapter`]: delivery; [`BotAdapterExt::continue_conversation`] for proactive
//!   messages, returning what its logic returns. Adapter authors find [`adapter::TurnPipeline`]
//!   (middleware, turn-error handler, ordering) and [`adapter::ContinueLogic`] in [`adapter`].
//! - Functions are async closures everywhere (`bot_fn(async |ctx| { .. })`); see [`callback`].
//! - [`state`]: what the bot remembers between turns: [`ConversationState`], [`UserState`],
//!   [`PrivateConversationState`], typed properties, [`AutoSaveStateMiddleware`]; kept in a
//!   [`storage::Storage`] ([`MemoryStorage`] here) with eTags, so that no update is lost;
//!   [`ConversationLocks`] runs one conversation's turns one at a time;
//!   [`storage::SharedDocument`] is a value every conversation changes.
//! - [`user_token`]: user sign-in through the token service: [`UserTokenProvider`] in every
//!   turn, `ctx.user_token(..)`, and [`user_token::SignIn`] to get or ask for a token.
//! - [`streaming`]: answers that grow as a model writes them (Teams, Web Chat), with
//!   citations, AI labels and feedback; long answers finished in a proactive turn.
//! - [`outbox`]: proactive messages that must not be lost, kept in storage and retried until
//!   the channel has them.
//!
//! An echo bot and its test:
//!
//! ```
//! use botbuilder_core::{async_trait, ActivityHandler, TurnContext, TurnResult};
//! use botbuilder_core::testing::{TestAdapter, TestFlow};
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
//! TestFlow::new(TestAdapter::new(), EchoBot)
//!     .test("hi", "Echo: hi")
//!     .test("how are you?", "Echo: how are you?")
//!     .await;
//! # }
//! ```

#![warn(clippy::unwrap_used)]

pub use async_trait::async_trait;
pub use botbuilder_schema as schema;

mod activity_handler;
pub mod adapter;
mod bot;
pub mod callback;
pub mod error;
mod lease;
pub mod middleware;
mod ordering;
pub mod outbox;
pub mod state;
pub mod storage;
pub mod streaming;
pub mod telemetry;
pub mod testing;
mod turn_context;
mod turn_state;
pub mod user_token;

pub use activity_handler::{ActivityHandler, TOKEN_RESPONSE_EVENT, dispatch_activity};
pub use adapter::{
    BotAdapter, BotAdapterExt, TURN_ERROR_MESSAGE, TURN_ERROR_TRACE_VALUE_TYPE, TurnErrorFn,
    TurnErrorHandler, turn_error_handler,
};
pub use bot::{Bot, BotFn, bot_fn};
pub use error::{BoxError, ChannelFailure, Error, TurnResult};
pub use lease::{
    ConversationLock, DEFAULT_LEASE_TTL, DEFAULT_MAX_POLL_INTERVAL, TurnLeases, TurnOrdering,
};
pub use middleware::{Middleware, MiddlewareSet, Next};
pub use ordering::ConversationLocks;
pub use state::{
    AutoSaveStateMiddleware, BotState, BotStateSet, ConversationState, PrivateConversationState,
    StatePropertyAccessor, UserState,
};
pub use storage::{MemoryStorage, Storage, StoreItems};
pub use turn_context::{
    BoxFuture, DeleteActivityHook, DeleteNext, HookFn, SendActivitiesHook, SendNext, TurnContext,
    UpdateActivityHook, UpdateNext, delete_hook, send_hook, update_hook,
};
pub use turn_state::TurnState;
pub use user_token::UserTokenProvider;
