//! The cost review through the whole server: the page (server-rendered SVG
//! charts with titles, and tables) from figures stored the way the refresher
//! stores them, stale data beside the reason, a malformed month refused with
//! the reason, the CSV exports, and who may do what.

use crate::common::{TestApp, CONFIG};
use crate::fake_aws::FakeAwsEndpoint;
use axum::http::{header, StatusCode};
use chrono::{Duration, NaiveDate};
use gantry_core::cost::model::YearMonth;
use gantry_core::cost::store::{self, DailyRow, Window};

/// The test config with the environments' cost-allocation tags.
fn tagged_config() -> String {
    CONFIG
        .replace(
            "ssm_prefix = \"/backend-booking/dev/\"",
            "ssm_prefix = \"/backend-booking/dev/\"\ncost_tag_key = \"environment\"\ncost_tag_value = \"dev\"",
        )
        .replace(
            "ssm_prefix = \"/backend-booking/prod/\"",
            "ssm_prefix = \"/backend-booking/prod/\"\ncost_tag_key = \"environment\"\ncost_tag_value = \"prod\"",
        )
}

/// 120 days ending `end`: dev ECS $1/day, prod ECS $10/day (from the first
/// day of `end`'s month: $14/day, a mover whatever day `end` is) and RDS
/// $6/day, with monthly sums.
fn window(end: NaiveDate) -> Window {
    let mut daily = Vec::new();
    let month_start = YearMonth::of(end).first_day();
    for i in 0..120 {
        let day = end - Duration::days(i);
        let ecs_prod = if day >= month_start {
            14_000_000
        } else {
            10_000_000
        };
        for (service, tag, micros) in [
            ("Amazon Elastic Container Service", "dev", 1_000_000),
            ("Amazon Elastic Container Service", "prod", ecs_prod),
            ("Amazon Relational Database Service", "prod", 6_000_000),
        ] {
            daily.push(DailyRow {
                day,
                service: service.to_owned(),
                tag: tag.to_owned(),
                amount_micros: micros,
            });
        }
    }
    Window::from_daily(daily, YearMonth::of(end))
}

/// Stores `w` as one successful refresh.
async fn ingest(app: &TestApp, w: &Window) {
    store::testing::ingest(&app.services.db, w).await;
}

/// An app with 120 days of figures ending yesterday; the month they end in.
async fn app_with_costs() -> (TestApp, String) {
    let app = TestApp::with_config(&tagged_config()).await;
    let end = app.today() - Duration::days(1);
    ingest(&app, &window(end)).await;
    (app, YearMonth::of(end).to_string())
}

