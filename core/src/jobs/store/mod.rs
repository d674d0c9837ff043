//! Job storage: the `jobs`, `job_steps` and `job_logs` tables.
//!
//! - [`enqueue`]: a job, its steps and its `job.requested` audit record in one
//!   transaction (and, on PostgreSQL, the `NOTIFY` that wakes the workers).
//! - [`claim`], [`heartbeat`], [`start_step`], [`finish_step`], [`fail_step`],
//!   [`append_log`], [`finish_job`]: the worker's writes, each fenced by the
//!   lease token its claim returned ([`lease`]).
//! - [`request_cancel`], [`mark_stuck`]: control from outside the worker
//!   ([`control`]).
//! - [`get`], [`list`], [`logs`], [`lock_holder`]: reads, paginated on the
//!   server.
//!
//! Every state transition writes its audit record (target `job:<id>`) in the
//! transaction of the change. Write transactions on SQLite begin with `BEGIN
//! IMMEDIATE` (the database's one write lock, taken up front); on PostgreSQL,
//! row locks come first and the audit append (its advisory lock) last, so
//! that no two transactions wait on each other in opposite orders.

pub mod approval;
mod control;
mod enqueue;
mod lease;
mod read;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, FromRow, Row, Transaction};

pub use control::{mark_stuck, request_cancel, retry, CancelOutcome, StuckPolicy};
pub use enqueue::{enqueue, replace_plan, retry_for_approval, NewJob};
pub use lease::{
    append_log, claim, fail_step, finish_job, finish_step, heartbeat, set_fault, start_step,
    Heartbeat,
};
pub use read::{every, get, job, list, lock_holder, logs, state_counts};

use super::error::{JobsError, JobsResult};
use super::model::{JobId, JobKind, JobState, Plan, StepState};
use crate::audit::{AuditRecord, AuditedTx, NewAuditEntry};
use crate::db::codec::{
    flag, from_json, number, parse_optional_timestamp, parse_timestamp, timestamp, Corrupt,
};
use crate::db::{Backend, Db};
use crate::shared::EnvName;

/// The actor of transitions the engine makes by itself (claims, outcomes,
/// stuck detection).
pub const SYSTEM_ACTOR: &str = "system";

/// The PostgreSQL channel workers `LISTEN` on; the payload is a job id.
pub const NOTIFY_CHANNEL: &str = "gantry_jobs";
/// `NOTIFY` channel of every job log line (PostgreSQL): the event streams'
/// wake-up across replicas (see [`super::notify`]).
pub const PROGRESS_CHANNEL: &str = "gantry_job_progress";

/// The unique index that is the environment's lock (running or stuck jobs).
pub const LOCK_INDEX: &str = "jobs_one_active_per_environment";

/// A step's timeout when its plan step names none.
pub const DEFAULT_STEP_TIMEOUT_SECS: u32 = 30 * 60;

/// Longest stored log line, in characters (longer ones are cut).
pub const MAX_LOG_LINE: usize = 4096;

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub environment: EnvName,
    pub kind: JobKind,
    pub state: JobState,
    pub requested_by: String,
    pub requested_role: Option<String>,
    pub request_id: Option<String>,
    /// The kind's input (image, desired count, parameter names…).
    pub params: serde_json::Value,
    pub plan: Plan,
    pub plan_hash: String,
    /// The position of the next step to run (= the number of steps done).
    pub current_step: usize,
    pub step_count: usize,
    pub lease_owner: Option<String>,
    /// Grows with every claim.
    pub lease_token: i64,
    pub cancel_requested: bool,
    pub cancel_requested_by: Option<String>,
    /// Why the job failed, was cancelled, went stale, stuck or rolled back.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The requester's identity-provider subject (who may never approve it);
    /// `None` for jobs Gantry queued itself or enqueued before subjects were
    /// recorded.
    pub requested_subject: Option<String>,
    /// Why the person asked (shown to approvers).
    pub request_reason: Option<String>,
    /// An admin ran it without approvals.
    pub break_glass: Option<BreakGlass>,
}

