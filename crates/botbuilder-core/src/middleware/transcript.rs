//! Transcripts: every activity of a conversation, in and out, in order.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use botbuilder_schema::{
    Activity, ActivityTypes, ConversationReference, ResourceResponse, RoleTypes, Timestamp,
};

use crate::error::report;
use crate::{
    DeleteActivityHook, DeleteNext, Error, Middleware, Next, SendActivitiesHook, SendNext,
    TurnContext, TurnResult, UpdateActivityHook, UpdateNext,
};

/// How many items a page of [`MemoryTranscriptStore`] holds.
pub const TRANSCRIPT_PAGE_SIZE: usize = 20;

/// A page of results and the token for the next one (`None` on the last page).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PagedResult<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Pass this to get the next page; `None` when this is the last.
    pub continuation_token: Option<String>,
}

/// A conversation that has a transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct TranscriptInfo {
    /// The channel.
    pub channel_id: String,
    /// The conversation id.
    pub id: String,
    /// When the first activity was logged.
    pub created: Timestamp,
}

/// Where transcripts are kept.
#[async_trait]
pub trait TranscriptStore: Send + Sync {
    /// Appends an activity to its conversation's transcript.
    ///
    /// # Errors
    /// When the store cannot be written.
    async fn log_activity(&self, activity: &Activity) -> Result<(), Error>;

    /// A page of a conversation's activities, oldest first, optionally only those at or
    /// after `start_date`.
    ///
    /// # Errors
    /// When the store cannot be read or the token is not one it issued.
    async fn get_transcript_activities(
        &self,
        channel_id: &str,
        conversation_id: &str,
        continuation_token: Option<&str>,
        start_date: Option<&Timestamp>,
    ) -> Result<PagedResult<Activity>, Error>;

    /// A page of the conversations of a channel that have transcripts.
    ///
    /// # Errors
    /// When the store cannot be read or the token is not one it issued.
    async fn list_transcripts(
        &self,
        channel_id: &str,
        continuation_token: Option<&str>,
    ) -> Result<PagedResult<TranscriptInfo>, Error>;

    /// Deletes a conversation's transcript.
    ///
    /// # Errors
    /// When the store cannot be written.
    async fn delete_transcript(&self, channel_id: &str, conversation_id: &str)
    -> Result<(), Error>;
}

/// A transcript store in memory, for tests and development. Cheap to clone; clones share.
#[derive(Clone, Default)]
pub struct MemoryTranscriptStore {
    inner: Arc<Mutex<Transcripts>>,
}

/// Activities by channel, then by conversation.
type Transcripts = HashMap<String, HashMap<String, Vec<Activity>>>;

impl MemoryTranscriptStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Transcripts> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryTranscriptStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let channels = self.lock().len();
        f.debug_struct("MemoryTranscriptStore")
            .field("channels", &channels)
            .finish()
    }
}

fn parse_token(token: Option<&str>) -> Result<usize, Error> {
    match token {
        None | Some("") => Ok(0),
        Some(t) => t.parse::<usize>().map_err(|_| {
            Error::Schema(botbuilder_schema::SchemaError::InvalidValue {
                context: format!("unknown transcript continuation token {t:?}"),
            })
        }),
    }
}

fn page<T: Clone>(items: &[T], start: usize) -> PagedResult<T> {
    let end = (start + TRANSCRIPT_PAGE_SIZE).min(items.len());
    let slice = items.get(start..end).unwrap_or(&[]);
    PagedResult {
        items: slice.to_vec(),
        continuation_token: (end < items.len()).then(|| end.to_string()),
    }
}

#[async_trait]
impl TranscriptStore for MemoryTranscriptStore {
    async fn log_activity(&self, activity: &Activity) -> Result<(), Error> {
        let channel = activity
            .channel_id
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default();
        let conversation = activity.conversation_id().unwrap_or("").to_owned();
        self.lock()
            .entry(channel)
            .or_default()
            .entry(conversation)
            .or_default()
            .push(activity.clone());
        Ok(())
    }

