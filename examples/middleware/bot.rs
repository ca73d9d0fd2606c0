//! The middleware example: three middleware of our own around a small bot, each showing one
//! thing middleware can do.
//!
//! ```text
//!  incoming ─▶ TurnLog ─▶ CleanText ─▶ KeywordFilter ─▶ MiddlewareBot
//!                                            │ (a blocked word: answers, stops the turn)
//!  done     ◀─ TurnLog ◀─ CleanText ◀────────┴─────────◀─┘
//! ```
//!
//! - [`TurnLog`] runs code before *and after* the rest of the turn (`next.run(ctx)`): it
//!   numbers the turn, hands the bot a [`TurnInfo`] in turn state, counts what the turn sends
//!   with a send hook, and logs the turn's duration and outcome when it is done.
//! - [`CleanText`] changes the incoming activity: it removes the bot's @mention (Teams puts
//!   `<at>Bot</at>` in the text) and extra spaces, and leaves the [`OriginalText`] in turn
//!   state.
//! - [`KeywordFilter`] short-circuits: a message with a blocked word is answered by the
//!   filter, and neither later middleware nor the bot see it (not calling `next.run`).
//!
//! No HTTP here: `main.rs` serves it, and `tests/example_middleware.rs` plays it with
//! `TestFlow`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use botbuilder::core::send_hook;
use botbuilder::prelude::*;
use tokio::time::Instant;

/// Counts kept across turns by [`TurnLog`].
#[derive(Debug, Default)]
pub(crate) struct Stats {
    turns: AtomicU64,
    replies: AtomicU64,
    stopped: AtomicU64,
}

/// What [`TurnLog`] hands the rest of the turn, in turn state.
#[derive(Clone, Debug)]
pub(crate) struct TurnInfo {
    /// This turn's number, from 1.
    pub(crate) number: u64,
    /// When the turn started.
    pub(crate) started: Instant,
    /// Messages sent by earlier turns.
    pub(crate) replies_before: u64,
    /// Messages stopped by the filter in earlier turns.
    pub(crate) stopped_before: u64,
}

/// The incoming text before [`CleanText`] changed it, in turn state (only when it did).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OriginalText(pub(crate) String);

/// Left in turn state by [`KeywordFilter`] when it stopped the turn.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stopped;

/// Logs every turn: its number and kind when it starts; its duration, replies and outcome
/// when it ends.
#[derive(Clone, Debug)]
pub(crate) struct TurnLog {
    stats: Arc<Stats>,
}

#[async_trait]
impl Middleware for TurnLog {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        // Before the rest of the turn.
        let number = self.stats.turns.fetch_add(1, Ordering::Relaxed) + 1;
        let info = TurnInfo {
            number,
            started: Instant::now(),
            replies_before: self.stats.replies.load(Ordering::Relaxed),
            stopped_before: self.stats.stopped.load(Ordering::Relaxed),
        };
        ctx.turn_state_mut().insert(info.clone());
        let kind = ctx.activity().activity_type.clone();
        tracing::info!(turn = number, %kind, "turn started");

        // Every send of this turn passes through this hook, whoever sends (the bot, or a
        // middleware answering in its place).
        let this_turn = Arc::new(AtomicU64::new(0));
        let (counted, stats) = (this_turn.clone(), self.stats.clone());
        ctx.on_send_activities(send_hook(async move |_ctx, activities, next| {
            let (counted, stats) = (counted.clone(), stats.clone());
            let messages = activities
                .iter()
                .filter(|a| a.activity_type == ActivityTypes::Message)
                .count();
            let messages = u64::try_from(messages).unwrap_or(u64::MAX);
            let sent = next.run(activities).await?;
            counted.fetch_add(messages, Ordering::Relaxed);
            stats.replies.fetch_add(messages, Ordering::Relaxed);
            Ok(sent)
        }));

        let result = next.run(ctx).await;

