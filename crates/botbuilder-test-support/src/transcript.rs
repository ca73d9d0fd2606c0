//! Checks the conversation an example shows at the top of its `main.rs` against what the
//! example's bot really answers, so that the two cannot drift apart.
//!
//! The transcript is the first `text` code block of the file's `//!` docs:
//!
//! ```text
//! window 1  user: run
//!           bot:  Job 1732581234567 started. I will let you know ...
//! (an outside system completes the job)
//! window 1  bot:  Job 1732581234567 is complete.          <- a proactive message
//!           bot:  What is your favourite colour?          [Red] [Yellow] [Blue]
//!           bot:  [hero card: "Hero card", ...]
//! ```
//!
//! - `user:` (or `user>`) lines are sent as messages; `bot:` (or `bot>`) lines are the next
//!   message the bot sent into the current conversation. Lines that continue a bot line (no
//!   role) are more lines of its text.
//! - `window N` switches to conversation `conv-N` (the default is `conv-1`).
//! - A line in parentheses, or a user line whose text is in parentheses, is a *note*: the
//!   test does what it says (open the chat, wait, restart) in [`Player::run_until_note`]'s
//!   loop.
//! - After the text, two or more spaces then `[A] [B]` are the suggested actions' titles;
//!   `<- ...` and `(...)` there are comments. A text in brackets (`[card: ...]`) is an
//!   attachment; the quoted strings inside it must appear in the attachment. A text ending in
//!   `...` or `…` is a prefix. White space runs count as one space.
//! - Numbers of ten digits or more (job numbers, timestamps) stand for whatever number the bot
//!   sent in their place the first time; later uses (also in user lines) mean that number.

use std::collections::HashMap;
use std::time::Duration;

use botbuilder_core::Bot;
use botbuilder_core::schema::{Activity, ActivityTypes, ChannelAccount, ConversationAccount};
use botbuilder_core::testing::TestAdapter;

/// One line of a transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The conversation switches to this id (`window 2` is `conv-2`).
    Conversation(String),
    /// The user sends this text.
    User(String),
    /// The bot's next message.
    Bot(Expected),
    /// Something the test does (the text without its parentheses).
    Note(String),
}

/// What a bot line says the bot sends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// The text (lines joined with `\n`), or empty for an attachment.
    pub text: String,
    /// Whether `text` is only the start of the message.
    pub prefix: bool,
    /// For an attachment line: the quoted strings it names.
    pub attachment: Option<Vec<String>>,
    /// The suggested actions' titles, when shown.
    pub buttons: Vec<String>,
    /// The line as written, for failure messages.
    pub line: String,
}

/// A parsed transcript.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

impl Transcript {
    /// The transcript of a source file: the first ```` ```text ```` block of its `//!` docs.
    ///
    /// # Panics
    /// When the file has no such block.
    #[must_use]
    pub fn from_source(source: &str) -> Self {
        let mut lines = Vec::new();
        let mut inside = false;
        for line in source.lines() {
            let Some(doc) = line.strip_prefix("//!") else {
                if inside {
                    break;
                }
                continue;
            };
            let doc = doc.strip_prefix(' ').unwrap_or(doc);
            if !inside {
                inside = doc.trim() == "```text";
                continue;
            }
            if doc.trim() == "```" {
                return Self::parse(&lines);
            }
            lines.push(doc.to_owned());
        }
        panic!("no ```text transcript in the //! docs");
    }

