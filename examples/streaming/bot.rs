//! The assistant: answers from a small library, streaming the answer as the model writes it,
//! citing its sources, labelled "AI generated", with feedback buttons whose answers are
//! logged. `long <question>` acknowledges at once and finishes the answer in the background.

use std::time::Duration;

use botbuilder::core::Error;
use botbuilder::core::error::report;
use botbuilder::core::schema::ai::Citation;
use botbuilder::core::streaming::{
    StreamStop, StreamingResponse, finish_in_background, take_feedback,
};
use botbuilder::prelude::*;

use crate::model::{Model, sources_for};

/// What the bot says first.
pub(crate) const WELCOME: &str = "Hello! Ask me about streaming, proactive messages or state, \
    and watch the answer being written. Start with `long` (`long how does state work?`) for \
    an answer that takes a while.";

/// What a `long` question is told at once.
pub(crate) const ACKNOWLEDGEMENT: &str = "That takes a moment: I will answer here shortly.";

/// The assistant bot.
pub(crate) struct AssistantBot {
    model: Model,
    /// How long a `long` question thinks before it answers.
    long_delay: Duration,
}

impl AssistantBot {
    pub(crate) fn new(model: Model) -> Self {
        Self {
            model,
            long_delay: Duration::from_secs(20),
        }
    }

    /// The same bot with another delay for `long` questions (tests).
    #[allow(dead_code)]
    pub(crate) fn with_long_delay(mut self, delay: Duration) -> Self {
        self.long_delay = delay;
        self
    }
}

#[async_trait]
impl ActivityHandler for AssistantBot {
    async fn on_members_added(
        &self,
        members: Vec<ChannelAccount>,
        ctx: &mut TurnContext,
    ) -> TurnResult {
        let bot_id = ctx.activity().recipient.as_ref().map(|r| r.id.clone());
        for member in members {
            if Some(&member.id) != bot_id.as_ref() {
                ctx.send_activity(WELCOME).await?;
            }
        }
        Ok(())
    }

    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let question = ctx.activity().text().trim().to_owned();
        if question.is_empty() {
            ctx.send_activity(WELCOME).await?;
            return Ok(());
        }
        let Some(slow) = question.strip_prefix("long ") else {
            return answer(ctx, &self.model, &question).await;
        };
        // Acknowledge now, so the channel has its answer within the time it waits, and
        // finish in a proactive turn of this conversation.
        ctx.send_activity(ACKNOWLEDGEMENT).await?;
        let (model, question, delay) = (self.model.clone(), slow.to_owned(), self.long_delay);
        finish_in_background(ctx, async move |ctx| {
            tokio::time::sleep(delay).await;
            answer(ctx, &model, &question).await
        });
        Ok(())
    }

    async fn on_invoke_activity(&self, ctx: &mut TurnContext) -> TurnResult<InvokeResponse> {
        match take_feedback(ctx) {
            Some(Ok(feedback)) => {
                tracing::info!(
                    reaction = %feedback.reaction,
                    text = feedback.text.as_deref().unwrap_or(""),
                    message = feedback.message_id.as_deref().unwrap_or(""),
                    "feedback on an answer"
                );
                Ok(InvokeResponse::new(200, Some(serde_json::json!({}))))
            }
            Some(Err(error)) => {
                tracing::warn!(error = %report(&error), "unreadable feedback");
                Ok(InvokeResponse::new(400, None))
            }
            None => Ok(InvokeResponse::not_implemented()),
        }
    }
}

/// Streams the model's answer to `question`, citing the sources it was given.
async fn answer(ctx: &mut TurnContext, model: &Model, question: &str) -> TurnResult {
    let sources = sources_for(question);
    let mut stream = StreamingResponse::new(ctx)
        .with_generated_by_ai_label(true)
        .with_feedback_loop(true);
    for source in &sources {
        stream.add_citation(Citation::new(source.title, source.text).with_url(source.url));
    }
    stream
        .queue_informative_update(match sources.len() {
            1 => "Reading 1 source…".to_owned(),
            n => format!("Reading {n} sources…"),
        })
        .await?;
    let streamed = match model.answer(question, &sources).await {
        Ok(chunks) => stream.stream_text(chunks).await,
        Err(source) => Err(Error::StreamSource { source }),
    };
    match streamed {
        Ok(()) => {}
        // The model failed or its connection dropped: keep what came, and say so.
        Err(Error::StreamSource { source }) => {
            tracing::warn!(error = %report(source.as_ref()), "the model's answer broke off");
            let note = if stream.text().is_empty() {
                "Sorry, the model could not answer just now."
            } else {
                "\n\n(The answer was cut off: the model stopped responding.)"
            };
            stream.queue_text_chunk(note).await?;
        }
        // The user pressed Stop: send nothing more.
        Err(Error::StreamStopped {
            reason: StreamStop::UserCancelled,
            ..
        }) => return Ok(()),
        // The channel would not stream: the answer goes as one message.
        Err(Error::StreamStopped { reason, .. }) => {
            tracing::info!(%reason, "answering without streaming");
        }
        Err(other) => return Err(other.into()),
    }
    stream.end_stream().await?;
    Ok(())
}
