//! Authorization at the edge, through the real router: anonymous requests are
//! refused everywhere, each role can do exactly what the permission table
//! says, cross-site requests are refused, sessions end when they should, and
//! every response carries the security headers.

use std::collections::BTreeSet;

use crate::common::{session_cookie, TestApp, ORIGIN};
use axum::http::{header, Method, StatusCode};
use gantry_core::audit::{self, AuditFilter, PageRequest};
use gantry_core::auth::{session, SessionSettings, SessionToken};

const ROLES: [&str; 4] = ["vera", "oscar", "april", "ada"];

/// Every server function and API route, with a valid request body and the
/// status each role gets (viewer, operator, approver, admin). The test below
/// fails when a server function exists that this table does not list, so a
/// new endpoint cannot ship without its authorization being tested.
fn endpoint_table(suffix: &str) -> Vec<(Method, String, String, [u16; 4])> {
    let ok = [200, 200, 200, 200];
    let editors = [403, 200, 403, 200];
    // Authorized for operators and admins, then refused for the request's
    // own fault (no drift to correct, an empty document).
    let editors_refused = [403, 400, 403, 400];
    let auditors = [403, 403, 200, 200];
    let admins = [403, 403, 403, 200];
    // Authorized for admins only; then refused with its reason (503) here,
    // where cost refresh is off.
    let admins_refused = [403, 403, 403, 503];
    // Authorized for operators and admins; then 503 here, where no poller runs.
    let runners_refused = [403, 503, 403, 503];
    let runners = [403, 200, 403, 200];
    // Authorized for operators and admins; then refused for the request's
    // own fault (an unknown environment, a job that does not exist).
    let runners_invalid = [403, 400, 403, 400];
    let runners_missing = [403, 404, 403, 404];
    let missing = [404, 404, 404, 404];
    let approvers = [403, 403, 200, 200];
    // Authorized for approvers (and admins), then 404: no such job.
    let approvers_missing = [403, 403, 404, 404];
    let admins_missing = [403, 403, 403, 404];
    let job_form = "environment=nowhere&kind=scale&service=&desired=2&image=&revision=";
    vec![
        (Method::POST, "/api/roadmap/matrix".into(), String::new(), ok),
        (Method::POST, "/api/roadmap/board".into(), String::new(), ok),
        (Method::POST, "/api/roadmap/timeline".into(), "environment=prod".into(), ok),
        (Method::POST, "/api/roadmap/bill".into(), String::new(), ok),
        (Method::POST, "/api/roadmap/steps".into(), String::new(), ok),
        (Method::POST, "/api/roadmap/history".into(), String::new(), ok),
        // Authorized for operators and admins, then refused: an empty
        // document (a real import would replace the next steps the table
        // edits below).
        (
            Method::POST,
            "/api/roadmap/import".into(),
            "document=&name=empty.md".into(),
            editors_refused,
        ),
        (
            Method::POST,
            "/api/roadmap/steps/add".into(),
            format!("phase=long&text=Step {suffix}&module="),
            editors,
        ),
        (
            Method::POST,
            "/api/roadmap/steps/update".into(),
            "id=1&phase=immediate&text=Fix ALB health checks&module=&completed=on".into(),
            editors,
        ),
        (Method::POST, "/api/roadmap/module".into(), "slug=waf".into(), ok),
        (Method::POST, "/api/auth/me".into(), String::new(), ok),
        (Method::POST, "/api/environments/list".into(), String::new(), ok),
        (Method::POST, "/api/environments/get".into(), "name=prod".into(), ok),
        (Method::POST, "/api/health/environment".into(), "name=prod".into(), ok),
        (Method::POST, "/api/cost/review".into(), "month=2026-10".into(), ok),
        (Method::POST, "/api/cost/refresh".into(), String::new(), admins_refused),
        (Method::POST, "/api/health/poll".into(), String::new(), runners_refused),
        (
            Method::POST,
            "/api/roadmap/module/update".into(),
            "slug=waf&status[prod]=in_progress&priority[default]=&priority[dev]=low&priority[prod]=high&phase=medium&owner=Platform&target_date=2026-12-01&notes=".into(),
            editors,
        ),
        (
            Method::POST,
            "/api/roadmap/module/add".into(),
            format!("name=Bastion {suffix}&section=future&path=&purpose=&priority=low"),
            editors,
        ),
        (
            Method::POST,
            "/api/roadmap/module/correct".into(),
            "slug=rds&environment=prod".into(),
            editors_refused,
        ),
        (
            Method::POST,
            "/api/roadmap/module/realisers".into(),
            "slug=waf&realisers=ecs:waf-api".into(),
            editors,
        ),
        (
            Method::POST,
            "/api/roadmap/module/retire".into(),
            "slug=backup".into(),
            editors,
        ),
        (
            Method::POST,
            "/api/audit/page".into(),
            "actor=&action=&target=&from=&to=".into(),
            auditors,
        ),
        (
            Method::POST,
            "/api/environments/save".into(),
            format!(
                "form[name]=qa-{suffix}&form[region]=us-east-1&form[account_id]=123456789012&form[role_arn]=&form[cluster]=qa&form[database]=&form[services]=api+django&form[ssm_prefix]=/qa/&form[cost_tag_key]=&form[cost_tag_value]=&form[monthly_budget_usd]=10&form[approvals_required]=0&form[approver_groups]=&form[approval_expiry_hours]=24&form[ttl_hours]="
            ),
            admins,
        ),
        (
            Method::POST,
            "/api/environments/delete".into(),
            format!("name=qa-{suffix}"),
            admins,
        ),
        (
            Method::POST,
            "/api/jobs/list".into(),
            "environment=&kind=&state=&requested_by=".into(),
            ok,
        ),
        (Method::POST, "/api/jobs/targets".into(), String::new(), runners),
        (Method::POST, "/api/jobs/environment".into(), "name=dev".into(), ok),
        // dev has no time-to-live: authorized, then refused for that.
        (
            Method::POST,
            "/api/environments/extend".into(),
            "name=dev&hours=24".into(),
            runners_invalid,
        ),
        (Method::POST, "/api/jobs/plan".into(), job_form.into(), runners_invalid),
        (
            Method::POST,
            "/api/jobs/confirm".into(),
            format!("{job_form}&plan_hash={}", "0".repeat(64)),
            runners_invalid,
        ),
        // An unknown environment: authorized, then refused for that.
        (
            Method::POST,
            "/api/jobs/seal".into(),
            "environment=nowhere&kind=configure&secure_set=A%3D1".into(),
            runners_invalid,
        ),
        (Method::POST, "/api/jobs/get".into(), "id=999999&after=0".into(), missing),
        (Method::POST, "/api/approvals/inbox".into(), String::new(), approvers),
        (Method::POST, "/api/approvals/job".into(), "id=999999".into(), missing),
        (
            Method::POST,
            "/api/approvals/decide".into(),
            "id=999999&decision=approve&plan_hash=abc&reason=ok".into(),
            approvers_missing,
        ),
        (
            Method::POST,
            "/api/approvals/break_glass".into(),
            "id=999999&plan_hash=abc&reason=production+is+down".into(),
            admins_missing,
        ),
        (Method::POST, "/api/approvals/review".into(), "id=999999".into(), admins_missing),
        (Method::POST, "/api/jobs/cancel".into(), "id=999999".into(), runners_missing),
        (Method::POST, "/api/jobs/retry".into(), "id=999999".into(), runners_missing),
        (Method::POST, "/api/jobs/replan".into(), "id=999999".into(), runners_missing),
        (Method::GET, "/jobs/999999/events".into(), String::new(), missing),
        (Method::GET, "/metrics".into(), String::new(), admins),
        (Method::GET, "/roadmap/export.md".into(), String::new(), ok),
        (Method::GET, "/audit/export.csv".into(), String::new(), auditors),
        (Method::GET, "/audit/export.jsonl".into(), String::new(), auditors),
        (Method::GET, "/cost/export/services.csv?month=2026-10".into(), String::new(), ok),
    ]
}

