//! [`DialogContext`]: one turn's view of a dialog stack, and [`run_dialog`].

use std::fmt;

use botbuilder_core::state::StatePropertyAccessor;
use botbuilder_core::{TurnContext, TurnResult};
use serde_json::Value;

use crate::dialog::to_json;
use crate::{
    Dialog, DialogInstance, DialogReason, DialogSet, DialogState, DialogTurnResult,
    DialogTurnStatus, Error, PromptOptions,
};

/// Where a context's stack lives.
enum Stack<'a> {
    /// Read from a conversation-state property; written back after each outermost operation.
    Stored {
        state: DialogState,
        property: &'a StatePropertyAccessor<DialogState>,
        existed: bool,
    },
    /// Owned by the caller (a component's inner stack, a reborrowed context).
    Borrowed(&'a mut DialogState),
}

impl Stack<'_> {
    fn get(&self) -> &DialogState {
        match self {
            Stack::Stored { state, .. } => state,
            Stack::Borrowed(state) => state,
        }
    }

    fn get_mut(&mut self) -> &mut DialogState {
        match self {
            Stack::Stored { state, .. } => state,
            Stack::Borrowed(state) => state,
        }
    }
}

/// A dialog stack and the turn it is driven in (BotBuilder's `DialogContext`).
///
/// Dialogs receive one in each of their methods; bots get one from
/// [`DialogSet::create_context`] (or let [`run_dialog`] drive it). The stack is a list of
/// [`DialogInstance`]s, the active dialog first. The operations:
///
/// | operation | does | returns |
/// |---|---|---|
/// | [`begin_dialog`](Self::begin_dialog) | pushes a dialog and begins it | what the dialog returned |
/// | [`prompt`](Self::prompt) | `begin_dialog` for a prompt, with [`PromptOptions`] | |
/// | [`continue_dialog`](Self::continue_dialog) | hands the turn to the active dialog | `Empty` when there is none |
/// | [`end_dialog`](Self::end_dialog) | pops the active dialog and resumes the one below with the result | `Complete` with the result when the stack is now empty |
/// | [`replace_dialog`](Self::replace_dialog) | pops the active dialog and begins another in its place | |
/// | [`cancel_all_dialogs`](Self::cancel_all_dialogs) | ends every dialog on the stack | `Cancelled` (or `Empty`) |
/// | [`reprompt_dialog`](Self::reprompt_dialog) | asks the active dialog to ask again | |
///
/// A context from [`DialogSet::create_context`] writes the stack back to the state property
/// after each operation; a context made with [`new`](Self::new) works on the
/// [`DialogState`] it was given.
///
/// Reading and sending go through [`context`](Self::context) (`&TurnContext`, so `send_activity`
/// works while the stack is borrowed); state accessors take
/// [`context_mut`](Self::context_mut).
pub struct DialogContext<'a> {
    dialogs: &'a DialogSet,
    root: Option<&'a dyn Dialog>,
    ctx: &'a mut TurnContext,
    stack: Stack<'a>,
    depth: u32,
}

impl<'a> DialogContext<'a> {
    /// A context over a stack the caller holds: the dialogs of `dialogs` can be begun, and
    /// the stack is `state` (nothing is written to conversation state: save `state` yourself).
    ///
    /// ```
    /// use botbuilder_core::bot_fn;
    /// use botbuilder_core::testing::{TestAdapter, TestFlow};
    /// use botbuilder_dialogs::{DialogContext, DialogSet, DialogState, PromptOptions, TextPrompt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let bot = bot_fn(async move |ctx| {
    ///     let dialogs = DialogSet::without_state().with(TextPrompt::new("name"));
    ///     let mut state = DialogState::default();
    ///     let mut dc = DialogContext::new(&dialogs, ctx, &mut state);
    ///     dc.prompt("name", PromptOptions::new("What is your name?")).await?;
    ///     assert_eq!(dc.active_dialog().map(|d| d.id.as_str()), Some("name"));
    ///     assert_eq!(state.dialog_stack.len(), 1);
    ///     Ok(())
    /// });
    /// TestFlow::new(TestAdapter::new(), bot).test("hi", "What is your name?").await;
    /// # }
    /// ```
    pub fn new(
        dialogs: &'a DialogSet,
        ctx: &'a mut TurnContext,
        state: &'a mut DialogState,
    ) -> Self {
        DialogContext {
            dialogs,
            root: None,
            ctx,
            stack: Stack::Borrowed(state),
            depth: 0,
        }
    }

