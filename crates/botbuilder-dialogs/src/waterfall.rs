//! [`WaterfallDialog`]: a dialog made of steps, run one after another.

use std::fmt;
use std::ops::{Deref, DerefMut};

use async_trait::async_trait;
use botbuilder_core::callback::Call1;
use botbuilder_core::{BoxFuture, TurnResult};
use botbuilder_schema::ActivityTypes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::dialog::{to_json, value_as};
use crate::{Dialog, DialogContext, DialogReason, DialogTurnResult, Error};

const OPTIONS: &str = "options";
const VALUES: &str = "values";
const INSTANCE_ID: &str = "instanceId";
const STEP_INDEX: &str = "stepIndex";

type StepFn = dyn for<'a> Fn(WaterfallStepContext<'a>) -> BoxFuture<'a, TurnResult<DialogTurnResult>>
    + Send
    + Sync;

/// A dialog that runs its steps in order, one step a turn or several (BotBuilder's
/// `WaterfallDialog`).
///
/// Each step is an async function of a [`WaterfallStepContext`]. A step usually asks
/// something (begins a prompt or another dialog) and returns what that returned; the answer
/// (the dialog's result) is handed to the next step as [`step.result()`](WaterfallStepContext::result).
/// A step may also skip ahead with [`step.next(result)`](WaterfallStepContext::next), or end
/// the waterfall with [`step.end_dialog(result)`](DialogContext::end_dialog). After the last
/// step, the waterfall ends with the last step's result.
///
/// Steps are async closures, `async |step| { ... }` (cloned for each run: capture `Clone`
/// values); the step context is moved into the future. Values that must last for the whole waterfall go in
/// [`step.values_mut()`](WaterfallStepContext::values_mut) (stored with the dialog's state);
/// the waterfall's own options are [`step.options()`](WaterfallStepContext::options).
///
/// ```
/// use botbuilder_dialogs::{ComponentDialog, NumberPrompt, PromptOptions, TextPrompt, WaterfallDialog};
/// use botbuilder_dialogs::testing::DialogTestClient;
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let order = WaterfallDialog::new("order")
///     .step(async move |mut step| {
///         step.prompt("item", PromptOptions::new("What would you like?")).await
///     })
///     .step(async move |mut step| {
///         let item: String = step.result_as()?;
///         step.set_value("item", &item)?;
///         step.prompt("quantity", PromptOptions::new(format!("How many {item}?"))).await
///     })
///     .step(async move |mut step| {
///         let quantity: i64 = step.result_as()?;
///         let item: String = step.value("item")?.unwrap_or_default();
///         step.context().send_activity(format!("{quantity} {item}, coming up.")).await?;
///         step.end_dialog(Some(json!({"item": item, "quantity": quantity}))).await
///     });
/// let dialog = ComponentDialog::new("shop")
///     .with_dialog(order)
///     .with_dialog(TextPrompt::new("item"))
///     .with_dialog(NumberPrompt::<i64>::new("quantity"));
///
/// let client = DialogTestClient::new(dialog);
/// client.flow()
///     .test("hi", "What would you like?")
///     .test("pancakes", "How many pancakes?")
///     .test("3", "3 pancakes, coming up.")
///     .await;
/// let result = client.dialog_turn_result().and_then(|r| r.result);
/// assert_eq!(result, Some(json!({"item": "pancakes", "quantity": 3})));
/// # }
/// ```
///
/// A step can also be an `async fn` taking the step context:
///
/// ```
/// use botbuilder_core::TurnResult;
/// use botbuilder_dialogs::{DialogTurnResult, WaterfallDialog, WaterfallStepContext};
///
/// async fn greet(step: WaterfallStepContext<'_>) -> TurnResult<DialogTurnResult> {
///     step.context().send_activity("Hello!").await?;
///     step.next(None).await
/// }
///
/// let dialog = WaterfallDialog::new("greet").step(greet);
/// assert_eq!(dialog.len(), 1);
/// ```
pub struct WaterfallDialog {
    id: String,
    steps: Vec<Box<StepFn>>,
}