fn registered_server_functions() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect()
}

#[tokio::test]
async fn the_table_lists_every_server_function() {
    let listed: BTreeSet<String> = endpoint_table("x")
        .into_iter()
        .filter(|(_, path, _, _)| path.starts_with("/api/"))
        .map(|(_, path, _, _)| path)
        .collect();
    let registered = registered_server_functions();
    assert!(registered.len() >= 8, "{registered:?}");
    assert_eq!(
        listed, registered,
        "every server function must be in the authorization table"
    );
}

#[tokio::test]
async fn anonymous_requests_are_refused_everywhere() {
    let app = TestApp::new().await;
    for path in registered_server_functions() {
        let reply = app.call(&path, "", None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
    }
    for (method, path, body, _) in endpoint_table("anon") {
        let reply = app.request(method, &path, &body, None, Some(ORIGIN)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // Pages send the browser to the sign-in page, remembering where it was going.
    for page in [
        "/roadmap",
        "/roadmap/board",
        "/roadmap/timeline",
        "/roadmap/modules/waf",
        "/audit",
        "/environments",
        "/environments/prod",
        "/cost",
        "/cost?month=2026-10",
        "/jobs",
        "/jobs/new",
        "/jobs/1",
        "/",
    ] {
        let reply = app.get(page, None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{page}");
        let location = reply.headers[header::LOCATION].to_str().unwrap();
        assert!(
            location.starts_with("/auth/sign-in?return_to="),
            "{page} -> {location}"
        );
    }
    // The sign-in page, health check and assets stay public.
    assert_eq!(app.get("/auth/sign-in", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn each_role_gets_exactly_its_permissions() {
    let app = TestApp::new().await;
    for (i, subject) in ROLES.iter().enumerate() {
        let cookie = app.sign_in(subject).await;
        for (method, path, body, expected) in endpoint_table(subject) {
            let reply = app
                .request(method.clone(), &path, &body, Some(&cookie), Some(ORIGIN))
                .await;
            assert_eq!(
                reply.status.as_u16(),
                expected[i],
                "{subject} {method} {path}: {}",
                reply.body
            );
        }
    }
    // Refused attempts changed nothing: only the two editors' changes exist.
    let records = audit::store::query(
        &app.services.db,
        &AuditFilter::default(),
        &PageRequest::first(200),
    )
    .await
    .unwrap()
    .records;
    let edits: Vec<&str> = records
        .iter()
        .filter(|r| r.action.starts_with("roadmap.module."))
        .map(|r| r.actor.as_str())
        .collect();
    assert!(
        edits
            .iter()
            .all(|a| a.contains("<oscar>") || a.contains("<ada>")),
        "{edits:?}"
    );
    // Only the admin created and deleted an environment.
    let env_changes: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r.action.starts_with("environment."))
        .filter(|r| !r.actor.contains("config"))
        .map(|r| (r.action.as_str(), r.actor.as_str()))
        .collect();
    assert_eq!(env_changes.len(), 2, "{env_changes:?}");
    assert!(
        env_changes.iter().all(|(_, a)| a.contains("<ada>")),
        "{env_changes:?}"
    );
    assert!(audit::store::verify(&app.services.db)
        .await
        .unwrap()
        .is_ok());
}

#[tokio::test]
async fn an_invalid_environment_is_refused_with_the_field_and_changes_nothing() {
    let app = TestApp::new().await;
    let admin = app.sign_in("ada").await;
    let before = app
        .call("/api/environments/list", "", Some(&admin))
        .await
        .body;
    let form = |prefix: &str, budget: &str| {
        format!(
            "form[name]=staging&form[region]=us-east-1&form[account_id]=123456789012&form[role_arn]=arn:aws:iam::123456789012:role/x&form[cluster]=staging&form[database]=&form[services]=&form[ssm_prefix]={prefix}&form[cost_tag_key]=&form[cost_tag_value]=&form[monthly_budget_usd]={budget}&form[approvals_required]=0&form[approver_groups]=&form[approval_expiry_hours]=24&form[ttl_hours]="
        )
    };
    let no_slash = app
        .call(
            "/api/environments/save",
            &form("backend-booking/staging/", "10"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        no_slash.status,
        StatusCode::BAD_REQUEST,
        "{}",
        no_slash.body
    );
    assert!(
        no_slash.body.contains("environments.staging.ssm_prefix"),
        "{}",
        no_slash.body
    );
    assert!(
        no_slash.body.contains("must start with '/'"),
        "{}",
        no_slash.body
    );
    let not_a_number = app
        .call(
            "/api/environments/save",
            &form("/bb/staging/", "ten"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        not_a_number.status,
        StatusCode::BAD_REQUEST,
        "{}",
        not_a_number.body
    );
    assert!(
        not_a_number.body.contains("monthly_budget_usd")
            && not_a_number.body.contains("is not a number"),
        "{}",
        not_a_number.body
    );
    let bad_role = app
        .call(
            "/api/environments/save",
            &form("/bb/staging/", "10").replace("role/x", "user/x"),
            Some(&admin),
        )
        .await;
    assert_eq!(bad_role.status, StatusCode::BAD_REQUEST);
    assert!(bad_role.body.contains("role_arn"), "{}", bad_role.body);
    let after = app
        .call("/api/environments/list", "", Some(&admin))
        .await
        .body;
    assert_eq!(before, after, "nothing was written");
    // Production environments cannot be deleted.
    let prod = app
        .call("/api/environments/delete", "name=prod", Some(&admin))
        .await;
    assert_eq!(prod.status, StatusCode::BAD_REQUEST, "{}", prod.body);
    // A valid save lands, and shows on the page.
    let ok = app
        .call(
            "/api/environments/save",
            &form("/bb/staging/", "10"),
            Some(&admin),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let page = app.get("/environments/staging", Some(&admin)).await;
    assert!(page.body.contains("/bb/staging/"), "{}", page.body);
    assert!(page.body.contains("Edit settings"), "admins see the form");
    let viewer = app.sign_in("vera").await;
    let page = app.get("/environments/staging", Some(&viewer)).await;
    assert!(!page.body.contains("Edit settings"), "viewers do not");
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let app = TestApp::new().await;
    let cookie = app.sign_in("oscar").await;
    let body = "slug=waf&status[prod]=deployed&priority[default]=high&phase=none&owner=&target_date=&notes=";
    let path = "/api/roadmap/module/update";
    let evil = app
        .request(
            Method::POST,
            path,
            body,
            Some(&cookie),
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    assert!(evil.body.contains("cross-site"), "{}", evil.body);
    let none = app
        .request(Method::POST, path, body, Some(&cookie), None)
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);

    let mut cross = axum::http::Request::post(path)
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    cross = cross.header(header::ACCEPT, "application/json");
    let reply = app
        .send(cross.body(axum::body::Body::from(body)).unwrap())
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // Nothing changed.
    let module = app
        .call("/api/roadmap/module", "slug=waf", Some(&cookie))
        .await;
    assert!(
        module.body.contains("\"status\":\"planned\""),
        "{}",
        module.body
    );
    assert!(!module.body.contains("\"status\":\"deployed\""));
}

#[tokio::test]
async fn security_headers_and_csp_nonce_on_pages() {
    let app = TestApp::new().await;
    let cookie = app.sign_in("vera").await;
    let reply = app.get("/roadmap", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let csp = reply.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(nonce.len() >= 16);
    assert!(
        reply.body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration scripts carry this response's nonce"
    );
    assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(reply.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(reply.headers[header::REFERRER_POLICY], "same-origin");
    assert!(reply.headers.contains_key("x-request-id"));
    // A second response has a different nonce.
    let again = app.get("/roadmap", Some(&cookie)).await;
    assert_ne!(
        again.headers[header::CONTENT_SECURITY_POLICY],
        reply.headers[header::CONTENT_SECURITY_POLICY]
    );
}

#[tokio::test]
async fn sessions_end_on_sign_out_expiry_and_forgery() {
    let app = TestApp::new().await;
    let sign_in = app
        .request(
            Method::POST,
            "/auth/dev",
            "subject=vera&return_to=/roadmap",
            None,
            Some(ORIGIN),
        )
        .await;
    let set_cookie = sign_in.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain http: no Secure flag: {set_cookie}"
    );
    let cookie = session_cookie(&sign_in.headers).unwrap();
    assert_eq!(
        app.call("/api/auth/me", "", Some(&cookie)).await.status,
        StatusCode::OK
    );

    // Forged: a well-formed but unknown session id.
    let forged = "gantry_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(
        app.call("/api/auth/me", "", Some(forged)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Signed out.
    let out = app
        .request(
            Method::POST,
            "/auth/logout",
            "",
            Some(&cookie),
            Some(ORIGIN),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.call("/api/auth/me", "", Some(&cookie)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Expired.
    let cookie = app.sign_in("vera").await;
    let token = SessionToken::from_cookie(cookie.trim_start_matches("gantry_session="));
    session::expire_for_tests(&app.services.db, &token)
        .await
        .unwrap();
    assert_eq!(
        app.call("/api/auth/me", "", Some(&cookie)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let settings = SessionSettings {
        idle: chrono::Duration::minutes(60),
        absolute: chrono::Duration::hours(12),
    };
    assert!(session::lookup(&app.services.db, &settings, &token)
        .await
        .unwrap()
        .is_none());

    // A new id at every sign-in.
    let first = app.sign_in("ada").await;
    let second = app.sign_in("ada").await;
    assert_ne!(first, second);

    let actions: Vec<String> = audit::store::query(
        &app.services.db,
        &AuditFilter::default(),
        &PageRequest::first(50),
    )
    .await
    .unwrap()
    .records
    .into_iter()
    .map(|r| r.action)
    .collect();
    assert!(actions.contains(&"auth.sign_in".to_owned()));
    assert!(actions.contains(&"auth.sign_out".to_owned()));
}

#[tokio::test]
async fn a_user_without_a_mapped_group_is_refused() {
    let app = TestApp::new().await;
    let reply = app
        .request(
            Method::POST,
            "/auth/dev",
            "subject=nora&return_to=/roadmap",
            None,
            Some(ORIGIN),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body.contains("No access to Gantry"));
    assert!(
        session_cookie(&reply.headers).is_none(),
        "no session for a user without a role"
    );
    let refused = audit::store::query(
        &app.services.db,
        &AuditFilter {
            action: Some("auth.sign_in_refused".to_owned()),
            ..AuditFilter::default()
        },
        &PageRequest::first(10),
    )
    .await
    .unwrap();
    assert_eq!(refused.records.len(), 1);
    assert_eq!(refused.records[0].target, "user:nora");

    // Unknown dev users, and return_to pointing elsewhere, are not honoured.
    let unknown = app
        .request(
            Method::POST,
            "/auth/dev",
            "subject=mallory",
            None,
            Some(ORIGIN),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let offsite = app
        .request(
            Method::POST,
            "/auth/dev",
            "subject=vera&return_to=//evil.example",
            None,
            Some(ORIGIN),
        )
        .await;
    assert_eq!(offsite.headers[header::LOCATION], "/roadmap");
}

/// Open-redirect bypasses, as an attacker would put them in `return_to`.
const HOSTILE_RETURN_TO: &[&str] = &[
    "",
    "\t/evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\r\nLocation: https://evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "\\evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "https:evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "//evil.example",
    "///evil.example",
    "/\u{2215}evil.example",
    "/\u{FF0F}evil.example",
    "/\u{2044}evil.example",
    "/%C0%AF/evil.example",
    "/%E0%80%AF/evil.example",
    "/auth/..",
    "/auth/logout",
    "/%2e%2e/auth/logout",
    "@evil.example",
];

/// Whether a Location header keeps the browser on Gantry, outside `/auth/`.
fn stays_home(location: &str) -> bool {
    let origin = url::Url::parse(ORIGIN).expect("the origin");
    let resolved = origin.join(location).expect("a URL reference");
    location.starts_with('/')
        && !location.starts_with("//")
        && !location.contains(|c: char| c == '\\' || c.is_control())
        && resolved.origin() == origin.origin()
        && !resolved.path().starts_with("/auth")
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_hostile_return_to_never_leaves_the_origin() {
    // One dev sign-in per hostile value, all from the harness' one address.
    let app = TestApp::with_config(&format!(
        "[auth]\nsign_in_starts_burst = 1000\n{}",
        crate::common::CONFIG
    ))
    .await;
    let cookie = app.sign_in("vera").await;
    for hostile in HOSTILE_RETURN_TO {
        let query = format!("/auth/sign-in?return_to={}", encoded(hostile));
        // Signed in: the sign-in page sends the browser on at once.
        let reply = app.get(&query, Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{hostile:?}");
        let location = reply.headers[header::LOCATION].to_str().unwrap();
        assert!(stays_home(location), "{hostile:?} -> {location:?}");
        assert_eq!(location, "/roadmap", "{hostile:?}");
        // Signed out: the form carries the normalized target, not the input.
        let page = app.get(&query, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(r#"name="return_to" value="/roadmap""#),
            "{hostile:?}"
        );
        assert!(!page.body.contains("evil.example"), "{hostile:?}");
        // The development sign-in's form field.
        let reply = app
            .request(
                Method::POST,
                "/auth/dev",
                &format!("subject=vera&return_to={}", encoded(hostile)),
                None,
                Some(ORIGIN),
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{hostile:?}");
        let location = reply.headers[header::LOCATION].to_str().unwrap();
        assert_eq!(location, "/roadmap", "{hostile:?}");
    }
    // A genuine local target survives, normalized.
    let reply = app
        .get(
            &format!(
                "/auth/sign-in?return_to={}",
                encoded("/roadmap/x/../board?a=b c")
            ),
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.headers[header::LOCATION], "/roadmap/board?a=b%20c");
}

fn get_with_host(path: &str, host: Option<&str>) -> axum::http::Request<axum::body::Body> {
    let mut request = axum::http::Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(host) = host {
        request = request.header(header::HOST, host);
    }
    request.body(axum::body::Body::empty()).expect("request")
}

#[tokio::test]
async fn requests_for_another_host_are_refused() {
    let app = TestApp::new().await;
    let cookie = app.sign_in("vera").await;
    for host in [
        "evil.example",
        "127.0.0.1:3001",
        "127.0.0.1",
        "rebind.attacker.example:3000",
        "localhost:3000",
        "127.0.0.1:3000@evil.example",
    ] {
        let mut request = get_with_host("/roadmap", Some(host));
        request
            .headers_mut()
            .insert(header::COOKIE, cookie.parse().unwrap());
        let reply = app.send_raw(request).await;
        assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST, "{host}");
        assert!(!reply.body.contains("Networking Module"), "{host}");
        // The request was stopped before any route: the sign-in page neither.
        let reply = app
            .send_raw(get_with_host("/auth/sign-in", Some(host)))
            .await;
        assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
    // The absolute form (and HTTP/2's :authority) is checked too.
    let reply = app
        .send_raw(get_with_host(
            "http://evil.example/healthz",
            Some("127.0.0.1:3000"),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST);
    // No Host at all.
    let reply = app.send_raw(get_with_host("/healthz", None)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // The public host, in any case: served.
    let reply = app
        .send_raw(get_with_host("/healthz", Some("127.0.0.1:3000")))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn hosts_compare_case_insensitively_and_extra_hosts_are_served() {
    let app = TestApp::with_config(
        "[server]\npublic_url = \"HTTPS://Gantry.Example.com\"\nallowed_hosts = [\"10.0.1.5:3000\"]\n",
    )
    .await;
    for host in [
        "gantry.example.com",
        "GANTRY.Example.COM:443",
        "10.0.1.5:3000",
    ] {
        let reply = app.send_raw(get_with_host("/healthz", Some(host))).await;
        assert_eq!(reply.status, StatusCode::OK, "{host}");
    }
    for host in ["gantry.example.com:80", "10.0.1.5", "10.0.1.6:3000"] {
        let reply = app.send_raw(get_with_host("/healthz", Some(host))).await;
        assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
}

#[tokio::test]
async fn an_origin_mismatch_is_refused_even_if_the_browser_says_same_origin() {
    let app = TestApp::new().await;
    let cookie = app.sign_in("oscar").await;
    let body = "slug=waf&status[prod]=deployed&priority[default]=high&phase=none&owner=&target_date=&notes=";
    for origin in [
        "http://rebind.attacker.example:3000",
        "null",
        "http://127.0.0.1:3001",
    ] {
        let request = axum::http::Request::post("/api/roadmap/module/update")
            .header(header::COOKIE, &cookie)
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{origin}");
        assert!(reply.body.contains("cross-site"), "{}", reply.body);
    }
    let module = app
        .call("/api/roadmap/module", "slug=waf", Some(&cookie))
        .await;
    assert!(!module.body.contains("\"status\":\"deployed\""));
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[tokio::test]
async fn request_ids_are_always_the_servers() {
    let app = TestApp::new().await;
    let forged = "=HYPERLINK(\"https://evil.example\",\"click\")";
    let sign_in = axum::http::Request::post("/auth/dev")
        .header(header::ORIGIN, ORIGIN)
        .header("x-request-id", forged)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("subject=oscar&return_to=/roadmap"))
        .unwrap();
    let reply = app.send(sign_in).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let sign_in_id = reply.headers["x-request-id"].to_str().unwrap().to_owned();
    assert!(is_uuid(&sign_in_id), "{sign_in_id}");
    let cookie = session_cookie(&reply.headers).unwrap();

    // A well-formed client id is not kept as the id either.
    let update = axum::http::Request::post("/api/roadmap/module/update")
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, &cookie)
        .header("x-request-id", "client-chosen-id-0001")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(axum::body::Body::from(
            "slug=waf&status[prod]=in_progress&priority[default]=&priority[dev]=low&priority[prod]=high&phase=medium&owner=Platform&target_date=2026-12-01&notes=",
        ))
        .unwrap();
    let reply = app.send(update).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let update_id = reply.headers["x-request-id"].to_str().unwrap().to_owned();
    assert!(is_uuid(&update_id), "{update_id}");
    assert_ne!(update_id, sign_in_id);

    let records = audit::store::query(
        &app.services.db,
        &AuditFilter::default(),
        &PageRequest::first(50),
    )
    .await
    .unwrap()
    .records;
    let id_of = |action: &str| {
        records
            .iter()
            .find(|r| r.action.starts_with(action))
            .and_then(|r| r.request_id.clone())
    };
    assert_eq!(id_of("auth.sign_in").as_deref(), Some(sign_in_id.as_str()));
    assert_eq!(
        id_of("roadmap.module.").as_deref(),
        Some(update_id.as_str())
    );
    assert!(records.iter().all(|r| r
        .request_id
        .as_deref()
        .is_none_or(|id| !id.contains("HYPERLINK") && id != "client-chosen-id-0001")));
}

#[tokio::test]
async fn hsts_only_over_https() {
    let https =
        TestApp::with_config("[server]\npublic_url = \"https://gantry.example.com\"\n").await;
    let reply = https.get("/healthz", None).await;
    assert_eq!(
        reply.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=63072000; includeSubDomains"
    );
    let plain = TestApp::new().await;
    let reply = plain.get("/healthz", None).await;
    assert!(!reply
        .headers
        .contains_key(header::STRICT_TRANSPORT_SECURITY));
}

#[tokio::test]
async fn authenticated_answers_are_never_cached_but_assets_are() {
    let site = std::env::temp_dir().join(format!("gantry-auth-site-{}", std::process::id()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/gantry.css"), "body{}").unwrap();
    let app = TestApp::with_site_root(&site).await;
    let cookie = app.sign_in("ada").await;
    for page in [
        "/roadmap",
        "/roadmap/modules/waf",
        "/audit",
        "/roadmap/export.md",
        "/audit/export.csv",
        "/audit/export.jsonl",
        "/cost/export/services.csv?month=2026-10",
    ] {
        let reply = app.get(page, Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store", "{page}");
    }
    let api = app.call("/api/roadmap/matrix", "", Some(&cookie)).await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.headers[header::CACHE_CONTROL], "no-store");
    let asset = app.get("/pkg/gantry.css", None).await;
    assert_eq!(asset.status, StatusCode::OK);
    let caching = asset.headers[header::CACHE_CONTROL].to_str().unwrap();
    assert_ne!(caching, "no-store");
    // What the asset service set (a year, immutable, in a release build).
    assert!(
        caching == "no-cache" || caching == "public, max-age=31536000, immutable",
        "{caching}"
    );
}

#[tokio::test]
async fn signing_in_again_revokes_the_previous_session() {
    let app = TestApp::new().await;
    let old = app.sign_in("vera").await;
    let token = SessionToken::from_cookie(old.trim_start_matches("gantry_session="));
    let reply = app
        .request(
            Method::POST,
            "/auth/dev",
            "subject=ada&return_to=/roadmap",
            Some(&old),
            Some(ORIGIN),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let new = session_cookie(&reply.headers).unwrap();
    assert_ne!(new, old);
    // The old row is gone server-side; the old cookie signs in nobody.
    let settings = SessionSettings {
        idle: chrono::Duration::minutes(60),
        absolute: chrono::Duration::hours(12),
    };
    assert!(session::lookup(&app.services.db, &settings, &token)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        app.call("/api/auth/me", "", Some(&old)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let me = app.call("/api/auth/me", "", Some(&new)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("\"subject\":\"ada\""), "{}", me.body);
}

#[tokio::test]
async fn over_https_the_session_cookie_is_host_prefixed() {
    let app = TestApp::with_config("[server]\npublic_url = \"HTTPS://Gantry.Example.com\"\n").await;
    let settings = SessionSettings {
        idle: chrono::Duration::minutes(60),
        absolute: chrono::Duration::hours(12),
    };
    let principal = gantry_core::auth::Principal {
        subject: "ada".to_owned(),
        name: "Ada Admin".to_owned(),
        email: None,
        groups: vec!["gantry-admins".to_owned()],
        roles: BTreeSet::from([gantry_core::auth::Role::Admin]),
    };
    let new = gantry_core::auth::NewSession {
        principal: &principal,
        provider: "oidc",
        id_token: None,
        refresh_token: None,
    };
    let token = session::create(&app.services.db, &settings, new)
        .await
        .unwrap();
    let origin = Some("https://gantry.example.com");
    let prefixed = format!("__Host-gantry_session={}", token.expose());
    let me = app
        .request(Method::POST, "/api/auth/me", "", Some(&prefixed), origin)
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    // The unprefixed name (which a sibling subdomain could set) is ignored.
    let plain = format!("gantry_session={}", token.expose());
    let me = app
        .request(Method::POST, "/api/auth/me", "", Some(&plain), origin)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let out = app
        .request(Method::POST, "/auth/logout", "", Some(&prefixed), origin)
        .await;
    let removal = out.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(removal.starts_with("__Host-gantry_session=;"), "{removal}");
    for attribute in ["Secure", "Path=/", "HttpOnly"] {
        assert!(removal.contains(attribute), "{removal}");
    }
    assert!(!removal.contains("Domain"), "{removal}");
}

/// A dev sign-in form POST from `peer` (`None`: no ConnectInfo, as `oneshot`).
fn dev_sign_in_from(
    subject: &str,
    peer: Option<&str>,
    forwarded_for: Option<&str>,
) -> axum::http::Request<axum::body::Body> {
    let mut request = axum::http::Request::post("/auth/dev")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(forwarded) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded);
    }
    let mut request = request
        .body(axum::body::Body::from(format!(
            "subject={subject}&return_to=/roadmap"
        )))
        .expect("request");
    if let Some(peer) = peer {
        let addr: std::net::SocketAddr = peer.parse().expect("socket address");
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    request
}

#[tokio::test]
async fn sign_in_starts_are_limited_per_client_address() {
    // One start a minute after a burst of 20: the 21st within the minute is refused.
    let app = TestApp::with_config(&format!(
        "[auth]\nsign_in_starts_per_minute = 1\nsign_in_starts_burst = 20\n{}",
        crate::common::CONFIG
    ))
    .await;
    let attacker = Some("192.0.2.10:50000");
    for n in 0..20 {
        let reply = app.send(dev_sign_in_from("vera", attacker, None)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "start {n}");
    }
    let reply = app.send(dev_sign_in_from("vera", attacker, None)).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = reply.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(session_cookie(&reply.headers).is_none());
    // Another port of the same host is the same client; a forged
    // X-Forwarded-For changes nothing.
    let reply = app
        .send(dev_sign_in_from(
            "vera",
            Some("192.0.2.10:50001"),
            Some("203.0.113.9"),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    // Another address is still served, and so is the harness' own.
    let reply = app
        .send(dev_sign_in_from("vera", Some("192.0.2.11:50000"), None))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let reply = app.send(dev_sign_in_from("vera", None, None)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn refused_sign_ins_are_limited_and_audited_at_most_the_burst() {
    let app = TestApp::with_config(&format!(
        "[auth]\nrefused_sign_ins_per_minute = 1\nrefused_sign_ins_burst = 5\n{}",
        crate::common::CONFIG
    ))
    .await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(app.send(dev_sign_in_from("nora", None, None)).await.status);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::FORBIDDEN)
            .count(),
        5,
        "{statuses:?}"
    );
    assert!(statuses[5..]
        .iter()
        .all(|s| *s == StatusCode::TOO_MANY_REQUESTS));
    let refused = audit::store::query(
        &app.services.db,
        &AuditFilter {
            action: Some("auth.sign_in_refused".to_owned()),
            ..AuditFilter::default()
        },
        &PageRequest::first(50),
    )
    .await
    .unwrap();
    assert_eq!(
        refused.records.len(),
        5,
        "the audit log grows by the burst only"
    );
}

/// Records of `action` on `target`, oldest first.
async fn audit_of(app: &TestApp, action: &str, target: &str) -> Vec<audit::AuditRecord> {
    audit::store::query(
        &app.services.db,
        &AuditFilter {
            action: Some(action.to_owned()),
            target: Some(target.to_owned()),
            ..AuditFilter::default()
        },
        &PageRequest::first(50),
    )
    .await
    .expect("audit query")
    .records
}

fn roles_of(reply: &crate::common::Reply) -> serde_json::Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str::<serde_json::Value>(&reply.body).expect("json")["roles"].clone()
}

#[tokio::test]
async fn dev_sessions_follow_the_configured_users_after_a_restart() {
    let app = TestApp::new().await;
    let oscar = app.sign_in("oscar").await;
    let ada = app.sign_in("ada").await;
    assert_eq!(
        roles_of(&app.call("/api/auth/me", "", Some(&oscar)).await),
        serde_json::json!(["operator"])
    );

    // Restarted with Oscar demoted to viewer and Ada no longer configured.
    let changed = crate::common::CONFIG
        .replace(
            r#"{ subject = "oscar", name = "Oscar Operator", groups = ["gantry-operators"] },"#,
            r#"{ subject = "oscar", name = "Oscar Operator", groups = ["gantry-viewers"] },"#,
        )
        .replace(
            r#"  { subject = "ada", name = "Ada Admin", groups = ["gantry-admins"] },"#,
            "",
        );
    assert_ne!(changed, crate::common::CONFIG);
    let restarted = app
        .restarted_with(&format!("[auth]\nrole_refresh_minutes = 0\n{changed}"))
        .await;
    assert_eq!(
        roles_of(&restarted.call("/api/auth/me", "", Some(&oscar)).await),
        serde_json::json!(["viewer"])
    );
    let changed = audit_of(&restarted, "auth.roles_changed", "user:oscar").await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(
        restarted.call("/api/auth/me", "", Some(&ada)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let ended = audit_of(&restarted, "auth.session_ended", "user:ada").await;
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert!(
        ended[0].after.as_ref().expect("after")["reason"]
            .as_str()
            .expect("reason")
            .contains("no longer a configured development user"),
        "{:?}",
        ended[0].after
    );
    // The chain still verifies with the new records in it.
    assert!(audit::store::verify(&restarted.services.db)
        .await
        .expect("verify")
        .is_ok());
}

#[tokio::test]
async fn a_sign_in_that_fails_half_way_writes_nothing_and_keeps_the_old_session() {
    let app = TestApp::new().await;
    let old = app.sign_in("vera").await;
    let before = audit_of(&app, "auth.sign_in", "user:oscar").await.len();
    // The session insert fails inside the sign-in transaction, after the
    // audit append and the old session's deletion.
    sqlx::query(
        "CREATE TRIGGER refuse_sessions BEFORE INSERT ON auth_sessions \
         BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
    )
    .execute(app.services.db.pool())
    .await
    .expect("trigger");
    let reply = app
        .send(
            axum::http::Request::post("/auth/dev")
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, &old)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("subject=oscar&return_to=/roadmap"))
                .expect("request"),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.body
    );
    assert!(
        session_cookie(&reply.headers).is_none(),
        "no cookie for a failed sign-in"
    );
    assert_eq!(
        audit_of(&app, "auth.sign_in", "user:oscar").await.len(),
        before
    );
    assert!(!reply.body.contains("refused by test"), "{}", reply.body);
    sqlx::query("DROP TRIGGER refuse_sessions")
        .execute(app.services.db.pool())
        .await
        .expect("drop trigger");
    // The browser's previous session was not ended by the failed attempt.
    assert_eq!(
        roles_of(&app.call("/api/auth/me", "", Some(&old)).await),
        serde_json::json!(["viewer"])
    );
    assert!(audit::store::verify(&app.services.db)
        .await
        .expect("verify")
        .is_ok());
}
