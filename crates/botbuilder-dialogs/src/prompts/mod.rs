//! Prompts: dialogs that ask one question and return the answer, re-asking until it is
//! understood and valid (BotBuilder's prompts).
//!
//! | prompt | understands | result (JSON) | read as |
//! |---|---|---|---|
//! | [`TextPrompt`] | any non-blank text | the text | `String` |
//! | [`NumberPrompt<T>`] | a number as written in the user's locale (`1,234.5`, `1.234,5`, `forty two`) | the number | `T` (`i64`, `u32`, `f64`, ...) |
//! | [`ConfirmPrompt`] | yes / no and their synonyms, in en, fr, es, de, pt, zh; the choice's number | `true` / `false` | `bool` |
//! | [`ChoicePrompt`] | a choice by value, synonym, number, ordinal or close partial match | `{"value", "index", "score", "synonym"}` | [`FoundChoice`](crate::choices::FoundChoice) |
//! | [`AttachmentPrompt`] | a message with attachments | the attachments | `Vec<Attachment>` |
//! | [`DateTimePrompt`] | ISO 8601 and written dates, times, durations | TIMEX strings | `Vec<DateTimeResolution>` |
//! | [`OAuthPrompt`] | a sign-in: magic code, `tokens/response`, Teams `signin/*` invokes | the user's token | [`TokenResponse`](botbuilder_schema::TokenResponse) |
//!
//! Begin one from a waterfall step with [`step.prompt(id, PromptOptions)`](crate::DialogContext::prompt).
//! Each turn that continues it:
//!
//! 1. the activity is recognized (non-message activities are ignored: the prompt keeps
//!    waiting);
//! 2. the attempt count goes up (1 for the first answer);
//! 3. the validator, if any, decides; without one, recognized means valid;
//! 4. valid: the prompt ends with the value. Not valid: unless something was already sent in
//!    this turn (a validator's own message), the retry prompt is sent, or the prompt again
//!    when there is no retry prompt; the prompt keeps waiting.
//!
//! The locale is the activity's `locale`, else the prompt's
//! [default locale](TextPrompt::with_default_locale), else `en-US`.
//!
//! ```
//! use botbuilder_dialogs::{ComponentDialog, NumberPrompt, PromptOptions, WaterfallDialog};
//! use botbuilder_dialogs::testing::DialogTestClient;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let age = NumberPrompt::<i64>::new("age").with_validator(async move |v| {
//!     let ok = v.recognized().is_some_and(|age| (1..150).contains(age));
//!     if !ok && v.succeeded() {
//!         v.context().send_activity(format!("{} is not an age (attempt {}).", v.recognized().unwrap_or(&0), v.attempt_count())).await?;
//!     }
//!     Ok(ok)
//! });
//! let ask = WaterfallDialog::new("ask")
//!     .step(async move |mut step| {
//!         let options = PromptOptions::new("How old are you?").with_retry_prompt("Please type a number.");
//!         step.prompt("age", options).await
//!     })
//!     .step(async move |mut step| {
//!         let age: i64 = step.result_as()?;
//!         step.context().send_activity(format!("You are {age}.")).await?;
//!         step.end_dialog(None).await
//!     });
//! let client = DialogTestClient::new(ComponentDialog::new("main").with_dialog(ask).with_dialog(age));
//! client.flow()
//!     .test("hi", "How old are you?")
//!     .test("old enough", "Please type a number.")
//!     .test("200", "200 is not an age (attempt 2).")
//!     .test("I am 42", "You are 42.")
//!     .await;
//! # }
//! ```

mod attachment;
mod choice;
mod confirm;
mod datetime;
mod number;
mod oauth;
mod text;

use std::fmt;
use std::sync::Arc;

use botbuilder_core::{BoxFuture, TurnContext, TurnResult};
use botbuilder_schema::{Activity, ActivityTypes, ChannelId, InputHints};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::choices::{Choice, ChoiceFactory, ChoiceFactoryOptions, ListStyle};
use crate::dialog::{to_json, value_as};
use crate::recognizers::Locale;
use crate::{DialogContext, DialogInstance, DialogTurnResult, Error};

