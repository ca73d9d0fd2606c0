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
    /// The bot does not handle this invoke. A [`TeamsActivityHandler`](crate::TeamsActivityHandler)
    /// method returns it by default; the dispatcher answers 501 Not Implemented, as
    /// BotBuilder does. Return it from your own override to decline an invoke you only
    /// partly handle (an unknown verb, command or action).
    #[error("the bot does not handle the invoke {name:?}")]
    InvokeNotImplemented {
        /// The invoke's name (`composeExtension/query`, ...), or what was not handled.
        name: String,
    },
    /// The invoke's request is not one the bot can act on (a file consent action that is
    /// neither `accept` nor `decline`, a bot message preview action that is neither `edit`
    /// nor `send`). The dispatcher answers 400 Bad Request.
    #[error("bad invoke request {name:?}: {reason}")]
    InvokeBadRequest {
        /// The invoke's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

impl TeamsError {
    /// [`TeamsError::InvokeNotImplemented`] for this invoke name (or what was not handled).
    #[must_use]
    pub fn not_implemented(name: impl Into<String>) -> Self {
        Self::InvokeNotImplemented { name: name.into() }
    }

    /// [`TeamsError::InvokeBadRequest`].
    #[must_use]
    pub fn bad_request(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvokeBadRequest {
            name: name.into(),
            reason: reason.into(),
        }
    }
}