    async fn get_transcript_activities(
        &self,
        channel_id: &str,
        conversation_id: &str,
        continuation_token: Option<&str>,
        start_date: Option<&Timestamp>,
    ) -> Result<PagedResult<Activity>, Error> {
        let start = parse_token(continuation_token)?;
        let store = self.lock();
        let all: Vec<Activity> = store
            .get(channel_id)
            .and_then(|c| c.get(conversation_id))
            .map(|activities| {
                activities
                    .iter()
                    .filter(|a| match (start_date, &a.timestamp) {
                        (Some(from), Some(t)) => t.to_utc() >= from.to_utc(),
                        _ => true,
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Ok(page(&all, start))
    }

    async fn list_transcripts(
        &self,
        channel_id: &str,
        continuation_token: Option<&str>,
    ) -> Result<PagedResult<TranscriptInfo>, Error> {
        let start = parse_token(continuation_token)?;
        let store = self.lock();
        let mut infos: Vec<TranscriptInfo> = store
            .get(channel_id)
            .map(|conversations| {
                conversations
                    .iter()
                    .map(|(id, activities)| TranscriptInfo {
                        channel_id: channel_id.to_owned(),
                        id: id.clone(),
                        created: activities
                            .first()
                            .and_then(|a| a.timestamp.clone())
                            .unwrap_or_else(Timestamp::now),
                    })
                    .collect()
            })
            .unwrap_or_default();
        infos.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(page(&infos, start))
    }

    async fn delete_transcript(
        &self,
        channel_id: &str,
        conversation_id: &str,
    ) -> Result<(), Error> {
        if let Some(conversations) = self.lock().get_mut(channel_id) {
            conversations.remove(conversation_id);
        }
        Ok(())
    }
}

/// Logs every activity of every turn to a [`TranscriptStore`]: the incoming one, then each
/// sent, updated (as `messageUpdate`) and deleted (as `messageDelete`) one, in order.
///
/// The synthetic continuation event of a proactive turn is not logged (it never crossed the
/// channel); what the bot sends in that turn is. Typing indicators are logged when sent
/// through the turn context. A failure to log is reported with `tracing` and never fails the
/// turn.
#[derive(Clone)]
pub struct TranscriptLoggerMiddleware {
    store: Arc<dyn TranscriptStore>,
}

impl TranscriptLoggerMiddleware {
    /// Logs to this store.
    pub fn new(store: Arc<dyn TranscriptStore>) -> Self {
        Self { store }
    }
}

impl fmt::Debug for TranscriptLoggerMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TranscriptLoggerMiddleware")
    }
}

async fn log(store: &dyn TranscriptStore, mut activity: Activity, role: RoleTypes) {
    if activity.timestamp.is_none() {
        activity.timestamp = Some(Timestamp::now());
    }
    if let Some(from) = activity.from.as_mut()
        && from.role.is_none()
    {
        from.role = Some(role);
    }
    if let Err(error) = store.log_activity(&activity).await {
        tracing::warn!(error = %report(&error), "could not write to the transcript store");
    }
}

struct LogSends(Arc<dyn TranscriptStore>);

#[async_trait]
impl SendActivitiesHook for LogSends {
    async fn on_send_activities(
        &self,
        _ctx: &TurnContext,
        activities: Vec<Activity>,
        next: SendNext<'_>,
    ) -> Result<Vec<ResourceResponse>, Error> {
        let copies = activities.clone();
        let responses = next.run(activities).await?;
        for (mut activity, response) in copies.into_iter().zip(responses.iter()) {
            if !response.id.is_empty() {
                activity.id = Some(response.id.clone());
            }
            log(self.0.as_ref(), activity, RoleTypes::Bot).await;
        }
        Ok(responses)
    }
}

struct LogUpdates(Arc<dyn TranscriptStore>);

#[async_trait]
impl UpdateActivityHook for LogUpdates {
    async fn on_update_activity(
        &self,
        _ctx: &TurnContext,
        activity: Activity,
        next: UpdateNext<'_>,
    ) -> Result<ResourceResponse, Error> {
        let mut copy = activity.clone();
        let response = next.run(activity).await?;
        copy.activity_type = ActivityTypes::MessageUpdate;
        log(self.0.as_ref(), copy, RoleTypes::Bot).await;
        Ok(response)
    }
}

struct LogDeletes(Arc<dyn TranscriptStore>);

#[async_trait]
impl DeleteActivityHook for LogDeletes {
    async fn on_delete_activity(
        &self,
        _ctx: &TurnContext,
        reference: ConversationReference,
        next: DeleteNext<'_>,
    ) -> Result<(), Error> {
        let copy = reference.clone();
        next.run(reference).await?;
        let mut deleted = Activity::new(ActivityTypes::MessageDelete);
        deleted.apply_conversation_reference(&copy, false);
        deleted.id = copy.activity_id.clone();
        deleted.reply_to_id = None;
        log(self.0.as_ref(), deleted, RoleTypes::Bot).await;
        Ok(())
    }
}

#[async_trait]
impl Middleware for TranscriptLoggerMiddleware {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        if !ctx.is_proactive() {
            log(self.store.as_ref(), ctx.activity().clone(), RoleTypes::User).await;
        }
        ctx.on_send_activities(LogSends(self.store.clone()))
            .on_update_activity(LogUpdates(self.store.clone()))
            .on_delete_activity(LogDeletes(self.store.clone()));
        next.run(ctx).await
    }
}
