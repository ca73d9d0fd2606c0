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
//! | [`core`] | `botbuilder-core` | turns, `ActivityHandler`, middleware, state, testing |
//! | [`connector`] | `botbuilder-connector` | the Bot Connector client, authentication, HTTP hosting |
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

#![warn(clippy::unwrap_used)]

pub use botbuilder_connector as connector;
pub use botbuilder_core as core;
pub use botbuilder_schema as schema;

pub mod storage;

/// The names most bots need, in one import: `use botbuilder::prelude::*;`.
pub mod prelude {
    pub use botbuilder_core::testing::{TestAdapter, TestFlow};
    pub use botbuilder_core::{
        ActivityHandler, Bot, BotAdapter, BoxError, ContinueLogic, Middleware, MiddlewareSet, Next,
        TurnContext, TurnResult, async_trait,
    };
    pub use botbuilder_schema::{
        Activity, ActivityTypes, Attachment, CardAction, ChannelAccount, ChannelId,
        ConversationAccount, ConversationReference, InvokeResponse, SuggestedActions,
    };
}
