//! The arithmetic of the cost review, without I/O: amounts, movers, anomaly
//! flags, the month-end projection, budget burn and the roadmap component →
//! AWS service mapping.

use chrono::{Duration, NaiveDate};

use super::model::{Anomaly, BurnPoint, Mover};

/// Micro-dollars in a cent.
pub const MICROS_PER_CENT: i64 = 10_000;

pub use crate::aws::cost_explorer::parse_amount_micros;

/// Micro-dollars to cents, rounded half away from zero.
pub fn micros_to_cents(micros: i64) -> i64 {
    let half = MICROS_PER_CENT / 2;
    if micros >= 0 {
        (micros + half) / MICROS_PER_CENT
    } else {
        -((-micros + half) / MICROS_PER_CENT)
    }
}

/// Up to 5 largest increases (largest first), then up to 5 largest decreases
/// (largest first), from (service, previous, current) in cents. Unchanged
/// services are not movers.
pub fn movers(rows: &[(String, i64, i64)]) -> Vec<Mover> {
    let mover = |(service, previous, current): &(String, i64, i64)| Mover {
        service: service.clone(),
        previous_cents: *previous,
        current_cents: *current,
        change_cents: current - previous,
        change_pct: super::model::change_pct(*previous, *current),
    };
    let mut up: Vec<Mover> = rows
        .iter()
        .map(mover)
        .filter(|m| m.change_cents > 0)
        .collect();
    let mut down: Vec<Mover> = rows
        .iter()
        .map(mover)
        .filter(|m| m.change_cents < 0)
        .collect();
    up.sort_by(|a, b| {
        b.change_cents
            .cmp(&a.change_cents)
            .then(a.service.cmp(&b.service))
    });
    down.sort_by(|a, b| {
        a.change_cents
            .cmp(&b.change_cents)
            .then(a.service.cmp(&b.service))
    });
    up.truncate(5);
    down.truncate(5);
    up.extend(down);
    up
}

/// Days of trailing history an anomaly is judged against.
pub const BASELINE_DAYS: usize = 30;
/// Fewer days of history than this: no judgement.
pub const MIN_BASELINE_DAYS: usize = 14;
/// Smallest excess over the baseline worth a flag: $5.
pub const MIN_EXCESS_CENTS: i64 = 500;

/// Anomaly flags for one environment's daily totals.
///
/// `series` is consecutive days (no gaps; a day without spend is 0), oldest
/// first. A day at or after `from` is flagged when, against the mean and
/// standard deviation of the up to 30 days before it (at least 14):
/// its cost > mean + 3σ, and > 1.5 × mean, and exceeds the mean by more than
/// $5. All three: a quiet environment's noise or a cheap one's doubling is
/// not worth a meeting's attention.
pub fn anomalies(environment: &str, series: &[(NaiveDate, i64)], from: NaiveDate) -> Vec<Anomaly> {
    let mut out = Vec::new();
    for (i, &(day, cents)) in series.iter().enumerate() {
        if day < from || i < MIN_BASELINE_DAYS {
            continue;
        }
        let window = &series[i.saturating_sub(BASELINE_DAYS)..i];
        let n = window.len() as f64;
        let mean = window.iter().map(|(_, c)| *c as f64).sum::<f64>() / n;
        let var = window
            .iter()
            .map(|(_, c)| (*c as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let sd = var.sqrt();
        let c = cents as f64;
        if c > mean + 3.0 * sd && c > 1.5 * mean && c - mean > MIN_EXCESS_CENTS as f64 {
            let ratio = if mean > 0.0 { c / mean } else { f64::INFINITY };
            let sigmas = if sd > 0.0 {
                format!(", {:.1}σ above", (c - mean) / sd)
            } else {
                String::new()
            };
            out.push(Anomaly {
                day,
                environment: environment.to_owned(),
                cents,
                baseline_cents: mean.round() as i64,
                reason: format!(
                    "{} vs a 30-day mean of {} ({ratio:.1}×{sigmas})",
                    dollars(cents),
                    dollars(mean.round() as i64)
                ),
            });
        }
    }
    out
}

/// Days averaged by [`local_projection`].
pub const PROJECTION_DAYS: usize = 7;

/// The whole month's cost: month-to-date + the mean of the last (up to) 7
/// days' costs × the days remaining. `recent` are the latest daily costs,
/// oldest first (may reach into the previous month).
pub fn local_projection(month_to_date_cents: i64, recent: &[i64], remaining_days: u32) -> i64 {
    let last = &recent[recent.len().saturating_sub(PROJECTION_DAYS)..];
    if last.is_empty() {
        return month_to_date_cents;
    }
    let sum: i64 = last.iter().sum();
    let n = last.len() as i64;
    // mean × remaining, rounded half up, in integers.
    month_to_date_cents + (2 * sum * i64::from(remaining_days) + n) / (2 * n)
}

/// Cumulative actual cost per day of the month (from `daily`, days of the
/// month in order) beside the budget line budget × day / days_in_month.
pub fn burn(
    daily: &[(NaiveDate, i64)],
    budget_cents: Option<i64>,
    days_in_month: u32,
) -> Vec<BurnPoint> {
    let mut total = 0;
    daily
        .iter()
        .map(|&(day, cents)| {
            total += cents;
            let n = i64::from(chrono::Datelike::day(&day));
            BurnPoint {
                day,
                actual_cumulative_cents: total,
                budget_cumulative_cents: budget_cents.map(|b| {
                    (b * n * 2 + i64::from(days_in_month)) / (2 * i64::from(days_in_month.max(1)))
                }),
            }
        })
        .collect()
}

/// The AWS services (Cost Explorer's names) a roadmap cost line stands for,
/// by keywords of its component, case-insensitive:
///
/// | component contains | service |
/// |---|---|
/// | `fargate`, `ecs` | Amazon Elastic Container Service |
/// | `rds` | Amazon Relational Database Service |
/// | `elasticache`, `redis` | Amazon ElastiCache |
/// | `alb`, `load balancer` | Elastic Load Balancing |
/// | `cloudfront` | Amazon CloudFront |
/// | `s3`, `data transfer` | Amazon Simple Storage Service |
/// | `vpc` | Amazon Virtual Private Cloud |
///
/// Anything else maps to nothing (its actual is unknown, not zero).
pub fn services_for_component(component: &str) -> Vec<&'static str> {
    let c = component.to_ascii_lowercase();
    let words: Vec<&str> = c
        .split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let mut out = Vec::new();
    if has("fargate") || has("ecs") {
        out.push("Amazon Elastic Container Service");
    }
    if has("rds") {
        out.push("Amazon Relational Database Service");
    }
    if has("elasticache") || has("redis") {
        out.push("Amazon ElastiCache");
    }
    if has("alb") || c.contains("load balancer") {
        out.push("Elastic Load Balancing");
    }
    if has("cloudfront") {
        out.push("Amazon CloudFront");
    }
    if has("s3") || c.contains("data transfer") {
        out.push("Amazon Simple Storage Service");
    }
    if has("vpc") {
        out.push("Amazon Virtual Private Cloud");
    }
    out
}

/// `$1,234.56` (negative: `-$1.00`).
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{:02}", c % 100)
}

/// Every day of `[from, to]`.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    let n = (to - from).num_days().max(-1) + 1;
    (0..n).map(move |i| from + Duration::days(i))
}

#[cfg(test)]
mod tests;
