//! Which outgoing activities name a `replyToId`, across the adapter's outbound path (the Bot
//! Connector API here; the local Direct Line endpoint in `crates/botbuilder-directline/tests/directline.rs`):
//!
//! - a reply to a message names that message;
//! - a reply to a `conversationUpdate` on `webchat` or `directline` names nothing (those
//!   channels do not accept replies to it), elsewhere it names the update;
//! - a proactive message names nothing, even when the stored reference names the message the
//!   user sent: a continuation activity has no id, and a client holds a message whose
//!   `replyToId` it never saw for 5 seconds.

#![allow(clippy::unwrap_used)]

use botbuilder_test_support as support;

use std::sync::{Arc, Mutex};

use botbuilder_connector::adapter::CloudAdapter;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::schema::ConversationReference;
use botbuilder_core::{Bot, BotAdapterExt, TurnContext, TurnResult, async_trait};
use serde_json::{Value, json};
use support::Mock;

/// Answers every activity with one message, and keeps the turn's reference.
#[derive(Clone, Default)]
struct Replier {
    reference: Arc<Mutex<Option<ConversationReference>>>,
}

#[async_trait]
impl Bot for Replier {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        *self.reference.lock().unwrap() = Some(ctx.conversation_reference().clone());
        ctx.send_activity("hello").await?;
        Ok(())
    }
}

struct Setup {
    connector: Mock,
    adapter: CloudAdapter,
    bot: Replier,
}

async fn setup() -> Setup {
    Setup {
        connector: Mock::connector().await,
        adapter: CloudAdapter::new(&BotConfig::anonymous()).unwrap(),
        bot: Replier::default(),
    }
}

impl Setup {
    fn activity(&self, kind: &str, channel: &str, id: &str) -> Value {
        let mut activity = json!({
            "type": kind,
            "id": id,
            "channelId": channel,
            "serviceUrl": format!("{}/", self.connector.url()),
            "conversation": {"id": "conv-1"},
            "from": {"id": "user-1"},
            "recipient": {"id": "bot-1"},
        });
        if kind == "conversationUpdate" {
            activity["membersAdded"] = json!([{"id": "bot-1"}, {"id": "user-1"}]);
        } else {
            activity["text"] = json!("hi");
        }
        activity
    }

    /// Runs a turn; returns the path the reply was posted to and its `replyToId`.
    async fn reply_to(&self, activity: Value) -> (String, Option<String>) {
        let body = serde_json::to_vec(&activity).unwrap();
        let response = self.adapter.process(None, &body, &self.bot).await;
        assert_eq!(response.status, 200, "{:?}", response.body);
        let sent = self.connector.last();
        let reply_to = sent.json()["replyToId"].as_str().map(str::to_owned);
        (sent.path, reply_to)
    }
}

#[tokio::test]
async fn replies_to_a_conversation_update_name_nothing_on_webchat_and_directline() {
    let s = setup().await;
    for channel in ["webchat", "directline"] {
        let (path, reply_to) = s
            .reply_to(s.activity("conversationUpdate", channel, "cu-1"))
            .await;
        assert_eq!(path, "/v3/conversations/conv-1/activities", "{channel}");
        assert_eq!(reply_to, None, "{channel}");
        let reference = s.bot.reference.lock().unwrap().clone().unwrap();
        assert_eq!(reference.activity_id, None, "{channel}");
    }
    // Elsewhere the update's id is kept, as BotBuilder does.
    let (path, reply_to) = s
        .reply_to(s.activity("conversationUpdate", "msteams", "cu-2"))
        .await;
    assert_eq!(path, "/v3/conversations/conv-1/activities/cu-2");
    assert_eq!(reply_to.as_deref(), Some("cu-2"));
}

#[tokio::test]
async fn replies_name_the_message_and_proactive_messages_name_nothing() {
    let s = setup().await;
    for channel in ["webchat", "directline", "msteams"] {
        let (path, reply_to) = s.reply_to(s.activity("message", channel, "m-1")).await;
        assert_eq!(path, "/v3/conversations/conv-1/activities/m-1", "{channel}");
        assert_eq!(reply_to.as_deref(), Some("m-1"), "{channel}");

        // The reference kept in that turn names the message...
        let reference = s.bot.reference.lock().unwrap().clone().unwrap();
        assert_eq!(reference.activity_id.as_deref(), Some("m-1"));
        // ...and a proactive message sent from it later names nothing.
        s.adapter
            .continue_conversation(reference, async move |ctx| {
                assert_eq!(ctx.activity().id, None, "a continuation has no id");
                ctx.send_activity("your job is done").await?;
                Ok(())
            })
            .await
            .unwrap();
        let sent = s.connector.last();
        assert_eq!(
            sent.path, "/v3/conversations/conv-1/activities",
            "{channel}"
        );
        assert_eq!(sent.json()["text"], "your job is done");
        assert_eq!(sent.json().get("replyToId"), None, "{channel}");
    }
}
