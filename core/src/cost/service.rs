//! The cost review: built from what the last refresh stored, never from AWS,
//! so any number of viewers cost no Cost Explorer request.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};

use super::analysis::{self, micros_to_cents};
use super::model::{
    CostMetric, CostReview, DailyCost, EnvironmentCost, EstimateVsActual, ForecastSource,
    MonthError, MonthlyCost, ServiceCost, YearMonth, UNTAGGED,
};
use super::store;
use crate::db::Db;
use crate::environments::model::Environment;
use crate::error::CoreResult;
use crate::roadmap::model::Roadmap;

/// Days in the daily trend.
pub const DAILY_DAYS: i64 = 90;
/// Months in the monthly trend.
pub const MONTHS: i32 = 13;

/// The month `today` falls in (UTC).
pub fn current_month(today: NaiveDate) -> YearMonth {
    YearMonth::of(today)
}

/// The month a request names ("2026-10"), or the current one when it names
/// none (absent or blank); a malformed month is refused with the reason.
pub fn month_or_current(raw: Option<&str>, today: NaiveDate) -> Result<YearMonth, MonthError> {
    match raw.map(str::trim).filter(|m| !m.is_empty()) {
        None => Ok(current_month(today)),
        Some(m) => YearMonth::parse(m),
    }
}

/// The review of `month` as of `today`, against the stored environments and
/// roadmap: what the page and the CSV exports show.
pub async fn review_stored(db: &Db, month: YearMonth, today: NaiveDate) -> CoreResult<CostReview> {
    let environments = crate::environments::service::list(db).await?;
    let roadmap = crate::roadmap::service::roadmap(db).await?;
    review(db, month, today, &environments, &roadmap).await
}

/// Maps stored tag values to the names the review shows: the Gantry
/// environment whose cost tag has that value, "untagged" for no value, the
/// value itself for a tag no environment claims.
struct Names {
    by_tag: HashMap<String, String>,
    /// Display order: the environments with a cost tag as given, then others
    /// as they appear, "untagged" last.
    order: Vec<String>,
}

impl Names {
    fn new(environments: &[Environment]) -> Self {
        let mut by_tag = HashMap::new();
        let mut order = Vec::new();
        for env in environments {
            if let Some(tag) = &env.cost_tag {
                by_tag
                    .entry(tag.value.clone())
                    .or_insert_with(|| env.name.to_string());
                if !order.contains(&env.name.to_string()) {
                    order.push(env.name.to_string());
                }
            }
        }
        Self { by_tag, order }
    }

    fn name(&self, tag: &str) -> String {
        if tag.is_empty() {
            return UNTAGGED.to_owned();
        }
        self.by_tag
            .get(tag)
            .cloned()
            .unwrap_or_else(|| tag.to_owned())
    }

    /// Records a name seen in the data, so it gets a place in `order`.
    fn see(&mut self, name: &str) {
        if !self.order.iter().any(|n| n == name) {
            self.order.push(name.to_owned());
        }
    }

    /// `order` with "untagged" moved last.
    fn finish(mut self) -> Vec<String> {
        if let Some(i) = self.order.iter().position(|n| n == UNTAGGED) {
            let u = self.order.remove(i);
            self.order.push(u);
        }
        self.order
    }
}

/// (name, cents) in `order`, zero where absent.
fn ordered(order: &[String], values: &HashMap<String, i64>) -> Vec<(String, i64)> {
    order
        .iter()
        .map(|n| (n.clone(), values.get(n).copied().unwrap_or(0)))
        .collect()
}

