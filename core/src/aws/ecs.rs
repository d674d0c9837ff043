//! ECS reads: services (DescribeServices) and task definitions
//! (DescribeTaskDefinition).

use std::collections::HashMap;

use aws_sdk_ecs::types::{Deployment, Service};

use super::{count, to_chrono, AwsError, AwsErrorKind};
use crate::health::model::{
    DeploymentObservation, DeploymentStatus, EcsEvent, EcsServiceObservation, EcsServiceStatus,
    RolloutState,
};

/// DescribeServices takes at most this many services per call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;
/// Newest ECS events kept per service.
pub const MAX_EVENTS: usize = 10;

/// One service as DescribeServices described it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceReading {
    pub observation: EcsServiceObservation,
    /// The target groups of the service's `loadBalancers`.
    pub target_group_arns: Vec<String>,
}

impl ServiceReading {
    fn missing() -> Self {
        Self::default()
    }

    /// The PRIMARY deployment (the newest), if any.
    pub fn primary(&self) -> Option<&DeploymentObservation> {
        self.observation
            .deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }
}

/// `names` in `cluster`, in as few calls as allowed (batches of
/// [`DESCRIBE_SERVICES_BATCH`], concurrently). A service ECS lists as MISSING
/// (or does not mention) is `found: false`; another per-service failure is an
/// error for that service alone. A missing cluster fails the whole read with
/// a NotFound error naming it.
pub async fn describe_services(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    names: &[String],
) -> Result<HashMap<String, Result<ServiceReading, AwsError>>, AwsError> {
    let batches = names
        .chunks(DESCRIBE_SERVICES_BATCH)
        .map(|batch| async move {
            client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    let mut err = AwsError::from(e);
                    if err.code.as_deref() == Some("ClusterNotFoundException") {
                        err.message = format!("cluster {cluster} not found");
                    }
                    err
                })
        });
    let outputs = futures::future::try_join_all(batches).await?;
    let mut readings = HashMap::new();
    for output in &outputs {
        for service in output.services() {
            if let Some(name) = service.service_name() {
                readings.insert(name.to_owned(), read_service(service));
            }
        }
        for failure in output.failures() {
            let Some(name) = failure.arn().and_then(|arn| arn.rsplit('/').next()) else {
                continue;
            };
            let reason = failure.reason().unwrap_or_default();
            let reading = if reason.eq_ignore_ascii_case("MISSING") {
                Ok(ServiceReading::missing())
            } else {
                let detail = failure
                    .detail()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                Err(AwsError::new(
                    AwsErrorKind::Other,
                    format!("ECS could not describe service {name}: {reason}{detail}"),
                ))
            };
            readings.entry(name.to_owned()).or_insert(reading);
        }
    }
    for name in names {
        readings
            .entry(name.clone())
            .or_insert_with(|| Ok(ServiceReading::missing()));
    }
    Ok(readings)
}

fn read_service(service: &Service) -> Result<ServiceReading, AwsError> {
    let status = match service.status() {
        None => EcsServiceStatus::Active,
        Some(raw) => EcsServiceStatus::parse(raw)
            .ok_or_else(|| AwsError::invalid(format!("unknown ECS service status {raw:?}")))?,
    };
    let deployments = service
        .deployments()
        .iter()
        .map(read_deployment)
        .collect::<Result<Vec<_>, _>>()?;
    let circuit_breaker_triggered = deployments.iter().any(|d| {
        d.rollout_state == Some(RolloutState::Failed)
            && d.rollout_state_reason
                .as_deref()
                .is_some_and(|r| r.to_ascii_lowercase().contains("circuit breaker"))
    });
    // ECS lists events newest first.
    let recent_events = service
        .events()
        .iter()
        .filter_map(|e| {
            Some(EcsEvent {
                at: to_chrono(e.created_at()?)?,
                message: e.message()?.to_owned(),
            })
        })
        .take(MAX_EVENTS)
        .collect();
    Ok(ServiceReading {
        observation: EcsServiceObservation {
            found: true,
            status,
            desired: count(service.desired_count()),
            running: count(service.running_count()),
            pending: count(service.pending_count()),
            deployments,
            circuit_breaker_triggered,
            recent_events,
        },
        target_group_arns: service
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn().map(str::to_owned))
            .collect(),
    })
}

