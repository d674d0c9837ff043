//! A worker cut off from its database stops acting in AWS before its lease
//! can run out. Two workers (two pools on one PostgreSQL database, as two
//! replicas would have) and a step that writes an SSM parameter to moto
//! every 100 ms through the real SDK client: while the first worker runs the
//! step, the test holds the job's row lock, so its heartbeat cannot renew
//! the lease. Every write is counted in moto (parameter versions) and timed
//! against the lease's expiry as the database records it; then the lock is
//! released and the second worker finishes the job, once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::types::ParameterType;
use futures::future::BoxFuture;
use gantry_core::jobs::model::PlanStep;
use gantry_core::jobs::runner::{StepContext, StepError, StepOutcome, StepRunner};
use gantry_core::jobs::store;
use gantry_core::jobs::worker::{Worker, WorkerConfig};
use gantry_core::jobs::{JobState, StepState};
use gantry_core::Db;
use sqlx::{Connection, Row};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Writes the parameter `ticks` times, 100 ms apart, recording which worker
/// started each write and when, and counting the writes AWS answered. A test
/// double of a long step: the writes are real SSM calls against moto.
#[derive(Debug)]
struct Ticker {
    ssm: aws_sdk_ssm::Client,
    name: String,
    ticks: u32,
    sent: Mutex<Vec<(String, Instant)>>,
    answered: Mutex<usize>,
}

impl StepRunner for Ticker {
    fn run<'a>(
        &'a self,
        ctx: &'a StepContext,
        _step: &'a PlanStep,
    ) -> BoxFuture<'a, Result<StepOutcome, StepError>> {
        Box::pin(async move {
            for i in 0..self.ticks {
                self.sent
                    .lock()
                    .unwrap()
                    .push((ctx.lease.worker_id.clone(), Instant::now()));
                self.ssm
                    .put_parameter()
                    .name(&self.name)
                    .value(format!("{}-{i}", ctx.lease.worker_id))
                    .r#type(ParameterType::String)
                    .overwrite(true)
                    .send()
                    .await
                    .map_err(|e| StepError::Retryable(format!("{e:?}")))?;
                *self.answered.lock().unwrap() += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(StepOutcome::Done(None))
        })
    }
}

fn worker(db: &Db, runner: &Arc<Ticker>, id: &str) -> Worker {
    Worker::new(
        db.clone(),
        runner.clone(),
        WorkerConfig {
            lease: Duration::from_secs(2),
            heartbeat_every: Duration::from_millis(200),
            poll_interval: Duration::from_millis(50),
            ..WorkerConfig::new(id)
        },
        gantry_core::clock::testing::clock(),
        gantry_core::jobs::notify::JobsNotifier::new(),
    )
}

async fn versions(ssm: &aws_sdk_ssm::Client, name: &str) -> usize {
    gantry_core::aws::ssm::version_count(ssm, name)
        .await
        .expect("history")
}

