//! The dialogs crate's error type.

use thiserror::Error;

/// What can go wrong in the dialog machinery itself.
///
/// Dialog methods and waterfall steps return [`TurnResult`](botbuilder_core::TurnResult)
/// (a boxed error) so that `?` works on every error type, as in a bot's turn. Errors of this
/// crate travel inside it; downcast to tell them apart:
///
/// ```
/// use botbuilder_dialogs::Error;
///
/// let error: botbuilder_core::BoxError = Box::new(Error::DialogNotFound { id: "main".into() });
/// assert!(matches!(error.downcast_ref::<Error>(), Some(Error::DialogNotFound { id }) if id == "main"));
/// assert_eq!(error.to_string(), "no dialog with id \"main\" was added");
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A dialog id was begun, continued or resumed but no dialog with that id was added to the
    /// set (or the stack stored in state names a dialog this bot no longer has).
    #[error("no dialog with id {id:?} was added")]
    DialogNotFound {
        /// The id looked for.
        id: String,
    },
    /// [`DialogSet::create_context`](crate::DialogSet::create_context) was called on a set made
    /// without a dialog state property ([`DialogSet::new`](crate::DialogSet::new) takes one).
    #[error("this dialog set has no dialog state property to keep its stack in")]
    NoDialogState,
    /// A value could not be read as the type asked for (a step result, dialog options, a
    /// waterfall value), or could not be written as JSON.
    #[error("{what} could not be converted")]
    InvalidValue {
        /// What was being converted, such as `the step result`.
        what: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// A dialog's state on the stack is not what the dialog wrote (changed by hand, or written
    /// by another version of the bot).
    #[error("the state of dialog {id:?} is invalid: {reason}")]
    InvalidState {
        /// The dialog's id.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid_value(what: impl Into<String>, source: serde_json::Error) -> Self {
        Error::InvalidValue {
            what: what.into(),
            source,
        }
    }
}
