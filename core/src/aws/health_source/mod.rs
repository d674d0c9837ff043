//! [`AwsHealthSource`]: one environment read from ECS, ELBv2, CloudWatch, RDS
//! and SSM, every read bounded by the poll's deadline.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::time::Instant;

mod cache;

use self::cache::{OnceCache, CACHE_LIMIT};
use super::cloudwatch::{self, AlarmScope};
use super::ecs::{self, ServiceReading, TaskDefinitionInfo};
use super::{elbv2, rds, ssm, AwsClients, AwsError, AwsErrorKind, EnvClients};
use crate::environments::model::{Environment, ServiceSpec};
use crate::error::{CoreError, CoreResult};
use crate::health::model::{Source, TargetHealthObservation};
use crate::health::snapshot::EnvironmentSnapshot;
use crate::health::source::{
    assemble, probe, HealthSource, Observed, ObservedService, PARAMETERS_SOURCE,
};

/// Reads each environment from AWS (ECS, ELBv2, CloudWatch, RDS, SSM) and
/// probes the services' health URLs.
///
/// Calls per environment and poll, for S services (each with one target
/// group) on one cluster, a database, up to 100 alarms in the region and up
/// to 10 parameters: ⌈S/10⌉ DescribeServices + S DescribeTargetHealth + 1
/// DescribeAlarms + 1 DescribeDBInstances + 1 GetParametersByPath; the first
/// poll adds one DescribeTaskDefinition per task definition and one
/// DescribeTargetGroups per target group (cached afterwards: task
/// definitions are immutable, target groups' load balancers change only with
/// the infrastructure). Independent reads run concurrently; everything of one
/// environment ends within twice the operation timeout.
#[derive(Debug)]
pub struct AwsHealthSource {
    clients: AwsClients,
    http: reqwest::Client,
    deadline: Duration,
    /// By task definition ARN.
    task_definitions: OnceCache<String, TaskDefinitionInfo>,
    /// Load balancer ARNs by target group ARN.
    load_balancers: OnceCache<String, Vec<String>>,
    /// Target group ARNs by (region, cluster, service) from the last good ECS
    /// read, so target health is still read when ECS is not.
    service_targets: Mutex<HashMap<(String, String, String), Vec<String>>>,
}

