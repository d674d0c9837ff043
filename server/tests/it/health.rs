//! Health through the whole server: the poller reads the moto demo account
//! through the real AWS SDK clients (MOTO_TEST_ENDPOINT, seeded by
//! scripts/demo_aws.py; scripts/test.sh starts it), the pages read only what it
//! stored, and `/metrics` counts every AWS request.

use crate::common::{TestApp, CONFIG};
use axum::http::StatusCode;

fn moto_endpoint() -> String {
    std::env::var("MOTO_TEST_ENDPOINT").unwrap_or_else(|_| {
        panic!("MOTO_TEST_ENDPOINT is not set: run scripts/test.sh, which starts moto and seeds the demo account")
    })
}

/// The test config, pointed at `endpoint` with moto's keys.
fn config_for(endpoint: &str) -> String {
    format!(
        "[aws]\nendpoint_url = {endpoint:?}\nstand_in_credentials = true\nconnect_timeout_ms = 500\noperation_timeout_ms = 2000\nmax_attempts = 1\n\n[metrics]\nbearer_token = \"scrape-token-0123456789\"\n{CONFIG}"
    )
}

async fn app_on_moto() -> TestApp {
    TestApp::with_config(&config_for(&moto_endpoint())).await
}

#[tokio::test]
async fn a_hundred_page_views_make_no_aws_call() {
    let app = app_on_moto().await;
    let snapshots = app.poll_health().await;
    assert_eq!(snapshots.len(), 2, "dev and prod");
    let after_poll = app.aws_calls.total();
    assert!(after_poll > 0, "the poll itself reads AWS");

    let cookie = app.sign_in("vera").await;
    let mut views = 0;
    for i in 0..25 {
        for (kind, path) in [
            ("page", "/environments"),
            ("page", "/environments/prod"),
            ("api", "environments/list"),
            ("api", "health/environment"),
        ] {
            let reply = if kind == "page" {
                app.get(path, Some(&cookie)).await
            } else {
                let form = if path == "health/environment" {
                    "name=prod"
                } else {
                    ""
                };
                app.call(&format!("/api/{path}"), form, Some(&cookie)).await
            };
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "view {i} of {path}: {}",
                reply.body
            );
            views += 1;
        }
    }
    assert_eq!(views, 100);
    assert_eq!(
        app.aws_calls.total(),
        after_poll,
        "page views must read stored snapshots only: {:?}",
        app.aws_calls.by_operation()
    );
    println!("one poll of 2 environments: {after_poll} AWS requests; 100 page views: 0 more");
}

