//! Provision an environment from the [`template::ProvisionTemplate`]: what
//! the template says and AWS lacks, in this order, each step only when there
//! is something to change:
//!
//! 1. `ecs.ensure_cluster`: the ECS cluster;
//! 2. `ssm.ensure_parameters`: the parameters under the environment's prefix
//!    (String values shown; SecureString ones generated or copied, shown
//!    only as "changed"); compared before every put, so a re-run writes no
//!    new version;
//! 3. `ecs.register_task_definition`: the template's task definition (the
//!    app container and the PgBouncer sidecar, secrets from SSM, awslogs),
//!    tagged with the job step; the plan shows it beside the newest revision;
//! 4. `ecs.ensure_service`: CreateService with a client token (circuit
//!    breaker with rollback, network, target group), or UpdateService to the
//!    new revision;
//! 5. `ecs.wait_rollout` (the deploy kind's): until the service is steady.
//!
//! Every step reads what it changes first; a state that is neither the
//! plan's before nor its after stops the job as stale.

pub mod template;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use self::template::{ProvisionTemplate, SecretSource};
use super::{deploy, plan_of, step_error};
use crate::aws::ecs_provision::{self, ContainerSpec, ServiceSpec, TaskSpec};
use crate::aws::{ecs_change, ssm, EnvClients, WriteOutcome};
use crate::environments::model::Environment;
use crate::health::snapshot::ParameterKind;
use crate::jobs::model::{Plan, PlanStep};
use crate::jobs::runner::{StepContext, StepError, StepOutcome};
use crate::jobs::store::LogLevel;
use crate::jobs::{JobsError, JobsResult};

pub const ENSURE_CLUSTER: &str = "ecs.ensure_cluster";
pub const ENSURE_PARAMETERS: &str = "ssm.ensure_parameters";
pub const REGISTER: &str = "ecs.register_task_definition";
pub const ENSURE_SERVICE: &str = "ecs.ensure_service";

const STEP_TIMEOUT_SECS: u32 = 180;

/// What the provision form submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionRequest {
    /// Tasks a new service starts with (the template's count when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<i32>,
    /// A new preview environment's time-to-live (hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_hours: Option<u32>,
}

/// A parameter as the plan saw it (`type` `None`: absent). A SecureString's
/// value is never read into the plan, only its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ParameterBefore {
    name: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
}

/// A parameter as the step leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ParameterAfter {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    /// A String parameter's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    /// A SecureString: how it gets its value (never the value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<SecretSource>,
    /// The copied parameter's version the plan saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_version: Option<i64>,
    /// What the plan page shows.
    shown: String,
}

fn ssm_arn(env: &Environment, name: &str) -> String {
    format!(
        "arn:aws:ssm:{}:{}:parameter{}",
        env.region.as_str(),
        env.account_id.as_str(),
        name
    )
}

fn container_spec(
    template: &template::ContainerTemplate,
    env: &Environment,
    all: &ProvisionTemplate,
    app_container: &str,
) -> ContainerSpec {
    let prefix = env.ssm_prefix.to_string();
    let secrets = all
        .parameters
        .iter()
        .filter(|p| {
            if p.containers.is_empty() {
                template.name == app_container
            } else {
                p.containers.contains(&template.name)
            }
        })
        .map(|p| (p.name.clone(), ssm_arn(env, &format!("{prefix}{}", p.name))))
        .collect();
    let depends_on = match (&all.pgbouncer, template.name == app_container) {
        (Some(sidecar), true) => vec![sidecar.name.clone()],
        _ => Vec::new(),
    };
    ContainerSpec {
        name: template.name.clone(),
        image: template.image.clone(),
        cpu: template.cpu,
        memory: template.memory,
        port: Some(i32::from(template.port)),
        environment: template.environment.clone(),
        secrets,
        depends_on,
        logs: [
            ("awslogs-group".to_owned(), all.log_group.clone()),
            ("awslogs-region".to_owned(), env.region.as_str().to_owned()),
            (
                "awslogs-stream-prefix".to_owned(),
                format!("{}/{}", env.name, template.name),
            ),
        ]
        .into_iter()
        .collect(),
    }
}

