//! The cost review's data model: what a cost review meeting looks at, in US
//! cents. Stored amounts are micro-dollars (see [`super::store`]); every figure
//! here is rounded to cents once, when the review is built.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

pub use crate::aws::cost_explorer::CostMetric;

/// Why a month a request named is not one; the message is precise and safe to
/// show (a 400 with this text, through [`CoreError::Invalid`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    #[error("month {0:?}: expected YYYY-MM with a month 01-12")]
    Malformed(String),
    #[error("month {0:?}: the year must be 2000-2999")]
    YearOutOfRange(String),
}

impl From<MonthError> for CoreError {
    fn from(err: MonthError) -> Self {
        CoreError::Invalid(err.to_string())
    }
}

/// A calendar month: `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct YearMonth {
    pub year: i32,
    /// 1..=12
    pub month: u32,
}

impl YearMonth {
    /// `YYYY-MM`, month 01-12, year 2000-2999 (Cost Explorer has nothing older).
    pub fn parse(raw: &str) -> Result<Self, MonthError> {
        let fail = || Err(MonthError::Malformed(raw.to_owned()));
        let bytes = raw.as_bytes();
        if bytes.len() != 7 || bytes[4] != b'-' {
            return fail();
        }
        let (year, month) = (&raw[..4], &raw[5..]);
        if !year
            .bytes()
            .chain(month.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return fail();
        }
        let (Ok(year), Ok(month)) = (year.parse::<i32>(), month.parse::<u32>()) else {
            return fail();
        };
        if !(1..=12).contains(&month) {
            return fail();
        }
        if !(2000..=2999).contains(&year) {
            return Err(MonthError::YearOutOfRange(raw.to_owned()));
        }
        Ok(Self { year, month })
    }

    /// The month `day` falls in.
    pub fn of(day: NaiveDate) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// 28..=31
    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    pub fn previous(self) -> Self {
        self.plus(-1)
    }

    pub fn next(self) -> Self {
        self.plus(1)
    }

    /// `months` later (earlier when negative).
    pub fn plus(self, months: i32) -> Self {
        let index = self.year * 12 + self.month as i32 - 1 + months;
        Self {
            year: index.div_euclid(12),
            month: (index.rem_euclid(12) + 1) as u32,
        }
    }

    /// Whether `day` falls in this month.
    pub fn contains(self, day: NaiveDate) -> bool {
        Self::of(day) == self
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for YearMonth {
    type Err = MonthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Where a forecast comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ForecastSource {
    /// Cost Explorer's GetCostForecast.
    CostExplorer,
    /// Month-to-date + mean of the last 7 days × remaining days (Cost Explorer
    /// did not answer, or not for this environment).
    LocalProjection,
}

impl ForecastSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CostExplorer => "cost_explorer",
            Self::LocalProjection => "local_projection",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "cost_explorer" => Some(Self::CostExplorer),
            "local_projection" => Some(Self::LocalProjection),
            _ => None,
        }
    }

    /// For people: "Cost Explorer forecast" / "local projection".
    pub fn label(self) -> &'static str {
        match self {
            Self::CostExplorer => "Cost Explorer forecast",
            Self::LocalProjection => "local projection",
        }
    }
}

/// The name under which spend without the cost-allocation tag is shown.
pub const UNTAGGED: &str = "untagged";

