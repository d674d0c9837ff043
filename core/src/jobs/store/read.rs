//! Reads: one job with its steps, the paginated list, the paginated log, an
//! environment's lock.

use super::{
    job_from_row, job_with, steps_with, Job, JobDetail, JobFilter, JobPage, JobPageRequest,
    LogLevel, LogLine, LogPage, JOB_COLUMNS,
};
use crate::db::codec::parse_timestamp;
use crate::db::sql::Sql;
use crate::db::Db;
use crate::jobs::error::{JobsError, JobsResult};
use crate::jobs::model::JobId;
use crate::shared::EnvName;

/// Job `id` and its steps, or [`JobsError::NotFound`].
pub async fn get(db: &Db, id: JobId) -> JobsResult<JobDetail> {
    let mut conn = db.pool().acquire().await?;
    let job = job_with(&mut conn, id)
        .await?
        .ok_or(JobsError::NotFound(id))?;
    let steps = steps_with(&mut conn, id).await?;
    Ok(JobDetail { job, steps })
}

/// Job `id` alone (no steps), or [`JobsError::NotFound`]: what a poll of
/// its progress reads.
pub async fn job(db: &Db, id: JobId) -> JobsResult<super::Job> {
    let mut conn = db.pool().acquire().await?;
    job_with(&mut conn, id)
        .await?
        .ok_or(JobsError::NotFound(id))
}

/// Jobs matching `filter`, newest first, a page at a time (keyset on the id:
/// every page costs the same however many jobs there are).
/// Every job `filter` selects, newest first, read page by page (keyset on
/// the id, [`JobPageRequest::MAX_LIMIT`] at a time): what the sweeps go
/// through, however many jobs there are.
pub async fn every(db: &Db, filter: &JobFilter) -> JobsResult<Vec<Job>> {
    let mut all = Vec::new();
    let mut page = JobPageRequest::first(JobPageRequest::MAX_LIMIT);
    loop {
        let JobPage {
            jobs,
            next_before_id,
        } = list(db, filter, &page).await?;
        all.extend(jobs);
        match next_before_id {
            Some(before) => page.before_id = Some(before),
            None => return Ok(all),
        }
    }
}

pub async fn list(db: &Db, filter: &JobFilter, page: &JobPageRequest) -> JobsResult<JobPage> {
    let limit = page.limit.clamp(1, JobPageRequest::MAX_LIMIT) as usize;
    let before = page.before_id.map(|id| id.0);
    if let Some(before) = before {
        if before < 1 {
            return Err(JobsError::Validation(format!(
                "before_id must be a job id, not {before}"
            )));
        }
    }
    let mut sql = Sql::new(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE 1 = 1"));
    if let Some(environment) = &filter.environment {
        sql.push(" AND environment = ")
            .push_bind(environment.as_str());
    }
    if let Some(kind) = filter.kind {
        sql.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(state) = filter.state {
        sql.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(requested_by) = &filter.requested_by {
        sql.push(" AND requested_by = ")
            .push_bind(requested_by.as_str());
    }
    if filter.unreviewed_break_glass {
        sql.push(" AND break_glass_by IS NOT NULL AND reviewed_by IS NULL");
    }
    if let Some(before) = before {
        sql.push(" AND id < ").push_bind(before);
    }
    sql.push(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
    let (sql, args) = sql.into_parts()?;
    let rows = sqlx::query_with(&sql, args).fetch_all(db.pool()).await?;
    let mut jobs = rows
        .iter()
        .map(job_from_row)
        .collect::<JobsResult<Vec<_>>>()?;
    let next_before_id = if jobs.len() > limit {
        jobs.truncate(limit);
        jobs.last().map(|job| job.id)
    } else {
        None
    };
    Ok(JobPage {
        jobs,
        next_before_id,
    })
}

/// Log lines of job `id` after `after_seq` (0: from the start), oldest
/// first, at most `limit` (clamped to `1..=1000`).
pub async fn logs(db: &Db, id: JobId, after_seq: i64, limit: u32) -> JobsResult<LogPage> {
    let limit = i64::from(limit.clamp(1, 1000));
    let rows: Vec<(i64, String, String, Option<i64>, String)> = sqlx::query_as(
        "SELECT seq, at, level, position, message FROM job_logs \
         WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(id.0)
    .bind(after_seq)
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    if rows.is_empty() {
        // Tell an unknown job from one without (new) lines.
        let mut conn = db.pool().acquire().await?;
        job_with(&mut conn, id)
            .await?
            .ok_or(JobsError::NotFound(id))?;
    }
    let mut lines = rows
        .into_iter()
        .map(|(seq, at, level, position, message)| {
            Ok(LogLine {
                seq,
                at: parse_timestamp("job_logs.at", &at)?,
                level: LogLevel::parse(&level)
                    .map_err(|_| JobsError::Corrupt(format!("job_logs.level {level:?}")))?,
                position: position.map(|p| usize::try_from(p).unwrap_or_default()),
                message,
            })
        })
        .collect::<JobsResult<Vec<_>>>()?;
    let more = lines.len() as i64 > limit;
    lines.truncate(limit as usize);
    Ok(LogPage {
        next_after_seq: if more {
            lines.last().map(|l| l.seq)
        } else {
            None
        },
        lines,
    })
}

/// The job holding `environment`'s lock (running or stuck), if any.
pub async fn lock_holder(db: &Db, environment: &EnvName) -> JobsResult<Option<super::Job>> {
    sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE environment = $1 AND state IN ('running', 'stuck')"
    ))
    .bind(environment.as_str())
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(job_from_row)
    .transpose()
}

/// How many jobs are in each state (states with none left out), for
/// `/metrics`: stuck jobs are counted there.
pub async fn state_counts(db: &Db) -> JobsResult<Vec<(crate::jobs::model::JobState, i64)>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
            .fetch_all(db.pool())
            .await?;
    rows.into_iter()
        .map(|(state, n)| {
            let state = crate::jobs::model::JobState::parse(&state)
                .map_err(|e| JobsError::Corrupt(e.to_string()))?;
            Ok((state, n))
        })
        .collect()
}
