//! Environment storage: one row per environment, keyed by name; its lists
//! (services, approver groups, freeze windows) as JSON text.
//!
//! Reads take the pool; writes take the caller's transaction, which also holds
//! the change's audit record (see [`super::service`]).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::{
    parse_rds_identifier, ApprovalPolicy, AwsAccountId, AwsRegion, CostTag, EnvName, Environment,
    RoleArn, SsmPrefix,
};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};

const COLUMNS: &str = "name, production, region, account_id, role_arn, cluster, services, \
     database_id, ssm_prefix, cost_tag_key, cost_tag_value, monthly_budget_cents, required_approvals, \
     approver_groups, approval_expiry_hours, approval_reason_required, freeze_windows, \
     ttl_hours, created_at, updated_at, approval_distinct_groups, weekly_freezes, \
     freeze_time_zone, freeze_mode";

/// Every environment, by name.
pub async fn list(db: &Db) -> CoreResult<Vec<Environment>> {
    let mut conn = db.pool().acquire().await?;
    list_with(&mut conn).await
}

pub async fn list_with(conn: &mut AnyConnection) -> CoreResult<Vec<Environment>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM environments ORDER BY name"))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn get(db: &Db, name: &EnvName) -> CoreResult<Option<Environment>> {
    let mut conn = db.pool().acquire().await?;
    get_with(&mut conn, name).await
}

/// One environment, read on `conn` (a transaction's connection).
pub async fn get_with(conn: &mut AnyConnection, name: &EnvName) -> CoreResult<Option<Environment>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM environments WHERE name = $1"
    ))
    .bind(name.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Environments whose TTL ran out at or before `now`, soonest-expired first.
pub async fn expired(db: &Db, now: DateTime<Utc>) -> CoreResult<Vec<Environment>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM environments WHERE expires_at IS NOT NULL AND expires_at <= $1 \
         ORDER BY expires_at, name"
    ))
    .bind(timestamp(now))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Inserts the environment, or replaces every setting of the one with its
