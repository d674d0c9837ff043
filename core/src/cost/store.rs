//! Cost storage: the ingested window (daily and monthly rows, forecasts), and
//! the refresh log. A refresh replaces the whole window in one transaction, so
//! a reader sees the previous data or the new, never a mix.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::model::{CostMetric, ForecastSource, YearMonth};
use crate::db::codec::{flag, parse_optional_timestamp, parse_timestamp, timestamp, Corrupt};
use crate::db::sql::Sql;
use crate::db::Db;
use crate::error::CoreResult;

/// Rows per INSERT statement (4-5 parameters each; far below SQLite's and
/// PostgreSQL's parameter limits).
const BATCH: usize = 200;

/// One Cost Explorer group of one day: service × tag value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyRow {
    pub day: NaiveDate,
    pub service: String,
    /// The cost-allocation tag's value; empty = untagged.
    pub tag: String,
    pub amount_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyRow {
    pub month: YearMonth,
    pub service: String,
    pub tag: String,
    pub amount_micros: i64,
    /// Cost Explorer marks the current month's figures as estimated.
    pub estimated: bool,
}

/// Cost Explorer's forecast of a whole month for one tag value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastRow {
    pub month: YearMonth,
    pub tag: String,
    pub amount_micros: i64,
}

/// Everything one refresh stores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub daily: Vec<DailyRow>,
    pub monthly: Vec<MonthlyRow>,
    pub forecasts: Vec<ForecastRow>,
}

impl Window {
    /// The window Cost Explorer answers for these daily figures: duplicate
    /// (day, service, tag) rows summed, and each month's sum per service and
    /// tag as its monthly row, `open`'s marked estimated (its bill is not
    /// final). For synthetic data: tests, benchmarks.
    pub fn from_daily(daily: impl IntoIterator<Item = DailyRow>, open: YearMonth) -> Window {
        let daily = sum_daily(daily);
        let mut months: BTreeMap<(YearMonth, String, String), i64> = BTreeMap::new();
        for r in &daily {
            *months
                .entry((YearMonth::of(r.day), r.service.clone(), r.tag.clone()))
                .or_default() += r.amount_micros;
        }
        Window {
            daily,
            monthly: months
                .into_iter()
                .map(|((month, service, tag), amount_micros)| MonthlyRow {
                    month,
                    service,
                    tag,
                    amount_micros,
                    estimated: month == open,
                })
                .collect(),
            forecasts: Vec::new(),
        }
    }

    /// The last day with data.
    pub fn data_through(&self) -> Option<NaiveDate> {
        self.daily.iter().map(|r| r.day).max()
    }

    /// Distinct days.
    pub fn days(&self) -> usize {
        let mut days: Vec<NaiveDate> = self.daily.iter().map(|r| r.day).collect();
        days.sort_unstable();
        days.dedup();
        days.len()
    }

    pub fn rows(&self) -> usize {
        self.daily.len() + self.monthly.len() + self.forecasts.len()
    }
}

/// One row per (day, service, tag), in that order: duplicates summed.
pub fn sum_daily(rows: impl IntoIterator<Item = DailyRow>) -> Vec<DailyRow> {
    let mut days: BTreeMap<(NaiveDate, String, String), i64> = BTreeMap::new();
    for r in rows {
        *days.entry((r.day, r.service, r.tag)).or_default() += r.amount_micros;
    }
    days.into_iter()
        .map(|((day, service, tag), amount_micros)| DailyRow {
            day,
            service,
            tag,
            amount_micros,
        })
        .collect()
}

/// A row of the refresh log.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshRecord {
    pub id: i64,
    pub trigger: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `ok` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub upstream_requests: i64,
    pub metric: CostMetric,
    pub tag_key: String,
    pub data_through: Option<NaiveDate>,
    pub days: i64,
    pub rows: i64,
    pub forecast_source: Option<ForecastSource>,
}

/// Logs the start of a refresh; returns its id.
pub async fn start_refresh(
    db: &Db,
    trigger: &str,
    metric: CostMetric,
    tag_key: &str,
    at: DateTime<Utc>,
) -> CoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cost_refreshes (triggered_by, started_at, status, metric, tag_key) \
         VALUES ($1, $2, 'running', $3, $4) RETURNING id",
    )
    .bind(trigger)
    .bind(timestamp(at))
    .bind(metric.as_str())
    .bind(tag_key)
    .fetch_one(db.pool())
    .await?;
    Ok(id)
}