impl WaterfallDialog {
    /// A waterfall with no steps yet (with none, it ends as soon as it begins).
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        WaterfallDialog {
            id: id.into(),
            steps: Vec::new(),
        }
    }

    /// Adds a step, by value.
    #[must_use]
    pub fn step<F>(mut self, step: F) -> Self
    where
        F: AsyncFnOnce(WaterfallStepContext<'_>) -> TurnResult<DialogTurnResult>
            + for<'a> Call1<'a, WaterfallStepContext<'a>, TurnResult<DialogTurnResult>>
            + Clone
            + Sync
            + 'static,
    {
        self.add_step(step);
        self
    }

    /// Adds a step.
    pub fn add_step<F>(&mut self, step: F) -> &mut Self
    where
        F: AsyncFnOnce(WaterfallStepContext<'_>) -> TurnResult<DialogTurnResult>
            + for<'a> Call1<'a, WaterfallStepContext<'a>, TurnResult<DialogTurnResult>>
            + Clone
            + Sync
            + 'static,
    {
        self.steps
            .push(Box::new(move |ctx| step.clone().call_boxed(ctx)));
        self
    }

    /// How many steps there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether there is no step.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs step `index` (or ends the waterfall when there is none) with the active dialog,
    /// which must be this waterfall's instance.
    async fn run_step(
        &self,
        dc: &mut DialogContext<'_>,
        index: usize,
        reason: DialogReason,
        result: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        let Some(step) = self.steps.get(index) else {
            return dc.end_dialog(result).await;
        };
        let position = dc.stack().len().saturating_sub(1);
        let instance = dc.active_dialog_mut().ok_or_else(|| Error::InvalidState {
            id: self.id.clone(),
            reason: "the waterfall is not on the stack".to_owned(),
        })?;
        instance
            .state
            .insert(STEP_INDEX.to_owned(), Value::from(index));
        let options = instance.state.get(OPTIONS).cloned();
        let instance_id = instance
            .state
            .get(INSTANCE_ID)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        tracing::debug!(dialog = %self.id, step = index, ?reason, "waterfall step");
        let step_context = WaterfallStepContext {
            dc: dc.reborrow(),
            waterfall: self,
            index,
            options,
            reason,
            result,
            instance_id,
            position,
            detached_values: Map::new(),
        };
        step(step_context).await
    }
}

#[async_trait]
impl Dialog for WaterfallDialog {
    fn id(&self) -> &str {
        &self.id
    }

    async fn begin_dialog(
        &self,
        dc: &mut DialogContext<'_>,
        options: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        let instance = dc.active_dialog_mut().ok_or_else(|| Error::InvalidState {
            id: self.id.clone(),
            reason: "the waterfall is not on the stack".to_owned(),
        })?;
        let state = &mut instance.state;
        if let Some(options) = options {
            state.insert(OPTIONS.to_owned(), options);
        }
        state.insert(VALUES.to_owned(), Value::Object(Map::new()));
        state.insert(
            INSTANCE_ID.to_owned(),
            Value::String(format!(
                "{:016x}{:016x}",
                fastrand::u64(..),
                fastrand::u64(..)
            )),
        );
        self.run_step(dc, 0, DialogReason::BeginCalled, None).await
    }

    async fn continue_dialog(&self, dc: &mut DialogContext<'_>) -> TurnResult<DialogTurnResult> {
        // Only a message answers a step; other activities (typing, reactions) wait.
        if dc.context().activity().activity_type != ActivityTypes::Message {
            return Ok(DialogTurnResult::end_of_turn());
        }
        let text = dc.context().activity().text.clone().map(Value::String);
        self.resume_dialog(dc, DialogReason::ContinueCalled, text)
            .await
    }

    async fn resume_dialog(
        &self,
        dc: &mut DialogContext<'_>,
        reason: DialogReason,
        result: Option<Value>,
    ) -> TurnResult<DialogTurnResult> {
        let index = dc
            .active_dialog()
            .and_then(|d| d.state.get(STEP_INDEX))
            .and_then(Value::as_u64)
            .and_then(|i| usize::try_from(i).ok())
            .ok_or_else(|| Error::InvalidState {
                id: self.id.clone(),
                reason: "no step index".to_owned(),
            })?;
        self.run_step(dc, index + 1, reason, result).await
    }
}

impl fmt::Debug for WaterfallDialog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaterfallDialog")
            .field("id", &self.id)
            .field("steps", &self.steps.len())
            .finish()
    }
}

/// What a waterfall step gets: the dialog context (it derefs to [`DialogContext`], so
/// `step.prompt(..)`, `step.begin_dialog(..)`, `step.end_dialog(..)` and `step.context()`
/// work), the previous step's result, the waterfall's options and its values (BotBuilder's
/// `WaterfallStepContext`).
pub struct WaterfallStepContext<'a> {
    dc: DialogContext<'a>,
    waterfall: &'a WaterfallDialog,
    index: usize,
    options: Option<Value>,
    reason: DialogReason,
    result: Option<Value>,
    instance_id: String,
    /// The waterfall's instance's position on the stack, counted from the bottom.
    position: usize,
    /// Where values go once the waterfall's instance has left the stack.
    detached_values: Map<String, Value>,
}

impl<'a> WaterfallStepContext<'a> {
    /// The step's index, from 0.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// Why the step runs: [`BeginCalled`](DialogReason::BeginCalled) for the first,
    /// [`EndCalled`](DialogReason::EndCalled) after a dialog the previous step began ended,
    /// [`ContinueCalled`](DialogReason::ContinueCalled) when the previous step waited for a
    /// message itself, [`NextCalled`](DialogReason::NextCalled) after `next`.
    #[must_use]
    pub fn reason(&self) -> DialogReason {
        self.reason
    }

    /// The options the waterfall was begun with.
    #[must_use]
    pub fn options(&self) -> Option<&Value> {
        self.options.as_ref()
    }

