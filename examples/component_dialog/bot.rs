//! The booking bot: a main dialog that runs a booking component dialog, which asks where to,
//! where from and when, confirms, and can be interrupted with `help` or `cancel` at any
//! question.
//!
//! This module has no HTTP in it: `main.rs` hosts it, and `tests/component_dialog.rs` plays
//! it with `TestFlow`.

use std::sync::Arc;

use botbuilder::core::state::{ConversationState, StatePropertyAccessor};
use botbuilder::core::storage::Storage;
use botbuilder::dialogs::recognizers::DateTimeResolution;
use botbuilder::prelude::*;
use serde::{Deserialize, Serialize};

/// A trip, as far as it is known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BookingDetails {
    /// Where to.
    pub(crate) destination: Option<String>,
    /// Where from.
    pub(crate) origin: Option<String>,
    /// When, as `YYYY-MM-DD`.
    pub(crate) travel_date: Option<String>,
}

// Dialog ids.
const MAIN: &str = "main";
const MAIN_STEPS: &str = "mainSteps";
const BOOKING: &str = "booking";
const BOOKING_STEPS: &str = "bookingSteps";
const TEXT: &str = "text";
const DATE: &str = "date";
const CONFIRM: &str = "confirm";

/// What `help` says.
pub(crate) const HELP: &str =
    "I can book a trip: tell me where to, where from and when. Say cancel to stop.";

/// The bot: runs the main dialog on every message and saves the dialog stack after each turn.
pub(crate) struct BookingBot {
    dialog: ComponentDialog,
    dialog_state: StatePropertyAccessor<DialogState>,
    conversation_state: ConversationState,
}

impl BookingBot {
    /// The bot with its dialog stack in `storage`.
    pub(crate) fn new(storage: Arc<dyn Storage>) -> Self {
        let conversation_state = ConversationState::new(storage);
        BookingBot {
            dialog: main_dialog(),
            dialog_state: conversation_state.create_property("DialogState"),
            conversation_state,
        }
    }
}

#[async_trait]
impl ActivityHandler for BookingBot {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        botbuilder::core::dispatch_activity(self, ctx).await?;
        self.conversation_state.save_changes(ctx, false).await?;
        Ok(())
    }

    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        run_dialog(&self.dialog, ctx, &self.dialog_state).await?;
        Ok(())
    }
}

/// The main dialog: reads what it can from the first message, books, and reports.
fn main_dialog() -> ComponentDialog {
    let steps = WaterfallDialog::new(MAIN_STEPS)
        .step(async move |mut step| {
            let details = details_from(step.context().activity().text());
            step.begin_dialog(BOOKING, Some(serde_json::to_value(details)?))
                .await
        })
        .step(async move |mut step| {
            // No result: the booking was cancelled or declined, and it said so.
            if let Some(booking) = step.result_as::<Option<BookingDetails>>()? {
                let text = format!(
                    "I have you booked to {} from {} on {}.",
                    booking.destination.unwrap_or_default(),
                    booking.origin.unwrap_or_default(),
                    booking.travel_date.unwrap_or_default(),
                );
                step.context().send_activity(text).await?;
            }
            step.end_dialog(None).await
        });
    ComponentDialog::new(MAIN)
        .with_dialog(steps)
        .with_dialog(booking_dialog())
}

/// What the first message already says: the word after `to` and the word after `from` (a
/// stand-in for a language-understanding service).
fn details_from(text: &str) -> BookingDetails {
    let words: Vec<&str> = text.split_whitespace().collect();
    let after = |keyword: &str| {
        words
            .windows(2)
            .find(|pair| pair[0].eq_ignore_ascii_case(keyword))
            .map(|pair| {
                pair[1]
                    .trim_matches(|c: char| !c.is_alphanumeric())
                    .to_owned()
            })
            .filter(|word| !word.is_empty())
    };
    BookingDetails {
        destination: after("to"),
        origin: after("from"),
        travel_date: None,
    }
}