/// name (keeping the stored `created_at`). Refused with
/// [`CoreError::Invalid`](crate::CoreError::Invalid) naming both when it
/// overlaps another environment ([`super::overlap`]): every path that saves
/// one (the settings form, the config seed, a new preview) comes here.
pub async fn upsert(conn: &mut AnyConnection, env: &Environment) -> CoreResult<()> {
    for other in list_with(conn).await? {
        if let Some(why) = super::overlap::overlap(env, &other) {
            return Err(crate::CoreError::Invalid(why));
        }
    }
    sqlx::query(
        "INSERT INTO environments (name, production, region, account_id, role_arn, cluster, \
         services, ssm_prefix, cost_tag_key, cost_tag_value, monthly_budget_cents, \
         required_approvals, approver_groups, approval_expiry_hours, approval_reason_required, \
         freeze_windows, ttl_hours, expires_at, created_at, updated_at, database_id, \
         approval_distinct_groups, weekly_freezes, freeze_time_zone, freeze_mode) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) \
         ON CONFLICT (name) DO UPDATE SET production = excluded.production, \
         region = excluded.region, account_id = excluded.account_id, \
         role_arn = excluded.role_arn, cluster = excluded.cluster, services = excluded.services, \
         ssm_prefix = excluded.ssm_prefix, cost_tag_key = excluded.cost_tag_key, \
         cost_tag_value = excluded.cost_tag_value, \
         monthly_budget_cents = excluded.monthly_budget_cents, \
         required_approvals = excluded.required_approvals, \
         approver_groups = excluded.approver_groups, \
         approval_expiry_hours = excluded.approval_expiry_hours, \
         approval_reason_required = excluded.approval_reason_required, \
         freeze_windows = excluded.freeze_windows, ttl_hours = excluded.ttl_hours, \
         expires_at = excluded.expires_at, updated_at = excluded.updated_at, \
         database_id = excluded.database_id, \
         approval_distinct_groups = excluded.approval_distinct_groups, \
         weekly_freezes = excluded.weekly_freezes, freeze_time_zone = excluded.freeze_time_zone, \
         freeze_mode = excluded.freeze_mode",
    )
    .bind(env.name.as_str())
    .bind(i64::from(env.production))
    .bind(env.region.as_str())
    .bind(env.account_id.as_str())
    .bind(env.role_arn.as_ref().map(RoleArn::as_str))
    .bind(&env.cluster)
    .bind(to_json(&env.services)?)
    .bind(env.ssm_prefix.as_str())
    .bind(env.cost_tag.as_ref().map(|t| t.key.as_str()))
    .bind(env.cost_tag.as_ref().map(|t| t.value.as_str()))
    .bind(env.monthly_budget_cents)
    .bind(i64::from(env.approval.required_approvals))
    .bind(to_json(&env.approval.approver_groups)?)
    .bind(i64::from(env.approval.expiry_hours))
    .bind(i64::from(env.approval.reason_required))
    .bind(to_json(&env.approval.freeze_windows)?)
    .bind(env.ttl_hours.map(i64::from))
    .bind(env.expires_at().map(timestamp))
    .bind(timestamp(env.created_at))
    .bind(timestamp(env.updated_at))
    .bind(env.database.as_deref())
    .bind(i64::from(env.approval.distinct_groups))
    .bind(to_json(&env.approval.weekly_freezes)?)
    .bind(&env.approval.time_zone)
    .bind(env.approval.freeze_mode.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes the environment; whether there was one.
pub async fn delete(conn: &mut AnyConnection, name: &EnvName) -> CoreResult<bool> {
    let result = sqlx::query("DELETE FROM environments WHERE name = $1")
        .bind(name.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// `2026-11-25T09:30:00.123Z`: fixed width, so text order is time order.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_timestamp(column: &str, raw: &str) -> CoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| CoreError::Corrupt(format!("environments.{column} {raw:?}: {e}")))
}

fn to_json<T: Serialize>(value: &T) -> CoreResult<String> {
    serde_json::to_string(value).map_err(|e| CoreError::Corrupt(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(column: &str, raw: &str) -> CoreResult<T> {
    serde_json::from_str(raw).map_err(|e| CoreError::Corrupt(format!("environments.{column}: {e}")))
}

fn corrupt(column: &str) -> impl Fn(String) -> CoreError + '_ {
    move |e| CoreError::Corrupt(format!("environments.{column}: {e}"))
}

fn number<T: TryFrom<i64>>(row: &AnyRow, column: &str) -> CoreResult<T> {
    let value: i64 = row.try_get(column)?;
    T::try_from(value)
        .map_err(|_| CoreError::Corrupt(format!("environments.{column}: {value} is out of range")))
}

fn from_row(row: &AnyRow) -> CoreResult<Environment> {
    let text = |column: &str| -> CoreResult<String> { Ok(row.try_get(column)?) };
    let role_arn: Option<String> = row.try_get("role_arn")?;
    let cost_tag_key: Option<String> = row.try_get("cost_tag_key")?;
    let cost_tag_value: Option<String> = row.try_get("cost_tag_value")?;
    let ttl_hours: Option<i64> = row.try_get("ttl_hours")?;
    Ok(Environment {
        name: EnvName::parse(&text("name")?).map_err(corrupt("name"))?,
        production: row.try_get::<i64, _>("production")? != 0,
        region: AwsRegion::parse(&text("region")?).map_err(corrupt("region"))?,
        account_id: AwsAccountId::parse(&text("account_id")?).map_err(corrupt("account_id"))?,
        role_arn: role_arn
            .map(|arn| RoleArn::parse(&arn).map_err(corrupt("role_arn")))
            .transpose()?,
        cluster: text("cluster")?,
        services: from_json("services", &text("services")?)?,
        database: row
            .try_get::<Option<String>, _>("database_id")?
            .map(|id| parse_rds_identifier(&id).map_err(corrupt("database_id")))
            .transpose()?,
        ssm_prefix: SsmPrefix::parse(&text("ssm_prefix")?).map_err(corrupt("ssm_prefix"))?,
        cost_tag: cost_tag_key
            .zip(cost_tag_value)
            .map(|(key, value)| CostTag::parse(&key, &value).map_err(corrupt("cost_tag_key")))
            .transpose()?,
        monthly_budget_cents: row.try_get("monthly_budget_cents")?,
        approval: ApprovalPolicy {
            required_approvals: number(row, "required_approvals")?,
            approver_groups: from_json("approver_groups", &text("approver_groups")?)?,
            distinct_groups: number(row, "approval_distinct_groups")?,
            expiry_hours: number(row, "approval_expiry_hours")?,
            reason_required: row.try_get::<i64, _>("approval_reason_required")? != 0,
            freeze_windows: from_json("freeze_windows", &text("freeze_windows")?)?,
            weekly_freezes: from_json("weekly_freezes", &text("weekly_freezes")?)?,
            time_zone: text("freeze_time_zone")?,
            freeze_mode: crate::environments::model::FreezeMode::parse(&text("freeze_mode")?)
                .ok_or_else(|| CoreError::Corrupt("environments.freeze_mode".into()))?,
        },
        ttl_hours: ttl_hours
            .map(|h| {
                u32::try_from(h)
                    .map_err(|_| CoreError::Corrupt(format!("environments.ttl_hours: {h}")))
            })
            .transpose()?,
        created_at: parse_timestamp("created_at", &text("created_at")?)?,
        updated_at: parse_timestamp("updated_at", &text("updated_at")?)?,
    })
}