pub use attachment::AttachmentPrompt;
pub use choice::ChoicePrompt;
pub use confirm::ConfirmPrompt;
pub use datetime::DateTimePrompt;
pub use number::{NumberPrompt, PromptNumber};
pub use oauth::{DEFAULT_SIGN_IN_TIMEOUT, OAuthPrompt};
pub use text::TextPrompt;

/// What a prompt asks and how (BotBuilder's `PromptOptions`, same JSON field names).
///
/// ```
/// use botbuilder_dialogs::PromptOptions;
/// use botbuilder_dialogs::choices::ListStyle;
///
/// let options = PromptOptions::new("How do you travel?")
///     .with_retry_prompt("Please pick one of the options.")
///     .with_choices(["Car", "Bus", "Bicycle"])
///     .with_style(ListStyle::List);
/// assert_eq!(options.choices.len(), 3);
/// assert_eq!(options.retry_prompt.as_ref().map(|a| a.text()), Some("Please pick one of the options."));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptOptions {
    /// The question (a `&str` becomes a message). Choice and confirm prompts add their
    /// choices to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Activity>,
    /// Sent instead of `prompt` when an answer was not recognized or not valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_prompt: Option<Activity>,
    /// The choices of a [`ChoicePrompt`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// How to show the choices, overriding the prompt's own style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<ListStyle>,
    /// Anything a validator should know (a range, a pattern), read with
    /// [`PromptValidatorContext::options`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validations: Option<Value>,
    /// Fields this SDK does not model, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PromptOptions {
    /// Options asking this question. A question from text alone (a `&str` or `String`) is
    /// sent with `inputHint` = `expectingInput`, as BotBuilder-JS does for a string prompt; an
    /// activity with its own input hint keeps it.
    #[must_use]
    pub fn new(prompt: impl Into<Activity>) -> Self {
        PromptOptions {
            prompt: Some(question(prompt.into())),
            ..PromptOptions::default()
        }
    }

    /// Sets the retry prompt (text alone expects input, as in [`PromptOptions::new`]).
    #[must_use]
    pub fn with_retry_prompt(mut self, retry_prompt: impl Into<Activity>) -> Self {
        self.retry_prompt = Some(question(retry_prompt.into()));
        self
    }

    /// Sets the choices (strings or [`Choice`]s).
    #[must_use]
    pub fn with_choices<C: Into<Choice>>(mut self, choices: impl IntoIterator<Item = C>) -> Self {
        self.choices = choices.into_iter().map(Into::into).collect();
        self
    }

    /// Sets how choices are shown.
    #[must_use]
    pub fn with_style(mut self, style: ListStyle) -> Self {
        self.style = Some(style);
        self
    }

    /// Sets what a validator should know.
    ///
    /// ```
    /// use botbuilder_dialogs::PromptOptions;
    /// use serde_json::json;
    ///
    /// let options = PromptOptions::new("How many?").with_validations(json!({"max": 10}));
    /// assert_eq!(options.validations, Some(json!({"max": 10})));
    /// ```
    #[must_use]
    pub fn with_validations(mut self, validations: Value) -> Self {
        self.validations = Some(validations);
        self
    }
}

/// What a prompt's validator sees (BotBuilder's `PromptValidatorContext`): the turn, what
/// was recognized, the prompt's options and how many answers were given so far.
///
/// A validator returns `Ok(true)` to accept the answer (the prompt ends with the recognized
/// value) or `Ok(false)` to ask again. To explain why, it can send its own message: the
/// prompt then does not send the retry prompt in this turn.
pub struct PromptValidatorContext<'a, T> {
    context: &'a mut TurnContext,
    recognized: &'a Option<T>,
    options: &'a PromptOptions,
    attempt_count: u32,
}

