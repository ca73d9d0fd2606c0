//! Streamed answers for bots with a language model behind them: the answer grows in one
//! bubble as the model writes it, then ends with a final message carrying its citations, the
//! "AI generated" label and the feedback buttons. Also: reading that feedback, and finishing
//! a long answer after the channel's request has been acknowledged.
//!
//! [`StreamingResponse`] speaks the protocol Teams and Web Chat document for streamed bot
//! messages. On those channels it sends `typing` activities with a `streaminfo` entity
//! ([`StreamInfo`]): informative updates ("Searching…"), then the text so far, at most one
//! every [`interval`](StreamingResponse::interval) (Teams accepts about one a second), and
//! finally a `message` with all the text. The stream id is the id the channel gives the first
//! of them. The same fields go in `channelData`, where Web Chat before 4.19 reads them.
//! Chunks that arrive while a send is in flight, or before the interval has passed,
//! wait and go out together in the next update. On other channels (and when the turn asked
//! for `expectReplies`) only the final message is sent.
//!
//! ```
//! use botbuilder_core::streaming::StreamingResponse;
//! use botbuilder_core::schema::ai::Citation;
//! use botbuilder_core::{TurnContext, TurnResult};
//!
//! async fn answer(ctx: &mut TurnContext) -> TurnResult {
//!     let mut stream = StreamingResponse::new(ctx)
//!         .with_generated_by_ai_label(true)
//!         .with_feedback_loop(true);
//!     stream.queue_informative_update("Searching the handbook…").await?;
//!     let position = stream.add_citation(Citation::new("Handbook", "Leave is 25 days a year."));
//!     // Chunks as a model client yields them (any `Stream` of `Result<impl AsRef<str>, E>`).
//!     let chunks = futures::stream::iter(["You have ", "25 days ", "of leave "])
//!         .map(Ok::<_, std::io::Error>);
//!     stream.stream_text(chunks).await?;
//!     stream.queue_text_chunk(&format!("[{position}].")).await?;
//!     stream.end_stream().await?;
//!     Ok(())
//! }
//! # use futures::StreamExt;
//! ```
//!
//! When the channel stops the stream, the call that found out returns
//! [`Error::StreamStopped`] with a [`StreamStop`] reason. If the user pressed Stop, nothing
//! more is sent (a model stream given to [`stream_text`](StreamingResponse::stream_text) is
//! dropped unread). If the channel does not allow streaming here, or the stream ran too long,
//! no more updates are sent, `stream_text` still reads the whole answer before it reports the
//! stop, and [`end_stream`](StreamingResponse::end_stream) sends it as a plain message.
//!
//! Feedback: [`take_feedback`] reads the `message/submitAction` invoke the thumbs up / down
//! buttons send and answers it. Long answers: [`finish_in_background`] lets the turn end at
//! once (so the channel does not send the request again) and runs the rest in a proactive
//! turn.

use std::future::Future;
use std::pin::{Pin, pin};
use std::time::Duration;

use botbuilder_schema::ai::{
    AiMessage, Citation, Feedback, SensitivityLabel, StreamInfo, StreamType,
};
use botbuilder_schema::{
    Activity, Attachment, ChannelId, DeliveryModes, Entity, InvokeResponse, ResourceResponse,
};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::callback::Call1;
use crate::error::report;
use crate::{BotAdapterExt, BoxError, ChannelFailure, Error, TurnContext, TurnResult};

/// How often Teams accepts a streamed update: about one a second.
pub const TEAMS_INTERVAL: Duration = Duration::from_secs(1);

/// How often updates go to Direct Line and Web Chat, which render them as they come.
pub const DIRECT_LINE_INTERVAL: Duration = Duration::from_millis(500);

/// The error code Teams answers (with 403) when a stream may not continue.
pub const CONTENT_STREAM_NOT_ALLOWED: &str = "ContentStreamNotAllowed";

/// Why the channel stopped a stream (see [`Error::StreamStopped`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamStop {
    /// The user pressed Stop. The text streamed so far stays; send nothing more.
    UserCancelled,
    /// The stream went on longer than the channel allows (two minutes in Teams).
    TimedOut,
    /// The channel does not allow streaming here (a group chat, a stream already ended).
    NotAllowed,
}

