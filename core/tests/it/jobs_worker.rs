//! The jobs worker on SQLite and PostgreSQL, with the `ScriptedRunner`
//! double: resuming after a crash without re-running done steps, cancel,
//! failing, panicking and hanging steps, database errors, wake-ups, and the
//! audit chain after all of it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gantry_core::audit;
use gantry_core::db::Backend;
use gantry_core::jobs::liveness::{WorkerCounters, WorkerLiveness};
use gantry_core::jobs::notify::{self, JobsNotifier};
use gantry_core::jobs::store::{self, CancelOutcome, Job};
use gantry_core::jobs::testing::{new_job, operator, plan, Behavior, ScriptedRunner};
use gantry_core::jobs::worker::{Worker, WorkerConfig};
use gantry_core::jobs::{self, JobId, JobState, StepState};
use gantry_core::Db;
use sqlx::Row;
use tokio_util::sync::CancellationToken;

fn now() -> DateTime<Utc> {
    gantry_core::clock::testing::clock().now()
}

/// Short leases and intervals, so that crashes and retries take moments.
fn config(id: &str) -> WorkerConfig {
    WorkerConfig {
        lease: Duration::from_millis(200),
        heartbeat_every: Duration::from_millis(50),
        poll_interval: Duration::from_millis(50),
        retry_backoff: Duration::from_millis(10),
        max_error_backoff: Duration::from_millis(200),
        stuck_sweep_every: Duration::from_millis(100),
        ..WorkerConfig::new(id)
    }
}

struct Running {
    liveness: Arc<WorkerLiveness>,
    handle: tokio::task::JoinHandle<()>,
    shutdown: CancellationToken,
}

fn start(
    db: &Db,
    runner: &Arc<ScriptedRunner>,
    config: WorkerConfig,
    notifier: &JobsNotifier,
) -> Running {
    let worker = Worker::new(
        db.clone(),
        runner.clone(),
        config,
        gantry_core::clock::testing::clock(),
        notifier.clone(),
    );
    let liveness = worker.liveness();
    let shutdown = CancellationToken::new();
    let handle = worker.spawn(shutdown.clone());
    Running {
        liveness,
        handle,
        shutdown,
    }
}

impl Running {
    async fn stop(self) {
        self.shutdown.cancel();
        self.handle.await.unwrap();
    }
}

/// Polls `check` every 20 ms until it returns `Some`, for at most 15 s.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn finished(db: &Db, id: JobId) -> Job {
    eventually(&format!("job {id} to finish"), || async {
        let job = store::get(db, id).await.unwrap().job;
        (job.state != JobState::Queued && job.state != JobState::Running).then_some(job)
    })
    .await
}

/// The counters once `done` holds (a counter moves just after the job's
/// outcome is committed).
async fn settled(
    liveness: &WorkerLiveness,
    done: impl Fn(&WorkerCounters) -> bool,
) -> WorkerCounters {
    eventually("the counters", || async {
        let counters = liveness.counters();
        done(&counters).then_some(counters)
    })
    .await
}

async fn assert_chain_ok(db: &Db) {
    let report = audit::store::verify(db).await.unwrap();
    assert!(report.is_ok(), "{}", report.summary());
}

async fn a_reclaimed_job_resumes_at_its_current_step(db: Db) {
    let runner = ScriptedRunner::new();
    runner.script("step-2", [Behavior::Block]);
    let notifier = JobsNotifier::new();
    let job = jobs::submit(&db, &notifier, &new_job("dev", 3), now())
        .await
        .unwrap();
    let first = start(&db, &runner, config("w-crashing"), &notifier);
    // Waits until step 2 is blocked with none of its writes in flight: an
    // aborted task, unlike a killed process, would leave a half-done
    // transaction holding its locks until the pool cleans it up.
    eventually("step 2 to block", || async {
        (runner.runs_of(job.id, 1) == 1 && runner.blocked() == 1).then_some(())
    })
    .await;
    // The worker dies mid-step, as with kill -9: nothing more is written.
    first.handle.abort();
    let _ = first.handle.await;

    let second = start(&db, &runner, config("w-second"), &notifier);
    let done = finished(&db, job.id).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.reason);
    assert_eq!(done.lease_token, 2);
    assert_eq!(runner.runs_of(job.id, 0), 1, "step 1 was done: not re-run");
    assert_eq!(
        runner.runs_of(job.id, 1),
        2,
        "step 2 ran again after the crash"
    );
    assert_eq!(runner.runs_of(job.id, 2), 1);
    let steps = store::get(&db, job.id).await.unwrap().steps;
    assert_eq!(
        steps.iter().map(|s| s.attempts).collect::<Vec<_>>(),
        [1, 2, 1]
    );
    settled(&second.liveness, |c| c.succeeded == 1).await;
    second.stop().await;
    assert_chain_ok(&db).await;
}

