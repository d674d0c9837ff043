//! Enqueueing: the job, its steps and its audit record in one transaction.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use super::{
    begin_audited, commit, job_with, to_json_text, Job, DEFAULT_STEP_TIMEOUT_SECS, NOTIFY_CHANNEL,
};
use crate::db::codec::timestamp;
use crate::db::{Backend, Db};
use crate::jobs::error::{JobsError, JobsResult};
use crate::jobs::model::{canonical_json, CheckTransition, JobId, JobKind, JobState, Plan};
use crate::shared::{Actor, EnvName};

/// A job to enqueue, as its request made it.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub environment: EnvName,
    pub kind: JobKind,
    pub requested_by: Actor,
    /// The kind's input (what the form submitted, validated).
    pub params: serde_json::Value,
    pub plan: Plan,
    /// The environment is production: the job is created awaiting approval
    /// and cannot run until it is approved.
    pub production: bool,
    /// A new environment (a preview provisioned from the template), stored
    /// and audited in the job's transaction; refused when the name is taken.
    pub creates: Option<crate::environments::model::Environment>,
    /// Why the person asks (shown to approvers).
    pub request_reason: Option<String>,
}

/// Stores `new` as a queued job (awaiting approval on production), with its
/// steps and a `job.requested` audit record, in one transaction; on
/// PostgreSQL the transaction also sends `NOTIFY gantry_jobs, '<id>'`, which
/// is delivered on commit only. The in-process wake-up is the caller's
/// ([`crate::jobs::notify::JobsNotifier::wake`], or [`crate::jobs::submit`]).
///
/// An invalid plan is refused with [`JobsError::Validation`], and a plan
/// whose job (same environment, same hash) is still active with
/// [`JobsError::Conflict`] (the unique index `jobs_one_active_per_plan`):
/// nothing is written.
#[tracing::instrument(skip_all, fields(environment = %new.environment, kind = %new.kind))]
pub async fn enqueue(db: &Db, new: &NewJob, now: DateTime<Utc>) -> JobsResult<Job> {
    new.plan.validate()?;
    let state = if new.production {
        JobState::AwaitingApproval
    } else {
        JobState::Queued
    };
    let plan_hash = new.plan.hash();
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    if let Some(env) = &new.creates {
        if crate::environments::store::get_with(&mut tx, &env.name)
            .await?
            .is_some()
        {
            return Err(JobsError::Conflict(format!(
                "environment {} was created meanwhile: plan again",
                env.name
            )));
        }
        crate::environments::store::upsert(&mut tx, env).await?;
        let mut entry = new
            .requested_by
            .audit("environment.create", format!("environment:{}", env.name));
        entry.after = Some(env.settings_json());
        tx.record(&entry).await?;
    }
    let row = sqlx::query(
        "INSERT INTO jobs (environment, kind, state, requested_by, requested_role, request_id, \
         params_json, plan_json, plan_hash, fingerprint, step_count, created_at, updated_at, \
         requested_subject, request_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14) RETURNING id",
    )
    .bind(new.environment.as_str())
    .bind(new.kind.as_str())
    .bind(state.as_str())
    .bind(&new.requested_by.name)
    .bind(new.requested_by.role.as_deref())
    .bind(new.requested_by.request_id.as_deref())
    .bind(canonical_json(&new.params))
    .bind(to_json_text(&new.plan)?)
    .bind(&plan_hash)
    .bind(&new.plan.fingerprint)
    .bind(new.plan.steps.len() as i64)
    .bind(&at)
    .bind(new.requested_by.subject.as_deref())
    .bind(new.request_reason.as_deref())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            JobsError::Conflict(format!(
                "this plan for {} was confirmed already and its job has not ended: a plan runs once",
                new.environment
            ))
        }
        _ => JobsError::Db(e),
    })?;
    let id = JobId(row.try_get("id")?);
    insert_steps(&mut tx, id, &new.plan).await?;
    let mut entry = new.requested_by.audit("job.requested", id.audit_target());
    entry.after = Some(json!({
        "environment": new.environment.as_str(),
        "kind": new.kind.as_str(),
        "state": state.as_str(),
        "plan_hash": plan_hash,
        "steps": new.plan.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        "source": new.requested_by.source,
    }));
    tx.record(&entry).await?;
    if state == JobState::AwaitingApproval {
        let text = format!(
            "Job #{id} ({} on {}) requested by {}{}: it waits for approval",
            new.kind,
            new.environment,
            new.requested_by.name,
            new.request_reason
                .as_deref()
                .map(|r| format!(" (\u{201c}{r}\u{201d})"))
                .unwrap_or_default()
        );
        crate::outbox::record(
            &mut tx,
            id.0,
            new.environment.as_str(),
            "requested",
            &text,
            now,
        )
        .await?;
    }
    if db.backend() == Backend::Postgres && state == JobState::Queued {
        // An integer id: nothing to quote. Delivered when the transaction
        // commits, never for a rolled-back job.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(NOTIFY_CHANNEL)
            .bind(id.0.to_string())
            .execute(&mut *tx)
            .await?;
    }
    let job = job_with(&mut tx, id)
        .await?
        .ok_or_else(|| JobsError::Corrupt(format!("job {id} vanished while enqueueing")))?;
    commit(tx).await?;
    tracing::info!(job = %id, state = %state, "job enqueued");
    Ok(job)
}

