//! Scale: set one service's desired count, within bounds.
//!
//! Plan: one step, `ecs.scale`, before `{service, desired: now}` → after
//! `{service, desired: wanted}`. Run: reads the service; already at `after`
//! (a re-run) → done, nothing sent; at `before` → UpdateService; anything
//! else → stale (someone scaled it since the plan), nothing sent.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{plan_of, step_error};
use crate::aws::{ecs_change, EnvClients, WriteOutcome};
use crate::environments::model::Environment;
use crate::jobs::model::{Plan, PlanStep};
use crate::jobs::runner::{StepError, StepOutcome};
use crate::jobs::{JobsError, JobsResult};

pub const ACTION: &str = "ecs.scale";
/// Most tasks a service may be scaled to from Gantry.
pub const MAX_DESIRED: i32 = 50;
/// How long the UpdateService step may take.
const STEP_TIMEOUT_SECS: u32 = 120;

/// What the scale form submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleRequest {
    pub service: String,
    pub desired: i32,
}

impl ScaleRequest {
    /// Refuses a service the environment does not have and a count outside
    /// `0..=MAX_DESIRED`, naming the problem.
    pub fn validate(&self, env: &Environment) -> JobsResult<()> {
        if !env.services.iter().any(|s| s.name == self.service) {
            return Err(JobsError::Validation(format!(
                "environment {} has no service {:?}",
                env.name, self.service
            )));
        }
        if !(0..=MAX_DESIRED).contains(&self.desired) {
            return Err(JobsError::Validation(format!(
                "the desired count must be between 0 and {MAX_DESIRED}, not {}",
                self.desired
            )));
        }
        Ok(())
    }
}

/// The plan for `request` from the service's live state.
pub async fn plan(aws: &EnvClients, env: &Environment, request: &ScaleRequest) -> JobsResult<Plan> {
    request.validate(env)?;
    let state = ecs_change::service_state(&aws.ecs, &env.cluster, &request.service)
        .await
        .map_err(JobsError::Aws)?
        .ok_or_else(|| {
            JobsError::Validation(format!(
                "service {} does not exist in cluster {}: provision the environment first",
                request.service, env.cluster
            ))
        })?;
    if state.desired == request.desired {
        return Err(JobsError::Validation(format!(
            "service {} already runs {} task(s): nothing to change",
            request.service, request.desired
        )));
    }
    Ok(plan_of(vec![PlanStep {
        name: format!(
            "Scale {} from {} to {} task(s)",
            request.service, state.desired, request.desired
        ),
        action: ACTION.to_owned(),
        before: json!({ "service": request.service, "desired": state.desired }),
        after: json!({ "service": request.service, "desired": request.desired }),
        timeout_secs: Some(STEP_TIMEOUT_SECS),
    }]))
}

fn desired_of(value: &serde_json::Value) -> Result<(String, i32), StepError> {
    let service = value["service"].as_str().map(str::to_owned);
    let desired = value["desired"]
        .as_i64()
        .and_then(|d| i32::try_from(d).ok());
    match (service, desired) {
        (Some(service), Some(desired)) => Ok((service, desired)),
        _ => Err(StepError::Fatal(format!("malformed scale step: {value}"))),
    }
}

/// Performs an `ecs.scale` step (see the module's description).
pub async fn run(
    aws: &EnvClients,
    env: &Environment,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let (service, from) = desired_of(&step.before)?;
    let (_, to) = desired_of(&step.after)?;
    let state = ecs_change::service_state(&aws.ecs, &env.cluster, &service)
        .await
        .map_err(step_error)?
        .ok_or_else(|| StepError::Stale(format!("service {service} no longer exists")))?;
    if state.desired == to {
        return Ok(StepOutcome::Done(Some(
            json!({ "desired": to, "sent": false }),
        )));
    }
    if state.desired != from {
        return Err(StepError::Stale(format!(
            "service {service} runs {} task(s) now, the plan was made at {from}",
            state.desired
        )));
    }
    let outcome = ecs_change::ensure_desired_count(&aws.ecs, &env.cluster, &service, to)
        .await
        .map_err(step_error)?;
    Ok(StepOutcome::Done(Some(json!({
        "desired": to,
        "sent": outcome == WriteOutcome::Written,
    }))))
}