impl AwsHealthSource {
    /// Uses `clients` for AWS, and an HTTP client with the same connect and
    /// operation timeouts for the probes (redirects are not followed: a 3xx
    /// answer counts as up).
    pub fn new(clients: AwsClients) -> CoreResult<Self> {
        let settings = clients.settings();
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.operation_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gantry-health-probe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                CoreError::Invalid(format!("cannot build the health probe's HTTP client: {e}"))
            })?;
        let deadline = settings.operation_timeout.saturating_mul(2);
        Ok(Self {
            clients,
            http,
            deadline,
            task_definitions: OnceCache::default(),
            load_balancers: OnceCache::default(),
            service_targets: Mutex::default(),
        })
    }

    async fn observe_aws(&self, env: &Environment) -> Observed {
        let deadline = Instant::now() + self.deadline;
        let clients = self.clients.for_environment(env).await;
        let (services, alarms, database, parameters, probes) = tokio::join!(
            self.read_services(&clients, env, deadline),
            within(deadline, cloudwatch::describe_alarms(&clients.cloudwatch)),
            async {
                match &env.database {
                    Some(id) => {
                        Some(within(deadline, rds::describe_instance(&clients.rds, id)).await)
                    }
                    None => None,
                }
            },
            within(
                deadline,
                ssm::parameters_under(&clients.ssm, env.ssm_prefix.as_str())
            ),
            futures::future::join_all(env.services.iter().map(|s| async {
                match &s.health_url {
                    Some(url) => Some(probe(&self.http, url.as_str()).await),
                    None => None,
                }
            })),
        );
        if let Err(err) = &alarms {
            // The snapshot keeps the error; the poller logs the status change.
            tracing::debug!(environment = %env.name, error = %err, "CloudWatch alarms not read");
        }
        let services = env
            .services
            .iter()
            .zip(services)
            .zip(probes)
            .map(|((spec, parts), probe)| {
                let scope = AlarmScope {
                    cluster: &env.cluster,
                    service: &spec.name,
                    load_balancers: parts
                        .load_balancer_arns
                        .iter()
                        .filter_map(|arn| elbv2::load_balancer_dimension(arn))
                        .collect(),
                    target_groups: parts
                        .target_group_arns
                        .iter()
                        .filter_map(|arn| elbv2::target_group_dimension(arn))
                        .collect(),
                };
                let alarms = match &alarms {
                    Ok(all) => Some(scope.select(all))
                        .filter(|picked| !picked.is_empty())
                        .map(Ok),
                    Err(err) => Some(Err(err.clone().into_source_error(Source::Cloudwatch))),
                };
                ObservedService {
                    name: spec.name.clone(),
                    alarms,
                    probe,
                    ..parts.observed
                }
            })
            .collect();
        Observed {
            services,
            database: database.map(|r| r.map_err(|e| e.into_source_error(Source::Rds))),
            parameters: parameters.map_err(|e| e.into_source_error(PARAMETERS_SOURCE)),
        }
    }

    /// DescribeServices, then per service (concurrently) its task definition
    /// and target health. In the environment's order of services.
    async fn read_services(
        &self,
        clients: &EnvClients,
        env: &Environment,
        deadline: Instant,
    ) -> Vec<ServiceParts> {
        let names: Vec<String> = env.services.iter().map(|s| s.name.clone()).collect();
        let mut readings = match within(
            deadline,
            ecs::describe_services(&clients.ecs, &env.cluster, &names),
        )
        .await
        {
            Ok(readings) => readings,
            Err(err) => {
                tracing::debug!(environment = %env.name, error = %err, "ECS services not read");
                names
                    .iter()
                    .map(|n| (n.clone(), Err(err.clone())))
                    .collect()
            }
        };
        let parts = env.services.iter().map(|spec| {
            let reading = readings.remove(&spec.name).unwrap_or_else(|| {
                Err(AwsError::invalid(
                    "DescribeServices did not mention the service",
                ))
            });
            self.service_parts(clients, env, spec, reading, deadline)
        });
        futures::future::join_all(parts).await
    }

    async fn service_parts(
        &self,
        clients: &EnvClients,
        env: &Environment,
        spec: &ServiceSpec,
        reading: Result<ServiceReading, AwsError>,
        deadline: Instant,
    ) -> ServiceParts {
        let key = (
            env.region.to_string(),
            env.cluster.clone(),
            spec.name.clone(),
        );
        let target_group_arns = match &reading {
            Ok(r) if r.observation.found => {
                let mut known = self
                    .service_targets
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if known.len() >= CACHE_LIMIT {
                    known.clear();
                }
                known.insert(key, r.target_group_arns.clone());
                r.target_group_arns.clone()
            }
            Ok(_) => Vec::new(),
            Err(_) => self
                .service_targets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .cloned()
                .unwrap_or_default(),
        };
        let primary_td = reading
            .as_ref()
            .ok()
            .and_then(|r| r.primary())
            .map(|p| p.task_definition.clone())
            .filter(|td| !td.is_empty());

        let task_definition = async {
            let arn = primary_td.as_deref()?;
            let read = self
                .task_definitions
                .get_or_try_init(arn.to_owned(), || {
                    within(deadline, ecs::describe_task_definition(&clients.ecs, arn))
                })
                .await;
            match read {
                Ok(info) => Some(info),
                Err(err) => {
                    tracing::warn!(environment = %env.name, service = %spec.name, task_definition = arn, error = %err, "task definition not read");
                    None
                }
            }
        };
        let targets = async {
            if target_group_arns.is_empty() {
                return (None, Vec::new());
            }
            let reads = target_group_arns.iter().map(|arn| async move {
                let (health, lbs) = tokio::join!(
                    within(deadline, elbv2::target_health(&clients.elbv2, arn)),
                    self.load_balancers.get_or_try_init(arn.clone(), || {
                        within(deadline, elbv2::load_balancers_of(&clients.elbv2, arn))
                    }),
                );
                (health, lbs)
            });
            let mut total = TargetHealthObservation::default();
            let mut error = None;
            let mut load_balancers = Vec::new();
            for (health, lbs) in futures::future::join_all(reads).await {
                match health {
                    Ok(h) => merge_targets(&mut total, h),
                    Err(err) => error = Some(err),
                }
                match lbs {
                    Ok(arns) => load_balancers.extend(arns),
                    Err(err) => {
                        tracing::warn!(environment = %env.name, service = %spec.name, error = %err, "target group's load balancers not read; alarms on them are not matched")
                    }
                }
            }
            let targets = match error {
                Some(err) => Err(err.into_source_error(Source::Elbv2)),
                None => Ok(total),
            };
            (Some(targets), load_balancers)
        };
        let (task_definition, (targets, load_balancer_arns)) =
            tokio::join!(task_definition, targets);

        let (ecs, image, family_revision, last_deploy_at) = match reading {
            Ok(r) => {
                let primary = r.primary().cloned();
                let family_revision = match (&task_definition, &primary) {
                    (Some(info), _) => Some(info.family_revision.clone()),
                    (None, Some(p)) if !p.task_definition.is_empty() => {
                        Some(ecs::family_revision_of(&p.task_definition).to_owned())
                    }
                    _ => None,
                };
                let image = task_definition
                    .as_ref()
                    .and_then(|info| info.image_of(&spec.container))
                    .map(str::to_owned);
                (
                    Ok(r.observation),
                    image,
                    family_revision,
                    primary.and_then(|p| p.created_at),
                )
            }
            Err(err) => (Err(err.into_source_error(Source::Ecs)), None, None, None),
        };
        ServiceParts {
            observed: ObservedService {
                name: spec.name.clone(),
                ecs,
                targets,
                alarms: None,
                probe: None,
                image,
                task_definition: family_revision,
                last_deploy_at,
            },
            target_group_arns,
            load_balancer_arns,
        }
    }
}

impl HealthSource for AwsHealthSource {
    fn observe<'a>(
        &'a self,
        env: &'a Environment,
        previous: Option<&'a EnvironmentSnapshot>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, EnvironmentSnapshot> {
        Box::pin(async move {
            let observed = self.observe_aws(env).await;
            assemble(env, observed, previous, now)
        })
    }
}

/// One service's reads before the alarms are matched to it.
struct ServiceParts {
    observed: ObservedService,
    target_group_arns: Vec<String>,
    load_balancer_arns: Vec<String>,
}

fn merge_targets(total: &mut TargetHealthObservation, more: TargetHealthObservation) {
    total.healthy += more.healthy;
    total.unhealthy += more.unhealthy;
    total.initial += more.initial;
    total.draining += more.draining;
    total.unused += more.unused;
    total.unavailable += more.unavailable;
    total.issues.extend(more.issues);
}

/// `read`, or an Unreachable error once `deadline` passes.
async fn within<T>(
    deadline: Instant,
    read: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    match tokio::time::timeout_at(deadline, read).await {
        Ok(result) => result,
        Err(_) => Err(AwsError::new(
            AwsErrorKind::Unreachable,
            "no answer before the poll's deadline",
        )),
    }
}
