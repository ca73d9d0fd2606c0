//! [`ComponentDialog`]: a dialog made of dialogs.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use botbuilder_core::callback::Call1;
use botbuilder_core::{BoxFuture, TurnContext, TurnResult};
use serde_json::Value;

use crate::dialog::{to_json, value_as};
use crate::{
    Dialog, DialogContext, DialogInstance, DialogReason, DialogSet, DialogState, DialogTurnResult,
    DialogTurnStatus, Error,
};

/// Where a component keeps its inner stack in its instance state (BotBuilder's key).
const INNER_STACK: &str = "dialogs";

type InterruptFn = dyn for<'a> Fn(DialogContext<'a>) -> BoxFuture<'a, TurnResult<Option<DialogTurnResult>>>
    + Send
    + Sync;

/// A dialog made of dialogs, with its own stack and its own initial dialog (BotBuilder's
/// `ComponentDialog`).
///
/// To its parent it is one dialog; inside, it begins its initial dialog (the first added,
/// unless [`with_initial_dialog`](Self::with_initial_dialog) names another), and its inner
/// dialogs begin each other by id. When the inner stack empties, the component ends with the
/// result of the last inner dialog. Its inner stack is kept in its instance state (under
/// `dialogs`, as BotBuilder keeps it), so it is stored with the rest of the stack.
///
/// [`with_interruption`](Self::with_interruption) runs before every turn reaches the inner
/// dialogs: the place for `cancel` and `help` at any point of the conversation.
///
/// ```
/// use botbuilder_dialogs::{ComponentDialog, DialogTurnResult, DialogTurnStatus, PromptOptions, TextPrompt, WaterfallDialog};
/// use botbuilder_dialogs::testing::DialogTestClient;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ask = WaterfallDialog::new("ask")
///     .step(async move |mut step| {
///         step.prompt("city", PromptOptions::new("Where to?")).await
///     })
///     .step(async move |mut step| {
///         let city = step.result().cloned();
///         step.end_dialog(city).await
///     });
/// let booking = ComponentDialog::new("booking")
///     .with_dialog(ask)
///     .with_dialog(TextPrompt::new("city"))
///     .with_interruption(async move |mut dc| {
///         match dc.context().activity().text().trim() {
///             "help" => {
///                 dc.context().send_activity("Tell me a city, or say cancel.").await?;
///                 dc.reprompt_dialog().await?;
///                 Ok(Some(DialogTurnResult::end_of_turn()))
///             }
///             "cancel" => {
///                 dc.context().send_activity("Cancelled.").await?;
///                 Ok(Some(dc.cancel_all_dialogs().await?))
///             }
///             _ => Ok(None),
///         }
///     });
///
/// let client = DialogTestClient::new(booking);
/// client.flow()
///     .test("book", "Where to?")
///     .send("help")
///     .assert_reply("Tell me a city, or say cancel.")
///     .assert_reply("Where to?")
///     .test("cancel", "Cancelled.")
///     .await;
/// assert_eq!(client.dialog_turn_result().map(|r| r.status), Some(DialogTurnStatus::Cancelled));
/// # }
/// ```
pub struct ComponentDialog {
    id: String,
    initial_dialog_id: Option<String>,
    dialogs: DialogSet,
    interruption: Option<Arc<InterruptFn>>,
}