/// The review of `month` as of `today` (UTC), from the stored data.
#[tracing::instrument(skip_all, fields(month = %month))]
pub async fn review(
    db: &Db,
    month: YearMonth,
    today: NaiveDate,
    environments: &[Environment],
    roadmap: &Roadmap,
) -> CoreResult<CostReview> {
    let last_ok = store::last_ok(db).await?;
    let failure = store::failure_since_last_ok(db).await?;
    let data_through = last_ok.as_ref().and_then(|r| r.data_through);
    let metric = last_ok.as_ref().map_or(CostMetric::default(), |r| r.metric);
    let tag_key = last_ok
        .as_ref()
        .map_or_else(|| "environment".to_owned(), |r| r.tag_key.clone());

    let first = month.first_day();
    let next_first = month.next().first_day();
    let previous = month.previous();
    let days_in_month = month.days();
    let complete = month.last_day() < today;
    let days_elapsed = if complete {
        days_in_month
    } else if first >= today {
        0
    } else {
        u32::try_from((today - first).num_days()).unwrap_or(0)
    };
    // Days of the month with data (for the same-days comparison and the projection).
    let data_days = match data_through {
        Some(d) if d >= month.last_day() => days_in_month,
        Some(d) if d >= first => chrono::Datelike::day(&d),
        _ => 0,
    };

    let mut names = Names::new(environments);

    // This month and the previous one, by service × environment.
    let current_rows = store::sums_by_service_tag(db, first, next_first).await?;
    let previous_rows = store::sums_by_service_tag(db, previous.first_day(), first).await?;
    // For movers of an incomplete month: the same days of the previous month.
    let same_days_end = if complete || data_days == 0 {
        first
    } else {
        (previous.first_day() + Duration::days(i64::from(data_days))).min(first)
    };
    let previous_same_rows = if complete {
        previous_rows.clone()
    } else {
        store::sums_by_service_tag(db, previous.first_day(), same_days_end).await?
    };

    let mut services: BTreeMap<String, (i64, i64, HashMap<String, i64>)> = BTreeMap::new();
    let mut env_month: HashMap<String, i64> = HashMap::new();
    let mut env_previous: HashMap<String, i64> = HashMap::new();
    for (service, tag, micros) in &current_rows {
        let name = names.name(tag);
        names.see(&name);
        let entry = services.entry(service.clone()).or_default();
        entry.0 += micros;
        *entry.2.entry(name.clone()).or_default() += micros;
        *env_month.entry(name).or_default() += micros;
    }
    for (service, tag, micros) in &previous_rows {
        let name = names.name(tag);
        names.see(&name);
        services.entry(service.clone()).or_default().1 += micros;
        *env_previous.entry(name).or_default() += micros;
    }
    // The last full month by service × environment: what an incomplete
    // month's estimates are compared with.
    let mut previous_by: BTreeMap<String, HashMap<String, i64>> = BTreeMap::new();
    for (service, tag, micros) in &previous_rows {
        *previous_by
            .entry(service.clone())
            .or_default()
            .entry(names.name(tag))
            .or_default() += micros;
    }
    let mut previous_same: HashMap<String, i64> = HashMap::new();
    for (service, _, micros) in &previous_same_rows {
        *previous_same.entry(service.clone()).or_default() += micros;
    }

    // Daily window (+30 days of history for the anomaly baseline).
    let daily_end = data_through.map_or(month.last_day(), |d| d.min(month.last_day()));
    let daily_start = daily_end - Duration::days(DAILY_DAYS - 1);
    let history_start = daily_start - Duration::days(analysis::BASELINE_DAYS as i64);
    let daily_rows = store::daily_by_tag(db, history_start, daily_end + Duration::days(1)).await?;
    let mut per_day: BTreeMap<NaiveDate, HashMap<String, i64>> = BTreeMap::new();
    for (day, tag, micros) in &daily_rows {
        let name = names.name(tag);
        if *day >= daily_start {
            names.see(&name);
        }
        *per_day.entry(*day).or_default().entry(name).or_default() += micros;
    }

    // Monthly trend.
    let monthly_rows = store::monthly_by_tag(db, month.plus(1 - MONTHS), month).await?;
    let mut per_month: BTreeMap<YearMonth, HashMap<String, i64>> = BTreeMap::new();
    for (m, tag, micros, _) in &monthly_rows {
        let name = names.name(tag);
        names.see(&name);
        *per_month.entry(*m).or_default().entry(name).or_default() += micros;
    }

    let forecasts = store::forecasts(db, month).await?;
    let ce_forecast: HashMap<String, i64> = forecasts
        .iter()
        .map(|(tag, micros)| (names.name(tag), micros_to_cents(*micros)))
        .collect();
    let order = names.finish();

    let cents_map = |m: &HashMap<String, i64>| -> HashMap<String, i64> {
        m.iter()
            .map(|(k, v)| (k.clone(), micros_to_cents(*v)))
            .collect()
    };

    // Dense daily series per environment, in cents, from the first stored day.
    let first_data_day = per_day.keys().next().copied();
    let mut series: HashMap<String, Vec<(NaiveDate, i64)>> = HashMap::new();
    if let Some(start) = first_data_day {
        for day in analysis::days(start, daily_end) {
            let row = per_day.get(&day);
            for name in &order {
                let micros = row.and_then(|r| r.get(name)).copied().unwrap_or(0);
                series
                    .entry(name.clone())
                    .or_default()
                    .push((day, micros_to_cents(micros)));
            }
        }
    }

    let daily: Vec<DailyCost> = analysis::days(daily_start, daily_end)
        .filter(|d| first_data_day.is_some_and(|f| *d >= f))
        .map(|day| {
            let by = per_day.get(&day).map(cents_map).unwrap_or_default();
            let by_environment = ordered(&order, &by);
            DailyCost {
                day,
                total_cents: by_environment.iter().map(|(_, c)| c).sum(),
                by_environment,
            }
        })
        .collect();

    let monthly: Vec<MonthlyCost> = (1 - MONTHS..=0)
        .map(|i| month.plus(i))
        .map(|m| {
            let by = per_month.get(&m).map(cents_map).unwrap_or_default();
            let by_environment = ordered(&order, &by);
            MonthlyCost {
                month: m,
                total_cents: by_environment.iter().map(|(_, c)| c).sum(),
                by_environment,
                complete: m.last_day() < today,
            }
        })
        .collect();

    let anomalies = order
        .iter()
        .flat_map(|name| {
            series
                .get(name)
                .map(|s| analysis::anomalies(name, s, daily_start))
                .unwrap_or_default()
        })
        .collect();

    // Environments: totals, forecast, burn.
    let budgets: HashMap<String, Option<i64>> = environments
        .iter()
        .map(|e| (e.name.to_string(), e.monthly_budget_cents))
        .collect();
    let remaining = days_in_month.saturating_sub(data_days);
    let env_costs: Vec<EnvironmentCost> = order
        .iter()
        .map(|name| {
            let month_cents = micros_to_cents(env_month.get(name).copied().unwrap_or(0));
            let s = series.get(name).map(Vec::as_slice).unwrap_or_default();
            let in_month: Vec<(NaiveDate, i64)> = s
                .iter()
                .copied()
                .filter(|(d, _)| month.contains(*d))
                .collect();
            let budget_cents = budgets.get(name).copied().flatten();
            let (forecast_cents, forecast_source) = if complete || data_through.is_none() {
                (None, None)
            } else if let Some(f) = ce_forecast.get(name) {
                (Some(*f), Some(ForecastSource::CostExplorer))
            } else {
                let recent: Vec<i64> = s.iter().map(|(_, c)| *c).collect();
                (
                    Some(analysis::local_projection(month_cents, &recent, remaining)),
                    Some(ForecastSource::LocalProjection),
                )
            };
            EnvironmentCost {
                environment: name.clone(),
                month_cents,
                previous_month_cents: micros_to_cents(env_previous.get(name).copied().unwrap_or(0)),
                budget_cents,
                forecast_cents,
                forecast_source,
                burn: analysis::burn(&in_month, budget_cents, days_in_month),
            }
        })
        .collect();

    let mut service_costs: Vec<ServiceCost> = services
        .iter()
        .map(|(service, (current, prev, by))| ServiceCost {
            service: service.clone(),
            month_cents: micros_to_cents(*current),
            previous_month_cents: micros_to_cents(*prev),
            by_environment: ordered(&order, &cents_map(by)),
        })
        .collect();
    service_costs.sort_by(|a, b| {
        b.month_cents
            .cmp(&a.month_cents)
            .then(a.service.cmp(&b.service))
    });

    let mover_rows: Vec<(String, i64, i64)> = services
        .iter()
        .map(|(service, (current, _, _))| {
            (
                service.clone(),
                micros_to_cents(previous_same.get(service).copied().unwrap_or(0)),
                micros_to_cents(*current),
            )
        })
        .chain(
            previous_same
                .iter()
                .filter(|(s, _)| !services.contains_key(*s))
                .map(|(s, m)| (s.clone(), micros_to_cents(*m), 0)),
        )
        .collect();

    let (estimates_month, estimates) = if complete {
        let by: BTreeMap<String, HashMap<String, i64>> = services
            .iter()
            .map(|(s, (_, _, by))| (s.clone(), by.clone()))
            .collect();
        (
            month,
            estimates(roadmap, environments, &by, data_through.is_some()),
        )
    } else {
        (
            previous,
            estimates(
                roadmap,
                environments,
                &previous_by,
                !previous_rows.is_empty(),
            ),
        )
    };

    let total_cents = env_costs.iter().map(|e| e.month_cents).sum();
    let previous_total_cents = env_costs.iter().map(|e| e.previous_month_cents).sum();
    let forecast_cents = (!complete && data_through.is_some())
        .then(|| env_costs.iter().filter_map(|e| e.forecast_cents).sum());
    let forecast_source = forecast_cents.map(|_| {
        if env_costs
            .iter()
            .all(|e| e.forecast_source == Some(ForecastSource::CostExplorer))
        {
            ForecastSource::CostExplorer
        } else {
            ForecastSource::LocalProjection
        }
    });

    let problem = match &failure {
        Some(f) => Some(
            f.error
                .clone()
                .unwrap_or_else(|| "the latest refresh failed".to_owned()),
        ),
        None => untagged_problem(db, environments, &tag_key).await?,
    };

    Ok(CostReview {
        month,
        complete,
        days_elapsed,
        days_in_month,
        metric,
        refreshed_at: last_ok.as_ref().and_then(|r| r.finished_at),
        data_through,
        problem,
        total_cents,
        previous_total_cents,
        forecast_cents,
        forecast_source,
        environments: env_costs,
        services: service_costs,
        daily,
        monthly,
        movers: analysis::movers(&mover_rows),
        anomalies,
        estimates,
        estimates_month,
    })
}

