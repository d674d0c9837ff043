//! Cost Explorer's answers as the rows [`super::store`] keeps: tag values
//! decoded, duplicate groups summed, and the account's forecast split over
//! the environments.

use std::collections::BTreeMap;

use super::model::YearMonth;
use super::store::{sum_daily, DailyRow, ForecastRow, MonthlyRow, Window};
use crate::aws::cost_explorer::CostGroup;

/// The tag value of a Cost Explorer tag group key: `environment$dev` →
/// `dev`, `environment$` → `` (spend without the tag: untagged).
pub fn tag_value(tag_key: &str, raw: &str) -> String {
    if let Some(value) = raw
        .strip_prefix(tag_key)
        .and_then(|rest| rest.strip_prefix('$'))
    {
        return value.to_owned();
    }
    match raw.split_once('$') {
        Some((_, value)) => value.to_owned(),
        None => raw.to_owned(),
    }
}

/// The daily and monthly answers as one window to store.
pub fn window(daily: &[CostGroup], monthly: &[CostGroup], tag_key: &str) -> Window {
    let mut months: BTreeMap<(YearMonth, String, String), (i64, bool)> = BTreeMap::new();
    for g in monthly {
        let entry = months
            .entry((
                YearMonth::of(g.start),
                g.service.clone(),
                tag_value(tag_key, &g.tag),
            ))
            .or_default();
        entry.0 += g.amount_micros;
        entry.1 |= g.estimated;
    }
    Window {
        daily: sum_daily(daily.iter().map(|g| DailyRow {
            day: g.start,
            service: g.service.clone(),
            tag: tag_value(tag_key, &g.tag),
            amount_micros: g.amount_micros,
        })),
        monthly: months
            .into_iter()
            .map(
                |((month, service, tag), (amount_micros, estimated))| MonthlyRow {
                    month,
                    service,
                    tag,
                    amount_micros,
                    estimated,
                },
            )
            .collect(),
        forecasts: Vec::new(),
    }
}

/// Cost Explorer forecasts the account, not each environment (GetCostForecast
/// has no GroupBy; one filtered request per environment would multiply the
/// cost). The whole month's figure is month-to-date + the forecast of the
/// rest; the rest is split over the tag values in proportion to their
/// month-to-date spend in `daily` (largest remainder to the largest
/// spender, so the parts add up exactly). Nothing when the month has no
/// spend yet to split by.
pub fn split_forecast(daily: &[DailyRow], month: YearMonth, rest_micros: i64) -> Vec<ForecastRow> {
    let mut mtd: BTreeMap<String, i64> = BTreeMap::new();
    for r in daily.iter().filter(|r| month.contains(r.day)) {
        *mtd.entry(r.tag.clone()).or_default() += r.amount_micros;
    }
    let total: i64 = mtd.values().filter(|v| **v > 0).sum();
    if total <= 0 {
        return Vec::new();
    }
    let mut rows: Vec<ForecastRow> = mtd
        .iter()
        .map(|(tag, spent)| {
            let share =
                (i128::from(rest_micros) * i128::from((*spent).max(0)) / i128::from(total)) as i64;
            ForecastRow {
                month,
                tag: tag.clone(),
                amount_micros: spent + share,
            }
        })
        .collect();
    let assigned: i64 =
        rows.iter().map(|r| r.amount_micros).sum::<i64>() - mtd.values().sum::<i64>();
    if let Some((largest, _)) = mtd.iter().max_by_key(|(_, v)| **v) {
        if let Some(row) = rows.iter_mut().find(|r| &r.tag == largest) {
            row.amount_micros += rest_micros - assigned;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn tag_values() {
        assert_eq!(tag_value("environment", "environment$dev"), "dev");
        assert_eq!(tag_value("environment", "environment$"), "");
        assert_eq!(tag_value("environment", "Environment$prod"), "prod");
        assert_eq!(tag_value("env", "env$a$b"), "a$b");
        assert_eq!(tag_value("environment", "NoTagKey"), "NoTagKey");
    }

    #[test]
    fn duplicate_groups_are_summed() {
        let g = |tag: &str, micros| CostGroup {
            start: day("2026-11-01"),
            service: "Amazon S3".into(),
            tag: tag.into(),
            amount_micros: micros,
            estimated: true,
        };
        let w = window(
            &[g("environment$", 5), g("NoTag$", 7)],
            &[g("environment$dev", 3)],
            "environment",
        );
        assert_eq!(w.daily.len(), 1);
        assert_eq!(w.daily[0].amount_micros, 12);
        assert_eq!(w.monthly[0].tag, "dev");
        assert!(w.monthly[0].estimated);
    }

    #[test]
    fn forecast_is_split_by_month_to_date() {
        let month = YearMonth::parse("2026-11").unwrap_or(YearMonth {
            year: 2026,
            month: 11,
        });
        let row = |d: &str, tag: &str, micros| DailyRow {
            day: day(d),
            service: "x".into(),
            tag: tag.into(),
            amount_micros: micros,
        };
        let daily = [
            row("2026-10-31", "dev", 1_000),
            row("2026-11-01", "dev", 1_000),
            row("2026-11-01", "prod", 2_000),
        ];
        let f = split_forecast(&daily, month, 1_000);
        let by: BTreeMap<&str, i64> = f
            .iter()
            .map(|r| (r.tag.as_str(), r.amount_micros))
            .collect();
        assert_eq!(by["dev"], 1_000 + 333);
        assert_eq!(by["prod"], 2_000 + 667);
        assert!(split_forecast(&daily[..1], month, 1_000).is_empty());
    }
}
