//! Health storage: one snapshot per environment per poll, and the changes of
//! status between polls.
//!
//! Snapshots are stored whole, as JSON (`body`), beside their overall status
//! and reason; pages read the latest and never call AWS. Transitions are
//! system observations, not user actions: they are kept in their own table,
//! never in the audit log.

use chrono::{DateTime, Utc};

use super::model::HealthStatus;
use super::snapshot::{EnvironmentSnapshot, HealthTransition};
use crate::db::codec::{from_json, parse_timestamp, timestamp, to_json, Corrupt};
use crate::db::Db;
use crate::error::CoreResult;

/// The subject of an environment's overall status in [`HealthTransition`]s.
pub const ENVIRONMENT_SUBJECT: &str = "environment";
/// The subject of the environment's database.
pub const DATABASE_SUBJECT: &str = "database";

/// The subject of service `name`: `service:<name>`.
pub fn service_subject(name: &str) -> String {
    format!("service:{name}")
}

/// Stores `snapshot` and the transitions since `previous` (the environment's
/// last stored snapshot, `None` on its first poll) in one transaction, and
/// prunes the environment's snapshots polled more than `retention` before
/// this one, always keeping this one. Returns the transitions written.
#[tracing::instrument(skip_all, fields(environment = %snapshot.environment))]
pub async fn save(
    db: &Db,
    snapshot: &EnvironmentSnapshot,
    previous: Option<&EnvironmentSnapshot>,
    retention: chrono::Duration,
) -> CoreResult<Vec<HealthTransition>> {
    let body = to_json(snapshot)?;
    let transitions = diff(previous, snapshot);
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO health_snapshots (environment, polled_at, status, reason, body) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&snapshot.environment)
    .bind(timestamp(snapshot.polled_at))
    .bind(snapshot.overall.status.as_str())
    .bind(&snapshot.overall.reason)
    .bind(&body)
    .fetch_one(&mut *tx)
    .await?;
    for t in &transitions {
        sqlx::query(
            "INSERT INTO health_transitions (environment, subject, from_status, to_status, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&t.environment)
        .bind(&t.subject)
        .bind(t.from.map(HealthStatus::as_str))
        .bind(t.to.as_str())
        .bind(&t.reason)
        .bind(timestamp(t.at))
        .execute(&mut *tx)
        .await?;
    }
    let pruned = sqlx::query(
        "DELETE FROM health_snapshots WHERE environment = $1 AND polled_at < $2 AND id <> $3",
    )
    .bind(&snapshot.environment)
    .bind(timestamp(snapshot.polled_at - retention))
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    if pruned > 0 {
        tracing::debug!(pruned, "pruned old health snapshots");
    }
    Ok(transitions)
}