fn read_deployment(d: &Deployment) -> Result<DeploymentObservation, AwsError> {
    let status = match d.status() {
        None => DeploymentStatus::Primary,
        Some(raw) => DeploymentStatus::parse(raw)
            .ok_or_else(|| AwsError::invalid(format!("unknown ECS deployment status {raw:?}")))?,
    };
    let rollout_state = match d.rollout_state() {
        None => None,
        Some(state) => Some(RolloutState::parse(state.as_str()).ok_or_else(|| {
            AwsError::invalid(format!("unknown ECS rollout state {:?}", state.as_str()))
        })?),
    };
    Ok(DeploymentObservation {
        id: d.id().unwrap_or_default().to_owned(),
        status,
        rollout_state,
        rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
        desired: count(d.desired_count()),
        running: count(d.running_count()),
        pending: count(d.pending_count()),
        failed_tasks: count(d.failed_tasks()),
        task_definition: d.task_definition().unwrap_or_default().to_owned(),
        created_at: d.created_at().and_then(to_chrono),
    })
}

/// What Gantry needs of a task definition. Task definitions are immutable, so
/// this is read once per ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDefinitionInfo {
    /// `family:revision`: "backend-booking:2".
    pub family_revision: String,
    /// (container name, image), in the task definition's order.
    pub images: Vec<(String, String)>,
}

impl TaskDefinitionInfo {
    /// The image of container `name`.
    pub fn image_of(&self, name: &str) -> Option<&str> {
        self.images
            .iter()
            .find(|(container, _)| container == name)
            .map(|(_, image)| image.as_str())
    }
}

pub async fn describe_task_definition(
    client: &aws_sdk_ecs::Client,
    arn: &str,
) -> Result<TaskDefinitionInfo, AwsError> {
    let output = client
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await?;
    let td = output
        .task_definition()
        .ok_or_else(|| AwsError::invalid("DescribeTaskDefinition returned no task definition"))?;
    let family_revision = match td.family() {
        Some(family) => format!("{family}:{}", td.revision()),
        None => family_revision_of(arn).to_owned(),
    };
    Ok(TaskDefinitionInfo {
        family_revision,
        images: td
            .container_definitions()
            .iter()
            .filter_map(|c| Some((c.name()?.to_owned(), c.image()?.to_owned())))
            .collect(),
    })
}

/// "backend-booking:2" from "arn:aws:ecs:…:task-definition/backend-booking:2"
/// (or the reference itself when it is not an ARN).
pub fn family_revision_of(task_definition: &str) -> &str {
    task_definition
        .rsplit_once(":task-definition/")
        .map_or(task_definition, |(_, tail)| tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_revision_from_arns() {
        assert_eq!(
            family_revision_of(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/backend-booking:2"
            ),
            "backend-booking:2"
        );
        assert_eq!(family_revision_of("api:7"), "api:7");
    }

    #[test]
    fn services_map_to_observations() {
        use aws_sdk_ecs::types::{DeploymentRolloutState, LoadBalancer, ServiceEvent};
        let at = |s: i64| aws_smithy_types::DateTime::from_secs(1_795_000_000 + s);
        let service = Service::builder()
            .service_name("api")
            .status("ACTIVE")
            .desired_count(3)
            .running_count(1)
            .pending_count(0)
            .load_balancers(
                LoadBalancer::builder()
                    .target_group_arn("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/bb/1")
                    .build(),
            )
            .deployments(
                Deployment::builder()
                    .id("ecs-svc/2")
                    .status("PRIMARY")
                    .task_definition("arn:aws:ecs:us-east-1:1:task-definition/api:7")
                    .desired_count(3)
                    .running_count(1)
                    .rollout_state(DeploymentRolloutState::InProgress)
                    .created_at(at(60))
                    .build(),
            )
            .deployments(
                Deployment::builder()
                    .id("ecs-svc/1")
                    .status("ACTIVE")
                    .task_definition("arn:aws:ecs:us-east-1:1:task-definition/api:8")
                    .desired_count(3)
                    .failed_tasks(3)
                    .rollout_state(DeploymentRolloutState::Failed)
                    .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.")
                    .build(),
            )
            .set_events(Some(
                (0..15)
                    .map(|i| {
                        ServiceEvent::builder()
                            .created_at(at(100 - i))
                            .message(format!("event {i}"))
                            .build()
                    })
                    .collect(),
            ))
            .build();
        let reading = read_service(&service).unwrap();
        let obs = &reading.observation;
        assert!(obs.found);
        assert_eq!((obs.desired, obs.running, obs.pending), (3, 1, 0));
        assert!(obs.circuit_breaker_triggered);
        assert_eq!(obs.recent_events.len(), MAX_EVENTS);
        assert_eq!(obs.recent_events[0].message, "event 0");
        assert_eq!(reading.primary().unwrap().revision(), "7");
        assert_eq!(reading.target_group_arns.len(), 1);

        let odd = Service::builder()
            .service_name("api")
            .status("PAUSED")
            .build();
        assert_eq!(read_service(&odd).unwrap_err().kind, AwsErrorKind::Invalid);
    }
}