/// The task definition the template gives `env`, its app container named
/// `app_container` (the environment's service says which).
pub fn task_spec(template: &ProvisionTemplate, env: &Environment, app_container: &str) -> TaskSpec {
    let mut app = template.app.clone();
    app.name = app_container.to_owned();
    let mut containers = vec![container_spec(&app, env, template, app_container)];
    if let Some(sidecar) = &template.pgbouncer {
        containers.push(container_spec(sidecar, env, template, app_container));
    }
    TaskSpec {
        family: template.family_for(&env.name),
        cpu: template.cpu.clone(),
        memory: template.memory.clone(),
        execution_role_arn: template.execution_role_arn.clone(),
        task_role_arn: template.task_role_arn.clone(),
        containers,
    }
}

/// Ids from the template, or from the StringList parameter it names.
async fn ids(
    aws: &EnvClients,
    literal: &[String],
    parameter: Option<&str>,
    what: &str,
) -> JobsResult<Vec<String>> {
    if !literal.is_empty() {
        return Ok(literal.to_vec());
    }
    let Some(name) = parameter else {
        return Ok(Vec::new());
    };
    let found = ssm::current(&aws.ssm, name)
        .await
        .map_err(JobsError::Aws)?
        .ok_or_else(|| {
            JobsError::Validation(format!(
                "the template reads its {what} from parameter {name}, which does not exist"
            ))
        })?;
    Ok(found
        .value
        .expose_secret()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

async fn parameters_step(
    aws: &EnvClients,
    env: &Environment,
    template: &ProvisionTemplate,
) -> JobsResult<Option<PlanStep>> {
    let prefix = env.ssm_prefix.to_string();
    let mut before = Vec::new();
    let mut after = Vec::new();
    for p in &template.parameters {
        let name = format!("{prefix}{}", p.name);
        let now = ssm::current(&aws.ssm, &name)
            .await
            .map_err(JobsError::Aws)?;
        let (wanted, unchanged) = match (p.secret_source(), &p.value) {
            (None, Some(value)) => {
                let value = value.replace("{env}", env.name.as_str());
                let same = now.as_ref().is_some_and(|n| {
                    n.kind == ParameterKind::String && n.value.expose_secret() == value
                });
                (
                    ParameterAfter {
                        name: name.clone(),
                        kind: ParameterKind::String.as_str().to_owned(),
                        shown: value.clone(),
                        value: Some(value),
                        secret: None,
                        source_version: None,
                    },
                    same,
                )
            }
            (Some(SecretSource::Generate), _) => (
                ParameterAfter {
                    name: name.clone(),
                    kind: ParameterKind::SecureString.as_str().to_owned(),
                    value: None,
                    secret: Some(SecretSource::Generate),
                    source_version: None,
                    shown: "(generated: a new random value)".to_owned(),
                },
                now.as_ref()
                    .is_some_and(|n| n.kind == ParameterKind::SecureString),
            ),
            (Some(SecretSource::CopyFrom(from)), _) => {
                let source = ssm::current(&aws.ssm, &from)
                    .await
                    .map_err(JobsError::Aws)?
                    .ok_or_else(|| {
                        JobsError::Validation(format!(
                            "parameter {name} is copied from {from}, which does not exist"
                        ))
                    })?;
                let same = now.as_ref().is_some_and(|n| {
                    n.kind == ParameterKind::SecureString
                        && n.value.expose_secret() == source.value.expose_secret()
                });
                (
                    ParameterAfter {
                        name: name.clone(),
                        kind: ParameterKind::SecureString.as_str().to_owned(),
                        value: None,
                        secret: Some(SecretSource::CopyFrom(from.clone())),
                        source_version: Some(source.version),
                        shown: format!("(changed: copied from {from})"),
                    },
                    same,
                )
            }
            (None, None) => {
                return Err(JobsError::Validation(format!(
                    "the template's parameter {} has no value",
                    p.name
                )))
            }
        };
        if unchanged {
            continue;
        }
        before.push(match now {
            None => ParameterBefore {
                name,
                kind: None,
                value: None,
                version: None,
            },
            Some(n) => ParameterBefore {
                name,
                kind: Some(n.kind.as_str().to_owned()),
                value: (n.kind != ParameterKind::SecureString)
                    .then(|| n.value.expose_secret().to_owned()),
                version: Some(n.version),
            },
        });
        after.push(wanted);
    }
    if after.is_empty() {
        return Ok(None);
    }
    Ok(Some(PlanStep {
        name: format!("Write {} parameter(s) under {prefix}", after.len()),
        action: ENSURE_PARAMETERS.to_owned(),
        before: json!({ "prefix": prefix, "parameters": before }),
        after: json!({ "prefix": prefix, "parameters": after }),
        timeout_secs: Some(STEP_TIMEOUT_SECS),
    }))
}

/// The plan that makes `env` what `template` says, from the live state.
pub async fn plan(
    aws: &EnvClients,
    env: &Environment,
    template: &ProvisionTemplate,
    request: &ProvisionRequest,
) -> JobsResult<Plan> {
    let problems = template.problems();
    if !problems.is_empty() {
        return Err(JobsError::Validation(format!(
            "the provisioning template is invalid: {}",
            problems.join("; ")
        )));
    }
    let desired = request.desired.unwrap_or(template.desired_count);
    if !(0..=super::scale::MAX_DESIRED).contains(&desired) {
        return Err(JobsError::Validation(format!(
            "the desired count must be between 0 and {}, not {desired}",
            super::scale::MAX_DESIRED
        )));
    }
    let spec = env
        .service(&template.service)
        .or_else(|| env.services.first())
        .ok_or_else(|| {
            JobsError::Validation(format!(
                "environment {} has no service to provision",
                env.name
            ))
        })?;
    let mut steps = Vec::new();
    let cluster_exists = ecs_provision::cluster_exists(&aws.ecs, &env.cluster)
        .await
        .map_err(JobsError::Aws)?;
    if !cluster_exists {
        steps.push(PlanStep {
            name: format!("Create ECS cluster {}", env.cluster),
            action: ENSURE_CLUSTER.to_owned(),
            before: json!({ "cluster": env.cluster, "exists": false }),
            after: json!({ "cluster": env.cluster, "exists": true }),
            timeout_secs: Some(STEP_TIMEOUT_SECS),
        });
    }
    steps.extend(parameters_step(aws, env, template).await?);

    let wanted = task_spec(template, env, &spec.container);
    let latest = ecs_provision::latest_revision(&aws.ecs, &wanted.family)
        .await
        .map_err(JobsError::Aws)?;
    let registered_at = match &latest {
        Some((arn, current)) if *current == wanted => Some(arn.clone()),
        _ => {
            steps.push(PlanStep {
                name: format!("Register a task definition of {}", wanted.family),
                action: REGISTER.to_owned(),
                before: json!({
                    "family": wanted.family,
                    "revision": latest.as_ref().map(|(arn, _)| arn),
                    "definition": latest.as_ref().map(|(_, spec)| spec),
                }),
                after: json!({ "family": wanted.family, "definition": wanted }),
                timeout_secs: Some(STEP_TIMEOUT_SECS),
            });
            None
        }
    };
    let register_position = steps.len();

    let state = if cluster_exists {
        ecs_change::service_state(&aws.ecs, &env.cluster, &spec.name)
            .await
            .map_err(JobsError::Aws)?
    } else {
        None
    };
    let service = ServiceSpec {
        cluster: env.cluster.clone(),
        service: spec.name.clone(),
        desired: state.as_ref().map_or(desired, |s| s.desired),
        subnets: ids(
            aws,
            &template.subnets,
            template.subnets_parameter.as_deref(),
            "subnets",
        )
        .await?,
        security_groups: ids(
            aws,
            &template.security_groups,
            template.security_groups_parameter.as_deref(),
            "security groups",
        )
        .await?,
        assign_public_ip: template.assign_public_ip,
        target_group: template.target_groups.get(env.name.as_str()).cloned(),
        container: spec.container.clone(),
        port: i32::from(template.app.port),
    };
    let breaker = match &state {
        Some(_) => ecs_provision::has_circuit_breaker(&aws.ecs, &env.cluster, &spec.name)
            .await
            .map_err(JobsError::Aws)?,
        None => false,
    };
    let up_to_date = match (&state, &registered_at) {
        (Some(s), Some(arn)) => s.task_definition == *arn && breaker,
        _ => false,
    };
    if !up_to_date {
        let mut after = json!({
            "service": spec.name,
            "family": wanted.family,
            "spec": service,
            "circuit_breaker": { "enable": true, "rollback": true },
        });
        match &registered_at {
            Some(arn) => after["task_definition"] = json!(arn),
            None => after["revision_of_step"] = json!(register_position),
        }
        steps.push(PlanStep {
            name: match &state {
                None => format!(
                    "Create service {} with {} task(s)",
                    spec.name, service.desired
                ),
                Some(_) => format!("Update service {} to the template", spec.name),
            },
            action: ENSURE_SERVICE.to_owned(),
            before: json!({
                "service": spec.name,
                "exists": state.is_some(),
                "task_definition": state.as_ref().map(|s| &s.task_definition),
                "circuit_breaker": breaker,
            }),
            after,
            timeout_secs: Some(STEP_TIMEOUT_SECS),
        });
        let previous = state.as_ref().map(|s| s.task_definition.as_str());
        steps.extend(deploy::rollout_steps(spec, previous));
    }
    if steps.is_empty() {
        return Err(JobsError::Validation(format!(
            "environment {} already is what the template says: nothing to provision",
            env.name
        )));
    }
    Ok(plan_of(steps))
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value, key: &str) -> Result<T, StepError> {
    serde_json::from_value(value[key].clone())
        .map_err(|e| StepError::Fatal(format!("malformed plan step ({key}): {e}")))
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, StepError> {
    value[key]
        .as_str()
        .ok_or_else(|| StepError::Fatal(format!("malformed plan step: no {key} in {value}")))
}

fn step_tag(ctx: &StepContext, position: usize) -> String {
    format!("{}/{}", ctx.job_id(), position)
}

/// Performs `ecs.ensure_cluster`.
pub async fn ensure_cluster(aws: &EnvClients, step: &PlanStep) -> Result<StepOutcome, StepError> {
    let cluster = text(&step.after, "cluster")?;
    let outcome = ecs_provision::ensure_cluster(&aws.ecs, cluster)
        .await
        .map_err(step_error)?;
    Ok(StepOutcome::Done(Some(
        json!({ "created": outcome == WriteOutcome::Written }),
    )))
}

/// 48 characters from 36 random bytes (URL-safe base64).
fn generated_secret() -> Result<SecretString, StepError> {
    let mut bytes = [0u8; 36];
    getrandom::fill(&mut bytes)
        .map_err(|e| StepError::Retryable(format!("no randomness for a secret: {e}")))?;
    Ok(SecretString::from(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    ))
}

/// Performs `ssm.ensure_parameters` (see the module's description).
pub async fn ensure_parameters(
    ctx: &StepContext,
    aws: &EnvClients,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let befores: Vec<ParameterBefore> = parse(&step.before, "parameters")?;
    let afters: Vec<ParameterAfter> = parse(&step.after, "parameters")?;
    if befores.len() != afters.len() {
        return Err(StepError::Fatal(
            "malformed plan step: parameters differ".into(),
        ));
    }
    let mut written = 0;
    for (before, after) in befores.iter().zip(&afters) {
        let now = ssm::current(&aws.ssm, &after.name)
            .await
            .map_err(step_error)?;
        let (kind, value) = match (&after.secret, &after.value) {
            (None, Some(value)) => (ParameterKind::String, SecretString::from(value.clone())),
            (Some(SecretSource::Generate), _) => {
                if now
                    .as_ref()
                    .is_some_and(|n| n.kind == ParameterKind::SecureString)
                    && before.kind.is_none()
                {
                    // Written by this step before a restart: kept.
                    continue;
                }
                (ParameterKind::SecureString, generated_secret()?)
            }
            (Some(SecretSource::CopyFrom(from)), _) => {
                let source = ssm::current(&aws.ssm, from)
                    .await
                    .map_err(step_error)?
                    .ok_or_else(|| StepError::Stale(format!("{from} no longer exists")))?;
                if Some(source.version) != after.source_version {
                    return Err(StepError::Stale(format!(
                        "{from} changed since the plan (version {}, the plan saw {:?})",
                        source.version, after.source_version
                    )));
                }
                (ParameterKind::SecureString, source.value)
            }
            (None, None) => {
                return Err(StepError::Fatal(format!(
                    "malformed plan step: no value for {}",
                    after.name
                )))
            }
        };
        let holds_after = now
            .as_ref()
            .is_some_and(|n| n.kind == kind && n.value.expose_secret() == value.expose_secret());
        if holds_after {
            continue;
        }
        let holds_before = match (&now, &before.kind) {
            (None, None) => true,
            (Some(n), Some(k)) if n.kind.as_str() == k => match &before.value {
                Some(v) => n.value.expose_secret() == v,
                None => Some(n.version) == before.version,
            },
            _ => false,
        };
        if !holds_before {
            return Err(StepError::Stale(format!(
                "parameter {} changed since the plan",
                after.name
            )));
        }
        ssm::ensure_value(&aws.ssm, &after.name, kind, &value)
            .await
            .map_err(step_error)?;
        written += 1;
        let _ = ctx
            .log(
                LogLevel::Info,
                &format!("wrote {} ({})", after.name, kind.as_str()),
            )
            .await;
    }
    Ok(StepOutcome::Done(Some(json!({ "written": written }))))
}

/// Performs `ecs.register_task_definition`.
pub async fn register(
    ctx: &StepContext,
    aws: &EnvClients,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let spec: TaskSpec = parse(&step.after, "definition")?;
    let tag = step_tag(ctx, ctx.position);
    if let Some(existing) = ecs_change::revision_tagged(&aws.ecs, &spec.family, &tag)
        .await
        .map_err(step_error)?
    {
        return Ok(StepOutcome::Done(Some(
            json!({ "task_definition": existing, "registered": false }),
        )));
    }
    let planned: Option<String> = parse(&step.before, "revision")?;
    let latest = ecs_provision::latest_revision(&aws.ecs, &spec.family)
        .await
        .map_err(step_error)?
        .map(|(arn, _)| arn);
    if latest != planned {
        return Err(StepError::Stale(format!(
            "the newest revision of {} is {} now; the plan saw {}",
            spec.family,
            latest.as_deref().unwrap_or("none"),
            planned.as_deref().unwrap_or("none")
        )));
    }
    let (arn, _) = ecs_provision::ensure_registered(&aws.ecs, &spec, &tag)
        .await
        .map_err(step_error)?;
    let _ = ctx.log(LogLevel::Info, &format!("registered {arn}")).await;
    Ok(StepOutcome::Done(Some(
        json!({ "task_definition": arn, "registered": true }),
    )))
}

/// Performs `ecs.ensure_service`.
pub async fn ensure_service(
    ctx: &StepContext,
    aws: &EnvClients,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let spec: ServiceSpec = parse(&step.after, "spec")?;
    let target = match step.after["task_definition"].as_str() {
        Some(arn) => arn.to_owned(),
        None => {
            let from_step = step.after["revision_of_step"]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| StepError::Fatal(format!("malformed plan step: {}", step.after)))?;
            let family = text(&step.after, "family")?;
            ecs_change::revision_tagged(&aws.ecs, family, &step_tag(ctx, from_step - 1))
                .await
                .map_err(step_error)?
                .ok_or_else(|| {
                    StepError::Fatal(format!(
                        "the revision step {from_step} registered no longer exists"
                    ))
                })?
        }
    };
    let existed = step.before["exists"].as_bool().unwrap_or(false);
    let planned_from = step.before["task_definition"].as_str();
    let now = ecs_change::service_state(&aws.ecs, &spec.cluster, &spec.service)
        .await
        .map_err(step_error)?;
    match (&now, existed) {
        (None, true) => {
            return Err(StepError::Stale(format!(
                "service {} was deleted since the plan",
                spec.service
            )))
        }
        (Some(s), false) if s.task_definition != target => {
            return Err(StepError::Stale(format!(
                "service {} was created by someone else since the plan",
                spec.service
            )))
        }
        (Some(s), true)
            if s.task_definition != target && Some(s.task_definition.as_str()) != planned_from =>
        {
            return Err(StepError::Stale(format!(
                "service {} runs {} now; the plan was made when it ran {}",
                spec.service,
                s.task_definition,
                planned_from.unwrap_or("nothing")
            )))
        }
        _ => {}
    }
    // At most 36 characters: a job id and a step position fit.
    let token = format!("gantry-{}-{}", ctx.job_id(), ctx.position);
    let outcome = ecs_provision::ensure_service(&aws.ecs, &spec, &target, &token)
        .await
        .map_err(step_error)?;
    let _ = ctx
        .log(
            LogLevel::Info,
            &format!(
                "service {} runs {target} ({})",
                spec.service,
                if outcome == WriteOutcome::Written {
                    "changed"
                } else {
                    "already so"
                }
            ),
        )
        .await;
    Ok(StepOutcome::Done(Some(json!({
        "task_definition": target,
        "sent": outcome == WriteOutcome::Written,
    }))))
}
