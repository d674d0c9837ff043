//! The `job_approvals` table: one row per decision, bound to the plan hash
//! it was made on; the unique index `(job_id, subject, plan_hash)` keeps one
//! person to one decision per plan whatever session they use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::rules::{Cast, Decision};
use super::{ApprovalsError, ApprovalsResult};
use crate::db::codec::{from_json, parse_timestamp, timestamp, to_json, Corrupt};
use crate::db::Db;
use crate::jobs::JobId;

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub job_id: JobId,
    pub subject: String,
    pub name: String,
    pub groups: Vec<String>,
    pub decision: Decision,
    pub reason: Option<String>,
    pub plan_hash: String,
    pub at: DateTime<Utc>,
}

impl Approval {
    pub fn cast(&self) -> Cast {
        Cast {
            subject: self.subject.clone(),
            groups: self.groups.clone(),
            decision: self.decision,
            plan_hash: self.plan_hash.clone(),
        }
    }
}

const COLUMNS: &str = "job_id, subject, name, groups_json, decision, reason, plan_hash, at";

/// One `job_approvals` row as stored ([`COLUMNS`]).
#[derive(sqlx::FromRow)]
struct ApprovalRow {
    job_id: i64,
    subject: String,
    name: String,
    groups_json: String,
    decision: String,
    reason: Option<String>,
    plan_hash: String,
    at: String,
}

impl TryFrom<ApprovalRow> for Approval {
    type Error = Corrupt;

    fn try_from(row: ApprovalRow) -> Result<Self, Corrupt> {
        Ok(Approval {
            job_id: JobId(row.job_id),
            subject: row.subject,
            name: row.name,
            groups: from_json("job_approvals.groups_json", &row.groups_json)?,
            decision: Decision::parse(&row.decision).map_err(|_| {
                Corrupt::column("job_approvals.decision", format_args!("{:?}", row.decision))
            })?,
            reason: row.reason,
            plan_hash: row.plan_hash,
            at: parse_timestamp("job_approvals.at", &row.at)?,
        })
    }
}

fn approvals(rows: Vec<ApprovalRow>) -> ApprovalsResult<Vec<Approval>> {
    Ok(rows
        .into_iter()
        .map(Approval::try_from)
        .collect::<Result<_, _>>()?)
}

/// Every decision on job `id`, oldest first.
pub async fn for_job_with(conn: &mut AnyConnection, id: JobId) -> ApprovalsResult<Vec<Approval>> {
    approvals(
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM job_approvals WHERE job_id = $1 ORDER BY id"
        ))
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?,
    )
}

/// [`for_job_with`] on a pooled connection.
pub async fn for_job(db: &Db, id: JobId) -> ApprovalsResult<Vec<Approval>> {
    let mut conn = db.pool().acquire().await?;
    for_job_with(&mut conn, id).await
}

/// Records `approval`; a second decision by the same person on the same
/// plan is refused by the unique index.
pub async fn insert(conn: &mut AnyConnection, approval: &Approval) -> ApprovalsResult<()> {
    sqlx::query(
        "INSERT INTO job_approvals (job_id, subject, name, groups_json, decision, reason, \
         plan_hash, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(approval.job_id.0)
    .bind(&approval.subject)
    .bind(&approval.name)
    .bind(to_json(&approval.groups)?)
    .bind(approval.decision.as_str())
    .bind(approval.reason.as_deref())
    .bind(&approval.plan_hash)
    .bind(timestamp(approval.at))
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            ApprovalsError::Refused("you decided on this request already".into())
        }
        _ => ApprovalsError::Db(e),
    })?;
    Ok(())
}

/// The newest decisions `subject` made (their inbox's history).
pub async fn decided_by(db: &Db, subject: &str, limit: u32) -> ApprovalsResult<Vec<Approval>> {
    approvals(
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM job_approvals WHERE subject = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(subject)
        .bind(i64::from(limit))
        .fetch_all(db.pool())
        .await?,
    )
}
