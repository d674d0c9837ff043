//! The worker's side: claiming a job under a lease with a fencing token, and
//! every write the lease allows.
//!
//! Each write first runs the fence, `UPDATE jobs … WHERE id = $1 AND
//! lease_token = $2 AND state = 'running'`, in its transaction: 0 rows means
//! the lease was lost ([`JobsError::LeaseLost`]) and the transaction is
//! rolled back, so nothing is written. On PostgreSQL the fence also holds the
//! job's row lock until the commit, so a re-claim cannot slip between the
//! check and the write.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;

use super::{
    begin_audited, commit, db_now_ms, insert_log, is_lock_violation, skip_remaining_steps,
    steps_with, system_entry, ClaimedJob, Job, JobRow, Lease, LogLevel, JOB_COLUMNS,
};
use crate::db::codec::{flag, number, timestamp};
use crate::db::{Backend, Db};
use crate::jobs::error::{JobsError, JobsResult};
use crate::jobs::model::{CheckTransition, JobId, JobKind, JobState};
use crate::roadmap::realise::JobTouched;

/// Claims attempted when a concurrent claim took the same environment's
/// lock first (PostgreSQL only; each attempt is a new transaction).
const CLAIM_ATTEMPTS: usize = 3;

/// The jobs a claim may take: running under an expired lease (first), or
/// queued, oldest first, when its environment holds no lock and no older job
/// of the environment is queued (FIFO per environment).
fn candidate_condition(backend: Backend) -> String {
    let now = db_now_ms(backend);
    format!(
        "(j.state = 'running' AND j.lease_expires_ms < {now}) \
         OR (j.state = 'queued' \
             AND NOT EXISTS (SELECT 1 FROM jobs a WHERE a.environment = j.environment \
                             AND a.state IN ('running', 'stuck')) \
             AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.environment = j.environment \
                             AND o.state = 'queued' AND o.id < j.id))"
    )
}

const CANDIDATE_ORDER: &str = "CASE WHEN j.state = 'running' THEN 0 ELSE 1 END, j.id";

/// The job a PostgreSQL claim updated, with what it was before.
#[derive(sqlx::FromRow)]
struct ClaimRow {
    #[sqlx(flatten)]
    job: JobRow,
    previous_state: String,
    previous_owner: Option<String>,
}

