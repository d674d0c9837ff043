//! Observing one environment: the [`HealthSource`] the poller calls, the AWS
//! implementation ([`AwsHealthSource`]), the assembly of raw observations into
//! an [`EnvironmentSnapshot`] ([`assemble`]), and a scripted test double
//! ([`ScriptedHealthSource`]) for what the AWS stand-in cannot simulate.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::model::{
    AlarmObservation, Assessment, EcsServiceObservation, ProbeObservation, ProbeOutcome,
    RdsObservation, Source, SourceError, SourceErrorKind, TargetHealthObservation,
};
use super::rules;
use super::snapshot::{
    DatabaseSnapshot, EnvironmentSnapshot, ParameterInfo, ServiceSnapshot, Sourced,
};
use crate::aws::cloudwatch::{self, AlarmScope};
use crate::aws::ecs::{self, ServiceReading, TaskDefinitionInfo};
use crate::aws::{elbv2, rds, ssm, AwsClients, AwsError, AwsErrorKind, EnvClients};
use crate::environments::model::{Environment, ServiceSpec};
use crate::error::{CoreError, CoreResult};

/// Reads the health of one environment. The poller calls it once per
/// environment per poll; it never fails: a source that cannot be read becomes
/// an error in the snapshot, beside its last good reading from `previous`.
pub trait HealthSource: Send + Sync + 'static {
    fn observe<'a>(
        &'a self,
        env: &'a Environment,
        previous: Option<&'a EnvironmentSnapshot>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, EnvironmentSnapshot>;
}

/// What one poll read of an environment, source by source, before the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// In any order; [`assemble`] follows the environment's order of services
    /// (a service missing here is reported as not observed).
    pub services: Vec<ObservedService>,
    /// `None`: not read (the environment names no database).
    pub database: Option<Result<RdsObservation, SourceError>>,
    pub parameters: Result<Vec<ParameterInfo>, SourceError>,
}

/// What one poll read of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedService {
    pub name: String,
    pub ecs: Result<EcsServiceObservation, SourceError>,
    /// `None`: the service has no target group (or none is known).
    pub targets: Option<Result<TargetHealthObservation, SourceError>>,
    /// `None`: no alarm watches the service.
    pub alarms: Option<Result<Vec<AlarmObservation>, SourceError>>,
    /// `None`: the service has no health URL.
    pub probe: Option<ProbeObservation>,
    /// The app container's image in the primary deployment's task definition.
    pub image: Option<String>,
    /// The primary deployment's task definition, `family:revision`.
    pub task_definition: Option<String>,
    pub last_deploy_at: Option<DateTime<Utc>>,
}

impl ObservedService {
    /// A service with only its ECS reading.
    pub fn new(name: impl Into<String>, ecs: Result<EcsServiceObservation, SourceError>) -> Self {
        Self {
            name: name.into(),
            ecs,
            targets: None,
            alarms: None,
            probe: None,
            image: None,
            task_definition: None,
            last_deploy_at: None,
        }
    }
}

/// The snapshot of `env` from what was `observed` at `now`: each source's
/// reading (or its error beside the `previous` reading), each service's and
/// the database's health by the [`rules`], and the worst-of roll-up.
pub fn assemble(
    env: &Environment,
    observed: Observed,
    previous: Option<&EnvironmentSnapshot>,
    now: DateTime<Utc>,
) -> EnvironmentSnapshot {
    let mut by_name: HashMap<String, ObservedService> = observed
        .services
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let services: Vec<ServiceSnapshot> = env
        .services
        .iter()
        .map(|spec| {
            let prev = previous.and_then(|p| p.services.iter().find(|s| s.name == spec.name));
            let obs = by_name.remove(&spec.name).unwrap_or_else(|| {
                ObservedService::new(
                    spec.name.clone(),
                    Err(SourceError::new(
                        Source::Ecs,
                        SourceErrorKind::Other,
                        "not observed",
                    )),
                )
            });
            service_snapshot(obs, prev, now)
        })
        .collect();

    let database = env.database.as_ref().map(|identifier| {
        let prev = previous.and_then(|p| p.database.as_ref()).map(|d| &d.rds);
        let rds = match observed.database {
            Some(Ok(obs)) => Sourced::read(obs, now),
            Some(Err(err)) => Sourced::failed_after(err, prev),
            None => Sourced::failed_after(
                SourceError::new(Source::Rds, SourceErrorKind::Other, "not observed"),
                prev,
            ),
        };
        let health = with_current(&rds, Source::Rds, rules::assess_database);
        DatabaseSnapshot {
            identifier: identifier.clone(),
            health,
            rds,
        }
    });

    let parameters = match observed.parameters {
        Ok(list) => Sourced::read(list, now),
        Err(err) => Sourced::failed_after(err, previous.map(|p| &p.parameters)),
    };

    let overall = rules::roll_up(
        services
            .iter()
            .map(|s| (s.name.as_str(), &s.health.overall))
            .chain(database.iter().map(|d| ("database", &d.health))),
    );
    EnvironmentSnapshot {
        environment: env.name.to_string(),
        polled_at: now,
        overall,
        services,
        database,
        parameters,
    }
}

