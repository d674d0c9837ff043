//! A cost review's tables as CSV, for the review meeting's spreadsheet.
//! Amounts are US dollars with two decimals ("1234.56"); text cells that a
//! spreadsheet would run as a formula get a leading `'`.

use super::model::{CostReview, ForecastSource};

/// The tables [`csv`] knows.
pub const TABLES: [&str; 7] = [
    "environments",
    "services",
    "daily",
    "monthly",
    "movers",
    "anomalies",
    "estimates",
];

/// Table `table` of `review` as CSV (header row first); `None` for an
/// unknown table name.
pub fn csv(review: &CostReview, table: &str) -> Option<String> {
    let env_names: Vec<String> = review
        .environments
        .iter()
        .map(|e| e.environment.clone())
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    match table {
        "environments" => {
            rows.push(cells(&[
                "environment",
                "month",
                "month_usd",
                "previous_month_usd",
                "budget_usd",
                "forecast_usd",
                "forecast_source",
            ]));
            for e in &review.environments {
                rows.push(vec![
                    text(&e.environment),
                    review.month.to_string(),
                    usd(e.month_cents),
                    usd(e.previous_month_cents),
                    e.budget_cents.map(usd).unwrap_or_default(),
                    e.forecast_cents.map(usd).unwrap_or_default(),
                    e.forecast_source
                        .map(ForecastSource::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                ]);
            }
        }
        "services" => {
            let mut header = cells(&["service", "month", "month_usd", "previous_month_usd"]);
            header.extend(env_names.iter().map(|n| text(&format!("{n}_usd"))));
            rows.push(header);
            for s in &review.services {
                let mut row = vec![
                    text(&s.service),
                    review.month.to_string(),
                    usd(s.month_cents),
                    usd(s.previous_month_cents),
                ];
                row.extend(s.by_environment.iter().map(|(_, c)| usd(*c)));
                rows.push(row);
            }
        }
        "daily" => {
            let mut header = cells(&["day", "total_usd"]);
            header.extend(env_names.iter().map(|n| text(&format!("{n}_usd"))));
            rows.push(header);
            for d in &review.daily {
                let mut row = vec![d.day.to_string(), usd(d.total_cents)];
                row.extend(d.by_environment.iter().map(|(_, c)| usd(*c)));
                rows.push(row);
            }
        }
        "monthly" => {
            let mut header = cells(&["month", "complete", "total_usd"]);
            header.extend(env_names.iter().map(|n| text(&format!("{n}_usd"))));
            rows.push(header);
            for m in &review.monthly {
                let mut row = vec![
                    m.month.to_string(),
                    m.complete.to_string(),
                    usd(m.total_cents),
                ];
                row.extend(m.by_environment.iter().map(|(_, c)| usd(*c)));
                rows.push(row);
            }
        }
        "movers" => {
            rows.push(cells(&[
                "service",
                "previous_usd",
                "current_usd",
                "change_usd",
                "change_pct",
            ]));
            for m in &review.movers {
                rows.push(vec![
                    text(&m.service),
                    usd(m.previous_cents),
                    usd(m.current_cents),
                    usd(m.change_cents),
                    m.change_pct.map(|p| format!("{p:.1}")).unwrap_or_default(),
                ]);
            }
        }
        "anomalies" => {
            rows.push(cells(&[
                "day",
                "environment",
                "usd",
                "baseline_usd",
                "reason",
            ]));
            for a in &review.anomalies {
                rows.push(vec![
                    a.day.to_string(),
                    text(&a.environment),
                    usd(a.cents),
                    usd(a.baseline_cents),
                    text(&a.reason),
                ]);
            }
        }
        "estimates" => {
            rows.push(cells(&[
                "environment",
                "component",
                "module",
                "estimate_low_usd",
                "estimate_high_usd",
                "actual_usd",
            ]));
            for e in &review.estimates {
                rows.push(vec![
                    text(&e.environment),
                    text(&e.component),
                    text(e.module.as_deref().unwrap_or_default()),
                    usd(e.low_cents),
                    usd(e.high_cents),
                    e.actual_cents.map(usd).unwrap_or_default(),
                ]);
            }
        }
        _ => return None,
    }
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row).ok()?;
    }
    String::from_utf8(writer.into_inner().ok()?).ok()
}

