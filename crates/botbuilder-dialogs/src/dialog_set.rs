//! [`DialogSet`]: the dialogs a bot (or a component) can begin, by id.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use botbuilder_core::state::StatePropertyAccessor;
use botbuilder_core::{TurnContext, TurnResult};

use crate::{Dialog, DialogContext, DialogState, Error};

/// The dialogs that can be begun by id, and where their stack is kept (BotBuilder's
/// `DialogSet`).
///
/// Build it once when the bot starts; it is shared by every conversation. Each turn,
/// [`create_context`](Self::create_context) reads the conversation's stack from the dialog
/// state property and returns a [`DialogContext`] to drive it. For the common case of one
/// main dialog, [`run_dialog`](crate::run_dialog) does all of it in one call.
///
/// ```
/// use botbuilder_core::bot_fn;
/// use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState};
/// use botbuilder_core::storage::MemoryStorage;
/// use botbuilder_core::testing::{TestAdapter, TestFlow};
/// use botbuilder_dialogs::{DialogSet, DialogTurnStatus, PromptOptions, TextPrompt};
/// use std::sync::Arc;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let conversation = ConversationState::new(MemoryStorage::new());
/// let dialogs = Arc::new(
///     DialogSet::new(conversation.create_property("DialogState")).with(TextPrompt::new("name")),
/// );
/// let bot = bot_fn(async move |ctx| {
///         let mut dc = dialogs.create_context(ctx).await?;
///         let result = dc.continue_dialog().await?;
///         match result.status {
///             DialogTurnStatus::Empty => {
///                 dc.prompt("name", PromptOptions::new("What is your name?")).await?;
///             }
///             DialogTurnStatus::Complete => {
///                 let name: String = result.result_as()?;
///                 dc.context().send_activity(format!("Hello {name}!")).await?;
///             }
///             _ => {}
///         }
///         Ok(())
///     });
/// let adapter = TestAdapter::new().with_middleware(AutoSaveStateMiddleware::default().with(conversation.clone()));
/// TestFlow::new(adapter, bot)
///     .test("hi", "What is your name?")
///     .test("Ada", "Hello Ada!")
///     .await;
/// # }
/// ```
#[derive(Clone, Default)]
pub struct DialogSet {
    dialogs: BTreeMap<String, Arc<dyn Dialog>>,
    dialog_state: Option<StatePropertyAccessor<DialogState>>,
}

impl DialogSet {
    /// An empty set whose stack is kept in this conversation-state property.
    #[must_use]
    pub fn new(dialog_state: StatePropertyAccessor<DialogState>) -> Self {
        DialogSet {
            dialogs: BTreeMap::new(),
            dialog_state: Some(dialog_state),
        }
    }

    /// An empty set with no state property of its own, as a
    /// [`ComponentDialog`](crate::ComponentDialog) holds (its stack lives in its parent's).
    ///
    /// ```
    /// use botbuilder_dialogs::DialogSet;
    ///
    /// assert!(DialogSet::without_state().dialog_state().is_none());
    /// ```
    #[must_use]
    pub fn without_state() -> Self {
        DialogSet::default()
    }

    /// Adds a dialog.
    ///
    /// # Panics
    /// When a different dialog with the same id was already added: ids name dialogs on the
    /// stored stack, so two dialogs cannot share one. (Adding the same `Arc` twice is
    /// fine.) This is a mistake in the bot's setup, found when the bot starts.
    pub fn add(&mut self, dialog: impl Dialog + 'static) -> &mut Self {
        self.add_shared(Arc::new(dialog))
    }

    /// Adds a dialog, by value (see [`add`](Self::add)).
    ///
    /// ```
    /// use botbuilder_dialogs::{DialogSet, TextPrompt, ConfirmPrompt};
    ///
    /// let set = DialogSet::without_state()
    ///     .with(TextPrompt::new("name"))
    ///     .with(ConfirmPrompt::new("confirm"));
    /// assert_eq!(set.ids().collect::<Vec<_>>(), ["confirm", "name"]);
    /// ```
    ///
    /// # Panics
    /// As [`add`](Self::add).
    #[must_use]
    pub fn with(mut self, dialog: impl Dialog + 'static) -> Self {
        self.add(dialog);
        self
    }

    /// Adds a dialog that is shared with other sets.
    ///
    /// # Panics
    /// As [`add`](Self::add).
    pub fn add_shared(&mut self, dialog: Arc<dyn Dialog>) -> &mut Self {
        let id = dialog.id().to_owned();
        if let Some(existing) = self.dialogs.get(&id) {
            assert!(
                Arc::ptr_eq(existing, &dialog),
                "a different dialog with id {id:?} was already added to this dialog set"
            );
            return self;
        }
        self.dialogs.insert(id, dialog);
        self
    }

    /// The dialog with this id, if it was added.
    ///
    /// ```
    /// use botbuilder_dialogs::{DialogSet, TextPrompt};
    ///
    /// let set = DialogSet::without_state().with(TextPrompt::new("name"));
    /// assert!(set.find("name").is_some());
    /// assert!(set.find("age").is_none());
    /// ```
    #[must_use]
    pub fn find(&self, id: &str) -> Option<&Arc<dyn Dialog>> {
        self.dialogs.get(id)
    }

    /// The ids of the dialogs added, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.dialogs.keys().map(String::as_str)
    }

    /// How many dialogs were added.
    #[must_use]
    pub fn len(&self) -> usize {
        self.dialogs.len()
    }

    /// Whether no dialog was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.dialogs.is_empty()
    }

    /// The property the stack is kept in, if the set has one.
    #[must_use]
    pub fn dialog_state(&self) -> Option<&StatePropertyAccessor<DialogState>> {
        self.dialog_state.as_ref()
    }

    /// Reads the conversation's dialog stack and returns a context to drive it this turn.
    ///
    /// The context writes the stack back into the state property after each operation
    /// (`begin_dialog`, `continue_dialog`, ...); it reaches storage when conversation state
    /// is saved (by [`AutoSaveStateMiddleware`](botbuilder_core::state::AutoSaveStateMiddleware)
    /// or `save_changes`).
    ///
    /// # Errors
    /// [`Error::NoDialogState`] when the set was made with
    /// [`without_state`](Self::without_state); state errors (reading the property).
    pub async fn create_context<'a>(
        &'a self,
        ctx: &'a mut TurnContext,
    ) -> TurnResult<DialogContext<'a>> {
        let property = self.dialog_state.as_ref().ok_or(Error::NoDialogState)?;
        DialogContext::stored(self, None, ctx, property).await
    }
}

impl fmt::Debug for DialogSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DialogSet")
            .field("dialogs", &self.dialogs.keys().collect::<Vec<_>>())
            .field(
                "dialog_state",
                &self.dialog_state.as_ref().map(StatePropertyAccessor::name),
            )
            .finish()
    }
}