/// Marks refresh `id` failed with a reason a person can act on. The stored
/// window is untouched.
pub async fn fail_refresh(
    db: &Db,
    id: i64,
    error: &str,
    upstream_requests: u64,
    at: DateTime<Utc>,
) -> CoreResult<()> {
    sqlx::query(
        "UPDATE cost_refreshes SET status = 'failed', error = $1, upstream_requests = $2, finished_at = $3 \
         WHERE id = $4",
    )
    .bind(error)
    .bind(i64::try_from(upstream_requests).unwrap_or(i64::MAX))
    .bind(timestamp(at))
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Replaces the stored window with `window` and marks refresh `id` ok, in one
/// transaction.
#[tracing::instrument(skip_all, fields(refresh = id, rows = window.rows()))]
pub async fn replace_window(
    db: &Db,
    id: i64,
    window: &Window,
    forecast_source: Option<ForecastSource>,
    upstream_requests: u64,
    at: DateTime<Utc>,
) -> CoreResult<()> {
    let mut tx = db.pool().begin().await?;
    for table in ["cost_daily", "cost_monthly", "cost_forecasts"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    for chunk in window.daily.chunks(BATCH) {
        let mut sql = Sql::new("INSERT INTO cost_daily (day, service, tag, amount_micros) VALUES ");
        sql.push_values(chunk, |row, r| {
            row.bind(r.day.to_string())
                .bind(r.service.as_str())
                .bind(r.tag.as_str())
                .bind(r.amount_micros);
        });
        let (sql, args) = sql.into_parts()?;
        sqlx::query_with(&sql, args).execute(&mut *tx).await?;
    }
    for chunk in window.monthly.chunks(BATCH) {
        let mut sql = Sql::new(
            "INSERT INTO cost_monthly (month, service, tag, amount_micros, estimated) VALUES ",
        );
        sql.push_values(chunk, |row, r| {
            row.bind(r.month.to_string())
                .bind(r.service.as_str())
                .bind(r.tag.as_str())
                .bind(r.amount_micros)
                .bind(i64::from(r.estimated));
        });
        let (sql, args) = sql.into_parts()?;
        sqlx::query_with(&sql, args).execute(&mut *tx).await?;
    }
    for r in &window.forecasts {
        sqlx::query("INSERT INTO cost_forecasts (month, tag, amount_micros) VALUES ($1, $2, $3)")
            .bind(r.month.to_string())
            .bind(&r.tag)
            .bind(r.amount_micros)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE cost_refreshes SET status = 'ok', error = NULL, upstream_requests = $1, finished_at = $2, \
         data_through = $3, days = $4, rows_stored = $5, forecast_source = $6 WHERE id = $7",
    )
    .bind(i64::try_from(upstream_requests).unwrap_or(i64::MAX))
    .bind(timestamp(at))
    .bind(window.data_through().map(|d| d.to_string()))
    .bind(i64::try_from(window.days()).unwrap_or(i64::MAX))
    .bind(i64::try_from(window.rows()).unwrap_or(i64::MAX))
    .bind(forecast_source.map(ForecastSource::as_str))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

const REFRESH_COLUMNS: &str =
    "id, triggered_by, started_at, finished_at, status, error, upstream_requests, \
     metric, tag_key, data_through, days, rows_stored, forecast_source";

/// The latest successful refresh.
pub async fn last_ok(db: &Db) -> CoreResult<Option<RefreshRecord>> {
    let row = sqlx::query_as::<_, RefreshRow>(&format!(
        "SELECT {REFRESH_COLUMNS} FROM cost_refreshes WHERE status = 'ok' ORDER BY id DESC LIMIT 1"
    ))
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(RefreshRecord::try_from).transpose()?)
}

/// The latest finished refresh (ok or failed).
pub async fn last_finished(db: &Db) -> CoreResult<Option<RefreshRecord>> {
    let row = sqlx::query_as::<_, RefreshRow>(&format!(
        "SELECT {REFRESH_COLUMNS} FROM cost_refreshes WHERE status <> 'running' ORDER BY id DESC LIMIT 1"
    ))
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(RefreshRecord::try_from).transpose()?)
}

/// The latest refreshes, newest first.
pub async fn refreshes(db: &Db, limit: i64) -> CoreResult<Vec<RefreshRecord>> {
    let rows = sqlx::query_as::<_, RefreshRow>(&format!(
        "SELECT {REFRESH_COLUMNS} FROM cost_refreshes ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(RefreshRecord::try_from)
        .collect::<Result<_, _>>()?)
}

/// The latest failed refresh newer than the last successful one.
pub async fn failure_since_last_ok(db: &Db) -> CoreResult<Option<RefreshRecord>> {
    let row = sqlx::query_as::<_, RefreshRow>(&format!(
        "SELECT {REFRESH_COLUMNS} FROM cost_refreshes WHERE status = 'failed' \
         AND id > COALESCE((SELECT MAX(id) FROM cost_refreshes WHERE status = 'ok'), 0) \
         ORDER BY id DESC LIMIT 1"
    ))
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(RefreshRecord::try_from).transpose()?)
}

/// Marks refreshes left `running` by a process that died as failed.
pub async fn abandon_running(db: &Db, at: DateTime<Utc>) -> CoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE cost_refreshes SET status = 'failed', error = 'interrupted (the server stopped)', \
         finished_at = $1 WHERE status = 'running'",
    )
    .bind(timestamp(at))
    .execute(db.pool())
    .await?
    .rows_affected())
}

