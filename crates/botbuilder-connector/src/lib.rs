//! The Bot Connector client of botbuilder-rs (in progress).

#![warn(clippy::unwrap_used)]
pub use botbuilder_schema as schema;
