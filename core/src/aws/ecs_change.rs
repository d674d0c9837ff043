//! ECS changes for jobs, each with "ensure" semantics: it reads the real
//! state first and sends nothing when AWS already holds the wanted state, so
//! a step re-run after a crash applies nothing twice.
//!
//! - [`service_state`] is what a plan is made from and a step re-checks;
//! - [`ensure_desired_count`] scales;
//! - [`ensure_revision`] registers a task-definition revision with one
//!   container's image replaced, tagged with the job step that made it; a
//!   re-run finds that revision by its tag instead of registering another;
//! - [`ensure_task_definition`] points the service at a revision.

use aws_sdk_ecs::types::{Tag, TaskDefinition, TaskDefinitionField};

use super::{AwsError, AwsErrorKind, WriteOutcome};

/// The tag a job step puts on what it creates: `<job id>/<step index>`.
pub const STEP_TAG: &str = "gantry:job-step";
/// Revisions of a family searched for a step's tag (newest first).
const TAGGED_SEARCH_DEPTH: i32 = 20;

/// One service as a job needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub desired: i32,
    pub running: i32,
    /// The task definition ARN the service runs.
    pub task_definition: String,
    /// ACTIVE, DRAINING, INACTIVE.
    pub status: String,
    /// The PRIMARY deployment's rollout state (IN_PROGRESS, COMPLETED, FAILED).
    pub rollout: Option<String>,
    pub rollout_reason: Option<String>,
}

/// `service` in `cluster`, or `None` when ECS does not know it (or lists it
/// as INACTIVE: deleted).
pub async fn service_state(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<Option<ServiceState>, AwsError> {
    let output = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await?;
    let Some(found) = output.services().first() else {
        return Ok(None);
    };
    let status = found.status().unwrap_or_default().to_owned();
    if status == "INACTIVE" {
        return Ok(None);
    }
    let primary = found
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    Ok(Some(ServiceState {
        desired: found.desired_count(),
        running: found.running_count(),
        task_definition: found.task_definition().unwrap_or_default().to_owned(),
        status,
        rollout: primary.and_then(|d| d.rollout_state().map(|r| r.as_str().to_owned())),
        rollout_reason: primary.and_then(|d| d.rollout_state_reason().map(str::to_owned)),
    }))
}

fn missing(cluster: &str, service: &str) -> AwsError {
    AwsError::new(
        AwsErrorKind::NotFound,
        format!("service {service} not found in cluster {cluster}"),
    )
}

/// Sets the service's desired count to `count` unless it already is.
pub async fn ensure_desired_count(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    count: i32,
) -> Result<WriteOutcome, AwsError> {
    let state = service_state(client, cluster, service)
        .await?
        .ok_or_else(|| missing(cluster, service))?;
    if state.desired == count {
        return Ok(WriteOutcome::Unchanged);
    }
    client
        .update_service()
        .cluster(cluster)
        .service(service)
        .desired_count(count)
        .send()
        .await?;
    Ok(WriteOutcome::Written)
}

/// Points the service at `task_definition` unless it already runs it.
pub async fn ensure_task_definition(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    task_definition: &str,
) -> Result<WriteOutcome, AwsError> {
    let state = service_state(client, cluster, service)
        .await?
        .ok_or_else(|| missing(cluster, service))?;
    if state.task_definition == task_definition {
        return Ok(WriteOutcome::Unchanged);
    }
    client
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(task_definition)
        .send()
        .await?;
    Ok(WriteOutcome::Written)
}

/// A task definition with its tags.
async fn describe_tagged(
    client: &aws_sdk_ecs::Client,
    task_definition: &str,
) -> Result<(TaskDefinition, Vec<Tag>), AwsError> {
    let output = client
        .describe_task_definition()
        .task_definition(task_definition)
        .include(TaskDefinitionField::Tags)
        .send()
        .await?;
    let td = output.task_definition().cloned().ok_or_else(|| {
        AwsError::invalid(format!(
            "DescribeTaskDefinition {task_definition}: no task definition"
        ))
    })?;
    Ok((td, output.tags().to_vec()))
}

/// The image `container` runs in `task_definition`; `None` when the task
/// definition has no container of that name.
pub async fn container_image(
    client: &aws_sdk_ecs::Client,
    task_definition: &str,
    container: &str,
) -> Result<Option<String>, AwsError> {
    let (td, _) = describe_tagged(client, task_definition).await?;
    Ok(td
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(container))
        .map(|c| c.image().unwrap_or_default().to_owned()))
}

/// The CPU units and memory (MiB) `task_definition` asks for; `None` when
/// it states no task-level size (or one that is not a number).
pub async fn task_size(
    client: &aws_sdk_ecs::Client,
    task_definition: &str,
) -> Result<Option<(u32, u32)>, AwsError> {
    let (td, _) = describe_tagged(client, task_definition).await?;
    let number = |v: Option<&str>| v.and_then(|v| v.trim().parse::<u32>().ok());
    Ok(number(td.cpu()).zip(number(td.memory())))
}

/// The full ARN of `task_definition` (`family:revision` or an ARN), as ECS
/// knows it.
pub async fn resolve_task_definition(
    client: &aws_sdk_ecs::Client,
    task_definition: &str,
) -> Result<String, AwsError> {
    let (td, _) = describe_tagged(client, task_definition).await?;
    td.task_definition_arn()
        .map(str::to_owned)
        .ok_or_else(|| AwsError::invalid(format!("task definition {task_definition} has no ARN")))
}

