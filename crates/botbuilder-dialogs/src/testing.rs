//! Testing dialogs: [`DialogTestClient`] runs one dialog as a bot on a
//! [`TestAdapter`] and keeps the last turn's
//! [`DialogTurnResult`].

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use botbuilder_core::state::{ConversationState, StatePropertyAccessor};
use botbuilder_core::storage::{MemoryStorage, Storage};
use botbuilder_core::testing::{TestAdapter, TestFlow};
use botbuilder_core::{Bot, Error as CoreError, TurnContext, TurnResult};
use botbuilder_schema::Activity;
use serde_json::Value;

use crate::{Dialog, DialogState, DialogTurnResult, run_dialog_with_options};

/// The name of the conversation-state property the client keeps the dialog stack in.
pub const DIALOG_STATE_PROPERTY: &str = "DialogState";

/// Runs a dialog as a whole bot, for unit tests (BotBuilder's `DialogTestClient`).
///
/// Each message runs [`run_dialog`](crate::run_dialog) (beginning the dialog with the
/// initial options when it is not active) with the stack in conversation state, saved at
/// the end of every turn; the turn's [`DialogTurnResult`] is kept for
/// [`dialog_turn_result`](Self::dialog_turn_result). Play the conversation with
/// [`flow`](Self::flow) (a [`TestFlow`]) or step by step with
/// [`send_activity`](Self::send_activity).
///
/// ```
/// use botbuilder_dialogs::{DialogTurnStatus, PromptOptions, TextPrompt, WaterfallDialog};
/// use botbuilder_dialogs::testing::DialogTestClient;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dialog = WaterfallDialog::new("echo-once")
///     .step(async move |step| {
///         step.context().send_activity("Say something.").await?;
///         Ok(botbuilder_dialogs::DialogTurnResult::end_of_turn())
///     })
///     .step(async move |mut step| {
///         let text = step.result().cloned();
///         step.end_dialog(text).await
///     });
/// let client = DialogTestClient::new(dialog);
///
/// let reply = client.send_activity("hi").await?;
/// assert_eq!(reply.map(|r| r.text().to_owned()).as_deref(), Some("Say something."));
/// assert_eq!(client.dialog_turn_result().map(|r| r.status), Some(DialogTurnStatus::Waiting));
///
/// client.send_activity("hello").await?;
/// let result = client.dialog_turn_result().expect("a turn ran");
/// assert_eq!(result.status, DialogTurnStatus::Complete);
/// assert_eq!(result.result_as::<String>()?, "hello");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct DialogTestClient {
    dialog: Arc<dyn Dialog>,
    adapter: TestAdapter,
    conversation_state: ConversationState,
    dialog_state: StatePropertyAccessor<DialogState>,
    initial_options: Option<Value>,
    last_result: Arc<Mutex<Option<DialogTurnResult>>>,
}

impl DialogTestClient {
    /// A client running `dialog` on a new [`TestAdapter`] (channel `test`, locale `en-US`),
    /// with conversation state in a new [`MemoryStorage`].
    pub fn new(dialog: impl Dialog + 'static) -> Self {
        Self::with_shared_dialog(Arc::new(dialog))
    }

    /// A client running a shared dialog.
    pub fn with_shared_dialog(dialog: Arc<dyn Dialog>) -> Self {
        let conversation_state = ConversationState::new(MemoryStorage::new());
        DialogTestClient {
            dialog,
            adapter: TestAdapter::new(),
            dialog_state: conversation_state.create_property(DIALOG_STATE_PROPERTY),
            conversation_state,
            initial_options: None,
            last_result: Arc::new(Mutex::new(None)),
        }
    }

    /// Runs on this adapter instead (another channel or locale in its template, middleware).
    ///
    /// ```
    /// use botbuilder_core::testing::TestAdapter;
    /// use botbuilder_core::schema::{ChannelId, ConversationReference};
    /// use botbuilder_dialogs::TextPrompt;
    /// use botbuilder_dialogs::testing::DialogTestClient;
    ///
    /// let mut template = TestAdapter::new().template().clone();
    /// template.channel_id = Some(ChannelId::Webchat);
    /// let client = DialogTestClient::new(TextPrompt::new("name"))
    ///     .with_adapter(TestAdapter::with_template(template));
    /// assert_eq!(client.adapter().template().channel_id, Some(ChannelId::Webchat));
    /// ```
    #[must_use]
    pub fn with_adapter(mut self, adapter: TestAdapter) -> Self {
        self.adapter = adapter;
        self
    }

