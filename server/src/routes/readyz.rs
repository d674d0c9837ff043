//! `/readyz`: whether this replica should get traffic and is doing its
//! background work. 200 "ready" when the database answers and every job
//! worker of this process has ticked recently; 503 naming what is wrong
//! otherwise (a dead claim loop fails the probe, so an orchestrator restarts
//! the replica instead of leaving jobs unclaimed for days). Anonymous, like
//! `/healthz`, and it says nothing secret.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::http::JobsState;

pub async fn readyz(
    State(services): State<gantry_core::Services>,
    State(jobs): State<JobsState>,
) -> Response {
    let mut problems = Vec::new();
    if let Err(e) = services.db.ping().await {
        tracing::warn!(error = %e, "readiness: the database does not answer");
        problems.push("the database does not answer".to_owned());
    }
    for (n, worker) in jobs.workers.iter().enumerate() {
        if !worker.is_alive(jobs.max_silence) {
            problems.push(format!(
                "job worker {n} has been silent for {} s",
                worker.since_last_tick().as_secs()
            ));
        }
    }
    if problems.is_empty() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", problems.join("; ")),
        )
            .into_response()
    }
}