/// The family of a task definition ARN or `family:revision`.
pub fn family_of(task_definition: &str) -> &str {
    let family_revision = super::ecs::family_revision_of(task_definition);
    family_revision
        .rsplit_once(':')
        .map_or(family_revision, |(family, _)| family)
}

/// The revision of `family` a step tagged `step_tag` registered, if any.
pub async fn revision_tagged(
    client: &aws_sdk_ecs::Client,
    family: &str,
    step_tag: &str,
) -> Result<Option<String>, AwsError> {
    let listed = client
        .list_task_definitions()
        .family_prefix(family)
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .max_results(TAGGED_SEARCH_DEPTH)
        .send()
        .await?;
    for arn in listed.task_definition_arns() {
        let (td, tags) = describe_tagged(client, arn).await?;
        if td.family() != Some(family) {
            continue;
        }
        if tags
            .iter()
            .any(|t| t.key() == Some(STEP_TAG) && t.value() == Some(step_tag))
        {
            return Ok(Some(arn.clone()));
        }
    }
    Ok(None)
}

/// A revision of `base`'s family identical to `base` but with `container`
/// running `image`, tagged `STEP_TAG = step_tag`; returns its ARN. When a
/// revision with that tag exists already (the step ran before a crash), it
/// is returned and nothing is registered.
pub async fn ensure_revision(
    client: &aws_sdk_ecs::Client,
    base: &str,
    container: &str,
    image: &str,
    step_tag: &str,
) -> Result<String, AwsError> {
    let (td, _) = describe_tagged(client, base).await?;
    let family = td
        .family()
        .ok_or_else(|| AwsError::invalid(format!("task definition {base} has no family")))?
        .to_owned();
    if let Some(existing) = revision_tagged(client, &family, step_tag).await? {
        return Ok(existing);
    }
    let mut containers = td.container_definitions().to_vec();
    let target = containers
        .iter_mut()
        .find(|c| c.name() == Some(container))
        .ok_or_else(|| {
            AwsError::invalid(format!(
                "task definition {base} has no container named {container:?}"
            ))
        })?;
    target.image = Some(image.to_owned());
    let output = client
        .register_task_definition()
        .family(&family)
        .set_container_definitions(Some(containers))
        .set_task_role_arn(td.task_role_arn().map(str::to_owned))
        .set_execution_role_arn(td.execution_role_arn().map(str::to_owned))
        .set_network_mode(td.network_mode().cloned())
        .set_volumes(Some(td.volumes().to_vec()))
        .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
        .set_cpu(td.cpu().map(str::to_owned))
        .set_memory(td.memory().map(str::to_owned))
        .set_runtime_platform(td.runtime_platform().cloned())
        .tags(Tag::builder().key(STEP_TAG).value(step_tag).build())
        .send()
        .await?;
    output
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_owned)
        .ok_or_else(|| AwsError::invalid("RegisterTaskDefinition returned no ARN"))
}

/// How many revisions `family` has (ACTIVE ones): how a test counts the
/// registrations a job made.
pub async fn revision_count(client: &aws_sdk_ecs::Client, family: &str) -> Result<usize, AwsError> {
    let mut pages = client
        .list_task_definitions()
        .family_prefix(family)
        .into_paginator()
        .send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        count += page?
            .task_definition_arns()
            .iter()
            .filter(|arn| {
                super::ecs::family_revision_of(arn)
                    .rsplit_once(':')
                    .is_some_and(|(f, _)| f == family)
            })
            .count();
    }
    Ok(count)
}

/// Deletes `service` (scaled to 0 first by the caller: ECS refuses a
/// service that still asks for tasks) unless ECS no longer has it.
pub async fn ensure_service_deleted(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<WriteOutcome, AwsError> {
    if service_state(client, cluster, service).await?.is_none() {
        return Ok(WriteOutcome::Unchanged);
    }
    client
        .delete_service()
        .cluster(cluster)
        .service(service)
        .send()
        .await?;
    Ok(WriteOutcome::Written)
}

/// The ACTIVE revisions of `family` (ARNs, oldest first).
pub async fn active_revisions(
    client: &aws_sdk_ecs::Client,
    family: &str,
) -> Result<Vec<String>, AwsError> {
    let mut pages = client
        .list_task_definitions()
        .family_prefix(family)
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        arns.extend(
            page?
                .task_definition_arns()
                .iter()
                .filter(|arn| family_of(arn) == family)
                .cloned(),
        );
    }
    Ok(arns)
}

/// Deregisters `task_definition` unless it is INACTIVE already.
pub async fn ensure_deregistered(
    client: &aws_sdk_ecs::Client,
    task_definition: &str,
) -> Result<WriteOutcome, AwsError> {
    let (td, _) = describe_tagged(client, task_definition).await?;
    if td.status().map(|s| s.as_str()) == Some("INACTIVE") {
        return Ok(WriteOutcome::Unchanged);
    }
    client
        .deregister_task_definition()
        .task_definition(task_definition)
        .send()
        .await?;
    Ok(WriteOutcome::Written)
}