impl<T> PromptValidatorContext<'_, T> {
    /// The turn (to read the activity or send a message).
    #[must_use]
    pub fn context(&self) -> &TurnContext {
        self.context
    }

    /// The turn, mutably (for state accessors).
    pub fn context_mut(&mut self) -> &mut TurnContext {
        self.context
    }

    /// The recognized value, or `None` when the answer was not understood.
    #[must_use]
    pub fn recognized(&self) -> Option<&T> {
        self.recognized.as_ref()
    }

    /// Whether the answer was understood.
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.recognized.is_some()
    }

    /// The options the prompt was begun with.
    #[must_use]
    pub fn options(&self) -> &PromptOptions {
        self.options
    }

    /// How many answers the user has given to this prompt, this one included (1 for the
    /// first answer).
    #[must_use]
    pub fn attempt_count(&self) -> u32 {
        self.attempt_count
    }
}

impl<T: fmt::Debug> fmt::Debug for PromptValidatorContext<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromptValidatorContext")
            .field("recognized", self.recognized)
            .field("attempt_count", &self.attempt_count)
            .field("options", self.options)
            .finish_non_exhaustive()
    }
}

type ValidatorFn<T> =
    dyn for<'a> Fn(PromptValidatorContext<'a, T>) -> BoxFuture<'a, TurnResult<bool>> + Send + Sync;

/// What differs from one prompt to another: how the question is shown and how the answer is
/// understood. Both are pure functions of their inputs.
pub(crate) trait PromptKind: Send + Sync {
    /// The recognized value.
    type Value: Serialize + Send + Sync + 'static;

    /// The activity that asks `prompt` (the prompt or retry prompt of the options).
    fn render(
        &self,
        prompt: Option<&Activity>,
        options: &PromptOptions,
        channel_id: Option<&ChannelId>,
        locale: &Locale,
    ) -> Option<Activity> {
        let _ = (options, channel_id, locale);
        prompt.map(|p| expecting_input(p.clone()))
    }

    /// The value in the user's answer, if it has one.
    fn recognize(
        &self,
        activity: &Activity,
        options: &PromptOptions,
        locale: &Locale,
    ) -> Option<Self::Value>;
}

/// What every prompt has: an id, a validator, a default locale; and the prompt logic.
pub(crate) struct PromptCore<K: PromptKind> {
    pub(crate) id: String,
    pub(crate) kind: K,
    pub(crate) validator: Option<Arc<ValidatorFn<K::Value>>>,
    pub(crate) default_locale: Option<String>,
}

const OPTIONS: &str = "options";
const STATE: &str = "state";
const ATTEMPT_COUNT: &str = "attemptCount";

impl<K: PromptKind> PromptCore<K> {
    pub(crate) fn new(id: String, kind: K) -> Self {
        PromptCore {
            id,
            kind,
            validator: None,
            default_locale: None,
        }
    }

    fn locale(&self, activity: &Activity) -> Locale {
        activity
            .locale
            .as_deref()
            .or(self.default_locale.as_deref())
            .map(Locale::parse)
            .unwrap_or_default()
    }

    fn options_of(&self, instance: &DialogInstance) -> Result<PromptOptions, Error> {
        match instance.state.get(OPTIONS) {
            None => Ok(PromptOptions::default()),
            Some(v) => value_as(Some(v), "the prompt options"),
        }
    }

    async fn send_prompt(
        &self,
        ctx: &TurnContext,
        options: &PromptOptions,
        is_retry: bool,
    ) -> TurnResult {
        let locale = self.locale(ctx.activity());
        let prompt = if is_retry {
            options.retry_prompt.as_ref().or(options.prompt.as_ref())
        } else {
            options.prompt.as_ref()
        };
        let channel_id = ctx.activity().channel_id.as_ref();
        if let Some(activity) = self.kind.render(prompt, options, channel_id, &locale) {
            ctx.send_activity(activity).await?;
        }
        Ok(())
    }

    fn active<'d>(&self, dc: &'d mut DialogContext<'_>) -> Result<&'d mut DialogInstance, Error> {
        dc.active_dialog_mut().ok_or_else(|| Error::InvalidState {
            id: self.id.clone(),
            reason: "the prompt is not the active dialog".to_owned(),
        })
    }

