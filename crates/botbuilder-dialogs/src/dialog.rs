//! The [`Dialog`] trait and the data on the dialog stack.

use async_trait::async_trait;
use botbuilder_core::{TurnContext, TurnResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{DialogContext, Error};

/// A step of a conversation that can span several turns: a prompt, a waterfall, a component
/// made of other dialogs, or your own (BotBuilder's `Dialog`).
///
/// A dialog is stateless: it is shared by every conversation (`Arc<dyn Dialog>`), and what it
/// must remember between turns goes in its [`DialogInstance::state`] on the dialog stack,
/// which is stored as JSON in conversation state. The [`DialogContext`] calls these methods:
///
/// | method | called when | the default |
/// |---|---|---|
/// | [`begin_dialog`](Self::begin_dialog) | the dialog is pushed on the stack; its instance is the active one | (required) |
/// | [`continue_dialog`](Self::continue_dialog) | a new turn arrives and this dialog is on top | ends the dialog |
/// | [`resume_dialog`](Self::resume_dialog) | a dialog it began ended, with that dialog's result | ends the dialog with that result |
/// | [`reprompt_dialog`](Self::reprompt_dialog) | the bot asks the dialog to ask its question again | nothing |
/// | [`end_dialog`](Self::end_dialog) | the dialog leaves the stack (ended, replaced, cancelled) | nothing |
///
/// Each of the first three returns a [`DialogTurnResult`]: wait for the user
/// ([`DialogTurnResult::end_of_turn`]) or what ending the dialog returned
/// ([`dc.end_dialog(result)`](DialogContext::end_dialog)). Errors fail the turn, as in a bot.
///
/// A dialog that asks for a number until the user says `stop`, and returns their sum:
///
/// ```
/// use botbuilder_core::{async_trait, TurnResult};
/// use botbuilder_dialogs::{Dialog, DialogContext, DialogTurnResult, DialogTurnStatus};
/// use botbuilder_dialogs::testing::DialogTestClient;
/// use serde_json::{json, Value};
///
/// struct Sum;
///
/// #[async_trait]
/// impl Dialog for Sum {
///     fn id(&self) -> &str {
///         "sum"
///     }
///
///     async fn begin_dialog(&self, dc: &mut DialogContext<'_>, _options: Option<Value>) -> TurnResult<DialogTurnResult> {
///         dc.context().send_activity("Give me numbers, then say stop.").await?;
///         Ok(DialogTurnResult::end_of_turn())
///     }
///
///     async fn continue_dialog(&self, dc: &mut DialogContext<'_>) -> TurnResult<DialogTurnResult> {
///         let text = dc.context().activity().text().to_owned();
///         let state = &mut dc.active_dialog_mut().ok_or("no active dialog")?.state;
///         let total = state.get("total").and_then(Value::as_i64).unwrap_or(0);
///         if text == "stop" {
///             return dc.end_dialog(Some(json!(total))).await;
///         }
///         let total = total + text.parse::<i64>().unwrap_or(0);
///         state.insert("total".into(), json!(total));
///         dc.context().send_activity(format!("Total so far: {total}")).await?;
///         Ok(DialogTurnResult::end_of_turn())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = DialogTestClient::new(Sum);
/// client.flow()
///     .test("hi", "Give me numbers, then say stop.")
///     .test("2", "Total so far: 2")
///     .test("40", "Total so far: 42")
///     .send("stop")
///     .await;
/// let result = client.dialog_turn_result().expect("a turn ran");
/// assert_eq!(result.status, DialogTurnStatus::Complete);
/// assert_eq!(result.result, Some(json!(42)));
/// # }
/// ```
#[async_trait]
pub trait Dialog: Send + Sync {
    /// The dialog's id, unique in its [`DialogSet`](crate::DialogSet): what
    /// [`begin_dialog`](DialogContext::begin_dialog) names and what the stack stores.
    fn id(&self) -> &str;

    /// Starts the dialog. Its instance, with empty state, is already the active dialog;
    /// `options` are what the caller passed to
    /// [`begin_dialog`](DialogContext::begin_dialog).
    async fn begin_dialog(
        &self,
        dc: &mut DialogContext<'_>,
        options: Option<Value>,
    ) -> TurnResult<DialogTurnResult>;

    /// The user answered: the dialog is active and a new turn arrived. The default ends the
    /// dialog with no result.
    async fn continue_dialog(&self, dc: &mut DialogContext<'_>) -> TurnResult<DialogTurnResult> {
        dc.end_dialog(None).await
    }

    /// A dialog this one began has ended (`reason` says how) and this one is active again.
    /// The default ends this dialog too, passing the result on.
    async fn resume_dialog(
        &self,
        dc: &mut DialogContext<'_>,
        reason: DialogReason,
        result: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        let _ = reason;
        dc.end_dialog(result).await
    }

    /// Asks the dialog's question again (after an interruption, for example). The default
    /// does nothing.
    async fn reprompt_dialog(
        &self,
        ctx: &mut TurnContext,
        instance: &mut DialogInstance,
    ) -> TurnResult {
        let _ = (ctx, instance);
        Ok(())
    }

    /// The dialog is leaving the stack: `reason` says whether it ended, was replaced or was
    /// cancelled. Clean up here. The default does nothing.
    async fn end_dialog(
        &self,
        ctx: &mut TurnContext,
        instance: &mut DialogInstance,
        reason: DialogReason,
    ) -> TurnResult {
        let _ = (ctx, instance, reason);
        Ok(())
    }
}

/// One dialog on the stack: its id and its state (BotBuilder's `DialogInstance`, same JSON).
///
/// ```
/// use botbuilder_dialogs::DialogInstance;
/// use serde_json::json;
///
/// let instance: DialogInstance = serde_json::from_value(json!({"id": "main", "state": {"stepIndex": 1}}))?;
/// assert_eq!(instance.id, "main");
/// assert_eq!(instance.state["stepIndex"], 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DialogInstance {
    /// The id of the dialog.
    pub id: String,
    /// What the dialog keeps between turns.
    #[serde(default)]
    pub state: Map<String, Value>,
    /// Fields this SDK does not model (BotBuilder's `version`, ...), kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DialogInstance {
    /// An instance of the dialog with this id, with empty state.
    ///
    /// ```
    /// use botbuilder_dialogs::DialogInstance;
    ///
    /// assert!(DialogInstance::new("main").state.is_empty());
    /// ```
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        DialogInstance {
            id: id.into(),
            ..DialogInstance::default()
        }
    }
}