    /// The options read as `T` (none reads as `null`, so `Option<T>` gives `None`).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when they are not a `T`.
    pub fn options_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        value_as(self.options.as_ref(), "the waterfall options")
    }

    /// The previous step's result: the result of the dialog it began, the value it passed to
    /// `next`, or the text of the message when it returned `end_of_turn` itself.
    #[must_use]
    pub fn result(&self) -> Option<&Value> {
        self.result.as_ref()
    }

    /// The previous step's result read as `T` (none reads as `null`, so `Option<T>` gives
    /// `None`).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when it is not a `T`.
    pub fn result_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        value_as(self.result.as_ref(), "the step result")
    }

    /// Where the waterfall's instance is in the stack now, if it is still there.
    fn instance_index(&self) -> Option<usize> {
        let stack = self.dc.stack();
        let index = stack.len().checked_sub(self.position + 1)?;
        let same = stack[index].state.get(INSTANCE_ID).and_then(Value::as_str)
            == Some(self.instance_id.as_str());
        same.then_some(index)
    }

    /// The values kept for the whole waterfall (stored with its state, so they survive
    /// between turns and restarts).
    #[must_use]
    pub fn values(&self) -> &Map<String, Value> {
        match self.instance_index() {
            Some(index) => self.dc.stack()[index]
                .state
                .get(VALUES)
                .and_then(Value::as_object)
                .unwrap_or(&self.detached_values),
            None => &self.detached_values,
        }
    }

    /// The values kept for the whole waterfall, mutably.
    pub fn values_mut(&mut self) -> &mut Map<String, Value> {
        let Some(index) = self.instance_index() else {
            return &mut self.detached_values;
        };
        let slot = self.dc.stack_mut()[index]
            .state
            .entry(VALUES)
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        match slot {
            Value::Object(values) => values,
            _ => &mut self.detached_values,
        }
    }

    /// The value `key` read as `T`, or `None` when it is not set.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when it is not a `T`.
    pub fn value<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        self.values()
            .get(key)
            .map(|v| value_as(Some(v), &format!("the waterfall value {key:?}")))
            .transpose()
    }

    /// Sets the value `key` (any serde type; stored as JSON).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when the value does not serialize.
    pub fn set_value<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        let value = to_json(value, &format!("the waterfall value {key:?}"))?;
        self.values_mut().insert(key.to_owned(), value);
        Ok(())
    }

    /// Skips to the next step now, handing it `result` (BotBuilder's `step.next()`). After the
    /// last step, ends the waterfall with `result`.
    ///
    /// ```
    /// use botbuilder_dialogs::{ComponentDialog, ConfirmPrompt, PromptOptions, WaterfallDialog};
    /// use botbuilder_dialogs::testing::DialogTestClient;
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let dialog = WaterfallDialog::new("maybe-ask")
    ///     .step(async move |mut step| {
    ///         if step.options_as::<Option<bool>>()? == Some(true) {
    ///             return step.next(Some(json!(true))).await;   // already known: skip the question
    ///         }
    ///         step.prompt("confirm", PromptOptions::new("Sure?")).await
    ///     })
    ///     .step(async move |step| {
    ///         let sure: bool = step.result_as()?;
    ///         step.context().send_activity(format!("sure: {sure}")).await?;
    ///         step.next(None).await
    ///     });
    /// let dialog = ComponentDialog::new("main").with_dialog(dialog).with_dialog(ConfirmPrompt::new("confirm"));
    ///
    /// let client = DialogTestClient::new(dialog).with_initial_options(json!(true));
    /// client.flow().test("hi", "sure: true").await;
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidState`] when the step changed the stack (began or ended a dialog)
    /// before calling `next`; the next step's errors.
    pub async fn next(self, result: Option<Value>) -> TurnResult<DialogTurnResult> {
        let WaterfallStepContext {
            mut dc,
            waterfall,
            index,
            instance_id,
            position,
            ..
        } = self;
        let active_is_this = dc.stack().len() == position + 1
            && dc
                .active_dialog()
                .and_then(|d| d.state.get(INSTANCE_ID))
                .and_then(Value::as_str)
                == Some(instance_id.as_str());
        if !active_is_this {
            return Err(Error::InvalidState {
                id: waterfall.id.clone(),
                reason: "`next` was called after the step began or ended a dialog".to_owned(),
            }
            .into());
        }
        waterfall
            .run_step(&mut dc, index + 1, DialogReason::NextCalled, result)
            .await
    }
}

impl<'a> Deref for WaterfallStepContext<'a> {
    type Target = DialogContext<'a>;

    fn deref(&self) -> &DialogContext<'a> {
        &self.dc
    }
}

impl DerefMut for WaterfallStepContext<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.dc
    }
}

impl fmt::Debug for WaterfallStepContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaterfallStepContext")
            .field("waterfall", &self.waterfall.id)
            .field("index", &self.index)
            .field("reason", &self.reason)
            .field("result", &self.result)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