    /// Parses transcript lines.
    #[must_use]
    pub fn parse(lines: &[String]) -> Self {
        let mut steps: Vec<Step> = Vec::new();
        for raw in lines {
            let mut line = raw.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("window ") {
                let (number, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                steps.push(Step::Conversation(format!("conv-{number}")));
                line = rest.trim();
            }
            let indented = raw.starts_with(' ');
            if line.starts_with('(') && !indented {
                steps.push(Step::Note(note_text(line)));
                continue;
            }
            if let Some(text) = role(line, "user") {
                let text = strip_comments(text).0;
                if text.starts_with('(') {
                    steps.push(Step::Note(note_text(&text)));
                } else {
                    steps.push(Step::User(text));
                }
                continue;
            }
            if let Some(text) = role(line, "bot") {
                steps.push(Step::Bot(expected(text, raw)));
                continue;
            }
            // A line that continues the bot's message; one in parentheses is a comment.
            if line.starts_with('(') {
                continue;
            }
            if let Some(Step::Bot(previous)) = steps.last_mut() {
                previous.line.push('\n');
                previous.line.push_str(raw);
                if line.starts_with('[') {
                    // The same message carries an attachment.
                    previous.attachment = expected(line, raw).attachment;
                } else {
                    previous.text.push('\n');
                    previous.text.push_str(line);
                }
            } else {
                panic!("a transcript line with no role: {raw:?}");
            }
        }
        Self { steps }
    }
}

fn role<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(name)?;
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('>'))?;
    Some(rest.trim())
}

fn note_text(line: &str) -> String {
    let line = line.trim();
    let end = line.find(')').unwrap_or(line.len());
    line[1.min(line.len())..end].trim().to_owned()
}

/// The text before the comments (`  [A] [B]`, `  <- ...`, `  (...)`), and the buttons.
fn strip_comments(text: &str) -> (String, Vec<String>) {
    let mut cut = text.len();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == b' ' && bytes[i + 1] == b' ' {
            let rest = text[i..].trim_start();
            if rest.starts_with('[') || rest.starts_with("<-") || rest.starts_with('(') {
                cut = i;
                break;
            }
        }
        i += 1;
    }
    let mut buttons = Vec::new();
    let mut tail = text[cut..].trim();
    while let Some(rest) = tail.strip_prefix('[') {
        let Some(end) = rest.find(']') else { break };
        buttons.push(rest[..end].to_owned());
        tail = rest[end + 1..].trim_start();
    }
    (text[..cut].trim().to_owned(), buttons)
}

fn expected(text: &str, raw: &str) -> Expected {
    let line = raw.to_owned();
    if text.starts_with('[') {
        // An attachment, perhaps followed by comments.
        let end = text.rfind(']').unwrap_or(text.len());
        let inside = &text[1..end];
        let quoted = inside
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        return Expected {
            attachment: Some(quoted),
            line,
            ..Expected::default()
        };
    }
    let (mut text, buttons) = strip_comments(text);
    let mut prefix = false;
    for ellipsis in ["...", "…"] {
        if let Some(start) = text.strip_suffix(ellipsis) {
            text = start.trim_end().to_owned();
            prefix = true;
        }
    }
    Expected {
        text,
        prefix,
        attachment: None,
        buttons,
        line,
    }
}

/// Plays a [`Transcript`] against a bot on a [`TestAdapter`].
#[derive(Debug)]
pub struct Player {
    /// The adapter the turns run on.
    pub adapter: TestAdapter,
    steps: std::vec::IntoIter<Step>,
    conversation: String,
    numbers: HashMap<String, String>,
    /// How long a bot line waits for a message that comes later (a proactive one).
    pub wait: Duration,
    /// Who the user lines come from (the adapter's template user when `None`).
    pub user: Option<ChannelAccount>,
    /// Applied to every activity the player sends (a local timestamp, channel data).
    pub decorate: fn(Activity) -> Activity,
}

impl Player {
    /// A player of the transcript of `source` (a `main.rs`'s text) on `adapter`.
    #[must_use]
    pub fn new(adapter: TestAdapter, source: &str) -> Self {
        Self {
            adapter,
            steps: Transcript::from_source(source).steps.into_iter(),
            conversation: "conv-1".to_owned(),
            numbers: HashMap::new(),
            wait: Duration::from_secs(10),
            user: None,
            decorate: std::convert::identity,
        }
    }

    /// The current conversation's id.
    #[must_use]
    pub fn conversation(&self) -> &str {
        &self.conversation
    }