fn service_snapshot(
    obs: ObservedService,
    prev: Option<&ServiceSnapshot>,
    now: DateTime<Utc>,
) -> ServiceSnapshot {
    let ecs_failed = obs.ecs.is_err();
    let ecs = match obs.ecs {
        Ok(o) => Sourced::read(o, now),
        Err(err) => Sourced::failed_after(err, prev.map(|p| &p.ecs)),
    };
    let targets = match obs.targets {
        Some(Ok(o)) => Some(Sourced::read(o, now)),
        Some(Err(err)) => Some(Sourced::failed_after(
            err,
            prev.and_then(|p| p.targets.as_ref()),
        )),
        // Without ECS the target group is unknown: keep the last reading,
        // marked as not read this time.
        None if ecs_failed => prev.and_then(|p| p.targets.as_ref()).map(|t| {
            Sourced::failed_after(
                SourceError::new(
                    Source::Elbv2,
                    SourceErrorKind::Other,
                    "not read: the ECS service could not be read",
                ),
                Some(t),
            )
        }),
        None => None,
    };
    let alarms = match obs.alarms {
        Some(Ok(list)) => Some(Sourced::read(list, now)),
        Some(Err(err)) => Some(Sourced::failed_after(
            err,
            prev.and_then(|p| p.alarms.as_ref()),
        )),
        None => None,
    };
    let probe = obs.probe.map(|p| Sourced::read(p, now));

    let fallback_ecs = not_read(Source::Ecs);
    let fallback_targets = not_read(Source::Elbv2);
    let fallback_alarms = not_read(Source::Cloudwatch);
    let health = rules::assess_service(
        current(&ecs, &fallback_ecs),
        targets.as_ref().map(|t| current(t, &fallback_targets)),
        alarms
            .as_ref()
            .map(|a| current(a, &fallback_alarms).map(Vec::as_slice)),
        probe.as_ref().and_then(|p| p.data.as_ref()),
    );
    let (image, task_definition, last_deploy_at) = if ecs_failed {
        prev.map(|p| (p.image.clone(), p.task_definition.clone(), p.last_deploy_at))
            .unwrap_or_default()
    } else {
        (obs.image, obs.task_definition, obs.last_deploy_at)
    };
    ServiceSnapshot {
        name: obs.name,
        health,
        ecs,
        targets,
        alarms,
        probe,
        image,
        task_definition,
        last_deploy_at,
    }
}

fn not_read(source: Source) -> SourceError {
    SourceError::new(source, SourceErrorKind::Other, "not read")
}

/// The latest attempt's outcome: the error if it failed, else the data.
fn current<'a, T>(s: &'a Sourced<T>, fallback: &'a SourceError) -> Result<&'a T, &'a SourceError> {
    match (&s.error, &s.data) {
        (Some(err), _) => Err(err),
        (None, Some(data)) => Ok(data),
        (None, None) => Err(fallback),
    }
}

fn with_current<T>(
    s: &Sourced<T>,
    source: Source,
    assess: impl FnOnce(Result<&T, &SourceError>) -> Assessment,
) -> Assessment {
    let fallback = not_read(source);
    assess(current(s, &fallback))
}

// ---------------------------------------------------------------------------
// AWS
// ---------------------------------------------------------------------------

/// The [`Source`] named in an SSM read's error (parameters do not count
/// towards health; their read errors are shown beside the parameter list).
pub const PARAMETERS_SOURCE: Source = Source::Ssm;

/// Most entries a cache keeps before it starts over (task definitions pile up
/// with deploys; a restart clears them too).
const CACHE_LIMIT: usize = 1024;

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

/// GETs `url` once: a 2xx/3xx answer is up (with its latency), anything else
/// the code, a timeout or the connection's failure.
pub async fn probe(http: &reqwest::Client, url: &str) -> ProbeObservation {
    let started = std::time::Instant::now();
    let outcome = match http.get(url).send().await {
        Ok(response) => {
            let status_code = response.status().as_u16();
            if (200..400).contains(&status_code) {
                ProbeOutcome::Ok {
                    status_code,
                    latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                }
            } else {
                ProbeOutcome::HttpError { status_code }
            }
        }
        Err(err) if err.is_timeout() => ProbeOutcome::Timeout,
        Err(err) => ProbeOutcome::ConnectionFailed {
            message: innermost(&err),
        },
    };
    ProbeObservation {
        url: url.to_owned(),
        outcome,
    }
}

fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// A map of values computed once per key, concurrent callers sharing the one
/// computation; a failed computation is retried by the next caller.
#[derive(Debug)]
struct OnceCache<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for OnceCache<K, V> {
    fn default() -> Self {
        Self {
            cells: Mutex::default(),
        }
    }
}

impl<K: Eq + Hash, V: Clone> OnceCache<K, V> {
    async fn get_or_try_init<E, F, Fut>(&self, key: K, init: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            if cells.len() >= CACHE_LIMIT && !cells.contains_key(&key) {
                cells.clear();
            }
            Arc::clone(cells.entry(key).or_default())
        };
        cell.get_or_try_init(init).await.cloned()
    }
}

// ---------------------------------------------------------------------------
// Test double
