//! The cost of turn ordering across instances: turns through a `TurnPipeline` whose bot
//! reads and saves its conversation state in Redis or PostgreSQL (the work a stateful turn
//! does), ordered in-process (the default) and distributed (`TurnOrdering::Distributed`:
//! the conversation's lease taken and released in the same store around each turn),
//! alternating in the same run, and the ratio between them.
//!
//! ```text
//! cargo bench --all-features --bench turn_ordering
//! ```
//!
//! Redis and PostgreSQL run when `BOTBUILDER_TEST_REDIS_URL` / `BOTBUILDER_TEST_POSTGRES_URL`
//! are set (as `.ci/run` sets them). `BOTBUILDER_BENCH_SECONDS` sets the measuring time of
//! each case, mode and round (default 1); there are seven rounds, each mode measured once a
//! round, back to back (the figures are the rounds' medians, and the ratio is the median of
//! the rounds' ratios, with their range). Cases:
//!
//! - **1 at a time**: one turn after another, each in one of 64 conversations in turn: the
//!   latency a lease adds to a turn (its round trips: a Lua script each way on Redis, a short
//!   transaction and a delete on PostgreSQL);
//! - **32 at once**: 32 concurrent senders, each in a conversation of its own: throughput
//!   under load;
//! - **one hot conversation, 2 instances**: two pipelines sharing the store (two instances),
//!   8 senders each, all in ONE conversation: how many turns a second a single conversation
//!   gets across instances (in-process ordering cannot run this case: its turns conflict).
//!
//! `cargo test --all-features --bench turn_ordering` runs it for a moment, as a check.
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use botbuilder::core::state::{ConversationState, StatePropertyAccessor};
use botbuilder::core::{Bot, ConversationLock, TurnLeases, TurnOrdering};
use botbuilder::prelude::*;
use botbuilder::storage::{self, Storage};

/// A bot that counts its conversation's turns in conversation state.
fn counting_bot(storage: Arc<dyn Storage>) -> Arc<dyn Bot> {
    let state = ConversationState::new(storage);
    let turns: StatePropertyAccessor<u64> = state.create_property("turns");
    Arc::new(bot_fn(async move |ctx| {
        turns.update(ctx, |n| *n += 1).await?;
        state.save_changes(ctx, false).await?;
        Ok(())
    }))
}

fn message(conversation: &str) -> Activity {
    Activity::message("count").with_conversation(ConversationAccount::new(conversation))
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    InProcess,
    Distributed,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::InProcess => "in-process",
            Mode::Distributed => "distributed",
        }
    }

    fn adapter(self, lock: &Arc<dyn ConversationLock>) -> TestAdapter {
        match self {
            Mode::InProcess => TestAdapter::new().with_turn_ordering(TurnOrdering::InProcess),
            Mode::Distributed => {
                TestAdapter::new().with_turn_ordering(TurnLeases::from_arc(lock.clone()))
            }
        }
    }
}