#[tokio::test]
async fn the_environment_page_shows_live_health_and_masks_secure_strings() {
    let app = app_on_moto().await;
    let cookie = app.sign_in("vera").await;

    let before = app.get("/environments/prod", Some(&cookie)).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.body.contains("Not polled yet"), "{}", before.body);

    app.poll_health().await;
    let page = app.get("/environments/prod", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains(r#"data-testid="live-health""#), "{body}");
    assert!(
        body.contains("backend-booking:2"),
        "task definition: {body}"
    );
    assert!(body.contains("backend-booking:v1.42.0"), "image: {body}");
    assert!(body.contains("bb-prod-api-cpu-high"), "alarms: {body}");
    assert!(body.contains("backend-booking-prod"), "database: {body}");
    assert!(body.contains("Multi-AZ"), "{body}");
    // Plain parameters show their value; SecureStrings are masked, and their
    // values appear nowhere in the page (nor in its hydration data).
    assert!(
        body.contains("/backend-booking/prod/DJANGO_DEBUG"),
        "{body}"
    );
    assert!(
        body.contains("/backend-booking/prod/DATABASE_URL"),
        "{body}"
    );
    assert!(body.contains("(SecureString)"), "{body}");
    assert!(
        !body.contains("FAKE-prod"),
        "a SecureString value leaked: {body}"
    );
    assert!(
        !body.contains("kms:alias"),
        "a SecureString value leaked: {body}"
    );

    let api = app
        .call("/api/health/environment", "name=prod", Some(&cookie))
        .await;
    assert_eq!(api.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&api.body).expect("json");
    let params = json["snapshot"]["parameter_list"]
        .as_array()
        .expect("parameters");
    assert_eq!(params.len(), 5, "{params:?}");
    for p in params {
        if p["kind"] == "SecureString" {
            assert_eq!(p["value"], serde_json::Value::Null, "{p}");
            assert_eq!(p["secure"], true);
        } else {
            assert!(p["value"].is_string(), "{p}");
        }
    }
    assert!(!api.body.contains("FAKE-prod"), "{}", api.body);
    assert!(
        json["snapshot"]["services"][0]["ecs"]["read_at"].is_string(),
        "each figure says when it was read: {json}"
    );

    let overview = app.get("/environments", Some(&cookie)).await;
    assert!(
        overview.body.contains("backend-booking:2"),
        "{}",
        overview.body
    );
    assert!(
        overview.body.contains(r#"data-health=""#),
        "{}",
        overview.body
    );
}

#[tokio::test]
async fn an_unreachable_aws_shows_unknown_with_the_reason() {
    // A loopback port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let app = TestApp::with_config(&config_for(&endpoint)).await;
    let started = std::time::Instant::now();
    let snapshots = app.poll_health().await;
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(10),
        "poll took {took:?}"
    );
    for snap in &snapshots {
        // Every AWS part is Unknown with the reason. (prod's HTTP probe of its
        // public health URL is not an AWS call and fails on its own here.)
        for (component, part) in &snap.services[0].health.parts {
            if *component != gantry_core::health::model::Component::Probe {
                assert_eq!(part.status.as_str(), "unknown", "{component:?}: {part:?}");
                assert!(
                    part.reason.contains("could not reach AWS"),
                    "{}",
                    part.reason
                );
            }
        }
        let db = snap.database.as_ref().expect("database");
        assert_eq!(db.health.status.as_str(), "unknown", "{db:?}");
    }
    let dev = snapshots
        .iter()
        .find(|s| s.environment == "dev")
        .expect("dev");
    assert_eq!(dev.overall.status.as_str(), "unknown", "{dev:?}");
    assert!(
        dev.overall.reason.contains("could not reach AWS"),
        "{}",
        dev.overall.reason
    );
    let cookie = app.sign_in("vera").await;
    let page = app.get("/environments/dev", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "never a 500");
    assert!(
        page.body.contains(r#"data-health="unknown""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("could not reach AWS"), "{}", page.body);
}

#[tokio::test]
async fn metrics_need_the_token_or_an_admin() {
    let app = app_on_moto().await;
    app.poll_health().await;
    let anonymous = app.get("/metrics", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let viewer = app.sign_in("vera").await;
    assert_eq!(
        app.get("/metrics", Some(&viewer)).await.status,
        StatusCode::FORBIDDEN
    );
    let admin = app.sign_in("ada").await;
    let page = app.get("/metrics", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(r#"gantry_aws_requests_total{service="ecs",operation="DescribeServices"}"#),
        "{}",
        page.body
    );

    let with = |token: &str| {
        axum::http::Request::get("/metrics")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .expect("request")
    };
    let scraped = app.send(with("scrape-token-0123456789")).await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(scraped.body.contains("gantry_aws_requests_total"));
    assert!(
        scraped
            .body
            .contains("\ngantry_audit_checkpoint_failures_total 0\n"),
        "{}",
        scraped.body
    );
    let wrong = app.send(with("scrape-token-wrong-000000")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn drift_between_the_roadmap_and_aws_is_flagged_on_the_matrix_and_the_page() {
    // dev's cluster and database are gone from AWS; the roadmap still says the
    // ECS and RDS modules are deployed there.
    let config = config_for(&moto_endpoint())
        .replace(
            "cluster = \"backend-booking-dev\"",
            "cluster = \"backend-booking-gone\"",
        )
        .replace(
            "database = \"backend-booking-dev\"",
            "database = \"backend-booking-gone\"",
        );
    let app = TestApp::with_config(&config).await;
    let cookie = app.sign_in("vera").await;
    let before = app.call("/api/roadmap/matrix", "", Some(&cookie)).await;
    assert!(
        !before.body.contains("AWS shows no"),
        "no snapshot, no drift"
    );

    app.poll_health().await;
    let matrix = app.call("/api/roadmap/matrix", "", Some(&cookie)).await;
    let json: serde_json::Value = serde_json::from_str(&matrix.body).expect("json");
    let drift_of = |slug: &str, env: &str| -> Option<String> {
        json["rows"]
            .as_array()?
            .iter()
            .find(|r| r["slug"] == slug)?["statuses"]
            .as_array()?
            .iter()
            .find(|c| c["environment"] == env)?["drift"]
            .as_str()
            .map(str::to_owned)
    };
    let rds_slug = json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["path"] == "modules/rds/")
        .and_then(|r| r["slug"].as_str())
        .expect("the seed's RDS module")
        .to_owned();
    assert_eq!(
        drift_of(&rds_slug, "dev").as_deref(),
        Some("Roadmap says deployed in dev, but AWS shows no RDS instance")
    );
    // The seed says the RDS module is only "ready" for prod, and the demo
    // account has a prod database: drift the other way round.
    assert_eq!(
        drift_of(&rds_slug, "prod").as_deref(),
        Some("AWS shows the RDS instance in prod, but the roadmap says ready")
    );

    let page = app.get("/roadmap", Some(&cookie)).await;
    assert!(page.body.contains(r#"data-drift="true""#), "{}", page.body);
    let env_page = app.get("/environments/dev", Some(&cookie)).await;
    assert!(
        env_page.body.contains(r#"data-testid="drift""#),
        "{}",
        env_page.body
    );
    assert!(
        env_page.body.contains("but AWS shows no ECS services"),
        "{}",
        env_page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_now_polls_at_once_for_operators_and_is_rate_limited() {
    // The poller of a real server (a poll at start, then hourly), on moto.
    let config = format!(
        "[health]\npoll_interval_secs = 3600\n{}",
        config_for(&moto_endpoint())
    );
    let app = TestApp::with_poller(&config).await;
    let db = &app.services.db;
    let count = || async {
        gantry_core::health::store::snapshot_count(db, "dev")
            .await
            .unwrap()
    };
    let waited = |want: i64| async move {
        for _ in 0..100 {
            if count().await >= want {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    };
    assert!(waited(1).await, "the poll at start");
    let before = count().await;
    let calls_before = app.aws_calls.total();

    let viewer = app.sign_in("vera").await;
    let refused = app.call("/api/health/poll", "", Some(&viewer)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let operator = app.sign_in("oscar").await;
    let reply = app.call("/api/health/poll", "", Some(&operator)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.body.contains("Health check started"),
        "{}",
        reply.body
    );
    assert!(
        waited(before + 1).await,
        "a poll right away, not in an hour"
    );
    assert!(app.aws_calls.total() > calls_before, "it read AWS");

    // A second request at once: 429 with Retry-After, and no extra poll.
    let again = app.call("/api/health/poll", "", Some(&operator)).await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.body
    );
    assert!(again.body.contains("try again in"), "{}", again.body);
    let retry_after: u64 = again
        .headers
        .get(axum::http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(count().await, before + 1);

    // Operators see the button on the environment page; viewers do not.
    let page = app.get("/environments/dev", Some(&operator)).await;
    assert!(page.body.contains("Check health now"), "{}", page.body);
    let page = app.get("/environments/dev", Some(&viewer)).await;
    assert!(!page.body.contains("Check health now"));
}
