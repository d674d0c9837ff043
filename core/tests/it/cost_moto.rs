//! Cost ingestion through the real Cost Explorer SDK client against moto,
//! seeded with the demo account (`MOTO_TEST_ENDPOINT`, set by scripts/test.sh).
//!
//! moto answers GetCostAndUsage from results `scripts/demo_aws.py` queued,
//! bound to the first distinct request bodies it sees: every test here sends
//! the same two bodies (end date E as the seed recorded it, UnblendedCost,
//! SERVICE × tag `environment`), so they all get the seed's data, in any
//! order. GetCostForecast is not in moto (HTTP 500): the forecast is the
//! local projection.

use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use gantry_core::aws::testing::{demo_environment, moto_settings};
use gantry_core::aws::{AwsCallCounter, AwsClients, AwsSettings, StaticCredentials};
use gantry_core::cost::model::{ForecastSource, YearMonth};
use gantry_core::cost::refresh::{
    CostRefresher, CostSettings, RefreshError, RefreshOutcome, RefreshTrigger,
};
use gantry_core::cost::service::review;
use gantry_core::environments::model::Environment;
use gantry_core::roadmap::markdown::import::{parse_document, ImportOptions};
use gantry_core::roadmap::model::Roadmap;
use gantry_core::shared::EnvName;
use gantry_core::Db;

const SEED: &str = include_str!("../../../fixtures/infrastructure-status.md");
const MARKER: &str = "/gantry-demo-seed/cost-explorer";
const VERIFY_ACCOUNT: &str = "111122223333";

/// E as the seed recorded it (SSM parameter of the verification account).
async fn seeded_end_date() -> NaiveDate {
    let clients = AwsClients::new(moto_settings(), AwsCallCounter::new());
    let ssm = clients.for_environment(&demo_environment("dev")).await.ssm;
    let answer = ssm
        .get_parameter()
        .name(MARKER)
        .customize()
        .mutate_request(|req| {
            req.headers_mut()
                .insert("x-moto-account-id", VERIFY_ACCOUNT);
        })
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!("moto has no {MARKER}: seed it with scripts/demo_aws.py ({e:?})")
        });
    let value: serde_json::Value =
        serde_json::from_str(answer.parameter().unwrap().value().unwrap()).unwrap();
    NaiveDate::parse_from_str(value["end_date"].as_str().unwrap(), "%Y-%m-%d").unwrap()
}