    /// Switches to another conversation.
    pub fn set_conversation(&mut self, id: impl Into<String>) {
        self.conversation = id.into();
    }

    /// An activity from the user into the current conversation.
    #[must_use]
    pub fn activity(&self, activity: Activity) -> Activity {
        let mut activity = activity;
        activity.conversation = Some(ConversationAccount::new(&self.conversation));
        if activity.from.is_none() {
            activity.from.clone_from(&self.user);
        }
        (self.decorate)(activity)
    }

    /// Runs a turn for `activity` (completed with [`activity`](Self::activity)).
    ///
    /// # Panics
    /// When the turn fails.
    pub async fn send(&self, activity: Activity, bot: &dyn Bot) {
        let activity = self.activity(activity);
        self.adapter
            .process_activity(activity, bot)
            .await
            .unwrap_or_else(|e| panic!("a turn failed: {e}"));
    }

    /// The user (or `member`) joins the current conversation: a conversationUpdate with the
    /// bot and them added, as Web Chat and the Emulator send when a chat opens.
    pub async fn join(&self, bot: &dyn Bot) {
        let user = self
            .user
            .clone()
            .or_else(|| self.adapter.template().user.clone());
        let mut update = Activity::new(ActivityTypes::ConversationUpdate);
        update.members_added = Some(
            self.adapter
                .template()
                .bot
                .clone()
                .into_iter()
                .chain(user)
                .collect(),
        );
        self.send(update, bot).await;
    }

    /// Runs the steps up to the next note, and returns the note; `None` at the end, after
    /// checking that the bot sent nothing more.
    ///
    /// # Panics
    /// When the bot's answer is not what the transcript says.
    pub async fn run_until_note(&mut self, bot: &dyn Bot) -> Option<String> {
        while let Some(step) = self.steps.next() {
            match step {
                Step::Conversation(id) => self.conversation = id,
                Step::Note(note) => return Some(note),
                Step::User(text) => {
                    let text = self.bind_user(&text);
                    self.send(Activity::message(text), bot).await;
                }
                Step::Bot(expected) => {
                    let reply = self.next_message().await.unwrap_or_else(|| {
                        panic!(
                            "in {}: the bot sent nothing where the transcript says\n{}",
                            self.conversation, expected.line
                        )
                    });
                    self.check(&expected, &reply);
                }
            }
        }
        let rest: Vec<String> = self
            .adapter
            .pending_replies(&self.conversation)
            .iter()
            .filter(|a| a.activity_type == ActivityTypes::Message)
            .map(|a| a.text().to_owned())
            .collect();
        assert!(
            rest.is_empty(),
            "the bot sent more than the transcript shows: {rest:?}"
        );
        None
    }

    /// The next message (typing and trace activities skipped) in the current conversation.
    async fn next_message(&self) -> Option<Activity> {
        loop {
            let reply = self
                .adapter
                .wait_for_reply(&self.conversation, self.wait)
                .await?;
            if reply.activity_type == ActivityTypes::Message {
                return Some(reply);
            }
        }
    }

    fn bind_user(&self, text: &str) -> String {
        map_numbers(text, |number| {
            self.numbers
                .get(number)
                .cloned()
                .unwrap_or_else(|| number.to_owned())
        })
    }