fn cells(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// Cents as dollars: `1234.56`, `-0.05`.
fn usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Text from Cost Explorer, the roadmap or config could start with `=`, `+`,
/// `-`, `@`, a tab or a carriage return and run as a formula in a
/// spreadsheet: such a cell gets a leading `'` (OWASP's advice), exactly as in
/// the audit export. Every free-text cell, header cells named after
/// environments included, goes through this; amounts and dates do not need it.
fn text(value: &str) -> String {
    crate::audit::export::spreadsheet_safe(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::model::*;
    use chrono::NaiveDate;

    fn review() -> CostReview {
        CostReview {
            month: YearMonth::parse("2026-11").unwrap(),
            complete: false,
            days_elapsed: 25,
            days_in_month: 30,
            metric: CostMetric::Unblended,
            refreshed_at: None,
            data_through: None,
            problem: None,
            total_cents: 0,
            previous_total_cents: 0,
            forecast_cents: None,
            forecast_source: None,
            environments: vec![],
            services: vec![ServiceCost {
                service: "=HYPERLINK(\"x\")".into(),
                month_cents: 123_456,
                previous_month_cents: -5,
                by_environment: vec![],
            }],
            daily: vec![DailyCost {
                day: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                total_cents: 5,
                by_environment: vec![],
            }],
            monthly: vec![],
            movers: vec![],
            anomalies: vec![],
            estimates: vec![],
            estimates_month: YearMonth::parse("2026-10").unwrap(),
        }
    }

    /// Every text field of every table holds something a spreadsheet would
    /// run; amounts are negative where they can be.
    fn hostile_review() -> CostReview {
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let env = "=cmd|' /C calc'!A0".to_owned();
        let mut r = review();
        r.environments = vec![EnvironmentCost {
            environment: env.clone(),
            month_cents: -1,
            previous_month_cents: -2,
            budget_cents: Some(-3),
            forecast_cents: Some(-4),
            forecast_source: Some(ForecastSource::LocalProjection),
            burn: vec![],
        }];
        r.services = vec![ServiceCost {
            service: "+SUM(1)".into(),
            month_cents: -5,
            previous_month_cents: -6,
            by_environment: vec![(env.clone(), -7)],
        }];
        r.daily = vec![DailyCost {
            day,
            total_cents: -8,
            by_environment: vec![(env.clone(), -9)],
        }];
        r.monthly = vec![MonthlyCost {
            month: r.month,
            total_cents: -10,
            by_environment: vec![(env.clone(), -11)],
            complete: false,
        }];
        r.movers = vec![Mover {
            service: "-2+3".into(),
            previous_cents: 100,
            current_cents: -12,
            change_cents: -112,
            change_pct: Some(-112.0),
        }];
        r.anomalies = vec![Anomaly {
            day,
            environment: "@evil".into(),
            cents: -13,
            baseline_cents: -14,
            reason: "\t=1+1".into(),
        }];
        r.estimates = vec![EstimateVsActual {
            environment: "\r=1".into(),
            component: "=HYPERLINK(\"http://x\")".into(),
            module: Some("-module".into()),
            low_cents: -15,
            high_cents: -16,
            actual_cents: Some(-17),
        }];
        r
    }

    #[test]
    fn every_free_text_cell_of_every_table_is_defused() {
        let r = hostile_review();
        for table in TABLES {
            let text = csv(&r, table).unwrap();
            let mut reader = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes());
            let mut cells = 0;
            for row in reader.records() {
                for cell in row.unwrap().iter() {
                    cells += 1;
                    let dangerous = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
                    // A negative amount or percentage is a number, not a formula.
                    let number = cell.parse::<f64>().is_ok();
                    assert!(!dangerous || number, "{table}: {cell:?} is not defused");
                }
            }
            assert!(cells > 0, "{table}");
            assert!(text.contains("'"), "{table} has no defused text: {text}");
        }
        let estimates = csv(&r, "estimates").unwrap();
        assert!(estimates.contains("'-module"), "{estimates}");
        assert!(estimates.contains("-0.15"), "{estimates}");
        let daily = csv(&r, "daily").unwrap();
        assert!(daily.starts_with("day,total_usd,'=cmd"), "{daily}");
    }

    #[test]
    fn tables_and_formula_safety() {
        let r = review();
        let services = csv(&r, "services").unwrap();
        assert_eq!(
            services,
            "service,month,month_usd,previous_month_usd\n\"'=HYPERLINK(\"\"x\"\")\",2026-11,1234.56,-0.05\n"
        );
        assert_eq!(
            csv(&r, "daily").unwrap(),
            "day,total_usd\n2026-11-01,0.05\n"
        );
        for t in TABLES {
            assert!(csv(&r, t).is_some(), "{t}");
        }
        assert_eq!(csv(&r, "secrets"), None);
    }
}