fn environments() -> Vec<Environment> {
    let mut dev = demo_environment("dev");
    dev.monthly_budget_cents = Some(8_000);
    let mut prod = demo_environment("prod");
    prod.monthly_budget_cents = Some(45_000);
    vec![dev, prod]
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

async fn refresher(db: &Db, settings: AwsSettings) -> (CostRefresher, AwsCallCounter) {
    let calls = AwsCallCounter::new();
    let refresher = CostRefresher::new(
        db.clone(),
        AwsClients::new(settings, calls.clone()),
        CostSettings {
            end_date: Some(seeded_end_date().await),
            ..CostSettings::default()
        },
        gantry_core::clock::testing::clock(),
    );
    (refresher, calls)
}

fn ce_calls(calls: &AwsCallCounter, operation: &str) -> u64 {
    calls
        .by_operation()
        .into_iter()
        .filter(|((s, o), _)| s == "ce" && o == operation)
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_storm_is_one_upstream_round_and_reviews_cost_none() {
    let db = gantry_core::db::testing::sqlite().await;
    let (refresher, calls) = refresher(&db, moto_settings()).await;
    let e = refresher.end_date();

    let storm = (0..50).map(|_| {
        let r = refresher.clone();
        tokio::spawn(async move { r.refresh(RefreshTrigger::Admin).await })
    });
    let outcomes: Vec<RefreshOutcome> = futures::future::join_all(storm)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    assert!(
        outcomes.iter().all(|o| o == &outcomes[0]),
        "one shared outcome"
    );
    let o = &outcomes[0];
    assert_eq!(
        ce_calls(&calls, "GetCostAndUsage"),
        2,
        "{:?}",
        calls.by_operation()
    );
    assert!(ce_calls(&calls, "GetCostForecast") <= 1);
    assert_eq!(calls.total(), o.upstream_requests);
    assert!(o.days >= 365, "13 months of days: {o:?}");
    if e.day() < YearMonth::of(e).days() {
        assert_eq!(
            o.forecast,
            Some(ForecastSource::LocalProjection),
            "moto has no forecast"
        );
    }

    // Right after, an admin's refresh is refused, and costs nothing.
    match refresher.refresh(RefreshTrigger::Admin).await {
        Err(RefreshError::RateLimited { retry_after_secs }) => {
            assert!((1..=300).contains(&retry_after_secs))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }

    // 100 concurrent reviews read the database only.
    let before = calls.total();
    let month = YearMonth::of(e);
    let today = e.succ_opt().unwrap();
    let (envs, road) = (environments(), roadmap());
    let reviews = (0..100).map(|_| review(&db, month, today, &envs, &road));
    let reviews = futures::future::join_all(reviews).await;
    assert_eq!(calls.total(), before, "reviews must not call AWS");
    let r = reviews.into_iter().next().unwrap().unwrap();

    // The demo's numbers.
    assert_eq!(r.data_through, Some(e));
    assert_eq!(r.problem, None);
    assert_eq!(r.monthly.len(), 13);
    for m in r.monthly.iter().filter(|m| m.complete) {
        let by: std::collections::HashMap<&str, i64> = m
            .by_environment
            .iter()
            .map(|(n, c)| (n.as_str(), *c))
            .collect();
        assert!(
            (7_000..=8_000).contains(&by["dev"]),
            "dev {}: {}",
            m.month,
            by["dev"]
        );
        assert!(
            (36_500..=47_500).contains(&by["prod"]),
            "prod {}: {}",
            m.month,
            by["prod"]
        );
    }
    let names: Vec<&str> = r
        .environments
        .iter()
        .map(|e| e.environment.as_str())
        .collect();
    assert_eq!(names, ["dev", "prod"], "no untagged spend in the demo");
    // Daily amounts add up to the monthly ones (within rounding).
    let daily_sum: i64 = r
        .daily
        .iter()
        .filter(|d| month.contains(d.day))
        .map(|d| d.total_cents)
        .sum();
    assert!(
        (daily_sum - r.total_cents).abs() <= 31,
        "{daily_sum} vs {}",
        r.total_cents
    );
    if !r.complete {
        let prod = &r.environments[1];
        assert_eq!(prod.forecast_source, Some(ForecastSource::LocalProjection));
        assert!(prod.forecast_cents.unwrap() >= prod.month_cents);
        assert_eq!(prod.burn.len() as u32, e.day());
    }
    // The 3× prod day on the 15th of the month before E's month.
    let spike = month.previous().first_day().with_day(15).unwrap();
    let prev = review(&db, month.previous(), today, &envs, &road)
        .await
        .unwrap();
    assert!(
        prev.anomalies
            .iter()
            .any(|a| a.day == spike && a.environment == "prod"),
        "{:?}",
        prev.anomalies
    );
    assert!(prev.anomalies.iter().all(|a| a.environment == "prod"));
    // Roadmap estimate ↔ actual: ElastiCache ~$50 in prod.
    let cache = prev
        .estimates
        .iter()
        .find(|x| x.environment == "prod" && x.component == "ElastiCache")
        .unwrap();
    let actual = cache.actual_cents.unwrap();
    assert!((3_000..=9_000).contains(&actual), "ElastiCache {actual}");
    let route53 = prev.estimates.iter().all(|x| x.actual_cents.is_some());
    assert!(route53, "every seed component maps to a service");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cost_explorer_keeps_the_last_good_data() {
    let db = gantry_core::db::testing::sqlite().await;
    let (good, _) = refresher(&db, moto_settings()).await;
    good.refresh(RefreshTrigger::Schedule).await.unwrap();

    // Nothing listens on port 9 of loopback.
    let broken = AwsSettings {
        endpoint_url: Some(url::Url::parse("http://127.0.0.1:9").unwrap()),
        static_credentials: Some(StaticCredentials::moto()),
        max_attempts: 1,
        connect_timeout: Duration::from_secs(1),
        ..AwsSettings::default()
    };
    let (bad, calls) = refresher(&db, broken).await;
    let err = bad.refresh(RefreshTrigger::Schedule).await.unwrap_err();
    let RefreshError::Upstream(reason) = &err else {
        panic!("expected Upstream, got {err:?}")
    };
    assert!(
        reason.starts_with("Cost Explorer did not answer"),
        "{reason}"
    );
    assert_eq!(calls.total(), 1, "one attempt, then give up");

    let e = good.end_date();
    let r = review(
        &db,
        YearMonth::of(e),
        e.succ_opt().unwrap(),
        &environments(),
        &roadmap(),
    )
    .await
    .unwrap();
    assert_eq!(r.problem.as_deref(), Some(reason.as_str()));
    assert!(r.total_cents > 0, "the last good data is still shown");
    assert!(r.refreshed_at.is_some());
}
