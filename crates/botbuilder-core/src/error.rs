//! The core crate's error type, the boxed error a turn returns, and two helpers that read
//! any error's chain of causes: [`report`] renders it on one line, [`channel_failure`] says
//! what the channel did (throttled, refused, unreachable).
//!
//! Every error of this SDK says only its own context in `Display`; its cause is reached through
//! [`source`](std::error::Error::source). Log and show errors with [`report`], which joins the
//! whole chain, each cause once:
//!
//! ```
//! use botbuilder_core::Error;
//! use botbuilder_core::error::report;
//!
//! let io = std::io::Error::other("connection reset");
//! let error = Error::storage("reading from redis", io);
//! assert_eq!(error.to_string(), "storage failed while reading from redis");
//! assert_eq!(
//!     report(&error).to_string(),
//!     "storage failed while reading from redis: connection reset"
//! );
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

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
    /// The source is the transport's error. To know whether the channel throttled, refused
    /// or could not be reached, ask [`Error::channel_failure`] rather than downcasting it.
    #[error("{operation} failed")]
    Adapter {
        /// What was being done, such as `send activities`.
        operation: &'static str,
        /// What the channel did, when the adapter could tell (see [`ChannelFailure`]).
        channel_failure: Option<ChannelFailure>,
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
    /// The token service (user sign-in: tokens, sign-in links, sign-out, token exchange)
    /// failed, or no token service is available to the turn. The source is the client's
    /// error (for the HTTP adapter a `ConnectorError`).
    #[error("the token service could not {operation}")]
    UserToken {
        /// What was being done, such as `get a user token`.
        operation: &'static str,
        /// The client's error.
        #[source]
        source: BoxError,
    },
    /// An activity or reference lacks what the operation needs, or is malformed. `Display`
    /// is the schema error's own (it names the field and where it was needed).
    #[error(transparent)]
    Schema(#[from] botbuilder_schema::SchemaError),
    /// A turn's logic (bot, middleware or continuation callback) failed. The adapter's
    /// `on_turn_error` has already run; this carries the original error to the caller of
    /// `continue_conversation` or `process`.
    #[error("the turn failed")]
    Turn {
        /// The error the turn returned.
        #[source]
        source: BoxError,
    },
    /// A middleware ended a proactive turn without calling `next`, so the logic given to
    /// `continue_conversation` never ran and has no value to return.
    #[error("a middleware ended the proactive turn before its logic ran")]
    LogicNotRun,
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
    #[error("storage failed while {context}")]
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
    #[error("state property {property:?} could not be read")]
    StateRead {
        /// The name of the property.
        property: String,
        /// The deserializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// A value could not be serialized into a state property (a map with non-string keys,
    /// a `Serialize` impl that failed).
    #[error("state property {property:?} could not be written")]
    StateWrite {
        /// The name of the property.
        property: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// The channel stopped a streamed answer
    /// ([`StreamingResponse`](crate::streaming::StreamingResponse)): nothing more of it is
    /// sent. The source, when there is one, is the send the channel refused.
    #[error("the streamed answer was stopped: {reason}")]
    StreamStopped {
        /// Why.
        reason: crate::streaming::StreamStop,
        /// The refused send.
        #[source]
        source: Option<BoxError>,
    },
    /// A streamed answer was used after its final message was sent.
    #[error("the streamed answer has already ended")]
    StreamEnded,
    /// The source of a streamed answer (a model's stream) failed; the text before the failure
    /// is kept in the stream.
    #[error("the source of the streamed answer failed")]
    StreamSource {
        /// The source's error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// Wraps a transport error for an operation, when the adapter cannot say what the channel
    /// did (see [`Error::channel`]).
    pub fn adapter(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Error::Adapter {
            operation,
            channel_failure: None,
            source: source.into(),
        }
    }

    /// Wraps a transport error for an operation, with what the channel did: adapters call
    /// this so that callers can ask [`Error::channel_failure`] instead of downcasting the
    /// transport's error.
    ///
    /// ```
    /// use std::time::Duration;
    /// use botbuilder_core::{ChannelFailure, Error};
    ///
    /// let throttled = ChannelFailure::Throttled { retry_after: Some(Duration::from_secs(3)) };
    /// let e = Error::channel("send activities", Some(throttled.clone()), "429 Too Many Requests");
    /// assert_eq!(e.channel_failure(), Some(throttled));
    /// assert_eq!(e.to_string(), "send activities failed");
    /// ```
    pub fn channel(
        operation: &'static str,
        failure: Option<ChannelFailure>,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Adapter {
            operation,
            channel_failure: failure,
            source: source.into(),
        }
    }

    /// Wraps a token service client's error; `operation` says what was being done.
    ///
    /// ```
    /// use botbuilder_core::Error;
    ///
    /// let e = Error::user_token("get a user token", "connection refused");
    /// assert_eq!(e.to_string(), "the token service could not get a user token");
    /// ```
    pub fn user_token(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Error::UserToken {
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
    /// assert_eq!(e.to_string(), "storage failed while reading from redis");
    /// assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "connection reset");
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

    /// Why the channel stopped a streamed answer, when this is [`Error::StreamStopped`],
    /// directly or as the cause of a failed turn ([`Error::Turn`]).
    ///
    /// ```
    /// use botbuilder_core::Error;
    /// use botbuilder_core::streaming::StreamStop;
    ///
    /// let stopped = Error::StreamStopped { reason: StreamStop::UserCancelled, source: None };
    /// assert_eq!(stopped.stream_stop(), Some(&StreamStop::UserCancelled));
    /// let turn = Error::Turn { source: Box::new(stopped) };
    /// assert_eq!(turn.stream_stop(), Some(&StreamStop::UserCancelled));
    /// assert_eq!(Error::StreamEnded.stream_stop(), None);
    /// ```
    #[must_use]
    pub fn stream_stop(&self) -> Option<&crate::streaming::StreamStop> {
        match self {
            Error::StreamStopped { reason, .. } => Some(reason),
            Error::Turn { source } => source.downcast_ref::<Error>().and_then(Error::stream_stop),
            _ => None,
        }
    }

    /// What the channel did, when this error (or any error in its chain of causes, through
    /// [`Error::Turn`] and other wrappers) is a send, update, delete or conversation creation
    /// the channel throttled, refused or could not be reached for. `None` for every other
    /// error. See [`ChannelFailure`] for the classes; [`channel_failure`] does the same for
    /// any error, such as a [`BoxError`].
    ///
    /// ```
    /// use botbuilder_core::{ChannelFailure, Error};
    ///
    /// let refused = ChannelFailure::Refused { status: 403, code: Some("BotDisabled".into()) };
    /// let send = Error::channel("send activities", Some(refused.clone()), "403 Forbidden");
    /// let turn = Error::Turn { source: Box::new(send) };
    /// assert_eq!(turn.channel_failure(), Some(refused));
    /// assert_eq!(Error::StorageConflict { key: "k".into() }.channel_failure(), None);
    /// ```
    #[must_use]
    pub fn channel_failure(&self) -> Option<ChannelFailure> {
        channel_failure(self)
    }
}

/// What the channel did when an outgoing call failed: the question a caller of
/// `send_activity`, `continue_conversation` or `create_conversation` asks to decide whether to
/// retry later, fix the bot's registration, or report an outage.
///
/// The adapter attaches it to [`Error::Adapter`] (the HTTP adapter classifies its connector
/// errors, after the retries its policy allows); read it with [`Error::channel_failure`] or
/// [`channel_failure`], which look through every wrapper.
///
/// | class | the channel ... | what to do |
/// |---|---|---|
/// | [`Throttled`](Self::Throttled) | answered 429 Too Many Requests, and retrying did not help | wait `retry_after` (if given), then try again |
/// | [`Refused`](Self::Refused) | answered 401 or 403: the bot's token or its permission in this conversation was refused | check the app id, password, tenant, and that the bot is still in the conversation; retrying will not help |
/// | [`Unreachable`](Self::Unreachable) | could not be reached (connection refused, DNS, timeout, reset) or answered with a 5xx server error after the retries | the channel is down or overloaded: try again later |
///
/// Anything else (a 400 or 404 for a malformed activity or an unknown conversation, an app
/// token the identity provider would not give, a host that is not trusted) is not a channel
/// failure: it is a bug or a configuration to fix, and `channel_failure()` answers `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelFailure {
    /// The channel answered 429 Too Many Requests, and retrying did not help (or it asked for
    /// a longer wait than the retry policy allows).
    Throttled {
        /// How long the channel asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// The channel answered 401 (it refused the bot's token, even a fresh one) or 403 (the
    /// bot may not do this, for example in a conversation it was removed from).
    Refused {
        /// The HTTP status: 401 or 403.
        status: u16,
        /// The channel's error code (`ErrorResponse.error.code`), such as `BotDisabled`.
        code: Option<String>,
    },
    /// The channel could not be reached (connection refused, DNS failure, timeout, reset), or
    /// it answered with a 5xx server error and the retries the policy allows did not help.
    Unreachable,
}

impl ChannelFailure {
    /// How long the channel asked to wait before trying again, for
    /// [`Throttled`](Self::Throttled).
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ChannelFailure::Throttled { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// What the channel did, for any error: looks through its whole chain of causes for an
/// [`Error::Adapter`] that carries a [`ChannelFailure`]. Use it on a [`BoxError`] (what a
/// turn returns) or an error of the application that wraps the SDK's.
///
/// ```
/// use botbuilder_core::{BoxError, ChannelFailure, Error};
/// use botbuilder_core::error::channel_failure;
///
/// let send = Error::channel("send activities", Some(ChannelFailure::Unreachable), "connection refused");
/// let boxed: BoxError = Box::new(Error::Turn { source: Box::new(send) });
/// assert_eq!(channel_failure(boxed.as_ref()), Some(ChannelFailure::Unreachable));
/// ```
#[must_use]
pub fn channel_failure(error: &(dyn StdError + 'static)) -> Option<ChannelFailure> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(Error::Adapter {
            channel_failure: Some(failure),
            ..
        }) = error.downcast_ref::<Error>()
        {
            return Some(failure.clone());
        }
        next = error.source();
    }
    None
}

/// Renders an error and its chain of causes on one line, joined with `": "`: what logs and
/// HTTP answers should show, since every error here prints only its own context. For a
/// [`BoxError`], pass `error.as_ref()`.
///
/// ```
/// use botbuilder_core::Error;
/// use botbuilder_core::error::report;
///
/// let send = Error::adapter("send activities", "connection refused");
/// let turn = Error::Turn { source: Box::new(send) };
/// assert_eq!(
///     report(&turn).to_string(),
///     "the turn failed: send activities failed: connection refused"
/// );
/// // In a log line: tracing::error!(error = %report(&turn), "the reminder failed");
/// ```
#[must_use]
pub fn report<E: StdError + ?Sized>(error: &E) -> Report<'_, E> {
    Report(error)
}

/// An error and its causes, displayed on one line (see [`report`]).
pub struct Report<'a, E: ?Sized>(&'a E);

impl<E: StdError + ?Sized> fmt::Display for Report<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

impl<E: StdError + ?Sized> fmt::Debug for Report<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cause that is not this crate's, with a cause of its own.
    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the app's job failed")
        }
    }

    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    fn throttled() -> ChannelFailure {
        ChannelFailure::Throttled {
            retry_after: Some(Duration::from_secs(7)),
        }
    }

    #[test]
    fn no_variant_repeats_its_source_in_display() {
        let json = || serde_json::from_str::<u8>("x").unwrap_err();
        let errors = [
            Error::adapter("send activities", "connection refused"),
            Error::Turn {
                source: "the bot's error".into(),
            },
            Error::storage("reading", "connection reset"),
            Error::StateRead {
                property: "p".into(),
                source: json(),
            },
            Error::StateWrite {
                property: "p".into(),
                source: json(),
            },
        ];
        for error in errors {
            let cause = error.source().map(ToString::to_string).unwrap_or_default();
            assert!(!cause.is_empty(), "{error:?} has a source");
            assert!(
                !error.to_string().contains(&cause),
                "{error} repeats {cause}"
            );
            assert_eq!(report(&error).to_string(), format!("{error}: {cause}"));
        }
    }

    #[test]
    fn report_walks_the_whole_chain_once_each() {
        let io = std::io::Error::other("connection reset by peer");
        let turn = Error::Turn {
            source: Box::new(Error::storage("writing state", Outer(io))),
        };
        assert_eq!(
            report(&turn).to_string(),
            "the turn failed: storage failed while writing state: the app's job failed: \
             connection reset by peer"
        );
        let boxed: BoxError = Box::new(turn);
        assert_eq!(
            format!("{:?}", report(boxed.as_ref())),
            report(boxed.as_ref()).to_string()
        );
    }

    #[test]
    fn channel_failure_is_found_through_wrappers() {
        let send = Error::channel("send activities", Some(throttled()), "429");
        assert_eq!(send.channel_failure(), Some(throttled()));
        assert_eq!(
            send.channel_failure().and_then(|f| f.retry_after()),
            Some(Duration::from_secs(7))
        );
        // Twice wrapped, as continue_conversation returns it.
        let turn = Error::Turn {
            source: Box::new(Error::Turn {
                source: Box::new(send),
            }),
        };
        assert_eq!(turn.channel_failure(), Some(throttled()));
        // Boxed, and inside an error that is not this crate's.
        let boxed: BoxError = Box::new(turn);
        assert_eq!(channel_failure(boxed.as_ref()), Some(throttled()));
        // An adapter error the adapter could not classify, and other errors: none.
        assert_eq!(
            Error::adapter("send activities", "bad request").channel_failure(),
            None
        );
        assert_eq!(Error::storage("reading", "reset").channel_failure(), None);
        let io = std::io::Error::other("x");
        assert_eq!(channel_failure(&Outer(io)), None);
        assert_eq!(
            ChannelFailure::Refused {
                status: 403,
                code: None
            }
            .retry_after(),
            None
        );
    }
}
