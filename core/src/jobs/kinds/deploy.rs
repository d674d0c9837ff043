//! Deploy an image to one service, and roll a service back to an earlier
//! revision; both wait for the rollout and check health, and roll back by
//! themselves when either fails.
//!
//! A deploy's plan:
//! 1. `ecs.register_revision`: a revision of the running task definition with
//!    the app container's image replaced, tagged `gantry:job-step =
//!    <job>/<step>` (a re-run finds it by that tag and registers nothing);
//! 2. `ecs.point_service`: UpdateService to that revision (nothing sent when
//!    the service already runs it);
//! 3. `ecs.wait_rollout`: waits until ECS reports the rollout complete;
//! 4. `http.health_check` (when the service has a health URL): the app's
//!    health endpoint answers 2xx/3xx.
//!
//! When step 3 or 4 fails, the step points the service back at the revision
//! it ran before the job and the job ends as rolled back, with the reason.
//! A roll-back job is the same without step 1: it points the service at a
//! chosen earlier revision.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{plan_of, step_error};
use crate::aws::{ecs_change, EnvClients, WriteOutcome};
use crate::environments::model::{Environment, ServiceSpec};
use crate::image::ImageRef;
use crate::jobs::model::{Plan, PlanStep};
use crate::jobs::runner::{StepContext, StepError, StepOutcome};
use crate::jobs::store::LogLevel;
use crate::jobs::{JobsError, JobsResult};

pub const REGISTER: &str = "ecs.register_revision";
pub const POINT: &str = "ecs.point_service";
pub const WAIT: &str = "ecs.wait_rollout";
pub const HEALTH: &str = "http.health_check";

const REGISTER_TIMEOUT_SECS: u32 = 120;
const POINT_TIMEOUT_SECS: u32 = 120;
/// How long a rollout may take before the job rolls back.
pub const ROLLOUT_TIMEOUT_SECS: u32 = 15 * 60;
/// The wait step's own timeout: the rollout's deadline and time to roll
/// back after it (the worker calls a step past this stuck: a hung step, not
/// a slow rollout).
const WAIT_STEP_TIMEOUT_SECS: u32 = ROLLOUT_TIMEOUT_SECS + 5 * 60;
const HEALTH_TIMEOUT_SECS: u32 = 120;
/// Probes of the health check; it passes at the first healthy answer.
pub const HEALTH_ATTEMPTS: u32 = 3;

/// What the deploy form submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRequest {
    pub service: String,
    pub image: ImageRef,
}

/// What the roll-back form submits: a task definition revision of the
/// service's family (`family:revision` or its ARN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackRequest {
    pub service: String,
    pub revision: String,
}

fn service_of<'a>(env: &'a Environment, name: &str) -> JobsResult<&'a ServiceSpec> {
    env.service(name).ok_or_else(|| {
        JobsError::Validation(format!("environment {} has no service {name:?}", env.name))
    })
}

async fn live_service(
    aws: &EnvClients,
    env: &Environment,
    service: &str,
) -> JobsResult<ecs_change::ServiceState> {
    ecs_change::service_state(&aws.ecs, &env.cluster, service)
        .await
        .map_err(JobsError::Aws)?
        .ok_or_else(|| {
            JobsError::Validation(format!(
                "service {service} does not exist in cluster {}: provision the environment first",
                env.cluster
            ))
        })
}

/// The plan for deploying `request.image` from the service's live state.
pub async fn plan(
    aws: &EnvClients,
    env: &Environment,
    request: &DeployRequest,
) -> JobsResult<Plan> {
    let spec = service_of(env, &request.service)?;
    let state = live_service(aws, env, &spec.name).await?;
    let current_image =
        ecs_change::container_image(&aws.ecs, &state.task_definition, &spec.container)
            .await
            .map_err(JobsError::Aws)?
            .ok_or_else(|| {
                JobsError::Validation(format!(
                    "task definition {} has no container {:?}: fix the service's container in the environment's settings",
                    state.task_definition, spec.container
                ))
            })?;
    let image = request.image.to_string();
    if current_image == image {
        return Err(JobsError::Validation(format!(
            "service {} already runs {image}: nothing to deploy",
            spec.name
        )));
    }
    let family = ecs_change::family_of(&state.task_definition).to_owned();
    let mut steps = vec![
        PlanStep {
            name: format!("Register a revision of {family} with {image}"),
            action: REGISTER.to_owned(),
            before: json!({
                "service": spec.name,
                "task_definition": state.task_definition,
                "container": spec.container,
                "image": current_image,
            }),
            after: json!({
                "service": spec.name,
                "family": family,
                "container": spec.container,
                "image": image,
            }),
            timeout_secs: Some(REGISTER_TIMEOUT_SECS),
        },
        point_step(
            &spec.name,
            &state.task_definition,
            json!({ "service": spec.name, "revision_of_step": 1, "image": image }),
        ),
    ];
    steps.extend(rollout_steps(spec, Some(&state.task_definition)));
    Ok(plan_of(steps))
}

