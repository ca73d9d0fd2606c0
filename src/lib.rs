//! botbuilder-rs (in progress).

#![warn(clippy::unwrap_used)]
pub use botbuilder_connector as connector;
pub use botbuilder_core as core;
pub use botbuilder_schema as schema;
