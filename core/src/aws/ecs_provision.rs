//! ECS changes for provisioning, each "ensure" like [`super::ecs_change`]:
//! the cluster, a task definition registered from a spec (tagged with the job
//! step; a re-run finds it by the tag), and the service created with a client
//! token or updated to the spec.
//!
//! [`TaskSpec`] is the task definition as a plan shows it: plain data with a
//! canonical JSON form, built from the template or read back from ECS
//! ([`TaskSpec::from_described`]) so the two compare field by field.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerCondition, ContainerDefinition,
    ContainerDependency, DeploymentCircuitBreaker, DeploymentConfiguration, KeyValuePair,
    LaunchType, LoadBalancer, LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode,
    PortMapping, Secret, Tag, TaskDefinition, TransportProtocol,
};
use serde::{Deserialize, Serialize};

use super::ecs_change::{self, STEP_TAG};
use super::{AwsError, WriteOutcome};

/// One container of a [`TaskSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub cpu: i32,
    pub memory: i32,
    pub port: Option<i32>,
    pub environment: BTreeMap<String, String>,
    /// Variable name → the SSM parameter ARN it is read from.
    pub secrets: BTreeMap<String, String>,
    /// Containers that must have started first.
    pub depends_on: Vec<String>,
    /// The awslogs options (group, region, stream prefix).
    pub logs: BTreeMap<String, String>,
}

/// A Fargate task definition, as provisioning registers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    pub family: String,
    pub cpu: String,
    pub memory: String,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub containers: Vec<ContainerSpec>,
}

impl TaskSpec {
    /// The spec of a task definition ECS returned (unknown fields ignored).
    pub fn from_described(td: &TaskDefinition) -> Self {
        let containers = td
            .container_definitions()
            .iter()
            .map(|c| ContainerSpec {
                name: c.name().unwrap_or_default().to_owned(),
                image: c.image().unwrap_or_default().to_owned(),
                cpu: c.cpu(),
                memory: c.memory().unwrap_or_default(),
                port: c.port_mappings().first().and_then(|p| p.container_port()),
                environment: c
                    .environment()
                    .iter()
                    .map(|kv| {
                        (
                            kv.name().unwrap_or_default().to_owned(),
                            kv.value().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
                secrets: c
                    .secrets()
                    .iter()
                    .map(|s| (s.name().to_owned(), s.value_from().to_owned()))
                    .collect(),
                depends_on: c
                    .depends_on()
                    .iter()
                    .map(|d| d.container_name().to_owned())
                    .collect(),
                logs: c
                    .log_configuration()
                    .and_then(|l| l.options())
                    .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            })
            .collect();
        TaskSpec {
            family: td.family().unwrap_or_default().to_owned(),
            cpu: td.cpu().unwrap_or_default().to_owned(),
            memory: td.memory().unwrap_or_default().to_owned(),
            execution_role_arn: td.execution_role_arn().map(str::to_owned),
            task_role_arn: td.task_role_arn().map(str::to_owned),
            containers,
        }
    }

    fn container_definitions(&self) -> Result<Vec<ContainerDefinition>, AwsError> {
        self.containers
            .iter()
            .map(|c| {
                let mut def = ContainerDefinition::builder()
                    .name(&c.name)
                    .image(&c.image)
                    .cpu(c.cpu)
                    .memory(c.memory)
                    .essential(true)
                    .set_environment(Some(
                        c.environment
                            .iter()
                            .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                            .collect(),
                    ));
                if let Some(port) = c.port {
                    def = def.port_mappings(
                        PortMapping::builder()
                            .container_port(port)
                            .protocol(TransportProtocol::Tcp)
                            .build(),
                    );
                }
                for (name, from) in &c.secrets {
                    def = def.secrets(
                        Secret::builder()
                            .name(name)
                            .value_from(from)
                            .build()
                            .map_err(|e| AwsError::invalid(format!("secret {name}: {e}")))?,
                    );
                }
                for first in &c.depends_on {
                    def = def.depends_on(
                        ContainerDependency::builder()
                            .container_name(first)
                            .condition(ContainerCondition::Start)
                            .build()
                            .map_err(|e| AwsError::invalid(format!("depends on {first}: {e}")))?,
                    );
                }
                if !c.logs.is_empty() {
                    def = def.log_configuration(
                        LogConfiguration::builder()
                            .log_driver(LogDriver::Awslogs)
                            .set_options(Some(c.logs.clone().into_iter().collect()))
                            .build()
                            .map_err(|e| AwsError::invalid(format!("log configuration: {e}")))?,
                    );
                }
                Ok(def.build())
            })
            .collect()
    }
}

/// Whether `cluster` exists (ACTIVE).
pub async fn cluster_exists(client: &aws_sdk_ecs::Client, cluster: &str) -> Result<bool, AwsError> {
    let output = client.describe_clusters().clusters(cluster).send().await?;
    Ok(output
        .clusters()
        .iter()
        .any(|c| c.status() == Some("ACTIVE")))
}

/// Creates `cluster` unless it exists (CreateCluster is idempotent in ECS;
/// the read first keeps a re-run from sending anything).
pub async fn ensure_cluster(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
) -> Result<WriteOutcome, AwsError> {
    if cluster_exists(client, cluster).await? {
        return Ok(WriteOutcome::Unchanged);
    }
    client
        .create_cluster()
        .cluster_name(cluster)
        .settings(
            aws_sdk_ecs::types::ClusterSetting::builder()
                .name(aws_sdk_ecs::types::ClusterSettingName::ContainerInsights)
                .value("enabled")
                .build(),
        )
        .send()
        .await?;
    Ok(WriteOutcome::Written)
}

/// The newest ACTIVE revision of `family` and its spec, if any.
pub async fn latest_revision(
    client: &aws_sdk_ecs::Client,
    family: &str,
) -> Result<Option<(String, TaskSpec)>, AwsError> {
    let Some(arn) = ecs_change::active_revisions(client, family)
        .await?
        .into_iter()
        .max_by_key(|arn| revision_number(arn))
    else {
        return Ok(None);
    };
    let output = client
        .describe_task_definition()
        .task_definition(&arn)
        .send()
        .await?;
    let td = output
        .task_definition()
        .ok_or_else(|| AwsError::invalid(format!("DescribeTaskDefinition {arn}: nothing")))?;
    Ok(Some((arn, TaskSpec::from_described(td))))
}

fn revision_number(arn: &str) -> u64 {
    arn.rsplit_once(':')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

/// Registers `spec` tagged `STEP_TAG = step_tag` and returns its ARN; when a
/// revision with that tag exists (the step ran before a crash) it is
/// returned and nothing is registered.
pub async fn ensure_registered(
    client: &aws_sdk_ecs::Client,
    spec: &TaskSpec,
    step_tag: &str,
) -> Result<(String, WriteOutcome), AwsError> {
    if let Some(existing) = ecs_change::revision_tagged(client, &spec.family, step_tag).await? {
        return Ok((existing, WriteOutcome::Unchanged));
    }
    let output = client
        .register_task_definition()
        .family(&spec.family)
        .cpu(&spec.cpu)
        .memory(&spec.memory)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .set_execution_role_arn(spec.execution_role_arn.clone())
        .set_task_role_arn(spec.task_role_arn.clone())
        .set_container_definitions(Some(spec.container_definitions()?))
        .tags(Tag::builder().key(STEP_TAG).value(step_tag).build())
        .send()
        .await?;
    let arn = output
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_owned)
        .ok_or_else(|| AwsError::invalid("RegisterTaskDefinition returned no ARN"))?;
    Ok((arn, WriteOutcome::Written))
}

/// A service as provisioning wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub cluster: String,
    pub service: String,
    pub desired: i32,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
    /// Target group ARN, the container and port it sends traffic to.
    pub target_group: Option<String>,
    pub container: String,
    pub port: i32,
}

fn circuit_breaker() -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(true)
                .build(),
        )
        .maximum_percent(200)
        .minimum_healthy_percent(100)
        .build()
}

