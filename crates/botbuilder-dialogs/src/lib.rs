//! Dialogs for botbuilder-rs: multi-turn conversations as waterfalls, prompts and components,
//! kept in conversation state (BotBuilder v4's `botbuilder-dialogs`).
//!
//! - The model: a [`Dialog`] is a stateless step of a conversation (`Arc<dyn Dialog>`,
//!   string ids); each conversation has a stack of [`DialogInstance`]s, stored as BotBuilder's
//!   JSON ([`DialogState`]) in a conversation-state property, so any
//!   [`Storage`](botbuilder_core::storage::Storage) works and a restarted bot resumes mid-dialog.
//!   A [`DialogContext`] drives the stack for one turn (begin, continue, end, replace, cancel
//!   all); [`run_dialog`] does a bot's whole turn in one call.
//! - [`WaterfallDialog`]: steps as async closures over a [`WaterfallStepContext`].
//! - [`prompts`]: [`TextPrompt`], [`NumberPrompt`], [`ConfirmPrompt`], [`ChoicePrompt`],
//!   [`AttachmentPrompt`], [`DateTimePrompt`], [`OAuthPrompt`] (user sign-in), with retry prompts, async validators and the
//!   user's locale.
//! - [`ComponentDialog`]: a dialog made of dialogs, with interruptions (`cancel`, `help`).
//! - [`testing::DialogTestClient`]: runs a dialog through a `TestFlow` and keeps the last
//!   turn's result.
//! - Underneath, the input recognition prompts use, usable on its own: [`recognizers`]
//!   (numbers, ordinals, yes/no, dates and times, per locale) and [`choices`] (recognizing and
//!   rendering choice lists).
//!
//! `docs/dialogs.md` explains the model, how state is stored, and how BotBuilder C#/JS
//! dialogs map to these types.
//!
//! A bot that asks two questions:
//!
//! ```
//! use botbuilder_core::{async_trait, ActivityHandler, TurnContext, TurnResult};
//! use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState, StatePropertyAccessor};
//! use botbuilder_core::storage::MemoryStorage;
//! use botbuilder_core::testing::{TestAdapter, TestFlow};
//! use botbuilder_dialogs::{run_dialog, ComponentDialog, DialogState, NumberPrompt, PromptOptions, TextPrompt, WaterfallDialog};
//!
//! struct Bot {
//!     dialog: ComponentDialog,
//!     dialog_state: StatePropertyAccessor<DialogState>,
//! }
//!
//! #[async_trait]
//! impl ActivityHandler for Bot {
//!     async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
//!         run_dialog(&self.dialog, ctx, &self.dialog_state).await?;
//!         Ok(())
//!     }
//! }
//!
//! fn profile_dialog() -> ComponentDialog {
//!     let steps = WaterfallDialog::new("steps")
//!         .step(async move |mut step| {
//!             step.prompt("name", PromptOptions::new("What is your name?")).await
//!         })
//!         .step(async move |mut step| {
//!             let name: String = step.result_as()?;
//!             step.set_value("name", &name)?;
//!             let ask = PromptOptions::new(format!("How old are you, {name}?"))
//!                 .with_retry_prompt("Please give your age as a number.");
//!             step.prompt("age", ask).await
//!         })
//!         .step(async move |mut step| {
//!             let age: u32 = step.result_as()?;
//!             let name: String = step.value("name")?.unwrap_or_default();
//!             step.context().send_activity(format!("{name}, {age}: noted.")).await?;
//!             step.end_dialog(None).await
//!         });
//!     ComponentDialog::new("profile")
//!         .with_dialog(steps)
//!         .with_dialog(TextPrompt::new("name"))
//!         .with_dialog(NumberPrompt::<u32>::new("age"))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let conversation = ConversationState::new(MemoryStorage::new());
//! let bot = Bot { dialog: profile_dialog(), dialog_state: conversation.create_property("DialogState") };
//! let adapter = TestAdapter::new().with_middleware(AutoSaveStateMiddleware::default().with(conversation.clone()));
//! TestFlow::new(adapter, bot)
//!     .test("hi", "What is your name?")
//!     .test("Ada", "How old are you, Ada?")
//!     .test("old", "Please give your age as a number.")
//!     .test("36", "Ada, 36: noted.")
//!     .await;
//! # }
//! ```

#![warn(clippy::unwrap_used)]

pub mod choices;
mod component;
mod dialog;
mod dialog_context;
mod dialog_set;
mod error;
pub mod prompts;
pub mod recognizers;
pub mod testing;
mod text;
mod waterfall;

pub use component::ComponentDialog;
pub use dialog::{
    Dialog, DialogInstance, DialogReason, DialogState, DialogTurnResult, DialogTurnStatus,
};
pub use dialog_context::{DialogContext, run_dialog, run_dialog_with_options};
pub use dialog_set::DialogSet;
pub use error::Error;
pub use prompts::{
    AttachmentPrompt, ChoicePrompt, ConfirmPrompt, DateTimePrompt, NumberPrompt, OAuthPrompt,
    PromptNumber, PromptOptions, PromptValidatorContext, TextPrompt,
};
pub use waterfall::{WaterfallDialog, WaterfallStepContext};
