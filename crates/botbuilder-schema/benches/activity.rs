//! Parsing and serialising a realistic Teams message (a channel mention with an HTML
//! attachment, two entities and Teams channelData), against a baseline in the same run:
//! the same bytes through an untyped `serde_json::Value`.
//!
//! `cargo bench -p botbuilder-schema`
#![allow(missing_docs)]

use botbuilder_schema::Activity;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use std::hint::black_box;

const TEAMS: &[u8] = include_bytes!("../tests/fixtures/msteams_message_channel_mention.json");

fn teams_message(c: &mut Criterion) {
    let activity = Activity::from_json(TEAMS).expect("fixture parses");
    let value: Value = serde_json::from_slice(TEAMS).expect("fixture is JSON");

    let mut group = c.benchmark_group("teams message");
    group.throughput(Throughput::Bytes(TEAMS.len() as u64));
    group.bench_function("parse/Activity", |b| {
        b.iter(|| Activity::from_json(black_box(TEAMS)))
    });
    group.bench_function("parse/serde_json::Value (baseline)", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(TEAMS)))
    });
    group.bench_function("serialise/Activity", |b| {
        b.iter(|| black_box(&activity).to_json())
    });
    group.bench_function("serialise/serde_json::Value (baseline)", |b| {
        b.iter(|| serde_json::to_vec(black_box(&value)))
    });
    group.finish();
}

criterion_group!(benches, teams_message);
criterion_main!(benches);
