//! The turn pipeline of botbuilder-rs (in progress).
pub use botbuilder_schema as schema;
