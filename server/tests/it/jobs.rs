//! Jobs through the whole server, the way a person uses them: the plan
//! server function reads moto's demo account through the real SDK clients,
//! the confirm sends back the hash of the plan shown, the pages show the job
//! to every role and its buttons only to operators and admins. No worker
//! runs here (nothing changes AWS): running jobs is `jobs_crash.rs`'s, on
//! the real binary.

use axum::http::StatusCode;
use gantry_core::jobs::{store, JobState};
use serde_json::Value;

use crate::common::{TestApp, CONFIG};

fn config() -> String {
    let endpoint = std::env::var("MOTO_TEST_ENDPOINT").unwrap_or_else(|_| {
        panic!("MOTO_TEST_ENDPOINT is not set: run scripts/test.sh, which starts moto")
    });
    format!(
        "[aws]\nendpoint_url = {endpoint:?}\nstand_in_credentials = true\nmax_attempts = 1\n\n[metrics]\nbearer_token = \"scrape-token-0123456789\"\n{CONFIG}"
    )
}

const SCALE_DEV: &str =
    "environment=dev&kind=scale&service=backend-booking-api&desired=4&image=&revision=";
const DEPLOY_PROD: &str = "environment=prod&kind=deploy&service=backend-booking-api&desired=&image=registry.example.com/booking:9.9.9&revision=";

