//! Importing an edition of the status document from `/roadmap/history`,
//! through the real router and server functions: what a later edition
//! changes, the editions listed and compared, and the refusals (an older
//! edition, a module listed twice in strict mode, bad input) that change
//! nothing.

use crate::common::{TestApp, SEED};
use axum::http::StatusCode;

const DECEMBER: &str = include_str!("../../../fixtures/editions/2024-12-infrastructure-status.md");

fn import_form(document: &str, extra: &[(&str, &str)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("document", document);
    form.append_pair("name", "status-december.md");
    for (key, value) in extra {
        form.append_pair(key, value);
    }
    form.finish()
}

#[tokio::test]
async fn an_operator_imports_a_later_edition_and_compares_it_with_the_first() {
    let app = TestApp::new().await;
    let oscar = app.sign_in("oscar").await;
    let before = app.get("/roadmap/export.md", Some(&oscar)).await.body;
    assert!(
        before.contains("- **Last Updated**: November 2024"),
        "{before}"
    );

    // A viewer may read the editions but not import one.
    let vera = app.sign_in("vera").await;
    let refused = app
        .call(
            "/api/roadmap/import",
            &import_form(DECEMBER, &[]),
            Some(&vera),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let reply = app
        .call(
            "/api/roadmap/import",
            &import_form(DECEMBER, &[]),
            Some(&oscar),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let outcome: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(outcome["edition"], 2);
    assert_eq!(
        outcome["summary"],
        "1 created, 2 updated, 1 retired, 20 unchanged"
    );
    let warnings = outcome["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0]
        .as_str()
        .unwrap()
        .contains("\"Redis/ElastiCache Module\" is the same module as \"ElastiCache Redis\""));

    let after = app.get("/roadmap/export.md", Some(&oscar)).await.body;
    assert!(
        after.contains("- **Last Updated**: December 2024"),
        "{after}"
    );
    assert!(
        after.contains("### 6. Monitoring and Alerting"),
        "renamed in place"
    );
    assert_eq!(
        after.matches("ElastiCache Redis").count(),
        1,
        "one module, not two"
    );

    // The history lists both editions and compares the two newest by default.
    let history = app.call("/api/roadmap/history", "", Some(&vera)).await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    let view: serde_json::Value = serde_json::from_str(&history.body).unwrap();
    let editions = view["editions"].as_array().unwrap();
    assert_eq!(editions.len(), 2);
    assert_eq!(editions[0]["dated"], "December 2024 (2024-12-01)");
    assert_eq!(editions[0]["source"], "import: status-december.md (ui)");
    assert_eq!(view["diff"]["from"], 1);
    assert_eq!(view["diff"]["to"], 2);
    assert_eq!(
        view["diff"]["added"],
        serde_json::json!(["Feature Flags Module"])
    );
    assert_eq!(
        view["diff"]["removed"],
        serde_json::json!(["Cost Optimization Module"])
    );

    // The page itself, server-rendered.
    let page = app.get("/roadmap/history?from=1&to=2", Some(&vera)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Feature Flags Module"), "{}", page.body);
    assert!(
        !page.body.contains("Import an edition"),
        "a viewer has no import form"
    );
}

#[tokio::test]
async fn refused_imports_and_bad_comparisons_change_nothing() {
    let app = TestApp::new().await;
    let oscar = app.sign_in("oscar").await;
    let ok = app
        .call(
            "/api/roadmap/import",
            &import_form(DECEMBER, &[]),
            Some(&oscar),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let before = app.get("/roadmap/export.md", Some(&oscar)).await.body;
    let editions = |body: &str| {
        serde_json::from_str::<serde_json::Value>(body).unwrap()["editions"]
            .as_array()
            .unwrap()
            .len()
    };

    let cases: [(String, &str); 4] = [
        (
            import_form(SEED, &[]),
            "dated November 2024 (2024-11-01), older than edition #2 dated December 2024 (2024-12-01)",
        ),
        (import_form("   ", &[]), "document: paste the markdown of an edition"),
        (
            import_form(DECEMBER, &[("strict", "on"), ("force", "on")]),
            "duplicate module: \\\"Redis/ElastiCache Module\\\" is the same module as",
        ),
        (
            import_form("# Notes\n\nnothing here\n", &[]),
            "not an infrastructure status document",
        ),
    ];
    for (form, message) in cases {
        let reply = app.call("/api/roadmap/import", &form, Some(&oscar)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert!(reply.body.contains(message), "{message}: {}", reply.body);
        assert_eq!(
            reply.body.matches(message).count(),
            1,
            "said once: {}",
            reply.body
        );
    }
    assert_eq!(
        app.get("/roadmap/export.md", Some(&oscar)).await.body,
        before
    );
    let listed = app.call("/api/roadmap/history", "", Some(&oscar)).await;
    assert_eq!(
        editions(&listed.body),
        2,
        "no edition stored by a refused import"
    );

    for (form, status, message) in [
        (
            "from=abc&to=2",
            StatusCode::BAD_REQUEST,
            "from: \\\"abc\\\" is not an edition number",
        ),
        ("from=1", StatusCode::BAD_REQUEST, "choose two editions"),
        ("from=1&to=99", StatusCode::NOT_FOUND, "edition #99"),
    ] {
        let reply = app.call("/api/roadmap/history", form, Some(&oscar)).await;
        assert_eq!(reply.status, status, "{form}: {}", reply.body);
        assert!(reply.body.contains(message), "{form}: {}", reply.body);
    }

    // Forced, the older edition is imported and marked so.
    let forced = app
        .call(
            "/api/roadmap/import",
            &import_form(SEED, &[("force", "on")]),
            Some(&oscar),
        )
        .await;
    assert_eq!(forced.status, StatusCode::OK, "{}", forced.body);
    let listed = app.call("/api/roadmap/history", "", Some(&oscar)).await;
    let view: serde_json::Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(view["editions"][0]["forced"], true);
}

/// A plain form post, as a browser without JavaScript sends it.
async fn form_post(app: &TestApp, path: &str, form: &str, cookie: &str) -> crate::common::Reply {
    use axum::body::Body;
    use axum::http::{header, Request};
    app.send(
        Request::post(path)
            .header(header::ORIGIN, crate::common::ORIGIN)
            .header(
                header::REFERER,
                format!("{}/roadmap/history?from=1&to=1", crate::common::ORIGIN),
            )
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(form.to_owned()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn without_javascript_an_import_lands_on_its_outcome_and_a_refusal_is_a_page_in_words() {
    let app = TestApp::new().await;
    let oscar = app.sign_in("oscar").await;

    let done = form_post(
        &app,
        "/api/roadmap/import",
        &import_form(DECEMBER, &[]),
        &oscar,
    )
    .await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.body);
    assert_eq!(done.headers["location"], "/roadmap/history?imported=2");
    let page = app.get("/roadmap/history?imported=2", Some(&oscar)).await;
    assert!(
        page.body
            .contains("Imported as edition #2: 1 created, 2 updated, 1 retired, 20 unchanged."),
        "{}",
        page.body
    );

    // Refused: the status stays 400; the page says why, escaped, and links back.
    let refused = form_post(&app, "/api/roadmap/import", &import_form(SEED, &[]), &oscar).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(refused.headers.get("location").is_none());
    assert!(refused.body.contains("<p role=\"alert\" data-testid=\"form-refusal\">this edition is dated November 2024 (2024-11-01)"), "{}", refused.body);
    assert!(
        refused
            .body
            .contains("href=\"/roadmap/history?from=1&amp;to=1\""),
        "{}",
        refused.body
    );
    let hostile = form_post(
        &app,
        "/api/roadmap/history",
        "from=<script>alert(1)</script>&to=1",
        &oscar,
    )
    .await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST);
    assert!(
        hostile
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        hostile.body
    );
    assert!(!hostile.body.contains("<script>"), "{}", hostile.body);
    // Asked for JSON (a hydrated page), the refusal stays JSON.
    let json = app
        .call("/api/roadmap/import", &import_form(SEED, &[]), Some(&oscar))
        .await;
    assert_eq!(json.status, StatusCode::BAD_REQUEST);
    assert!(json.body.starts_with("{\"Invalid\":"), "{}", json.body);
}