#[tokio::test]
async fn a_worker_whose_database_stalls_makes_no_aws_call_after_its_lease() {
    let (name, url) = gantry_core::db::testing::postgres_database().await;
    let open = || async {
        Db::connect(&gantry_core::db::DbOptions::new(url.clone()))
            .await
            .expect("replica pool")
            .with_audit(gantry_core::db::testing::audit_settings(&name))
    };
    let (db_a, db_b) = (open().await, open().await);
    let clients = gantry_core::aws::AwsClients::new(
        gantry_core::aws::testing::moto_settings(),
        gantry_core::aws::AwsCallCounter::new(),
    );
    let ssm = clients
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await
        .ssm;
    let parameter = format!("/stall-test/{}/TICK", std::process::id());
    let runner = Arc::new(Ticker {
        ssm: ssm.clone(),
        name: parameter.clone(),
        // Longer than A's lease (2 s) after the stall; under SSM's 100
        // versions for A's and B's writes together.
        ticks: 30,
        sent: Mutex::new(Vec::new()),
        answered: Mutex::new(0),
    });
    let job = store::enqueue(
        &db_a,
        &gantry_core::jobs::testing::new_job("dev", 1),
        gantry_core::clock::testing::clock().now(),
    )
    .await
    .expect("enqueued");

    // Worker A runs the step; once it has written a few times, its database
    // stalls: the test holds the job's row lock, so every renewal waits.
    let stop_a = CancellationToken::new();
    let a = worker(&db_a, &runner, "worker-a");
    let liveness_a = a.liveness();
    let task_a = a.spawn(stop_a.clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    while runner.sent.lock().unwrap().len() < 5 {
        assert!(Instant::now() < deadline, "worker A never started the step");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut holder = sqlx::AnyConnection::connect(&url).await.expect("connect");
    let mut lock = holder.begin().await.expect("begin");
    sqlx::query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
        .bind(job.id.0)
        .fetch_one(&mut *lock)
        .await
        .expect("row lock");
    // Past any lease A could hold: A must have stopped by itself.
    while liveness_a.counters().lease_lost == 0 {
        assert!(
            Instant::now() < deadline,
            "worker A kept acting without a lease"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // When the lease ran out, as the database counts it.
    let row = sqlx::query(
        "SELECT lease_expires_ms, (extract(epoch from clock_timestamp()) * 1000)::bigint AS now_ms \
         FROM jobs WHERE id = $1",
    )
    .bind(job.id.0)
    .fetch_one(&mut *lock)
    .await
    .expect("lease");
    let expires_ms: i64 = row.try_get("lease_expires_ms").expect("expiry");
    let db_now_ms: i64 = row.try_get("now_ms").expect("now");
    let observed = Instant::now();
    let expired_at = observed
        - Duration::from_millis(u64::try_from(db_now_ms - expires_ms).expect("the lease ran out"));
    let sent_by_a: Vec<Instant> = runner
        .sent
        .lock()
        .unwrap()
        .iter()
        .filter(|(w, _)| w == "worker-a")
        .map(|(_, at)| *at)
        .collect();
    let last_a = *sent_by_a.last().expect("A wrote");
    let margin = expired_at.saturating_duration_since(last_a);
    println!(
        "stalled worker: {} AWS call(s) by A; the last one {} ms before the lease ran out; none after it",
        sent_by_a.len(),
        margin.as_millis()
    );
    assert!(
        last_a < expired_at,
        "worker A wrote to AWS {} ms after its lease ran out",
        last_a.saturating_duration_since(expired_at).as_millis()
    );
    // A is still cut off: it is stopped, and the lock released.
    stop_a.cancel();
    task_a.await.expect("worker A");
    lock.rollback().await.expect("release");

    // Worker B takes the job over and finishes it, once.
    let stop_b = CancellationToken::new();
    let task_b = worker(&db_b, &runner, "worker-b").spawn(stop_b.clone());
    let detail = loop {
        let detail = store::get(&db_b, job.id).await.expect("job");
        if detail.job.state.is_final() {
            break detail;
        }
        assert!(
            Instant::now() < deadline + Duration::from_secs(20),
            "the job did not finish on worker B: {:?}",
            detail.job
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    stop_b.cancel();
    task_b.await.expect("worker B");
    assert_eq!(
        detail.job.state,
        JobState::Succeeded,
        "{:?}",
        detail.job.reason
    );
    assert_eq!(detail.steps[0].state, StepState::Succeeded);
    let sent = runner.sent.lock().unwrap().clone();
    let by_b: Vec<&Instant> = sent
        .iter()
        .filter(|(w, _)| w == "worker-b")
        .map(|(_, at)| at)
        .collect();
    assert_eq!(by_b.len(), 30, "B ran the whole step");
    assert!(
        by_b.iter().all(|at| **at > expired_at),
        "B acted only after A's lease ran out"
    );
    // Every write AWS answered is in its history, and nothing the double did
    // not start. A's last write may have been cut off in flight when A gave
    // up its lease (the worker drops the step's future): started, and
    // perhaps never reached moto; that is A stopping, as it must.
    let written = versions(&ssm, &parameter).await;
    let answered = *runner.answered.lock().unwrap();
    assert!(
        (answered..=sent.len()).contains(&written),
        "{written} version(s) in SSM; {answered} write(s) answered, {} started",
        sent.len()
    );
    assert!(
        sent.len() - answered <= 1,
        "at most A's last write is cut off: {} started, {answered} answered",
        sent.len()
    );
    assert_eq!(
        sent.iter().filter(|(w, _)| w == "worker-a").count(),
        sent_by_a.len(),
        "A wrote nothing more once stopped"
    );
}
