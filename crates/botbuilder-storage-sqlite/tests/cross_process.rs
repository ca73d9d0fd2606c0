//! Several processes write one SQLite file at once and lose no update.
//!
//! This test binary is its own helper: run normally, it starts copies of itself as child
//! processes (marked by an environment variable) that increment a counter in the same file
//! while it does too, then checks that every increment is there. A custom harness
//! (`harness = false`), so that the child role is not a test of its own.
#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use botbuilder_core::Error;
use botbuilder_core::storage::{Storage, StoreItems, new_document};
use botbuilder_storage_sqlite::SqliteStorage;
use serde_json::json;

const CHILD_ENV: &str = "BOTBUILDER_SQLITE_CROSS_PROCESS_CHILD";
const KEY: &str = "cross-process/counter";
const CHILDREN: usize = 3;
const UPDATES: u64 = 60;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if let Some(spec) = std::env::var_os(CHILD_ENV) {
        let spec = PathBuf::from(spec);
        let name = spec.file_name().unwrap().to_string_lossy().into_owned();
        let dir = spec.parent().unwrap();
        runtime.block_on(async {
            // Start together with the others: say ready, wait for the go.
            std::fs::write(dir.join(format!("{name}.ready")), b"").unwrap();
            while !dir.join("go").exists() {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            increment_many(&dir.join("bot.db"), &name).await;
        });
        return ExitCode::SUCCESS;
    }
    // Honour `cargo test -- <filter>` and `--list` the way the standard harness would.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("several_processes_lose_no_update: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty()
        && !filters
            .iter()
            .any(|f| "several_processes_lose_no_update".contains(f.as_str()))
    {
        println!("test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out");
        return ExitCode::SUCCESS;
    }
    println!("running 1 test");
    runtime.block_on(several_processes_lose_no_update());
    println!("test several_processes_lose_no_update ... ok");
    println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
    ExitCode::SUCCESS
}

async fn several_processes_lose_no_update() {
    let dir = std::env::temp_dir().join(format!(
        "botbuilder-sqlite-cross-process-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bot.db");
    // The children create the file and the table concurrently with this process.
    let children: Vec<_> = (0..CHILDREN)
        .map(|i| {
            Command::new(std::env::current_exe().unwrap())
                .env(CHILD_ENV, dir.join(format!("child{i}")))
                .spawn()
                .unwrap()
        })
        .collect();
    let all_ready =
        |dir: &Path| (0..CHILDREN).all(|i| dir.join(format!("child{i}.ready")).exists());
    let started = std::time::Instant::now();
    while !all_ready(&dir) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the child processes did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    std::fs::write(dir.join("go"), b"").unwrap();
    increment_many(&path, "parent").await;
    for mut child in children {
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "a child process failed: {status}");
    }

    let store = SqliteStorage::open(&path).await.unwrap();
    let doc = store.read(&[KEY]).await.unwrap().remove(KEY).unwrap();
    let expected_total = UPDATES * (CHILDREN as u64 + 1);
    assert_eq!(
        doc["total"],
        json!(expected_total),
        "updates were lost: {doc}"
    );
    assert_eq!(doc["parent"], json!(UPDATES), "{doc}");
    for i in 0..CHILDREN {
        assert_eq!(doc[format!("child{i}")], json!(UPDATES), "{doc}");
    }
    let conflicts: u64 = doc
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| name.ends_with("-conflicts"))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    println!(
        "{} processes x {UPDATES} read-modify-write updates on one file: none lost \
         ({conflicts} conflicts retried)",
        CHILDREN + 1
    );
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Increments `total` and `field` of one document `UPDATES` times, by read-modify-write with
/// eTags, retrying conflicts (counted in `{field}-conflicts`); every other update on a
/// freshly opened store, as a restarted bot would.
async fn increment_many(path: &Path, field: &str) {
    let conflicts_field = format!("{field}-conflicts");
    let mut conflicts = 0;
    let mut store = SqliteStorage::open(path).await.unwrap();
    for n in 0..UPDATES {
        if n % 2 == 1 {
            store = SqliteStorage::open(path).await.unwrap();
        }
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(attempts < 10_000, "an update conflicted 10 000 times");
            let mut doc = store
                .read(&[KEY])
                .await
                .unwrap()
                .remove(KEY)
                .unwrap_or_else(new_document);
            for name in ["total", field] {
                doc[name] = json!(doc[name].as_u64().unwrap_or(0) + 1);
            }
            doc[&conflicts_field] = json!(conflicts);
            match store.write(StoreItems::from([(KEY.to_owned(), doc)])).await {
                Ok(_) => break,
                Err(Error::StorageConflict { .. }) => conflicts += 1,
                Err(e) => panic!("[{field}] writing failed: {e}"),
            }
        }
    }
}