/// The plan for rolling the service back to `request.revision`.
pub async fn plan_rollback(
    aws: &EnvClients,
    env: &Environment,
    request: &RollbackRequest,
) -> JobsResult<Plan> {
    let spec = service_of(env, &request.service)?;
    let state = live_service(aws, env, &spec.name).await?;
    let wanted = request.revision.trim();
    if wanted.is_empty() {
        return Err(JobsError::Validation(
            "name the revision to roll back to (family:revision)".into(),
        ));
    }
    let family = ecs_change::family_of(&state.task_definition);
    if ecs_change::family_of(wanted) != family {
        return Err(JobsError::Validation(format!(
            "{wanted} is not a revision of {family}, the family service {} runs",
            spec.name
        )));
    }
    let target = ecs_change::resolve_task_definition(&aws.ecs, wanted)
        .await
        .map_err(|e| match e.kind {
            crate::aws::AwsErrorKind::Throttled | crate::aws::AwsErrorKind::Unreachable => {
                JobsError::Aws(e)
            }
            _ => JobsError::Validation(format!(
                "task definition {wanted} cannot be read: {}",
                e.message
            )),
        })?;
    if target == state.task_definition {
        return Err(JobsError::Validation(format!(
            "service {} already runs {wanted}: nothing to roll back",
            spec.name
        )));
    }
    let image = ecs_change::container_image(&aws.ecs, &target, &spec.container)
        .await
        .map_err(JobsError::Aws)?
        .unwrap_or_default();
    let mut steps = vec![point_step(
        &spec.name,
        &state.task_definition,
        json!({ "service": spec.name, "task_definition": target, "image": image }),
    )];
    steps.extend(rollout_steps(spec, Some(&state.task_definition)));
    Ok(plan_of(steps))
}

fn point_step(service: &str, from: &str, after: Value) -> PlanStep {
    PlanStep {
        name: format!("Point service {service} at the new revision"),
        action: POINT.to_owned(),
        before: json!({ "service": service, "task_definition": from }),
        after,
        timeout_secs: Some(POINT_TIMEOUT_SECS),
    }
}

