//! The crate's error type.

/// What can go wrong in the Teams crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TeamsError {
    /// An activity or a response carried a Teams payload that does not have the expected shape.
    #[error("invalid Teams payload ({what}): {source}")]
    InvalidPayload {
        /// Which payload: `channelData`, an invoke's `value`, a response body.
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}
