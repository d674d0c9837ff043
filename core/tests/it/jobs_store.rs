//! Jobs storage on SQLite and PostgreSQL: enqueue, claim order and the
//! environment's lock, concurrent claims, lost leases, stuck detection,
//! cancel, paginated reads, and the audit chain after all of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gantry_core::audit::{self, AuditFilter, PageRequest};
use gantry_core::jobs::store::{
    self, CancelOutcome, ClaimedJob, JobFilter, JobPageRequest, Lease, LogLevel, StuckPolicy,
};
use gantry_core::jobs::testing::{new_job, operator, plan};
use gantry_core::jobs::{JobId, JobKind, JobState, JobsError, StepState};
use gantry_core::shared::{Actor, EnvName};
use gantry_core::Db;
use sqlx::Row;

const LONG_LEASE: Duration = Duration::from_secs(60);
const SHORT_LEASE: Duration = Duration::from_millis(200);

fn now() -> DateTime<Utc> {
    gantry_core::clock::testing::clock().now()
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn actions(db: &Db, id: JobId) -> Vec<String> {
    let filter = AuditFilter {
        target: Some(id.audit_target()),
        ..AuditFilter::default()
    };
    let mut page = audit::store::query(db, &filter, &PageRequest::first(200))
        .await
        .unwrap()
        .records;
    page.reverse();
    page.into_iter().map(|r| r.action).collect()
}

async fn assert_chain_ok(db: &Db) {
    let report = audit::store::verify(db).await.unwrap();
    assert!(report.is_ok(), "{}", report.summary());
}

async fn claim(db: &Db, worker: &str) -> Option<ClaimedJob> {
    store::claim(db, worker, LONG_LEASE, now()).await.unwrap()
}

/// Runs every remaining step of a claimed job and finishes it as succeeded.
async fn complete(db: &Db, claimed: &ClaimedJob) {
    for position in claimed.job.current_step..claimed.steps.len() {
        store::start_step(db, &claimed.lease, position, now())
            .await
            .unwrap();
        store::finish_step(db, &claimed.lease, position, None, now())
            .await
            .unwrap();
    }
    store::finish_job(db, &claimed.lease, JobState::Succeeded, None, now())
        .await
        .unwrap();
}

/// Polls `check` every 20 ms until it returns `Some`, for at most 10 s.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn enqueue_writes_the_job_its_steps_and_its_audit_record_at_once(db: Db) {
    let new = new_job("dev", 3);
    let job = store::enqueue(&db, &new, now()).await.unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.kind, JobKind::Deploy);
    assert_eq!(
        (job.current_step, job.step_count, job.lease_token),
        (0, 3, 0)
    );
    assert_eq!(job.plan, new.plan);
    assert_eq!(job.plan_hash, new.plan.hash());
    assert_eq!(job.plan.steps, plan(3, None).steps);
    assert_eq!(job.requested_by, operator().name);
    let detail = store::get(&db, job.id).await.unwrap();
    assert_eq!(detail.job, job);
    let names: Vec<_> = detail.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["step-1", "step-2", "step-3"]);
    assert!(detail.steps.iter().all(|s| s.state == StepState::Pending));
    assert_eq!(actions(&db, job.id).await, ["job.requested"]);

    // Production: created awaiting approval, and never claimed.
    let mut prod = new_job("prod", 1);
    prod.production = true;
    let prod = store::enqueue(&db, &prod, now()).await.unwrap();
    assert_eq!(prod.state, JobState::AwaitingApproval);

    // An invalid plan, or an audit record that cannot be written: nothing.
    let (jobs, steps, records) = (
        count(&db, "jobs").await,
        count(&db, "job_steps").await,
        count(&db, "audit_log").await,
    );
    let empty = new_job("dev", 0);
    assert!(matches!(
        store::enqueue(&db, &empty, now()).await,
        Err(JobsError::Validation(_))
    ));
    let mut nameless = new_job("dev", 2);
    nameless.requested_by = Actor {
        name: " ".into(),
        ..operator()
    };
    assert!(store::enqueue(&db, &nameless, now()).await.is_err());
    assert_eq!(count(&db, "jobs").await, jobs);
    assert_eq!(count(&db, "job_steps").await, steps);
    assert_eq!(count(&db, "audit_log").await, records);

    let claimed = claim(&db, "w1").await.unwrap();
    assert_eq!(claimed.job.id, job.id);
    assert!(claim(&db, "w1").await.is_none(), "prod awaits approval");
    assert_chain_ok(&db).await;
}

