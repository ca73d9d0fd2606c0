//! The schema crate's error type.

use thiserror::Error;

/// What can go wrong reading or writing protocol types.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The JSON was malformed, truncated, too deeply nested, or had a field of the wrong type.
    #[error("invalid JSON while {context}")]
    Json {
        /// What was being read or written, such as `reading an activity`.
        context: String,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A timestamp was not an RFC 3339 string.
    #[error("invalid timestamp `{value}`")]
    InvalidTimestamp {
        /// The text received (at most 64 characters of it).
        value: String,
        /// The parser's error.
        #[source]
        source: chrono::ParseError,
    },
    /// A value had the right JSON type but not an acceptable shape.
    #[error("invalid value: {context}")]
    InvalidValue {
        /// What was wrong.
        context: String,
    },
    /// A field the operation needs is absent.
    #[error("missing field `{field}` {context}")]
    MissingField {
        /// The wire name of the field, such as `serviceUrl`.
        field: &'static str,
        /// Where it was needed, such as `in the conversation reference`.
        context: &'static str,
    },
}

impl SchemaError {
    pub(crate) fn json(context: impl Into<String>, source: serde_json::Error) -> Self {
        SchemaError::Json {
            context: context.into(),
            source,
        }
    }
}
