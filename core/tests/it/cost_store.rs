//! Cost storage and the review built from it, on SQLite and PostgreSQL alike.

use chrono::{Duration, NaiveDate};
use gantry_core::aws::testing::demo_environment;
use gantry_core::cost::model::{CostMetric, ForecastSource, YearMonth, UNTAGGED};
use gantry_core::cost::service::review;
use gantry_core::cost::store::{self, DailyRow, ForecastRow, Window};
use gantry_core::environments::model::Environment;
use gantry_core::roadmap::markdown::import::{parse_document, ImportOptions};
use gantry_core::roadmap::model::Roadmap;
use gantry_core::shared::EnvName;
use gantry_core::Db;

const SEED: &str = include_str!("../../../fixtures/infrastructure-status.md");

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn roadmap() -> Roadmap {
    parse_document(
        SEED,
        &ImportOptions {
            environments: vec![
                EnvName::parse("dev").unwrap(),
                EnvName::parse("prod").unwrap(),
            ],
            strict: false,
        },
    )
    .unwrap()
}

fn environments() -> Vec<Environment> {
    let mut prod = demo_environment("prod");
    prod.monthly_budget_cents = Some(45_000);
    vec![demo_environment("dev"), prod]
}

/// `end` is the last day; 100 days: dev ECS $1/day, prod ECS $10/day and
/// ElastiCache $2/day, prod ECS $40 on `spike`; $0.50/day untagged.
pub(crate) fn window(end: NaiveDate, spike: NaiveDate, tagged: bool) -> Window {
    let mut daily = Vec::new();
    let tag = |t: &str| if tagged { t.to_owned() } else { String::new() };
    for i in 0..100 {
        let d = end - Duration::days(i);
        let mut push = |service: &str, t: String, dollars_micros: i64| {
            daily.push(DailyRow {
                day: d,
                service: service.to_owned(),
                tag: t,
                amount_micros: dollars_micros,
            })
        };
        push("Amazon Elastic Container Service", tag("dev"), 1_000_000);
        push(
            "Amazon Elastic Container Service",
            tag("prod"),
            if d == spike { 40_000_000 } else { 10_000_000 },
        );
        push("Amazon ElastiCache", tag("prod"), 2_000_000);
        if tagged {
            push("AWS Config", String::new(), 500_000);
        }
    }
    Window::from_daily(daily, YearMonth::of(end))
}

async fn ingest(db: &Db, w: &Window) -> i64 {
    store::testing::ingest(db, w).await
}

async fn review_of_stored_window(db: Db) {
    let end = day("2026-11-25");
    let spike = day("2026-10-15");
    ingest(&db, &window(end, spike, true)).await;
    let month = YearMonth::parse("2026-11").unwrap();
    let r = review(&db, month, day("2026-11-26"), &environments(), &roadmap())
        .await
        .unwrap();
    assert!(!r.complete);
    assert_eq!((r.days_elapsed, r.days_in_month), (25, 30));
    assert_eq!(r.data_through, Some(end));
    assert_eq!(r.problem, None);
    let names: Vec<&str> = r
        .environments
        .iter()
        .map(|e| e.environment.as_str())
        .collect();
    assert_eq!(names, ["dev", "prod", UNTAGGED]);
    let dev = &r.environments[0];
    assert_eq!(dev.month_cents, 2500);
    assert_eq!(dev.previous_month_cents, 3100);
    // Projection: 25 days at $1 + 5 × $1.
    assert_eq!(dev.forecast_cents, Some(3000));
    assert_eq!(dev.forecast_source, Some(ForecastSource::LocalProjection));
    let prod = &r.environments[1];
    assert_eq!(prod.month_cents, 25 * 1200);
    assert_eq!(prod.previous_month_cents, 31 * 1200 + 3000);
    assert_eq!(prod.burn.len(), 25);
    assert_eq!(prod.burn[9].actual_cumulative_cents, 12_000);
    assert_eq!(prod.burn[9].budget_cumulative_cents, Some(15_000));
    assert_eq!(r.total_cents, 2500 + 30_000 + 1250);
    assert_eq!(r.services[0].service, "Amazon Elastic Container Service");
    assert_eq!(r.services[0].by_environment[1], ("prod".to_owned(), 25_000));
    assert_eq!(r.daily.len(), 90);
    assert_eq!(r.daily.last().unwrap().day, end);
    assert_eq!(r.monthly.len(), 13);
    assert_eq!(r.monthly[12].month, month);
    assert!(!r.monthly[12].complete);
    assert!(r.monthly[11].complete);
    assert_eq!(r.anomalies.len(), 1, "{:?}", r.anomalies);
    assert_eq!(
        (r.anomalies[0].day, r.anomalies[0].environment.as_str()),
        (spike, "prod")
    );
    // Movers compare the same 25 days of October: ECS prod had the spike there.
    assert_eq!(r.movers.len(), 1, "{:?}", r.movers);
    assert_eq!(r.movers[0].change_cents, -3000);
    // Estimates are monthly: November is incomplete, so they are compared
    // with October, the last full month (31 days), not with 25 days of
    // November. ElastiCache ~$50 in prod ↔ Amazon ElastiCache: $62.
    assert_eq!(r.estimates_month, month.previous());
    let cache = r
        .estimates
        .iter()
        .find(|e| e.component == "ElastiCache" && e.environment == "prod")
        .unwrap();
    assert_eq!((cache.low_cents, cache.actual_cents), (5000, Some(6200)));
    assert_eq!(
        cache.verdict(),
        gantry_core::cost::model::EstimateVerdict::Over
    );
    let ecs_dev = r
        .estimates
        .iter()
        .find(|e| e.component == "ECS Fargate" && e.environment == "dev")
        .unwrap();
    assert_eq!(ecs_dev.actual_cents, Some(3100));

    // A complete month has no forecast.
    let oct = review(
        &db,
        month.previous(),
        day("2026-11-26"),
        &environments(),
        &roadmap(),
    )
    .await
    .unwrap();
    assert!(oct.complete);
    assert_eq!(oct.forecast_cents, None);
    assert_eq!(oct.environments[0].month_cents, 3100);
    // A complete month's estimates are compared with itself.
    assert_eq!(oct.estimates_month, month.previous());
    assert!(oct
        .estimates
        .iter()
        .any(|e| e.component == "ElastiCache" && e.actual_cents == Some(6200)));
}