async fn claims_are_fifo_per_environment_with_one_running_job_each(db: Db) {
    let a1 = store::enqueue(&db, &new_job("env-a", 2), now())
        .await
        .unwrap();
    let a2 = store::enqueue(&db, &new_job("env-a", 1), now())
        .await
        .unwrap();
    let a3 = store::enqueue(&db, &new_job("env-a", 1), now())
        .await
        .unwrap();
    let b1 = store::enqueue(&db, &new_job("env-b", 1), now())
        .await
        .unwrap();

    let first = claim(&db, "w1").await.unwrap();
    let second = claim(&db, "w2").await.unwrap();
    assert_eq!((first.job.id, second.job.id), (a1.id, b1.id));
    assert!(!first.reclaimed);
    assert_eq!(first.lease.token, 1);
    assert!(claim(&db, "w3").await.is_none(), "env-a is locked by a1");
    let holder = store::lock_holder(&db, &EnvName::parse("env-a").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (holder.id, holder.lease_owner.as_deref()),
        (a1.id, Some("w1"))
    );

    // The database itself refuses a second running job in the environment.
    let refused = sqlx::query("UPDATE jobs SET state = 'running' WHERE id = $1")
        .bind(a3.id.0)
        .execute(db.pool())
        .await
        .unwrap_err();
    match &refused {
        sqlx::Error::Database(e) => {
            assert_eq!(e.kind(), sqlx::error::ErrorKind::UniqueViolation, "{e}");
            if let Some(name) = e.constraint() {
                assert_eq!(name, store::LOCK_INDEX);
            }
        }
        other => panic!("expected the lock's unique violation, got {other}"),
    }

    complete(&db, &first).await;
    let next = claim(&db, "w3").await.unwrap();
    assert_eq!(next.job.id, a2.id, "a2 after a1, never a3 first");
    complete(&db, &second).await;
    assert!(claim(&db, "w1").await.is_none(), "a3 waits for a2");
    complete(&db, &next).await;
    assert_eq!(claim(&db, "w1").await.unwrap().job.id, a3.id);

    let done = store::get(&db, a1.id).await.unwrap();
    assert_eq!(done.job.state, JobState::Succeeded);
    assert!(done.job.finished_at.is_some() && done.job.lease_owner.is_none());
    assert!(done.steps.iter().all(|s| s.state == StepState::Succeeded));
    assert_eq!(
        actions(&db, a1.id).await,
        [
            "job.requested",
            "job.started",
            "job.step_started",
            "job.step_done",
            "job.step_started",
            "job.step_done",
            "job.succeeded"
        ]
    );
    assert_chain_ok(&db).await;
}