/// Claims the next job for `worker_id` with a lease of `lease` (by the
/// database's clock), or `None` when there is nothing to run. The job's
/// fencing token grows by one; a re-claimed job keeps its current step.
/// Audited as `job.started` (first claim) or `job.reclaimed`.
///
/// PostgreSQL: `FOR UPDATE SKIP LOCKED`, so claimers never wait for each
/// other; a concurrent claim that took the environment's lock first makes the
/// database refuse this one ([`super::LOCK_INDEX`]), which is retried and
/// then reported as nothing claimed. SQLite: `BEGIN IMMEDIATE`.
#[tracing::instrument(skip(db, now))]
pub async fn claim(
    db: &Db,
    worker_id: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> JobsResult<Option<ClaimedJob>> {
    for _ in 0..CLAIM_ATTEMPTS {
        match claim_once(db, worker_id, lease, now).await {
            Err(JobsError::Db(e)) if is_lock_violation(&e) => {
                tracing::debug!("another claim took the environment's lock first");
                continue;
            }
            other => return other,
        }
    }
    Ok(None)
}

async fn claim_once(
    db: &Db,
    worker_id: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> JobsResult<Option<ClaimedJob>> {
    let backend = db.backend();
    let db_now = db_now_ms(backend);
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 4);
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    let set = |prefix: &str| {
        format!(
            "state = 'running', lease_owner = $1, lease_token = {prefix}lease_token + 1, \
             lease_expires_ms = {db_now} + $2, heartbeat_ms = {db_now}, \
             started_at = COALESCE({prefix}started_at, $3), updated_at = $3"
        )
    };
    let claimed = match backend {
        Backend::Postgres => {
            let returning = JOB_COLUMNS
                .split(", ")
                .map(|c| format!("jobs.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            let row = sqlx::query_as::<_, ClaimRow>(&format!(
                "WITH candidate AS (SELECT j.id, j.state AS previous_state, \
                 j.lease_owner AS previous_owner FROM jobs j WHERE {cond} \
                 ORDER BY {CANDIDATE_ORDER} LIMIT 1 FOR UPDATE OF j SKIP LOCKED) \
                 UPDATE jobs SET {set} FROM candidate WHERE jobs.id = candidate.id \
                 RETURNING {returning}, candidate.previous_state, candidate.previous_owner",
                cond = candidate_condition(backend),
                set = set("jobs."),
            ))
            .bind(worker_id)
            .bind(lease_ms)
            .bind(&at)
            .fetch_optional(&mut *tx)
            .await?;
            row.map(|row| (row.job, row.previous_state, row.previous_owner))
        }
        Backend::Sqlite => {
            // The write lock is held (BEGIN IMMEDIATE): nobody else can claim
            // between this read and the update.
            let candidate: Option<(i64, String, Option<String>)> = sqlx::query_as(&format!(
                "SELECT j.id, j.state AS previous_state, j.lease_owner AS previous_owner \
                 FROM jobs j WHERE {cond} ORDER BY {CANDIDATE_ORDER} LIMIT 1",
                cond = candidate_condition(backend),
            ))
            .fetch_optional(&mut *tx)
            .await?;
            match candidate {
                None => None,
                Some((id, previous_state, previous_owner)) => {
                    let row = sqlx::query_as::<_, JobRow>(&format!(
                        "UPDATE jobs SET {set} WHERE id = $4 RETURNING {JOB_COLUMNS}",
                        set = set(""),
                    ))
                    .bind(worker_id)
                    .bind(lease_ms)
                    .bind(&at)
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    Some((row, previous_state, previous_owner))
                }
            }
        }
    };
    let Some((row, previous_state, previous_owner)) = claimed else {
        tx.rollback().await?;
        return Ok(None);
    };
    let job = Job::try_from(row)?;
    let reclaimed = previous_state == JobState::Running.as_str();
    let steps = steps_with(&mut tx, job.id).await?;
    let (action, message) = if reclaimed {
        (
            "job.reclaimed",
            format!(
                "re-claimed by {worker_id} after the lease of {} expired; resuming at step {}",
                previous_owner.as_deref().unwrap_or("?"),
                job.current_step + 1
            ),
        )
    } else {
        ("job.started", format!("started by {worker_id}"))
    };
    insert_log(&mut tx, job.id, LogLevel::Info, None, &message, now).await?;
    tx.record(&system_entry(
        action,
        job.id,
        json!({
            "worker": worker_id,
            "lease_token": job.lease_token,
            "current_step": job.current_step,
            "previous_owner": previous_owner,
        }),
    ))
    .await?;
    commit(tx).await?;
    tracing::info!(job = %job.id, token = job.lease_token, reclaimed, "job claimed");
    Ok(Some(ClaimedJob {
        lease: Lease {
            job_id: job.id,
            token: job.lease_token,
            worker_id: worker_id.to_owned(),
            duration: lease,
        },
        job,
        steps,
        reclaimed,
    }))
}

/// What a renewal learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// Someone asked for the job to be cancelled: stop at the next step
    /// boundary or wait.
    pub cancel_requested: bool,
}

/// Renews the lease for another `lease.duration` from now (the database's
/// clock). Not audited: it is no transition.
pub async fn heartbeat(db: &Db, lease: &Lease) -> JobsResult<Heartbeat> {
    let db_now = db_now_ms(db.backend());
    let lease_ms = i64::try_from(lease.duration.as_millis()).unwrap_or(i64::MAX / 4);
    let cancel_requested: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE jobs SET lease_expires_ms = {db_now} + $3, heartbeat_ms = {db_now} \
         WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING cancel_requested"
    ))
    .bind(lease.job_id.0)
    .bind(lease.token)
    .bind(lease_ms)
    .fetch_optional(db.pool())
    .await?;
    match cancel_requested {
        Some(cancel_requested) => Ok(Heartbeat {
            cancel_requested: flag(cancel_requested),
        }),
        None => Err(JobsError::LeaseLost(lease.job_id)),
    }
}

/// The fence: touches the job if `lease` still holds it, else
/// [`JobsError::LeaseLost`]. Returns the job's current step.
async fn fence(conn: &mut AnyConnection, lease: &Lease, at: &str) -> JobsResult<usize> {
    let current: Option<i64> = sqlx::query_scalar(
        "UPDATE jobs SET updated_at = $3 \
         WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING current_step",
    )
    .bind(lease.job_id.0)
    .bind(lease.token)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    match current {
        Some(current) => Ok(number("jobs.current_step", current)?),
        None => Err(JobsError::LeaseLost(lease.job_id)),
    }
}