impl ComponentDialog {
    /// A component with no dialogs yet.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        ComponentDialog {
            id: id.into(),
            initial_dialog_id: None,
            dialogs: DialogSet::without_state(),
            interruption: None,
        }
    }

    /// Adds an inner dialog, by value. The first one added is the initial dialog unless
    /// [`with_initial_dialog`](Self::with_initial_dialog) says otherwise.
    ///
    /// # Panics
    /// When a different dialog with the same id was already added (see [`DialogSet::add`]).
    #[must_use]
    pub fn with_dialog(mut self, dialog: impl Dialog + 'static) -> Self {
        self.add_dialog(dialog);
        self
    }

    /// Adds an inner dialog (see [`with_dialog`](Self::with_dialog)).
    ///
    /// # Panics
    /// As [`with_dialog`](Self::with_dialog).
    pub fn add_dialog(&mut self, dialog: impl Dialog + 'static) -> &mut Self {
        self.add_shared_dialog(Arc::new(dialog))
    }

    /// Adds an inner dialog shared with other sets.
    ///
    /// # Panics
    /// As [`with_dialog`](Self::with_dialog).
    pub fn add_shared_dialog(&mut self, dialog: Arc<dyn Dialog>) -> &mut Self {
        if self.initial_dialog_id.is_none() {
            self.initial_dialog_id = Some(dialog.id().to_owned());
        }
        self.dialogs.add_shared(dialog);
        self
    }

    /// Begins this inner dialog when the component begins.
    #[must_use]
    pub fn with_initial_dialog(mut self, id: impl Into<String>) -> Self {
        self.initial_dialog_id = Some(id.into());
        self
    }

    /// The id of the dialog begun when the component begins.
    #[must_use]
    pub fn initial_dialog_id(&self) -> Option<&str> {
        self.initial_dialog_id.as_deref()
    }

    /// The inner dialogs.
    #[must_use]
    pub fn dialogs(&self) -> &DialogSet {
        &self.dialogs
    }

    /// Runs `handler` at the start of every turn that continues the component, before the
    /// active inner dialog sees the message (BotBuilder's `CancelAndHelpDialog` pattern, as a
    /// closure).
    ///
    /// The handler gets the component's inner [`DialogContext`]. It returns `Ok(None)` to let
    /// the turn through, or `Ok(Some(result))` to take it: `end_of_turn()` to keep waiting
    /// (after sending help and [`reprompt_dialog`](DialogContext::reprompt_dialog), say), or
    /// what [`cancel_all_dialogs`](DialogContext::cancel_all_dialogs) returned to end the
    /// component. A component cancelled this way ends with no result; when it was the last
    /// dialog on the stack, the turn's status is `Cancelled`.
    #[must_use]
    pub fn with_interruption<F>(mut self, handler: F) -> Self
    where
        F: AsyncFnOnce(DialogContext<'_>) -> TurnResult<Option<DialogTurnResult>>
            + for<'a> Call1<'a, DialogContext<'a>, TurnResult<Option<DialogTurnResult>>>
            + Clone
            + Sync
            + 'static,
    {
        self.interruption = Some(Arc::new(move |dc| handler.clone().call_boxed(dc)));
        self
    }

    /// The inner stack stored in the component's instance.
    fn inner_state(&self, instance: &DialogInstance) -> Result<DialogState, Error> {
        match instance.state.get(INNER_STACK) {
            None => Ok(DialogState::default()),
            Some(value) => {
                value_as(Some(value), "the component's inner dialog stack").map_err(|e| {
                    Error::InvalidState {
                        id: self.id.clone(),
                        reason: botbuilder_core::error::report(&e).to_string(),
                    }
                })
            }
        }
    }

    fn store_inner(instance: &mut DialogInstance, inner: &DialogState) -> Result<(), Error> {
        let value = to_json(inner, "the component's inner dialog stack")?;
        instance.state.insert(INNER_STACK.to_owned(), value);
        Ok(())
    }

    fn load(&self, dc: &DialogContext<'_>) -> Result<DialogState, Error> {
        let instance = dc.active_dialog().ok_or_else(|| self.not_on_stack())?;
        self.inner_state(instance)
    }

    fn store(&self, dc: &mut DialogContext<'_>, inner: &DialogState) -> Result<(), Error> {
        let instance = dc.active_dialog_mut().ok_or_else(|| self.not_on_stack())?;
        Self::store_inner(instance, inner)
    }

    fn not_on_stack(&self) -> Error {
        Error::InvalidState {
            id: self.id.clone(),
            reason: "the component is not the active dialog".to_owned(),
        }
    }

    /// Waits while the inner stack waits; otherwise ends the component with the inner result.
    async fn after_inner(
        &self,
        dc: &mut DialogContext<'_>,
        inner: TurnResult<DialogTurnResult>,
        inner_state: &DialogState,
    ) -> TurnResult<DialogTurnResult> {
        self.store(dc, inner_state)?;
        let inner = inner?;
        match inner.status {
            DialogTurnStatus::Waiting => Ok(DialogTurnResult::end_of_turn()),
            DialogTurnStatus::Cancelled => {
                // With no dialog below to resume, the cancellation is the turn's outcome.
                let alone = dc.stack().len() == 1;
                let outer = dc.end_dialog(None).await?;
                if alone {
                    Ok(DialogTurnResult::cancelled())
                } else {
                    Ok(outer)
                }
            }
            DialogTurnStatus::Complete | DialogTurnStatus::Empty => {
                dc.end_dialog(inner.result).await
            }
        }
    }
}