impl std::fmt::Display for StreamStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StreamStop::UserCancelled => "the user cancelled it",
            StreamStop::TimedOut => "it exceeded the channel's streaming time",
            StreamStop::NotAllowed => "the channel does not allow streaming here",
        })
    }
}

/// The update interval a channel accepts for streamed answers, or `None` when the turn's
/// channel does not stream: Teams in one-on-one chats ([`TEAMS_INTERVAL`]), Direct Line and
/// Web Chat ([`DIRECT_LINE_INTERVAL`]); never when the turn asked for `expectReplies`.
///
/// ```
/// use botbuilder_core::schema::{Activity, ChannelId, ConversationAccount};
/// use botbuilder_core::streaming::{streaming_interval, TEAMS_INTERVAL};
///
/// let mut teams = Activity::message("hi").with_channel_id(ChannelId::Msteams);
/// teams.conversation = Some(ConversationAccount { conversation_type: Some("personal".into()), ..ConversationAccount::new("a:1") });
/// assert_eq!(streaming_interval(&teams), Some(TEAMS_INTERVAL));
/// teams.conversation.as_mut().unwrap().conversation_type = Some("groupChat".into());
/// assert_eq!(streaming_interval(&teams), None);
/// assert_eq!(streaming_interval(&Activity::message("hi").with_channel_id(ChannelId::Slack)), None);
/// ```
#[must_use]
pub fn streaming_interval(activity: &Activity) -> Option<Duration> {
    if activity.delivery_mode == Some(DeliveryModes::ExpectReplies) {
        return None;
    }
    match activity.channel_id.as_ref()? {
        ChannelId::Msteams => {
            let personal = activity
                .conversation
                .as_ref()
                .and_then(|c| c.conversation_type.as_deref())
                == Some("personal");
            personal.then_some(TEAMS_INTERVAL)
        }
        ChannelId::Directline | ChannelId::Webchat => Some(DIRECT_LINE_INTERVAL),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    Open,
    Stopped(StreamStop),
    Ended,
}

/// A streamed answer in one turn: informative updates, text that grows, one final message.
/// See the [module docs](self) for the protocol and an example.
///
/// Sends go through the turn's [`TurnContext`] (its hooks, transcript logging and
/// `expectReplies` buffering apply). Updates are sent one at a time, in order, numbered from
/// 1 (`streamSequence`), no closer together than [`interval`](Self::interval). The final
/// message is sent exactly once, by [`end_stream`](Self::end_stream); a stream dropped without
/// it sends nothing more (the channel ends it after its own timeout).
pub struct StreamingResponse<'a> {
    ctx: &'a TurnContext,
    interval: Option<Duration>,
    state: State,
    stream_id: Option<String>,
    next_sequence: u64,
    text: String,
    pending_informative: Option<String>,
    text_pending: bool,
    last_send: Option<Instant>,
    attachments: Vec<Attachment>,
    citations: Vec<Citation>,
    ai_label: bool,
    sensitivity_label: Option<SensitivityLabel>,
    feedback_loop: bool,
}

impl std::fmt::Debug for StreamingResponse<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("interval", &self.interval)
            .field("state", &self.state)
            .field("stream_id", &self.stream_id)
            .field("updates_sent", &self.updates_sent())
            .field("text_len", &self.text.len())
            .finish_non_exhaustive()
    }
}

type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<ResourceResponse, Error>> + Send + 'a>>;

impl<'a> StreamingResponse<'a> {
    /// A stream answering the turn of `ctx`, streaming when its channel does (see
    /// [`streaming_interval`]).
    #[must_use]
    pub fn new(ctx: &'a TurnContext) -> Self {
        Self {
            ctx,
            interval: streaming_interval(ctx.activity()),
            state: State::Open,
            stream_id: None,
            next_sequence: 1,
            text: String::new(),
            pending_informative: None,
            text_pending: false,
            last_send: None,
            attachments: Vec::new(),
            citations: Vec::new(),
            ai_label: false,
            sensitivity_label: None,
            feedback_loop: false,
        }
    }

    /// Sets the least time between two updates (Teams accepts about one a second; sending
    /// faster gets the stream refused). Streams only if the channel does.
    #[must_use]
    pub fn with_interval(mut self, interval: Duration) -> Self {
        if self.interval.is_some() {
            self.interval = Some(interval);
        }
        self
    }