impl Job {
    /// When approval of the job's current plan was asked for: its creation,
    /// or the retry that made its plan anew ([`Plan::attempt`]). The
    /// request's expiry counts from here.
    pub fn approval_requested_at(&self) -> DateTime<Utc> {
        self.plan
            .attempt
            .as_ref()
            .map_or(self.created_at, |a| a.requested_at)
    }
}

/// A production change an admin ran without approvals, and its review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlass {
    pub by: String,
    pub subject: String,
    pub reason: String,
    /// The other admin who reviewed it; `None`: on the "needs review" list.
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// A stored step of a job's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStep {
    pub position: usize,
    pub name: String,
    pub action: String,
    pub state: StepState,
    /// How many times the step was started (re-claims and retries included).
    pub attempts: u32,
    pub timeout_secs: u32,
    /// What the runner reported when the step succeeded.
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A job and its steps in plan order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    pub job: Job,
    pub steps: Vec<JobStep>,
}

/// The right to write to a running job, as one claim granted it. Never
/// `Serialize`: it is the worker's, not the browser's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: JobId,
    /// The fencing token: every write checks it.
    pub token: i64,
    pub worker_id: String,
    /// How long each renewal extends the lease (by the database's clock).
    pub duration: std::time::Duration,
}

/// What [`claim`] hands a worker.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub job: Job,
    pub steps: Vec<JobStep>,
    pub lease: Lease,
    /// The job was running under an expired lease (its worker crashed or
    /// stalled): it resumes at its current step.
    pub reclaimed: bool,
}

pub use gantry_wire::LogLevel;

/// One log line of a job; `seq` runs 1, 2, 3, … per job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub level: LogLevel,
    /// The step it belongs to, if any.
    pub position: Option<usize>,
    pub message: String,
}

/// Log lines after `after_seq`, oldest first; `next_after_seq` continues
/// (`None`: this was the last line so far).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogPage {
    pub lines: Vec<LogLine>,
    pub next_after_seq: Option<i64>,
}

/// Which jobs [`list`] returns; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFilter {
    pub environment: Option<EnvName>,
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    pub requested_by: Option<String>,
    /// Only break-glass runs no other admin has reviewed yet.
    #[serde(default)]
    pub unreviewed_break_glass: bool,
}

/// One page of the newest-first list: keyset on the id, so every page costs
/// the same however many jobs there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobPageRequest {
    /// Only jobs older than this id (the previous page's `next_before_id`).
    pub before_id: Option<JobId>,
    /// Clamped to `1..=200`.
    pub limit: u32,
}

impl JobPageRequest {
    pub const MAX_LIMIT: u32 = 200;

    pub fn first(limit: u32) -> Self {
        Self {
            before_id: None,
            limit,
        }
    }
}

impl Default for JobPageRequest {
    fn default() -> Self {
        Self::first(50)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobPage {
    pub jobs: Vec<Job>,
    pub next_before_id: Option<JobId>,
}

// ---- shared helpers -------------------------------------------------------

const JOB_COLUMNS: &str = "id, environment, kind, state, requested_by, requested_role, \
     request_id, params_json, plan_json, plan_hash, current_step, step_count, lease_owner, \
     lease_token, cancel_requested, cancel_requested_by, reason, created_at, started_at, \
     finished_at, updated_at, requested_subject, request_reason, break_glass_by, \
     break_glass_subject, break_glass_reason, reviewed_by, reviewed_at";

const STEP_COLUMNS: &str = "position, name, action, state, attempts, timeout_ms, output_json, \
     error, started_at, finished_at";

/// The database's clock in epoch milliseconds, as SQL: leases never depend
/// on the replicas' clocks.
pub(crate) fn db_now_ms(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "(extract(epoch from clock_timestamp()) * 1000)::bigint",
        Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    }
}

/// A job change and its audit record in one transaction ([`AuditedTx`]:
/// `BEGIN IMMEDIATE` on SQLite, job rows locked with `FOR UPDATE` on
/// PostgreSQL); finish with [`commit`].
async fn begin_audited(db: &Db) -> JobsResult<AuditedTx<'_>> {
    Ok(AuditedTx::begin(db).await?)
}