async fn cancel_stops_a_job_between_steps_and_during_waits(db: Db) {
    let runner = ScriptedRunner::new();
    let notifier = JobsNotifier::new();
    // Between steps: step 1 blocks, the cancel comes, step 1 is let go.
    runner.script("step-1", [Behavior::Gate, Behavior::Block]);
    let between = jobs::submit(&db, &notifier, &new_job("env-a", 3), now())
        .await
        .unwrap();
    let worker = start(&db, &runner, config("w1"), &notifier);
    eventually("step 1 to start", || async {
        (runner.runs_of(between.id, 0) == 1).then_some(())
    })
    .await;
    // The step does not listen for it; the worker sees it at the boundary.
    assert_eq!(
        store::request_cancel(&db, between.id, &operator(), now())
            .await
            .unwrap(),
        CancelOutcome::Requested
    );
    runner.release();
    let job = finished(&db, between.id).await;
    assert_eq!(job.state, JobState::Cancelled, "{:?}", job.reason);
    assert_eq!(runner.runs_of(between.id, 1), 0);
    assert_eq!(runner.runs_of(between.id, 2), 0);
    let steps = store::get(&db, between.id).await.unwrap().steps;
    assert_eq!(steps[1].state, StepState::Skipped);

    // During a wait: the blocked step sees the cancel and stops.
    let waiting = jobs::submit(&db, &notifier, &new_job("env-b", 2), now())
        .await
        .unwrap();
    eventually("the wait to start", || async {
        (runner.runs_of(waiting.id, 0) == 1).then_some(())
    })
    .await;
    store::request_cancel(&db, waiting.id, &operator(), now())
        .await
        .unwrap();
    let job = finished(&db, waiting.id).await;
    assert_eq!(job.state, JobState::Cancelled);
    assert!(job.reason.unwrap().contains("cancelled"));
    assert_eq!(runner.runs_of(waiting.id, 1), 0);
    settled(&worker.liveness, |c| c.cancelled == 2).await;
    worker.stop().await;
    assert_chain_ok(&db).await;
}

