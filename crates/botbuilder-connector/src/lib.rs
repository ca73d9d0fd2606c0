//! The Bot Connector REST client and outgoing app authentication of botbuilder-rs.
//!
//! Every reply and every proactive message a bot sends goes through the Bot Connector REST
//! API (v3) of the channel's service URL, with an app token. This crate provides:
//!
//! - [`ConnectorClient`]: every v3 operation, as `client.conversations().…` and
//!   `client.attachments().…`, with typed errors ([`ConnectorError`]);
//! - [`auth`]: app credentials behind the [`AppCredentials`](auth::AppCredentials) trait
//!   (app id + password, multi- or single-tenant; managed identity; anonymous), public and US
//!   Government cloud defaults, every endpoint overridable, tokens cached per scope;
//! - [`TrustedHosts`]: the app token only goes to trusted hosts;
//! - [`retry`]: bounded retries with backoff and jitter on throttling and transient failures,
//!   honouring `Retry-After`, never duplicating a message;
//! - [`ConversationThrottle`]: optional spacing of sends per conversation;
//! - [`ConnectorClientFactory`]: clients cached per service URL, sharing one connection pool,
//!   one token cache and one trust list;
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

pub mod auth;
mod client;
pub mod clock;
mod error;
pub mod retry;
mod throttle;
mod transport;
pub mod trust;
mod urls;

pub use async_trait::async_trait;
pub use botbuilder_schema as schema;

pub use client::{
    Attachments, ConnectorClient, ConnectorClientFactory, ConnectorClientFactoryBuilder,
    Conversations, default_http_client,
};
pub use error::ConnectorError;
pub use retry::RetryPolicy;
pub use throttle::ConversationThrottle;
pub use trust::TrustedHosts;