/// The dialog stack as it is stored in conversation state (BotBuilder's `DialogState`, same
/// JSON: `{"dialogStack": [{"id": ..., "state": {...}}, ...]}`, the active dialog first).
///
/// Keep it in a conversation-state property and hand the accessor to
/// [`DialogSet::new`](crate::DialogSet::new) or [`run_dialog`](crate::run_dialog):
///
/// ```
/// use botbuilder_core::state::ConversationState;
/// use botbuilder_core::storage::MemoryStorage;
/// use botbuilder_dialogs::DialogState;
///
/// let conversation = ConversationState::new(MemoryStorage::new());
/// let dialog_state = conversation.create_property::<DialogState>("DialogState");
/// # let _ = dialog_state;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DialogState {
    /// The stack, the active dialog first (as BotBuilder stores it).
    #[serde(default)]
    pub dialog_stack: Vec<DialogInstance>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a turn of a dialog came to (BotBuilder's `DialogTurnStatus`).
///
/// ```
/// use botbuilder_dialogs::DialogTurnStatus;
///
/// assert_eq!(serde_json::to_string(&DialogTurnStatus::Waiting)?, "\"waiting\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DialogTurnStatus {
    /// No dialog was active: nothing happened (begin one).
    Empty,
    /// A dialog is waiting for the user's next message.
    Waiting,
    /// The last dialog on the stack completed; its result is in
    /// [`DialogTurnResult::result`].
    Complete,
    /// The dialogs were cancelled.
    Cancelled,
}

/// The outcome of a dialog operation: a status, and the result when a dialog completed
/// (BotBuilder's `DialogTurnResult`).
///
/// Results are JSON; read them as your type with [`result_as`](Self::result_as).
///
/// ```
/// use botbuilder_dialogs::{DialogTurnResult, DialogTurnStatus};
/// use serde_json::json;
///
/// let done = DialogTurnResult::complete(Some(json!({"name": "Ada"})));
/// assert_eq!(done.status, DialogTurnStatus::Complete);
///
/// #[derive(serde::Deserialize)]
/// struct Profile { name: String }
/// assert_eq!(done.result_as::<Profile>()?.name, "Ada");
/// assert_eq!(DialogTurnResult::end_of_turn().status, DialogTurnStatus::Waiting);
/// # Ok::<(), botbuilder_dialogs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DialogTurnResult {
    /// What happened.
    pub status: DialogTurnStatus,
    /// The result of the dialog that completed, if it returned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
}

impl DialogTurnResult {
    /// A result with this status and no value.
    #[must_use]
    pub fn new(status: DialogTurnStatus) -> Self {
        DialogTurnResult {
            status,
            result: None,
        }
    }

    /// The dialog waits for the user's next message (BotBuilder's `Dialog.EndOfTurn`).
    #[must_use]
    pub fn end_of_turn() -> Self {
        DialogTurnResult::new(DialogTurnStatus::Waiting)
    }

    /// Nothing was active.
    #[must_use]
    pub fn empty() -> Self {
        DialogTurnResult::new(DialogTurnStatus::Empty)
    }

    /// The last dialog completed with this result.
    #[must_use]
    pub fn complete(result: Option<Value>) -> Self {
        DialogTurnResult {
            status: DialogTurnStatus::Complete,
            result,
        }
    }

    /// The dialogs were cancelled.
    #[must_use]
    pub fn cancelled() -> Self {
        DialogTurnResult::new(DialogTurnStatus::Cancelled)
    }

    /// The result read as `T` (no result reads as JSON `null`, so `Option<T>` gives `None`).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when the result is not a `T`.
    pub fn result_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        value_as(self.result.as_ref(), "the dialog result")
    }
}

/// Why a dialog is resumed or ended (BotBuilder's `DialogReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DialogReason {
    /// The dialog was begun.
    BeginCalled,
    /// A new turn continued the dialog.
    ContinueCalled,
    /// The dialog ended normally (or the dialog above it did).
    EndCalled,
    /// The dialog was replaced by another ([`DialogContext::replace_dialog`]).
    ReplaceCalled,
    /// The dialog was cancelled ([`DialogContext::cancel_all_dialogs`]).
    CancelCalled,
    /// A waterfall step skipped to the next step
    /// ([`WaterfallStepContext::next`](crate::WaterfallStepContext::next)).
    NextCalled,
}

/// Reads an optional JSON value as `T`; `None` reads as `null`.
pub(crate) fn value_as<T: DeserializeOwned>(value: Option<&Value>, what: &str) -> Result<T, Error> {
    match value {
        Some(value) => T::deserialize(value),
        None => T::deserialize(&Value::Null),
    }
    .map_err(|source| Error::invalid_value(what, source))
}

/// Writes `value` as JSON.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|source| Error::invalid_value(what, source))
}
