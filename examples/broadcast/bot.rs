//! The broadcast bot: remembers every conversation that talks to it, and `broadcast <text>`
//! sends the text to all of them, at a limited pace, then reports what was delivered and
//! what failed, and why.
//!
//! The conversations are kept in the store under one fixed key, [`AUDIENCE_KEY`]: a
//! broadcast must find every conversation, and the store cannot list its keys, so one
//! document holds them all (a key per conversation would be found by nobody). It is written
//! only when a conversation is new or its reference changed (a new service URL), not on every
//! message, and each write retries on eTag conflicts with other conversations (see
//! `botbuilder::core::storage::SharedDocument`). One document suits thousands of conversations;
//! beyond that, keep them in a table of your own.
//!
//! The pace: a new send starts at most [`Pace::per_second`] times a second, and at most
//! [`Pace::concurrency`] are in flight. Channels limit bots (Teams: about 50 requests a
//! second per bot and tenant, a few per second per conversation); a send the channel still
//! throttles is retried by the connector client, which waits what its 429 answer's
//! `Retry-After` asks (up to 3 retries, each wait at most 60 s, by default).
//!
//! Every send goes through the outbox (`botbuilder::core::outbox`): recorded in the store,
//! then sent. A send the channel still refuses is reported as *queued*, with the reason, and
//! the outbox's worker retries it with backoff, across restarts, for up to 24 hours; one that
//! can never be delivered (a reference without a service URL) is reported as failed.
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_broadcast.rs` plays it with
//! `TestFlow`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use botbuilder::core::outbox::{Delivery, Outbox, ProactiveMessage};
use botbuilder::core::storage::{SharedDocument, Storage};
use botbuilder::core::{Error as CoreError, dispatch_activity};
use botbuilder::prelude::*;
use tokio::sync::Semaphore;
use tokio::time::MissedTickBehavior;

/// The storage key of the conversations the bot knows.
pub(crate) const AUDIENCE_KEY: &str = "BroadcastBot.Conversations";
/// The property of that document holding them, by `{channelId}/{conversationId}`.
pub(crate) const AUDIENCE_PROPERTY: &str = "conversations";

/// Every conversation the bot can broadcast to, by `{channelId}/{conversationId}`.
pub(crate) type Audience = BTreeMap<String, ConversationReference>;

/// How fast a broadcast goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pace {
    /// New sends started per second, at most.
    pub(crate) per_second: u32,
    /// Sends in flight at once, at most.
    pub(crate) concurrency: usize,
}

impl Default for Pace {
    /// 10 sends a second, 4 at a time: well under Teams' limits.
    fn default() -> Self {
        Self {
            per_second: 10,
            concurrency: 4,
        }
    }
}

impl Pace {
    fn spacing(self) -> Duration {
        Duration::from_secs(1) / self.per_second.max(1)
    }
}

/// What a broadcast came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    /// The conversations that got the message.
    pub(crate) delivered: Vec<String>,
    /// The conversations the channel refused for now, with the reason: the outbox retries.
    pub(crate) queued: Vec<(String, String)>,
    /// The conversations that will not get it, with the reason.
    pub(crate) failed: Vec<(String, String)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.delivered.len() + self.queued.len() + self.failed.len();
        write!(
            f,
            "Broadcast to {total} conversations: delivered {}, ",
            self.delivered.len()
        )?;
        if !self.queued.is_empty() {
            write!(f, "queued for retry {}, ", self.queued.len())?;
        }
        write!(f, "failed {}.", self.failed.len())?;
        for (conversation, reason) in self.queued.iter().chain(&self.failed) {
            write!(f, "\n- {conversation}: {reason}")?;
        }
        Ok(())
    }
}

/// The audience key of a conversation.
fn audience_key(reference: &ConversationReference) -> Option<String> {
    let channel = reference.channel_id.as_ref()?;
    Some(format!("{channel}/{}", reference.conversation_id()?))
}

/// Whether two references send to the same place (the user and activity they were taken
/// from do not matter to a broadcast).
fn same_destination(a: &ConversationReference, b: &ConversationReference) -> bool {
    a.service_url == b.service_url && a.bot == b.bot && a.conversation == b.conversation
}

/// The help message.
pub(crate) const HELP: &str = "I send announcements to every conversation I know. \
    `broadcast <text>` sends one; `audience` says how many conversations will get it.";

/// Remembers conversations and broadcasts to them.
#[derive(Clone, Debug)]
pub(crate) struct BroadcastBot {
    audience: SharedDocument<Audience>,
    outbox: Outbox,
    pace: Pace,
}

impl BroadcastBot {
    /// A bot keeping its audience in `storage`, broadcasting at the default pace.
    pub(crate) fn new(storage: Arc<dyn Storage>) -> Self {
        Self {
            audience: SharedDocument::new(storage.clone(), AUDIENCE_KEY, AUDIENCE_PROPERTY),
            outbox: Outbox::new(storage),
            pace: Pace::default(),
        }
    }

    /// The outbox every send goes through: run its worker (`outbox().spawn(adapter)`) so
    /// that the sends the channel refused are retried.
    pub(crate) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Broadcasts at this pace.
    pub(crate) fn with_pace(mut self, pace: Pace) -> Self {
        self.pace = pace;
        self
    }

    /// The conversations known now (outside any turn).
    ///
    /// # Errors
    /// When the store cannot be read, or holds something else under [`AUDIENCE_KEY`].
    pub(crate) async fn known_conversations(&self) -> Result<Audience, CoreError> {
        self.audience.read().await
    }

    /// Adds this turn's conversation to the audience, or removes it when the bot was removed
    /// from it (a conversationUpdate removing the bot, an uninstall). Writes only on a change.
    async fn track(&self, ctx: &mut TurnContext) -> Result<(), CoreError> {
        let mut reference = ctx.conversation_reference().clone();
        reference.activity_id = None;
        let Some(key) = audience_key(&reference) else {
            return Ok(());
        };
        let activity = ctx.activity();
        let bot_id = activity.recipient.as_ref().map(|r| r.id.as_str());
        let bot_removed = activity
            .members_removed()
            .iter()
            .any(|m| Some(m.id.as_str()) == bot_id)
            || (activity.activity_type == ActivityTypes::InstallationUpdate
                && activity
                    .action
                    .as_deref()
                    .is_some_and(|a| a.starts_with("remove")));
        let known = self.audience.read().await?;
        match known.get(&key) {
            Some(_) if bot_removed => {
                self.audience
                    .update(|audience| audience.remove(&key))
                    .await?;
            }
            Some(old) if same_destination(old, &reference) => {}
            _ if bot_removed => {}
            _ => {
                self.audience
                    .update(|audience| audience.insert(key.clone(), reference.clone()))
                    .await?;
            }
        }
        Ok(())
    }

    /// Sends `text` to every known conversation at the bot's pace, and reports.
    ///
    /// # Errors
    /// When the audience cannot be read; a failed send is in the report, not an error.
    pub(crate) async fn broadcast(
        &self,
        adapter: Arc<dyn BotAdapter>,
        text: &str,
    ) -> Result<Report, CoreError> {
        let audience = self.known_conversations().await?;
        let mut ticks = tokio::time::interval(self.pace.spacing());
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let in_flight = Arc::new(Semaphore::new(self.pace.concurrency.max(1)));
        let mut sends = Vec::with_capacity(audience.len());
        for (conversation, reference) in audience {
            ticks.tick().await;
            let Ok(permit) = in_flight.clone().acquire_owned().await else {
                break; // the semaphore is never closed
            };
            let (adapter, outbox) = (adapter.clone(), self.outbox.clone());
            let message = ProactiveMessage::new(
                reference,
                vec![Activity::message(format!("Announcement: {text}"))],
            );
            let send = tokio::spawn(async move {
                let outcome = outbox.send(adapter.as_ref(), message).await;
                drop(permit);
                outcome
            });
            sends.push((conversation, send));
        }
        let mut report = Report::default();
        for (conversation, send) in sends {
            match send.await {
                Ok(Ok(Delivery::Delivered | Delivery::Duplicate { .. })) => {
                    report.delivered.push(conversation);
                }
                Ok(Ok(Delivery::Queued { error, .. })) => report.queued.push((conversation, error)),
                Ok(Ok(Delivery::Failed { error, .. })) => report.failed.push((conversation, error)),
                Ok(Err(error)) => report
                    .failed
                    .push((conversation, format!("could not be recorded: {error}"))),
                Err(e) => report
                    .failed
                    .push((conversation, format!("the send failed: {e}"))),
            }
        }
        Ok(report)
    }

    /// Runs a broadcast after this turn, in a task of its own, and reports in this
    /// conversation. Awaiting it here, inside this conversation's turn, could make two
    /// conversations broadcasting at once wait for each other (each turn holds its
    /// conversation while sending into the other's).
    fn broadcast_in_background(&self, ctx: &TurnContext, text: String) {
        let bot = self.clone();
        let adapter = ctx.adapter().clone();
        let requester = ctx.conversation_reference().clone();
        tokio::spawn(async move {
            let report = match bot.broadcast(adapter.clone(), &text).await {
                Ok(report) => report.to_string(),
                Err(error) => {
                    let error = botbuilder::core::error::report(&error);
                    tracing::error!(%error, "broadcast failed");
                    format!("The broadcast failed: {error}")
                }
            };
            tracing::info!(%report, "broadcast done");
            let message = ProactiveMessage::new(requester, vec![Activity::message(report)]);
            match bot.outbox.send(adapter.as_ref(), message).await {
                Ok(Delivery::Delivered | Delivery::Duplicate { .. }) => {}
                Ok(other) => tracing::warn!(?other, "the broadcast report was not delivered now"),
                Err(error) => tracing::error!(
                    error = %botbuilder::core::error::report(&error),
                    "could not record the broadcast report"
                ),
            }
        });
    }
}

#[async_trait]
impl ActivityHandler for BroadcastBot {
    /// Every incoming activity adds its conversation to the audience, then goes to the
    /// handler methods (BotBuilder's `base.OnTurnAsync`).
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        self.track(ctx).await?;
        dispatch_activity(self, ctx).await
    }

    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let text = ctx.activity().text().trim().to_owned();
        let (command, rest) = text.split_once(char::is_whitespace).unwrap_or((&text, ""));
        match command.to_lowercase().as_str() {
            "broadcast" => {
                let message = rest.trim().to_owned();
                if message.is_empty() {
                    ctx.send_activity("Say what to broadcast: `broadcast <text>`.")
                        .await?;
                    return Ok(());
                }
                let count = self.audience.read().await?.len();
                ctx.send_activity(format!(
                    "Broadcasting to {count} conversations, at most {} a second. I will report here.",
                    self.pace.per_second
                ))
                .await?;
                self.broadcast_in_background(ctx, message);
            }
            "audience" => {
                let count = self.audience.read().await?.len();
                ctx.send_activity(format!("{count} conversations will get a broadcast."))
                    .await?;
            }
            _ => {
                ctx.send_activity(HELP).await?;
            }
        }
        Ok(())
    }

    async fn on_members_added(
        &self,
        _members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        ctx.send_activity(format!("Welcome! {HELP}")).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_count_and_explain() {
        let report = Report {
            delivered: vec!["test/a".into(), "test/b".into()],
            queued: Vec::new(),
            failed: vec![(
                "test/c".into(),
                "the connector service refused the request (403 Forbidden)".into(),
            )],
        };
        assert_eq!(
            report.to_string(),
            "Broadcast to 3 conversations: delivered 2, failed 1.\n\
             - test/c: the connector service refused the request (403 Forbidden)"
        );
        assert_eq!(
            Report::default().to_string(),
            "Broadcast to 0 conversations: delivered 0, failed 0."
        );
        let report = Report {
            delivered: vec!["test/a".into()],
            queued: vec![("test/b".into(), "send activities failed: 503".into())],
            failed: Vec::new(),
        };
        assert_eq!(
            report.to_string(),
            "Broadcast to 2 conversations: delivered 1, queued for retry 1, failed 0.\n\
             - test/b: send activities failed: 503"
        );
    }

    #[test]
    fn the_pace_spaces_sends() {
        let pace = Pace {
            per_second: 4,
            concurrency: 1,
        };
        assert_eq!(pace.spacing(), Duration::from_millis(250));
        let zero = Pace {
            per_second: 0,
            concurrency: 0,
        };
        assert_eq!(zero.spacing(), Duration::from_secs(1));
    }
}