async fn plan(app: &TestApp, cookie: &str, form: &str) -> Value {
    let reply = app.call("/api/jobs/plan", form, Some(cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).expect("plan json")
}

async fn jobs(app: &TestApp) -> Vec<store::Job> {
    store::list(
        &app.services.db,
        &store::JobFilter::default(),
        &store::JobPageRequest::first(50),
    )
    .await
    .expect("jobs")
    .jobs
}

#[tokio::test]
async fn an_operator_plans_confirms_and_cancels_a_job_and_a_viewer_only_watches() {
    let app = TestApp::with_config(&config()).await;
    let oscar = app.sign_in("oscar").await;
    let vera = app.sign_in("vera").await;

    let shown = plan(&app, &oscar, SCALE_DEV).await;
    assert_eq!(shown["kind"], "scale");
    assert_eq!(shown["production"], false);
    let step = &shown["steps"][0];
    assert_eq!(step["action"], "ecs.scale");
    assert!(
        step["before"].as_str().unwrap().contains("\"desired\": 1"),
        "{step}"
    );
    assert!(
        step["after"].as_str().unwrap().contains("\"desired\": 4"),
        "{step}"
    );
    let hash = shown["plan_hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);

    // A viewer can neither plan nor confirm.
    let refused = app.call("/api/jobs/plan", SCALE_DEV, Some(&vera)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = app
        .call(
            "/api/jobs/confirm",
            &format!("{SCALE_DEV}&plan_hash={hash}"),
            Some(&vera),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(jobs(&app).await.is_empty());

    // A hash other than the plan's is refused; nothing is written.
    let forged = app
        .call(
            "/api/jobs/confirm",
            &format!("{SCALE_DEV}&plan_hash={}", "f".repeat(64)),
            Some(&oscar),
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(
        forged.body.contains("live state changed"),
        "{}",
        forged.body
    );
    assert!(jobs(&app).await.is_empty());

    let confirmed = app
        .call(
            "/api/jobs/confirm",
            &format!("{SCALE_DEV}&plan_hash={hash}"),
            Some(&oscar),
        )
        .await;
    assert!(
        confirmed.status.is_success() || confirmed.status.is_redirection(),
        "{}: {}",
        confirmed.status,
        confirmed.body
    );
    let all = jobs(&app).await;
    assert_eq!(all.len(), 1);
    let job = &all[0];
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.plan_hash, hash);
    assert!(job.requested_by.contains("<oscar>"), "{}", job.requested_by);
    assert_eq!(job.requested_role.as_deref(), Some("operator"));

    // The same confirm replayed: refused, still one job.
    let replayed = app
        .call(
            "/api/jobs/confirm",
            &format!("{SCALE_DEV}&plan_hash={hash}"),
            Some(&oscar),
        )
        .await;
    assert_eq!(replayed.status, StatusCode::BAD_REQUEST);
    assert!(
        replayed.body.contains("a plan runs once"),
        "{}",
        replayed.body
    );
    assert_eq!(jobs(&app).await.len(), 1);

    // Everyone sees the job; only operators get its buttons.
    let list = app.get("/jobs", Some(&vera)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("#{}", job.id)), "{}", list.body);
    assert!(!list.body.contains("data-testid=\"new-job\""));
    let page = app.get(&format!("/jobs/{}", job.id), Some(&vera)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Scale backend-booking-api from 1 to 4"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Cancel job"));
    let page = app.get(&format!("/jobs/{}", job.id), Some(&oscar)).await;
    assert!(page.body.contains("Cancel job"), "{}", page.body);
    assert!(app
        .get("/jobs", Some(&oscar))
        .await
        .body
        .contains("data-testid=\"new-job\""));
    assert_eq!(
        app.get("/jobs/424242", Some(&oscar)).await.status,
        StatusCode::NOT_FOUND
    );

    let cancelled = app
        .call("/api/jobs/cancel", &format!("id={}", job.id), Some(&oscar))
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert!(cancelled.body.contains("Cancelled"));
    let job = store::get(&app.services.db, job.id).await.unwrap().job;
    assert_eq!(job.state, JobState::Cancelled);
    let again = app
        .call("/api/jobs/cancel", &format!("id={}", job.id), Some(&oscar))
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);

    let metrics = app
        .request(
            axum::http::Method::GET,
            "/metrics",
            "",
            Some(&app.sign_in("ada").await),
            None,
        )
        .await;
    assert!(
        metrics.body.contains("gantry_jobs{state=\"cancelled\"} 1"),
        "{}",
        metrics.body
    );
    assert!(metrics.body.contains("gantry_jobs{state=\"stuck\"} 0"));
    assert!(audit_ok(&app).await);
}

#[tokio::test]
async fn a_production_deploy_waits_for_approval_and_bad_requests_create_nothing() {
    let app = TestApp::with_config(&config()).await;
    let oscar = app.sign_in("oscar").await;
    let shown = plan(&app, &oscar, DEPLOY_PROD).await;
    assert_eq!(shown["production"], true);
    let actions: Vec<&str> = shown["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "ecs.register_revision",
            "ecs.point_service",
            "ecs.wait_rollout",
            "http.health_check"
        ]
    );
    let hash = shown["plan_hash"].as_str().unwrap();
    let confirmed = app
        .call(
            "/api/jobs/confirm",
            &format!("{DEPLOY_PROD}&plan_hash={hash}"),
            Some(&oscar),
        )
        .await;
    assert!(!confirmed.status.is_client_error(), "{}", confirmed.body);
    let job = jobs(&app).await.remove(0);
    assert_eq!(job.state, JobState::AwaitingApproval);
    let page = app.get(&format!("/jobs/{}", job.id), Some(&oscar)).await;
    assert!(
        page.body.contains("data-testid=\"approvals\""),
        "{}",
        page.body
    );

    for (form, status, text) in [
        (
            "environment=dev&kind=deploy&service=backend-booking-api&desired=&image=booking&revision=",
            StatusCode::BAD_REQUEST,
            "needs a tag",
        ),
        (
            "environment=dev&kind=scale&service=backend-booking-api&desired=-1&image=&revision=",
            StatusCode::BAD_REQUEST,
            "between 0 and 50",
        ),
        (
            "environment=dev&kind=scale&service=backend-booking-api&desired=9999999999&image=&revision=",
            StatusCode::BAD_REQUEST,
            "whole number",
        ),
        (
            "environment=dev&kind=scale&service=celery&desired=2&image=&revision=",
            StatusCode::BAD_REQUEST,
            "no service",
        ),
        (
            "environment=Dev%00&kind=scale&service=&desired=2&image=&revision=",
            StatusCode::BAD_REQUEST,
            "unknown environment",
        ),
        (
            "environment=dev&kind=explode&service=&desired=2&image=&revision=",
            StatusCode::BAD_REQUEST,
            "unknown job kind",
        ),
    ] {
        let reply = app.call("/api/jobs/plan", form, Some(&oscar)).await;
        assert_eq!(reply.status, status, "{form}: {}", reply.body);
        assert!(reply.body.contains(text), "{form}: {}", reply.body);
        let reply = app
            .call("/api/jobs/confirm", &format!("{form}&plan_hash={hash}"), Some(&oscar))
            .await;
        assert_eq!(reply.status, status, "{form}: {}", reply.body);
    }
    assert_eq!(jobs(&app).await.len(), 1, "no job from bad input");
}