#[async_trait]
impl Dialog for ComponentDialog {
    fn id(&self) -> &str {
        &self.id
    }

    async fn begin_dialog(
        &self,
        dc: &mut DialogContext<'_>,
        options: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        let initial = self
            .initial_dialog_id
            .as_deref()
            .ok_or_else(|| Error::InvalidState {
                id: self.id.clone(),
                reason: "the component has no dialogs to begin".to_owned(),
            })?;
        let mut inner = DialogState::default();
        let result = dc
            .child(&self.dialogs, &mut inner)
            .begin_dialog(initial, options)
            .await;
        self.after_inner(dc, result, &inner).await
    }

    async fn continue_dialog(&self, dc: &mut DialogContext<'_>) -> TurnResult<DialogTurnResult> {
        let mut inner = self.load(dc)?;
        let result = {
            let mut inner_dc = dc.child(&self.dialogs, &mut inner);
            let interrupted = match &self.interruption {
                Some(handler) => handler(inner_dc.reborrow()).await,
                None => Ok(None),
            };
            match interrupted {
                Ok(Some(result)) => Ok(result),
                Ok(None) => inner_dc.continue_dialog().await,
                Err(e) => Err(e),
            }
        };
        self.after_inner(dc, result, &inner).await
    }

    async fn resume_dialog(
        &self,
        dc: &mut DialogContext<'_>,
        reason: DialogReason,
        result: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        // A dialog was pushed on top of the component (by code outside it) and ended: the
        // component is still in the middle of its own work, so it asks again.
        let _ = (reason, result);
        let mut inner = self.load(dc)?;
        let reprompt = dc.child(&self.dialogs, &mut inner).reprompt_dialog().await;
        self.store(dc, &inner)?;
        reprompt?;
        Ok(DialogTurnResult::end_of_turn())
    }

    async fn reprompt_dialog(
        &self,
        ctx: &mut TurnContext,
        instance: &mut DialogInstance,
    ) -> TurnResult {
        let mut inner = self.inner_state(instance)?;
        let result = DialogContext::new(&self.dialogs, ctx, &mut inner)
            .reprompt_dialog()
            .await;
        Self::store_inner(instance, &inner)?;
        result
    }

    async fn end_dialog(
        &self,
        ctx: &mut TurnContext,
        instance: &mut DialogInstance,
        reason: DialogReason,
    ) -> TurnResult {
        if reason == DialogReason::CancelCalled {
            let mut inner = self.inner_state(instance)?;
            let result = DialogContext::new(&self.dialogs, ctx, &mut inner)
                .cancel_all_dialogs()
                .await;
            Self::store_inner(instance, &inner)?;
            result?;
        }
        Ok(())
    }
}

impl fmt::Debug for ComponentDialog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComponentDialog")
            .field("id", &self.id)
            .field("initial_dialog_id", &self.initial_dialog_id)
            .field("dialogs", &self.dialogs)
            .field("interruption", &self.interruption.is_some())
            .finish()
    }
}