/// Deletes the status transitions recorded before `transitions_before`, and
/// every snapshot and transition of an environment that no longer exists
/// (`environments`: those that do). One transaction. Returns the rows deleted.
pub async fn prune_history(
    db: &Db,
    transitions_before: DateTime<Utc>,
    environments: &[String],
) -> CoreResult<u64> {
    let mut tx = db.pool().begin().await?;
    let mut pruned = sqlx::query("DELETE FROM health_transitions WHERE at < $1")
        .bind(timestamp(transitions_before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT environment FROM health_snapshots UNION SELECT environment FROM health_transitions",
    )
    .fetch_all(&mut *tx)
    .await?;
    for gone in stored.iter().filter(|e| !environments.contains(e)) {
        for table in ["health_snapshots", "health_transitions"] {
            pruned += sqlx::query(&format!("DELETE FROM {table} WHERE environment = $1"))
                .bind(gone)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
    }
    tx.commit().await?;
    Ok(pruned)
}

/// The changes of status from `previous` to `current`: the environment
/// overall, each service (`service:<name>`) and the database, in that order.
/// Without a previous snapshot every subject starts from `None`. A subject
/// that is new (a service added) starts from `None`; one that is gone (a
/// service removed) gets no transition.
pub fn diff(
    previous: Option<&EnvironmentSnapshot>,
    current: &EnvironmentSnapshot,
) -> Vec<HealthTransition> {
    let mut out = Vec::new();
    let mut push = |subject: String, from: Option<HealthStatus>, to: HealthStatus, reason: &str| {
        if from != Some(to) {
            out.push(HealthTransition {
                environment: current.environment.clone(),
                subject,
                from,
                to,
                reason: reason.to_owned(),
                at: current.polled_at,
            });
        }
    };
    push(
        ENVIRONMENT_SUBJECT.to_owned(),
        previous.map(|p| p.overall.status),
        current.overall.status,
        &current.overall.reason,
    );
    for service in &current.services {
        let from = previous
            .and_then(|p| p.services.iter().find(|s| s.name == service.name))
            .map(|s| s.health.overall.status);
        push(
            service_subject(&service.name),
            from,
            service.health.overall.status,
            &service.health.overall.reason,
        );
    }
    if let Some(db) = &current.database {
        let from = previous
            .and_then(|p| p.database.as_ref())
            .map(|d| d.health.status);
        push(
            DATABASE_SUBJECT.to_owned(),
            from,
            db.health.status,
            &db.health.reason,
        );
    }
    out
}

/// The newest snapshot of `environment`.
pub async fn latest(db: &Db, environment: &str) -> CoreResult<Option<EnvironmentSnapshot>> {
    sqlx::query_scalar::<_, String>(
        "SELECT body FROM health_snapshots WHERE environment = $1 \
         ORDER BY polled_at DESC, id DESC LIMIT 1",
    )
    .bind(environment)
    .fetch_optional(db.pool())
    .await?
    .map(|body| snapshot_from_body(&body))
    .transpose()
}

/// The newest snapshot of every environment that has one, by environment
/// name, in one query.
pub async fn latest_all(db: &Db) -> CoreResult<Vec<EnvironmentSnapshot>> {
    sqlx::query_scalar::<_, String>(
        "SELECT s.body FROM health_snapshots s WHERE NOT EXISTS ( \
             SELECT 1 FROM health_snapshots t WHERE t.environment = s.environment \
             AND (t.polled_at > s.polled_at OR (t.polled_at = s.polled_at AND t.id > s.id))) \
         ORDER BY s.environment",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|body| snapshot_from_body(body))
    .collect()
}

/// The newest `limit` transitions of `environment`, newest first.
pub async fn transitions(
    db: &Db,
    environment: &str,
    limit: u32,
) -> CoreResult<Vec<HealthTransition>> {
    sqlx::query_as::<_, TransitionRow>(
        "SELECT environment, subject, from_status, to_status, reason, at FROM health_transitions \
         WHERE environment = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(environment)
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|row| Ok(HealthTransition::try_from(row)?))
    .collect()
}

/// How many snapshots of `environment` are stored.
pub async fn snapshot_count(db: &Db, environment: &str) -> CoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) AS n FROM health_snapshots WHERE environment = $1")
            .bind(environment)
            .fetch_one(db.pool())
            .await?,
    )
}

fn snapshot_from_body(body: &str) -> CoreResult<EnvironmentSnapshot> {
    Ok(from_json("health_snapshots.body", body)?)
}

/// One `health_transitions` row as stored.
#[derive(sqlx::FromRow)]
struct TransitionRow {
    environment: String,
    subject: String,
    from_status: Option<String>,
    to_status: String,
    reason: String,
    at: String,
}

impl TryFrom<TransitionRow> for HealthTransition {
    type Error = Corrupt;

    fn try_from(row: TransitionRow) -> Result<Self, Corrupt> {
        let status = |column: &str, raw: &str| {
            HealthStatus::parse(raw)
                .map_err(|_| Corrupt::column(column, format_args!("unknown status {raw:?}")))
        };
        Ok(HealthTransition {
            environment: row.environment,
            subject: row.subject,
            from: row
                .from_status
                .as_deref()
                .map(|f| status("health_transitions.from_status", f))
                .transpose()?,
            to: status("health_transitions.to_status", &row.to_status)?,
            reason: row.reason,
            at: parse_timestamp("health_transitions.at", &row.at)?,
        })
    }
}
