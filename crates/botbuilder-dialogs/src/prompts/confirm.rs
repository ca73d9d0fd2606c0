//! [`ConfirmPrompt`].

use botbuilder_schema::{Activity, ChannelId};

use super::{PromptCore, PromptKind, PromptOptions, append_choices, prompt_impls};
use crate::choices::{
    Choice, ChoiceFactoryOptions, FindChoicesOptions, ListStyle, recognize_choices,
};
use crate::recognizers::{Locale, recognize_boolean};

/// Asks a yes/no question; the result is `true` or `false` (BotBuilder's `ConfirmPrompt`).
///
/// Understands yes and no with their usual synonyms, inside a phrase (`yes please`, `sure`,
/// `ok`, `nope`, `of course not`), in English, French, Spanish, German, Portuguese and Chinese
/// (`oui`, `sí`, `ja`, `sim`, `是`), and, when the choices are numbered, their number (`1`
/// is yes). The question shows the locale's yes/no (`Yes`/`No`, `Oui`/`Non`, ...) as
/// choices, in the channel's best style; change them with
/// [`with_confirm_choices`](Self::with_confirm_choices) and
/// [`with_style`](Self::with_style).
///
/// ```
/// use botbuilder_dialogs::{ComponentDialog, ConfirmPrompt, PromptOptions, WaterfallDialog};
/// use botbuilder_dialogs::testing::DialogTestClient;
/// use botbuilder_schema::Activity;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ask = WaterfallDialog::new("ask")
///     .step(async move |mut step| {
///         step.prompt("ok", PromptOptions::new("Shall we?")).await
///     })
///     .step(async move |mut step| {
///         let yes: bool = step.result_as()?;
///         step.context().send_activity(if yes { "Let's go." } else { "Maybe later." }).await?;
///         step.end_dialog(None).await
///     });
/// let dialog = ComponentDialog::new("main").with_dialog(ask).with_dialog(ConfirmPrompt::new("ok"));
/// let client = DialogTestClient::new(dialog);
/// client.flow()
///     .test("hi", "Shall we? (1) Yes or (2) No")
///     .test("hmm", "Shall we? (1) Yes or (2) No")
///     .test("sure thing", "Let's go.")
///     .test("hi", "Shall we? (1) Yes or (2) No")
///     .send_activity(Activity::message("non merci").with_locale("fr-FR"))
///     .assert_reply("Maybe later.")
///     .await;
/// # }
/// ```
pub struct ConfirmPrompt {
    core: PromptCore<ConfirmKind>,
}

impl ConfirmPrompt {
    /// A confirm prompt with this dialog id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        ConfirmPrompt {
            core: PromptCore::new(
                id.into(),
                ConfirmKind {
                    style: ListStyle::Auto,
                    choice_options: None,
                    confirm_choices: None,
                },
            ),
        }
    }

    /// How the yes/no choices are shown (default [`ListStyle::Auto`]: the channel's best);
    /// [`PromptOptions::style`] overrides it for one prompt.
    #[must_use]
    pub fn with_style(mut self, style: ListStyle) -> Self {
        self.core.kind.style = style;
        self
    }

    /// The wording of inline and numbered lists (default: the locale's, numbered). Without
    /// numbers, a number in the answer is not read as a choice.
    #[must_use]
    pub fn with_choice_options(mut self, options: ChoiceFactoryOptions) -> Self {
        self.core.kind.choice_options = Some(options);
        self
    }

    /// The choices shown for yes and no, whatever the locale (default: the locale's
    /// `Yes`/`No`). Their values and synonyms are understood too.
    ///
    /// ```
    /// use botbuilder_dialogs::ConfirmPrompt;
    /// use botbuilder_dialogs::choices::Choice;
    ///
    /// let prompt = ConfirmPrompt::new("ok")
    ///     .with_confirm_choices(Choice::from("Absolutely"), Choice::from("No way").with_synonyms(["never"]));
    /// # let _ = prompt;
    /// ```
    #[must_use]
    pub fn with_confirm_choices(mut self, yes: Choice, no: Choice) -> Self {
        self.core.kind.confirm_choices = Some([yes, no]);
        self
    }
}

pub(crate) struct ConfirmKind {
    style: ListStyle,
    choice_options: Option<ChoiceFactoryOptions>,
    confirm_choices: Option<[Choice; 2]>,
}

impl ConfirmKind {
    fn choices(&self, locale: &Locale) -> [Choice; 2] {
        match &self.confirm_choices {
            Some(choices) => choices.clone(),
            None => {
                let (yes, no) = locale.yes_no();
                [Choice::from(yes), Choice::from(no)]
            }
        }
    }

    fn choice_options(&self, locale: &Locale) -> ChoiceFactoryOptions {
        self.choice_options
            .clone()
            .unwrap_or_else(|| ChoiceFactoryOptions::for_locale(locale))
    }
}

impl PromptKind for ConfirmKind {
    type Value = bool;

    fn render(
        &self,
        prompt: Option<&Activity>,
        options: &PromptOptions,
        channel_id: Option<&ChannelId>,
        locale: &Locale,
    ) -> Option<Activity> {
        let style = options.style.unwrap_or(self.style);
        Some(append_choices(
            prompt,
            channel_id,
            &self.choices(locale),
            style,
            &self.choice_options(locale),
        ))
    }

    fn recognize(&self, activity: &Activity, _: &PromptOptions, locale: &Locale) -> Option<bool> {
        let text = activity.text.as_deref()?;
        if let Some(found) = recognize_boolean(text, locale) {
            return Some(found.resolution);
        }
        // The choices' own words and, when they were numbered, their numbers.
        let choices = self.choices(locale);
        let find = FindChoicesOptions {
            recognize_numbers: self.choice_options(locale).include_numbers,
            recognize_ordinals: self.choice_options(locale).include_numbers,
            ..FindChoicesOptions::for_locale(locale.clone())
        };
        recognize_choices(text, &choices, &find)
            .first()
            .map(|found| found.resolution.index == 0)
    }
}

prompt_impls!(ConfirmPrompt, bool);
