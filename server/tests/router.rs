//! The HTTP surface through the real router (`oneshot`), on a seeded SQLite database.

#![expect(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use gantry_core::roadmap::model::EnvName;
use gantry_core::roadmap::service::{self, RoadmapSettings};
use gantry_core::Services;
use gantry_server::config::Config;
use gantry_server::http::{router, AppState};
use gantry_server::startup::leptos_options;
use http_body_util::BodyExt;
use tower::ServiceExt;

const SEED: &str = include_str!("../../fixtures/infrastructure-status.md");

async fn app() -> Router {
    let db = gantry_core::db::testing::sqlite().await;
    let roadmap = RoadmapSettings {
        environments: vec![
            EnvName::parse("dev").unwrap(),
            EnvName::parse("prod").unwrap(),
        ],
    };
    service::import_markdown(&db, &roadmap, SEED, "test", "seed")
        .await
        .unwrap();
    let config = Config::from_toml(
        "[auth.dev]\nenabled = true\nusers = [{ subject = \"a\", name = \"A\", groups = [\"gantry-admins\"] }]\n",
    )
    .unwrap();
    router(AppState {
        leptos_options: leptos_options(&config),
        services: Services { db, roadmap },
    })
}

async fn get(app: &Router, uri: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn health_answers() {
    let app = app().await;
    let (status, _, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
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
    let app = app().await;
    let response = app
        .clone()
        .oneshot(
            Request::post("/api/roadmap/module")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("slug=waf"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["name"], "WAF Module");
    assert_eq!(json["priority"]["text"], "Low for dev, High for prod");

    let response = app
        .clone()
        .oneshot(
            Request::post("/api/roadmap/module")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("slug=nope"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let app = app().await;
    let response = app
        .clone()
        .oneshot(
            Request::post("/api/roadmap/module")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("slug={}", "a".repeat(2 * 1024 * 1024))))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