/// The wait and, when the service has a health URL, the health check; both
/// roll back to `previous` when they fail.
pub(super) fn rollout_steps(spec: &ServiceSpec, previous: Option<&str>) -> Vec<PlanStep> {
    let mut steps = vec![PlanStep {
        name: format!("Wait for the rollout of {}", spec.name),
        action: WAIT.to_owned(),
        before: json!({ "service": spec.name, "rollback_to": previous }),
        after: json!({ "service": spec.name, "rollout": "COMPLETED" }),
        timeout_secs: Some(WAIT_STEP_TIMEOUT_SECS),
    }];
    if let Some(url) = &spec.health_url {
        steps.push(PlanStep {
            name: format!("Check {} answers", url),
            action: HEALTH.to_owned(),
            before: json!({ "service": spec.name, "rollback_to": previous }),
            after: json!({ "service": spec.name, "url": url.to_string(), "healthy": true }),
            timeout_secs: Some(HEALTH_TIMEOUT_SECS),
        });
    }
    steps
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, StepError> {
    value[key]
        .as_str()
        .ok_or_else(|| StepError::Fatal(format!("malformed plan step: no {key} in {value}")))
}

fn step_tag(ctx: &StepContext, position: usize) -> String {
    format!("{}/{}", ctx.job_id(), position)
}

/// Performs `ecs.register_revision`.
pub async fn register(
    ctx: &StepContext,
    aws: &EnvClients,
    env: &Environment,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let service = text(&step.before, "service")?;
    let base = text(&step.before, "task_definition")?;
    let container = text(&step.before, "container")?;
    let image = text(&step.after, "image")?;
    let tag = step_tag(ctx, ctx.position);
    let family = ecs_change::family_of(base);
    if let Some(existing) = ecs_change::revision_tagged(&aws.ecs, family, &tag)
        .await
        .map_err(step_error)?
    {
        return Ok(StepOutcome::Done(Some(
            json!({ "task_definition": existing, "registered": false }),
        )));
    }
    let state = ecs_change::service_state(&aws.ecs, &env.cluster, service)
        .await
        .map_err(step_error)?
        .ok_or_else(|| StepError::Stale(format!("service {service} no longer exists")))?;
    if state.task_definition != base {
        return Err(StepError::Stale(format!(
            "service {service} runs {} now; the plan was made when it ran {base}",
            state.task_definition
        )));
    }
    let arn = ecs_change::ensure_revision(&aws.ecs, base, container, image, &tag)
        .await
        .map_err(step_error)?;
    let _ = ctx
        .log(LogLevel::Info, &format!("registered {arn} with {image}"))
        .await;
    Ok(StepOutcome::Done(Some(
        json!({ "task_definition": arn, "registered": true }),
    )))
}

/// The revision a point step aims at: named in the plan, or the one an
/// earlier step of this job registered (found by its tag).
async fn target_of(
    ctx: &StepContext,
    aws: &EnvClients,
    step: &PlanStep,
) -> Result<String, StepError> {
    if let Some(arn) = step.after["task_definition"].as_str() {
        return Ok(arn.to_owned());
    }
    let from_step = step.after["revision_of_step"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| StepError::Fatal(format!("malformed plan step: {}", step.after)))?;
    // Provisioning names the family (the service may not exist yet); a
    // deploy's family is the one the service ran.
    let family = match step.after["family"].as_str() {
        Some(family) => family,
        None => ecs_change::family_of(text(&step.before, "task_definition")?),
    };
    let tag = step_tag(ctx, from_step - 1);
    ecs_change::revision_tagged(&aws.ecs, family, &tag)
        .await
        .map_err(step_error)?
        .ok_or_else(|| {
            StepError::Fatal(format!(
                "the revision step {from_step} registered (tag {tag}) no longer exists"
            ))
        })
}

/// Performs `ecs.point_service`.
pub async fn point(
    ctx: &StepContext,
    aws: &EnvClients,
    env: &Environment,
    step: &PlanStep,
) -> Result<StepOutcome, StepError> {
    let service = text(&step.before, "service")?;
    let from = text(&step.before, "task_definition")?;
    let target = target_of(ctx, aws, step).await?;
    let state = ecs_change::service_state(&aws.ecs, &env.cluster, service)
        .await
        .map_err(step_error)?
        .ok_or_else(|| StepError::Stale(format!("service {service} no longer exists")))?;
    if state.task_definition == target {
        return Ok(StepOutcome::Done(Some(
            json!({ "task_definition": target, "sent": false }),
        )));
    }
    if state.task_definition != from {
        return Err(StepError::Stale(format!(
            "service {service} runs {} now; the plan was made when it ran {from}",
            state.task_definition
        )));
    }
    let sent = ecs_change::ensure_task_definition(&aws.ecs, &env.cluster, service, &target)
        .await
        .map_err(step_error)?;
    let _ = ctx
        .log(
            LogLevel::Info,
            &format!("service {service} now asks for {target}"),
        )
        .await;
    Ok(StepOutcome::Done(Some(json!({
        "task_definition": target,
        "sent": sent == WriteOutcome::Written,
    }))))
}

/// What a rollout looks like now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    InProgress { running: i32, desired: i32 },
    Completed,
    Failed(String),
}

/// Judges the service's state against the revision the job pointed it at.
pub fn judge(state: &ecs_change::ServiceState, target: &str) -> Rollout {
    if state.task_definition != target {
        return Rollout::Failed(format!(
            "ECS runs {} instead (its circuit breaker rolled back?)",
            state.task_definition
        ));
    }
    match state.rollout.as_deref() {
        Some("FAILED") => Rollout::Failed(
            state
                .rollout_reason
                .clone()
                .unwrap_or_else(|| "ECS reports the rollout failed".to_owned()),
        ),
        Some("COMPLETED") => Rollout::Completed,
        None if state.running >= state.desired => Rollout::Completed,
        _ => Rollout::InProgress {
            running: state.running,
            desired: state.desired,
        },
    }
}

