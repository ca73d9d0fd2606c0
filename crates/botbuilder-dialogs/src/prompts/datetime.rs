//! [`DateTimePrompt`].

use botbuilder_schema::Activity;
use chrono::NaiveDateTime;

use super::{PromptCore, PromptKind, PromptOptions, prompt_impls};
use crate::recognizers::{DateTimeResolution, Locale, recognize_datetimes};

/// Asks for a date, a time, a date and time, or a duration; the result is every one found in
/// the answer, as [`DateTimeResolution`]s (stored as TIMEX strings: `2026-12-01`,
/// `2026-12-01T09:00`, `T15:30`, `PT2H`) (BotBuilder's `DateTimePrompt`).
///
/// Understands ISO 8601 (`2026-12-01`, `2026-12-01T15:30Z`), numeric dates in the locale's
/// order (`12/01/2026` is December 1 in `en-US`, January 12 in `fr-FR`), month names,
/// `today`/`tomorrow`, weekdays, times (`3pm`, `15:30`), combinations (`tomorrow at 9am`),
/// `in 10 minutes`, in English, French, Spanish, German, Portuguese and Chinese (see
/// [`recognize_datetimes`]).
///
/// Relative answers are resolved against the user's local time: the activity's
/// `localTimestamp` when the channel sends one, else its `timestamp` (UTC), else the
/// system clock (UTC).
///
/// ```
/// use botbuilder_dialogs::{ComponentDialog, DateTimePrompt, PromptOptions, WaterfallDialog};
/// use botbuilder_dialogs::recognizers::DateTimeResolution;
/// use botbuilder_dialogs::testing::DialogTestClient;
/// use botbuilder_schema::{Activity, Timestamp};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let ask = WaterfallDialog::new("ask")
///     .step(async move |mut step| {
///         step.prompt("when", PromptOptions::new("When?")).await
///     })
///     .step(async move |mut step| {
///         let when: Vec<DateTimeResolution> = step.result_as()?;
///         step.context().send_activity(when[0].timex()).await?;
///         step.end_dialog(None).await
///     });
/// let dialog = ComponentDialog::new("main").with_dialog(ask).with_dialog(DateTimePrompt::new("when"));
/// let now = Timestamp::parse("2026-11-30T10:00:00+01:00")?;
/// let client = DialogTestClient::new(dialog);
/// client.flow()
///     .test("hi", "When?")
///     .send_activity(Activity { local_timestamp: Some(now), ..Activity::message("tomorrow at 9am") })
///     .assert_reply("2026-12-01T09:00")
///     .await;
/// # Ok(())
/// # }
/// ```
pub struct DateTimePrompt {
    core: PromptCore<DateTimeKind>,
}

impl DateTimePrompt {
    /// A date/time prompt with this dialog id.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        DateTimePrompt {
            core: PromptCore::new(id.into(), DateTimeKind),
        }
    }
}

/// The user's "now": their local time when the channel says, else UTC.
fn reference_time(activity: &Activity) -> NaiveDateTime {
    if let Some(local) = &activity.local_timestamp {
        return local.to_datetime().naive_local();
    }
    match &activity.timestamp {
        Some(timestamp) => timestamp.to_utc().naive_utc(),
        None => chrono::Utc::now().naive_utc(),
    }
}

pub(crate) struct DateTimeKind;

impl PromptKind for DateTimeKind {
    type Value = Vec<DateTimeResolution>;

    fn recognize(
        &self,
        activity: &Activity,
        _: &PromptOptions,
        locale: &Locale,
    ) -> Option<Vec<DateTimeResolution>> {
        let found: Vec<DateTimeResolution> =
            recognize_datetimes(activity.text.as_deref()?, locale, reference_time(activity))
                .into_iter()
                .map(|r| r.resolution)
                .collect();
        Some(found).filter(|f| !f.is_empty())
    }
}

prompt_impls!(DateTimePrompt, Vec<DateTimeResolution>);
