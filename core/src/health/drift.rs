//! Drift: where the roadmap and AWS disagree about a module in an environment.
//!
//! The roadmap says, per module and environment, whether it is deployed; the
//! latest health snapshot says what AWS shows. Only modules whose presence a
//! poll can see are compared ([`Evidence::for_module`]); for the others
//! (networking, CloudFront, WAF…) Gantry has no evidence and flags nothing.
//!
//! Pure: the pages pass in the roadmap's modules and the latest snapshot.

use serde::{Deserialize, Serialize};

use super::model::SourceErrorKind;
use super::snapshot::EnvironmentSnapshot;
use crate::roadmap::model::{Module, ModuleStatus};

/// What a poll can see of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// `modules/ecs-cluster/` and `modules/ecs-service/`: the ECS services.
    EcsServices,
    /// `modules/ecs-task-definition/`: a task definition behind a service.
    TaskDefinition,
    /// `modules/alb/`: a load balancer target group behind a service.
    LoadBalancer,
    /// `modules/rds/`: the environment's RDS instance.
    Database,
    /// "Parameter Store": parameters under the environment's SSM prefix.
    Parameters,
    /// `modules/monitoring/`: CloudWatch alarms on the services.
    Alarms,
}

impl Evidence {
    /// Which evidence speaks for `module`, by its Terraform path's last folder
    /// (`modules/ecs-service/` → `ecs-service`) or, without a path, its name.
    pub fn for_module(module: &Module) -> Option<Self> {
        let key = module
            .path
            .as_deref()
            .and_then(|p| p.trim_end_matches('/').rsplit('/').next())
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| module.name.to_ascii_lowercase());
        match key.as_str() {
            "ecs-cluster" | "ecs-service" => Some(Self::EcsServices),
            "ecs-task-definition" => Some(Self::TaskDefinition),
            "alb" => Some(Self::LoadBalancer),
            "rds" => Some(Self::Database),
            "parameter store" | "ssm" => Some(Self::Parameters),
            "monitoring" => Some(Self::Alarms),
            _ => None,
        }
    }

    /// What the snapshot shows: `Some(true)` present, `Some(false)` absent,
    /// `None` when the poll could not tell (a source failed or was never read).
    pub fn observe(self, snap: &EnvironmentSnapshot) -> Option<bool> {
        let services = &snap.services;
        // Found in ECS, per service; None when ECS could not be read. An ECS
        // not-found error (cluster missing) counts as absent.
        let found: Vec<Option<bool>> = services
            .iter()
            .map(|s| match (&s.ecs.data, &s.ecs.error) {
                (_, Some(e)) if e.kind == SourceErrorKind::NotFound => Some(false),
                (_, Some(_)) => None,
                (Some(obs), None) => Some(obs.found),
                (None, None) => None,
            })
            .collect();
        let any_found = found.contains(&Some(true));
        let all_read = !found.is_empty() && found.iter().all(Option::is_some);
        // Present when seen; absent only when the poll could have seen it.
        let seen = |present: bool, could_tell: bool| match (present, could_tell) {
            (true, _) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        };
        match self {
            Self::EcsServices => seen(any_found, all_read),
            Self::TaskDefinition => seen(
                services.iter().any(|s| s.task_definition.is_some()),
                all_read,
            ),
            // Absent only when services run and none registers into a target
            // group (or has an alarm).
            Self::LoadBalancer => seen(
                services.iter().any(|s| s.targets.is_some()),
                all_read && any_found,
            ),
            Self::Alarms => seen(
                services.iter().any(|s| s.alarms.is_some()),
                all_read && any_found,
            ),
            Self::Database => {
                let db = snap.database.as_ref()?;
                match (&db.rds.data, &db.rds.error) {
                    (_, Some(e)) if e.kind == SourceErrorKind::NotFound => Some(false),
                    (_, Some(_)) => None,
                    (Some(obs), None) => Some(obs.found),
                    (None, None) => None,
                }
            }
            Self::Parameters => match (&snap.parameters.data, &snap.parameters.error) {
                (_, Some(_)) => None,
                (Some(list), None) => Some(!list.is_empty()),
                (None, None) => None,
            },
        }
    }

    /// "ECS services", for the flag's text.
    pub fn label(self) -> &'static str {
        match self {
            Self::EcsServices => "the ECS services",
            Self::TaskDefinition => "a task definition",
            Self::LoadBalancer => "a load balancer target group",
            Self::Database => "the RDS instance",
            Self::Parameters => "SSM parameters",
            Self::Alarms => "CloudWatch alarms",
        }
    }
}

