//! Read+write throughput of each store: how many read-modify-write cycles of a 2 KB state
//! document (read it, change it, write it back with its eTag) the store completes per
//! second, with 1 and with 32 concurrent writers (each on its own conversation, as turns of
//! different conversations are), against `MemoryStorage` as the baseline in the same run.
//!
//! ```text
//! cargo bench --all-features --bench storage_throughput
//! ```
//!
//! SQLite runs on a file in the temporary directory. Redis and PostgreSQL run when
//! `BOTBUILDER_TEST_REDIS_URL` / `BOTBUILDER_TEST_POSTGRES_URL` are set (as `.ci/run` sets
//! them) and the features are on. `BOTBUILDER_BENCH_SECONDS` sets the measuring time of each
//! case (default 3).
//!
//! A custom harness rather than criterion: the figure wanted is sustained throughput of N
//! concurrent writers over a fixed time, and its ratio to the baseline, which this prints
//! directly.
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use botbuilder::storage::{self, Storage, StoreItems, new_document};
use serde_json::{Value, json};

const WRITER_COUNTS: [usize; 2] = [1, 32];
const DOCUMENT_BYTES: usize = 2048;

/// A conversation-state-like document of about 2 KB of JSON.
fn state_document() -> Value {
    let mut doc = json!({
        "DialogState": {
            "dialogStack": [
                {"id": "mainDialog", "state": {"options": {}, "values": {"instanceId": "3f0c"}, "stepIndex": 1}},
                {"id": "textPrompt", "state": {"options": {"prompt": {"type": "message", "text": "What is your name?"}}, "state": {"attemptCount": 0}}}
            ]
        },
        "ConversationData": {"channelId": "msteams", "promptedForName": true, "timestamp": "2026-01-01T00:00:00Z"},
        "turns": 0,
        "padding": "",
    });
    let size = serde_json::to_string(&doc).unwrap().len();
    doc["padding"] = json!("x".repeat(DOCUMENT_BYTES.saturating_sub(size)));
    doc
}

/// One read-modify-write of `key`, retrying conflicts (there are none when each writer has
/// its own key, but a store shared with other runs could have some).
async fn read_modify_write(store: &dyn Storage, key: &str, template: &Value) {
    loop {
        let mut doc = store
            .read(&[key])
            .await
            .unwrap()
            .remove(key)
            .unwrap_or_else(|| {
                let mut doc = template.clone();
                doc["eTag"] = new_document()["eTag"].clone();
                doc
            });
        doc["turns"] = json!(doc["turns"].as_u64().unwrap_or(0) + 1);
        match store.write(StoreItems::from([(key.to_owned(), doc)])).await {
            Ok(_) => return,
            Err(e) if e.is_conflict() => continue,
            Err(e) => panic!("write failed: {e}"),
        }
    }
}

/// Read-modify-write cycles per second with `writers` concurrent writers.
async fn measure(store: Arc<dyn Storage>, run: &str, writers: usize, time: Duration) -> f64 {
    let template = Arc::new(state_document());
    let keys: Vec<String> = (0..writers)
        .map(|i| format!("bench/{run}/conversations/{i}"))
        .collect();
    // Warm up: create the documents, open connections.
    for key in &keys {
        read_modify_write(&*store, key, &template).await;
    }
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = keys
        .iter()
        .cloned()
        .map(|key| {
            let (store, template, done, stop) =
                (store.clone(), template.clone(), done.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    read_modify_write(&*store, &key, &template).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    // MemoryStorage never yields; let the timer and the other writers run.
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    tokio::time::sleep(time).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    store.delete(&refs).await.unwrap();
    done.load(Ordering::Relaxed) as f64 / elapsed
}

fn main() {
    let seconds: f64 = std::env::var("BOTBUILDER_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let time = Duration::from_secs_f64(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let run = format!("{}-{}", std::process::id(), run_nanos());
    let dir = std::env::temp_dir().join(format!("botbuilder-bench-{run}"));
    std::fs::create_dir_all(&dir).unwrap();

    let mut stores: Vec<(&str, String)> = vec![
        ("memory", "memory".to_owned()),
        (
            "sqlite",
            format!("sqlite:{}", dir.join("bench.db").display()),
        ),
    ];
    if cfg!(feature = "redis")
        && let Ok(url) = std::env::var("BOTBUILDER_TEST_REDIS_URL")
    {
        let sep = if url.contains('?') { '&' } else { '?' };
        stores.push(("redis", format!("{url}{sep}prefix=botbuilder-bench%3A")));
    }
    if cfg!(feature = "postgres")
        && let Ok(url) = std::env::var("BOTBUILDER_TEST_POSTGRES_URL")
    {
        let sep = if url.contains('?') { '&' } else { '?' };
        stores.push((
            "postgres",
            format!("{url}{sep}table=botbuilder_bench&max_connections=32"),
        ));
    }

    println!(
        "read+write cycles per second of a {DOCUMENT_BYTES}-byte document ({seconds} s per case)"
    );
    println!(
        "{:<10} {:>8} {:>14} {:>14}",
        "store", "writers", "ops/s", "vs memory"
    );
    let mut baseline = [0.0; WRITER_COUNTS.len()];
    runtime.block_on(async {
        for (name, url) in &stores {
            let store = storage::open(url).await.unwrap();
            for (i, writers) in WRITER_COUNTS.into_iter().enumerate() {
                let ops = measure(store.clone(), &run, writers, time).await;
                if *name == "memory" {
                    baseline[i] = ops;
                }
                println!(
                    "{name:<10} {writers:>8} {ops:>14.0} {:>13.4}x",
                    ops / baseline[i]
                );
            }
        }
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run id that differs between runs sharing a server.
fn run_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
