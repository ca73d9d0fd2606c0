//! The job bot: starts jobs, lists them, and notifies a job's owner, in the conversation where
//! the job was started, when the job completes (a proactive message).
//!
//! This module has no HTTP in it: `main.rs` hosts it, and the tests drive it with `TestFlow`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use botbuilder::core::outbox::{Delivery, Outbox, ProactiveMessage};
use botbuilder::core::state::{ConversationState, StatePropertyAccessor};
use botbuilder::core::storage::{SharedDocument, Storage};
use botbuilder::core::{ChannelFailure, Error as CoreError};
use botbuilder::prelude::*;
use serde::{Deserialize, Serialize};

/// The storage key of the job log: one document shared by every conversation, because a job
/// is completed from conversations other than the one that started it. Same key as the
/// BotBuilder samples.
pub(crate) const JOB_LOG_KEY: &str = "ProactiveBot.JobState";

/// The property of the job log document that holds the jobs.
pub(crate) const JOB_LOG_PROPERTY: &str = "JobLog";

/// The conversation state property counting the jobs started in the conversation.
pub(crate) const JOBS_STARTED_PROPERTY: &str = "JobsStarted";

/// One job: when it was started (its number), whether it is complete, and where to say so.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobData {
    /// The job number: a millisecond timestamp, unique in the log.
    pub(crate) time_stamp: u64,
    /// Whether the job has completed.
    pub(crate) completed: bool,
    /// The conversation (and user) that started the job.
    pub(crate) conversation: ConversationReference,
}

/// Every job, by number.
pub(crate) type JobLog = BTreeMap<u64, JobData>;

/// What completing a job came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Completion {
    /// The job is now complete and its owner was notified.
    Notified,
    /// The job is now complete; the notification could not be delivered yet and waits in
    /// the outbox, which retries it (`id` names the entry, `error` says why, `channel` what
    /// the channel did when it said).
    Queued {
        id: String,
        error: String,
        channel: Option<ChannelFailure>,
    },
    /// The job is now complete; the notification can never be delivered as it is (the job's
    /// conversation reference lacks a service URL): kept in the outbox as failed.
    Undeliverable { id: String, error: String },
    /// No job has that number.
    Unknown,
    /// The job was already complete; nobody was notified again.
    AlreadyComplete,
}

/// The proactive job bot.
#[derive(Clone)]
pub(crate) struct JobBot {
    /// Every conversation writes it: `SharedDocument` serializes this process's writers and
    /// retries, with backoff, when another process wrote first.
    job_log: SharedDocument<JobLog>,
    /// Where "Job N is complete." waits until the channel has it.
    outbox: Outbox,
    /// Each conversation's own state: how many jobs it started.
    conversation_state: ConversationState,
    jobs_started: StatePropertyAccessor<u64>,
}

/// The commands, as the welcome and help messages list them.
pub(crate) const COMMANDS: &str = "Here is what I can do:\n\
- `run` (or `run job`): start a job; I will tell you here when it completes\n\
- `show` (or `show jobs`): list every job, whether it is complete, and how many this conversation started\n\
- `done <number>`: complete a job, as an outside system would (try it from another chat window)";

enum Command {
    Run,
    Show,
    Done(Option<u64>),
    Help,
}

fn parse_command(text: &str) -> Command {
    let text = text.trim().to_lowercase();
    match text.as_str() {
        "run" | "run job" => Command::Run,
        "show" | "show jobs" => Command::Show,
        _ => match text.strip_prefix("done") {
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                Command::Done(rest.trim().parse().ok())
            }
            _ => Command::Help,
        },
    }
}

