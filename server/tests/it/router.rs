//! The HTTP surface through the real router (`oneshot`), on a seeded SQLite database.

use crate::common::TestApp;
use axum::http::{header, StatusCode};

struct Signed {
    app: TestApp,
    cookie: String,
}

/// The app with a viewer signed in.
async fn app() -> Signed {
    let app = TestApp::new().await;
    let cookie = app.sign_in("vera").await;
    Signed { app, cookie }
}

async fn get(s: &Signed, uri: &str) -> (StatusCode, String, String) {
    let reply = s.app.get(uri, Some(&s.cookie)).await;
    let content_type = reply
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (reply.status, content_type, reply.body)
}

#[tokio::test]
async fn health_answers() {
    let app = TestApp::new().await;
    let reply = app.get("/healthz", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "ok");
}

#[tokio::test]
async fn matrix_page_renders_every_module_on_the_server() {
    let app = app().await;
    let (status, content_type, html) = get(&app, "/roadmap").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert_eq!(
        html.matches("data-module=\"").count(),
        23,
        "one row per module"
    );
    assert!(html.contains("Networking Module"));
    assert!(html.contains("data-env=\"prod\""));
    assert!(html.contains("data-status=\"deployed\""));
    assert!(
        html.contains("/pkg/gantry.js"),
        "hydration script is linked"
    );
    assert!(html.contains("href=\"/roadmap/export.md\""));
}

#[tokio::test]
async fn board_groups_modules_by_phase() {
    let app = app().await;
    let (status, _, html) = get(&app, "/roadmap/board").await;
    assert_eq!(status, StatusCode::OK);
    for phase in ["immediate", "short", "medium", "long", "unscheduled"] {
        assert!(html.contains(&format!("data-phase=\"{phase}\"")), "{phase}");
    }
    let immediate = html
        .split("data-phase=\"immediate\"")
        .nth(1)
        .and_then(|rest| rest.split("data-phase=\"short\"").next())
        .unwrap();
    assert!(immediate.contains("data-module=\"elasticache\""));
    assert!(immediate.contains("data-module=\"s3\""));
    assert!(!immediate.contains("data-module=\"waf\""));
}

#[tokio::test]
async fn module_page_shows_details_and_unknown_is_404() {
    let app = app().await;
    let (status, _, html) = get(&app, "/roadmap/modules/elasticache").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Redis/ElastiCache Module"));
    assert!(html.contains("module &quot;redis&quot; {") || html.contains("module \"redis\" {"));
    assert!(html.contains("Session storage and Dramatiq message broker"));

    let (status, _, html) = get(&app, "/roadmap/modules/does-not-exist").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.to_lowercase().contains("not found"));

    let (status, _, _) = get(&app, "/roadmap/modules/BAD%20slug").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _, _) = get(&app, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn export_returns_the_document() {
    let app = app().await;
    let (status, content_type, markdown) = get(&app, "/roadmap/export.md").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/markdown; charset=utf-8");
    assert!(markdown.starts_with("# Infrastructure Status & Future Modules\n"));
    assert!(markdown.contains("## ✅ Currently Implemented Modules"));
    assert!(!markdown.contains("‚úÖ"), "exports clean emoji");
}

#[tokio::test]
async fn server_function_returns_json_and_404_for_unknown_module() {
    let s = app().await;
    let reply = s
        .app
        .call("/api/roadmap/module", "slug=waf", Some(&s.cookie))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(json["name"], "WAF Module");
    assert_eq!(json["priority"]["text"], "Low for dev, High for prod");

    let reply = s
        .app
        .call("/api/roadmap/module", "slug=nope", Some(&s.cookie))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_4xx() {
    let s = app().await;
    let big = format!("slug={}", "a".repeat(2 * 1024 * 1024));
    let reply = s
        .app
        .call("/api/roadmap/module", &big, Some(&s.cookie))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Missing argument, wrong shapes: refused, never a panic or a 500.
    for body in ["", "slug", "%%%", "slug[]=1&slug[]=2"] {
        let reply = s
            .app
            .call("/api/roadmap/module", body, Some(&s.cookie))
            .await;
        assert!(
            reply.status.is_client_error(),
            "{body:?} -> {} {}",
            reply.status,
            reply.body
        );
    }
}

#[tokio::test]
async fn environment_pages_show_the_configured_environments() {
    let s = app().await;
    let (status, _, html) = get(&s, "/environments").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-environment=\"dev\""));
    assert!(html.contains("data-environment=\"prod\""));
    assert!(html.contains("$475"), "budget shown");

    let (status, _, html) = get(&s, "/environments/prod").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("2 approvals from gantry-approvers, valid 24 h, reason required"));
    assert!(html.contains("/backend-booking/prod/"));
    assert!(html.contains("https://booking.example.com/health/"));

    let (status, _, _) = get(&s, "/environments/staging").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(&s, "/environments/Not%20A%20Name").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn assets_are_sent_precompressed_when_accepted() {
    let site = std::env::temp_dir().join(format!("gantry-site-{}", std::process::id()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("gantry.css"), "body{color:red}").unwrap();
    std::fs::write(pkg.join("gantry.css.br"), "BROTLI-BYTES").unwrap();
    let app = TestApp::with_site_root(&site).await;

    let request = |encoding: &'static str| {
        axum::http::Request::get("/pkg/gantry.css")
            .header(header::ACCEPT_ENCODING, encoding)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let br = app.send(request("gzip, br")).await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(br.headers[header::CONTENT_TYPE], "text/css");
    assert_eq!(br.body, "BROTLI-BYTES");

    let plain = app.send(request("identity")).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(!plain.headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(plain.body, "body{color:red}");
}

/// Pages render while other routers are being built, as in parallel tests.
/// Building a router generates the route list, which raises a process-wide
/// Leptos flag under which every resource created meanwhile never loads
/// (leptos-rs/leptos#4773): a lazy page rendering in one router while another
/// was built waited forever, about one run in three. The list is now
/// generated once per process (`http::route_list`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_routers_are_built() {
    let signed = std::sync::Arc::new(app().await);
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..8 {
        tasks.spawn(async move {
            let app = TestApp::new().await;
            let cookie = app.sign_in("vera").await;
            app.get("/roadmap/board", Some(&cookie)).await.status
        });
        for uri in ["/roadmap/board", "/environments/prod", "/cost", "/audit"] {
            let signed = std::sync::Arc::clone(&signed);
            let uri = format!("{uri}?round={round}");
            tasks.spawn(async move { get(&signed, &uri).await.0 });
        }
    }
    let all = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        let mut statuses = Vec::new();
        while let Some(done) = tasks.join_next().await {
            statuses.push(done.unwrap());
        }
        statuses
    })
    .await
    .expect("every page rendered within 2 minutes (none stalled)");
    assert_eq!(all.len(), 40);
    // /audit is for approvers and admins: a viewer is refused, promptly.
    assert!(
        all.iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::FORBIDDEN),
        "{all:?}"
    );
    assert!(all.iter().filter(|s| **s == StatusCode::OK).count() >= 32);
}
