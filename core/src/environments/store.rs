//! Environment storage: one row per environment, keyed by name; its lists
//! (services, approver groups, freeze windows) as JSON text.
//!
//! Reads take the pool; writes take the caller's transaction, which also holds
//! the change's audit record (see [`super::service`]).

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::model::{
    parse_rds_identifier, ApprovalPolicy, AwsAccountId, AwsRegion, CostTag, EnvName, Environment,
    FreezeMode, RoleArn, SsmPrefix,
};
use crate::db::codec::{
    flag, from_json, number, optional_number, parse_timestamp, timestamp, to_json, Corrupt,
};
use crate::db::Db;
use crate::error::CoreResult;

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
    sqlx::query_as::<_, EnvironmentRow>(&format!(
        "SELECT {COLUMNS} FROM environments ORDER BY name"
    ))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(from_row)
    .collect()
}

pub async fn get(db: &Db, name: &EnvName) -> CoreResult<Option<Environment>> {
    let mut conn = db.pool().acquire().await?;
    get_with(&mut conn, name).await
}

/// One environment, read on `conn` (a transaction's connection).
pub async fn get_with(conn: &mut AnyConnection, name: &EnvName) -> CoreResult<Option<Environment>> {
    sqlx::query_as::<_, EnvironmentRow>(&format!(
        "SELECT {COLUMNS} FROM environments WHERE name = $1"
    ))
    .bind(name.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .map(from_row)
    .transpose()
}

/// Environments whose TTL ran out at or before `now`, soonest-expired first.
pub async fn expired(db: &Db, now: DateTime<Utc>) -> CoreResult<Vec<Environment>> {
    sqlx::query_as::<_, EnvironmentRow>(&format!(
        "SELECT {COLUMNS} FROM environments WHERE expires_at IS NOT NULL AND expires_at <= $1 \
         ORDER BY expires_at, name"
    ))
    .bind(timestamp(now))
    .fetch_all(db.pool())
    .await?
    .into_iter()
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

/// One `environments` row as stored: text and integers, decoded into an
/// [`Environment`] in one place.
#[derive(sqlx::FromRow)]
struct EnvironmentRow {
    name: String,
    production: i64,
    region: String,
    account_id: String,
    role_arn: Option<String>,
    cluster: String,
    services: String,
    database_id: Option<String>,
    ssm_prefix: String,
    cost_tag_key: Option<String>,
    cost_tag_value: Option<String>,
    monthly_budget_cents: Option<i64>,
    required_approvals: i64,
    approver_groups: String,
    approval_distinct_groups: i64,
    approval_expiry_hours: i64,
    approval_reason_required: i64,
    freeze_windows: String,
    weekly_freezes: String,
    freeze_time_zone: String,
    freeze_mode: String,
    ttl_hours: Option<i64>,
    created_at: String,
    updated_at: String,
}

fn corrupt(column: &'static str) -> impl Fn(String) -> Corrupt {
    move |why| Corrupt::column(column, why)
}

impl TryFrom<EnvironmentRow> for Environment {
    type Error = Corrupt;

    fn try_from(row: EnvironmentRow) -> Result<Self, Corrupt> {
        Ok(Environment {
            name: EnvName::parse(&row.name).map_err(corrupt("environments.name"))?,
            production: flag(row.production),
            region: AwsRegion::parse(&row.region).map_err(corrupt("environments.region"))?,
            account_id: AwsAccountId::parse(&row.account_id)
                .map_err(corrupt("environments.account_id"))?,
            role_arn: row
                .role_arn
                .map(|arn| RoleArn::parse(&arn).map_err(corrupt("environments.role_arn")))
                .transpose()?,
            cluster: row.cluster,
            services: from_json("environments.services", &row.services)?,
            database: row
                .database_id
                .map(|id| parse_rds_identifier(&id).map_err(corrupt("environments.database_id")))
                .transpose()?,
            ssm_prefix: SsmPrefix::parse(&row.ssm_prefix)
                .map_err(corrupt("environments.ssm_prefix"))?,
            cost_tag: row
                .cost_tag_key
                .zip(row.cost_tag_value)
                .map(|(key, value)| {
                    CostTag::parse(&key, &value).map_err(corrupt("environments.cost_tag_key"))
                })
                .transpose()?,
            monthly_budget_cents: row.monthly_budget_cents,
            approval: ApprovalPolicy {
                required_approvals: number(
                    "environments.required_approvals",
                    row.required_approvals,
                )?,
                approver_groups: from_json("environments.approver_groups", &row.approver_groups)?,
                distinct_groups: number(
                    "environments.approval_distinct_groups",
                    row.approval_distinct_groups,
                )?,
                expiry_hours: number(
                    "environments.approval_expiry_hours",
                    row.approval_expiry_hours,
                )?,
                reason_required: flag(row.approval_reason_required),
                freeze_windows: from_json("environments.freeze_windows", &row.freeze_windows)?,
                weekly_freezes: from_json("environments.weekly_freezes", &row.weekly_freezes)?,
                time_zone: row.freeze_time_zone,
                freeze_mode: FreezeMode::parse(&row.freeze_mode).map_err(|_| {
                    Corrupt::column(
                        "environments.freeze_mode",
                        format_args!("{:?}", row.freeze_mode),
                    )
                })?,
            },
            ttl_hours: optional_number("environments.ttl_hours", row.ttl_hours)?,
            created_at: parse_timestamp("environments.created_at", &row.created_at)?,
            updated_at: parse_timestamp("environments.updated_at", &row.updated_at)?,
        })
    }
}

fn from_row(row: EnvironmentRow) -> CoreResult<Environment> {
    Ok(Environment::try_from(row)?)
}
