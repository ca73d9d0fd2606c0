//! The in-process cost of a turn, without HTTP:
//!
//! - `pipeline/{0,5} middleware`: a turn of an echo bot through an empty middleware set and
//!   through five pass-through middleware, to an adapter that delivers nowhere; the
//!   difference is what middleware costs.
//! - `state/load + save`: a turn's conversation and user state read from `MemoryStorage`,
//!   changed, and written back with their eTags (what `AutoSaveStateMiddleware` does).
//! - `test_flow/one turn`: a `TestFlow` sending one message and asserting the reply, as a
//!   unit test does (adapter included).
//!
//! `cargo bench -p botbuilder-core --bench turn`
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use botbuilder_core::adapter::{ContinueLogic, TurnPipeline};
use botbuilder_core::schema::{
    Activity, ChannelAccount, ChannelId, ConversationAccount, ConversationReference,
    ResourceResponse,
};
use botbuilder_core::state::{BotStateSet, ConversationState, UserState};
use botbuilder_core::storage::MemoryStorage;
use botbuilder_core::testing::{TestAdapter, TestFlow};
use botbuilder_core::{
    ActivityHandler, BotAdapter, Error, Middleware, Next, TurnContext, TurnResult, async_trait,
};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};

/// An adapter that accepts every send and delivers nowhere: what is measured is the turn.
struct NullAdapter;

#[async_trait]
impl BotAdapter for NullAdapter {
    async fn send_activities(
        &self,
        _ctx: &TurnContext,
        activities: Vec<Activity>,
    ) -> Result<Vec<ResourceResponse>, Error> {
        Ok(vec![ResourceResponse::new("1"); activities.len()])
    }

    async fn update_activity(
        &self,
        _ctx: &TurnContext,
        _activity: Activity,
    ) -> Result<ResourceResponse, Error> {
        Ok(ResourceResponse::default())
    }

    async fn delete_activity(
        &self,
        _ctx: &TurnContext,
        _reference: ConversationReference,
    ) -> Result<(), Error> {
        Ok(())
    }

    async fn proactive_turn(
        &self,
        _reference: ConversationReference,
        _logic: ContinueLogic,
    ) -> Result<(), Error> {
        Ok(())
    }
}

struct Echo;

#[async_trait]
impl ActivityHandler for Echo {
    async fn on_message_activity(&self, ctx: &mut TurnContext) -> TurnResult {
        let text = ctx.activity().text();
        ctx.send_activity(format!("Echo: {text}")).await?;
        Ok(())
    }
}

/// A middleware that only passes the turn on.
struct PassThrough;

#[async_trait]
impl Middleware for PassThrough {
    async fn on_turn(&self, ctx: &mut TurnContext, next: Next<'_>) -> TurnResult {
        next.run(ctx).await
    }
}

/// A message as a channel sends it.
fn incoming() -> Activity {
    let mut activity = Activity::message("What time does the store open tomorrow?");
    activity.id = Some("conv-1|0000001".to_owned());
    activity.channel_id = Some(ChannelId::Webchat);
    activity.service_url = Some("https://webchat.botframework.com/".to_owned());
    activity.conversation = Some(ConversationAccount::new("conv-1"));
    activity.from = Some(ChannelAccount::new("user-1").with_name("Ada"));
    activity.recipient = Some(ChannelAccount::new("bot").with_name("Echo Bot"));
    activity.locale = Some("en-US".to_owned());
    activity
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn pipeline(c: &mut Criterion) {
    let rt = runtime();
    let adapter: Arc<dyn BotAdapter> = Arc::new(NullAdapter);
    let activity = incoming();
    let mut group = c.benchmark_group("pipeline");
    for count in [0, 5] {
        let mut pipeline = TurnPipeline::new();
        for _ in 0..count {
            pipeline = pipeline.with_middleware(PassThrough);
        }
        group.bench_function(format!("{count} middleware"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut ctx = TurnContext::new(Arc::clone(&adapter), activity.clone());
                    pipeline.run_turn(&mut ctx, &Echo).await
                })
            })
        });
    }
    group.finish();
}

/// A small user profile.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct Profile {
    name: Option<String>,
    messages: u64,
}

fn state(c: &mut Criterion) {
    let rt = runtime();
    let adapter: Arc<dyn BotAdapter> = Arc::new(NullAdapter);
    let activity = incoming();
    let storage = MemoryStorage::new();
    let conversation = ConversationState::new(storage.clone());
    let user = UserState::new(storage);
    let turns = conversation.create_property::<u32>("turns");
    let profile = user.create_property::<Profile>("profile");
    let set = BotStateSet::new().with(conversation).with(user);
    let mut group = c.benchmark_group("state");
    group.bench_function("load + save (conversation and user, MemoryStorage)", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut ctx = TurnContext::new(Arc::clone(&adapter), activity.clone());
                turns.update(&mut ctx, |n| *n += 1).await?;
                profile
                    .update(&mut ctx, |p| {
                        p.messages += 1;
                        p.name = Some("Ada".to_owned());
                    })
                    .await?;
                set.save_all_changes(&mut ctx, false).await?;
                black_box(ctx);
                Ok::<(), Error>(())
            })
        })
    });
    group.finish();
}

fn test_flow(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("test_flow");
    group.bench_function("one turn", |b| {
        b.iter(|| {
            rt.block_on(async {
                TestFlow::new(TestAdapter::new(), Echo)
                    .test("hi", "Echo: hi")
                    .await;
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = pipeline, state, test_flow
}
criterion_main!(benches);