/// The booking: each question is skipped when its answer is already known; `help` and
/// `cancel` work at every question.
fn booking_dialog() -> ComponentDialog {
    let steps = WaterfallDialog::new(BOOKING_STEPS)
        .step(async move |mut step| {
            let details: BookingDetails = step.options_as::<Option<_>>()?.unwrap_or_default();
            step.set_value("booking", &details)?;
            match details.destination {
                Some(destination) => step.next(Some(destination.into())).await,
                None => {
                    let ask = PromptOptions::new("Where would you like to travel to?");
                    step.prompt(TEXT, ask).await
                }
            }
        })
        .step(async move |mut step| {
            let mut details: BookingDetails = step.value("booking")?.unwrap_or_default();
            details.destination = Some(step.result_as()?);
            step.set_value("booking", &details)?;
            match details.origin {
                Some(origin) => step.next(Some(origin.into())).await,
                None => {
                    let ask = PromptOptions::new("Where are you traveling from?");
                    step.prompt(TEXT, ask).await
                }
            }
        })
        .step(async move |mut step| {
            let mut details: BookingDetails = step.value("booking")?.unwrap_or_default();
            details.origin = Some(step.result_as()?);
            step.set_value("booking", &details)?;
            let ask = PromptOptions::new("On what date would you like to travel?")
                .with_retry_prompt("Please give a day and a month, such as 12 December.");
            step.prompt(DATE, ask).await
        })
        .step(async move |mut step| {
            let mut details: BookingDetails = step.value("booking")?.unwrap_or_default();
            let dates: Vec<DateTimeResolution> = step.result_as()?;
            details.travel_date = dates.iter().find_map(day_of);
            step.set_value("booking", &details)?;
            let question = format!(
                "Please confirm: to {} from {} on {}. Is this correct?",
                details.destination.as_deref().unwrap_or_default(),
                details.origin.as_deref().unwrap_or_default(),
                details.travel_date.as_deref().unwrap_or_default(),
            );
            step.prompt(CONFIRM, PromptOptions::new(question)).await
        })
        .step(async move |mut step| {
            if step.result_as::<bool>()? {
                let details: BookingDetails = step.value("booking")?.unwrap_or_default();
                step.end_dialog(Some(serde_json::to_value(details)?)).await
            } else {
                step.context()
                    .send_activity("OK, I will not book it.")
                    .await?;
                step.end_dialog(None).await
            }
        });

    ComponentDialog::new(BOOKING)
        .with_dialog(steps)
        .with_dialog(TextPrompt::new(TEXT))
        .with_dialog(DateTimePrompt::new(DATE).with_validator(async |v| {
            // A day is needed; a time or a duration alone is not a travel date.
            Ok(v.recognized()
                .is_some_and(|all| all.iter().any(|r| day_of(r).is_some())))
        }))
        .with_dialog(ConfirmPrompt::new(CONFIRM))
        .with_interruption(async move |mut dc| {
            let text = dc.context().activity().text().trim().to_lowercase();
            match text.as_str() {
                "help" | "?" => {
                    dc.context().send_activity(HELP).await?;
                    dc.reprompt_dialog().await?;
                    Ok(Some(DialogTurnResult::end_of_turn()))
                }
                "cancel" | "quit" => {
                    dc.context().send_activity("Cancelling.").await?;
                    Ok(Some(dc.cancel_all_dialogs().await?))
                }
                _ => Ok(None),
            }
        })
}

/// The day of a date or date-time, as `YYYY-MM-DD`.
fn day_of(resolution: &DateTimeResolution) -> Option<String> {
    let day = match resolution {
        DateTimeResolution::Date(day) => *day,
        DateTimeResolution::DateTime(at) => at.date(),
        DateTimeResolution::DateTimeOffset(at) => at.date_naive(),
        DateTimeResolution::Time(_) | DateTimeResolution::Duration(_) => return None,
    };
    Some(day.format("%Y-%m-%d").to_string())
}
