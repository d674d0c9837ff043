//! The transitions approvals make, inside the approvals area's transaction
//! (which holds the job's row): an approved job queued, a rejected or
//! expired one ended, a break-glass run, its review. Each is a conditional
//! UPDATE on the job's current state, so two decisions racing (two replicas,
//! the same instant) queue the job once: the second finds it no longer
//! awaiting approval.

use chrono::{DateTime, Utc};

use super::{insert_log, job_with, skip_remaining_steps, Job, NOTIFY_CHANNEL};
use crate::db::codec::timestamp;
use crate::db::{Backend, Db};
use crate::jobs::error::{JobsError, JobsResult};
use crate::jobs::model::JobId;
use crate::jobs::store::LogLevel;
use sqlx::AnyConnection;

/// Job `id`, its row locked until the transaction ends (PostgreSQL `FOR
/// UPDATE`; SQLite's write transaction holds the whole database).
pub async fn lock_job(conn: &mut AnyConnection, backend: Backend, id: JobId) -> JobsResult<Job> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
    }
    job_with(conn, id).await?.ok_or(JobsError::NotFound(id))
}

async fn notify(conn: &mut AnyConnection, backend: Backend, id: JobId) -> JobsResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(NOTIFY_CHANNEL)
            .bind(id.0.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Queues job `id` if it is still awaiting approval; `false` when it no
/// longer was (decided meanwhile). The workers are woken by `NOTIFY` on
/// PostgreSQL (delivered on commit) and by the caller in process.
pub async fn queue_approved(
    conn: &mut AnyConnection,
    db: &Db,
    id: JobId,
    note: &str,
    now: DateTime<Utc>,
) -> JobsResult<bool> {
    let at = timestamp(now);
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', updated_at = $2 \
         WHERE id = $1 AND state = 'awaiting_approval' RETURNING id",
    )
    .bind(id.0)
    .bind(&at)
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if done {
        insert_log(conn, id, LogLevel::Info, None, note, now).await?;
        notify(conn, db.backend(), id).await?;
    }
    Ok(done)
}

/// Ends job `id` (awaiting approval) as cancelled with `reason` (a
/// rejection, an expiry); `false` when it was no longer awaiting approval.
pub async fn end_unapproved(
    conn: &mut AnyConnection,
    id: JobId,
    reason: &str,
    now: DateTime<Utc>,
) -> JobsResult<bool> {
    let at = timestamp(now);
    let done = sqlx::query(
        "UPDATE jobs SET state = 'cancelled', reason = $2, finished_at = $3, updated_at = $3 \
         WHERE id = $1 AND state = 'awaiting_approval' RETURNING id",
    )
    .bind(id.0)
    .bind(reason)
    .bind(&at)
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if done {
        skip_remaining_steps(conn, id).await?;
        insert_log(conn, id, LogLevel::Warn, None, reason, now).await?;
    }
    Ok(done)
}

/// Records a break-glass run of job `id` by an admin and queues it; `false`
/// when it was no longer awaiting approval.
pub async fn break_glass(
    conn: &mut AnyConnection,
    db: &Db,
    id: JobId,
    (by, subject): (&str, &str),
    reason: &str,
    now: DateTime<Utc>,
) -> JobsResult<bool> {
    let at = timestamp(now);
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', break_glass_by = $2, break_glass_subject = $3, \
         break_glass_reason = $4, updated_at = $5 \
         WHERE id = $1 AND state = 'awaiting_approval' RETURNING id",
    )
    .bind(id.0)
    .bind(by)
    .bind(subject)
    .bind(reason)
    .bind(&at)
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if done {
        insert_log(
            conn,
            id,
            LogLevel::Warn,
            None,
            &format!("break-glass by {by}, without approvals: {reason}"),
            now,
        )
        .await?;
        notify(conn, db.backend(), id).await?;
    }
    Ok(done)
}

/// Marks job `id`'s break-glass as reviewed by `by`; `false` when it has
/// none or was reviewed already.
pub async fn mark_reviewed(
    conn: &mut AnyConnection,
    id: JobId,
    by: &str,
    now: DateTime<Utc>,
) -> JobsResult<bool> {
    let at = timestamp(now);
    Ok(sqlx::query(
        "UPDATE jobs SET reviewed_by = $2, reviewed_at = $3, updated_at = $3 \
         WHERE id = $1 AND break_glass_by IS NOT NULL AND reviewed_by IS NULL RETURNING id",
    )
    .bind(id.0)
    .bind(by)
    .bind(&at)
    .fetch_optional(&mut *conn)
    .await?
    .is_some())
}