async fn the_worker_survives_failing_panicking_and_hanging_steps_and_db_errors(db: Db) {
    let runner = ScriptedRunner::new();
    let notifier = JobsNotifier::new();
    let worker = start(&db, &runner, config("w1"), &notifier);
    let submit = |env: &str, first_step: &str| {
        let mut job = new_job(env, 2);
        job.plan = plan(2, None);
        job.plan.steps[0].name = first_step.to_owned();
        let (db, notifier) = (db.clone(), notifier.clone());
        async move { jobs::submit(&db, &notifier, &job, now()).await.unwrap() }
    };

    runner.script("panics", [Behavior::Panic("index out of bounds".into())]);
    let panicked = finished(&db, submit("env-a", "panics").await.id).await;
    assert_eq!(panicked.state, JobState::Failed);
    assert!(panicked
        .reason
        .unwrap()
        .contains("panicked: index out of bounds"));

    runner.script(
        "flaky",
        [
            Behavior::Retryable("throttled".into()),
            Behavior::Retryable("throttled".into()),
        ],
    );
    let flaky = submit("env-a", "flaky").await;
    let done = finished(&db, flaky.id).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.reason);
    assert_eq!(runner.runs_of(flaky.id, 0), 3);

    runner.script(
        "always-throttled",
        vec![Behavior::Retryable("throttled".into()); 3],
    );
    let exhausted = finished(&db, submit("env-a", "always-throttled").await.id).await;
    assert_eq!(exhausted.state, JobState::Failed);
    assert!(exhausted.reason.unwrap().contains("after 3 attempts"));

    runner.script("denied", [Behavior::Fatal("access denied".into())]);
    let fatal = submit("env-a", "denied").await;
    assert_eq!(finished(&db, fatal.id).await.state, JobState::Failed);
    assert_eq!(
        runner.runs_of(fatal.id, 0),
        1,
        "fatal errors are not retried"
    );
    assert_eq!(runner.runs_of(fatal.id, 1), 0);

    runner.script(
        "moved",
        [Behavior::Stale("desired count is 4, planned from 2".into())],
    );
    assert_eq!(
        finished(&db, submit("env-a", "moved").await.id).await.state,
        JobState::Stale
    );
    runner.script(
        "rollout",
        [Behavior::RollBack("health check failed".into())],
    );
    assert_eq!(
        finished(&db, submit("env-a", "rollout").await.id)
            .await
            .state,
        JobState::RolledBack
    );

    // A step past its timeout: stuck, and the loop goes on to the next job.
    runner.script("hangs", [Behavior::Hang]);
    let mut hanging = new_job("env-b", 1);
    hanging.plan = plan(1, Some(1));
    hanging.plan.steps[0].name = "hangs".into();
    let hanging = jobs::submit(&db, &notifier, &hanging, now()).await.unwrap();
    let stuck = finished(&db, hanging.id).await;
    assert_eq!(stuck.state, JobState::Stuck);
    assert!(stuck
        .reason
        .unwrap()
        .contains("ran past its timeout of 1 s"));

    // The database fails under the loop (a table gone): errors, backoff, on.
    sqlx::query("ALTER TABLE job_logs RENAME TO job_logs_away")
        .execute(db.pool())
        .await
        .unwrap();
    let after_outage = submit("env-c", "after-outage").await;
    eventually("a loop error", || async {
        (worker.liveness.counters().loop_errors >= 1).then_some(())
    })
    .await;
    let waiting = store::get(&db, after_outage.id).await.unwrap().job;
    assert_eq!(
        waiting.state,
        JobState::Queued,
        "the failed claims rolled back"
    );
    sqlx::query("ALTER TABLE job_logs_away RENAME TO job_logs")
        .execute(db.pool())
        .await
        .unwrap();
    let done = finished(&db, after_outage.id).await;
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.reason);

    let counters = settled(&worker.liveness, |c| c.succeeded == 2).await;
    assert_eq!(counters.step_panics, 1);
    assert_eq!(counters.succeeded, 2);
    assert_eq!(counters.failed, 3);
    assert_eq!(
        (counters.stale, counters.rolled_back, counters.stuck),
        (1, 1, 1)
    );
    assert!(counters.step_retries >= 4, "{counters:?}");
    assert!(worker.liveness.is_alive(Duration::from_secs(2)));
    assert!(!worker.handle.is_finished(), "the loop never exits");
    worker.stop().await;
    assert_chain_ok(&db).await;
}

/// The URL of `db`'s own PostgreSQL database (the test databases are made
/// beside `TEST_POSTGRES_URL`'s).
async fn postgres_url(db: &Db) -> String {
    let name: String = sqlx::query("SELECT current_database()::text AS name")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get("name")
        .unwrap();
    let mut url = url::Url::parse(&std::env::var("TEST_POSTGRES_URL").unwrap()).unwrap();
    url.set_path(&name);
    url.to_string()
}

async fn an_enqueued_job_wakes_a_waiting_worker(db: Db) {
    let runner = ScriptedRunner::new();
    let notifier = JobsNotifier::new();
    let shutdown = CancellationToken::new();
    let slow_poll = WorkerConfig {
        poll_interval: Duration::from_secs(60),
        stuck_sweep_every: Duration::from_secs(60),
        ..config("w-sleepy")
    };
    let worker = start(&db, &runner, slow_poll, &notifier);
    // Let the worker find nothing and settle into its (60 s) wait.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let job = if db.backend() == Backend::Postgres {
        // Another replica's enqueue: only the database's NOTIFY tells us.
        let listener =
            notify::listen_postgres(postgres_url(&db).await, notifier.clone(), shutdown.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let job = store::enqueue(&db, &new_job("dev", 1), now())
            .await
            .unwrap();
        let done = finished(&db, job.id).await;
        shutdown.cancel();
        listener.await.unwrap();
        done
    } else {
        let job = jobs::submit(&db, &notifier, &new_job("dev", 1), now())
            .await
            .unwrap();
        finished(&db, job.id).await
    };
    assert_eq!(job.state, JobState::Succeeded);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "woken, not polled"
    );
    worker.stop().await;
    assert_chain_ok(&db).await;
}

gantry_core::on_both_backends!(
    a_reclaimed_job_resumes_at_its_current_step,
    cancel_stops_a_job_between_steps_and_during_waits,
    the_worker_survives_failing_panicking_and_hanging_steps_and_db_errors,
    an_enqueued_job_wakes_a_waiting_worker,
);