    /// Turns streaming off (only the final message is sent), or on with `interval` for a
    /// channel this SDK does not know to stream (a custom Direct Line client, a test).
    #[must_use]
    pub fn with_streaming(mut self, interval: Option<Duration>) -> Self {
        self.interval = interval;
        self
    }

    /// Shows the "AI generated" label on the final message.
    #[must_use]
    pub fn with_generated_by_ai_label(mut self, on: bool) -> Self {
        self.ai_label = on;
        self
    }

    /// Shows the thumbs up / down buttons on the final message (Teams'
    /// `channelData.feedbackLoopEnabled`); read the answers with [`take_feedback`].
    #[must_use]
    pub fn with_feedback_loop(mut self, on: bool) -> Self {
        self.feedback_loop = on;
        self
    }

    /// Puts a sensitivity label on the final message.
    #[must_use]
    pub fn with_sensitivity_label(mut self, label: SensitivityLabel) -> Self {
        self.sensitivity_label = Some(label);
        self
    }

    /// Attaches these to the final message.
    #[must_use]
    pub fn with_attachments(mut self, attachments: Vec<Attachment>) -> Self {
        self.attachments = attachments;
        self
    }

    /// Adds a source; returns its number, to write as `[n]` in the text. The final message
    /// lists every source (as a `https://schema.org/Message` entity).
    pub fn add_citation(&mut self, citation: Citation) -> u32 {
        let position = u32::try_from(self.citations.len() + 1).unwrap_or(u32::MAX);
        self.citations.push(Citation {
            position,
            ..citation
        });
        position
    }

    /// The interval between updates, or `None` when only the final message is sent.
    #[must_use]
    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// The stream's id, once the channel has answered its first update.
    #[must_use]
    pub fn stream_id(&self) -> Option<&str> {
        self.stream_id.as_deref()
    }

    /// How many activities of the stream were sent (updates and the final message).
    #[must_use]
    pub fn updates_sent(&self) -> u64 {
        self.next_sequence - 1
    }

    /// The text of the answer so far.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Sends a status line ("Searching your documents…"), waiting for the interval since the
    /// last update if needed. Does nothing on channels that do not stream.
    ///
    /// # Errors
    /// [`Error::StreamStopped`] when the channel stopped the stream; [`Error::StreamEnded`]
    /// after [`end_stream`](Self::end_stream); the send's error.
    pub async fn queue_informative_update(&mut self, text: impl Into<String>) -> Result<(), Error> {
        self.check_open()?;
        if self.interval.is_none() {
            return Ok(());
        }
        self.pending_informative = Some(text.into());
        self.flush().await
    }

    /// Appends a chunk of text. It is sent now if the interval since the last update has
    /// passed, else with the next update (or the final message). Returns without waiting for
    /// the interval.
    ///
    /// # Errors
    /// As [`queue_informative_update`](Self::queue_informative_update).
    pub async fn queue_text_chunk(&mut self, chunk: &str) -> Result<(), Error> {
        self.check_open()?;
        self.push_text(chunk);
        if self.interval.is_some() && self.due_at().is_some_and(|at| at <= Instant::now()) {
            self.send_next().await?;
        }
        Ok(())
    }

