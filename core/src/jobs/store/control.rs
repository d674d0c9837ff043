//! Control from outside the worker: cancel requests and stuck detection.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    begin_audited, commit, db_now_ms, insert_log, job_with, skip_remaining_steps, system_entry,
    LogLevel,
};
use crate::db::codec::timestamp;
use crate::db::Db;
use crate::jobs::error::{JobsError, JobsResult};
use crate::jobs::model::{CheckTransition, JobId, JobState};
use crate::shared::Actor;

/// What [`request_cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The job had not started (or was stuck): it is cancelled now.
    Cancelled,
    /// The job is running: its worker stops at the next step boundary or
    /// wait and ends it as cancelled.
    Requested,
    /// A cancel had been requested already; nothing changed.
    AlreadyRequested,
}

/// Cancels job `id` for `actor`: at once when it is queued, awaiting
/// approval or stuck (audited `job.cancelled`); by a flag its worker checks
/// between steps and during waits when it is running (audited
/// `job.cancel_requested`). A finished job gives
/// [`JobsError::InvalidTransition`].
#[tracing::instrument(skip(db, actor, now), fields(actor = %actor.name))]
pub async fn request_cancel(
    db: &Db,
    id: JobId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> JobsResult<CancelOutcome> {
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    let reason = format!("cancelled by {}", actor.name);
    let cancelled = sqlx::query(
        "UPDATE jobs SET state = 'cancelled', cancel_requested = 1, cancel_requested_by = $2, \
         reason = $3, finished_at = $4, updated_at = $4, lease_owner = NULL, \
         lease_expires_ms = NULL \
         WHERE id = $1 AND state IN ('queued', 'awaiting_approval', 'stuck') RETURNING state",
    )
    .bind(id.0)
    .bind(&actor.name)
    .bind(&reason)
    .bind(&at)
    .fetch_optional(&mut *tx)
    .await?;
    let (outcome, action) = if cancelled.is_some() {
        skip_remaining_steps(&mut tx, id).await?;
        insert_log(&mut tx, id, LogLevel::Warn, None, &reason, now).await?;
        (CancelOutcome::Cancelled, "job.cancelled")
    } else {
        let requested = sqlx::query(
            "UPDATE jobs SET cancel_requested = 1, cancel_requested_by = $2, updated_at = $3 \
             WHERE id = $1 AND state = 'running' AND cancel_requested = 0 RETURNING id",
        )
        .bind(id.0)
        .bind(&actor.name)
        .bind(&at)
        .fetch_optional(&mut *tx)
        .await?;
        if requested.is_some() {
            insert_log(
                &mut tx,
                id,
                LogLevel::Warn,
                None,
                &format!("cancel requested by {}", actor.name),
                now,
            )
            .await?;
            (CancelOutcome::Requested, "job.cancel_requested")
        } else {
            let job = job_with(&mut tx, id)
                .await?
                .ok_or(JobsError::NotFound(id))?;
            tx.rollback().await?;
            return if job.state == JobState::Running {
                Ok(CancelOutcome::AlreadyRequested)
            } else {
                Err(JobsError::InvalidTransition {
                    from: job.state,
                    to: JobState::Cancelled,
                })
            };
        }
    };
    let mut entry = actor.audit(action, id.audit_target());
    entry.after = Some(json!({"reason": reason}));
    tx.record(&entry).await?;
    commit(tx).await?;
    Ok(outcome)
}

/// When [`mark_stuck`] calls a running job stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StuckPolicy {
    /// No heartbeat for this long (by the database's clock), and no worker
    /// re-claimed the job meanwhile. `None`: skip this rule (a worker that
    /// has just started gives the others time to re-claim first).
    pub heartbeat_timeout: Option<Duration>,
}

/// A running job [`mark_stuck`] looks at: its lease, how long it has been
/// silent and how long its step has run.
#[derive(sqlx::FromRow)]
struct StuckCandidate {
    id: i64,
    lease_token: i64,
    lease_owner: Option<String>,
    current_step: i64,
    silent_ms: Option<i64>,
    step_name: Option<String>,
    timeout_ms: Option<i64>,
    step_ms: Option<i64>,
}