/// Every stored row untagged while environments have cost tags: Cost
/// Explorer groups by a tag only once it is activated as a cost-allocation
/// tag (Billing console), and only for spend after that.
async fn untagged_problem(
    db: &Db,
    environments: &[Environment],
    tag_key: &str,
) -> CoreResult<Option<String>> {
    if !environments.iter().any(|e| e.cost_tag.is_some()) {
        return Ok(None);
    }
    let (total, tagged) = store::tag_counts(db).await?;
    Ok((total > 0 && tagged == 0).then(|| {
        format!(
            "cost-allocation tag '{tag_key}' is not active yet: Cost Explorer reports all spend as untagged. \
             Activate it in the Billing console (Cost allocation tags); it applies to spend from then on, \
             after up to 24 hours"
        )
    }))
}

/// The roadmap's cost lines beside a whole month's actual spend of the
/// mapped services in the same environment
/// ([`analysis::services_for_component`]); `services`: micros by service,
/// then environment.
fn estimates(
    roadmap: &Roadmap,
    environments: &[Environment],
    services: &BTreeMap<String, HashMap<String, i64>>,
    have_data: bool,
) -> Vec<EstimateVsActual> {
    let known: Vec<String> = environments.iter().map(|e| e.name.to_string()).collect();
    roadmap
        .costs
        .iter()
        .flat_map(|section| {
            let env = section.environment.to_string();
            let tracked = known.contains(&env);
            section.items.iter().map(move |item| {
                let mapped = analysis::services_for_component(&item.component);
                let actual_cents = (have_data && tracked && !mapped.is_empty()).then(|| {
                    micros_to_cents(
                        mapped
                            .iter()
                            .filter_map(|s| services.get(*s))
                            .map(|by| by.get(&env).copied().unwrap_or(0))
                            .sum(),
                    )
                });
                EstimateVsActual {
                    environment: env.clone(),
                    component: item.component.clone(),
                    module: item.module.as_ref().map(|m| m.as_str().to_owned()),
                    low_cents: item.monthly.low_cents,
                    high_cents: item.monthly.high_cents,
                    actual_cents,
                }
            })
        })
        .collect()
}