/// Commits an audited job change and wakes whoever watches jobs.
async fn commit(tx: AuditedTx<'_>) -> JobsResult<AuditRecord> {
    let record = tx.commit().await?;
    super::notify::progressed();
    Ok(record)
}

/// A job write that is not an action and needs no audit record (a log line,
/// a fault): `BEGIN IMMEDIATE` on SQLite (the write lock up front, so a
/// read-then-write never fails to upgrade), a plain one on PostgreSQL.
/// Finish with [`commit_quiet`].
async fn begin_quiet(db: &Db) -> JobsResult<Transaction<'static, Any>> {
    Ok(match db.backend() {
        Backend::Sqlite => db.pool().begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => db.pool().begin().await?,
    })
}

/// Commits a job write that needs no audit record (a log line, a fault).
async fn commit_quiet(tx: Transaction<'static, Any>) -> JobsResult<()> {
    tx.commit().await?;
    super::notify::progressed();
    Ok(())
}

fn system_entry(action: &str, id: JobId, after: serde_json::Value) -> NewAuditEntry {
    let mut entry = NewAuditEntry::new(SYSTEM_ACTOR, action, id.audit_target());
    entry.after = Some(after);
    entry
}

/// A value as canonical JSON text (keys sorted, no whitespace): what the
/// plan hash covers.
fn to_json_text<T: Serialize>(value: &T) -> JobsResult<String> {
    let value = serde_json::to_value(value).map_err(|e| JobsError::Corrupt(e.to_string()))?;
    Ok(super::model::canonical_json(&value))
}

/// One `jobs` row as stored ([`JOB_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    environment: String,
    kind: String,
    state: String,
    requested_by: String,
    requested_role: Option<String>,
    request_id: Option<String>,
    params_json: String,
    plan_json: String,
    plan_hash: String,
    current_step: i64,
    step_count: i64,
    lease_owner: Option<String>,
    lease_token: i64,
    cancel_requested: i64,
    cancel_requested_by: Option<String>,
    reason: Option<String>,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    updated_at: String,
    requested_subject: Option<String>,
    request_reason: Option<String>,
    break_glass_by: Option<String>,
    break_glass_subject: Option<String>,
    break_glass_reason: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
}

impl TryFrom<JobRow> for Job {
    type Error = Corrupt;

    fn try_from(row: JobRow) -> Result<Self, Corrupt> {
        let at = |column: &str, raw: Option<&str>| parse_optional_timestamp(column, raw);
        Ok(Job {
            id: JobId(row.id),
            environment: EnvName::parse(&row.environment)
                .map_err(|e| Corrupt::column("jobs.environment", e))?,
            kind: JobKind::parse(&row.kind).map_err(|e| Corrupt::column("jobs.kind", e))?,
            state: JobState::parse(&row.state).map_err(|e| Corrupt::column("jobs.state", e))?,
            requested_by: row.requested_by,
            requested_role: row.requested_role,
            request_id: row.request_id,
            params: from_json("jobs.params_json", &row.params_json)?,
            plan: from_json("jobs.plan_json", &row.plan_json)?,
            plan_hash: row.plan_hash,
            current_step: number("jobs.current_step", row.current_step)?,
            step_count: number("jobs.step_count", row.step_count)?,
            lease_owner: row.lease_owner,
            lease_token: row.lease_token,
            cancel_requested: flag(row.cancel_requested),
            cancel_requested_by: row.cancel_requested_by,
            reason: row.reason,
            created_at: parse_timestamp("jobs.created_at", &row.created_at)?,
            started_at: at("jobs.started_at", row.started_at.as_deref())?,
            finished_at: at("jobs.finished_at", row.finished_at.as_deref())?,
            updated_at: parse_timestamp("jobs.updated_at", &row.updated_at)?,
            requested_subject: row.requested_subject,
            request_reason: row.request_reason,
            break_glass: match row.break_glass_by {
                None => None,
                Some(by) => Some(BreakGlass {
                    by,
                    subject: row.break_glass_subject.unwrap_or_default(),
                    reason: row.break_glass_reason.unwrap_or_default(),
                    reviewed_by: row.reviewed_by,
                    reviewed_at: at("jobs.reviewed_at", row.reviewed_at.as_deref())?,
                }),
            },
        })
    }
}