    /// Sends what is waiting (an informative update, new text) as soon as the interval
    /// allows, and returns when it is sent.
    ///
    /// # Errors
    /// As [`queue_informative_update`](Self::queue_informative_update).
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.check_open()?;
        while let Some(at) = self.due_at() {
            tokio::time::sleep_until(at).await;
            self.send_next().await?;
        }
        Ok(())
    }

    /// Appends every chunk of `chunks` (a model's answer as it is generated) and sends
    /// updates while it comes: chunks that arrive during a send, or before the interval has
    /// passed, go together in the next update. Returns when `chunks` ends, after any update in
    /// flight; text not sent yet goes with the final message. The stream stays open.
    ///
    /// # Errors
    /// [`Error::StreamSource`] when `chunks` yields an error (the text before it is kept: end
    /// the stream to send it); otherwise as
    /// [`queue_informative_update`](Self::queue_informative_update), after which `chunks` is
    /// dropped unread.
    pub async fn stream_text<S, T, E>(&mut self, chunks: S) -> Result<(), Error>
    where
        S: Stream<Item = Result<T, E>>,
        T: AsRef<str>,
        E: Into<BoxError>,
    {
        self.check_open()?;
        let mut chunks = pin!(chunks);
        let mut in_flight: Option<SendFuture<'a>> = None;
        let mut source_done = false;
        let mut source_error = None;
        // A stop other than the user's: the rest of the answer is still read, for the final
        // message, and the stop is reported at the end.
        let mut stopped = None;
        loop {
            if in_flight.is_none() {
                if source_done {
                    break;
                }
                if self.interval.is_some() && self.due_at().is_some_and(|at| at <= Instant::now()) {
                    in_flight = self.start_send();
                }
            }
            let sleep_until = match (&in_flight, self.interval) {
                (None, Some(_)) => self.due_at(),
                _ => None,
            };
            tokio::select! {
                biased;
                result = poll_in_flight(&mut in_flight), if in_flight.is_some() => {
                    in_flight = None;
                    if let Err(error) = self.after_send(result) {
                        match &error {
                            Error::StreamStopped { .. } if self.state == State::Open => {
                                stopped = Some(error);
                            }
                            _ => return Err(error),
                        }
                    }
                }
                chunk = chunks.next(), if !source_done => match chunk {
                    Some(Ok(chunk)) => self.push_text(chunk.as_ref()),
                    Some(Err(error)) => {
                        source_done = true;
                        source_error = Some(error.into());
                    }
                    None => source_done = true,
                },
                () = sleep_opt(sleep_until), if sleep_until.is_some() => {}
            }
        }
        match (source_error, stopped) {
            (Some(source), _) => Err(Error::StreamSource { source }),
            (None, Some(stopped)) => Err(stopped),
            (None, None) => Ok(()),
        }
    }

    /// Ends the stream: sends the final message, once, with all the text, the attachments,
    /// citations, labels and feedback buttons, after the interval since the last update.
    /// Returns the channel's answer to it. If the channel stopped the stream for another
    /// reason than the user's Stop, the answer goes as a plain message instead.
    ///
    /// # Errors
    /// [`Error::StreamEnded`] when called twice; [`Error::StreamStopped`] when the user
    /// stopped the stream (nothing is sent); the send's error.
    pub async fn end_stream(&mut self) -> Result<ResourceResponse, Error> {
        match std::mem::replace(&mut self.state, State::Ended) {
            State::Ended => return Err(Error::StreamEnded),
            State::Stopped(reason) => {
                return Err(Error::StreamStopped {
                    reason,
                    source: None,
                });
            }
            State::Open => {}
        }
        let in_stream = self.interval.is_some() && self.stream_id.is_some();
        if in_stream && let Some(at) = self.next_allowed() {
            tokio::time::sleep_until(at).await;
        }
        let mut activity = Activity::message(self.text.clone());
        activity.attachments = (!self.attachments.is_empty()).then(|| self.attachments.clone());
        let mut entities = Vec::new();
        let mut channel_data = json!({});
        if in_stream {
            let info = StreamInfo {
                stream_id: self.stream_id.clone(),
                stream_type: StreamType::Final,
                ..StreamInfo::default()
            };
            channel_data = stream_channel_data(&info);
            entities.push(stream_entity(info));
            self.next_sequence += 1;
        }
        if let Some(entity) = self.ai_entity(true) {
            entities.push(entity);
        }
        activity.entities = (!entities.is_empty()).then_some(entities);
        if self.feedback_loop {
            channel_data["feedbackLoopEnabled"] = json!(true);
        }
        if channel_data.as_object().is_some_and(|o| !o.is_empty()) {
            activity.channel_data = Some(channel_data);
        }
        self.ctx.send_activity(activity).await
    }

    fn check_open(&self) -> Result<(), Error> {
        match &self.state {
            State::Open => Ok(()),
            State::Ended => Err(Error::StreamEnded),
            State::Stopped(reason) => Err(Error::StreamStopped {
                reason: reason.clone(),
                source: None,
            }),
        }
    }

    fn push_text(&mut self, chunk: &str) {
        if !chunk.is_empty() {
            self.text.push_str(chunk);
            self.text_pending = true;
        }
    }

    /// When the next update may go, given the interval.
    fn next_allowed(&self) -> Option<Instant> {
        match (self.last_send, self.interval) {
            (Some(last), Some(interval)) => Some(last + interval),
            _ => None,
        }
    }

    /// When the next waiting update is due, or `None` when nothing waits.
    fn due_at(&self) -> Option<Instant> {
        if self.pending_informative.is_none() && !self.text_pending {
            return None;
        }
        Some(self.next_allowed().unwrap_or_else(Instant::now))
    }

    async fn send_next(&mut self) -> Result<(), Error> {
        if let Some(send) = self.start_send() {
            let result = send.await;
            self.after_send(result)?;
        }
        Ok(())
    }

    /// Builds the next update (informative first, then the text) and starts sending it.
    fn start_send(&mut self) -> Option<SendFuture<'a>> {
        let (stream_type, text) = if let Some(text) = self.pending_informative.take() {
            (StreamType::Informative, text)
        } else if std::mem::take(&mut self.text_pending) {
            (StreamType::Streaming, self.text.clone())
        } else {
            return None;
        };
        let info = StreamInfo {
            stream_id: self.stream_id.clone(),
            stream_type,
            stream_sequence: Some(self.next_sequence),
            ..StreamInfo::default()
        };
        let channel_data = stream_channel_data(&info);
        let mut entities = vec![stream_entity(info)];
        if let Some(entity) = self.ai_entity(false) {
            entities.push(entity);
        }
        self.next_sequence += 1;
        self.last_send = Some(Instant::now());
        let mut activity = Activity::typing();
        activity.text = Some(text);
        activity.entities = Some(entities);
        activity.channel_data = Some(channel_data);
        let ctx = self.ctx;
        Some(Box::pin(async move { ctx.send_activity(activity).await }))
    }

    /// Notes the stream id from the first answer, or what a failed send means for the stream.
    fn after_send(&mut self, result: Result<ResourceResponse, Error>) -> Result<(), Error> {
        match result {
            Ok(response) => {
                if self.stream_id.is_none() {
                    if response.id.is_empty() {
                        tracing::warn!(
                            "the channel gave the first streamed update no id; sending only the final message"
                        );
                        self.interval = None;
                    } else {
                        self.stream_id = Some(response.id);
                    }
                }
                Ok(())
            }
            Err(error) => Err(self.stream_failure(error)),
        }
    }

    /// What a failed send means for the stream. The user's Stop ends it; a channel that
    /// does not allow streaming (any more) turns it into a final-only answer, so that
    /// [`end_stream`](Self::end_stream) still delivers the whole answer as a plain message.
    fn stream_failure(&mut self, error: Error) -> Error {
        let text = report(&error).to_string().to_ascii_lowercase();
        let refused_stream = matches!(
            error.channel_failure(),
            Some(ChannelFailure::Refused { status: 403, code: Some(code) })
                if code.eq_ignore_ascii_case(CONTENT_STREAM_NOT_ALLOWED)
        );
        let reason = if refused_stream {
            if text.contains("cancel") {
                StreamStop::UserCancelled
            } else if text.contains("streaming time") || text.contains("timed out") {
                StreamStop::TimedOut
            } else {
                StreamStop::NotAllowed
            }
        } else if text.contains("streaming api is not enabled") {
            StreamStop::NotAllowed
        } else {
            return error;
        };
        tracing::info!(%reason, "the channel stopped the streamed answer");
        if reason == StreamStop::UserCancelled {
            self.state = State::Stopped(reason.clone());
        } else {
            self.interval = None;
            self.stream_id = None;
            self.pending_informative = None;
        }
        Error::StreamStopped {
            reason,
            source: Some(Box::new(error)),
        }
    }

    /// The `https://schema.org/Message` entity: on updates, the citations used so far; on the
    /// final message, every citation and the labels.
    fn ai_entity(&self, last: bool) -> Option<Entity> {
        let citations: Vec<Citation> = if last {
            self.citations.clone()
        } else {
            self.citations
                .iter()
                .filter(|c| self.text.contains(&format!("[{}]", c.position)))
                .cloned()
                .collect()
        };
        let labels = last && (self.ai_label || self.sensitivity_label.is_some());
        if citations.is_empty() && !labels {
            return None;
        }
        let mut message = if last && self.ai_label {
            AiMessage::generated()
        } else {
            AiMessage::default()
        };
        message.citation = citations;
        if last {
            message.usage_info = self.sensitivity_label.clone();
        }
        Entity::from_typed(&message).ok()
    }
}

