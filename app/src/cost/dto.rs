//! Wire types of the cost review page: plain figures (money in cents), dates
//! as ISO strings, no core types.

use serde::{Deserialize, Serialize};

pub use crate::components::money::{signed_usd, usd};

/// An AWS service's name for a chart, where room is short: Cost Explorer's
/// name without its "Amazon " or "AWS " prefix ("Relational Database
/// Service"). Tables keep the full name.
pub fn chart_service_name(service: &str) -> &str {
    service
        .strip_prefix("Amazon ")
        .or_else(|| service.strip_prefix("AWS "))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(service)
}

/// "+12.5%", "−3.0%", "new" when there was nothing before.
pub fn percent(pct: Option<f64>) -> String {
    match pct {
        Some(p) if p > 0.0 => format!("+{p:.1}%"),
        Some(p) if p < 0.0 => format!("−{:.1}%", -p),
        Some(_) => "0.0%".to_owned(),
        None => "new".to_owned(),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "2026-10" → (2026, 10), if well formed.
fn split_month(month: &str) -> Option<(i32, u32)> {
    let (y, m) = month.split_once('-')?;
    let (y, m) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    (1..=12).contains(&m).then_some((y, m))
}

/// "2026-10" → "October 2026" (the input itself when malformed).
pub fn month_label(month: &str) -> String {
    match split_month(month) {
        Some((y, m)) => format!("{} {y}", MONTHS[(m - 1) as usize]),
        None => month.to_owned(),
    }
}

/// "2026-10" → "Oct 2026".
pub fn month_short(month: &str) -> String {
    match split_month(month) {
        Some((y, m)) => format!("{} {y}", &MONTHS[(m - 1) as usize][..3]),
        None => month.to_owned(),
    }
}

/// The month `delta` months from `month`: shift_month("2026-01", -1) = "2025-12".
pub fn shift_month(month: &str, delta: i32) -> Option<String> {
    let (y, m) = split_month(month)?;
    let index = y * 12 + (m as i32 - 1) + delta;
    Some(format!(
        "{}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    ))
}

/// The tables the CSV export serves, in page order: (name, title).
pub const TABLES: [(&str, &str); 7] = [
    ("environments", "By environment"),
    ("services", "By service"),
    ("daily", "Daily trend"),
    ("monthly", "Monthly trend"),
    ("movers", "Month-over-month movers"),
    ("anomalies", "Anomalies"),
    ("estimates", "Roadmap estimates against actual"),
];

/// `/cost/export/<table>.csv?month=<month>`.
pub fn export_href(table: &str, month: &str) -> String {
    format!("/cost/export/{table}.csv?month={month}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnPointView {
    /// "2026-10-05"
    pub day: String,
    pub actual_cumulative_cents: i64,
    pub budget_cumulative_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentCostView {
    pub environment: String,
    pub month_cents: i64,
    pub previous_month_cents: i64,
    pub budget_cents: Option<i64>,
    pub forecast_cents: Option<i64>,
    /// "cost_explorer" or "local_projection".
    pub forecast_source: Option<String>,
    pub burn: Vec<BurnPointView>,
    /// The core's verdict: "over", "forecast_over", "within" or "no_budget".
    pub budget_verdict: String,
}

impl EnvironmentCostView {
    /// "forecast: Cost Explorer", "forecast: local projection from month-to-date".
    pub fn forecast_label(&self) -> Option<&'static str> {
        self.forecast_source.as_deref().map(forecast_label)
    }
}

/// How the page names a forecast's source.
pub fn forecast_label(source: &str) -> &'static str {
    match source {
        "cost_explorer" => "forecast: Cost Explorer",
        _ => "forecast: local projection from month-to-date",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCostView {
    pub service: String,
    pub month_cents: i64,
    pub previous_month_cents: i64,
    pub by_environment: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCostView {
    /// "2026-10-05"
    pub day: String,
    pub total_cents: i64,
    pub by_environment: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyCostView {
    /// "2026-10"
    pub month: String,
    pub total_cents: i64,
    pub by_environment: Vec<(String, i64)>,
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoverView {
    pub service: String,
    pub previous_cents: i64,
    pub current_cents: i64,
    pub change_cents: i64,
    /// `None` when the service cost nothing the month before.
    pub change_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyView {
    pub day: String,
    pub environment: String,
    pub cents: i64,
    pub baseline_cents: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateView {
    pub environment: String,
    pub component: String,
    /// The roadmap module's slug, when the estimate line names one.
    pub module: Option<String>,
    pub low_cents: i64,
    pub high_cents: i64,
    pub actual_cents: Option<i64>,
    /// The core's verdict: "under", "within", "over" or "no_data".
    pub verdict: String,
}

impl EstimateView {
    /// "$150.00–$200.00" or "$15.00".
    pub fn range(&self) -> String {
        if self.low_cents == self.high_cents {
            usd(self.low_cents)
        } else {
            format!("{}–{}", usd(self.low_cents), usd(self.high_cents))
        }
    }
}

/// The cost review of one month, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReviewView {
    /// "2026-10"
    pub month: String,
    /// The current month when the review was asked for (the picker's limit).
    pub current_month: String,
    /// False while the month is still running: figures are month to date.
    pub complete: bool,
    pub days_elapsed: u32,
    pub days_in_month: u32,
    /// "UnblendedCost", "AmortizedCost".
    pub metric: String,
    /// RFC 3339, UTC, seconds: the last successful refresh.
    pub refreshed_at: Option<String>,
    /// The last day the stored figures cover.
    pub data_through: Option<String>,
    /// Why the figures may be stale (the last refresh failed, or is old).
    pub problem: Option<String>,
    pub total_cents: i64,
    pub previous_total_cents: i64,
    /// `total_cents` against `previous_total_cents`, in percent (none from zero).
    pub change_pct: Option<f64>,
    /// Whole-month forecast (incomplete month only).
    pub forecast_cents: Option<i64>,
    /// "cost_explorer" or "local_projection".
    pub forecast_source: Option<String>,
    pub environments: Vec<EnvironmentCostView>,
    pub services: Vec<ServiceCostView>,
    pub daily: Vec<DailyCostView>,
    pub monthly: Vec<MonthlyCostView>,
    pub movers: Vec<MoverView>,
    pub anomalies: Vec<AnomalyView>,
    pub estimates: Vec<EstimateView>,
    /// Per environment: the estimates added up against the actuals.
    pub estimate_totals: Vec<EstimateView>,
    /// "2026-10": the whole month the estimates' actuals are from (the
    /// last full month when `month` is incomplete).
    pub estimates_month: String,
}

impl CostReviewView {
    /// Nothing stored yet for this month or any before it.
    pub fn is_empty(&self) -> bool {
        self.refreshed_at.is_none()
            && self.daily.is_empty()
            && self.monthly.iter().all(|m| m.total_cents == 0)
            && self.total_cents == 0
    }

    /// "month to date, 25 of 30 days" or "complete month".
    pub fn coverage(&self) -> String {
        if self.complete {
            "complete month".to_owned()
        } else {
            format!(
                "month to date, {} of {} days",
                self.days_elapsed, self.days_in_month
            )
        }
    }

    /// The environments' budgets added up (those that have one).
    pub fn budget_cents(&self) -> Option<i64> {
        let budgets: Vec<i64> = self
            .environments
            .iter()
            .filter_map(|e| e.budget_cents)
            .collect();
        (!budgets.is_empty()).then(|| budgets.iter().sum())
    }

    /// The environments in the order the tables show them (by name, as given).
    pub fn environment_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .environments
            .iter()
            .map(|e| e.environment.clone())
            .collect();
        for d in &self.daily {
            for (env, _) in &d.by_environment {
                if !names.contains(env) {
                    names.push(env.clone());
                }
            }
        }
        names
    }
}

/// What an admin's "Refresh now" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshView {
    pub at: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_with_thousands_separators() {
        assert_eq!(usd(0), "$0.00");
        assert_eq!(usd(5), "$0.05");
        assert_eq!(usd(123_456), "$1,234.56");
        assert_eq!(usd(100_000_000), "$1,000,000.00");
        assert_eq!(usd(-47_500), "−$475.00");
        assert_eq!(signed_usd(1_200), "+$12.00");
        assert_eq!(signed_usd(-350), "−$3.50");
        assert_eq!(signed_usd(0), "$0.00");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(Some(12.46)), "+12.5%");
        assert_eq!(percent(Some(-3.0)), "−3.0%");
        assert_eq!(percent(None), "new");
    }

    #[test]
    fn months() {
        assert_eq!(month_label("2026-10"), "October 2026");
        assert_eq!(month_short("2026-02"), "Feb 2026");
        assert_eq!(shift_month("2026-01", -1).as_deref(), Some("2025-12"));
        assert_eq!(shift_month("2026-12", 1).as_deref(), Some("2027-01"));
        assert_eq!(shift_month("2026-13", 1), None);
        assert_eq!(
            export_href("services", "2026-10"),
            "/cost/export/services.csv?month=2026-10"
        );
    }

    #[test]
    fn estimate_ranges() {
        let mut e = EstimateView {
            environment: "prod".into(),
            component: "WAF".into(),
            module: Some("waf".into()),
            low_cents: 1_500,
            high_cents: 2_000,
            actual_cents: None,
            verdict: "no_data".into(),
        };
        assert_eq!(e.range(), "$15.00–$20.00");
        e.high_cents = 1_500;
        assert_eq!(e.range(), "$15.00");
    }
}