fn check_position(current: usize, position: usize, lease: &Lease) -> JobsResult<()> {
    if current == position {
        Ok(())
    } else {
        Err(JobsError::Conflict(format!(
            "job {} is at step {}, not {}",
            lease.job_id,
            current + 1,
            position + 1
        )))
    }
}

/// Marks the job's current step (`position`) as running (again, after a
/// re-claim or a retry) and returns its attempt number (1 for the first
/// start). Audited as `job.step_started`.
pub async fn start_step(
    db: &Db,
    lease: &Lease,
    position: usize,
    now: DateTime<Utc>,
) -> JobsResult<u32> {
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    check_position(fence(&mut tx, lease, &at).await?, position, lease)?;
    let (attempts, name): (i64, String) = sqlx::query_as(&format!(
        "UPDATE job_steps SET state = 'running', attempts = attempts + 1, \
         step_started_ms = {}, started_at = COALESCE(started_at, $3), error = NULL \
         WHERE job_id = $1 AND position = $2 AND state IN ('pending', 'running', 'failed') \
         RETURNING attempts, name",
        db_now_ms(db.backend())
    ))
    .bind(lease.job_id.0)
    .bind(position as i64)
    .bind(&at)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        JobsError::Conflict(format!(
            "step {} of job {} cannot start",
            position + 1,
            lease.job_id
        ))
    })?;
    let attempt: u32 = number("job_steps.attempts", attempts)?;
    insert_log(
        &mut tx,
        lease.job_id,
        LogLevel::Info,
        Some(position),
        &format!("step {} ({name}) started, attempt {attempt}", position + 1),
        now,
    )
    .await?;
    tx.record(&system_entry(
        "job.step_started",
        lease.job_id,
        json!({"step": position + 1, "name": name, "attempt": attempt, "worker": lease.worker_id}),
    ))
    .await?;
    commit(tx).await?;
    Ok(attempt)
}

/// Records the running step `position` as done (with the runner's `output`)
/// and moves the job to the next step. Audited as `job.step_done`.
pub async fn finish_step(
    db: &Db,
    lease: &Lease,
    position: usize,
    output: Option<&serde_json::Value>,
    now: DateTime<Utc>,
) -> JobsResult<()> {
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    check_position(fence(&mut tx, lease, &at).await?, position, lease)?;
    let name: String = sqlx::query_scalar(
        "UPDATE job_steps SET state = 'succeeded', output_json = $3, finished_at = $4, error = NULL \
         WHERE job_id = $1 AND position = $2 AND state = 'running' RETURNING name",
    )
    .bind(lease.job_id.0)
    .bind(position as i64)
    .bind(output.map(crate::jobs::model::canonical_json))
    .bind(&at)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        JobsError::Conflict(format!(
            "step {} of job {} is not running",
            position + 1,
            lease.job_id
        ))
    })?;
    // A fault the step reported while it ran (see `set_fault`) is over.
    sqlx::query("UPDATE jobs SET current_step = current_step + 1, reason = NULL WHERE id = $1")
        .bind(lease.job_id.0)
        .execute(&mut *tx)
        .await?;
    insert_log(
        &mut tx,
        lease.job_id,
        LogLevel::Info,
        Some(position),
        &format!("step {} ({name}) done", position + 1),
        now,
    )
    .await?;
    tx.record(&system_entry(
        "job.step_done",
        lease.job_id,
        json!({"step": position + 1, "name": name, "worker": lease.worker_id}),
    ))
    .await?;
    commit(tx).await?;
    Ok(())
}

/// Says why the running job is not making progress now, while it lasts
/// (`Some`: AWS cannot be reached, throttles, answers 5xx; the step keeps
/// trying), or that it is over (`None`). Shown as the running job's reason
/// on its page, in its event stream and in the job list; logged when it
/// starts and ends. Fenced by the lease; unchanged text writes nothing.
pub async fn set_fault(
    db: &Db,
    lease: &Lease,
    position: usize,
    fault: Option<&str>,
    now: DateTime<Utc>,
) -> JobsResult<()> {
    let at = timestamp(now);
    let fault: Option<String> = fault.map(|f| f.chars().take(super::MAX_LOG_LINE).collect());
    let mut tx = super::begin_quiet(db).await?;
    fence(&mut tx, lease, &at).await?;
    let before: Option<String> = sqlx::query_scalar("SELECT reason FROM jobs WHERE id = $1")
        .bind(lease.job_id.0)
        .fetch_one(&mut *tx)
        .await?;
    if before == fault {
        tx.rollback().await?;
        return Ok(());
    }
    sqlx::query("UPDATE jobs SET reason = $2 WHERE id = $1")
        .bind(lease.job_id.0)
        .bind(fault.as_deref())
        .execute(&mut *tx)
        .await?;
    let (level, line) = match (&fault, &before) {
        (Some(fault), _) => (LogLevel::Warn, fault.clone()),
        (None, Some(_)) => (
            LogLevel::Info,
            "recovered: the step makes progress again".to_owned(),
        ),
        (None, None) => (LogLevel::Info, String::new()),
    };
    if !line.is_empty() {
        insert_log(&mut tx, lease.job_id, level, Some(position), &line, now).await?;
    }
    super::commit_quiet(tx).await?;
    Ok(())
}

