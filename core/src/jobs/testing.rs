//! **Test scaffolding** (behind the `testing` feature; release builds never
//! have it): plans, requests and actors for the jobs tests.

use serde_json::json;

use super::model::{JobKind, Plan, PlanStep};
use super::store::NewJob;
use crate::shared::{Actor, EnvName};

/// An operator acting from the UI.
pub fn operator() -> Actor {
    Actor {
        name: "Olga Operator <olga>".to_owned(),
        role: Some("operator".to_owned()),
        request_id: Some("req-jobs".to_owned()),
        source: "ui".to_owned(),
    }
}

/// A plan of `steps` no-op steps named `step-1`, `step-2`, … (action
/// `test.step`), each with `timeout_secs` when given.
pub fn plan(steps: usize, timeout_secs: Option<u32>) -> Plan {
    Plan {
        steps: (1..=steps)
            .map(|i| PlanStep {
                name: format!("step-{i}"),
                action: "test.step".to_owned(),
                before: json!({"value": i - 1}),
                after: json!({"value": i}),
                timeout_secs,
            })
            .collect(),
        fingerprint: "live-state-1".to_owned(),
    }
}

/// A deploy request for `environment` with `steps` steps, by [`operator`].
pub fn new_job(environment: &str, steps: usize) -> NewJob {
    NewJob {
        #[expect(clippy::expect_used, reason = "test scaffolding with fixed names")]
        environment: EnvName::parse(environment).expect("a valid test environment name"),
        kind: JobKind::Deploy,
        requested_by: operator(),
        params: json!({"image": "registry.example.com/booking:1.2.3"}),
        plan: plan(steps, None),
        production: false,
    }
}