/// Everything the cost review page shows for one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReview {
    pub month: YearMonth,
    /// False for the current (incomplete) month.
    pub complete: bool,
    pub days_elapsed: u32,
    pub days_in_month: u32,
    pub metric: CostMetric,
    /// Last successful ingestion.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Last day with data.
    pub data_through: Option<NaiveDate>,
    /// The latest refresh failed (or the data cannot be attributed): the
    /// reason. The data shown is the last good one.
    pub problem: Option<String>,
    pub total_cents: i64,
    /// The previous month, whole.
    pub previous_total_cents: i64,
    /// Forecast for the whole month (sum of the environments'), when the month
    /// is incomplete.
    pub forecast_cents: Option<i64>,
    pub forecast_source: Option<ForecastSource>,
    /// Every Gantry environment with a cost tag, plus "untagged" if any.
    pub environments: Vec<EnvironmentCost>,
    /// By `month_cents`, largest first.
    pub services: Vec<ServiceCost>,
    /// 90 days ending at min(month end, data_through).
    pub daily: Vec<DailyCost>,
    /// 13 months ending with `month`.
    pub monthly: Vec<MonthlyCost>,
    /// Up to 5 largest increases, then up to 5 largest decreases, against the
    /// previous month (for an incomplete month: the same days of it).
    pub movers: Vec<Mover>,
    /// In the 90-day window; see [`super::analysis::anomalies`] for the rule.
    pub anomalies: Vec<Anomaly>,
    pub estimates: Vec<EstimateVsActual>,
    /// The month the estimates' actuals are from: estimates are monthly, so
    /// an incomplete month is compared with the last full one (never with a
    /// few days of month-to-date).
    pub estimates_month: YearMonth,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentCost {
    pub environment: String,
    pub month_cents: i64,
    pub previous_month_cents: i64,
    pub budget_cents: Option<i64>,
    /// Whole-month forecast (incomplete month only).
    pub forecast_cents: Option<i64>,
    pub forecast_source: Option<ForecastSource>,
    /// One point per day of the month with data.
    pub burn: Vec<BurnPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnPoint {
    pub day: NaiveDate,
    pub actual_cumulative_cents: i64,
    /// Budget × day / days_in_month.
    pub budget_cumulative_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCost {
    /// Cost Explorer's service name: "Amazon Elastic Container Service".
    pub service: String,
    pub month_cents: i64,
    pub previous_month_cents: i64,
    /// (environment, cents), in the order of [`CostReview::environments`].
    pub by_environment: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyCost {
    pub day: NaiveDate,
    pub total_cents: i64,
    pub by_environment: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyCost {
    pub month: YearMonth,
    pub total_cents: i64,
    pub by_environment: Vec<(String, i64)>,
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mover {
    pub service: String,
    pub previous_cents: i64,
    pub current_cents: i64,
    pub change_cents: i64,
    /// None when the previous amount is zero.
    pub change_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    pub day: NaiveDate,
    pub environment: String,
    pub cents: i64,
    /// The trailing 30-day mean.
    pub baseline_cents: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateVsActual {
    pub environment: String,
    /// The roadmap's cost line: "ECS Fargate".
    pub component: String,
    pub module: Option<String>,
    pub low_cents: i64,
    pub high_cents: i64,
    /// The mapped AWS service(s) in that environment this month; None when the
    /// component maps to no service (see [`super::analysis::services_for_component`]).
    pub actual_cents: Option<i64>,
}

/// The change from `previous` to `current` in percent; none from zero.
pub fn change_pct(previous: i64, current: i64) -> Option<f64> {
    (previous != 0).then(|| (current - previous) as f64 * 100.0 / (previous as f64).abs())
}

impl CostReview {
    /// This month against the whole previous one, in percent (none from zero).
    pub fn change_pct(&self) -> Option<f64> {
        change_pct(self.previous_total_cents, self.total_cents)
    }

    /// Per environment, in order of first appearance: the estimate lines
    /// added up (component "total"), against the actuals that map to a
    /// service (none when no line does).
    pub fn estimate_totals(&self) -> Vec<EstimateVsActual> {
        let mut totals: Vec<EstimateVsActual> = Vec::new();
        for e in &self.estimates {
            let i = match totals.iter().position(|t| t.environment == e.environment) {
                Some(i) => i,
                None => {
                    totals.push(EstimateVsActual {
                        environment: e.environment.clone(),
                        component: "total".to_owned(),
                        module: None,
                        low_cents: 0,
                        high_cents: 0,
                        actual_cents: None,
                    });
                    totals.len() - 1
                }
            };
            let row = &mut totals[i];
            row.low_cents += e.low_cents;
            row.high_cents += e.high_cents;
            if let Some(a) = e.actual_cents {
                row.actual_cents = Some(row.actual_cents.unwrap_or(0) + a);
            }
        }
        totals
    }
}

/// Where an environment stands against its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetVerdict {
    NoBudget,
    /// Already spent more than the budget.
    Over,
    /// Within it so far, but the whole-month forecast is over.
    ForecastOver,
    Within,
}

impl BudgetVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoBudget => "no_budget",
            Self::Over => "over",
            Self::ForecastOver => "forecast_over",
            Self::Within => "within",
        }
    }
}

impl EnvironmentCost {
    pub fn budget_verdict(&self) -> BudgetVerdict {
        match self.budget_cents {
            None => BudgetVerdict::NoBudget,
            Some(b) if self.month_cents > b => BudgetVerdict::Over,
            Some(b) if self.forecast_cents.is_some_and(|f| f > b) => BudgetVerdict::ForecastOver,
            Some(_) => BudgetVerdict::Within,
        }
    }
}

/// Where the actual falls against a roadmap estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstimateVerdict {
    /// The estimate maps to no AWS service.
    NoData,
    Under,
    Within,
    Over,
}

impl EstimateVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoData => "no_data",
            Self::Under => "under",
            Self::Within => "within",
            Self::Over => "over",
        }
    }
}