/// The stream fields in `channelData` too: Web Chat before 4.19 (and the Teams AI library's
/// bots before the entity) read them there.
fn stream_channel_data(info: &StreamInfo) -> Value {
    let mut data = json!({ "streamType": info.stream_type.as_str() });
    if let Some(id) = &info.stream_id {
        data["streamId"] = json!(id);
    }
    if let Some(sequence) = info.stream_sequence {
        data["streamSequence"] = json!(sequence);
    }
    data
}

fn stream_entity(info: StreamInfo) -> Entity {
    // A StreamInfo always serialises to an object.
    Entity::from_typed(&info).unwrap_or_else(|_| Entity::new("streaminfo"))
}

async fn poll_in_flight(in_flight: &mut Option<SendFuture<'_>>) -> Result<ResourceResponse, Error> {
    match in_flight {
        Some(send) => send.await,
        None => std::future::pending().await,
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Reads the feedback of this turn's activity, if it is the `message/submitAction` invoke of
/// a feedback button, and answers the invoke (200, or 400 when it does not read). `None` for
/// any other activity.
///
/// ```
/// use botbuilder_core::streaming::take_feedback;
/// use botbuilder_core::{TurnContext, TurnResult};
///
/// async fn on_invoke(ctx: &mut TurnContext) -> TurnResult {
///     if let Some(feedback) = take_feedback(ctx) {
///         let feedback = feedback?;
///         tracing::info!(reaction = %feedback.reaction, text = ?feedback.text, "feedback");
///     }
///     Ok(())
/// }
/// ```
///
/// # Errors
/// The inner `Err` ([`Error::Schema`]) when the invoke's value has no reaction.
pub fn take_feedback(ctx: &TurnContext) -> Option<Result<Feedback, Error>> {
    let feedback = Feedback::from_activity(ctx.activity())?;
    match &feedback {
        Ok(_) => ctx.set_invoke_response(InvokeResponse::new(200, Some(json!({})))),
        Err(error) => ctx.set_invoke_response(InvokeResponse::new(
            400,
            Some(json!({"code": "BadRequest", "message": error.to_string()})),
        )),
    }
    Some(feedback.map_err(Error::from))
}

/// Runs `logic` in a proactive turn of this turn's conversation, in a task of its own, and
/// returns at once: the way to answer something that takes longer than the channel waits.
///
/// Teams sends a request again when the bot has not answered it within about 15 seconds;
/// a turn that acknowledges ("Let me look into that…"), calls this and returns is answered
/// at once. `logic` runs through the adapter's middleware as a proactive turn
/// ([`BotAdapterExt::continue_conversation`]), after the current turn of the conversation
/// has finished (turns of a conversation run one at a time), and can stream its answer.
/// Its `ctx.activity()` is the continuation event, not the user's message: capture what it
/// needs first. The task's result (the logic's value, or its error after the adapter's
/// turn-error handler ran) is what the returned handle yields; errors are also logged. Do not
/// await the handle in the turn that spawned it: the continuation waits for that turn to end.
///
/// The work lives in this process: if it stops, the answer is lost. Keep what must survive
/// in an outbox ([`crate::outbox`]).
///
/// ```
/// use botbuilder_core::streaming::{finish_in_background, StreamingResponse};
/// use botbuilder_core::{TurnContext, TurnResult};
///
/// async fn on_message(ctx: &mut TurnContext) -> TurnResult {
///     let question = ctx.activity().text().to_owned();
///     ctx.send_activity("Let me think about that…").await?;
///     finish_in_background(ctx, async move |ctx| {
///         let mut stream = StreamingResponse::new(ctx);
///         stream.queue_text_chunk(&format!("About {question}: ")).await?;
///         stream.end_stream().await?;
///         Ok(())
///     });
///     Ok(())
/// }
/// ```
pub fn finish_in_background<T, F>(
    ctx: &TurnContext,
    logic: F,
) -> tokio::task::JoinHandle<Result<T, Error>>
where
    T: Send + 'static,
    F: AsyncFnOnce(&mut TurnContext) -> TurnResult<T>
        + for<'c> Call1<'c, &'c mut TurnContext, TurnResult<T>>
        + Send
        + 'static,
{
    let adapter = ctx.adapter().clone();
    let reference = ctx.conversation_reference().clone();
    tokio::spawn(async move {
        let result = adapter.continue_conversation(reference, logic).await;
        if let Err(error) = &result {
            tracing::error!(error = %report(error), "the answer finished in the background failed");
        }
        result
    })
}

/// The value of `channelData` that turns on the feedback buttons of a message, for answers
/// not sent through a [`StreamingResponse`].
#[must_use]
pub fn feedback_loop_channel_data() -> Value {
    json!({ "feedbackLoopEnabled": true })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::testing::TestAdapter;
    use std::sync::Arc;

    fn turn(adapter: &TestAdapter) -> TurnContext {
        TurnContext::new(Arc::new(adapter.clone()), adapter.make_activity("hi"))
    }

    fn info(activity: &Activity) -> Option<StreamInfo> {
        StreamInfo::of(activity)
    }

    #[tokio::test(start_paused = true)]
    async fn chunks_wait_for_the_interval_and_go_out_together() {
        let adapter = TestAdapter::new();
        let ctx = turn(&adapter);
        let mut stream =
            StreamingResponse::new(&ctx).with_streaming(Some(Duration::from_millis(500)));
        // The first chunk goes at once and names the stream.
        stream.queue_text_chunk("a").await.unwrap();
        let first = adapter.sent_activities();
        assert_eq!(first.len(), 1);
        assert_eq!(stream.stream_id(), first[0].id.as_deref());
        // Within the interval: kept, returned without waiting.
        let before = Instant::now();
        stream.queue_text_chunk("b").await.unwrap();
        stream.queue_text_chunk("c").await.unwrap();
        assert_eq!(Instant::now(), before);
        assert_eq!(adapter.sent_activities().len(), 1);
        // After it, together in one update.
        tokio::time::advance(Duration::from_millis(500)).await;
        stream.queue_text_chunk("d").await.unwrap();
        let sent = adapter.sent_activities();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[1].text(), "abcd");
        let second = info(&sent[1]).unwrap();
        assert_eq!(second.stream_sequence, Some(2));
        assert_eq!(second.stream_id.as_deref(), first[0].id.as_deref());
        // flush waits for the interval, then sends what waits.
        stream.queue_text_chunk("e").await.unwrap();
        stream.flush().await.unwrap();
        assert_eq!(Instant::now() - before, Duration::from_secs(1));
        assert_eq!(adapter.sent_activities()[2].text(), "abcde");
        // The final message, once.
        let final_sent = stream.end_stream().await.unwrap();
        let sent = adapter.sent_activities();
        assert_eq!(sent.len(), 4);
        assert_eq!(sent[3].id.as_deref(), Some(final_sent.id.as_str()));
        assert_eq!(info(&sent[3]).unwrap().stream_type, StreamType::Final);
        assert_eq!(stream.updates_sent(), 4);
        assert!(matches!(stream.end_stream().await, Err(Error::StreamEnded)));
        assert!(matches!(
            stream.queue_text_chunk("f").await,
            Err(Error::StreamEnded)
        ));
        assert_eq!(adapter.sent_activities().len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn chunks_keep_coming_while_a_send_is_in_flight() {
        let adapter = TestAdapter::new();
        let mut ctx = turn(&adapter);
        // Every send takes 2 s (a slow channel).
        ctx.on_send_activities(crate::send_hook(async |_ctx, activities, next| {
            tokio::time::sleep(Duration::from_secs(2)).await;
            next.run(activities).await
        }));
        let start = Instant::now();
        let read_at = Arc::new(std::sync::Mutex::new(Vec::new()));
        let reads = read_at.clone();
        let chunks = futures::stream::iter(0..10).then(move |i| {
            let reads = reads.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                reads.lock().unwrap().push(start.elapsed());
                Ok::<_, std::io::Error>(format!("{i} "))
            }
        });
        let mut stream = StreamingResponse::new(&ctx).with_streaming(Some(TEAMS_INTERVAL));
        stream.stream_text(chunks).await.unwrap();
        // The first update went out with chunk 0 at 0.1 s and took until 2.1 s: the other
        // nine chunks were read meanwhile, not after it.
        let reads = read_at.lock().unwrap().clone();
        assert_eq!(reads.last().copied(), Some(Duration::from_millis(1000)));
        let sent = adapter.sent_activities();
        assert_eq!(sent[0].text(), "0 ");
        // stream_text returned once that send was answered; the text read meanwhile waits
        // for the final message (no update just before it).
        assert_eq!(sent.len(), 1);
        assert_eq!(start.elapsed(), Duration::from_millis(2100));
        assert_eq!(stream.text(), "0 1 2 3 4 5 6 7 8 9 ");
        stream.end_stream().await.unwrap();
        let sent = adapter.sent_activities();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[1].text(), "0 1 2 3 4 5 6 7 8 9 ");
        assert_eq!(info(&sent[1]).unwrap().stream_type, StreamType::Final);
        assert_eq!(start.elapsed(), Duration::from_millis(4100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_channel_that_does_not_stream_gets_only_the_final_message() {
        let adapter = TestAdapter::new();
        let ctx = turn(&adapter);
        let mut stream = StreamingResponse::new(&ctx);
        assert_eq!(stream.interval(), None, "the test channel does not stream");
        stream.queue_informative_update("Thinking…").await.unwrap();
        let chunks = futures::stream::iter(["one ", "two"]).map(Ok::<_, std::io::Error>);
        stream.stream_text(chunks).await.unwrap();
        stream.end_stream().await.unwrap();
        let sent = adapter.sent_activities();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].text(), "one two");
        assert!(info(&sent[0]).is_none());
        assert_eq!(sent[0].channel_data, None);
        assert!(sent[0].entities.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_source_keeps_the_text_before_it() {
        let adapter = TestAdapter::new();
        let ctx = turn(&adapter);
        let mut stream = StreamingResponse::new(&ctx).with_streaming(Some(TEAMS_INTERVAL));
        let chunks = futures::stream::iter([Ok("so far"), Err(std::io::Error::other("reset"))]);
        let error = stream.stream_text(chunks).await.unwrap_err();
        assert!(matches!(error, Error::StreamSource { .. }));
        assert_eq!(
            report(&error).to_string(),
            "the source of the streamed answer failed: reset"
        );
        assert_eq!(stream.text(), "so far");
        stream.end_stream().await.unwrap();
        let sent = adapter.sent_activities();
        assert_eq!(sent.last().unwrap().text(), "so far");
        assert_eq!(
            info(sent.last().unwrap()).unwrap().stream_type,
            StreamType::Final
        );
    }

    #[test]
    fn the_interval_follows_the_channel() {
        let mut a = Activity::message("hi").with_channel_id(ChannelId::Directline);
        assert_eq!(streaming_interval(&a), Some(DIRECT_LINE_INTERVAL));
        a.channel_id = Some(ChannelId::Webchat);
        assert_eq!(streaming_interval(&a), Some(DIRECT_LINE_INTERVAL));
        a.delivery_mode = Some(DeliveryModes::ExpectReplies);
        assert_eq!(streaming_interval(&a), None);
        let teams = Activity::message("hi").with_channel_id(ChannelId::Msteams);
        assert_eq!(streaming_interval(&teams), None, "no conversation type");
    }

    #[tokio::test]
    async fn feedback_is_read_and_the_invoke_answered() {
        let adapter = TestAdapter::new();
        let invoke = adapter.complete_incoming(Activity::invoke(
            "message/submitAction",
            json!({"actionName": "feedback", "actionValue": {"reaction": "like"}}),
        ));
        let ctx = TurnContext::new(Arc::new(adapter.clone()), invoke);
        let feedback = take_feedback(&ctx).unwrap().unwrap();
        assert_eq!(feedback.reaction.as_str(), "like");
        assert_eq!(ctx.invoke_response().unwrap().status, 200);
        let bad = adapter.complete_incoming(Activity::invoke(
            "message/submitAction",
            json!({"actionName": "feedback", "actionValue": {}}),
        ));
        let ctx = TurnContext::new(Arc::new(adapter.clone()), bad);
        assert!(take_feedback(&ctx).unwrap().is_err());
        assert_eq!(ctx.invoke_response().unwrap().status, 400);
        let ctx = turn(&adapter);
        assert!(take_feedback(&ctx).is_none());
        assert_eq!(ctx.invoke_response(), None);
    }
}