    /// A context whose stack is read from `property` now and written back after each
    /// operation. `root`, when given, can be begun by id although it is not in `dialogs`.
    pub(crate) async fn stored(
        dialogs: &'a DialogSet,
        root: Option<&'a dyn Dialog>,
        ctx: &'a mut TurnContext,
        property: &'a StatePropertyAccessor<DialogState>,
    ) -> TurnResult<Self> {
        let loaded = property.get(ctx).await?;
        let existed = loaded.is_some();
        Ok(DialogContext {
            dialogs,
            root,
            ctx,
            stack: Stack::Stored {
                state: loaded.unwrap_or_default(),
                property,
                existed,
            },
            depth: 0,
        })
    }

    /// A context over the same turn, dialogs and stack, borrowed from this one: what a
    /// dialog hands to code that takes a `DialogContext` by value (a waterfall step, an
    /// interruption handler). Operations on it are written back with this context's.
    pub fn reborrow(&mut self) -> DialogContext<'_> {
        DialogContext {
            dialogs: self.dialogs,
            root: self.root,
            ctx: &mut *self.ctx,
            stack: Stack::Borrowed(self.stack.get_mut()),
            depth: 0,
        }
    }

    /// A context over another stack in the same turn, whose dialogs are `dialogs`: how a
    /// dialog made of dialogs ([`ComponentDialog`](crate::ComponentDialog)) runs its own
    /// stack, which it keeps in its instance state.
    pub fn child<'b>(
        &'b mut self,
        dialogs: &'b DialogSet,
        state: &'b mut DialogState,
    ) -> DialogContext<'b> {
        DialogContext::new(dialogs, &mut *self.ctx, state)
    }

    /// The turn: the incoming activity, and `send_activity`.
    #[must_use]
    pub fn context(&self) -> &TurnContext {
        self.ctx
    }

    /// The turn, mutably: for state accessors (`profile.get(dc.context_mut())`).
    pub fn context_mut(&mut self) -> &mut TurnContext {
        self.ctx
    }

    /// The dialogs this context can begin.
    #[must_use]
    pub fn dialogs(&self) -> &'a DialogSet {
        self.dialogs
    }

    /// The stack, the active dialog first.
    #[must_use]
    pub fn stack(&self) -> &[DialogInstance] {
        &self.stack.get().dialog_stack
    }

    pub(crate) fn stack_mut(&mut self) -> &mut Vec<DialogInstance> {
        &mut self.stack.get_mut().dialog_stack
    }

    /// The active dialog (the top of the stack), if any.
    #[must_use]
    pub fn active_dialog(&self) -> Option<&DialogInstance> {
        self.stack().first()
    }

    /// The active dialog, mutably: a dialog keeps its state in `state`.
    pub fn active_dialog_mut(&mut self) -> Option<&mut DialogInstance> {
        self.stack_mut().first_mut()
    }

    /// The dialog with this id that this context can begin.
    #[must_use]
    pub fn find_dialog(&self, id: &str) -> Option<&'a dyn Dialog> {
        let dialogs: &'a DialogSet = self.dialogs;
        if let Some(dialog) = dialogs.find(id) {
            return Some(&**dialog);
        }
        self.root.filter(|root| root.id() == id)
    }

    fn require_dialog(&self, id: &str) -> Result<&'a dyn Dialog, Error> {
        self.find_dialog(id)
            .ok_or_else(|| Error::DialogNotFound { id: id.to_owned() })
    }

    /// Pushes the dialog with this id on the stack and begins it with `options`.
    ///
    /// # Errors
    /// [`Error::DialogNotFound`] when no such dialog was added; the dialog's errors.
    pub async fn begin_dialog(
        &mut self,
        id: &str,
        options: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        self.depth += 1;
        let result = self.begin_inner(id, options).await;
        self.finish(result).await
    }

    /// Begins a prompt: [`begin_dialog`](Self::begin_dialog) with [`PromptOptions`].
    ///
    /// # Errors
    /// As [`begin_dialog`](Self::begin_dialog).
    pub async fn prompt(
        &mut self,
        id: &str,
        options: PromptOptions,
    ) -> TurnResult<DialogTurnResult> {
        let options = to_json(&options, "the prompt options")?;
        self.begin_dialog(id, Some(options)).await
    }

    /// Hands the turn to the active dialog ([`Dialog::continue_dialog`]); `Empty` when the
    /// stack is empty.
    ///
    /// # Errors
    /// [`Error::DialogNotFound`] when the stored stack names a dialog that is not in the
    /// set; the dialog's errors.
    pub async fn continue_dialog(&mut self) -> TurnResult<DialogTurnResult> {
        self.depth += 1;
        let result = self.continue_inner().await;
        self.finish(result).await
    }

    /// Ends the active dialog with `result` and resumes the dialog below it
    /// ([`Dialog::resume_dialog`]); when the stack is then empty, returns `Complete` with the
    /// result.
    ///
    /// # Errors
    /// [`Error::DialogNotFound`] when the dialog below is not in the set; the dialogs'
    /// errors.
    pub async fn end_dialog(&mut self, result: Option<Value>) -> TurnResult<DialogTurnResult> {
        self.depth += 1;
        let result = self.end_inner(result).await;
        self.finish(result).await
    }

    /// Ends the active dialog and begins the dialog with this id in its place (a loop: a
    /// waterfall that replaces itself starts over).
    ///
    /// # Errors
    /// As [`begin_dialog`](Self::begin_dialog).
    pub async fn replace_dialog(
        &mut self,
        id: &str,
        options: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        self.depth += 1;
        let result = match self.end_active_dialog(DialogReason::ReplaceCalled).await {
            Ok(()) => self.begin_inner(id, options).await,
            Err(e) => Err(e),
        };
        self.finish(result).await
    }

    /// Ends every dialog on the stack, the active one first, with reason
    /// [`DialogReason::CancelCalled`]; `Cancelled`, or `Empty` when there was none.
    ///
    /// # Errors
    /// The dialogs' errors (from their [`end_dialog`](Dialog::end_dialog)).
    pub async fn cancel_all_dialogs(&mut self) -> TurnResult<DialogTurnResult> {
        self.depth += 1;
        let result = self.cancel_inner().await;
        self.finish(result).await
    }

    /// Asks the active dialog to ask its question again ([`Dialog::reprompt_dialog`]).
    ///
    /// # Errors
    /// [`Error::DialogNotFound`] when the active dialog is not in the set; the dialog's
    /// errors.
    pub async fn reprompt_dialog(&mut self) -> TurnResult {
        self.depth += 1;
        let result = self.reprompt_inner().await;
        self.finish(result).await
    }

    async fn begin_inner(
        &mut self,
        id: &str,
        options: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        let dialog = self.require_dialog(id)?;
        tracing::debug!(dialog = id, "begin dialog");
        self.stack_mut().insert(0, DialogInstance::new(id));
        dialog.begin_dialog(self, options).await
    }

    async fn continue_inner(&mut self) -> TurnResult<DialogTurnResult> {
        let Some(id) = self.active_dialog().map(|d| d.id.clone()) else {
            return Ok(DialogTurnResult::empty());
        };
        let dialog = self.require_dialog(&id)?;
        dialog.continue_dialog(self).await
    }

    async fn end_inner(&mut self, result: Option<Value>) -> TurnResult<DialogTurnResult> {
        self.end_active_dialog(DialogReason::EndCalled).await?;
        let Some(id) = self.active_dialog().map(|d| d.id.clone()) else {
            return Ok(DialogTurnResult::complete(result));
        };
        let dialog = self.require_dialog(&id)?;
        tracing::debug!(dialog = %id, "resume dialog");
        dialog
            .resume_dialog(self, DialogReason::EndCalled, result)
            .await
    }

    async fn cancel_inner(&mut self) -> TurnResult<DialogTurnResult> {
        if self.stack().is_empty() {
            return Ok(DialogTurnResult::empty());
        }
        while !self.stack().is_empty() {
            self.end_active_dialog(DialogReason::CancelCalled).await?;
        }
        Ok(DialogTurnResult::cancelled())
    }

    async fn reprompt_inner(&mut self) -> TurnResult {
        let Some(id) = self.active_dialog().map(|d| d.id.clone()) else {
            return Ok(());
        };
        let dialog = self.require_dialog(&id)?;
        let ctx = &mut *self.ctx;
        match self.stack.get_mut().dialog_stack.first_mut() {
            Some(instance) => dialog.reprompt_dialog(ctx, instance).await,
            None => Ok(()),
        }
    }

    /// Pops the active dialog, telling it why.
    async fn end_active_dialog(&mut self, reason: DialogReason) -> TurnResult {
        if self.stack().is_empty() {
            return Ok(());
        }
        let mut instance = self.stack_mut().remove(0);
        tracing::debug!(dialog = %instance.id, ?reason, "end dialog");
        match self.find_dialog(&instance.id) {
            Some(dialog) => dialog.end_dialog(self.ctx, &mut instance, reason).await,
            None => Ok(()),
        }
    }

    /// Closes an operation: when it was the outermost one on a stored stack, writes the
    /// stack back to its property.
    async fn finish<T>(&mut self, result: TurnResult<T>) -> TurnResult<T> {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0
            && let Stack::Stored {
                state,
                property,
                existed,
            } = &mut self.stack
        {
            // A conversation that never had a dialog does not get an empty stack written.
            if *existed || !state.dialog_stack.is_empty() || !state.extra.is_empty() {
                property.set(&mut *self.ctx, &*state).await?;
                *existed = true;
            }
        }
        result
    }
}

