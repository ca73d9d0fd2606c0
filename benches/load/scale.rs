//! The scale measurements, each in a process of its own (`--scale fanout|memory`) so that
//! its memory is its own; they print one JSON line for the orchestrator.
//!
//! - `fanout`: proactive messages to N conversations through `continue_conversation`, with
//!   bounded concurrency, against the mock connector: messages/s, CPU per message, peak RSS.
//! - `memory`: N conversations' state held in `MemoryStorage` (a small, realistic
//!   conversation-state document each, saved through `ConversationState`): RSS per
//!   conversation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use botbuilder::core::ConversationState;
use botbuilder::core::state::StatePropertyAccessor;
use botbuilder::prelude::*;
use botbuilder::storage::MemoryStorage;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::procfs;

#[derive(Debug, Deserialize, Serialize)]
pub struct FanOutResult {
    pub conversations: u64,
    pub concurrency: usize,
    pub sent: u64,
    pub errors: u64,
    pub seconds: f64,
    pub cpu_seconds: f64,
    pub rss_before: u64,
    pub peak_rss: u64,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct MemoryResult {
    pub conversations: u64,
    pub document_bytes: usize,
    pub rss_before: u64,
    pub rss_after: u64,
    pub stored: usize,
}

fn reference(service_url: &str, i: u64) -> ConversationReference {
    ConversationReference {
        activity_id: None,
        user: Some(ChannelAccount::new(format!("user-{i}"))),
        bot: Some(ChannelAccount::new(crate::auth::APP_ID)),
        conversation: Some(ConversationAccount::new(format!("fanout-{i}"))),
        channel_id: Some(ChannelId::Webchat),
        service_url: Some(service_url.to_owned()),
        locale: Some("en-US".to_owned()),
        ..ConversationReference::default()
    }
}

/// Sends one proactive message to each of `conversations` conversations, `concurrency` at
/// a time.
pub fn fan_out(
    service_url: &str,
    conversations: u64,
    concurrency: usize,
) -> Result<FanOutResult, Box<dyn std::error::Error>> {
    let pid = std::process::id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let adapter = CloudAdapter::new(&BotConfig::anonymous())?;
        let references: Vec<ConversationReference> = (0..conversations)
            .map(|i| reference(service_url, i))
            .collect();
        let rss_before = procfs::rss(pid)?;
        let cpu_before = procfs::cpu_time(pid)?;
        let sent = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let errors = futures::stream::iter(references)
            .map(|reference| {
                let adapter = adapter.clone();
                let sent = Arc::clone(&sent);
                async move {
                    adapter
                        .continue_conversation(reference, async move |ctx| {
                            ctx.send_activity("Your report is ready.").await?;
                            sent.fetch_add(1, Ordering::Relaxed);
                            Ok(())
                        })
                        .await
                }
            })
            .buffer_unordered(concurrency)
            .fold(
                0u64,
                |errors, r| async move { errors + u64::from(r.is_err()) },
            )
            .await;
        let seconds = start.elapsed().as_secs_f64();
        let cpu_seconds = (procfs::cpu_time(pid)? - cpu_before).as_secs_f64();
        Ok(FanOutResult {
            conversations,
            concurrency,
            sent: sent.load(Ordering::Relaxed),
            errors,
            seconds,
            cpu_seconds,
            rss_before,
            peak_rss: procfs::peak_rss(pid)?,
        })
    })
}

/// What a conversation's state looks like in a bot with a dialog: the dialog stack and a
/// few conversation properties.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct ConversationData {
    topic: String,
    turns: u32,
    last_activity: String,
    prompted_for_name: bool,
}

/// Saves `conversations` conversations' state into one `MemoryStorage` through
/// `ConversationState`, as turns do, and measures the RSS it takes.
pub fn memory(conversations: u64) -> Result<MemoryResult, Box<dyn std::error::Error>> {
    let pid = std::process::id();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = MemoryStorage::new();
        let state = ConversationState::new(store.clone());
        let data: StatePropertyAccessor<ConversationData> =
            state.create_property("ConversationData");
        let dialog: StatePropertyAccessor<serde_json::Value> =
            state.create_property("DialogState");
        let adapter = TestAdapter::new();
        let adapter_handle: Arc<dyn BotAdapter> = Arc::new(adapter.clone());
        let dialog_state = json!({
            "dialogStack": [
                {"id": "mainDialog", "state": {"options": {}, "values": {"instanceId": "3f0c2b7e"}, "stepIndex": 1}}
            ]
        });
        let sample = ConversationData {
            topic: "store hours".to_owned(),
            turns: 3,
            last_activity: "2026-01-15T10:21:33.456Z".to_owned(),
            prompted_for_name: true,
        };
        let document_bytes = serde_json::to_vec(&json!({
            "ConversationData": &sample,
            "DialogState": &dialog_state,
            "eTag": "100000",
        }))?
        .len();
        let template = adapter.make_activity("hi");
        // Warm the allocator and the code paths before the first reading.
        let rss_before = procfs::rss(pid)?;
        for i in 0..conversations {
            let mut activity = template.clone();
            activity.conversation = Some(ConversationAccount::new(format!("conv-{i}")));
            let mut ctx = TurnContext::new(Arc::clone(&adapter_handle), activity);
            data.set(&mut ctx, &sample).await?;
            dialog.set(&mut ctx, &dialog_state).await?;
            state.save_changes(&mut ctx, false).await?;
        }
        let rss_after = procfs::rss(pid)?;
        Ok(MemoryResult {
            conversations,
            document_bytes,
            rss_before,
            rss_after,
            stored: store.len(),
        })
    })
}