    pub(crate) async fn begin(
        &self,
        dc: &mut DialogContext<'_>,
        options: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        let options: PromptOptions = match options {
            None => PromptOptions::default(),
            Some(v) => value_as(Some(&v), "the prompt options")?,
        };
        let instance = self.active(dc)?;
        instance
            .state
            .insert(OPTIONS.to_owned(), to_json(&options, "the prompt options")?);
        instance
            .state
            .insert(STATE.to_owned(), json!({ ATTEMPT_COUNT: 0 }));
        self.send_prompt(dc.context(), &options, false).await?;
        Ok(DialogTurnResult::end_of_turn())
    }

    pub(crate) async fn continue_dialog(
        &self,
        dc: &mut DialogContext<'_>,
    ) -> TurnResult<DialogTurnResult> {
        if dc.context().activity().activity_type != ActivityTypes::Message {
            return Ok(DialogTurnResult::end_of_turn());
        }
        let instance = self.active(dc)?;
        let options = self.options_of(instance)?;
        let state = instance.state.entry(STATE).or_insert_with(|| json!({}));
        if !state.is_object() {
            *state = json!({});
        }
        let attempt_count = state
            .get(ATTEMPT_COUNT)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
            .saturating_add(1);
        state[ATTEMPT_COUNT] = Value::from(attempt_count);

        let locale = self.locale(dc.context().activity());
        let recognized = self
            .kind
            .recognize(dc.context().activity(), &options, &locale);
        let valid = match &self.validator {
            Some(validator) => {
                validator(PromptValidatorContext {
                    context: dc.context_mut(),
                    recognized: &recognized,
                    options: &options,
                    attempt_count,
                })
                .await?
            }
            None => recognized.is_some(),
        };
        tracing::debug!(prompt = %self.id, attempt_count, recognized = recognized.is_some(), valid, "prompt answer");
        if valid {
            let result = match &recognized {
                Some(value) => Some(to_json(value, "the prompt's recognized value")?),
                None => None,
            };
            return dc.end_dialog(result).await;
        }
        if !dc.context().responded() {
            self.send_prompt(dc.context(), &options, true).await?;
        }
        Ok(DialogTurnResult::end_of_turn())
    }

    pub(crate) async fn resume(&self, dc: &mut DialogContext<'_>) -> TurnResult<DialogTurnResult> {
        // Something was pushed on top of the prompt and ended: ask again and keep waiting.
        let options = self.options_of(self.active(dc)?)?;
        self.send_prompt(dc.context(), &options, false).await?;
        Ok(DialogTurnResult::end_of_turn())
    }

    pub(crate) async fn reprompt(
        &self,
        ctx: &TurnContext,
        instance: &DialogInstance,
    ) -> TurnResult {
        let options = self.options_of(instance)?;
        self.send_prompt(ctx, &options, false).await
    }
}

impl<K: PromptKind> fmt::Debug for PromptCore<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prompt")
            .field("id", &self.id)
            .field("validator", &self.validator.is_some())
            .field("default_locale", &self.default_locale)
            .finish_non_exhaustive()
    }
}

/// A question from text alone (a message with only text and the `acceptingInput` hint that
/// `From<&str>` gives it) expects input; any other activity is kept as it is.
fn question(activity: Activity) -> Activity {
    if activity == Activity::from(activity.text()) {
        activity.with_input_hint(InputHints::ExpectingInput)
    } else {
        activity
    }
}

/// The activity with the input hint `expectingInput` unless it has one.
fn expecting_input(mut activity: Activity) -> Activity {
    if activity.input_hint.is_none() {
        activity.input_hint = Some(InputHints::ExpectingInput);
    }
    activity
}