/// One disagreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub module: String,
    pub module_name: String,
    pub environment: String,
    /// What the roadmap says.
    pub roadmap: ModuleStatus,
    /// Whether AWS shows it.
    pub aws_present: bool,
    /// "Roadmap says deployed, but AWS shows no RDS instance"
    pub message: String,
}

/// Every module of `modules` on which the roadmap and `snap` disagree:
/// - roadmap Deployed, AWS shows it absent;
/// - AWS shows it present, roadmap Planned or Ready (not yet deployed).
///
/// In progress and retired modules are never flagged (either state is
/// expected during a change), nor modules of environments the roadmap does not
/// track, nor any module the snapshot cannot tell about.
pub fn drift(modules: &[Module], snap: &EnvironmentSnapshot) -> Vec<Drift> {
    let mut out = Vec::new();
    for module in modules {
        let Some(evidence) = Evidence::for_module(module) else {
            continue;
        };
        let Some(status) = module
            .statuses
            .iter()
            .find(|(env, _)| env.as_str() == snap.environment)
            .map(|(_, s)| *s)
        else {
            continue;
        };
        let Some(present) = evidence.observe(snap) else {
            continue;
        };
        let message = match (status, present) {
            (ModuleStatus::Deployed, false) => format!(
                "Roadmap says deployed in {}, but AWS shows no {}",
                snap.environment,
                evidence
                    .label()
                    .trim_start_matches("the ")
                    .trim_start_matches("a ")
            ),
            (ModuleStatus::Planned | ModuleStatus::Ready, true) => format!(
                "AWS shows {} in {}, but the roadmap says {}",
                evidence.label(),
                snap.environment,
                status.label().to_ascii_lowercase()
            ),
            _ => continue,
        };
        out.push(Drift {
            module: module.slug.as_str().to_owned(),
            module_name: module.name.clone(),
            environment: snap.environment.clone(),
            roadmap: status,
            aws_present: present,
            message,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::health::model::{
        Assessment, EcsServiceObservation, HealthStatus, RdsObservation, ServiceHealth, Source,
        SourceError, TargetHealthObservation,
    };
    use crate::health::snapshot::{DatabaseSnapshot, ServiceSnapshot, Sourced};
    use crate::roadmap::model::{ModuleSlug, Priority, Section};
    use crate::shared::EnvName;

    fn module(name: &str, path: Option<&str>, dev: ModuleStatus) -> Module {
        let mut statuses = BTreeMap::new();
        statuses.insert(EnvName::parse("dev").unwrap(), dev);
        Module {
            slug: ModuleSlug::derive(name, path),
            name: name.to_owned(),
            section: Section::Implemented,
            group: None,
            position: 0,
            path: path.map(str::to_owned),
            path_note: None,
            purpose: None,
            features: vec![],
            priority: Priority::default(),
            status_note: None,
            current_note: None,
            config: None,
            statuses,
            phase: None,
            owner: None,
            target_date: None,
            notes: None,
            dependencies: vec![],
        }
    }

    fn at() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn healthy() -> Assessment {
        Assessment::new(HealthStatus::Healthy, "ok")
    }

    /// dev with one service found behind a target group, a database that is
    /// `db_found`, and `params` parameters.
    fn snapshot(service_found: bool, db_found: bool, params: usize) -> EnvironmentSnapshot {
        let ecs = EcsServiceObservation {
            found: service_found,
            ..Default::default()
        };
        EnvironmentSnapshot {
            environment: "dev".into(),
            polled_at: at(),
            overall: healthy(),
            services: vec![ServiceSnapshot {
                name: "api".into(),
                health: ServiceHealth {
                    overall: healthy(),
                    parts: vec![],
                },
                ecs: Sourced::read(ecs, at()),
                targets: service_found
                    .then(|| Sourced::read(TargetHealthObservation::default(), at())),
                alarms: None,
                probe: None,
                image: None,
                task_definition: service_found.then(|| "backend-booking:2".to_owned()),
                last_deploy_at: None,
            }],
            database: Some(DatabaseSnapshot {
                identifier: "bb-dev".into(),
                health: healthy(),
                rds: Sourced::read(
                    RdsObservation {
                        found: db_found,
                        ..Default::default()
                    },
                    at(),
                ),
            }),
            parameters: Sourced::read(
                (0..params)
                    .map(|i| {
                        crate::health::snapshot::ParameterInfo::new(
                            format!("/bb/dev/P{i}"),
                            crate::health::snapshot::ParameterKind::String,
                            Some("v".into()),
                            1,
                            None,
                        )
                    })
                    .collect(),
                at(),
            ),
        }
    }

    fn modules(status: ModuleStatus) -> Vec<Module> {
        vec![
            module("ECS Service", Some("modules/ecs-service/"), status),
            module("ECS Cluster", Some("modules/ecs-cluster/"), status),
            module(
                "ECS Task Definition",
                Some("modules/ecs-task-definition/"),
                status,
            ),
            module("Application Load Balancer", Some("modules/alb/"), status),
            module("RDS PostgreSQL", Some("modules/rds/"), status),
            module("Parameter Store", None, status),
            module("Networking Module", Some("modules/networking/"), status),
            module(
                "Monitoring & Alerting Module",
                Some("modules/monitoring/"),
                status,
            ),
        ]
    }

    #[test]
    fn agreement_flags_nothing() {
        let everything = snapshot(true, true, 3);
        let found = drift(&modules(ModuleStatus::Deployed), &everything);
        // Monitoring: the roadmap says deployed, and no alarm watches the service.
        assert_eq!(
            found
                .iter()
                .map(|d| d.module_name.as_str())
                .collect::<Vec<_>>(),
            ["Monitoring & Alerting Module"]
        );
        assert_eq!(
            found[0].message,
            "Roadmap says deployed in dev, but AWS shows no CloudWatch alarms"
        );
    }

    #[test]
    fn deployed_on_the_roadmap_but_missing_in_aws() {
        let nothing = snapshot(false, false, 0);
        let found = drift(&modules(ModuleStatus::Deployed), &nothing);
        let names: Vec<_> = found.iter().map(|d| d.module_name.as_str()).collect();
        // Without a running service, Gantry cannot tell whether a load balancer
        // or alarms should be there: those are not flagged.
        assert_eq!(
            names,
            [
                "ECS Service",
                "ECS Cluster",
                "ECS Task Definition",
                "RDS PostgreSQL",
                "Parameter Store"
            ]
        );
        let rds = found
            .iter()
            .find(|d| d.module_name == "RDS PostgreSQL")
            .unwrap();
        assert_eq!(
            rds.message,
            "Roadmap says deployed in dev, but AWS shows no RDS instance"
        );
        assert!(!rds.aws_present);
        assert_eq!(rds.roadmap, ModuleStatus::Deployed);
    }

    #[test]
    fn present_in_aws_but_not_yet_deployed_on_the_roadmap() {
        let everything = snapshot(true, true, 3);
        for status in [ModuleStatus::Planned, ModuleStatus::Ready] {
            let found = drift(&modules(status), &everything);
            let rds = found
                .iter()
                .find(|d| d.module_name == "RDS PostgreSQL")
                .unwrap();
            assert_eq!(
                rds.message,
                format!(
                    "AWS shows the RDS instance in dev, but the roadmap says {}",
                    status.label().to_ascii_lowercase()
                )
            );
            // ECS service and cluster, task definition, ALB, RDS, parameters.
            assert_eq!(found.len(), 6, "{found:?}");
        }
        // In progress or retired: either state is expected mid-change.
        for status in [ModuleStatus::InProgress, ModuleStatus::Retired] {
            assert!(drift(&modules(status), &everything).is_empty());
            assert!(drift(&modules(status), &snapshot(false, false, 0)).is_empty());
        }
    }

    #[test]
    fn a_source_that_could_not_be_read_flags_nothing() {
        let mut snap = snapshot(false, false, 0);
        let throttled = SourceError::new(Source::Ecs, SourceErrorKind::Throttled, "slow down");
        snap.services[0].ecs = Sourced::failed(throttled.clone());
        snap.database.as_mut().unwrap().rds = Sourced::failed(SourceError::new(
            Source::Rds,
            SourceErrorKind::AccessDenied,
            "no",
        ));
        snap.parameters = Sourced::failed(throttled);
        assert!(drift(&modules(ModuleStatus::Deployed), &snap).is_empty());
    }

    #[test]
    fn a_missing_cluster_counts_as_absent() {
        let mut snap = snapshot(false, true, 1);
        snap.services[0].ecs = Sourced::failed(SourceError::new(
            Source::Ecs,
            SourceErrorKind::NotFound,
            "Cluster not found.",
        ));
        let found = drift(&modules(ModuleStatus::Deployed), &snap);
        assert!(
            found.iter().any(|d| d.module_name == "ECS Cluster"),
            "{found:?}"
        );
    }

    #[test]
    fn environments_the_roadmap_does_not_track_are_skipped() {
        let mut snap = snapshot(false, false, 0);
        snap.environment = "preview-7".into();
        assert!(drift(&modules(ModuleStatus::Deployed), &snap).is_empty());
    }
}
