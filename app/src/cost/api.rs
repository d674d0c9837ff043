//! Cost server functions: thin shims over `gantry_core::cost`. The review reads
//! the database only (what the refresher stored); only an admin's "Refresh
//! now" reaches Cost Explorer, and the core rate-limits it.

use leptos::prelude::*;

use super::dto::{CostReviewView, RefreshView};
use crate::error::AppError;

/// The cost review of `month` ("2026-10"; the current month when absent or
/// empty). A malformed month is refused with 400 and the reason.
#[server(prefix = "/api", endpoint = "cost/review")]
pub async fn cost_review(month: Option<String>) -> Result<CostReviewView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let today = services.clock.today();
    let month = gantry_core::cost::service::month_or_current(month.as_deref(), today)
        .map_err(gantry_core::CoreError::from)?;
    let review = gantry_core::cost::service::review_stored(&services.db, month, today).await?;
    Ok(convert::review(
        &review,
        gantry_core::cost::service::current_month(today),
    ))
}

/// Asks Cost Explorer for fresh figures now (admins). Refused with the core's
/// reason when the last refresh was too recent or AWS failed.
#[server(prefix = "/api", endpoint = "cost/refresh")]
pub async fn refresh_cost() -> Result<RefreshView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Administer)?;
    let Some(refresher) = use_context::<gantry_core::cost::refresh::CostRefresher>() else {
        return Err(AppError::unavailable(
            "cost refresh is off on this server ([cost] enabled = false)",
        ));
    };
    match refresher
        .refresh(gantry_core::cost::refresh::RefreshTrigger::Admin)
        .await
    {
        Ok(outcome) => Ok(convert::refreshed(&outcome)),
        Err(error) => Err(AppError::refused(error)),
    }
}

#[cfg(feature = "ssr")]
mod convert {
    use chrono::{NaiveDate, SecondsFormat};
    use gantry_core::cost::model::{CostReview, EstimateVsActual, ForecastSource, YearMonth};
    use gantry_core::cost::refresh::RefreshOutcome;

    use super::super::dto::*;

    fn day(d: NaiveDate) -> String {
        d.format("%Y-%m-%d").to_string()
    }

    pub fn review(r: &CostReview, current: YearMonth) -> CostReviewView {
        CostReviewView {
            month: r.month.to_string(),
            current_month: current.to_string(),
            complete: r.complete,
            days_elapsed: r.days_elapsed,
            days_in_month: r.days_in_month,
            metric: r.metric.as_str().to_owned(),
            refreshed_at: r
                .refreshed_at
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            data_through: r.data_through.map(day),
            problem: r.problem.clone(),
            total_cents: r.total_cents,
            previous_total_cents: r.previous_total_cents,
            change_pct: r.change_pct(),
            forecast_cents: r.forecast_cents,
            forecast_source: r.forecast_source.map(|s| s.as_str().to_owned()),
            environments: r
                .environments
                .iter()
                .map(|e| EnvironmentCostView {
                    environment: e.environment.clone(),
                    month_cents: e.month_cents,
                    previous_month_cents: e.previous_month_cents,
                    budget_cents: e.budget_cents,
                    forecast_cents: e.forecast_cents,
                    forecast_source: e.forecast_source.map(|s| s.as_str().to_owned()),
                    burn: e
                        .burn
                        .iter()
                        .map(|b| BurnPointView {
                            day: day(b.day),
                            actual_cumulative_cents: b.actual_cumulative_cents,
                            budget_cumulative_cents: b.budget_cumulative_cents,
                        })
                        .collect(),
                    budget_verdict: e.budget_verdict().as_str().to_owned(),
                })
                .collect(),
            services: r
                .services
                .iter()
                .map(|s| ServiceCostView {
                    service: s.service.clone(),
                    month_cents: s.month_cents,
                    previous_month_cents: s.previous_month_cents,
                    by_environment: s.by_environment.clone(),
                })
                .collect(),
            daily: r
                .daily
                .iter()
                .map(|d| DailyCostView {
                    day: day(d.day),
                    total_cents: d.total_cents,
                    by_environment: d.by_environment.clone(),
                })
                .collect(),
            monthly: r
                .monthly
                .iter()
                .map(|m| MonthlyCostView {
                    month: m.month.to_string(),
                    total_cents: m.total_cents,
                    by_environment: m.by_environment.clone(),
                    complete: m.complete,
                })
                .collect(),
            movers: r
                .movers
                .iter()
                .map(|m| MoverView {
                    service: m.service.clone(),
                    previous_cents: m.previous_cents,
                    current_cents: m.current_cents,
                    change_cents: m.change_cents,
                    change_pct: m.change_pct,
                })
                .collect(),
            anomalies: r
                .anomalies
                .iter()
                .map(|a| AnomalyView {
                    day: day(a.day),
                    environment: a.environment.clone(),
                    cents: a.cents,
                    baseline_cents: a.baseline_cents,
                    reason: a.reason.clone(),
                })
                .collect(),
            estimates: r.estimates.iter().map(estimate).collect(),
            estimate_totals: r.estimate_totals().iter().map(estimate).collect(),
            estimates_month: r.estimates_month.to_string(),
        }
    }

    fn estimate(e: &EstimateVsActual) -> EstimateView {
        EstimateView {
            environment: e.environment.clone(),
            component: e.component.clone(),
            module: e.module.clone(),
            low_cents: e.low_cents,
            high_cents: e.high_cents,
            actual_cents: e.actual_cents,
            verdict: e.verdict().as_str().to_owned(),
        }
    }

    pub fn refreshed(o: &RefreshOutcome) -> RefreshView {
        RefreshView {
            at: o.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            message: format!(
                "Refreshed: {} days, {} rows, {} Cost Explorer requests; {}.",
                o.days,
                o.rows,
                o.upstream_requests,
                match o.forecast {
                    Some(ForecastSource::CostExplorer) => "forecast: Cost Explorer",
                    Some(ForecastSource::LocalProjection) =>
                        "forecast: local projection from month-to-date",
                    None => "no forecast (no month in progress)",
                }
            ),
        }
    }
}