/// Runs `senders` loops for `time`, sender `i` on adapter `i % adapters.len()` and
/// conversation `conversation(i, n)` for its `n`th turn; returns turns completed.
async fn measure(
    adapters: &[TestAdapter],
    bot: &Arc<dyn Bot>,
    senders: usize,
    time: Duration,
    conversation: impl Fn(usize, u64) -> String + Send + Sync + Clone + 'static,
) -> u64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..senders)
        .map(|i| {
            let adapter = adapters[i % adapters.len()].clone();
            let (bot, done, stop) = (bot.clone(), done.clone(), stop.clone());
            let conversation = conversation.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    adapter
                        .process_activity(message(&conversation(i, n)), bot.as_ref())
                        .await
                        .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(time).await;
    stop.store(true, Ordering::Relaxed);
    let counted = done.load(Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    counted
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn bench_store(name: &str, url: &str, time: Duration, rounds: usize) {
    let storage = match storage::open(url).await {
        Ok(storage) => storage,
        Err(error) => {
            println!("{name}: skipped: {error}");
            return;
        }
    };
    let lock = storage.conversation_lock().unwrap();
    let bot = counting_bot(storage.clone());
    let run = format!("{}-{:x}", std::process::id(), fastrand_u32());
    println!("\n{name}");
    println!(
        "| case | in-process turns/s | distributed turns/s | distributed / in-process time per turn [range] | extra per turn |"
    );
    println!("|---|---|---|---|---|");
    // Warm up: connections opened, statements prepared, the lease table created.
    for mode in [Mode::InProcess, Mode::Distributed] {
        let adapter = mode.adapter(&lock);
        let prefix = format!("{run}-warm-{}", mode.name());
        measure(
            &[adapter],
            &bot,
            32,
            time.min(Duration::from_secs(1)),
            move |i, _| format!("{prefix}-{i}"),
        )
        .await;
    }
    for (case, senders) in [("1 at a time", 1usize), ("32 at once", 32)] {
        let mut per_mode = [Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for (slot, mode) in [Mode::InProcess, Mode::Distributed].into_iter().enumerate() {
                let adapter = mode.adapter(&lock);
                let prefix = format!("{run}-{}-{senders}", mode.name());
                let turns = measure(&[adapter], &bot, senders, time, move |i, n| {
                    if senders == 1 {
                        format!("{prefix}-{}", n % 64)
                    } else {
                        format!("{prefix}-{i}")
                    }
                })
                .await;
                per_mode[slot].push(turns as f64 / time.as_secs_f64());
            }
        }
        // Each round's two modes ran back to back: their ratio is the least disturbed by
        // whatever else the machine does meanwhile.
        let ratios: Vec<f64> = per_mode[0]
            .iter()
            .zip(&per_mode[1])
            .map(|(in_process, distributed)| in_process / distributed)
            .collect();
        let (low, high) = ratios
            .iter()
            .fold((f64::MAX, 0f64), |(l, h), r| (l.min(*r), h.max(*r)));
        let ratio = median(ratios);
        let [in_process, distributed] = per_mode.map(median);
        // Per turn, as one sender sees it: senders / throughput.
        let extra_us = (senders as f64 / distributed - senders as f64 / in_process) * 1e6;
        println!(
            "| {case} | {in_process:.0} | {distributed:.0} | {ratio:.2} [{low:.2}-{high:.2}] | {extra_us:.0} µs |"
        );
    }
    let mut hot = Vec::new();
    for round in 0..rounds {
        let instances = [
            Mode::Distributed.adapter(&lock),
            Mode::Distributed.adapter(&lock),
        ];
        let key = format!("{run}-hot-{round}");
        let turns = measure(&instances, &bot, 16, time, move |_, _| key.clone()).await;
        hot.push(turns as f64 / time.as_secs_f64());
    }
    println!(
        "| one hot conversation, 2 instances | (conflicts) | {:.0} | | |",
        median(hot)
    );
}

fn fastrand_u32() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    nanos ^ std::process::id()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then a quick check.
    let benching = std::env::args().any(|a| a == "--bench");
    let seconds: f64 = std::env::var("BOTBUILDER_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 1.0 } else { 0.2 });
    let rounds = if benching { 7 } else { 1 };
    let time = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut ran = false;
    if let Ok(url) = std::env::var("BOTBUILDER_TEST_REDIS_URL") {
        let prefix = format!("bench-turn-ordering-{}%3A", std::process::id());
        let separator = if url.contains('?') { '&' } else { '?' };
        bench_store(
            "redis",
            &format!("{url}{separator}prefix={prefix}"),
            time,
            rounds,
        )
        .await;
        ran = true;
    }
    if let Ok(url) = std::env::var("BOTBUILDER_TEST_POSTGRES_URL") {
        let table = format!("bench_turn_ordering_{}", std::process::id());
        let separator = if url.contains('?') { '&' } else { '?' };
        bench_store(
            "postgres",
            &format!("{url}{separator}table={table}"),
            time,
            rounds,
        )
        .await;
        ran = true;
    }
    if !ran {
        println!(
            "turn_ordering: nothing to measure: set BOTBUILDER_TEST_REDIS_URL and/or \
             BOTBUILDER_TEST_POSTGRES_URL"
        );
    }
    println!("\n({:.0} s)", started.elapsed().as_secs_f64());
}
