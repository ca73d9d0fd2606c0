//! [`NumberPrompt`].

use std::marker::PhantomData;

use botbuilder_schema::Activity;
use serde::Serialize;

use super::{PromptCore, PromptKind, PromptOptions, prompt_impls};
use crate::recognizers::{Locale, Number, recognize_numbers};

/// A number type a [`NumberPrompt`] can return: the integer types (the answer must be a
/// whole number in range) and `f32`/`f64` (any finite number).
///
/// ```
/// use botbuilder_dialogs::PromptNumber;
/// use botbuilder_dialogs::recognizers::Number;
///
/// assert_eq!(u8::from_number(&Number::new(42.0)), Some(42));
/// assert_eq!(u8::from_number(&Number::new(-1.0)), None);
/// assert_eq!(i64::from_number(&Number::new(2.5)), None);
/// assert_eq!(f64::from_number(&Number::new(2.5)), Some(2.5));
/// ```
pub trait PromptNumber: Serialize + Send + Sync + Sized + 'static {
    /// The recognized number as `Self`, if it is one.
    fn from_number(number: &Number) -> Option<Self>;
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl PromptNumber for $t {
            fn from_number(number: &Number) -> Option<Self> {
                number.as_i64().and_then(|n| <$t>::try_from(n).ok())
            }
        }
    )*};
}

integer!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl PromptNumber for f64 {
    fn from_number(number: &Number) -> Option<Self> {
        Some(number.value).filter(|v| v.is_finite())
    }
}

impl PromptNumber for f32 {
    fn from_number(number: &Number) -> Option<Self> {
        #[allow(clippy::cast_possible_truncation)]
        let value = number.value as f32;
        Some(value).filter(|v| v.is_finite())
    }
}

/// Asks for a number, understood as written in the user's locale: `1,234.5` in English,
/// `1.234,5` in German, French, Spanish and Portuguese, `forty two`, `一百二十`, a number inside
/// a sentence (`I am 42`). The result is the first number, as `T` (BotBuilder's
/// `NumberPrompt<T>`); for an integer `T`, a decimal or out-of-range answer asks again.
///
/// ```
/// use botbuilder_dialogs::{ComponentDialog, NumberPrompt, PromptOptions, WaterfallDialog};
/// use botbuilder_dialogs::testing::DialogTestClient;
/// use botbuilder_schema::Activity;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ask = WaterfallDialog::new("ask")
///     .step(async move |mut step| {
///         step.prompt("amount", PromptOptions::new("How much?")).await
///     })
///     .step(async move |mut step| {
///         let amount: f64 = step.result_as()?;
///         step.context().send_activity(format!("{amount}")).await?;
///         step.end_dialog(None).await
///     });
/// let dialog = ComponentDialog::new("main").with_dialog(ask).with_dialog(NumberPrompt::<f64>::new("amount"));
/// let client = DialogTestClient::new(dialog);
/// client.flow()
///     .test("hi", "How much?")
///     .send_activity(Activity::message("1.234,5").with_locale("de-DE"))
///     .assert_reply("1234.5")
///     .await;
/// # }
/// ```
pub struct NumberPrompt<T: PromptNumber> {
    core: PromptCore<NumberKind<T>>,
}

impl<T: PromptNumber> NumberPrompt<T> {
    /// A number prompt with this dialog id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        NumberPrompt {
            core: PromptCore::new(id.into(), NumberKind(PhantomData)),
        }
    }
}

pub(crate) struct NumberKind<T>(PhantomData<fn() -> T>);

impl<T: PromptNumber> PromptKind for NumberKind<T> {
    type Value = T;

    fn recognize(&self, activity: &Activity, _: &PromptOptions, locale: &Locale) -> Option<T> {
        let found = recognize_numbers(activity.text.as_deref()?, locale);
        T::from_number(&found.first()?.resolution)
    }
}

prompt_impls!(NumberPrompt<T: PromptNumber>, T);