/// Marks stuck, with the reason, every running job whose heartbeat stopped
/// longer than the policy allows or whose current step ran past its timeout
/// (both by the database's clock). The job keeps its environment's lock and
/// its worker's lease is void (every write it tries fails with
/// [`JobsError::LeaseLost`]); a person retries or cancels it. Audited as
/// `job.stuck`. Returns the jobs marked.
#[tracing::instrument(skip(db, now))]
pub async fn mark_stuck(
    db: &Db,
    policy: StuckPolicy,
    now: DateTime<Utc>,
) -> JobsResult<Vec<JobId>> {
    let db_now = db_now_ms(db.backend());
    let heartbeat_ms = policy
        .heartbeat_timeout
        .map(|t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX / 4))
        .unwrap_or(-1);
    let candidates = sqlx::query_as::<_, StuckCandidate>(&format!(
        "SELECT j.id, j.lease_token, j.lease_owner, j.current_step, \
         {db_now} - j.heartbeat_ms AS silent_ms, s.name AS step_name, s.timeout_ms, \
         CASE WHEN s.state = 'running' THEN {db_now} - s.step_started_ms ELSE 0 END AS step_ms \
         FROM jobs j LEFT JOIN job_steps s ON s.job_id = j.id AND s.position = j.current_step \
         WHERE j.state = 'running' AND ( \
             ($1 >= 0 AND j.heartbeat_ms < {db_now} - $1) \
             OR (s.state = 'running' AND s.step_started_ms + s.timeout_ms < {db_now})) \
         ORDER BY j.id"
    ))
    .bind(heartbeat_ms)
    .fetch_all(db.pool())
    .await?;
    let mut marked = Vec::new();
    for row in candidates {
        let id = JobId(row.id);
        let token = row.lease_token;
        let owner = row.lease_owner;
        let step = row.current_step;
        let silent_ms = row.silent_ms.unwrap_or(0);
        let step_ms = row.step_ms.unwrap_or(0);
        let timeout_ms = row.timeout_ms.unwrap_or(0);
        let step_name = row.step_name;
        let reason = if step_name.is_some() && timeout_ms > 0 && step_ms > timeout_ms {
            format!(
                "step {} ({}) ran past its timeout of {} s",
                step + 1,
                step_name.unwrap_or_default(),
                timeout_ms / 1000
            )
        } else {
            format!(
                "no heartbeat from worker {} for {} s",
                owner.as_deref().unwrap_or("?"),
                silent_ms / 1000
            )
        };
        if mark_one(db, id, token, &reason, now).await? {
            marked.push(id);
        }
    }
    Ok(marked)
}

/// Marks `id` stuck if it is still running under `token` (a job re-claimed
/// meanwhile is left alone).
async fn mark_one(
    db: &Db,
    id: JobId,
    token: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> JobsResult<bool> {
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    let updated = sqlx::query(
        "UPDATE jobs SET state = 'stuck', reason = $3, updated_at = $4, lease_expires_ms = NULL \
         WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id",
    )
    .bind(id.0)
    .bind(token)
    .bind(reason)
    .bind(&at)
    .fetch_optional(&mut *tx)
    .await?;
    if updated.is_none() {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_log(
        &mut tx,
        id,
        LogLevel::Error,
        None,
        &format!("stuck: {reason}"),
        now,
    )
    .await?;
    tx.record(&system_entry(
        "job.stuck",
        id,
        json!({"reason": reason, "lease_token": token}),
    ))
    .await?;
    commit(tx).await?;
    tracing::warn!(job = %id, reason, "job marked stuck");
    Ok(true)
}

/// Puts a failed or stuck job back in the queue for `actor`: it resumes at
/// the step that failed (or was running), the steps done before it are not
/// run again. The steps from there on are pending again and the reason is
/// cleared. Audited as `job.retried`; the caller wakes the workers. Any other
/// state gives [`JobsError::InvalidTransition`].
#[tracing::instrument(skip(db, actor, now), fields(actor = %actor.name))]
pub async fn retry(db: &Db, id: JobId, actor: &Actor, now: DateTime<Utc>) -> JobsResult<()> {
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    let previous = job_with(&mut tx, id)
        .await?
        .ok_or(JobsError::NotFound(id))?;
    previous.state.check_transition(JobState::Queued)?;
    if previous.state == JobState::AwaitingApproval {
        return Err(JobsError::InvalidTransition {
            from: previous.state,
            to: JobState::Queued,
        });
    }
    let from: i64 = sqlx::query_scalar(
        "UPDATE jobs SET state = 'queued', reason = NULL, finished_at = NULL, updated_at = $3, \
         cancel_requested = 0, cancel_requested_by = NULL, lease_owner = NULL, \
         lease_expires_ms = NULL \
         WHERE id = $1 AND state = $2 RETURNING current_step",
    )
    .bind(id.0)
    .bind(previous.state.as_str())
    .bind(&at)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| JobsError::Conflict(format!("job {id} changed meanwhile: try again")))?;
    sqlx::query(
        "UPDATE job_steps SET state = 'pending', error = NULL, finished_at = NULL \
         WHERE job_id = $1 AND position >= $2",
    )
    .bind(id.0)
    .bind(from)
    .execute(&mut *tx)
    .await?;
    insert_log(
        &mut tx,
        id,
        LogLevel::Info,
        None,
        &format!(
            "retried by {} from step {} (was {})",
            actor.name,
            from + 1,
            previous.state
        ),
        now,
    )
    .await?;
    let mut entry = actor.audit("job.retried", id.audit_target());
    entry.before = Some(json!({"state": previous.state.as_str(), "reason": previous.reason}));
    entry.after = Some(json!({"state": "queued", "from_step": from + 1}));
    tx.record(&entry).await?;
    if db.backend() == crate::db::Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::NOTIFY_CHANNEL)
            .bind(id.0.to_string())
            .execute(&mut *tx)
            .await?;
    }
    commit(tx).await?;
    Ok(())
}
