//! [`AttachmentPrompt`].

use botbuilder_schema::{Activity, Attachment};

use super::{PromptCore, PromptKind, PromptOptions, prompt_impls};
use crate::recognizers::Locale;

/// Asks for attachments (a picture, a file): a message with at least one attachment is an
/// answer; the result is the list of attachments (BotBuilder's `AttachmentPrompt`).
///
/// ```
/// use botbuilder_dialogs::{AttachmentPrompt, ComponentDialog, PromptOptions, WaterfallDialog};
/// use botbuilder_dialogs::testing::DialogTestClient;
/// use botbuilder_schema::{Activity, Attachment};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ask = WaterfallDialog::new("ask")
///     .step(async move |mut step| {
///         step.prompt("photo", PromptOptions::new("Send me a photo.")).await
///     })
///     .step(async move |mut step| {
///         let photos: Vec<Attachment> = step.result_as()?;
///         step.context().send_activity(format!("Got {} ({}).", photos.len(), photos[0].content_type)).await?;
///         step.end_dialog(None).await
///     });
/// let client = DialogTestClient::new(ComponentDialog::new("main").with_dialog(ask).with_dialog(AttachmentPrompt::new("photo")));
/// let mut photo = Attachment::default();
/// photo.content_type = "image/png".into();
/// photo.content_url = Some("https://example.com/cat.png".into());
/// client.flow()
///     .test("hi", "Send me a photo.")
///     .test("no", "Send me a photo.")
///     .send_activity(Activity::message("").with_attachment(photo))
///     .assert_reply("Got 1 (image/png).")
///     .await;
/// # }
/// ```
pub struct AttachmentPrompt {
    core: PromptCore<AttachmentKind>,
}

impl AttachmentPrompt {
    /// An attachment prompt with this dialog id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        AttachmentPrompt {
            core: PromptCore::new(id.into(), AttachmentKind),
        }
    }
}

pub(crate) struct AttachmentKind;

impl PromptKind for AttachmentKind {
    type Value = Vec<Attachment>;

    fn recognize(
        &self,
        activity: &Activity,
        _: &PromptOptions,
        _: &Locale,
    ) -> Option<Vec<Attachment>> {
        Some(activity.attachments().to_vec()).filter(|a| !a.is_empty())
    }
}

prompt_impls!(AttachmentPrompt, Vec<Attachment>);