/// Reads a job number from an event value: a number, or a string holding one.
fn job_number_of(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        serde_json::Value::Object(o) => {
            job_number_of(o.get("jobNumber").or_else(|| o.get("number")))
        }
        _ => None,
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl JobBot {
    /// A job bot keeping its job log in `storage`.
    pub(crate) fn new(storage: Arc<dyn Storage>) -> Self {
        let conversation_state = ConversationState::new(storage.clone());
        Self {
            job_log: SharedDocument::new(storage.clone(), JOB_LOG_KEY, JOB_LOG_PROPERTY),
            outbox: Outbox::new(storage),
            jobs_started: conversation_state.create_property(JOBS_STARTED_PROPERTY),
            conversation_state,
        }
    }

    /// Sends its notifications through `outbox` (the same store, another retry policy).
    #[allow(dead_code)] // the tests' way to shorten the retries
    pub(crate) fn with_outbox(mut self, outbox: Outbox) -> Self {
        self.outbox = outbox;
        self
    }

    /// The outbox of the notifications: run its worker (`outbox().spawn(adapter)`) so that
    /// those the channel refused are retried.
    pub(crate) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The job log as stored now (outside any turn: for the HTTP API).
    ///
    /// # Errors
    /// When the store cannot be read or the document is not a job log.
    pub(crate) async fn jobs(&self) -> Result<JobLog, CoreError> {
        self.job_log.read().await
    }

    /// Completes job `number`: marks it complete in the log, then tells its owner, in the
    /// conversation that started it, through the outbox. Used by `done <n>`, the
    /// `jobComplete` event and the HTTP endpoint.
    ///
    /// The notification's outbox id is `job-<n>`, so it is recorded and sent once however
    /// often (and wherever) the job is completed; completing a job whose notification was
    /// never recorded (a crash between the two writes) records it then.
    ///
    /// # Errors
    /// When the store fails (then the notification was not recorded).
    pub(crate) async fn complete_job(
        &self,
        adapter: &dyn BotAdapter,
        number: u64,
    ) -> Result<Completion, CoreError> {
        let owner = self
            .job_log
            .update(|log| {
                log.get_mut(&number).map(|job| {
                    job.completed = true;
                    job.conversation.clone()
                })
            })
            .await?;
        let Some(reference) = owner else {
            return Ok(Completion::Unknown);
        };
        let message = ProactiveMessage::new(
            reference,
            vec![Activity::message(format!("Job {number} is complete."))],
        )
        .with_id(format!("job-{number}"));
        Ok(match self.outbox.send(adapter, message).await? {
            Delivery::Delivered => Completion::Notified,
            Delivery::Queued { id, error, channel } => Completion::Queued { id, error, channel },
            Delivery::Failed { id, error } => Completion::Undeliverable { id, error },
            Delivery::Duplicate { .. } => Completion::AlreadyComplete,
        })
    }

    async fn run_job(&self, ctx: &mut TurnContext) -> TurnResult {
        let reference = ctx.conversation_reference().clone();
        let number = self
            .job_log
            .update(|log| {
                let last = log.keys().next_back().copied().unwrap_or(0);
                let number = now_millis().max(last + 1);
                log.insert(
                    number,
                    JobData {
                        time_stamp: number,
                        completed: false,
                        conversation: reference.clone(),
                    },
                );
                number
            })
            .await?;
        // The conversation's own count, read and saved in this turn: turns of one
        // conversation must not overlap, or one count is lost (an eTag conflict). Within one
        // process they never do; across instances, `TURN_ORDERING=distributed` sees to it.
        self.jobs_started.update(ctx, |n| *n += 1).await?;
        self.conversation_state.save_changes(ctx, false).await?;
        ctx.send_activity(format!(
            "Job {number} started. I will let you know here when it is complete."
        ))
        .await?;
        Ok(())
    }

    /// Completes a job after this turn, in a task of its own. The notification is a turn in
    /// the job's conversation; awaiting it here, inside this conversation's turn, could make
    /// two conversations wait for each other (see `ConversationLocks`), so it is spawned.
    fn complete_in_background(&self, ctx: &TurnContext, number: u64) {
        let bot = self.clone();
        let adapter = ctx.adapter().clone();
        tokio::spawn(async move {
            match bot.complete_job(adapter.as_ref(), number).await {
                Ok(Completion::Notified) => tracing::info!(job = number, "job completed"),
                Ok(Completion::Queued { error, .. }) => {
                    tracing::warn!(job = number, %error, "job completed; notification queued");
                }
                Ok(Completion::Undeliverable { error, .. }) => {
                    tracing::error!(job = number, %error, "job completed; notification undeliverable");
                }
                Ok(other) => tracing::info!(job = number, ?other, "job not completed"),
                Err(error) => {
                    tracing::error!(error = %botbuilder::core::error::report(&error), job = number, "could not complete the job")
                }
            }
        });
    }

    async fn show_jobs(&self, ctx: &mut TurnContext) -> TurnResult {
        let jobs = self.jobs().await?;
        if jobs.is_empty() {
            ctx.send_activity("The job log is empty. Type `run` to start a job.")
                .await?;
            return Ok(());
        }
        let mut table =
            String::from("| Job number | Conversation ID | Completed |\n|---|---|---|\n");
        for job in jobs.values() {
            let conversation = job.conversation.conversation_id().unwrap_or("(unknown)");
            let completed = if job.completed { "yes" } else { "no" };
            table.push_str(&format!(
                "| {} | {conversation} | {completed} |\n",
                job.time_stamp
            ));
        }
        let started_here = self.jobs_started.get_or_default(ctx).await?;
        table.push_str(&format!(
            "\nThis conversation started {started_here} of them."
        ));
        let mut message = Activity::message(table);
        message.text_format = Some(botbuilder::schema::TextFormatTypes::Markdown);
        ctx.send_activity(message).await?;
        Ok(())
    }

    async fn done(&self, ctx: &mut TurnContext, number: Option<u64>) -> TurnResult {
        let Some(number) = number else {
            ctx.send_activity(
                "Tell me which job: `done <number>`, for example `done 1732581234567`. Type `show` to see the numbers.",
            )
            .await?;
            return Ok(());
        };
        match self.jobs().await?.get(&number) {
            None => {
                ctx.send_activity(format!(
                    "There is no job {number}. Type `show` to see the jobs."
                ))
                .await?;
            }
            Some(job) if job.completed => {
                ctx.send_activity(format!("Job {number} is already complete."))
                    .await?;
            }
            Some(_) => {
                ctx.send_activity(format!(
                    "Job {number} is completing; I am notifying the conversation that started it."
                ))
                .await?;
                self.complete_in_background(ctx, number);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ActivityHandler for JobBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        match parse_command(ctx.activity().text()) {
            Command::Run => self.run_job(ctx).await,
            Command::Show => self.show_jobs(ctx).await,
            Command::Done(number) => self.done(ctx, number).await,
            Command::Help => {
                ctx.send_activity(format!("Sorry, I did not understand that. {COMMANDS}"))
                    .await?;
                Ok(())
            }
        }
    }

    async fn on_members_added(
        &self,
        _members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        ctx.send_activity(format!(
            "Welcome to the proactive job bot! Jobs run in the background; when one completes I tell you in the conversation where you started it, wherever you are. {COMMANDS}"
        ))
        .await?;
        Ok(())
    }

    async fn on_event(&self, ctx: &mut TurnContext) -> TurnResult {
        let name = ctx.activity().name.clone().unwrap_or_default();
        if name != "jobComplete" && name != "jobCompleted" {
            return Ok(());
        }
        let Some(number) = job_number_of(ctx.activity().value.as_ref()) else {
            tracing::warn!(event = %name, "job completion event without a job number");
            return Ok(());
        };
        self.complete_in_background(ctx, number);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_trimmed_and_case_insensitive() {
        assert!(matches!(parse_command("  RUN "), Command::Run));
        assert!(matches!(parse_command("Run Job"), Command::Run));
        assert!(matches!(parse_command("show jobs"), Command::Show));
        assert!(matches!(parse_command("done 12"), Command::Done(Some(12))));
        assert!(matches!(parse_command("done"), Command::Done(None)));
        assert!(matches!(parse_command("done abc"), Command::Done(None)));
        assert!(matches!(parse_command("doner"), Command::Help));
        assert!(matches!(parse_command("hello"), Command::Help));
    }

    #[test]
    fn event_values_carry_job_numbers_in_several_shapes() {
        use serde_json::json;
        assert_eq!(job_number_of(Some(&json!(7))), Some(7));
        assert_eq!(job_number_of(Some(&json!(" 8 "))), Some(8));
        assert_eq!(job_number_of(Some(&json!({"jobNumber": 9}))), Some(9));
        assert_eq!(job_number_of(Some(&json!("x"))), None);
        assert_eq!(job_number_of(None), None);
    }
}