/// Whether the service's deployment circuit breaker is on with rollback.
pub async fn has_circuit_breaker(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<bool, AwsError> {
    let output = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await?;
    Ok(output.services().first().is_some_and(|s| {
        s.deployment_configuration()
            .and_then(|d| d.deployment_circuit_breaker())
            .is_some_and(|b| b.enable() && b.rollback())
    }))
}

/// Makes the service run `task_definition` as `spec` says: CreateService
/// with `client_token` when it does not exist (ECS answers a repeated token
/// with the service it created, never a second one), else UpdateService for
/// the revision and the circuit breaker (an existing service keeps its
/// desired count). The circuit breaker is ensured afterwards either way:
/// some ECS implementations drop it on create.
pub async fn ensure_service(
    client: &aws_sdk_ecs::Client,
    spec: &ServiceSpec,
    task_definition: &str,
    client_token: &str,
) -> Result<WriteOutcome, AwsError> {
    let state = ecs_change::service_state(client, &spec.cluster, &spec.service).await?;
    let mut outcome = WriteOutcome::Unchanged;
    match state {
        None => {
            let network = AwsVpcConfiguration::builder()
                .set_subnets(Some(spec.subnets.clone()))
                .set_security_groups(Some(spec.security_groups.clone()))
                .assign_public_ip(if spec.assign_public_ip {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                })
                .build()
                .map_err(|e| AwsError::invalid(format!("network configuration: {e}")))?;
            let mut create = client
                .create_service()
                .cluster(&spec.cluster)
                .service_name(&spec.service)
                .task_definition(task_definition)
                .desired_count(spec.desired)
                .launch_type(LaunchType::Fargate)
                .client_token(client_token)
                .deployment_configuration(circuit_breaker())
                .network_configuration(
                    NetworkConfiguration::builder()
                        .awsvpc_configuration(network)
                        .build(),
                );
            if let Some(tg) = &spec.target_group {
                create = create.load_balancers(
                    LoadBalancer::builder()
                        .target_group_arn(tg)
                        .container_name(&spec.container)
                        .container_port(spec.port)
                        .build(),
                );
            }
            create.send().await?;
            outcome = WriteOutcome::Written;
        }
        Some(state) => {
            if state.task_definition != task_definition {
                client
                    .update_service()
                    .cluster(&spec.cluster)
                    .service(&spec.service)
                    .task_definition(task_definition)
                    .send()
                    .await?;
                outcome = WriteOutcome::Written;
            }
        }
    }
    if !has_circuit_breaker(client, &spec.cluster, &spec.service).await? {
        client
            .update_service()
            .cluster(&spec.cluster)
            .service(&spec.service)
            .deployment_configuration(circuit_breaker())
            .send()
            .await?;
        outcome = WriteOutcome::Written;
    }
    Ok(outcome)
}