/// (service, tag, micros) summed over `[from, to)`.
pub async fn sums_by_service_tag(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
) -> CoreResult<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT service, tag, CAST(SUM(amount_micros) AS BIGINT) AS micros FROM cost_daily \
         WHERE day >= $1 AND day < $2 GROUP BY service, tag",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db.pool())
    .await?)
}

/// (day, tag, micros) over `[from, to)`, by day.
pub async fn daily_by_tag(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
) -> CoreResult<Vec<(NaiveDate, String, i64)>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT day, tag, CAST(SUM(amount_micros) AS BIGINT) AS micros FROM cost_daily \
         WHERE day >= $1 AND day < $2 GROUP BY day, tag ORDER BY day",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(day, tag, micros)| Ok((parse_day(&day)?, tag, micros)))
        .collect()
}

/// (month, tag, micros, estimated) for months `from..=to`.
pub async fn monthly_by_tag(
    db: &Db,
    from: YearMonth,
    to: YearMonth,
) -> CoreResult<Vec<(YearMonth, String, i64, bool)>> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT month, tag, CAST(SUM(amount_micros) AS BIGINT) AS micros, \
         CAST(MAX(estimated) AS BIGINT) AS estimated FROM cost_monthly \
         WHERE month >= $1 AND month <= $2 GROUP BY month, tag ORDER BY month",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(month, tag, micros, estimated)| {
            let month =
                YearMonth::parse(&month).map_err(|e| Corrupt::column("cost_monthly.month", e))?;
            Ok((month, tag, micros, flag(estimated)))
        })
        .collect()
}

/// Cost Explorer's forecasts for `month`: (tag, micros).
pub async fn forecasts(db: &Db, month: YearMonth) -> CoreResult<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT tag, amount_micros FROM cost_forecasts WHERE month = $1")
            .bind(month.to_string())
            .fetch_all(db.pool())
            .await?,
    )
}

/// Whether any stored daily row has a tag value.
pub async fn tag_counts(db: &Db) -> CoreResult<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) AS total, \
         CAST(COALESCE(SUM(CASE WHEN tag = '' THEN 0 ELSE 1 END), 0) AS BIGINT) AS tagged FROM cost_daily",
    )
    .fetch_one(db.pool())
    .await?)
}

/// One `cost_refreshes` row as stored.
#[derive(sqlx::FromRow)]
struct RefreshRow {
    id: i64,
    triggered_by: String,
    started_at: String,
    finished_at: Option<String>,
    status: String,
    error: Option<String>,
    upstream_requests: i64,
    metric: String,
    tag_key: String,
    data_through: Option<String>,
    days: i64,
    rows_stored: i64,
    forecast_source: Option<String>,
}

impl TryFrom<RefreshRow> for RefreshRecord {
    type Error = Corrupt;

    fn try_from(row: RefreshRow) -> Result<Self, Corrupt> {
        Ok(RefreshRecord {
            id: row.id,
            trigger: row.triggered_by,
            started_at: parse_timestamp("cost_refreshes.started_at", &row.started_at)?,
            finished_at: parse_optional_timestamp(
                "cost_refreshes.finished_at",
                row.finished_at.as_deref(),
            )?,
            status: row.status,
            error: row.error,
            upstream_requests: row.upstream_requests,
            metric: CostMetric::parse(&row.metric)
                .map_err(|e| Corrupt::column("cost_refreshes.metric", e))?,
            tag_key: row.tag_key,
            data_through: row.data_through.as_deref().map(parse_day).transpose()?,
            days: row.days,
            rows: row.rows_stored,
            forecast_source: row
                .forecast_source
                .as_deref()
                .and_then(ForecastSource::parse),
        })
    }
}

fn parse_day(raw: &str) -> Result<NaiveDate, Corrupt> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|e| Corrupt(format!("cost day {raw:?}: {e}")))
}

/// For tests and benchmarks: figures stored as the refresher stores them.
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use super::{replace_window, start_refresh, Window};
    use crate::cost::model::CostMetric;
    use crate::db::Db;

    /// Stores `window` as one successful scheduled refresh of unblended cost
    /// by the `environment` tag, finished at the tests' pinned "now"
    /// ([`crate::clock::testing::start`], never later than a test app's
    /// clock; 3 upstream requests, as a real one). Returns the refresh's id.
    /// Panics on a database error.
    pub async fn ingest(db: &Db, window: &Window) -> i64 {
        let at = crate::clock::testing::start();
        let id = start_refresh(db, "schedule", CostMetric::Unblended, "environment", at)
            .await
            .expect("start a refresh");
        replace_window(db, id, window, None, 3, at)
            .await
            .expect("store the window");
        id
    }
}
