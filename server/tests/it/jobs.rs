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

    // April opens the request: her page shows the plan and binds her form to it.
    let april = app.sign_in("april").await;
    let page = app.get(&format!("/jobs/{}", job.id), Some(&april)).await;
    let seen = format!("name=\"plan_hash\" value=\"{}\"", job.plan_hash);
    assert!(page.body.contains(&seen), "{}", page.body);
    // An operator re-plans it before she clicks Approve (the live state moved).
    let mut moved = job.plan.clone();
    moved.steps[0].before["image"] = Value::from("registry.example.com/booking:hotfix");
    let replanned = store::replace_plan(
        &app.services.db,
        job.id,
        &moved,
        &gantry_core::jobs::testing::operator(),
        app.services.clock.now(),
    )
    .await
    .expect("re-planned");
    assert_ne!(replanned.plan_hash, job.plan_hash);
    // Her click carries the plan she saw: 409, nothing recorded, and the
    // page she is sent back to shows the new plan.
    for (endpoint, who) in [
        ("decide", &april),
        ("break_glass", &app.sign_in("ada").await),
    ] {
        let reply = app
            .call(
                &format!("/api/approvals/{endpoint}"),
                &format!(
                    "id={}&decision=approve&plan_hash={}&reason=production+is+down+now",
                    job.id, job.plan_hash
                ),
                Some(who),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{endpoint}: {}",
            reply.body
        );
        assert!(
            reply.body.contains("the plan changed since you opened it"),
            "{}",
            reply.body
        );
    }
    assert!(
        gantry_core::approvals::store::for_job(&app.services.db, job.id)
            .await
            .expect("approvals")
            .is_empty()
    );
    assert_eq!(
        store::job(&app.services.db, job.id)
            .await
            .expect("job")
            .state,
        JobState::AwaitingApproval
    );
    let page = app.get(&format!("/jobs/{}", job.id), Some(&april)).await;
    assert!(
        page.body
            .contains(&format!("value=\"{}\"", replanned.plan_hash)),
        "{}",
        page.body
    );

    // An admin breaks glass on the plan shown; it runs and fails at step 1.
    let ada = app.sign_in("ada").await;
    let reply = app
        .call(
            "/api/approvals/break_glass",
            &format!(
                "id={}&plan_hash={}&reason=production+is+down+now",
                job.id, replanned.plan_hash
            ),
            Some(&ada),
        )
        .await;
    assert!(!reply.status.is_client_error(), "{}", reply.body);
    fail_first_step(&app, job.id, "ECS answered ThrottlingException").await;

    // The operator retries it: not queued, but planned again from the live
    // state and waiting for approval again, as attempt 2, the failure shown.
    let reply = app
        .call("/api/jobs/retry", &format!("id={}", job.id), Some(&oscar))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.body.contains("attempt 2 waits for approval"),
        "{}",
        reply.body
    );
    let retried = store::job(&app.services.db, job.id).await.expect("job");
    assert_eq!(retried.state, JobState::AwaitingApproval);
    let attempt = retried.plan.attempt.clone().expect("an attempt");
    assert_eq!(attempt.number, 2);
    assert!(attempt.after.contains("failed"), "{attempt:?}");
    assert_ne!(retried.plan_hash, replanned.plan_hash);
    assert_ne!(
        retried.plan.steps[0].before["image"], "registry.example.com/booking:hotfix",
        "planned again from the live state"
    );
    let page = app.get(&format!("/jobs/{}", job.id), Some(&april)).await;
    assert!(
        page.body.contains("data-testid=\"job-attempt\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Attempt 2"), "{}", page.body);
    // No decision of the earlier attempt counts, and a click on its plan is refused.
    let reply = app
        .call(
            "/api/approvals/decide",
            &format!(
                "id={}&decision=approve&plan_hash={}&reason=ok",
                job.id, replanned.plan_hash
            ),
            Some(&april),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    let reply = app
        .call(
            "/api/approvals/decide",
            &format!(
                "id={}&decision=approve&plan_hash={}&reason=ok",
                job.id, retried.plan_hash
            ),
            Some(&april),
        )
        .await;
    assert!(!reply.status.is_client_error(), "{}", reply.body);
    assert_eq!(
        store::job(&app.services.db, job.id)
            .await
            .expect("job")
            .state,
        JobState::AwaitingApproval,
        "one approval of two: it still waits"
    );
    // A second retry is refused while it awaits approval.
    let reply = app
        .call("/api/jobs/retry", &format!("id={}", job.id), Some(&oscar))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

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

/// Plays a worker that claims job `id`, starts its first step and ends the
/// job failed with `error` (no worker runs in these tests).
async fn fail_first_step(app: &TestApp, id: gantry_core::jobs::JobId, error: &str) {
    let now = app.services.clock.now();
    let claimed = store::claim(
        &app.services.db,
        "test-worker",
        std::time::Duration::from_secs(30),
        now,
    )
    .await
    .expect("claim")
    .expect("the job is claimed");
    assert_eq!(claimed.job.id, id);
    store::start_step(&app.services.db, &claimed.lease, 0, now)
        .await
        .expect("start");
    store::fail_step(&app.services.db, &claimed.lease, 0, error, now)
        .await
        .expect("fail step");
    store::finish_job(
        &app.services.db,
        &claimed.lease,
        JobState::Failed,
        Some(error),
        now,
    )
    .await
    .expect("finish");
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

/// An admin cannot give a dev environment a reach into production: an SSM
/// prefix above or below production's, production's service, or a
/// production cluster. Each is refused naming both, and nothing is saved.
#[tokio::test]
async fn an_environment_that_overlaps_another_is_refused_naming_both() {
    let app = TestApp::with_config(&config()).await;
    let ada = app.sign_in("ada").await;
    let form = |name: &str, cluster: &str, service: &str, prefix: &str| {
        format!(
            "form[name]={name}&form[region]=us-east-1&form[account_id]=123456789012&form[role_arn]=&form[cluster]={cluster}&form[database]=&form[services]={service}+django&form[ssm_prefix]={prefix}&form[cost_tag_key]=&form[cost_tag_value]=&form[monthly_budget_usd]=10&form[approvals_required]=0&form[approver_groups]=&form[approval_expiry_hours]=24&form[ttl_hours]="
        )
    };
    for (case, body, fragment) in [
        (
            "a prefix above production's",
            form("qa", "qa", "qa-api", "/backend-booking/"),
            "environment qa's SSM prefix /backend-booking/ overlaps environment dev's /backend-booking/dev/",
        ),
        (
            "a prefix below production's",
            form("qa", "qa", "qa-api", "/backend-booking/prod/qa/"),
            "overlaps environment prod's /backend-booking/prod/",
        ),
        (
            "production's service",
            form("qa", "backend-booking-prod", "backend-booking-api", "/qa/"),
            "environment qa lists service backend-booking-api of cluster backend-booking-prod, which environment prod lists too",
        ),
        (
            "production's cluster",
            form("qa", "backend-booking-prod", "qa-api", "/qa/"),
            "environment qa uses cluster backend-booking-prod, which belongs to production environment prod",
        ),
        (
            "dev, edited to reach production's parameters",
            form("dev", "backend-booking-dev", "backend-booking-api", "/backend-booking/"),
            "overlaps environment prod's /backend-booking/prod/",
        ),
    ] {
        let reply = app.call("/api/environments/save", &body, Some(&ada)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{case}: {}", reply.body);
        assert!(reply.body.contains(fragment), "{case}: {}", reply.body);
    }
    let saved = gantry_core::environments::store::list(&app.services.db)
        .await
        .expect("environments");
    let names: Vec<_> = saved.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(names, ["dev", "prod"], "nothing saved");
    assert_eq!(
        saved[0].ssm_prefix.as_str(),
        "/backend-booking/dev/",
        "dev unchanged"
    );
    // Its own everything: saved.
    let reply = app
        .call(
            "/api/environments/save",
            &form("qa", "qa", "qa-api", "/qa/"),
            Some(&ada),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// Planning is limited per person: past `plans_per_minute`, a plan is
/// answered 429 with `Retry-After` and reads nothing; the first refusal is
/// audited, the next ones that minute are not; another person still plans.
#[tokio::test]
async fn plans_are_limited_per_person_and_the_refusal_is_audited() {
    let endpoint = std::env::var("MOTO_TEST_ENDPOINT").expect("MOTO_TEST_ENDPOINT");
    let app = TestApp::with_config(&format!(
        "[aws]\nendpoint_url = {endpoint:?}\nstand_in_credentials = true\nmax_attempts = 1\n\n[jobs]\nplans_per_minute = 3\n{CONFIG}"
    ))
    .await;
    let oscar = app.sign_in("oscar").await;
    for _ in 0..3 {
        plan(&app, &oscar, SCALE_DEV).await;
    }
    for _ in 0..2 {
        let reply = app.call("/api/jobs/plan", SCALE_DEV, Some(&oscar)).await;
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            reply.body
        );
        assert!(reply.body.contains("too many plans"), "{}", reply.body);
        let retry: u64 = reply.headers[axum::http::header::RETRY_AFTER]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
    }
    let refused = gantry_core::audit::service::page(
        &app.services.db,
        &gantry_core::audit::model::AuditFilter {
            action: Some("job.plan_refused".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("audit");
    assert_eq!(refused.records.len(), 1, "{refused:?}");
    assert_eq!(refused.records[0].target, "environment:dev");
    assert!(
        refused.records[0].actor.contains("Oscar"),
        "{:?}",
        refused.records[0]
    );
    let ada = app.sign_in("ada").await;
    plan(&app, &ada, SCALE_DEV).await;
}

/// The next frame of an event stream's body as text, or `None` when the
/// stream ended; panics when none comes within `within`.
async fn next_frame(body: &mut axum::body::Body, within: std::time::Duration) -> Option<String> {
    use http_body_util::BodyExt;
    let frame = tokio::time::timeout(within, body.frame())
        .await
        .expect("a frame in time")?
        .expect("frame");
    Some(String::from_utf8_lossy(frame.data_ref().expect("data")).into_owned())
}

/// Reads frames until one contains `needle` (the text so far), within `within`.
async fn read_until(
    body: &mut axum::body::Body,
    needle: &str,
    within: std::time::Duration,
) -> String {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = String::new();
    while !seen.contains(needle) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_frame(body, left).await {
            Some(text) => seen.push_str(&text),
            None => panic!("the stream ended before {needle:?}: {seen}"),
        }
    }
    seen
}

/// A running job's stream wakes on the engine's notification (the harness
/// gives streams a 60 s look of their own, so a line that arrives within
/// the test's 20 s came through the wake-up); one person holds at most 8
/// streams: the ninth closes their oldest with a final event, and another
/// person's streams are untouched.
#[tokio::test]
async fn event_streams_wake_on_changes_and_are_bounded_per_person() {
    use axum::body::Body;
    use axum::http::{header, Request};
    use std::time::Duration;

    let app = TestApp::with_config(&config()).await;
    let db = &app.services.db;
    let now = gantry_core::clock::testing::clock().now();
    let job = store::enqueue(db, &gantry_core::jobs::testing::new_job("dev", 1), now)
        .await
        .unwrap();
    let claimed = store::claim(db, "test-worker", Duration::from_secs(60), now)
        .await
        .unwrap()
        .unwrap();
    store::start_step(db, &claimed.lease, 0, now).await.unwrap();
    let vera = app.sign_in("vera").await;
    let ada = app.sign_in("ada").await;
    let request = |cookie: &str| {
        Request::get(format!("/jobs/{}/events", job.id))
            .header(header::ACCEPT, "text/event-stream")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap()
    };
    let mut first = app.open(request(&vera)).await.into_body();
    read_until(&mut first, "\"state\":\"running\"", Duration::from_secs(20)).await;
    store::append_log(
        db,
        &claimed.lease,
        store::LogLevel::Info,
        Some(0),
        "a line written while the stream waits",
        now,
    )
    .await
    .unwrap();
    read_until(
        &mut first,
        "a line written while the stream waits",
        Duration::from_secs(20),
    )
    .await;

    // Eight more for Vera: her first is closed, with the reason.
    let mut hers = Vec::new();
    for _ in 0..8 {
        hers.push(app.open(request(&vera)).await.into_body());
    }
    let mut ended = String::new();
    while let Some(text) = next_frame(&mut first, Duration::from_secs(20)).await {
        ended.push_str(&text);
    }
    assert!(ended.contains("event: end"), "{ended}");
    assert!(
        ended.contains("closed: more than 8 event streams were opened by the same person"),
        "{ended}"
    );
    drop(first);
    assert_eq!(app.streams.open_for("vera"), 8);
    // Ada's stream is hers alone; dropping streams gives their places back.
    let mut adas = app.open(request(&ada)).await.into_body();
    read_until(&mut adas, "\"state\":\"running\"", Duration::from_secs(20)).await;
    assert_eq!(app.streams.open_for("ada"), 1);
    hers.truncate(3);
    assert_eq!(app.streams.open_for("vera"), 3);
    let mut second = hers.remove(0);
    read_until(
        &mut second,
        "\"state\":\"running\"",
        Duration::from_secs(20),
    )
    .await;
}