    /// Keeps conversation state in this storage instead of a new `MemoryStorage` (a store
    /// shared with another client plays a bot restart).
    #[must_use]
    pub fn with_storage(self, storage: impl Storage + 'static) -> Self {
        self.with_conversation_state(ConversationState::new(storage))
    }

    /// Keeps the dialog stack in this conversation state (property `DialogState`).
    #[must_use]
    pub fn with_conversation_state(mut self, conversation_state: ConversationState) -> Self {
        self.dialog_state = conversation_state.create_property(DIALOG_STATE_PROPERTY);
        self.conversation_state = conversation_state;
        self
    }

    /// Begins the dialog with these options.
    #[must_use]
    pub fn with_initial_options(mut self, options: Value) -> Self {
        self.initial_options = Some(options);
        self
    }

    /// The adapter the dialog runs on.
    #[must_use]
    pub fn adapter(&self) -> &TestAdapter {
        &self.adapter
    }

    /// The conversation state the stack is kept in.
    #[must_use]
    pub fn conversation_state(&self) -> &ConversationState {
        &self.conversation_state
    }

    /// The property holding the dialog stack.
    #[must_use]
    pub fn dialog_state(&self) -> &StatePropertyAccessor<DialogState> {
        &self.dialog_state
    }

    /// The result of the last turn's dialog run, if a turn ran and reached the dialog.
    #[must_use]
    pub fn dialog_turn_result(&self) -> Option<DialogTurnResult> {
        self.last_result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A [`TestFlow`] playing a conversation with the dialog.
    pub fn flow(&self) -> TestFlow {
        TestFlow::with_shared_bot(self.adapter.clone(), self.bot())
    }

    /// Sends an activity (a `&str` is a message) from the adapter's user, runs the turn, and
    /// returns the first reply, if any (the others stay queued for
    /// [`next_reply`](Self::next_reply)).
    ///
    /// # Errors
    /// [`Error::Turn`](botbuilder_core::Error::Turn) when the turn failed.
    pub async fn send_activity(
        &self,
        activity: impl Into<Activity>,
    ) -> Result<Option<Activity>, CoreError> {
        let bot = self.bot();
        self.adapter
            .process_activity(activity.into(), bot.as_ref())
            .await?;
        Ok(self.next_reply())
    }

    /// The oldest reply not yet taken in the adapter's conversation.
    #[must_use]
    pub fn next_reply(&self) -> Option<Activity> {
        let conversation = self
            .adapter
            .template()
            .conversation_id()
            .unwrap_or(TestAdapter::DEFAULT_CONVERSATION)
            .to_owned();
        self.adapter.next_reply(&conversation)
    }

    fn bot(&self) -> Arc<dyn Bot> {
        Arc::new(DialogBot {
            dialog: self.dialog.clone(),
            conversation_state: self.conversation_state.clone(),
            dialog_state: self.dialog_state.clone(),
            initial_options: self.initial_options.clone(),
            last_result: self.last_result.clone(),
        })
    }
}

impl fmt::Debug for DialogTestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DialogTestClient")
            .field("dialog", &self.dialog.id())
            .field("adapter", &self.adapter)
            .field("initial_options", &self.initial_options)
            .field("last_result", &self.dialog_turn_result())
            .finish_non_exhaustive()
    }
}

struct DialogBot {
    dialog: Arc<dyn Dialog>,
    conversation_state: ConversationState,
    dialog_state: StatePropertyAccessor<DialogState>,
    initial_options: Option<Value>,
    last_result: Arc<Mutex<Option<DialogTurnResult>>>,
}

#[async_trait]
impl Bot for DialogBot {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        let result = run_dialog_with_options(
            self.dialog.as_ref(),
            ctx,
            &self.dialog_state,
            self.initial_options.clone(),
        )
        .await?;
        *self
            .last_result
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(result);
        self.conversation_state.save_changes(ctx, false).await?;
        Ok(())
    }
}
