//! Server time to build a cost review from the database: 13 months of daily
//! data × 20 services × 4 environments (≈ 31,000 daily rows) in a fresh
//! SQLite file (or PostgreSQL with `COST_BENCH_POSTGRES=1` and
//! `TEST_POSTGRES_URL`). Prints min / median / max over the runs.
//!
//! ```sh
//! cargo bench -p gantry-core --bench cost_review            # release build
//! cargo bench -p gantry-core --bench cost_review -- 50      # 50 runs
//! ```

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark: a panic is the failure report"
)]

use std::time::Instant;

use chrono::{Duration as Days, NaiveDate};
use gantry_core::aws::testing::demo_environment;
use gantry_core::cost::model::{CostMetric, YearMonth};
use gantry_core::cost::service::review;
use gantry_core::cost::store;
use gantry_core::roadmap::markdown::import::{parse_document, ImportOptions};
use gantry_core::shared::EnvName;

#[path = "support/synthetic.rs"]
mod synthetic;
use synthetic::{stats, synthetic, ENVS, SERVICES};

const SEED: &str = include_str!("../../fixtures/infrastructure-status.md");

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = if std::env::var("COST_BENCH_POSTGRES").is_ok() {
            gantry_core::db::testing::postgres().await
        } else {
            gantry_core::db::testing::sqlite().await
        };
        let end = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let window = synthetic(end);
        println!(
            "{:?}: {} daily rows, {} monthly rows ({} environments × {SERVICES} services, {} days)",
            db.backend(),
            window.daily.len(),
            window.monthly.len(),
            ENVS.len(),
            window.days()
        );
        let mut ingest = Vec::new();
        for _ in 0..3 {
            let id = store::start_refresh(
                &db,
                "schedule",
                CostMetric::Unblended,
                "environment",
                gantry_core::clock::testing::start(),
            )
            .await
            .unwrap();
            let t = Instant::now();
            store::replace_window(
                &db,
                id,
                &window,
                None,
                2,
                gantry_core::clock::testing::start(),
            )
            .await
            .unwrap();
            ingest.push(t.elapsed());
        }
        stats("store the window (one transaction)", ingest);

        let environments: Vec<_> = ENVS
            .iter()
            .map(|n| {
                let mut input = gantry_core::aws::testing::demo_environment_input(n);
                input.production = false;
                input.approvals_required = None;
                if n.starts_with("preview-") {
                    input.ttl_hours = Some(24);
                }
                input.validate().unwrap_or_else(|_| demo_environment("dev"))
            })
            .collect();
        let roadmap = parse_document(
            SEED,
            &ImportOptions {
                environments: vec![
                    EnvName::parse("dev").unwrap(),
                    EnvName::parse("prod").unwrap(),
                ],
                strict: false,
            },
        )
        .unwrap();
        let today = end + Days::days(1);
        for (label, month) in [
            ("review, current month", YearMonth::of(end)),
            ("review, last full month", YearMonth::of(end).previous()),
        ] {
            let r = review(&db, month, today, &environments, &roadmap)
                .await
                .unwrap();
            assert_eq!(r.environments.len(), ENVS.len());
            assert_eq!(r.services.len(), SERVICES);
            let mut times = Vec::with_capacity(runs);
            for _ in 0..runs {
                let t = Instant::now();
                let r = review(&db, month, today, &environments, &roadmap)
                    .await
                    .unwrap();
                times.push(t.elapsed());
                std::hint::black_box(r);
            }
            stats(label, times);
        }
        let month = YearMonth::of(end);
        let t = Instant::now();
        let concurrent = (0..100).map(|_| review(&db, month, today, &environments, &roadmap));
        futures::future::join_all(concurrent).await;
        println!(
            "100 concurrent reviews: {:.1} ms in all",
            t.elapsed().as_secs_f64() * 1000.0
        );
    });
}