/// Records that an attempt of the running step `position` failed with
/// `error` (safe to show: no secrets). The job stays running: the worker
/// retries the step or ends the job with [`finish_job`]. Audited as
/// `job.step_failed`.
pub async fn fail_step(
    db: &Db,
    lease: &Lease,
    position: usize,
    error: &str,
    now: DateTime<Utc>,
) -> JobsResult<()> {
    let at = timestamp(now);
    let error: String = error.chars().take(super::MAX_LOG_LINE).collect();
    let mut tx = begin_audited(db).await?;
    check_position(fence(&mut tx, lease, &at).await?, position, lease)?;
    let (name, attempt): (String, i64) = sqlx::query_as(
        "UPDATE job_steps SET state = 'failed', error = $3, finished_at = $4 \
         WHERE job_id = $1 AND position = $2 AND state = 'running' RETURNING name, attempts",
    )
    .bind(lease.job_id.0)
    .bind(position as i64)
    .bind(&error)
    .bind(&at)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        JobsError::Conflict(format!(
            "step {} of job {} is not running",
            position + 1,
            lease.job_id
        ))
    })?;
    insert_log(
        &mut tx,
        lease.job_id,
        LogLevel::Error,
        Some(position),
        &format!(
            "step {} ({name}) failed (attempt {attempt}): {error}",
            position + 1
        ),
        now,
    )
    .await?;
    tx.record(&system_entry(
        "job.step_failed",
        lease.job_id,
        json!({"step": position + 1, "name": name, "attempt": attempt, "error": error}),
    ))
    .await?;
    commit(tx).await?;
    Ok(())
}

/// Appends a log line to the leased job; returns its `seq`. Not audited.
pub async fn append_log(
    db: &Db,
    lease: &Lease,
    level: LogLevel,
    position: Option<usize>,
    message: &str,
    now: DateTime<Utc>,
) -> JobsResult<i64> {
    let mut tx = super::begin_quiet(db).await?;
    fence(&mut tx, lease, &timestamp(now)).await?;
    let seq = insert_log(&mut tx, lease.job_id, level, position, message, now).await?;
    super::commit_quiet(tx).await?;
    Ok(seq)
}

/// Marks deployed the roadmap modules job `id` realised
/// ([`crate::roadmap::realise::apply_job`]); their slugs.
async fn realised_modules(
    conn: &mut sqlx::AnyConnection,
    id: JobId,
    now: DateTime<Utc>,
) -> JobsResult<Vec<String>> {
    let (environment, kind, plan_json): (String, String, String) =
        sqlx::query_as("SELECT environment, kind, plan_json FROM jobs WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut *conn)
            .await?;
    let kind = JobKind::parse(&kind)?;
    let plan: crate::jobs::model::Plan = serde_json::from_str(&plan_json)
        .map_err(|e| JobsError::Corrupt(format!("job {id}: its plan does not parse: {e}")))?;
    let touched = touched_by(kind, &plan.steps);
    let changed =
        crate::roadmap::realise::apply_job(&mut *conn, id.0, &environment, &touched, now).await?;
    Ok(changed.iter().map(ToString::to_string).collect())
}

/// Writes the outcome notice of job `id` ended as `state`, when the job
/// went through approval (it has decisions or a break-glass): the approvers
/// learn how the change they approved ended.
async fn record_outcome(
    conn: &mut AnyConnection,
    id: JobId,
    state: JobState,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> JobsResult<()> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT environment, kind FROM jobs WHERE id = $1 AND (break_glass_by IS NOT NULL \
         OR EXISTS (SELECT 1 FROM job_approvals WHERE job_id = $1))",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((environment, kind)) = row else {
        return Ok(());
    };
    let text = format!(
        "Job #{id} ({kind} on {environment}) {state}{}",
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    crate::outbox::record(conn, id.0, &environment, "outcome", &text, now).await?;
    Ok(())
}

/// What a succeeded job of `kind` touched, from its plan: the services its
/// steps name (provision, deploy), and the parameter names its SSM steps
/// write (provision, configure). Other kinds realise nothing.
fn touched_by(kind: JobKind, steps: &[crate::jobs::model::PlanStep]) -> JobTouched {
    let services = matches!(kind, JobKind::Provision | JobKind::Deploy);
    let parameters = matches!(kind, JobKind::Provision | JobKind::Configure);
    let mut touched = JobTouched::default();
    for step in steps {
        if services {
            for value in [&step.before["service"], &step.after["service"]] {
                if let Some(s) = value.as_str() {
                    if !touched.services.iter().any(|x| x == s) {
                        touched.services.push(s.to_owned());
                    }
                }
            }
        }
        if parameters && step.action.starts_with("ssm.") {
            collect_paths(&step.after, &mut touched.parameters);
        }
    }
    touched
}

/// Every string (key or value) in `value` that looks like a parameter name.
fn collect_paths(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if s.starts_with('/') => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_paths(v, out)),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k.starts_with('/') {
                    out.push(k.clone());
                }
                collect_paths(v, out);
            }
        }
        _ => {}
    }
}

