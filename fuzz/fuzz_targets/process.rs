//! `CloudAdapter::process` on arbitrary bytes (and an arbitrary `Authorization` header), for an
//! anonymous bot that echoes, answers invokes, keeps conversation state and deduplicates.
//!
//! Nothing leaves the process: activities for `https://fuzz.example/` go to an in-process
//! delivery target that keeps them, and every other request goes to a proxy on 127.0.0.1
//! that refuses connections, with retries off.
//!
//! Invariants:
//! - `process` never panics, and answers a status that is an HTTP status;
//! - a body that is not an activity with `type`, `conversation.id`, `serviceUrl` and
//!   `channelId` is a 400, and nothing is sent for it; a header on an anonymous bot is a
//!   401;
//! - every error answer is `{"error": {"code", "message"}}`, and a 500 says nothing about
//!   what failed;
//! - what reaches the delivery target belongs to the request's conversation.

#![no_main]

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use botbuilder_connector::adapter::{CloudAdapter, DeliveryTarget};
use botbuilder_connector::clock::ManualClock;
use botbuilder_connector::config::BotConfig;
use botbuilder_connector::{ConnectorError, RetryPolicy, async_trait};
use botbuilder_core::middleware::DeduplicationMiddleware;
use botbuilder_core::state::{AutoSaveStateMiddleware, ConversationState, StatePropertyAccessor};
use botbuilder_core::storage::{MemoryStorage, Storage};
use botbuilder_core::{Bot, TurnContext, TurnResult};
use botbuilder_schema::{Activity, ActivityTypes, ResourceResponse};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

const SERVICE_URL: &str = "https://fuzz.example/";

/// Keeps what the bot sends.
#[derive(Debug, Default)]
struct Inbox(Mutex<Vec<Activity>>);

#[async_trait]
impl DeliveryTarget for Inbox {
    async fn send_activity(&self, activity: Activity) -> Result<ResourceResponse, ConnectorError> {
        let mut inbox = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        inbox.push(activity);
        Ok(ResourceResponse::new(format!("sent-{}", inbox.len())))
    }
}

struct EchoBot {
    count: StatePropertyAccessor<u64>,
}

#[async_trait]
impl Bot for EchoBot {
    async fn on_turn(&self, ctx: &mut TurnContext) -> TurnResult {
        let n = self
            .count
            .update(ctx, |n| {
                *n = n.saturating_add(1);
                *n
            })
            .await?;
        let activity = ctx.activity().clone();
        if activity.activity_type == ActivityTypes::Invoke {
            ctx.send_activity(Activity {
                activity_type: ActivityTypes::InvokeResponse,
                value: Some(json!({"status": 200, "body": activity.value})),
                ..Activity::default()
            })
            .await?;
        } else {
            let mut reply = Activity::message(format!("{n}: {}", activity.text()));
            reply.attachments = activity.attachments.clone();
            reply.entities = activity.entities.clone();
            ctx.send_activity(reply).await?;
        }
        Ok(())
    }
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    adapter: CloudAdapter,
    bot: EchoBot,
    inbox: Arc<Inbox>,
    storage: MemoryStorage,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        // Port 1 on loopback: connections are refused at once.
        let http = reqwest::Client::builder()
            .proxy(reqwest::Proxy::all("http://127.0.0.1:1").expect("a proxy URL"))
            .timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client");
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let storage = MemoryStorage::new();
        let conversation = ConversationState::new(storage.clone());
        let bot = EchoBot {
            count: conversation.create_property("count"),
        };
        let adapter = CloudAdapter::builder(BotConfig::anonymous())
            .http_client(http)
            .clock(Arc::new(clock))
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("an adapter")
            .with_middleware(DeduplicationMiddleware::new(
                storage.clone(),
                Duration::from_millis(1),
            ))
            .with_middleware(AutoSaveStateMiddleware::default().with(conversation));
        let inbox = Arc::new(Inbox::default());
        adapter
            .register_delivery_target(SERVICE_URL, inbox.clone())
            .expect("a delivery target");
        Harness {
            runtime,
            adapter,
            bot,
            inbox,
            storage,
        }
    })
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    authorization: Option<&'a str>,
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let harness = harness();
    let response = harness.runtime.block_on(harness.adapter.process(
        input.authorization,
        input.body,
        &harness.bot,
    ));
    let sent = std::mem::take(
        &mut *harness
            .inbox
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    // Forget the state of this input, so memory stays flat over millions of runs.
    let keys = harness.storage.keys();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    harness
        .runtime
        .block_on(harness.storage.delete(&keys))
        .expect("memory storage deletes");

    assert!(
        (100..=999).contains(&response.status),
        "status {} is not an HTTP status",
        response.status
    );
    let parsed = Activity::from_json(input.body);
    let has_header = input.authorization.is_some_and(|h| !h.trim().is_empty());
    // Whether the body has every field a turn needs (whether its service URL is an http(s)
    // URL the adapter decides: a 400 either way when it is not).
    let complete = parsed.as_ref().is_ok_and(|a| {
        !a.activity_type.as_str().trim().is_empty()
            && a.conversation_id().is_some()
            && a.channel_id
                .as_ref()
                .is_some_and(|c| !c.as_str().trim().is_empty())
            && a.service_url
                .as_deref()
                .is_some_and(|u| !u.trim().is_empty())
    });
    if !complete {
        assert_eq!(
            response.status, 400,
            "an incomplete body answered {response:?}"
        );
        assert!(sent.is_empty(), "sent for a malformed body: {sent:?}");
    } else if has_header && response.status != 400 {
        assert_eq!(
            response.status, 401,
            "a token on an anonymous bot: {response:?}"
        );
        assert!(sent.is_empty(), "sent for a refused request: {sent:?}");
    }
    if response.status >= 400 && response.status != 501 {
        let body = response.body.as_ref().expect("an error answer has a body");
        let error = &body["error"];
        assert!(error["code"].is_string(), "no error code: {body}");
        assert!(error["message"].is_string(), "no error message: {body}");
    }
    if response.status == 500 {
        assert_eq!(
            response.body,
            Some(
                json!({"error": {"code": "InternalServerError", "message": "the bot could not process the activity"}})
            ),
            "a 500 shows internals"
        );
    }
    if let Ok(activity) = &parsed {
        for reply in &sent {
            assert_eq!(
                reply.conversation_id(),
                activity.conversation_id(),
                "a reply went to another conversation"
            );
        }
    }
});
