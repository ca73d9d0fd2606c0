//! [`ChoicePrompt`].

use botbuilder_schema::{Activity, ChannelId};

use super::{PromptCore, PromptKind, PromptOptions, append_choices, prompt_impls};
use crate::choices::{
    ChoiceFactoryOptions, FindChoicesOptions, FoundChoice, ListStyle, find_choices,
    recognize_choices,
};
use crate::recognizers::Locale;

/// Asks the user to pick one of [`PromptOptions::choices`]; the result is the
/// [`FoundChoice`] (value, index, score, synonym) (BotBuilder's `ChoicePrompt`).
///
/// The choices are shown with the question in the channel's best style (suggested actions in
/// Web Chat and the Emulator, a hero card in Teams, an inline list elsewhere), or the style
/// set with [`with_style`](Self::with_style) or [`PromptOptions::style`]:
/// [`ListStyle::Inline`], [`List`](ListStyle::List),
/// [`SuggestedAction`](ListStyle::SuggestedAction), [`HeroCard`](ListStyle::HeroCard).
///
/// The answer picks a choice by its value, its action's title or a synonym, in any case and
/// inside a phrase (`the bus please`); by its number (`2`) or ordinal (`the second one`,
/// `the last`); or by a close partial match (`red` for `Red pill`), unless two choices match
/// equally well, which asks again. See [`recognize_choices`].
///
/// ```
/// use botbuilder_dialogs::{ChoicePrompt, ComponentDialog, PromptOptions, WaterfallDialog};
/// use botbuilder_dialogs::choices::{Choice, FoundChoice};
/// use botbuilder_dialogs::testing::DialogTestClient;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ask = WaterfallDialog::new("ask")
///     .step(async move |mut step| {
///         let options = PromptOptions::new("Which color?")
///             .with_choices([Choice::from("Red"), Choice::from("Green").with_synonyms(["lime"]), Choice::from("Blue")]);
///         step.prompt("color", options).await
///     })
///     .step(async move |mut step| {
///         let color: FoundChoice = step.result_as()?;
///         step.context().send_activity(format!("{} it is.", color.value)).await?;
///         step.replace_dialog("ask", None).await
///     });
/// let dialog = ComponentDialog::new("main").with_dialog(ask).with_dialog(ChoicePrompt::new("color"));
/// let ask = "Which color? (1) Red, (2) Green, or (3) Blue";
/// let client = DialogTestClient::new(dialog);
/// client.flow()
///     .test("hi", ask)
///     .send("lime please").assert_reply("Green it is.").assert_reply(ask)
///     .send("3").assert_reply("Blue it is.").assert_reply(ask)
///     .send("the first one").assert_reply("Red it is.").assert_reply(ask)
///     .test("purple", ask)
///     .await;
/// # }
/// ```
pub struct ChoicePrompt {
    core: PromptCore<ChoiceKind>,
}

impl ChoicePrompt {
    /// A choice prompt with this dialog id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        ChoicePrompt {
            core: PromptCore::new(
                id.into(),
                ChoiceKind {
                    style: ListStyle::Auto,
                    choice_options: None,
                    recognizer_options: None,
                },
            ),
        }
    }

    /// How the choices are shown (default [`ListStyle::Auto`]: the channel's best);
    /// [`PromptOptions::style`] overrides it for one prompt.
    #[must_use]
    pub fn with_style(mut self, style: ListStyle) -> Self {
        self.core.kind.style = style;
        self
    }

    /// The wording of inline and numbered lists (default: the locale's, numbered).
    #[must_use]
    pub fn with_choice_options(mut self, options: ChoiceFactoryOptions) -> Self {
        self.core.kind.choice_options = Some(options);
        self
    }

    /// How answers are searched (default: [`FindChoicesOptions::default`] with
    /// `allow_partial_matches` on). The `locale` field is replaced by the prompt's locale.
    ///
    /// ```
    /// use botbuilder_dialogs::ChoicePrompt;
    /// use botbuilder_dialogs::choices::FindChoicesOptions;
    ///
    /// // Whole values only, and no picking by number.
    /// let strict = ChoicePrompt::new("pick").with_recognizer_options(FindChoicesOptions {
    ///     allow_partial_matches: false,
    ///     recognize_numbers: false,
    ///     ..FindChoicesOptions::default()
    /// });
    /// # let _ = strict;
    /// ```
    #[must_use]
    pub fn with_recognizer_options(mut self, options: FindChoicesOptions) -> Self {
        self.core.kind.recognizer_options = Some(options);
        self
    }
}

pub(crate) struct ChoiceKind {
    style: ListStyle,
    choice_options: Option<ChoiceFactoryOptions>,
    recognizer_options: Option<FindChoicesOptions>,
}

impl PromptKind for ChoiceKind {
    type Value = FoundChoice;

    fn render(
        &self,
        prompt: Option<&Activity>,
        options: &PromptOptions,
        channel_id: Option<&ChannelId>,
        locale: &Locale,
    ) -> Option<Activity> {
        let style = options.style.unwrap_or(self.style);
        let choice_options = self
            .choice_options
            .clone()
            .unwrap_or_else(|| ChoiceFactoryOptions::for_locale(locale));
        Some(append_choices(
            prompt,
            channel_id,
            &options.choices,
            style,
            &choice_options,
        ))
    }

    fn recognize(
        &self,
        activity: &Activity,
        options: &PromptOptions,
        locale: &Locale,
    ) -> Option<FoundChoice> {
        let text = activity.text.as_deref()?;
        let mut find = self
            .recognizer_options
            .clone()
            .unwrap_or(FindChoicesOptions {
                allow_partial_matches: true,
                ..FindChoicesOptions::default()
            });
        find.locale = locale.clone();
        let found = recognize_choices(text, &options.choices, &find);
        // The best match; the earliest among equals (BotBuilder takes the first).
        let best = found
            .iter()
            .reduce(|best, r| {
                if r.resolution.score > best.resolution.score {
                    r
                } else {
                    best
                }
            })?
            .resolution
            .clone();
        if best.score < 1.0 {
            // A partial match: ask again rather than guess when another choice matches as
            // well (`new` for `New York` and `New Jersey`).
            let ambiguous = options.choices.iter().enumerate().any(|(index, choice)| {
                index != best.index
                    && find_choices(text, std::slice::from_ref(choice), &find)
                        .iter()
                        .any(|r| r.resolution.score >= best.score)
            });
            if ambiguous {
                return None;
            }
        }
        Some(best)
    }
}

prompt_impls!(ChoicePrompt, FoundChoice);