async fn failed_refresh_keeps_the_last_good_data(db: Db) {
    let end = day("2026-11-25");
    ingest(&db, &window(end, day("2026-10-15"), true)).await;
    let id = store::start_refresh(
        &db,
        "admin",
        CostMetric::Unblended,
        "environment",
        gantry_core::clock::testing::start(),
    )
    .await
    .unwrap();
    store::fail_refresh(
        &db,
        id,
        "Cost Explorer refused access",
        1,
        gantry_core::clock::testing::start(),
    )
    .await
    .unwrap();
    let month = YearMonth::parse("2026-11").unwrap();
    let r = review(&db, month, day("2026-11-26"), &environments(), &roadmap())
        .await
        .unwrap();
    assert_eq!(r.problem.as_deref(), Some("Cost Explorer refused access"));
    assert_eq!(r.environments[0].month_cents, 2500);
    assert!(r.refreshed_at.is_some());
    // A later success clears the problem.
    let mut w = window(end, day("2026-10-15"), true);
    w.forecasts = vec![ForecastRow {
        month,
        tag: "prod".into(),
        amount_micros: 400_000_000,
    }];
    ingest(&db, &w).await;
    let r = review(&db, month, day("2026-11-26"), &environments(), &roadmap())
        .await
        .unwrap();
    assert_eq!(r.problem, None);
    assert_eq!(r.environments[1].forecast_cents, Some(40_000));
    assert_eq!(
        r.environments[1].forecast_source,
        Some(ForecastSource::CostExplorer)
    );
    assert_eq!(
        r.forecast_source,
        Some(ForecastSource::LocalProjection),
        "dev is projected"
    );
    let log = store::refreshes(&db, 10).await.unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[1].status, "failed");
}

async fn inactive_tag_is_named(db: Db) {
    ingest(&db, &window(day("2026-11-25"), day("2026-10-15"), false)).await;
    let r = review(
        &db,
        YearMonth::parse("2026-11").unwrap(),
        day("2026-11-26"),
        &environments(),
        &roadmap(),
    )
    .await
    .unwrap();
    let problem = r.problem.unwrap();
    assert!(
        problem.starts_with("cost-allocation tag 'environment' is not active yet"),
        "{problem}"
    );
    let names: Vec<&str> = r
        .environments
        .iter()
        .map(|e| e.environment.as_str())
        .collect();
    assert_eq!(names, ["dev", "prod", UNTAGGED]);
    assert_eq!(r.environments[0].month_cents, 0);
}

async fn empty_store_reviews_empty(db: Db) {
    let r = review(
        &db,
        YearMonth::parse("2026-11").unwrap(),
        day("2026-11-26"),
        &environments(),
        &roadmap(),
    )
    .await
    .unwrap();
    assert_eq!(r.refreshed_at, None);
    assert_eq!(r.problem, None);
    assert_eq!(r.total_cents, 0);
    assert!(r.daily.is_empty());
    assert_eq!(r.monthly.len(), 13);
    assert_eq!(r.environments.len(), 2);
    assert!(r.estimates.iter().all(|e| e.actual_cents.is_none()));
}

gantry_core::on_both_backends!(
    review_of_stored_window,
    failed_refresh_keeps_the_last_good_data,
    inactive_tag_is_named,
    empty_store_reviews_empty,
);
