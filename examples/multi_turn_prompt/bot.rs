//! The multi-turn prompt bot: a waterfall that asks for a mode of transport, a name and
//! (optionally) an age, confirms, and keeps the profile in user state.
//!
//! This module has no HTTP in it: `main.rs` hosts it, and `tests/multi_turn_prompt.rs` plays
//! it with `TestFlow`.

use std::sync::Arc;

use botbuilder::core::state::{ConversationState, StatePropertyAccessor, UserState};
use botbuilder::core::storage::Storage;
use botbuilder::dialogs::choices::Choice;
use botbuilder::prelude::*;
use serde::{Deserialize, Serialize};

/// What the bot learns about a user, kept in user state under `UserProfile`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserProfile {
    /// `Car`, `Bus` or `Bicycle`.
    pub(crate) transport: String,
    /// The user's name.
    pub(crate) name: String,
    /// The user's age, when they gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) age: Option<i64>,
}

// Dialog ids.
const PROFILE_DIALOG: &str = "userProfile";
const STEPS: &str = "userProfileSteps";
const TRANSPORT: &str = "transport";
const NAME: &str = "name";
const CONFIRM: &str = "confirm";
const AGE: &str = "age";

/// The bot: runs the profile dialog on every message and saves state at the end of each turn.
pub(crate) struct MultiTurnBot {
    dialog: ComponentDialog,
    dialog_state: StatePropertyAccessor<DialogState>,
    conversation_state: ConversationState,
    user_state: UserState,
}

impl MultiTurnBot {
    /// The bot with its conversation state (the dialog stack) and user state (the profile) in
    /// `storage`.
    pub(crate) fn new(storage: Arc<dyn Storage>) -> Self {
        let conversation_state = ConversationState::new(storage.clone());
        let user_state = UserState::new(storage);
        let profile = user_state.create_property::<UserProfile>("UserProfile");
        MultiTurnBot {
            dialog: user_profile_dialog(profile.clone()),
            dialog_state: conversation_state.create_property("DialogState"),
            conversation_state,
            user_state,
        }
    }
}

#[async_trait]
impl ActivityHandler for MultiTurnBot {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        botbuilder::core::dispatch_activity(self, ctx).await?;
        // Save whatever the turn changed: the dialog stack and the profile.
        self.conversation_state.save_changes(ctx, false).await?;
        self.user_state.save_changes(ctx, false).await?;
        Ok(())
    }

    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        run_dialog(&self.dialog, ctx, &self.dialog_state).await?;
        Ok(())
    }
}

/// The dialog: one waterfall and the prompts it uses.
fn user_profile_dialog(profile: StatePropertyAccessor<UserProfile>) -> ComponentDialog {
    let steps = WaterfallDialog::new(STEPS)
        // 1. Mode of transport.
        .step(async move |mut step| {
            let options = PromptOptions::new("Please choose your mode of transport.")
                .with_retry_prompt("Sorry, I did not get that. Please choose one of these.")
                .with_choices(["Car", "Bus", "Bicycle"].map(Choice::from));
            step.prompt(TRANSPORT, options).await
        })
        // 2. Name.
        .step(async move |mut step| {
            let transport: botbuilder::dialogs::choices::FoundChoice = step.result_as()?;
            step.set_value("transport", &transport.value)?;
            step.prompt(NAME, PromptOptions::new("What is your name?"))
                .await
        })
        // 3. Thanks, and does the user want to give their age?
        .step(async move |mut step| {
            let name: String = step.result_as()?;
            step.set_value("name", &name)?;
            step.context()
                .send_activity(format!("Thanks, {name}."))
                .await?;
            step.prompt(
                CONFIRM,
                PromptOptions::new("Would you like to give your age?"),
            )
            .await
        })
        // 4. The age, or skip it.
        .step(async move |mut step| {
            if step.result_as::<bool>()? {
                let options = PromptOptions::new("Please enter your age.")
                    .with_retry_prompt("Please enter your age as a number.");
                step.prompt(AGE, options).await
            } else {
                step.next(None).await
            }
        })
        // 5. Report the age, then ask for confirmation.
        .step(async move |mut step| {
            let age: Option<i64> = step.result_as()?;
            let report = match age {
                Some(age) => {
                    step.set_value("age", &age)?;
                    format!("I have your age as {age}.")
                }
                None => "No age given.".to_owned(),
            };
            step.context().send_activity(report).await?;
            step.prompt(CONFIRM, PromptOptions::new("Is this OK?"))
                .await
        })
        // 6. Keep the profile, or not.
        .step(async move |mut step| {
            if !step.result_as::<bool>()? {
                step.context()
                    .send_activity("Thanks. Your profile will not be kept.")
                    .await?;
                return step.end_dialog(None).await;
            }
            let kept = UserProfile {
                transport: step.value("transport")?.unwrap_or_default(),
                name: step.value("name")?.unwrap_or_default(),
                age: step.value("age")?,
            };
            profile.set(step.context_mut(), &kept).await?;
            step.context().send_activity(summary(&kept)).await?;
            step.end_dialog(Some(serde_json::to_value(&kept)?)).await
        });

    ComponentDialog::new(PROFILE_DIALOG)
        .with_dialog(steps)
        .with_dialog(ChoicePrompt::new(TRANSPORT))
        .with_dialog(TextPrompt::new(NAME))
        .with_dialog(ConfirmPrompt::new(CONFIRM))
        .with_dialog(
            NumberPrompt::<i64>::new(AGE).with_validator(async move |v| {
                match v.recognized() {
                    Some(age) if *age > 0 && *age < 150 => Ok(true),
                    Some(_) => {
                        v.context()
                            .send_activity("Your age must be greater than 0 and less than 150.")
                            .await?;
                        Ok(false)
                    }
                    // Not a number: the prompt asks again with its retry prompt.
                    None => Ok(false),
                }
            }),
        )
}

/// The summary of a kept profile.
fn summary(profile: &UserProfile) -> String {
    match profile.age {
        Some(age) => format!(
            "I have your mode of transport as {}, your name as {} and your age as {age}.",
            profile.transport, profile.name
        ),
        None => format!(
            "I have your mode of transport as {} and your name as {}.",
            profile.transport, profile.name
        ),
    }
}