    fn check(&mut self, expected: &Expected, reply: &Activity) {
        let line = &expected.line;
        if let Some(quoted) = &expected.attachment {
            let attachments = reply.attachments.as_deref().unwrap_or_default();
            assert!(
                !attachments.is_empty(),
                "expected an attachment for\n{line}\nbut the bot sent {:?}",
                reply.text()
            );
            let json = serde_json::to_string(attachments).unwrap_or_default();
            for q in quoted {
                assert!(
                    json.contains(q.as_str()),
                    "the attachment has no {q:?} (transcript line:\n{line})\n{json}"
                );
            }
            if expected.text.is_empty() {
                return;
            }
        }
        let actual = normalize(reply.text());
        let mut wanted = normalize(&expected.text);
        // Bind the long numbers of the transcript to the bot's, in order of appearance.
        let theirs = long_numbers(&actual);
        let ours = long_numbers(&wanted);
        for (i, number) in ours.iter().enumerate() {
            let bound = match self.numbers.get(number) {
                Some(bound) => bound.clone(),
                None => match theirs.get(i) {
                    Some(actual_number) => {
                        self.numbers.insert(number.clone(), actual_number.clone());
                        actual_number.clone()
                    }
                    None => continue,
                },
            };
            wanted = wanted.replacen(number.as_str(), &bound, 1);
        }
        let ok = if expected.prefix {
            actual.starts_with(&wanted)
        } else {
            actual == wanted
        };
        assert!(
            ok,
            "in {}: the transcript says\n{line}\nbut the bot sent\n{}",
            self.conversation,
            reply.text()
        );
        if !expected.buttons.is_empty() {
            let titles: Vec<String> = reply
                .suggested_actions
                .as_ref()
                .map(|s| s.actions.iter().filter_map(|a| a.title.clone()).collect())
                .unwrap_or_default();
            assert_eq!(titles, expected.buttons, "the suggested actions of\n{line}");
        }
    }
}

/// Lines trimmed, runs of white space as one space, table separator rows dropped.
fn normalize(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty() && !is_table_separator(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A markdown table's `|---|---|` row: rendered as a rule, not shown as text.
fn is_table_separator(line: &str) -> bool {
    line.contains('-') && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn long_numbers(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    map_numbers(text, |n| {
        found.push(n.to_owned());
        n.to_owned()
    });
    found
}

/// Replaces each run of ten digits or more.
fn map_numbers(text: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() >= 10 {
            out.push_str(&f(&digits));
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_roles_windows_notes_buttons_and_attachments() {
        let source = r#"//! Doc.
//!
//! ```text
//! (the user opens the chat)
//! window 1  user: run
//!           bot:  Job 1732581234567 started.
//! window 2  bot:  | Job | Done |
//!                 | 1732581234567 | no |
//! user: (picks 4, taps Send)     <- a form
//! bot:  Pick one.        [Red] [Blue]
//! bot:  [hero card: "Hero card", buttons]   <- shown
//! bot:  I send announcements ...
//! ```
"#;
        let t = Transcript::from_source(source);
        assert_eq!(t.steps[0], Step::Note("the user opens the chat".into()));
        assert_eq!(t.steps[1], Step::Conversation("conv-1".into()));
        assert_eq!(t.steps[2], Step::User("run".into()));
        let Step::Bot(table) = &t.steps[5] else {
            panic!("{:?}", t.steps[5])
        };
        assert_eq!(table.text, "| Job | Done |\n| 1732581234567 | no |");
        assert_eq!(t.steps[6], Step::Note("picks 4, taps Send".into()));
        let Step::Bot(pick) = &t.steps[7] else {
            panic!()
        };
        assert_eq!((pick.text.as_str(), pick.buttons.len()), ("Pick one.", 2));
        let Step::Bot(card) = &t.steps[8] else {
            panic!()
        };
        assert_eq!(card.attachment, Some(vec!["Hero card".to_owned()]));
        let Step::Bot(prefix) = &t.steps[9] else {
            panic!()
        };
        assert!(prefix.prefix);
        assert_eq!(prefix.text, "I send announcements");
    }

    #[test]
    fn long_numbers_are_found_and_replaced() {
        assert_eq!(long_numbers("job 1732581234567 and 42"), ["1732581234567"]);
        assert_eq!(map_numbers("done 1234567890", |_| "X".into()), "done X");
        assert_eq!(normalize("  a   b \n\n c "), "a b\nc");
        assert_eq!(
            normalize("| a | b |\n|---|:-:|\n| 1 | 2 |"),
            "| a | b |\n| 1 | 2 |"
        );
    }
}
