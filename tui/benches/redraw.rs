//! One full redraw of the busiest view (the chain view with a full block stream and a full
//! set of samples) on a test backend. The console redraws on every update and every half
//! second, so a redraw must stay far below a frame: the target is under 2 ms.

// A bench that cannot build its terminal has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use realdid_tui::app::App;
use realdid_tui::event::Update;
use realdid_tui::model::{
    BlockRow, Link, MAX_BLOCKS, MAX_SAMPLES, NodeStatus, RateSample, ValidatorHealth, ValidatorRow,
};
use realdid_tui::views;

const NOW: i64 = 1_750_000_000_000;
const HEAD: u64 = 100_000;

fn hex64(seed: u64) -> String {
    let mut state = seed;
    (0..4)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            format!("{state:016x}")
        })
        .collect()
}

/// 4 nodes (one down), 4 validators, 200 blocks, 120 samples.
fn busy_app() -> App {
    let endpoints: Vec<String> = (1..=4)
        .map(|i| format!("https://node{i}.example:7001"))
        .collect();
    let keys: Vec<String> = (0..4).map(hex64).collect();
    let mut app = App::new(
        "realdid-bench".into(),
        endpoints.clone(),
        keys.clone(),
        Vec::new(),
    );
    app.tick(NOW);
    for (index, endpoint) in endpoints.iter().enumerate() {
        let link = if index == 3 {
            Link::Down {
                since_ms: NOW - 34_000,
                reason: "connection refused".into(),
            }
        } else {
            Link::Up { latency_ms: 12 }
        };
        app.apply(Update::Node {
            index,
            status: NodeStatus {
                link,
                height: Some(HEAD - index as u64),
                block_time_ms: Some(NOW - 1_000),
                finalized_at_ms: Some(NOW - 500),
                pending: Some(7),
                started_at_ms: Some(NOW - 86_400_000),
                version: Some("0.1.0".into()),
                node_key: keys[index].clone(),
                ..NodeStatus::new(endpoint.clone())
            },
        });
    }
    app.apply(Update::Validators(
        (0..4)
            .map(|index| ValidatorRow {
                index,
                key: keys[index].clone(),
                last_height: Some(HEAD - index as u64 * 3),
                last_seen_ms: Some(NOW - 1_000),
                health: [
                    ValidatorHealth::Up,
                    ValidatorHealth::Behind,
                    ValidatorHealth::Down,
                ][index % 3],
            })
            .collect(),
    ));
    for height in HEAD - MAX_BLOCKS as u64 + 1..=HEAD {
        app.apply(Update::Block(BlockRow {
            height,
            hash: hex64(height),
            tx_count: (height % 50) as u32,
            time_ms: NOW - (HEAD - height) as i64 * 1_000,
        }));
    }
    for i in 0..MAX_SAMPLES as i64 {
        app.apply(Update::Sample(RateSample {
            at_ms: NOW - i * 1_000,
            blocks_per_s: 1.0 + (i % 3) as f64 * 0.1,
            txs_per_s: 40.0 + (i % 11) as f64,
            finality_ms: 700.0 + (i % 7) as f64 * 20.0,
        }));
    }
    app.apply(Update::Stream(None));
    app
}

fn redraw(c: &mut Criterion) {
    let app = busy_app();
    for (width, height) in [(160, 48), (80, 24)] {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        c.bench_function(&format!("redraw chain {width}x{height}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| views::draw(frame, black_box(&app)))
                    .map(|_| ())
                    .unwrap();
            });
        });
    }
}

criterion_group!(benches, redraw);
criterion_main!(benches);
