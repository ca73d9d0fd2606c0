//! The core crate's error type, and the boxed error a turn returns.

use thiserror::Error;

/// Any error, as a bot's turn or a middleware returns it.
///
/// Bots return `Result<(), BoxError>` ([`TurnResult`]) so that `?` works on every error type:
/// the SDK's own ([`Error`](enum@Error)), the application's, `anyhow`'s. The adapter hands the
/// error to its `on_turn_error` hook, which can downcast it (`error.downcast_ref::<Error>()`).
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
    /// A storage write carried an eTag that no longer matches the stored document: someone
    /// else wrote (or created, or deleted) it since it was read. Nothing was overwritten;
    /// read the document again and redo the change (see
    /// [`storage::SharedDocument`](crate::storage::SharedDocument), which does).
    #[error("storage conflict on {key:?}: the document changed since it was read")]
    StorageConflict {
        /// The key of the document.
        key: String,
    },
    /// A storage backend failed (connection, timeout, quota). The source is the backend's
    /// error.
    #[error("storage failed while {context}: {source}")]
    Storage {
        /// What was being done, such as `writing to redis`.
        context: String,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// A document handed to or returned by storage is not what the storage contract allows:
    /// not a JSON object, or an `eTag` that is not a string.
    #[error("invalid storage document {key:?}: {reason}")]
    InvalidDocument {
        /// The key of the document.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A state property holds a value that does not deserialize to the accessor's type
    /// (the type changed since it was saved, or another bot wrote it).
    #[error("state property {property:?} could not be read: {source}")]
    StateRead {
        /// The name of the property.
        property: String,
        /// The deserializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// A value could not be serialized into a state property (a map with non-string keys,
    /// a `Serialize` impl that failed).
    #[error("state property {property:?} could not be written: {source}")]
    StateWrite {
        /// The name of the property.
        property: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
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

    /// Wraps a storage backend's error; `context` says what was being done.
    ///
    /// ```
    /// use botbuilder_core::Error;
    ///
    /// let io = std::io::Error::other("connection reset");
    /// let e = Error::storage("reading from redis", io);
    /// assert_eq!(e.to_string(), "storage failed while reading from redis: connection reset");
    /// ```
    pub fn storage(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Storage {
            context: context.into(),
            source: source.into(),
        }
    }

    /// Whether this is a [`StorageConflict`](Error::StorageConflict), directly or as the
    /// cause of a failed turn ([`Error::Turn`]).
    ///
    /// ```
    /// use botbuilder_core::Error;
    ///
    /// let conflict = Error::StorageConflict { key: "test/conversations/c1".into() };
    /// assert!(conflict.is_conflict());
    /// assert!(Error::Turn { source: Box::new(conflict) }.is_conflict());
    /// ```
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        match self {
            Error::StorageConflict { .. } => true,
            Error::Turn { source } => source
                .downcast_ref::<Error>()
                .is_some_and(Error::is_conflict),
            _ => false,
        }
    }
}