async fn audit_ok(app: &TestApp) -> bool {
    gantry_core::audit::store::verify(&app.services.db)
        .await
        .unwrap()
        .is_ok()
}

#[tokio::test]
async fn the_environment_page_shows_who_holds_its_lock() {
    let app = TestApp::with_config(&config()).await;
    let now = gantry_core::clock::testing::clock().now();
    let job = store::enqueue(
        &app.services.db,
        &gantry_core::jobs::testing::new_job("dev", 2),
        now,
    )
    .await
    .unwrap();
    let claimed = store::claim(
        &app.services.db,
        "test-worker",
        std::time::Duration::from_secs(60),
        now,
    )
    .await
    .unwrap()
    .expect("the job is claimed");
    assert_eq!(claimed.job.id, job.id);
    let vera = app.sign_in("vera").await;
    let page = app.get("/environments/dev", Some(&vera)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Locked by"), "{}", page.body);
    assert!(
        page.body.contains(&format!("job #{} (deploy)", job.id)),
        "{}",
        page.body
    );
    let other = app.get("/environments/prod", Some(&vera)).await;
    assert!(other.body.contains("No job holds this environment"));
}

/// The `id:` of every `log` event in an SSE body, in order.
fn log_event_ids(body: &str) -> Vec<i64> {
    body.split("\n\n")
        .filter(|event| event.lines().any(|l| l == "event: log"))
        .filter_map(|event| {
            event
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .and_then(|id| id.parse().ok())
        })
        .collect()
}

#[tokio::test]
async fn job_events_stream_the_log_and_resume_after_last_event_id() {
    use axum::body::Body;
    use axum::http::{header, Request};

    let app = TestApp::with_config(&config()).await;
    let db = &app.services.db;
    let now = gantry_core::clock::testing::clock().now();
    let job = store::enqueue(db, &gantry_core::jobs::testing::new_job("dev", 1), now)
        .await
        .unwrap();
    let claimed = store::claim(db, "test-worker", std::time::Duration::from_secs(60), now)
        .await
        .unwrap()
        .unwrap();
    store::start_step(db, &claimed.lease, 0, now).await.unwrap();
    for i in 0..5 {
        store::append_log(
            db,
            &claimed.lease,
            store::LogLevel::Info,
            Some(0),
            &format!("working {i}"),
            now,
        )
        .await
        .unwrap();
    }
    store::finish_step(db, &claimed.lease, 0, None, now)
        .await
        .unwrap();
    store::finish_job(db, &claimed.lease, JobState::Succeeded, None, now)
        .await
        .unwrap();
    let all = store::logs(db, job.id, 0, 1000).await.unwrap().lines;
    let seqs: Vec<i64> = all.iter().map(|l| l.seq).collect();
    assert!(seqs.len() >= 7, "{seqs:?}");

    let vera = app.sign_in("vera").await;
    let events = |last: Option<&str>| {
        let mut request = Request::get(format!("/jobs/{}/events", job.id))
            .header(header::ACCEPT, "text/event-stream")
            .header(header::COOKIE, vera.clone());
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        request.body(Body::empty()).unwrap()
    };
    let full = app.send(events(None)).await;
    assert_eq!(full.status, StatusCode::OK);
    assert!(full.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    assert_eq!(log_event_ids(&full.body), seqs, "{}", full.body);
    assert!(full.body.contains("event: state"));
    assert!(full.body.contains("\"state\":\"succeeded\""));
    // What the page compares with what it shows, to read the job again only
    // when something changed.
    assert!(
        full.body.contains("\"cancel_requested\":false"),
        "{}",
        full.body
    );
    assert!(
        full.body.contains("event: end\ndata: succeeded"),
        "{}",
        full.body
    );

    // A reconnect names the last line it got: only the later ones come.
    let resumed = app.send(events(Some(&seqs[3].to_string()))).await;
    assert_eq!(resumed.status, StatusCode::OK);
    assert_eq!(
        log_event_ids(&resumed.body),
        seqs[4..].to_vec(),
        "{}",
        resumed.body
    );
    let through_query = app
        .get(
            &format!("/jobs/{}/events?after={}", job.id, seqs[5]),
            Some(&vera),
        )
        .await;
    assert_eq!(log_event_ids(&through_query.body), seqs[6..].to_vec());

    assert_eq!(
        app.send(events(Some("not-a-number"))).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/jobs/424242/events", Some(&vera)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/jobs/x/events", Some(&vera)).await.status,
        StatusCode::NOT_FOUND
    );
}
