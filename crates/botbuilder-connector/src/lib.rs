//! The Bot Connector client of botbuilder-rs (in progress).
pub use botbuilder_schema as schema;
