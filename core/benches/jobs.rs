//! The jobs engine's throughput and wake-up latency, on SQLite and (with
//! `TEST_POSTGRES_URL`) PostgreSQL: 1,000 queued one-step no-op jobs over 20
//! environments drained by one and by three workers (jobs/s), then 100 jobs
//! submitted one at a time to an idle worker (submit → claimed, p50/p95,
//! woken by the in-process notification; the poll interval is 2 s, so a
//! missed wake-up shows). The steps run through the `ScriptedRunner` double:
//! what is measured is the engine (claims, leases, fenced writes, audit
//! records), not AWS.
//!
//! ```sh
//! scripts/bench-jobs.sh            # starts PostgreSQL, runs this, stops it
//! cargo bench -p gantry-core --bench jobs
//! ```

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark: a panic is the failure report"
)]

use std::time::{Duration, Instant};

use gantry_core::jobs::notify::JobsNotifier;
use gantry_core::jobs::testing::{new_job, ScriptedRunner};
use gantry_core::jobs::worker::{Worker, WorkerConfig};
use gantry_core::jobs::{store, JobState};
use gantry_core::Db;
use sqlx::Row;
use tokio_util::sync::CancellationToken;

const JOBS: usize = 1000;
const ENVIRONMENTS: usize = 20;
const LATENCY_SAMPLES: usize = 100;

fn now() -> chrono::DateTime<chrono::Utc> {
    gantry_core::clock::testing::clock().now()
}

fn start_workers(db: &Db, n: usize, notifier: &JobsNotifier) -> CancellationToken {
    let shutdown = CancellationToken::new();
    let runner = ScriptedRunner::new();
    for i in 0..n {
        let config = WorkerConfig {
            poll_interval: Duration::from_secs(2),
            ..WorkerConfig::new(format!("bench-{i}"))
        };
        Worker::new(
            db.clone(),
            runner.clone(),
            config,
            gantry_core::clock::testing::clock(),
            notifier.clone(),
        )
        .spawn(shutdown.clone());
    }
    shutdown
}

async fn open(postgres: bool) -> Db {
    if postgres {
        gantry_core::db::testing::postgres().await
    } else {
        gantry_core::db::testing::sqlite().await
    }
}

async fn succeeded(db: &Db) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE state = 'succeeded'")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// Jobs per second for `workers` workers draining [`JOBS`] queued jobs.
async fn drain(postgres: bool, workers: usize) -> f64 {
    let db = open(postgres).await;
    for i in 0..JOBS {
        store::enqueue(
            &db,
            &new_job(&format!("env-{}", i % ENVIRONMENTS), 1),
            now(),
        )
        .await
        .unwrap();
    }
    let notifier = JobsNotifier::new();
    let started = Instant::now();
    let stop = start_workers(&db, workers, &notifier);
    notifier.wake();
    while succeeded(&db).await < JOBS as i64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = JOBS as f64 / started.elapsed().as_secs_f64();
    stop.cancel();
    db.close().await;
    rate
}

/// Submit → claimed latencies (ms, sorted) of jobs submitted one at a time
/// to one idle worker.
async fn latency(postgres: bool) -> Vec<f64> {
    let db = open(postgres).await;
    let notifier = JobsNotifier::new();
    let stop = start_workers(&db, 1, &notifier);
    let mut samples = Vec::new();
    for i in 0..LATENCY_SAMPLES {
        // Let the worker go idle (waiting for a wake-up) first.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let t0 = Instant::now();
        let job =
            gantry_core::jobs::submit(&db, &notifier, &new_job(&format!("lat-{i}"), 1), now())
                .await
                .unwrap();
        loop {
            let state = store::get(&db, job.id).await.unwrap().job.state;
            if state != JobState::Queued {
                break;
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        samples.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    stop.cancel();
    db.close().await;
    samples.sort_by(f64::total_cmp);
    samples
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut backends = vec![false];
        if std::env::var("TEST_POSTGRES_URL").is_ok() {
            backends.push(true);
        } else {
            println!("TEST_POSTGRES_URL is not set: SQLite only (scripts/bench-jobs.sh starts PostgreSQL)");
        }
        let mut rates = Vec::new();
        let mut p95s = Vec::new();
        for postgres in backends {
            let name = if postgres { "postgres" } else { "sqlite" };
            let one = drain(postgres, 1).await;
            let three = drain(postgres, 3).await;
            let samples = latency(postgres).await;
            let (p50, p95) = (percentile(&samples, 0.5), percentile(&samples, 0.95));
            println!(
                "{name}: {JOBS} jobs over {ENVIRONMENTS} environments: 1 worker {one:.0} jobs/s, 3 workers {three:.0} jobs/s; submit -> claimed p50 {p50:.1} ms, p95 {p95:.1} ms, max {:.1} ms",
                samples.last().copied().unwrap_or_default()
            );
            rates.push((name, one, three));
            p95s.push(p95);
        }
        let find = |n: &str| rates.iter().find(|r| r.0 == n);
        let sqlite = find("sqlite").map_or("-".to_owned(), |r| format!("{:.0}", r.1));
        let (postgres, postgres3) = find("postgres").map_or(("-".to_owned(), "-".to_owned()), |r| {
            (format!("{:.0}", r.1), format!("{:.0}", r.2))
        });
        let p95 = p95s.iter().copied().fold(0.0, f64::max);
        println!(
            "jobs: sqlite {sqlite}/s, postgres {postgres}/s (3 workers {postgres3}/s), enqueue->start p95 {p95:.0} ms"
        );
    });
}