async fn insert_steps(conn: &mut sqlx::AnyConnection, id: JobId, plan: &Plan) -> JobsResult<()> {
    for (position, step) in plan.steps.iter().enumerate() {
        let timeout_secs = step.timeout_secs.unwrap_or(DEFAULT_STEP_TIMEOUT_SECS);
        sqlx::query(
            "INSERT INTO job_steps (job_id, position, name, action, state, timeout_ms) \
             VALUES ($1, $2, $3, $4, 'pending', $5)",
        )
        .bind(id.0)
        .bind(position as i64)
        .bind(&step.name)
        .bind(&step.action)
        .bind(i64::from(timeout_secs) * 1000)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replaces the plan of job `id`, still awaiting approval, with `plan` (made
/// again from the live state): its steps are rewritten, its hash changes,
/// and every approval given so far no longer counts (approvals are bound to
/// the hash). Audited `job.replanned` (before/after hash). Refused when the
/// job no longer awaits approval ([`JobsError::InvalidTransition`]).
pub async fn replace_plan(
    db: &Db,
    id: JobId,
    plan: &Plan,
    actor: &Actor,
    now: DateTime<Utc>,
) -> JobsResult<Job> {
    plan.validate()?;
    let hash = plan.hash();
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    let current = super::approval::lock_job(&mut tx, db.backend(), id).await?;
    if current.state != JobState::AwaitingApproval {
        return Err(JobsError::InvalidTransition {
            from: current.state,
            to: JobState::AwaitingApproval,
        });
    }
    rewrite_plan(&mut tx, &current, plan, &hash, &at, "").await?;
    let mut entry = actor.audit("job.replanned", id.audit_target());
    entry.before = Some(json!({ "plan_hash": current.plan_hash }));
    entry.after = Some(json!({
        "plan_hash": hash,
        "steps": plan.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        "approvals": "void: approvals count for the plan they were given on",
    }));
    tx.record(&entry).await?;
    let job = job_with(&mut tx, id)
        .await?
        .ok_or_else(|| JobsError::Corrupt(format!("job {id} vanished while re-planning")))?;
    commit(tx).await?;
    Ok(job)
}

/// Asks again for approval of failed or stuck job `id` with `plan`, made
/// anew from the live state for this attempt ([`Plan::attempt`] set by the
/// caller): the job awaits approval again, its steps are rewritten (all
/// pending: each is idempotent, so what an earlier attempt applied is not
/// applied twice), and no decision on an earlier attempt counts (its hash
/// differs). A stuck job gives up its environment's lock. Audited
/// `job.retried` (before: state, reason, hash; after: the new hash and
/// attempt), and the approvers are told. A job in any other state gives
/// [`JobsError::InvalidTransition`]; nothing is written.
#[tracing::instrument(skip(db, plan, actor, now), fields(actor = %actor.name))]
pub async fn retry_for_approval(
    db: &Db,
    id: JobId,
    plan: &Plan,
    actor: &Actor,
    now: DateTime<Utc>,
) -> JobsResult<Job> {
    plan.validate()?;
    let hash = plan.hash();
    let at = timestamp(now);
    let mut tx = begin_audited(db).await?;
    let current = super::approval::lock_job(&mut tx, db.backend(), id).await?;
    current.state.check_transition(JobState::AwaitingApproval)?;
    rewrite_plan(
        &mut tx,
        &current,
        plan,
        &hash,
        &at,
        ", state = 'awaiting_approval', reason = NULL, finished_at = NULL, \
         cancel_requested = 0, cancel_requested_by = NULL, lease_owner = NULL, \
         lease_expires_ms = NULL",
    )
    .await?;
    let number = plan.attempt.as_ref().map_or(1, |a| a.number);
    let was = format!(
        "{}{}",
        current.state,
        current
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    );
    super::insert_log(
        &mut tx,
        id,
        super::LogLevel::Info,
        None,
        &format!(
            "retried by {} (attempt {number}, was {was}): planned again from the live state; it waits for approval again",
            actor.name
        ),
        now,
    )
    .await?;
    let mut entry = actor.audit("job.retried", id.audit_target());
    entry.before = Some(json!({
        "state": current.state.as_str(),
        "reason": current.reason,
        "plan_hash": current.plan_hash,
    }));
    entry.after = Some(json!({
        "state": JobState::AwaitingApproval.as_str(),
        "plan_hash": hash,
        "attempt": number,
        "steps": plan.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        "approvals": "void: approvals count for the attempt they were given on",
    }));
    tx.record(&entry).await?;
    let text = format!(
        "Job #{id} ({} on {}) retried by {} after it ended {was}: attempt {number} waits for approval",
        current.kind, current.environment, actor.name
    );
    crate::outbox::record(
        &mut tx,
        id.0,
        current.environment.as_str(),
        "requested",
        &text,
        now,
    )
    .await?;
    let job = job_with(&mut tx, id)
        .await?
        .ok_or_else(|| JobsError::Corrupt(format!("job {id} vanished while retrying")))?;
    commit(tx).await?;
    Ok(job)
}

/// Gives `current` (its row locked, still in its state) `plan` with `hash`,
/// its steps rewritten, all pending from the first; `set` adds assignments
/// to the update (`, state = …`). A plan another open job of the
/// environment has already is refused ([`JobsError::Conflict`]).
async fn rewrite_plan(
    conn: &mut sqlx::AnyConnection,
    current: &Job,
    plan: &Plan,
    hash: &str,
    at: &str,
    set: &str,
) -> JobsResult<()> {
    sqlx::query(&format!(
        "UPDATE jobs SET plan_json = $2, plan_hash = $3, fingerprint = $4, step_count = $5, \
         current_step = 0, updated_at = $6{set} WHERE id = $1 AND state = $7"
    ))
    .bind(current.id.0)
    .bind(to_json_text(plan)?)
    .bind(hash)
    .bind(&plan.fingerprint)
    .bind(plan.steps.len() as i64)
    .bind(at)
    .bind(current.state.as_str())
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            JobsError::Conflict(format!(
                "another open job of {} has exactly this plan",
                current.environment
            ))
        }
        _ => JobsError::Db(e),
    })?;
    sqlx::query("DELETE FROM job_steps WHERE job_id = $1")
        .bind(current.id.0)
        .execute(&mut *conn)
        .await?;
    insert_steps(conn, current.id, plan).await
}