        // After it: the turn is done, whatever it did.
        let stopped = ctx.turn_state().contains::<Stopped>();
        if stopped {
            self.stats.stopped.fetch_add(1, Ordering::Relaxed);
        }
        tracing::info!(
            turn = number,
            elapsed_ms = u64::try_from(info.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            replies = this_turn.load(Ordering::Relaxed),
            stopped,
            ok = result.is_ok(),
            "turn done"
        );
        result
    }
}

/// Tidies incoming messages: removes the bot's @mention and extra whitespace.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CleanText;

/// `text` with runs of whitespace made one space, and trimmed.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[async_trait]
impl Middleware for CleanText {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        if ctx.activity().activity_type == ActivityTypes::Message {
            let original = ctx.activity().text().to_owned();
            let activity = ctx.activity_mut();
            let cleaned = collapse_whitespace(activity.remove_recipient_mention());
            activity.text = Some(cleaned.clone());
            if cleaned != original {
                ctx.turn_state_mut().insert(OriginalText(original));
            }
        }
        next.run(ctx).await
    }
}

/// Stops messages containing a blocked word: it answers them itself, and the rest of the
/// pipeline never sees them.
#[derive(Clone, Debug)]
pub(crate) struct KeywordFilter {
    blocked: Vec<String>,
    answer: String,
}

impl KeywordFilter {
    /// Blocks these words (whole words, any case), answering `answer`.
    pub(crate) fn new(
        words: impl IntoIterator<Item = impl Into<String>>,
        answer: impl Into<String>,
    ) -> Self {
        Self {
            blocked: words.into_iter().map(|w| w.into().to_lowercase()).collect(),
            answer: answer.into(),
        }
    }

    /// Whether `text` holds a blocked word.
    pub(crate) fn blocks(&self, text: &str) -> bool {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|word| self.blocked.iter().any(|b| b.eq_ignore_ascii_case(word)))
    }
}

#[async_trait]
impl Middleware for KeywordFilter {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        if ctx.activity().activity_type == ActivityTypes::Message
            && self.blocks(ctx.activity().text())
        {
            ctx.send_activity(self.answer.as_str()).await?;
            ctx.turn_state_mut().insert(Stopped);
            return Ok(()); // no `next.run(ctx)`: the turn ends here
        }
        next.run(ctx).await
    }
}

/// The filter's answer.
pub(crate) const BLOCKED_ANSWER: &str =
    "Please do not share passwords here. I stopped that message before it reached the bot.";

/// The three middleware, in order; register the set on the adapter.
pub(crate) fn middleware(stats: Arc<Stats>) -> MiddlewareSet {
    MiddlewareSet::new()
        .with(TurnLog { stats })
        .with(CleanText)
        .with(KeywordFilter::new(["password", "passwd"], BLOCKED_ANSWER))
}

/// Echoes the tidied text, and says what the middleware saw.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MiddlewareBot;

#[async_trait]
impl ActivityHandler for MiddlewareBot {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let text = ctx.activity().text().to_owned();
        let reply = if text.eq_ignore_ascii_case("stats") {
            match ctx.turn_state().get::<TurnInfo>() {
                Some(info) => format!(
                    "This is turn {}. Earlier turns sent {} replies; the filter stopped {} of their messages.",
                    info.number, info.replies_before, info.stopped_before
                ),
                None => "No statistics: TurnLog is not registered.".to_owned(),
            }
        } else {
            match ctx.turn_state().get::<OriginalText>() {
                Some(OriginalText(original)) => {
                    format!("You said \"{text}\" (tidied from \"{original}\").")
                }
                None => format!("You said \"{text}\"."),
            }
        };
        ctx.send_activity(reply).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_collapsed() {
        assert_eq!(collapse_whitespace("  a \t b\n\nc  "), "a b c");
        assert_eq!(collapse_whitespace(""), "");
    }

    #[test]
    fn whole_words_are_blocked_in_any_case() {
        let filter = KeywordFilter::new(["password"], "no");
        assert!(filter.blocks("my PASSWORD is hunter2"));
        assert!(filter.blocks("password: x"));
        assert!(!filter.blocks("passwords are long"));
        assert!(!filter.blocks("reset my pass word"));
    }
}
