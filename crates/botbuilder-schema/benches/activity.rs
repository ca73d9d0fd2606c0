//! Parsing and serialising a realistic Teams message.
#![allow(missing_docs)]

use botbuilder_schema::Activity;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const TEAMS: &[u8] = include_bytes!("../tests/fixtures/msteams_message_channel_mention.json");

fn parse_and_serialise(c: &mut Criterion) {
    c.bench_function("parse teams message", |b| {
        b.iter(|| Activity::from_json(black_box(TEAMS)))
    });
    let activity = Activity::from_json(TEAMS).expect("fixture parses");
    c.bench_function("serialise teams message", |b| {
        b.iter(|| black_box(&activity).to_json())
    });
}

criterion_group!(benches, parse_and_serialise);
criterion_main!(benches);