impl EstimateVsActual {
    pub fn verdict(&self) -> EstimateVerdict {
        match self.actual_cents {
            None => EstimateVerdict::NoData,
            Some(a) if a < self.low_cents => EstimateVerdict::Under,
            Some(a) if a > self.high_cents => EstimateVerdict::Over,
            Some(_) => EstimateVerdict::Within,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_and_verdicts() {
        assert_eq!(change_pct(0, 5), None);
        assert_eq!(change_pct(200, 250), Some(25.0));
        assert_eq!(change_pct(-200, -100), Some(50.0));
        let mut env = EnvironmentCost {
            environment: "prod".into(),
            month_cents: 100,
            previous_month_cents: 0,
            budget_cents: None,
            forecast_cents: Some(300),
            forecast_source: None,
            burn: Vec::new(),
        };
        assert_eq!(env.budget_verdict(), BudgetVerdict::NoBudget);
        env.budget_cents = Some(50);
        assert_eq!(env.budget_verdict(), BudgetVerdict::Over);
        env.budget_cents = Some(200);
        assert_eq!(env.budget_verdict(), BudgetVerdict::ForecastOver);
        env.budget_cents = Some(300);
        assert_eq!(env.budget_verdict(), BudgetVerdict::Within);
        let mut e = EstimateVsActual {
            environment: "prod".into(),
            component: "WAF".into(),
            module: Some("waf".into()),
            low_cents: 1_500,
            high_cents: 2_000,
            actual_cents: None,
        };
        assert_eq!(e.verdict(), EstimateVerdict::NoData);
        e.actual_cents = Some(2_500);
        assert_eq!(e.verdict(), EstimateVerdict::Over);
        e.actual_cents = Some(1_000);
        assert_eq!(e.verdict(), EstimateVerdict::Under);
        e.actual_cents = Some(1_500);
        assert_eq!(e.verdict(), EstimateVerdict::Within);
    }

    #[test]
    fn year_month_parses_and_steps() {
        let m = YearMonth::parse("2026-11").unwrap();
        assert_eq!(m.to_string(), "2026-11");
        assert_eq!(m.next().to_string(), "2026-12");
        assert_eq!(m.next().next().to_string(), "2027-01");
        assert_eq!(
            YearMonth::parse("2026-01").unwrap().previous().to_string(),
            "2025-12"
        );
        assert_eq!(m.plus(-12).to_string(), "2025-11");
        assert_eq!(YearMonth::parse("2024-02").unwrap().days(), 29);
        assert_eq!(m.days(), 30);
        assert_eq!(m.first_day(), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(
            YearMonth::parse("2026-13").unwrap_err().to_string(),
            "month \"2026-13\": expected YYYY-MM with a month 01-12"
        );
        assert_eq!(
            YearMonth::parse("1999-12"),
            Err(MonthError::YearOutOfRange("1999-12".to_owned()))
        );
        assert_eq!(
            CoreError::from(MonthError::Malformed("x".to_owned())).public_message(),
            "month \"x\": expected YYYY-MM with a month 01-12"
        );
        for bad in [
            "2026-1", "2026/11", "26-11", "2026-00", "", "2026-1x", "+026-11",
        ] {
            assert!(YearMonth::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metric_names() {
        assert_eq!(
            CostMetric::parse("AmortizedCost"),
            Ok(CostMetric::Amortized)
        );
        assert_eq!(CostMetric::parse("unblended"), Ok(CostMetric::Unblended));
        assert!(CostMetric::parse("BlendedCost").is_err());
        assert_eq!(CostMetric::default().as_str(), "UnblendedCost");
    }
}
