//! The reminders bot: "remind me in 10 seconds to stretch" sets a timer; when it fires, the
//! bot sends the reminder into the conversation where it was set (a proactive message).
//!
//! Pending reminders (due time, text, conversation reference) are kept in the store under
//! one fixed key, [`PENDING_KEY`]: the store cannot list its keys, so the one place every
//! pending reminder can be found after a restart must be known in advance. Every conversation
//! writes that document, so a save can meet another conversation's change (an eTag
//! conflict): each change reloads and is redone until it saves (see
//! `botbuilder::core::storage::SharedDocument`).
//!
//! On start, [`RemindersBot::start`] reads the pending reminders and schedules them again;
//! those that fell due while the bot was down fire at once. When a reminder fires, the bot
//! checks it is still pending, hands it to the outbox (`botbuilder::core::outbox`), then
//! removes it: the outbox records it in the store and sends it, and retries it, across
//! restarts, while the channel cannot be reached. Its outbox id names the reminder and its due
//! time, so two timers (or two instances) firing the same reminder send it once.
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_reminders.rs` plays it with
//! `TestFlow` under `tokio::time::pause()`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use botbuilder::core::Error as CoreError;
use botbuilder::core::outbox::{Delivery, Outbox, ProactiveMessage};
use botbuilder::core::storage::{SharedDocument, Storage};
use botbuilder::prelude::*;
use serde::{Deserialize, Serialize};

/// The storage key of the pending reminders: one document for every conversation.
pub(crate) const PENDING_KEY: &str = "RemindersBot.Pending";
/// The property of that document holding the reminders, by id.
pub(crate) const PENDING_PROPERTY: &str = "reminders";

/// The longest delay accepted.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(7 * 24 * 3600);
/// The most reminders pending in one conversation.
pub(crate) const MAX_PER_CONVERSATION: usize = 20;

/// One pending reminder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Reminder {
    /// Unique among the pending reminders.
    pub(crate) id: u64,
    /// When it is due, in milliseconds since the Unix epoch (wall-clock time, so that it
    /// means the same after a restart).
    pub(crate) due_at: u64,
    /// What to remind of.
    pub(crate) text: String,
    /// Where to say it.
    pub(crate) conversation: ConversationReference,
}

/// The pending reminders, by id.
pub(crate) type Pending = BTreeMap<u64, Reminder>;

/// What the user asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Remind of `text` after `delay`.
    Remind { delay: Duration, text: String },
    /// List this conversation's pending reminders.
    List,
    /// A reminder that could not be read, and why.
    Malformed(String),
    /// Anything else.
    Help,
}

/// How to ask, for the help and error messages.
pub(crate) const USAGE: &str = "Tell me what and when: `remind me in 10 seconds to stretch`, \
    or `remind me to call Bob in 2 minutes` (seconds, minutes or hours). `reminders` lists \
    the pending ones.";

/// Reads a command: `remind me in N <unit> to <text>`, `remind me to <text> in N <unit>`,
/// `reminders`. Case does not matter, except in the text, which is kept as written.
pub(crate) fn parse(text: &str) -> Command {
    let words: Vec<&str> = text.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let is = |i: usize, word: &str| lower.get(i).is_some_and(|w| w == word);
    if matches!(lower.as_slice(), [w] if w == "reminders" || w == "list")
        || (lower.len() == 2 && is(0, "list") && is(1, "reminders"))
    {
        return Command::List;
    }
    if !(is(0, "remind") && is(1, "me")) {
        return Command::Help;
    }
    let n = words.len();
    let (amount, unit, task) = if is(2, "in") && is(5, "to") {
        // remind me in N unit to text
        (words[3], words[4], &words[6..])
    } else if is(2, "to") && n >= 7 && is(n - 3, "in") {
        // remind me to text in N unit
        (words[n - 2], words[n - 1], &words[3..n - 3])
    } else {
        return Command::Malformed("say when (`in 10 minutes`) and what (`to stretch`)".into());
    };
    let delay = match delay_of(amount, unit) {
        Ok(delay) => delay,
        Err(why) => return Command::Malformed(why),
    };
    let text = task.join(" ");
    let text = text.trim_end_matches(['.', '!']).trim();
    if text.is_empty() {
        return Command::Malformed("say what to remind you of".into());
    }
    Command::Remind {
        delay,
        text: text.to_owned(),
    }
}

/// `10 seconds`, `a minute`, `2 h`, ...
fn delay_of(amount: &str, unit: &str) -> Result<Duration, String> {
    let amount = match amount.to_lowercase().as_str() {
        "a" | "an" | "one" => 1,
        other => other
            .parse::<u64>()
            .map_err(|_| format!("`{amount}` is not a number"))?,
    };
    let unit_lower = unit.to_lowercase();
    let seconds = match unit_lower.trim_end_matches([',', '.']) {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        _ => return Err(format!("`{unit}` is not seconds, minutes or hours")),
    };
    let delay = Duration::from_secs(amount.saturating_mul(seconds));
    if delay.is_zero() {
        return Err("the delay must be at least a second".into());
    }
    if delay > MAX_DELAY {
        return Err("I keep reminders for at most 7 days".into());
    }
    Ok(delay)
}

/// `10 seconds`, `1 minute 5 seconds`, `2 hours 30 minutes`.
pub(crate) fn describe(delay: Duration) -> String {
    fn part(n: u64, unit: &str) -> String {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    }
    let secs = delay.as_secs();
    let (hours, minutes, seconds) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let parts: Vec<String> = [(hours, "hour"), (minutes, "minute"), (seconds, "second")]
        .into_iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| part(n, unit))
        .collect();
    if parts.is_empty() {
        "less than a second".to_owned()
    } else {
        parts.join(" ")
    }
}

fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Where the bot reads the time: the system clock, or a test's.
type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Sets reminders and delivers them when due.
#[derive(Clone)]
pub(crate) struct RemindersBot {
    pending: SharedDocument<Pending>,
    outbox: Outbox,
    clock: Clock,
}

impl fmt::Debug for RemindersBot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemindersBot")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl RemindersBot {
    /// A bot keeping its pending reminders in `storage`.
    pub(crate) fn new(storage: Arc<dyn Storage>) -> Self {
        Self {
            pending: SharedDocument::new(storage.clone(), PENDING_KEY, PENDING_PROPERTY),
            outbox: Outbox::new(storage),
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Reads the time from `clock` instead of the system clock (the outbox too).
    #[allow(dead_code)] // the tests' way to move time
    pub(crate) fn with_clock(
        mut self,
        clock: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> Self {
        let clock: Clock = Arc::new(clock);
        let outbox_clock = clock.clone();
        self.outbox = self.outbox.with_clock(move || outbox_clock());
        self.clock = clock;
        self
    }

    /// The outbox the reminders are sent through: run its worker
    /// (`outbox().spawn(adapter)`) so that those the channel refused are retried.
    pub(crate) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    fn now(&self) -> u64 {
        millis((self.clock)())
    }

    /// The pending reminders as stored now (outside any turn).
    ///
    /// # Errors
    /// When the store cannot be read, or holds something else under [`PENDING_KEY`].
    pub(crate) async fn pending_reminders(&self) -> Result<Pending, CoreError> {
        self.pending.read().await
    }

    /// Schedules every pending reminder (at start-up): each fires when due, at once if it is
    /// overdue. Returns how many there are.
    ///
    /// # Errors
    /// When the pending reminders cannot be read.
    pub(crate) async fn start(&self, adapter: Arc<dyn BotAdapter>) -> Result<usize, CoreError> {
        let pending = self.pending_reminders().await?;
        let count = pending.len();
        for reminder in pending.into_values() {
            self.schedule(adapter.clone(), reminder);
        }
        Ok(count)
    }

    /// Fires `reminder` when it is due, in a task of its own.
    fn schedule(&self, adapter: Arc<dyn BotAdapter>, reminder: Reminder) {
        let bot = self.clone();
        tokio::spawn(async move {
            let wait = Duration::from_millis(reminder.due_at.saturating_sub(bot.now()));
            tokio::time::sleep(wait).await;
            match bot.fire(adapter.as_ref(), &reminder).await {
                Ok(true) => tracing::info!(reminder = reminder.id, "reminder delivered"),
                Ok(false) => tracing::debug!(
                    reminder = reminder.id,
                    "reminder not sent now: already fired, or queued in the outbox"
                ),
                Err(error) => tracing::error!(%error, reminder = reminder.id, "reminder failed"),
            }
        });
    }

    /// Hands `reminder` to the outbox (which sends it, or retries it until the channel has
    /// it) and removes it from the pending ones, unless it is no longer pending. Returns
    /// whether it was sent now.
    async fn fire(&self, adapter: &dyn BotAdapter, reminder: &Reminder) -> Result<bool, CoreError> {
        let (id, due_at) = (reminder.id, reminder.due_at);
        // Another timer (or a bot instance sharing the store) may have fired it already; the
        // same id and due time mean the same one.
        let pending = self.pending.read().await?;
        if pending.get(&id).is_none_or(|r| r.due_at != due_at) {
            return Ok(false);
        }
        let message = ProactiveMessage::new(
            reminder.conversation.clone(),
            vec![Activity::message(format!("Reminder: {}", reminder.text))],
        )
        .with_id(format!("reminder-{id}-{due_at}"));
        let delivery = self.outbox.send(adapter, message).await?;
        self.pending
            .update(|pending| {
                if pending.get(&id).is_some_and(|r| r.due_at == due_at) {
                    pending.remove(&id);
                }
            })
            .await?;
        match delivery {
            Delivery::Delivered => Ok(true),
            Delivery::Queued { error, .. } => {
                tracing::warn!(reminder = id, %error, "reminder queued: the channel refused it");
                Ok(false)
            }
            Delivery::Failed { error, .. } => {
                tracing::error!(reminder = id, %error, "reminder cannot be delivered");
                Ok(false)
            }
            Delivery::Duplicate { .. } => Ok(false),
        }
    }

    async fn remind(&self, ctx: &mut TurnContext, delay: Duration, text: String) -> TurnResult {
        let reference = ctx.conversation_reference().clone();
        let conversation_id = reference.conversation_id().unwrap_or_default().to_owned();
        let now = self.now();
        let due_at = now.saturating_add(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        let added = self
            .pending
            .update(|pending| {
                let here = pending
                    .values()
                    .filter(|r| r.conversation.conversation_id() == Some(&conversation_id))
                    .count();
                if here >= MAX_PER_CONVERSATION {
                    return None;
                }
                // Ids grow with time, so one is not reused by a later reminder.
                let last = pending.keys().next_back().copied().unwrap_or(0);
                let reminder = Reminder {
                    id: now.max(last + 1),
                    due_at,
                    text: text.clone(),
                    conversation: reference.clone(),
                };
                pending.insert(reminder.id, reminder.clone());
                Some(reminder)
            })
            .await?;
        let Some(reminder) = added else {
            ctx.send_activity(format!(
                "You have {MAX_PER_CONVERSATION} reminders pending here already. Let some fire first."
            ))
            .await?;
            return Ok(());
        };
        self.schedule(ctx.adapter().clone(), reminder);
        ctx.send_activity(format!(
            "OK, I will remind you to {text} in {}.",
            describe(delay)
        ))
        .await?;
        Ok(())
    }

    async fn list(&self, ctx: &mut TurnContext) -> TurnResult {
        let conversation_id = ctx.activity().conversation_id().map(str::to_owned);
        let now = self.now();
        let mut here: Vec<Reminder> = self
            .pending
            .read()
            .await?
            .into_values()
            .filter(|r| r.conversation.conversation_id() == conversation_id.as_deref())
            .collect();
        if here.is_empty() {
            ctx.send_activity(format!("No reminders pending here. {USAGE}"))
                .await?;
            return Ok(());
        }
        here.sort_by_key(|r| (r.due_at, r.id));
        let lines: Vec<String> = here
            .iter()
            .map(|r| {
                let left = Duration::from_millis(r.due_at.saturating_sub(now));
                format!("- {}, in {}", r.text, describe(left))
            })
            .collect();
        ctx.send_activity(format!("Pending reminders:\n{}", lines.join("\n")))
            .await?;
        Ok(())
    }
}

#[async_trait]
impl ActivityHandler for RemindersBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        match parse(ctx.activity().text()) {
            Command::Remind { delay, text } => self.remind(ctx, delay, text).await,
            Command::List => self.list(ctx).await,
            Command::Malformed(why) => {
                ctx.send_activity(format!(
                    "Sorry, I could not read that reminder: {why}. {USAGE}"
                ))
                .await?;
                Ok(())
            }
            Command::Help => {
                ctx.send_activity(USAGE).await?;
                Ok(())
            }
        }
    }

    async fn on_members_added(
        &self,
        _members_added: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        ctx.send_activity(format!("Welcome! I send reminders. {USAGE}"))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remind(secs: u64, text: &str) -> Command {
        Command::Remind {
            delay: Duration::from_secs(secs),
            text: text.to_owned(),
        }
    }

    #[test]
    fn both_orders_and_every_unit() {
        assert_eq!(
            parse("remind me in 10 seconds to stretch"),
            remind(10, "stretch")
        );
        assert_eq!(
            parse("Remind me to call Bob in 2 minutes."),
            remind(120, "call Bob")
        );
        assert_eq!(
            parse("remind me in an hour to go home!"),
            remind(3600, "go home")
        );
        assert_eq!(parse("remind me in 1 sec to blink"), remind(1, "blink"));
        assert_eq!(parse("REMIND ME IN 3 H TO Eat"), remind(10_800, "Eat"));
        assert_eq!(
            parse("remind me to be in time in 5 min"),
            remind(300, "be in time")
        );
        assert_eq!(parse("reminders"), Command::List);
        assert_eq!(parse(" list  reminders "), Command::List);
        assert_eq!(parse("hello"), Command::Help);
    }

    #[test]
    fn what_is_not_understood_says_why() {
        let why = |text: &str| match parse(text) {
            Command::Malformed(why) => why,
            other => panic!("{text:?} read as {other:?}"),
        };
        assert_eq!(
            why("remind me in ten seconds to x"),
            "`ten` is not a number"
        );
        assert_eq!(
            why("remind me in 10 days to x"),
            "`days` is not seconds, minutes or hours"
        );
        assert_eq!(
            why("remind me in 0 seconds to x"),
            "the delay must be at least a second"
        );
        assert_eq!(
            why("remind me in 200 hours to x"),
            "I keep reminders for at most 7 days"
        );
        assert_eq!(
            why("remind me in 5 seconds to !"),
            "say what to remind you of"
        );
        assert!(why("remind me").starts_with("say when"));
        assert!(why("remind me to stretch").starts_with("say when"));
    }

    #[test]
    fn delays_read_naturally() {
        assert_eq!(describe(Duration::from_secs(1)), "1 second");
        assert_eq!(describe(Duration::from_secs(10)), "10 seconds");
        assert_eq!(describe(Duration::from_secs(65)), "1 minute 5 seconds");
        assert_eq!(describe(Duration::from_secs(120)), "2 minutes");
        assert_eq!(
            describe(Duration::from_secs(3600 * 2 + 60 * 30 + 9)),
            "2 hours 30 minutes"
        );
        assert_eq!(describe(Duration::from_secs(3600 + 5)), "1 hour");
        assert_eq!(describe(Duration::from_millis(300)), "less than a second");
    }
}