#[tokio::test]
async fn the_review_page_renders_svg_charts_and_tables() {
    let (app, month) = app_with_costs().await;
    let cookie = app.sign_in("vera").await;
    let page = app
        .get(&format!("/cost?month={month}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = &page.body;
    for chart in [
        "chart-environments",
        "chart-services",
        "chart-daily",
        "chart-monthly",
        "chart-movers",
        "chart-burn-prod",
    ] {
        assert!(
            html.contains(&format!(r#"aria-labelledby="{chart}-title {chart}-desc""#)),
            "{chart} has a title and description: {html}"
        );
        assert!(
            html.contains(&format!(r#"<title id="{chart}-title">"#)),
            "{chart}"
        );
    }
    assert!(html.matches(r#"role="img""#).count() >= 6, "{html}");
    assert!(html.contains("data-chart-table"), "{html}");
    // The tables, with each environment and the largest service.
    assert!(
        html.contains(r#"data-testid="environments-table""#),
        "{html}"
    );
    assert!(html.contains(r#"<tr data-environment="dev""#), "{html}");
    assert!(html.contains(r#"<tr data-environment="prod""#), "{html}");
    assert!(
        html.contains(r#"data-service="Amazon Elastic Container Service""#),
        "{html}"
    );
    assert!(
        html.contains(r#"data-mover="#),
        "at least one mover: {html}"
    );
    // Money as dollars, the CSV links, the picker.
    assert!(html.contains("$"), "{html}");
    assert!(
        html.contains(&format!(
            r#"href="/cost/export/services.csv?month={month}""#
        )),
        "{html}"
    );
    assert!(html.contains(r#"name="month""#), "{html}");
    assert!(!html.contains(r#"data-testid="cost-stale""#), "{html}");
    // A month before today's is complete; the current one says how far it got.
    let current = gantry_core::cost::service::current_month(app.today()).to_string();
    let page = app.get("/cost", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!(r#"data-month="{current}""#)),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("month to date,") || page.body.contains("No cost data yet"),
        "{}",
        page.body
    );
    let earlier = YearMonth::parse(&month).unwrap().previous().to_string();
    let page = app
        .get(&format!("/cost?month={earlier}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("complete month"), "{}", page.body);
}

#[tokio::test]
async fn an_empty_store_still_renders_the_page() {
    let app = TestApp::new().await;
    let cookie = app.sign_in("vera").await;
    let page = app.get("/cost", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("No cost data yet"), "{}", page.body);
    assert!(
        page.body.contains(r#"data-testid="month-picker""#),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_malformed_month_is_refused_with_the_reason() {
    let app = TestApp::new().await;
    let cookie = app.sign_in("vera").await;
    for bad in ["2026-13", "october", "2026-1"] {
        let page = app.get(&format!("/cost?month={bad}"), Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}: {}", page.body);
        assert!(
            page.body.contains("expected YYYY-MM"),
            "{bad}: {}",
            page.body
        );
        assert!(
            page.body.contains(r#"name="month""#),
            "the picker stays: {}",
            page.body
        );

        let api = app
            .call("/api/cost/review", &format!("month={bad}"), Some(&cookie))
            .await;
        assert_eq!(api.status, StatusCode::BAD_REQUEST, "{bad}: {}", api.body);
        assert!(api.body.contains("expected YYYY-MM"), "{}", api.body);

        let csv = app
            .get(
                &format!("/cost/export/services.csv?month={bad}"),
                Some(&cookie),
            )
            .await;
        assert_eq!(csv.status, StatusCode::BAD_REQUEST, "{bad}: {}", csv.body);
        assert!(csv.body.contains("expected YYYY-MM"), "{}", csv.body);
    }
}

/// The typed month error reaches the client once converted: a 400 with its
/// precise message, from the server function and the export route alike.
#[tokio::test]
async fn a_month_out_of_range_is_refused_with_the_precise_message() {
    let app = TestApp::new().await;
    let cookie = app.sign_in("vera").await;
    let api = app
        .call("/api/cost/review", "month=1999-12", Some(&cookie))
        .await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST, "{}", api.body);
    assert!(
        api.body.contains("1999-12") && api.body.contains(": the year must be 2000-2999"),
        "{}",
        api.body
    );
    let csv = app
        .get("/cost/export/services.csv?month=1999-12", Some(&cookie))
        .await;
    assert_eq!(csv.status, StatusCode::BAD_REQUEST, "{}", csv.body);
    assert!(
        csv.body
            .contains("month \"1999-12\": the year must be 2000-2999"),
        "{}",
        csv.body
    );
}

#[tokio::test]
async fn every_table_exports_as_csv() {
    let (app, month) = app_with_costs().await;
    let cookie = app.sign_in("vera").await;
    for table in gantry_core::cost::export::TABLES {
        let reply = app
            .get(
                &format!("/cost/export/{table}.csv?month={month}"),
                Some(&cookie),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{table}: {}", reply.body);
        assert!(
            reply.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/csv"),
            "{table}"
        );
        assert_eq!(
            reply.headers[header::CONTENT_DISPOSITION].to_str().unwrap(),
            format!("attachment; filename=\"gantry-cost-{table}-{month}.csv\""),
        );
        assert!(
            reply.body.lines().next().is_some_and(|h| h.contains(',')),
            "{table}: header row: {}",
            reply.body
        );
    }
    let services = app
        .get(
            &format!("/cost/export/services.csv?month={month}"),
            Some(&cookie),
        )
        .await;
    assert!(
        services.body.lines().count() >= 3,
        "a header and both services: {}",
        services.body
    );
    assert!(
        services.body.contains("Amazon Relational Database Service"),
        "{}",
        services.body
    );
    let environments = app
        .get(
            &format!("/cost/export/environments.csv?month={month}"),
            Some(&cookie),
        )
        .await;
    assert!(
        environments.body.lines().any(|l| l.starts_with("prod,")),
        "{}",
        environments.body
    );

    for unknown in [
        "/cost/export/secrets.csv",
        "/cost/export/services.json",
        "/cost/export/services",
    ] {
        let reply = app.get(unknown, Some(&cookie)).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{unknown}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn refreshing_is_for_admins_and_says_why_it_cannot() {
    let app = TestApp::new().await;
    let viewer = app.sign_in("vera").await;
    let refused = app.call("/api/cost/refresh", "", Some(&viewer)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let admin = app.sign_in("ada").await;
    let reply = app.call("/api/cost/refresh", "", Some(&admin)).await;
    // The test app has no refresher: 503 with the reason, never a 500.
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("[cost] enabled = false"),
        "{}",
        reply.body
    );
    // Admins see the button; viewers do not.
    let page = app.get("/cost", Some(&admin)).await;
    assert!(page.body.contains("Refresh now"), "{}", page.body);
    let page = app.get("/cost", Some(&viewer)).await;
    assert!(!page.body.contains("Refresh now"), "{}", page.body);
}

/// The tagged app whose Cost Explorer is `fake` (the AWS test double), with
/// `min_interval` seconds between two admin refreshes, holding 120 days of
/// figures from a good refresh that ended yesterday.
async fn app_with_failing_cost_explorer(fake: &FakeAwsEndpoint, min_interval: u64) -> TestApp {
    let config = format!(
        "[aws]\nendpoint_url = \"{}\"\nstand_in_credentials = true\n\n\
         [cost]\nadmin_refresh_min_interval_secs = {min_interval}\n{}",
        fake.url,
        tagged_config()
    );
    let app = TestApp::with_cost_refresher(&config).await;
    ingest(&app, &window(app.today() - Duration::days(1))).await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_cost_explorer_is_a_502_and_the_page_keeps_the_last_good_data() {
    let fake = FakeAwsEndpoint::start(400, "AccessDeniedException", "AccessDenied").await;
    let app = app_with_failing_cost_explorer(&fake, 0).await;
    let admin = app.sign_in("ada").await;

    let reply = app.call("/api/cost/refresh", "", Some(&admin)).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.body);
    assert!(
        reply.body.contains("ce:GetCostAndUsage"),
        "names the permission: {}",
        reply.body
    );
    assert_eq!(fake.received(), 1);
    assert_eq!(
        app.aws_calls.total(),
        1,
        "{:?}",
        app.aws_calls.by_operation()
    );

    // Viewers still get the page: the stored figures, their date, the reason.
    let viewer = app.sign_in("vera").await;
    let page = app.get("/cost", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"data-testid="cost-stale""#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Cost Explorer refused access"),
        "{}",
        page.body
    );
    let through = (app.today() - Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    assert!(
        page.body.contains(&format!("data through {through}")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"<tr data-environment="prod""#),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_again_too_soon_is_a_429_with_retry_after_and_sends_nothing() {
    let fake = FakeAwsEndpoint::start(400, "AccessDeniedException", "AccessDenied").await;
    let app = app_with_failing_cost_explorer(&fake, 300).await;
    let admin = app.sign_in("ada").await;

    let reply = app.call("/api/cost/refresh", "", Some(&admin)).await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("try again in"), "{}", reply.body);
    let retry_after: u64 = reply
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    assert_eq!(
        fake.received(),
        0,
        "refused before any Cost Explorer request"
    );
}

#[tokio::test]
async fn an_inactive_cost_allocation_tag_is_explained_beside_the_figures() {
    let app = TestApp::with_config(&tagged_config()).await;
    let end = app.today() - Duration::days(1);
    let mut untagged = window(end);
    for row in untagged.daily.iter_mut() {
        row.tag.clear();
    }
    let untagged = Window::from_daily(untagged.daily, YearMonth::of(end));
    ingest(&app, &untagged).await;
    let viewer = app.sign_in("vera").await;
    let page = app.get("/cost", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("cost-allocation tag &#x27;environment&#x27; is not active yet")
            || page
                .body
                .contains("cost-allocation tag 'environment' is not active yet"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Activate it in the Billing console"),
        "{}",
        page.body
    );
}