impl fmt::Debug for DialogContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DialogContext")
            .field(
                "stack",
                &self
                    .stack()
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("dialogs", self.dialogs)
            .finish_non_exhaustive()
    }
}

/// Runs a bot's turn through `dialog`: continues it when it is active in this conversation,
/// otherwise begins it (BotBuilder's `Dialog.run` / `DialogExtensions.RunAsync`).
///
/// The stack is read from and written to `dialog_state`, a conversation-state property;
/// conversation state must then be saved ([`AutoSaveStateMiddleware`] does it at the end of
/// every turn). Returns the turn's [`DialogTurnResult`]: `Waiting` while the dialog waits for
/// the user, `Complete` with its result when it ended in this turn (the next message begins
/// it again), `Cancelled` when it was cancelled.
///
/// [`AutoSaveStateMiddleware`]: botbuilder_core::state::AutoSaveStateMiddleware
///
/// ```
/// use botbuilder_core::{async_trait, ActivityHandler, TurnContext, TurnResult};
/// use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState, StatePropertyAccessor};
/// use botbuilder_core::storage::MemoryStorage;
/// use botbuilder_core::testing::{TestAdapter, TestFlow};
/// use botbuilder_dialogs::{run_dialog, ComponentDialog, DialogState, PromptOptions, TextPrompt, WaterfallDialog};
///
/// struct Greeter {
///     dialog: ComponentDialog,
///     dialog_state: StatePropertyAccessor<DialogState>,
/// }
///
/// #[async_trait]
/// impl ActivityHandler for Greeter {
///     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
///         run_dialog(&self.dialog, ctx, &self.dialog_state).await?;
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let dialog = ComponentDialog::new("greeter")
///     .with_dialog(WaterfallDialog::new("steps")
///         .step(async move |mut step| {
///             step.prompt("name", PromptOptions::new("What is your name?")).await
///         })
///         .step(async move |mut step| {
///             let name: String = step.result_as()?;
///             step.context().send_activity(format!("Hello {name}!")).await?;
///             step.end_dialog(None).await
///         }))
///     .with_dialog(TextPrompt::new("name"));
/// let conversation = ConversationState::new(MemoryStorage::new());
/// let bot = Greeter { dialog, dialog_state: conversation.create_property("DialogState") };
/// let adapter = TestAdapter::new().with_middleware(AutoSaveStateMiddleware::default().with(conversation.clone()));
/// TestFlow::new(adapter, bot)
///     .test("hi", "What is your name?")
///     .test("Ada", "Hello Ada!")
///     .test("hi again", "What is your name?")
///     .await;
/// # }
/// ```
///
/// # Errors
/// State errors reading or writing the property; the dialogs' errors.
pub async fn run_dialog(
    dialog: &dyn Dialog,
    ctx: &mut TurnContext,
    dialog_state: &StatePropertyAccessor<DialogState>,
) -> TurnResult<DialogTurnResult> {
    run_dialog_with_options(dialog, ctx, dialog_state, None).await
}

/// [`run_dialog`], beginning the dialog with `options` when it is not active.
///
/// # Errors
/// As [`run_dialog`].
pub async fn run_dialog_with_options(
    dialog: &dyn Dialog,
    ctx: &mut TurnContext,
    dialog_state: &StatePropertyAccessor<DialogState>,
    options: Option<Value>,
) -> TurnResult<DialogTurnResult> {
    let dialogs = DialogSet::without_state();
    let mut dc = DialogContext::stored(&dialogs, Some(dialog), ctx, dialog_state).await?;
    let result = dc.continue_dialog().await?;
    if result.status == DialogTurnStatus::Empty {
        dc.begin_dialog(dialog.id(), options).await
    } else {
        Ok(result)
    }
}