/// The revision the job's point step aims at (for the wait and the health
/// check, which come after it).
async fn pointed_at(ctx: &StepContext, aws: &EnvClients) -> Result<String, StepError> {
    let point = ctx
        .job
        .plan
        .steps
        .iter()
        .find(|s| s.action == POINT || s.action == super::provision::ENSURE_SERVICE)
        .ok_or_else(|| StepError::Fatal("the plan has no point step".into()))?;
    target_of(ctx, aws, point).await
}

/// Points the service back at `step.before.rollback_to` and ends the job as
/// rolled back with `reason`.
async fn roll_back(
    ctx: &StepContext,
    aws: &EnvClients,
    env: &Environment,
    step: &PlanStep,
    reason: String,
) -> Result<StepOutcome, StepError> {
    let service = text(&step.before, "service")?;
    let Some(previous) = step.before["rollback_to"].as_str() else {
        // A service provisioned by this job has nothing to go back to; ECS's
        // circuit breaker stops the failing rollout.
        return Err(StepError::Fatal(reason));
    };
    let _ = ctx
        .log(
            LogLevel::Warn,
            &format!("{reason}: rolling {service} back to {previous}"),
        )
        .await;
    ecs_change::ensure_task_definition(&aws.ecs, &env.cluster, service, previous)
        .await
        .map_err(step_error)?;
    Ok(StepOutcome::RolledBack {
        reason: format!("{reason}; {service} was rolled back to {previous}"),
    })
}

