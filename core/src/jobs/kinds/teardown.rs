//! Tear down an environment: each service scaled to 0 and deleted, the
//! task-definition revisions its services ran deregistered, the SSM
//! parameters under its prefix deleted. A production tear-down is created
//! awaiting approval, like every production job.
//!
//! Each step reads what it removes first: a re-run after a crash finds the
//! work done and sends nothing; something created since the plan (a service
//! scaled up again, a new revision, a new parameter) stops the job as stale
//! rather than being removed unseen.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{plan_of, scale, step_error};
use crate::aws::{ecs_change, ssm, EnvClients, WriteOutcome};
use crate::environments::model::Environment;
use crate::jobs::model::{Plan, PlanStep};
use crate::jobs::runner::{StepContext, StepError, StepOutcome};
use crate::jobs::store::LogLevel;
use crate::jobs::{JobsError, JobsResult};

pub const DELETE_SERVICE: &str = "ecs.delete_service";
pub const DEREGISTER: &str = "ecs.deregister_revisions";
pub const DELETE_PARAMETERS: &str = "ssm.delete_parameters";

const STEP_TIMEOUT_SECS: u32 = 300;

/// The plan that removes what `env` has in AWS, from the live state.
pub async fn plan(aws: &EnvClients, env: &Environment) -> JobsResult<Plan> {
    let mut steps = Vec::new();
    let mut families = BTreeSet::new();
    for spec in &env.services {
        let Some(state) = ecs_change::service_state(&aws.ecs, &env.cluster, &spec.name)
            .await
            .map_err(JobsError::Aws)?
        else {
            continue;
        };
        families.insert(ecs_change::family_of(&state.task_definition).to_owned());
        if state.desired != 0 {
            steps.push(PlanStep {
                name: format!("Scale {} from {} to 0 task(s)", spec.name, state.desired),
                action: scale::ACTION.to_owned(),
                before: json!({ "service": spec.name, "desired": state.desired }),
                after: json!({ "service": spec.name, "desired": 0 }),
                timeout_secs: Some(STEP_TIMEOUT_SECS),
            });
        }
        steps.push(PlanStep {
            name: format!("Delete service {}", spec.name),
            action: DELETE_SERVICE.to_owned(),
            before: json!({ "service": spec.name, "exists": true, "task_definition": state.task_definition }),
            after: json!({ "service": spec.name, "exists": false }),
            timeout_secs: Some(STEP_TIMEOUT_SECS),
        });
    }
    for family in families {
        let active = ecs_change::active_revisions(&aws.ecs, &family)
            .await
            .map_err(JobsError::Aws)?;
        if active.is_empty() {
            continue;
        }
        steps.push(PlanStep {
            name: format!("Deregister {} revision(s) of {family}", active.len()),
            action: DEREGISTER.to_owned(),
            before: json!({ "family": family, "active": active }),
            after: json!({ "family": family, "active": [] }),
            timeout_secs: Some(STEP_TIMEOUT_SECS),
        });
    }
    let prefix = env.ssm_prefix.to_string();
    let names: Vec<String> = ssm::parameters_under(&aws.ssm, &prefix)
        .await
        .map_err(JobsError::Aws)?
        .into_iter()
        .map(|p| p.name)
        .collect();
    if !names.is_empty() {
        steps.push(PlanStep {
            name: format!("Delete {} parameter(s) under {prefix}", names.len()),
            action: DELETE_PARAMETERS.to_owned(),
            before: json!({ "prefix": prefix, "names": names }),
            after: json!({ "prefix": prefix, "names": [] }),
            timeout_secs: Some(STEP_TIMEOUT_SECS),
        });
    }
    if steps.is_empty() {
        return Err(JobsError::Validation(format!(
            "environment {} has nothing in AWS to tear down",
            env.name
        )));
    }
    Ok(plan_of(steps))
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, StepError> {
    value[key]
        .as_str()
        .ok_or_else(|| StepError::Fatal(format!("malformed plan step: no {key} in {value}")))
}

fn list(value: &Value, key: &str) -> Result<Vec<String>, StepError> {
    value[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .ok_or_else(|| StepError::Fatal(format!("malformed plan step: no {key} in {value}")))
}

/// Performs `ecs.delete_service`.
pub async fn delete_service(
    aws: &EnvClients,
    env: &Environment,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let service = text(&step.before, "service")?;
    let state = ecs_change::service_state(&aws.ecs, &env.cluster, service)
        .await
        .map_err(step_error)?;
    if let Some(state) = &state {
        if state.desired != 0 {
            return Err(StepError::Stale(format!(
                "service {service} asks for {} task(s) again since it was scaled to 0",
                state.desired
            )));
        }
    }
    let outcome = ecs_change::ensure_service_deleted(&aws.ecs, &env.cluster, service)
        .await
        .map_err(step_error)?;
    Ok(StepOutcome::Done(Some(
        json!({ "deleted": outcome == WriteOutcome::Written }),
    )))
}

/// Performs `ecs.deregister_revisions`.
pub async fn deregister(
    ctx: &StepContext,
    aws: &EnvClients,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let family = text(&step.before, "family")?;
    let planned: BTreeSet<String> = list(&step.before, "active")?.into_iter().collect();
    let active = ecs_change::active_revisions(&aws.ecs, family)
        .await
        .map_err(step_error)?;
    if let Some(new) = active.iter().find(|arn| !planned.contains(*arn)) {
        return Err(StepError::Stale(format!(
            "{new} was registered since the plan"
        )));
    }
    let mut deregistered = 0;
    for arn in &active {
        if ecs_change::ensure_deregistered(&aws.ecs, arn)
            .await
            .map_err(step_error)?
            == WriteOutcome::Written
        {
            deregistered += 1;
            let _ = ctx
                .log(LogLevel::Info, &format!("deregistered {arn}"))
                .await;
        }
    }
    Ok(StepOutcome::Done(Some(
        json!({ "deregistered": deregistered }),
    )))
}

/// Performs `ssm.delete_parameters`.
pub async fn delete_parameters(
    ctx: &StepContext,
    aws: &EnvClients,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let prefix = text(&step.before, "prefix")?;
    let planned: BTreeSet<String> = list(&step.before, "names")?.into_iter().collect();
    let now = ssm::parameters_under(&aws.ssm, prefix)
        .await
        .map_err(step_error)?;
    if let Some(new) = now.iter().find(|p| !planned.contains(&p.name)) {
        return Err(StepError::Stale(format!(
            "parameter {} was created since the plan",
            new.name
        )));
    }
    let mut deleted = 0;
    for parameter in &now {
        if ssm::ensure_absent(&aws.ssm, &parameter.name)
            .await
            .map_err(step_error)?
            == WriteOutcome::Written
        {
            deleted += 1;
            let _ = ctx
                .log(LogLevel::Info, &format!("deleted {}", parameter.name))
                .await;
        }
    }
    Ok(StepOutcome::Done(Some(json!({ "deleted": deleted }))))
}