/// A job from a row that holds [`JOB_COLUMNS`] (a `RETURNING` list, a join).
fn job_from_row(row: &AnyRow) -> JobsResult<Job> {
    Ok(Job::try_from(JobRow::from_row(row)?)?)
}

/// One `job_steps` row as stored ([`STEP_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct StepRow {
    position: i64,
    name: String,
    action: String,
    state: String,
    attempts: i64,
    timeout_ms: i64,
    output_json: Option<String>,
    error: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
}

impl TryFrom<StepRow> for JobStep {
    type Error = Corrupt;

    fn try_from(row: StepRow) -> Result<Self, Corrupt> {
        Ok(JobStep {
            position: number("job_steps.position", row.position)?,
            name: row.name,
            action: row.action,
            state: StepState::parse(&row.state)
                .map_err(|e| Corrupt::column("job_steps.state", e))?,
            attempts: number("job_steps.attempts", row.attempts)?,
            timeout_secs: number("job_steps.timeout_ms", row.timeout_ms / 1000)?,
            output: row
                .output_json
                .map(|raw| from_json("job_steps.output_json", &raw))
                .transpose()?,
            error: row.error,
            started_at: parse_optional_timestamp(
                "job_steps.started_at",
                row.started_at.as_deref(),
            )?,
            finished_at: parse_optional_timestamp(
                "job_steps.finished_at",
                row.finished_at.as_deref(),
            )?,
        })
    }
}

async fn steps_with(conn: &mut AnyConnection, id: JobId) -> JobsResult<Vec<JobStep>> {
    sqlx::query_as::<_, StepRow>(&format!(
        "SELECT {STEP_COLUMNS} FROM job_steps WHERE job_id = $1 ORDER BY position"
    ))
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| Ok(JobStep::try_from(row)?))
    .collect()
}

async fn job_with(conn: &mut AnyConnection, id: JobId) -> JobsResult<Option<Job>> {
    Ok(
        sqlx::query_as::<_, JobRow>(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?
            .map(Job::try_from)
            .transpose()?,
    )
}

/// Appends a log line on `conn` without checking a lease (the caller holds
/// the job's row: a fenced write, or a control transition).
async fn insert_log(
    conn: &mut AnyConnection,
    id: JobId,
    level: LogLevel,
    position: Option<usize>,
    message: &str,
    now: DateTime<Utc>,
) -> JobsResult<i64> {
    let message: String = message.chars().take(MAX_LOG_LINE).collect();
    let row = sqlx::query(
        "INSERT INTO job_logs (job_id, seq, at, level, position, message) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM job_logs WHERE job_id = $1 \
         RETURNING seq",
    )
    .bind(id.0)
    .bind(timestamp(now))
    .bind(level.as_str())
    .bind(position.map(|p| p as i64))
    .bind(message)
    .fetch_one(&mut *conn)
    .await?;
    if conn.backend_name() == "PostgreSQL" {
        // Delivered when the transaction commits, never for a rolled-back line.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(PROGRESS_CHANNEL)
            .bind(id.0.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(row.try_get("seq")?)
}

/// Marks every step not yet done as skipped (the job ended before them).
async fn skip_remaining_steps(conn: &mut AnyConnection, id: JobId) -> JobsResult<()> {
    sqlx::query("UPDATE job_steps SET state = 'skipped' WHERE job_id = $1 AND state = 'pending'")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether `error` is a violation of the environment's lock (the unique
/// index [`LOCK_INDEX`]), matched by the index's name on PostgreSQL. SQLite
/// reports no constraint name; there the claim's UPDATE (which changes no
/// key) can violate no other unique constraint, so its kind suffices.
fn is_lock_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => match e.constraint() {
            Some(name) => name == LOCK_INDEX,
            None => e.kind() == sqlx::error::ErrorKind::UniqueViolation,
        },
        _ => false,
    }
}
