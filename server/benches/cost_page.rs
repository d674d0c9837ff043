//! Server time to render the cost review page: `GET /cost` through the real
//! router (session check, server function, SSR of the whole page with its
//! SVG charts), signed in, with 13 months of daily cost × 20 services × 4
//! environments (≈ 31,000 daily rows) stored in SQLite. Also: 100 viewers at
//! once, and the Cost Explorer requests they cause (a refresher is
//! configured, pointed at a closed loopback port: any request it sent would
//! be counted). Prints min / median / max over the runs.
//!
//! ```sh
//! cargo bench -p server --bench cost_page            # release build, 30 runs
//! cargo bench -p server --bench cost_page -- 100     # 100 runs
//! ```

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark: a panic is the failure report"
)]

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "../../core/benches/support/synthetic.rs"]
mod synthetic;

use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use common::TestApp;
use gantry_core::cost::model::YearMonth;
use gantry_core::cost::store;
use synthetic::{stats, synthetic, ENVS, SERVICES};

/// The dev sign-in users, and one environment per [`ENVS`] entry, each with
/// its cost tag and a budget.
fn config() -> String {
    let mut toml = String::from(
        r#"
[aws]
endpoint_url = "http://127.0.0.1:9"
stand_in_credentials = true

[auth.dev]
enabled = true
users = [{ subject = "vera", name = "Vera Viewer", groups = ["gantry-viewers"] }]
"#,
    );
    for (i, env) in ENVS.iter().enumerate() {
        toml.push_str(&format!(
            r#"
[[environments]]
name = "{env}"
region = "us-east-1"
account_id = "123456789012"
cluster = "backend-booking-{env}"
services = [{{ name = "backend-booking-api", container = "django" }}]
ssm_prefix = "/backend-booking/{env}/"
monthly_budget_usd = {budget}
cost_tag_key = "environment"
cost_tag_value = "{env}"
{ttl}"#,
            budget = 500 * (i + 1),
            ttl = if env.starts_with("preview-") {
                "ttl_hours = 24\n"
            } else {
                ""
            }
        ));
    }
    toml
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = Arc::new(TestApp::with_cost_refresher(&config()).await);
        let end = gantry_core::clock::testing::today() - chrono::Duration::days(1);
        let window = synthetic(end);
        store::testing::ingest(&app.services.db, &window).await;
        println!(
            "SQLite: {} daily rows, {} monthly rows ({} environments × {SERVICES} services, {} days)",
            window.daily.len(),
            window.monthly.len(),
            ENVS.len(),
            window.days()
        );
        let cookie = app.sign_in("vera").await;
        let current = YearMonth::of(end);
        for (label, path) in [
            ("GET /cost (current month)", "/cost".to_owned()),
            (
                "GET /cost?month= (last full month)",
                format!("/cost?month={}", current.previous()),
            ),
        ] {
            let first = app.get(&path, Some(&cookie)).await;
            assert_eq!(first.status, StatusCode::OK, "{}", first.body);
            assert!(first.body.contains("data-testid=\"environments-table\""));
            let bytes = first.body.len();
            let mut times = Vec::with_capacity(runs);
            for _ in 0..runs {
                let t = Instant::now();
                let page = app.get(&path, Some(&cookie)).await;
                times.push(t.elapsed());
                assert_eq!(page.status, StatusCode::OK);
            }
            stats(&format!("{label}, {bytes} bytes of HTML"), times);
        }

        let before = app.aws_calls.total();
        let t = Instant::now();
        let viewers = (0..100).map(|_| {
            let (app, cookie) = (Arc::clone(&app), cookie.clone());
            tokio::spawn(async move { app.get("/cost", Some(&cookie)).await.status })
        });
        let statuses = futures::future::join_all(viewers).await;
        let elapsed = t.elapsed();
        assert!(statuses.iter().all(|s| matches!(s, Ok(StatusCode::OK))));
        println!(
            "100 concurrent viewers of /cost: {:.1} ms in all; Cost Explorer requests: {}",
            elapsed.as_secs_f64() * 1000.0,
            app.aws_calls.total() - before
        );
    });
}
