//! `/metrics`: Prometheus text for scrapers — AWS requests sent, per service
//! and operation (the figure that proves page views cost no AWS calls).
//!
//! Readable with the configured bearer token (`[metrics] bearer_token`) or by a
//! signed-in admin; the session middleware lets the path through so a scraper
//! without a session can present its token.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use gantry_core::auth::{Permission, Principal};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::http::OpsState;

pub async fn metrics(
    State(ops): State<OpsState>,
    State(services): State<gantry_core::Services>,
    State(jobs): State<crate::http::JobsState>,
    user: Option<Extension<Principal>>,
    headers: HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = match (bearer, &ops.metrics_token) {
        (Some(given), Some(expected)) => {
            bool::from(given.as_bytes().ct_eq(expected.expose_secret().as_bytes()))
        }
        _ => false,
    };
    if !token_ok {
        if bearer.is_some() {
            return (StatusCode::UNAUTHORIZED, "invalid bearer token").into_response();
        }
        if let Err(refusal) = super::require(user.as_deref(), Permission::Administer) {
            return refusal.into_response();
        }
    }
    let mut body = ops.aws_calls.render_prometheus();
    body.push_str(
        "# HELP gantry_health_poll_interval_seconds Seconds between health polls.\n\
         # TYPE gantry_health_poll_interval_seconds gauge\n",
    );
    body.push_str(&format!(
        "gantry_health_poll_interval_seconds {}\n",
        ops.poll_interval.as_secs()
    ));
    body.push_str(&format!(
        "# HELP gantry_audit_checkpoint_failures_total Audit checkpoint writes that failed since start-up.\n\
         # TYPE gantry_audit_checkpoint_failures_total counter\n\
         gantry_audit_checkpoint_failures_total {}\n",
        services.db.audit().checkpoint_failures()
    ));
    body.push_str(&jobs_metrics(&services, &jobs).await);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// The jobs in each state (stuck ones among them), and this process's
/// workers: alive or not, and what they did since start-up.
async fn jobs_metrics(services: &gantry_core::Services, jobs: &crate::http::JobsState) -> String {
    use std::fmt::Write;
    let mut out =
        String::from("# HELP gantry_jobs Jobs in each state (stored).\n# TYPE gantry_jobs gauge\n");
    match gantry_core::jobs::store::state_counts(&services.db).await {
        Ok(counts) => {
            for state in gantry_core::jobs::JobState::ALL {
                let n = counts
                    .iter()
                    .find(|(s, _)| s == state)
                    .map_or(0, |(_, n)| *n);
                let _ = writeln!(out, "gantry_jobs{{state=\"{state}\"}} {n}");
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: counting jobs failed"),
    }
    let alive = jobs
        .workers
        .iter()
        .filter(|w| w.is_alive(jobs.max_silence))
        .count();
    let _ = write!(
        out,
        "# HELP gantry_job_workers Job claim loops in this process.\n# TYPE gantry_job_workers gauge\n\
         gantry_job_workers {}\n\
         # HELP gantry_job_workers_alive Job claim loops that ticked recently.\n# TYPE gantry_job_workers_alive gauge\n\
         gantry_job_workers_alive {alive}\n",
        jobs.workers.len()
    );
    let total =
        gantry_core::jobs::liveness::WorkerCounters::total(jobs.workers.iter().map(|w| &**w));
    let _ = writeln!(
        out,
        "# HELP gantry_job_worker_events_total What this process's job workers did since start-up.\n# TYPE gantry_job_worker_events_total counter"
    );
    for (event, n) in total.named() {
        let _ = writeln!(
            out,
            "gantry_job_worker_events_total{{event=\"{event}\"}} {n}"
        );
    }
    out
}
