//! The Bot Connector side of botbuilder-rs: the HTTP adapter that makes a bot reachable by
//! real channels, incoming and outgoing authentication, the REST client, and axum hosting.
//!
//! A channel posts each activity to the bot's endpoint with a signed token; the bot answers
//! through the Bot Connector REST API (v3) of the activity's service URL, with an app token.
//!
//! An echo bot behind `POST /api/messages` (with the default `axum` feature, `hosting::serve`
//! does this in one call; here the framework-independent core, which any web framework can
//! call):
//!
//! ```
//! use std::sync::Arc;
//! use botbuilder_connector::{BotConfig, CloudAdapter};
//! use botbuilder_core::{async_trait, ActivityHandler, Bot, TurnContext, TurnResult};
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
//! # async fn main() -> Result<(), botbuilder_connector::ConnectorError> {
//! // Settings from the environment / `.env` (`BotConfig::from_env()`); anonymous here.
//! let adapter = CloudAdapter::new(&BotConfig::anonymous())?;
//! let bot: Arc<dyn Bot> = Arc::new(EchoBot);
//!
//! // What the web framework hands over: the Authorization header and the body.
//! let response = adapter.process(None, br#"{"type": "message"}"#, bot.as_ref()).await;
//! assert_eq!(response.status, 400); // no conversation, serviceUrl or channelId
//! # Ok(()) }
//! ```
//!
//! This crate provides:
//!
//! - [`config::BotConfig`]: the bot's settings from the environment, a `.env` file or code,
//!   under BotBuilder's key names (`MicrosoftAppId`, `MicrosoftAppPassword`, ...);
//! - [`adapter::CloudAdapter`]: the framework-independent HTTP adapter: authenticate, run the
//!   turn, deliver replies, answer invokes and `expectReplies`; proactive turns;
//! - [`auth::incoming`]: JWT validation of channel and Emulator tokens against the Bot
//!   Framework's OpenID metadata;
//! - `hosting` (feature `axum`, on by default): `POST /api/messages` as an axum `Router`, and
//!   `serve` with graceful shutdown;
//! - [`DeliveryTarget`] and [`CloudAdapter::process_authenticated`]: the extension point for
//!   in-process channels (the local Direct Line endpoint and chat page of the
//!   `botbuilder-directline` crate are one);
//! - [`ConnectorClient`]: every v3 operation, as `client.conversations().…` and
//!   `client.attachments().…`, with typed errors ([`ConnectorError`]), and
//!   [`ConnectorRequest`] for a channel's own APIs on the same machinery;
//! - [`auth`]: app credentials behind the [`AppCredentials`](auth::AppCredentials) trait
//!   (app id + password, multi- or single-tenant; certificate; managed identity; federated
//!   and workload identity; anonymous), public and US Government cloud defaults, every
//!   endpoint overridable, tokens cached per scope;
//! - [`TrustedHosts`]: the app token only goes to trusted hosts;
//! - [`listen`]: endpoints that authenticate nobody (an anonymous bot, Direct Line without a
//!   secret) serve on loopback only;
//! - [`retry`]: bounded retries with backoff and jitter on throttling and transient failures,
//!   honouring `Retry-After`, never duplicating a message;
//! - [`ConversationThrottle`]: optional spacing of sends per conversation;
//! - [`ConnectorClientFactory`]: clients cached per service URL, sharing one connection pool,
//!   one token cache and one trust list;
//! - [`UserTokenClient`]: the Bot Framework token service (user sign-in), on the same
//!   machinery;
//! - [`clock`]: the injectable time source of all of the above.
//!
//! ```no_run
//! use std::sync::Arc;
//! use botbuilder_connector::{ConnectorClientFactory, ConnectorError};
//! use botbuilder_connector::auth::{MicrosoftAppCredentials, OutgoingAuthSettings};
//! use botbuilder_connector::schema::{Activity, ConversationReference};
//!
//! async fn notify(reference: &ConversationReference, text: &str) -> Result<(), ConnectorError> {
//!     let settings = OutgoingAuthSettings::default().with_tenant_id("contoso.onmicrosoft.com");
//!     let credentials = MicrosoftAppCredentials::new("app-id", "app-password", settings)?;
//!     let factory = ConnectorClientFactory::new(Arc::new(credentials))?;
//!
//!     let client = factory.client_for(reference.service_url.as_deref().unwrap_or_default())?;
//!     let mut message = Activity::message(text);
//!     message.apply_conversation_reference(reference, false);
//!     match client
//!         .conversations()
//!         .send_to_conversation(reference.conversation_id().unwrap_or_default(), &message)
//!         .await
//!     {
//!         Ok(sent) => println!("sent {}", sent.id),
//!         Err(ConnectorError::Throttled { retry_after, .. }) => println!("busy, retry after {retry_after:?}"),
//!         Err(other) => return Err(other),
//!     }
//!     Ok(())
//! }
//! ```

#![warn(clippy::unwrap_used)]

pub mod adapter;
pub mod auth;
mod client;
pub mod clock;
pub mod config;
mod error;
#[cfg(feature = "axum")]
pub mod hosting;
pub mod listen;
pub mod retry;
mod throttle;
mod transport;
pub mod trust;
mod urls;

pub use async_trait::async_trait;
pub use botbuilder_schema as schema;

pub use adapter::{AdapterResponse, CloudAdapter, DeliveryTarget};
pub use auth::incoming::ClaimsIdentity;
pub use client::{
    Attachments, ConnectorClient, ConnectorClientFactory, ConnectorClientFactoryBuilder,
    ConnectorRequest, ConnectorResponse, Conversations, SignInResourceOptions, UserTokenClient,
    default_http_client,
};
pub use config::BotConfig;
pub use error::ConnectorError;
pub use retry::RetryPolicy;
pub use throttle::ConversationThrottle;
pub use trust::TrustedHosts;