/// The prompt with the choices added in `style` (BotBuilder's `Prompt.appendChoices`): the
/// prompt's text is rendered with the choices; its other fields (attachments, speak, ...)
/// are kept.
fn append_choices(
    prompt: Option<&Activity>,
    channel_id: Option<&ChannelId>,
    choices: &[Choice],
    style: ListStyle,
    options: &ChoiceFactoryOptions,
) -> Activity {
    let text = prompt.and_then(|p| p.text.as_deref()).unwrap_or("");
    let rendered = ChoiceFactory::render(style, channel_id, choices, text, options);
    let Some(prompt) = prompt else {
        return rendered;
    };
    let mut out = prompt.clone();
    out.text = rendered.text;
    if rendered.suggested_actions.is_some() {
        out.suggested_actions = rendered.suggested_actions;
    }
    if let Some(attachments) = rendered.attachments {
        out.attachments
            .get_or_insert_with(Vec::new)
            .extend(attachments);
    }
    if out.input_hint.is_none() {
        out.input_hint = rendered.input_hint;
    }
    expecting_input(out)
}

/// Implements `Dialog` and the shared builder methods for a prompt type with a `core` field.
macro_rules! prompt_impls {
    ($ty:ident $(<$g:ident: $bound:path>)?, $value:ty) => {
        impl$(<$g: $bound>)? $ty$(<$g>)? {
            /// Validates each recognized answer (see
            /// [`PromptValidatorContext`](crate::prompts::PromptValidatorContext)): return
            /// `Ok(true)` to accept it, `Ok(false)` to ask again. The validator also sees
            /// unrecognized answers (`recognized()` is `None`), and can accept them.
            #[must_use]
            pub fn with_validator<F>(mut self, validator: F) -> Self
            where
                F: AsyncFnOnce(
                        $crate::prompts::PromptValidatorContext<'_, $value>,
                    ) -> botbuilder_core::TurnResult<bool>
                    + for<'a> botbuilder_core::callback::Call1<
                        'a,
                        $crate::prompts::PromptValidatorContext<'a, $value>,
                        botbuilder_core::TurnResult<bool>,
                    > + Clone
                    + Sync
                    + 'static,
            {
                self.core.validator = Some(std::sync::Arc::new(move |prompt| {
                    botbuilder_core::callback::Call1::call_boxed(validator.clone(), prompt)
                }));
                self
            }

            /// The locale used when the activity has none (default `en-US`), such as
            /// `fr-FR`.
            #[must_use]
            pub fn with_default_locale(mut self, locale: impl Into<String>) -> Self {
                self.core.default_locale = Some(locale.into());
                self
            }
        }

        #[async_trait::async_trait]
        impl$(<$g: $bound>)? $crate::Dialog for $ty$(<$g>)? {
            fn id(&self) -> &str {
                &self.core.id
            }

            async fn begin_dialog(
                &self,
                dc: &mut $crate::DialogContext<'_>,
                options: Option<serde_json::Value>,
            ) -> botbuilder_core::TurnResult<$crate::DialogTurnResult> {
                self.core.begin(dc, options).await
            }

            async fn continue_dialog(
                &self,
                dc: &mut $crate::DialogContext<'_>,
            ) -> botbuilder_core::TurnResult<$crate::DialogTurnResult> {
                self.core.continue_dialog(dc).await
            }

            async fn resume_dialog(
                &self,
                dc: &mut $crate::DialogContext<'_>,
                _reason: $crate::DialogReason,
                _result: Option<serde_json::Value>,
            ) -> botbuilder_core::TurnResult<$crate::DialogTurnResult> {
                self.core.resume(dc).await
            }

            async fn reprompt_dialog(
                &self,
                ctx: &mut botbuilder_core::TurnContext,
                instance: &mut $crate::DialogInstance,
            ) -> botbuilder_core::TurnResult {
                self.core.reprompt(ctx, instance).await
            }
        }

        impl$(<$g: $bound>)? std::fmt::Debug for $ty$(<$g>)? {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("id", &self.core.id)
                    .field("validator", &self.core.validator.is_some())
                    .field("default_locale", &self.core.default_locale)
                    .finish_non_exhaustive()
            }
        }
    };
}

pub(crate) use prompt_impls;