/// Performs `ecs.wait_rollout`: polls ECS every `poll` until the rollout
/// completes (done), fails (rolled back), runs past `deadline` (a rollout
/// that did not converge is a failed one: rolled back), or the job is
/// cancelled. While ECS cannot be read (timeouts, throttling, 5xx, access
/// denied) the job says so, with since when, how often and until when it
/// keeps trying ([`StepContext::fault`]); it keeps watching until the
/// deadline and clears the fault when ECS answers again.
pub async fn wait(
    ctx: &StepContext,
    aws: &EnvClients,
    env: &Environment,
    step: &PlanStep,
    watch: &dyn RolloutWatch,
    poll: Duration,
    deadline: Duration,
) -> Result<StepOutcome, StepError> {
    let service = text(&step.before, "service")?;
    let target = pointed_at(ctx, aws).await?;
    let started = tokio::time::Instant::now();
    let until = ctx.now() + chrono::Duration::from_std(deadline).unwrap_or_default();
    let mut last = None;
    // (first failure, failures so far) while ECS cannot be read.
    let mut failing: Option<(chrono::DateTime<chrono::Utc>, u32)> = None;
    loop {
        match watch.observe(aws, env, service).await {
            Ok(state) => {
                if failing.take().is_some() {
                    let _ = ctx.fault(None).await;
                }
                match judge(&state, &target) {
                    Rollout::Completed => {
                        return Ok(StepOutcome::Done(Some(
                            json!({ "running": state.running, "desired": state.desired }),
                        )))
                    }
                    Rollout::Failed(reason) => {
                        return roll_back(
                            ctx,
                            aws,
                            env,
                            step,
                            format!("the rollout failed: {reason}"),
                        )
                        .await
                    }
                    progress @ Rollout::InProgress { running, desired } => {
                        if last.as_ref() != Some(&progress) {
                            let _ = ctx
                                .log(
                                    LogLevel::Info,
                                    &format!(
                                        "rollout in progress: {running} of {desired} task(s) running"
                                    ),
                                )
                                .await;
                            last = Some(progress);
                        }
                    }
                }
            }
            Err(StepError::Retryable(error)) | Err(StepError::Fatal(error)) => {
                let (since, count) = failing.get_or_insert((ctx.now(), 0));
                *count += 1;
                let fault = format!(
                    "ECS cannot be read since {} ({count} failed read(s)): {error}; the rollout is watched until {}",
                    since.format("%H:%M:%S UTC"),
                    until.format("%H:%M:%S UTC"),
                );
                let _ = ctx.fault(Some(&fault)).await;
            }
            Err(other) => return Err(other),
        }
        if started.elapsed() >= deadline {
            let state = match &last {
                Some(Rollout::InProgress { running, desired }) => {
                    format!("{running} of {desired} task(s) running")
                }
                _ if failing.is_some() => "ECS could not be read".to_owned(),
                _ => "no progress seen".to_owned(),
            };
            return roll_back(
                ctx,
                aws,
                env,
                step,
                format!(
                    "the rollout did not converge within {} s ({state})",
                    deadline.as_secs()
                ),
            )
            .await;
        }
        tokio::select! {
            () = ctx.cancelled() => return Err(StepError::Cancelled),
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// Performs `http.health_check`: up to [`HEALTH_ATTEMPTS`] probes, `pause`
/// apart; rolls back when none is healthy.
pub async fn health_check(
    ctx: &StepContext,
    aws: &EnvClients,
    env: &Environment,
    step: &PlanStep,
    http: &reqwest::Client,
    pause: Duration,
) -> Result<StepOutcome, StepError> {
    let url = text(&step.after, "url")?;
    let mut last = String::new();
    for attempt in 1..=HEALTH_ATTEMPTS {
        let observed = crate::health::source::probe(http, url).await;
        match observed.outcome {
            crate::health::model::ProbeOutcome::Ok {
                status_code,
                latency_ms,
            } => {
                return Ok(StepOutcome::Done(Some(json!({
                    "status_code": status_code,
                    "latency_ms": latency_ms,
                    "attempt": attempt,
                }))))
            }
            other => {
                last = describe_probe(&other);
                let _ = ctx
                    .log(
                        LogLevel::Warn,
                        &format!("health check {attempt} of {HEALTH_ATTEMPTS}: {url} {last}"),
                    )
                    .await;
            }
        }
        if attempt < HEALTH_ATTEMPTS {
            tokio::select! {
                () = ctx.cancelled() => return Err(StepError::Cancelled),
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
    roll_back(
        ctx,
        aws,
        env,
        step,
        format!("the health check failed: {url} {last}"),
    )
    .await
}

fn describe_probe(outcome: &crate::health::model::ProbeOutcome) -> String {
    use crate::health::model::ProbeOutcome;
    match outcome {
        ProbeOutcome::Ok { status_code, .. } => format!("answered {status_code}"),
        ProbeOutcome::HttpError { status_code } => format!("answered {status_code}"),
        ProbeOutcome::Timeout => "did not answer in time".to_owned(),
        ProbeOutcome::ConnectionFailed { message } => format!("could not be reached: {message}"),
    }
}

/// How a rollout is observed: ECS itself ([`EcsRollout`]) in production. A
/// test double stands in where moto cannot make a rollout fail.
pub trait RolloutWatch: Send + Sync + std::fmt::Debug + 'static {
    fn observe<'a>(
        &'a self,
        aws: &'a EnvClients,
        env: &'a Environment,
        service: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<ecs_change::ServiceState, StepError>>;
}

/// Reads the rollout from ECS (DescribeServices).
#[derive(Debug, Clone, Copy, Default)]
pub struct EcsRollout;

impl RolloutWatch for EcsRollout {
    fn observe<'a>(
        &'a self,
        aws: &'a EnvClients,
        env: &'a Environment,
        service: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<ecs_change::ServiceState, StepError>> {
        Box::pin(async move {
            ecs_change::service_state(&aws.ecs, &env.cluster, service)
                .await
                .map_err(step_error)?
                .ok_or_else(|| StepError::Fatal(format!("service {service} no longer exists")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(
        td: &str,
        rollout: Option<&str>,
        running: i32,
        desired: i32,
    ) -> ecs_change::ServiceState {
        ecs_change::ServiceState {
            desired,
            running,
            task_definition: td.to_owned(),
            status: "ACTIVE".to_owned(),
            rollout: rollout.map(str::to_owned),
            rollout_reason: rollout
                .filter(|r| *r == "FAILED")
                .map(|_| "tasks failed to start".to_owned()),
        }
    }

    #[test]
    fn rollouts_are_judged_against_the_target_revision() {
        let t = "app:2";
        assert_eq!(
            judge(&state(t, Some("COMPLETED"), 1, 1), t),
            Rollout::Completed
        );
        assert_eq!(judge(&state(t, None, 2, 2), t), Rollout::Completed);
        assert_eq!(
            judge(&state(t, Some("IN_PROGRESS"), 0, 2), t),
            Rollout::InProgress {
                running: 0,
                desired: 2
            }
        );
        assert_eq!(
            judge(&state(t, None, 1, 2), t),
            Rollout::InProgress {
                running: 1,
                desired: 2
            }
        );
        assert_eq!(
            judge(&state(t, Some("FAILED"), 0, 2), t),
            Rollout::Failed("tasks failed to start".into())
        );
        assert!(matches!(
            judge(&state("app:1", Some("COMPLETED"), 2, 2), t),
            Rollout::Failed(reason) if reason.contains("app:1")
        ));
    }
}
