//! [`TelemetryLoggerMiddleware`]: an event for every activity received, sent, updated and
//! deleted, like BotBuilder's `TelemetryLoggerMiddleware`.

use async_trait::async_trait;
use botbuilder_schema::{Activity, ConversationReference, ResourceResponse};

use crate::{
    DeleteActivityHook, DeleteNext, Error, Middleware, Next, SendActivitiesHook, SendNext,
    TurnContext, TurnResult, UpdateActivityHook, UpdateNext,
};

/// The event names, BotBuilder's.
pub mod activity_event {
    /// An activity the bot received.
    pub const RECEIVED: &str = "BotMessageReceived";
    /// An activity the bot sent.
    pub const SENT: &str = "BotMessageSend";
    /// An activity the bot updated.
    pub const UPDATED: &str = "BotMessageUpdate";
    /// An activity the bot deleted.
    pub const DELETED: &str = "BotMessageDelete";
}

/// Logs every activity of a turn as an `INFO` event of target `botbuilder::activity`, inside
/// the turn's span: received (`BotMessageReceived`), sent (`BotMessageSend`, after the channel
/// accepted it, with its id), updated (`BotMessageUpdate`) and deleted (`BotMessageDelete`).
/// Exported with the trace (feature `otel`), they are the span events of the turn.
///
/// Every event carries `botbuilder.event`, the activity's id, type, channel, conversation id
/// and reply-to id. The sender's and recipient's ids and names, the text, `speak` and the
/// locale are added only with personal-information logging on: the process-wide switch
/// ([`telemetry::set_log_personal_information`](crate::telemetry::set_log_personal_information))
/// or [`log_personal_information`](Self::log_personal_information).
///
/// ```
/// use botbuilder_core::middleware::TelemetryLoggerMiddleware;
/// use botbuilder_core::testing::{TestAdapter, TestFlow};
/// use botbuilder_core::bot_fn;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let adapter = TestAdapter::new().with_middleware(TelemetryLoggerMiddleware::new());
/// let echo = bot_fn(async |ctx| {
///     let text = ctx.activity().text();
///     ctx.send_activity(format!("Echo: {text}")).await?;
///     Ok(())
/// });
/// TestFlow::new(adapter, echo).test("hi", "Echo: hi").await;
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TelemetryLoggerMiddleware {
    personal_information: Option<bool>,
}

impl TelemetryLoggerMiddleware {
    /// Logs personal information as the process-wide switch says (off by default).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Logs personal information (ids and names of the sender and recipient, text, speak,
    /// locale) or not, whatever the process-wide switch says.
    #[must_use]
    pub fn log_personal_information(mut self, on: bool) -> Self {
        self.personal_information = Some(on);
        self
    }

    fn personal(self) -> bool {
        self.personal_information
            .unwrap_or_else(crate::telemetry::log_personal_information)
    }
}

fn log(event: &'static str, activity: &Activity, personal: bool) {
    fn pii(value: Option<&str>, personal: bool) -> Option<&str> {
        value.filter(|_| personal)
    }
    tracing::event!(
        target: "botbuilder::activity",
        tracing::Level::INFO,
        botbuilder.event = event,
        botbuilder.activity.id = activity.id.as_deref(),
        botbuilder.activity.type = activity.activity_type.as_str(),
        botbuilder.channel = activity.channel_id.as_ref().map(|c| c.as_str()),
        botbuilder.conversation.id = activity.conversation_id(),
        botbuilder.activity.reply_to_id = activity.reply_to_id.as_deref(),
        botbuilder.from.id = pii(activity.from.as_ref().map(|a| a.id.as_str()), personal),
        botbuilder.from.name = pii(activity.from.as_ref().and_then(|a| a.name.as_deref()), personal),
        botbuilder.recipient.id = pii(activity.recipient.as_ref().map(|a| a.id.as_str()), personal),
        botbuilder.recipient.name = pii(activity.recipient.as_ref().and_then(|a| a.name.as_deref()), personal),
        botbuilder.activity.text = pii(activity.text.as_deref(), personal),
        botbuilder.activity.speak = pii(activity.speak.as_deref(), personal),
        botbuilder.activity.locale = pii(activity.locale.as_deref(), personal),
        "{event}"
    );
}

struct LogSends(bool);

#[async_trait]
impl SendActivitiesHook for LogSends {
    async fn on_send_activities(
        &self,
        _ctx: &TurnContext,
        activities: Vec<Activity>,
        next: SendNext<'_>,
    ) -> Result<Vec<ResourceResponse>, Error> {
        if !tracing::enabled!(target: "botbuilder::activity", tracing::Level::INFO) {
            return next.run(activities).await;
        }
        let copies = activities.clone();
        let responses = next.run(activities).await?;
        for (mut activity, response) in copies.into_iter().zip(responses.iter()) {
            if !response.id.is_empty() {
                activity.id = Some(response.id.clone());
            }
            log(activity_event::SENT, &activity, self.0);
        }
        Ok(responses)
    }
}

struct LogUpdates(bool);

#[async_trait]
impl UpdateActivityHook for LogUpdates {
    async fn on_update_activity(
        &self,
        _ctx: &TurnContext,
        activity: Activity,
        next: UpdateNext<'_>,
    ) -> Result<ResourceResponse, Error> {
        let copy = activity.clone();
        let response = next.run(activity).await?;
        log(activity_event::UPDATED, &copy, self.0);
        Ok(response)
    }
}

struct LogDeletes(bool);

#[async_trait]
impl DeleteActivityHook for LogDeletes {
    async fn on_delete_activity(
        &self,
        _ctx: &TurnContext,
        reference: ConversationReference,
        next: DeleteNext<'_>,
    ) -> Result<(), Error> {
        let mut deleted = Activity::new(botbuilder_schema::ActivityTypes::MessageDelete);
        deleted.apply_conversation_reference(&reference, false);
        deleted.id = reference.activity_id.clone();
        deleted.reply_to_id = None;
        next.run(reference).await?;
        log(activity_event::DELETED, &deleted, self.0);
        Ok(())
    }
}

#[async_trait]
impl Middleware for TelemetryLoggerMiddleware {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        let personal = self.personal();
        if !ctx.is_proactive() {
            log(activity_event::RECEIVED, ctx.activity(), personal);
        }
        ctx.on_send_activities(LogSends(personal))
            .on_update_activity(LogUpdates(personal))
            .on_delete_activity(LogDeletes(personal));
        next.run(ctx).await
    }
}
