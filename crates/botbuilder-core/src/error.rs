//! The core crate's error type, and the boxed error a turn returns.

use thiserror::Error;

/// Any error, as a bot's turn or a middleware returns it.
///
/// Bots return `Result<(), BoxError>` ([`TurnResult`]) so that `?` works on every error type:
/// the SDK's own ([`enum@Error`]), the application's, `anyhow`'s. The adapter hands the error to
/// its `on_turn_error` hook, which can downcast it (`error.downcast_ref::<Error>()`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result of a turn, a middleware or a handler method.
pub type TurnResult<T = ()> = Result<T, BoxError>;

/// What can go wrong in the turn pipeline, in state and in storage.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The adapter failed to deliver, update or delete an activity, or to start a turn.
    ///
    /// The source is the transport's error: for the HTTP adapter, downcast it to
    /// `botbuilder_connector::ConnectorError` to tell throttling from a bad request.
    #[error("{operation} failed: {source}")]
    Adapter {
        /// What was being done, such as `send activities`.
        operation: &'static str,
        /// The transport's error.
        #[source]
        source: BoxError,
    },
    /// The adapter does not support this operation (for example creating a conversation on a
    /// channel that cannot).
    #[error("{operation} is not supported by this adapter")]
    NotSupported {
        /// The operation.
        operation: &'static str,
    },
    /// An activity or reference lacks what the operation needs, or is malformed.
    #[error("invalid activity: {0}")]
    Schema(#[from] botbuilder_schema::SchemaError),
    /// A turn's logic (bot, middleware or continuation callback) failed. The adapter's
    /// `on_turn_error` has already run; this carries the original error to the caller of
    /// `continue_conversation` or `process`.
    #[error("the turn failed: {source}")]
    Turn {
        /// The error the turn returned.
        #[source]
        source: BoxError,
    },
    /// The bot's turn panicked. The panic was caught so the server keeps serving.
    #[error("the turn panicked: {message}")]
    Panic {
        /// The panic's message, when it was a string.
        message: String,
    },
}

impl Error {
    /// Wraps a transport error for an operation.
    pub fn adapter(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Error::Adapter {
            operation,
            source: source.into(),
        }
    }
}