async fn concurrent_claims_take_each_job_exactly_once(db: Db) {
    let mut all = Vec::new();
    for i in 0..20 {
        let env = format!("env-{}", i % 5);
        all.push(
            store::enqueue(&db, &new_job(&env, 1), now())
                .await
                .unwrap()
                .id,
        );
    }
    let claimed: Arc<Mutex<Vec<JobId>>> = Arc::default();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (db, claimed) = (db.clone(), claimed.clone());
        tasks.push(tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while claimed.lock().unwrap().len() < 20 {
                assert!(Instant::now() < deadline, "the claims did not finish");
                match claim(&db, &format!("w{worker}")).await {
                    Some(job) => {
                        claimed.lock().unwrap().push(job.job.id);
                        complete(&db, &job).await;
                    }
                    None => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut claimed = claimed.lock().unwrap().clone();
    claimed.sort();
    assert_eq!(claimed, all, "every job claimed exactly once");
    let tokens = sqlx::query("SELECT MAX(lease_token) AS t FROM jobs")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get::<i64, _>("t")
        .unwrap();
    assert_eq!(tokens, 1, "no job was claimed twice");
    assert_chain_ok(&db).await;
}

/// A snapshot of everything a worker could write for `id`.
async fn footprint(db: &Db, id: JobId) -> (String, Vec<String>, i64, i64) {
    let detail = store::get(db, id).await.unwrap();
    let steps = detail
        .steps
        .iter()
        .map(|s| format!("{}:{}:{:?}:{:?}", s.state, s.attempts, s.output, s.error))
        .collect();
    (
        format!(
            "{}:{}:{:?}:{:?}",
            detail.job.state, detail.job.current_step, detail.job.reason, detail.job.lease_owner
        ),
        steps,
        count(db, "job_logs").await,
        count(db, "audit_log").await,
    )
}

async fn a_lost_lease_can_never_write_again(db: Db) {
    let job = store::enqueue(&db, &new_job("dev", 3), now())
        .await
        .unwrap();
    let old = store::claim(&db, "w-old", SHORT_LEASE, now())
        .await
        .unwrap()
        .unwrap();
    store::start_step(&db, &old.lease, 0, now()).await.unwrap();
    store::finish_step(&db, &old.lease, 0, None, now())
        .await
        .unwrap();
    store::start_step(&db, &old.lease, 1, now()).await.unwrap();
    store::heartbeat(&db, &old.lease).await.unwrap();

    // The old worker pauses; its lease expires and another worker takes over.
    let new = eventually("the re-claim", || async {
        store::claim(&db, "w-new", LONG_LEASE, now()).await.unwrap()
    })
    .await;
    assert_eq!(new.job.id, job.id);
    assert!(new.reclaimed);
    assert_eq!(new.lease.token, old.lease.token + 1);
    assert_eq!(new.job.current_step, 1, "resumes at its current step");
    assert_eq!(new.steps[0].state, StepState::Succeeded);

    let before = footprint(&db, job.id).await;
    let lost = |r: Result<(), JobsError>| {
        assert!(
            matches!(r, Err(JobsError::LeaseLost(id)) if id == job.id),
            "{r:?}"
        );
    };
    lost(store::heartbeat(&db, &old.lease).await.map(|_| ()));
    lost(
        store::start_step(&db, &old.lease, 1, now())
            .await
            .map(|_| ()),
    );
    lost(store::finish_step(&db, &old.lease, 1, None, now()).await);
    lost(store::fail_step(&db, &old.lease, 1, "boom", now()).await);
    lost(
        store::append_log(&db, &old.lease, LogLevel::Info, Some(1), "late", now())
            .await
            .map(|_| ()),
    );
    lost(store::finish_job(&db, &old.lease, JobState::Failed, Some("x"), now()).await);
    lost(store::finish_job(&db, &old.lease, JobState::Succeeded, None, now()).await);
    assert_eq!(footprint(&db, job.id).await, before, "nothing changed");

    // The new holder finishes the job; completed steps are not re-run.
    store::start_step(&db, &new.lease, 1, now()).await.unwrap();
    let attempts = store::get(&db, job.id).await.unwrap().steps[1].attempts;
    assert_eq!(attempts, 2, "step 2 was started by both workers");
    store::finish_step(
        &db,
        &new.lease,
        1,
        Some(&serde_json::json!({"ok": true})),
        now(),
    )
    .await
    .unwrap();
    store::start_step(&db, &new.lease, 2, now()).await.unwrap();
    store::finish_step(&db, &new.lease, 2, None, now())
        .await
        .unwrap();
    store::finish_job(&db, &new.lease, JobState::Succeeded, None, now())
        .await
        .unwrap();
    let detail = store::get(&db, job.id).await.unwrap();
    assert_eq!(detail.job.state, JobState::Succeeded);
    assert_eq!(
        detail.steps.iter().map(|s| s.attempts).collect::<Vec<_>>(),
        [1, 2, 1]
    );
    assert_eq!(
        detail.steps[1].output,
        Some(serde_json::json!({"ok": true}))
    );
    lost(store::heartbeat(&db, &new.lease).await.map(|_| ()));
    assert!(actions(&db, job.id)
        .await
        .contains(&"job.reclaimed".to_owned()));
    assert_chain_ok(&db).await;
}

async fn writes_out_of_order_are_refused(db: Db) {
    store::enqueue(&db, &new_job("dev", 2), now())
        .await
        .unwrap();
    let claimed = claim(&db, "w1").await.unwrap();
    let lease = &claimed.lease;
    assert!(matches!(
        store::start_step(&db, lease, 1, now()).await,
        Err(JobsError::Conflict(_))
    ));
    assert!(matches!(
        store::finish_step(&db, lease, 0, None, now()).await,
        Err(JobsError::Conflict(_))
    ));
    assert!(matches!(
        store::finish_job(&db, lease, JobState::Succeeded, None, now()).await,
        Err(JobsError::Conflict(_))
    ));
    assert!(matches!(
        store::finish_job(&db, lease, JobState::Queued, None, now()).await,
        Err(JobsError::InvalidTransition { .. })
    ));
    // A forged token is a lost lease.
    let forged = Lease {
        token: lease.token + 5,
        ..lease.clone()
    };
    assert!(matches!(
        store::start_step(&db, &forged, 0, now()).await,
        Err(JobsError::LeaseLost(_))
    ));
    // A failed attempt, a retry, then failure: later steps are skipped.
    store::start_step(&db, lease, 0, now()).await.unwrap();
    store::fail_step(&db, lease, 0, "throttled", now())
        .await
        .unwrap();
    assert_eq!(store::start_step(&db, lease, 0, now()).await.unwrap(), 2);
    store::fail_step(&db, lease, 0, "access denied", now())
        .await
        .unwrap();
    store::finish_job(&db, lease, JobState::Failed, Some("access denied"), now())
        .await
        .unwrap();
    let detail = store::get(&db, claimed.job.id).await.unwrap();
    assert_eq!(detail.job.state, JobState::Failed);
    assert_eq!(detail.job.reason.as_deref(), Some("access denied"));
    assert_eq!(detail.steps[0].state, StepState::Failed);
    assert_eq!(detail.steps[0].error.as_deref(), Some("access denied"));
    assert_eq!(detail.steps[1].state, StepState::Skipped);
    assert_chain_ok(&db).await;
}

async fn a_step_past_its_timeout_or_a_silent_worker_is_marked_stuck(db: Db) {
    // A step with a 1 s timeout, its worker heartbeating: stuck by timeout.
    let mut slow = new_job("env-a", 2);
    slow.plan = plan(2, Some(1));
    let slow = store::enqueue(&db, &slow, now()).await.unwrap();
    let waiting = store::enqueue(&db, &new_job("env-a", 1), now())
        .await
        .unwrap();
    let claimed = claim(&db, "w1").await.unwrap();
    store::start_step(&db, &claimed.lease, 0, now())
        .await
        .unwrap();
    let no_heartbeat_rule = StuckPolicy {
        heartbeat_timeout: None,
    };
    assert!(store::mark_stuck(&db, no_heartbeat_rule, now())
        .await
        .unwrap()
        .is_empty());
    let marked = eventually("the step timeout", || async {
        store::heartbeat(&db, &claimed.lease).await.ok();
        let marked = store::mark_stuck(&db, no_heartbeat_rule, now())
            .await
            .unwrap();
        (!marked.is_empty()).then_some(marked)
    })
    .await;
    assert_eq!(marked, [slow.id]);
    let job = store::get(&db, slow.id).await.unwrap().job;
    assert_eq!(job.state, JobState::Stuck);
    let reason = job.reason.unwrap();
    assert!(
        reason.contains("step 1 (step-1) ran past its timeout of 1 s"),
        "{reason}"
    );
    assert!(matches!(
        store::heartbeat(&db, &claimed.lease).await,
        Err(JobsError::LeaseLost(_))
    ));
    // A stuck job keeps the lock until a person decides.
    assert!(claim(&db, "w2").await.is_none());
    assert_eq!(
        store::request_cancel(&db, slow.id, &operator(), now())
            .await
            .unwrap(),
        CancelOutcome::Cancelled
    );
    let next = claim(&db, "w2").await.unwrap();
    assert_eq!(next.job.id, waiting.id);
    complete(&db, &next).await;

    // A worker that stops heartbeating, and nobody re-claims: stuck.
    let silent = store::enqueue(&db, &new_job("env-b", 1), now())
        .await
        .unwrap();
    let claimed = store::claim(&db, "w-silent", SHORT_LEASE, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.job.id, silent.id);
    let heartbeat_rule = StuckPolicy {
        heartbeat_timeout: Some(Duration::from_millis(300)),
    };
    let marked = eventually("the heartbeat timeout", || async {
        let marked = store::mark_stuck(&db, heartbeat_rule, now()).await.unwrap();
        (!marked.is_empty()).then_some(marked)
    })
    .await;
    assert_eq!(marked, [silent.id]);
    let job = store::get(&db, silent.id).await.unwrap().job;
    assert!(
        job.reason
            .as_deref()
            .unwrap()
            .contains("no heartbeat from worker w-silent"),
        "{:?}",
        job.reason
    );
    assert!(
        claim(&db, "w3").await.is_none(),
        "a stuck job is not re-claimed"
    );
    assert_eq!(
        &actions(&db, silent.id).await[..],
        ["job.requested", "job.started", "job.stuck"]
    );
    assert_chain_ok(&db).await;
}

async fn cancel_stops_queued_jobs_at_once_and_running_ones_by_flag(db: Db) {
    let queued = store::enqueue(&db, &new_job("env-a", 2), now())
        .await
        .unwrap();
    let running = store::enqueue(&db, &new_job("env-b", 2), now())
        .await
        .unwrap();
    assert_eq!(
        store::request_cancel(&db, queued.id, &operator(), now())
            .await
            .unwrap(),
        CancelOutcome::Cancelled
    );
    let detail = store::get(&db, queued.id).await.unwrap();
    assert_eq!(detail.job.state, JobState::Cancelled);
    assert!(detail.steps.iter().all(|s| s.state == StepState::Skipped));
    assert!(matches!(
        store::request_cancel(&db, queued.id, &operator(), now()).await,
        Err(JobsError::InvalidTransition {
            from: JobState::Cancelled,
            to: JobState::Cancelled
        })
    ));

    let claimed = claim(&db, "w1").await.unwrap();
    assert_eq!(claimed.job.id, running.id);
    assert!(
        !store::heartbeat(&db, &claimed.lease)
            .await
            .unwrap()
            .cancel_requested
    );
    assert_eq!(
        store::request_cancel(&db, running.id, &operator(), now())
            .await
            .unwrap(),
        CancelOutcome::Requested
    );
    assert_eq!(
        store::request_cancel(&db, running.id, &operator(), now())
            .await
            .unwrap(),
        CancelOutcome::AlreadyRequested
    );
    assert!(
        store::heartbeat(&db, &claimed.lease)
            .await
            .unwrap()
            .cancel_requested
    );
    store::finish_job(
        &db,
        &claimed.lease,
        JobState::Cancelled,
        Some("cancelled"),
        now(),
    )
    .await
    .unwrap();
    assert!(matches!(
        store::request_cancel(&db, JobId(999), &operator(), now()).await,
        Err(JobsError::NotFound(JobId(999)))
    ));
    let cancelled = actions(&db, running.id).await;
    assert!(cancelled.contains(&"job.cancel_requested".to_owned()));
    assert_eq!(cancelled.last().map(String::as_str), Some("job.cancelled"));
    assert_chain_ok(&db).await;
}

async fn lists_and_logs_are_paginated_on_the_server(db: Db) {
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut job = new_job(if i % 2 == 0 { "env-a" } else { "env-b" }, 1);
        if i == 3 {
            job.kind = JobKind::Scale;
        }
        ids.push(store::enqueue(&db, &job, now()).await.unwrap().id);
    }
    let first = store::list(&db, &JobFilter::default(), &JobPageRequest::first(3))
        .await
        .unwrap();
    let page_ids: Vec<_> = first.jobs.iter().map(|j| j.id).collect();
    assert_eq!(page_ids, [ids[6], ids[5], ids[4]]);
    let second = store::list(
        &db,
        &JobFilter::default(),
        &JobPageRequest {
            before_id: first.next_before_id,
            limit: 3,
        },
    )
    .await
    .unwrap();
    assert_eq!(second.jobs.len(), 3);
    assert_eq!(second.jobs[0].id, ids[3]);
    let env_a = JobFilter {
        environment: Some(EnvName::parse("env-a").unwrap()),
        ..JobFilter::default()
    };
    let page = store::list(&db, &env_a, &JobPageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(page.jobs.len(), 4);
    assert!(page.next_before_id.is_none());
    let scale = JobFilter {
        kind: Some(JobKind::Scale),
        state: Some(JobState::Queued),
        requested_by: Some(operator().name),
        ..JobFilter::default()
    };
    let page = store::list(&db, &scale, &JobPageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(page.jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[3]]);

    let claimed = claim(&db, "w1").await.unwrap();
    let mut seqs = HashMap::new();
    for i in 0..25 {
        let seq = store::append_log(
            &db,
            &claimed.lease,
            LogLevel::Info,
            Some(0),
            &format!("line {i}"),
            now(),
        )
        .await
        .unwrap();
        seqs.insert(i, seq);
    }
    let page = store::logs(&db, claimed.job.id, 0, 10).await.unwrap();
    assert_eq!(page.lines.len(), 10);
    assert_eq!(page.lines[0].message, "started by w1");
    let mut after = page.next_after_seq.unwrap();
    let mut messages: Vec<String> = page.lines.into_iter().map(|l| l.message).collect();
    loop {
        let page = store::logs(&db, claimed.job.id, after, 10).await.unwrap();
        messages.extend(page.lines.into_iter().map(|l| l.message));
        match page.next_after_seq {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(messages.len(), 26);
    assert_eq!(messages[25], "line 24");
    assert_eq!(seqs[&24], 26);
    assert!(matches!(
        store::logs(&db, JobId(12345), 0, 10).await,
        Err(JobsError::NotFound(_))
    ));
    assert!(matches!(
        store::get(&db, JobId(12345)).await,
        Err(JobsError::NotFound(_))
    ));
    assert_chain_ok(&db).await;
}

async fn a_plan_is_confirmed_once_while_its_job_is_active(db: Db) {
    let new = new_job("dev", 2);
    let first = store::enqueue(&db, &new, now()).await.unwrap();
    let jobs_before = count(&db, "jobs").await;
    let audit_before = count(&db, "audit_log").await;
    let second = store::enqueue(&db, &new, now()).await;
    assert!(
        matches!(&second, Err(JobsError::Conflict(m)) if m.contains("a plan runs once")),
        "{second:?}"
    );
    assert_eq!(count(&db, "jobs").await, jobs_before, "nothing written");
    assert_eq!(count(&db, "audit_log").await, audit_before);
    // The same plan in another environment is another change.
    let mut elsewhere = new.clone();
    elsewhere.environment = EnvName::parse("staging").unwrap();
    store::enqueue(&db, &elsewhere, now()).await.unwrap();
    // Once the job has ended, the plan may be confirmed again.
    store::request_cancel(&db, first.id, &operator(), now())
        .await
        .unwrap();
    store::enqueue(&db, &new, now()).await.unwrap();
    assert_chain_ok(&db).await;
}

async fn a_failed_job_is_retried_from_its_failed_step(db: Db) {
    let job = store::enqueue(&db, &new_job("dev", 3), now())
        .await
        .unwrap();
    assert!(matches!(
        store::retry(&db, job.id, &operator(), now()).await,
        Err(JobsError::InvalidTransition {
            from: JobState::Queued,
            to: JobState::Queued
        })
    ));
    let claimed = claim(&db, "w1").await.unwrap();
    store::start_step(&db, &claimed.lease, 0, now())
        .await
        .unwrap();
    store::finish_step(&db, &claimed.lease, 0, None, now())
        .await
        .unwrap();
    store::start_step(&db, &claimed.lease, 1, now())
        .await
        .unwrap();
    store::fail_step(&db, &claimed.lease, 1, "AccessDenied", now())
        .await
        .unwrap();
    store::finish_job(&db, &claimed.lease, JobState::Failed, Some("denied"), now())
        .await
        .unwrap();
    store::retry(&db, job.id, &operator(), now()).await.unwrap();
    let detail = store::get(&db, job.id).await.unwrap();
    assert_eq!(detail.job.state, JobState::Queued);
    assert_eq!(detail.job.reason, None);
    assert_eq!(detail.job.current_step, 1);
    let states: Vec<_> = detail.steps.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [StepState::Succeeded, StepState::Pending, StepState::Pending]
    );
    // The retry resumes at step 2 under a new lease; step 1 is not run again.
    let again = claim(&db, "w2").await.unwrap();
    assert_eq!(again.job.current_step, 1);
    assert!(again.lease.token > claimed.lease.token);
    complete(&db, &again).await;
    let detail = store::get(&db, job.id).await.unwrap();
    assert_eq!(detail.job.state, JobState::Succeeded);
    assert_eq!(detail.steps[0].attempts, 1, "step 1 ran once");
    assert_eq!(detail.steps[1].attempts, 2);
    assert!(matches!(
        store::retry(&db, job.id, &operator(), now()).await,
        Err(JobsError::InvalidTransition { .. })
    ));
    assert!(matches!(
        store::retry(&db, JobId(4242), &operator(), now()).await,
        Err(JobsError::NotFound(_))
    ));
    let trail = actions(&db, job.id).await;
    assert!(trail.contains(&"job.retried".to_owned()), "{trail:?}");
    assert_chain_ok(&db).await;
}

gantry_core::on_both_backends!(
    enqueue_writes_the_job_its_steps_and_its_audit_record_at_once,
    claims_are_fifo_per_environment_with_one_running_job_each,
    concurrent_claims_take_each_job_exactly_once,
    a_lost_lease_can_never_write_again,
    writes_out_of_order_are_refused,
    a_step_past_its_timeout_or_a_silent_worker_is_marked_stuck,
    cancel_stops_queued_jobs_at_once_and_running_ones_by_flag,
    lists_and_logs_are_paginated_on_the_server,
    a_plan_is_confirmed_once_while_its_job_is_active,
    a_failed_job_is_retried_from_its_failed_step,
);