/// Ends the leased job in `state` (succeeded, failed, cancelled,
/// rolled_back, stale or stuck) with `reason`, and releases the lease (a
/// stuck job keeps the environment's lock). Steps never reached are marked
/// skipped. Audited as `job.<state>`.
pub async fn finish_job(
    db: &Db,
    lease: &Lease,
    state: JobState,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> JobsResult<()> {
    JobState::Running.check_transition(state)?;
    if state == JobState::Running {
        return Err(JobsError::InvalidTransition {
            from: JobState::Running,
            to: state,
        });
    }
    let at = timestamp(now);
    let reason: Option<String> = reason.map(|r| r.chars().take(super::MAX_LOG_LINE).collect());
    let mut tx = begin_audited(db).await?;
    let row = sqlx::query_as::<_, (i64, i64)>(
        "UPDATE jobs SET state = $3, reason = $4, updated_at = $5, \
         finished_at = CASE WHEN $3 = 'stuck' THEN NULL ELSE $5 END, \
         lease_owner = CASE WHEN $3 = 'stuck' THEN lease_owner ELSE NULL END, \
         lease_expires_ms = NULL \
         WHERE id = $1 AND lease_token = $2 AND state = 'running' \
         RETURNING current_step, step_count",
    )
    .bind(lease.job_id.0)
    .bind(lease.token)
    .bind(state.as_str())
    .bind(reason.as_deref())
    .bind(&at)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(JobsError::LeaseLost(lease.job_id))?;
    let current: usize = number("jobs.current_step", row.0)?;
    let total: usize = number("jobs.step_count", row.1)?;
    if state == JobState::Succeeded && current != total {
        return Err(JobsError::Conflict(format!(
            "job {} cannot succeed at step {} of {total}",
            lease.job_id,
            current + 1
        )));
    }
    if state.is_final() {
        skip_remaining_steps(&mut tx, lease.job_id).await?;
    }
    // The document keeps itself current: the modules this job realised are
    // deployed in its environment now, in the same transaction.
    let realised = if state == JobState::Succeeded {
        realised_modules(&mut tx, lease.job_id, now).await?
    } else {
        Vec::new()
    };
    let level = match state {
        JobState::Succeeded => LogLevel::Info,
        JobState::Cancelled | JobState::RolledBack | JobState::Stale => LogLevel::Warn,
        _ => LogLevel::Error,
    };
    let message = match &reason {
        Some(reason) => format!("job {state}: {reason}"),
        None => format!("job {state}"),
    };
    insert_log(&mut tx, lease.job_id, level, None, &message, now).await?;
    if state.is_final() {
        record_outcome(&mut tx, lease.job_id, state, reason.as_deref(), now).await?;
    }
    tx.record(&system_entry(
            &format!("job.{state}"),
            lease.job_id,
            json!({"state": state.as_str(), "reason": reason, "step": current + 1, "worker": lease.worker_id, "roadmap_deployed": realised}),
        ),
    )
    .await?;
    commit(tx).await?;
    tracing::info!(job = %lease.job_id, state = %state, "job finished");
    Ok(())
}
