//! The `job_approvals` table: one row per decision, bound to the plan hash
//! it was made on; the unique index `(job_id, subject, plan_hash)` keeps one
//! person to one decision per plan whatever session they use.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use super::rules::{Cast, Decision};
use super::{ApprovalsError, ApprovalsResult};
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

fn from_row(row: &sqlx::any::AnyRow) -> ApprovalsResult<Approval> {
    let corrupt = |what: String| ApprovalsError::Validation(format!("stored approval: {what}"));
    let decision: String = row.try_get("decision")?;
    let groups: String = row.try_get("groups_json")?;
    let at: String = row.try_get("at")?;
    Ok(Approval {
        job_id: JobId(row.try_get("job_id")?),
        subject: row.try_get("subject")?,
        name: row.try_get("name")?,
        groups: serde_json::from_str(&groups).map_err(|e| corrupt(e.to_string()))?,
        decision: Decision::parse(&decision).ok_or_else(|| corrupt(decision.clone()))?,
        reason: row.try_get("reason")?,
        plan_hash: row.try_get("plan_hash")?,
        at: DateTime::parse_from_rfc3339(&at)
            .map_err(|e| corrupt(e.to_string()))?
            .to_utc(),
    })
}

/// Every decision on job `id`, oldest first.
pub async fn for_job_with(conn: &mut AnyConnection, id: JobId) -> ApprovalsResult<Vec<Approval>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM job_approvals WHERE job_id = $1 ORDER BY id"
    ))
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
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
    .bind(serde_json::to_string(&approval.groups).unwrap_or_else(|_| "[]".into()))
    .bind(approval.decision.as_str())
    .bind(approval.reason.as_deref())
    .bind(&approval.plan_hash)
    .bind(approval.at.to_rfc3339_opts(SecondsFormat::Millis, true))
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
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM job_approvals WHERE subject = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(subject)
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}
