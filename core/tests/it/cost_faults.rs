//! Cost Explorer failing the ways moto cannot make it fail — access denied,
//! throttled, not enabled for the account — end to end through the real SDK
//! client pointed at [`FakeAwsEndpoint`] (a named test double of an AWS
//! endpoint on loopback, answering as AWS does). In each case the refresh is
//! refused with a reason a person can act on, the refresh log records it,
//! and the review keeps the last good figures and shows the reason beside
//! them.

use crate::support::fake_aws::FakeAwsEndpoint;
use chrono::{Duration, NaiveDate};
use gantry_core::aws::testing::demo_environment;
use gantry_core::aws::{AwsCallCounter, AwsClients};
use gantry_core::cost::model::YearMonth;
use gantry_core::cost::refresh::{CostRefresher, CostSettings, RefreshError, RefreshTrigger};
use gantry_core::cost::service::review;
use gantry_core::cost::store::{self, DailyRow, Window};
use gantry_core::roadmap::model::Roadmap;
use gantry_core::Db;

/// 40 days of prod ECS at $10/day ending `end`, stored as a good refresh.
async fn last_good(db: &Db, end: NaiveDate) {
    let daily = (0..40).map(|i| DailyRow {
        day: end - Duration::days(i),
        service: "Amazon Elastic Container Service".to_owned(),
        tag: "prod".to_owned(),
        amount_micros: 10_000_000,
    });
    store::testing::ingest(db, &Window::from_daily(daily, YearMonth::of(end))).await;
}

/// Refreshes once (as the schedule does: the last good refresh was moments
/// ago, so an admin would be rate-limited) through the fake endpoint; the error,
/// the requests the endpoint received, the requests Gantry counted.
async fn refresh_through(
    fake: &FakeAwsEndpoint,
    db: &Db,
    max_attempts: u32,
) -> (RefreshError, u64) {
    let calls = AwsCallCounter::new();
    let refresher = CostRefresher::new(
        db.clone(),
        AwsClients::new(fake.settings(max_attempts), calls.clone()),
        CostSettings::default(),
        gantry_core::clock::testing::clock(),
    );
    let error = refresher
        .refresh(RefreshTrigger::Schedule)
        .await
        .unwrap_err();
    (error, calls.total())
}

/// What the review shows after the failure: the stored figures and the reason.
async fn review_after(db: &Db, end: NaiveDate) -> (i64, Option<String>, Option<NaiveDate>) {
    let mut prod = demo_environment("prod");
    prod.monthly_budget_cents = Some(45_000);
    let r = review(
        db,
        YearMonth::of(end),
        end + Duration::days(1),
        &[demo_environment("dev"), prod],
        &Roadmap::default(),
    )
    .await
    .unwrap();
    (r.total_cents, r.problem, r.data_through)
}

async fn expect_refused_and_kept(
    fake: &FakeAwsEndpoint,
    max_attempts: u32,
    needle: &str,
) -> (String, u64) {
    let db = gantry_core::db::testing::sqlite().await;
    let end = gantry_core::clock::testing::today() - Duration::days(1);
    last_good(&db, end).await;
    let (before_total, _, _) = review_after(&db, end).await;
    assert!(before_total > 0);

    let (error, counted) = refresh_through(fake, &db, max_attempts).await;
    let RefreshError::Upstream(reason) = &error else {
        panic!("an upstream refusal, not {error:?}");
    };
    assert!(reason.contains(needle), "{reason}");
    assert_eq!(counted, fake.received(), "every request sent is counted");

    // The log names the failure; the figures are the last good ones.
    let log = store::refreshes(&db, 1).await.unwrap();
    assert_eq!(log[0].status, "failed");
    assert_eq!(log[0].error.as_deref(), Some(reason.as_str()));
    assert_eq!(log[0].upstream_requests, counted as i64);
    let (after_total, problem, through) = review_after(&db, end).await;
    assert_eq!(after_total, before_total, "the last good data is kept");
    assert_eq!(through, Some(end), "with the date it runs to");
    assert_eq!(
        problem.as_deref(),
        Some(reason.as_str()),
        "and the reason beside it"
    );
    (reason.clone(), counted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_names_the_permissions_and_is_not_retried() {
    let fake = FakeAwsEndpoint::start(400, "AccessDeniedException", "AccessDenied").await;
    let (reason, counted) =
        expect_refused_and_kept(&fake, 3, "ce:GetCostAndUsage and ce:GetCostForecast").await;
    assert!(
        reason.starts_with("Cost Explorer refused access"),
        "{reason}"
    );
    assert_eq!(counted, 1, "a refusal is final: one request");
    assert!(
        fake.bodies()[0].contains("\"Granularity\":\"DAILY\""),
        "the first request is the daily read: {:?}",
        fake.bodies()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_by_the_sdk_then_reported() {
    let fake = FakeAwsEndpoint::start(400, "LimitExceededException", "Throttling").await;
    let (reason, counted) = expect_refused_and_kept(&fake, 3, "the next refresh retries").await;
    assert!(
        reason.starts_with("Cost Explorer is throttling"),
        "{reason}"
    );
    assert_eq!(counted, 3, "the SDK's standard retry: 3 attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_explorer_not_enabled_says_how_to_enable_it() {
    let fake = FakeAwsEndpoint::start(400, "DataUnavailableException", "DataUnavailable").await;
    let (reason, counted) =
        expect_refused_and_kept(&fake, 3, "enable Cost Explorer in the Billing console").await;
    assert_eq!(counted, 1, "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_after_the_failure_is_rate_limited_not_resent() {
    let fake = FakeAwsEndpoint::start(400, "AccessDeniedException", "AccessDenied").await;
    let db = gantry_core::db::testing::sqlite().await;
    let calls = AwsCallCounter::new();
    let refresher = CostRefresher::new(
        db.clone(),
        AwsClients::new(fake.settings(3), calls.clone()),
        CostSettings::default(),
        gantry_core::clock::testing::clock(),
    );
    assert!(matches!(
        refresher.refresh(RefreshTrigger::Admin).await,
        Err(RefreshError::Upstream(_))
    ));
    // An admin pressing again at once costs nothing: refused before any request.
    match refresher.refresh(RefreshTrigger::Admin).await {
        Err(RefreshError::RateLimited { retry_after_secs }) => {
            assert!((1..=300).contains(&retry_after_secs), "{retry_after_secs}");
        }
        other => panic!("rate-limited, not {other:?}"),
    }
    assert_eq!(fake.received(), 1);
    assert_eq!(calls.total(), 1);
}
