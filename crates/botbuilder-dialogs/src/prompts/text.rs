//! [`TextPrompt`].

use botbuilder_schema::Activity;

use super::{PromptCore, PromptKind, PromptOptions, prompt_impls};
use crate::recognizers::Locale;

/// Asks for text: any message with non-blank text is an answer; the result is the text
/// (BotBuilder's `TextPrompt`).
///
/// ```
/// use botbuilder_dialogs::{ComponentDialog, PromptOptions, TextPrompt, WaterfallDialog};
/// use botbuilder_dialogs::testing::DialogTestClient;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let name = TextPrompt::new("name").with_validator(async move |v| {
///     Ok(v.recognized().is_some_and(|name| name.chars().count() >= 2))
/// });
/// let ask = WaterfallDialog::new("ask")
///     .step(async move |mut step| {
///         step.prompt("name", PromptOptions::new("Your name?").with_retry_prompt("At least two letters, please.")).await
///     })
///     .step(async move |mut step| {
///         let name: String = step.result_as()?;
///         step.context().send_activity(format!("Hi {name}.")).await?;
///         step.end_dialog(None).await
///     });
/// let client = DialogTestClient::new(ComponentDialog::new("main").with_dialog(ask).with_dialog(name));
/// client.flow()
///     .test("hello", "Your name?")
///     .test("A", "At least two letters, please.")
///     .test("Ada", "Hi Ada.")
///     .await;
/// # }
/// ```
pub struct TextPrompt {
    core: PromptCore<TextKind>,
}

impl TextPrompt {
    /// A text prompt with this dialog id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        TextPrompt {
            core: PromptCore::new(id.into(), TextKind),
        }
    }
}

pub(crate) struct TextKind;

impl PromptKind for TextKind {
    type Value = String;

    fn recognize(&self, activity: &Activity, _: &PromptOptions, _: &Locale) -> Option<String> {
        activity
            .text
            .as_ref()
            .filter(|t| !t.trim().is_empty())
            .cloned()
    }
}

prompt_impls!(TextPrompt, String);
