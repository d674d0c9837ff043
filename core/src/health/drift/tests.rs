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
            targets: service_found.then(|| Sourced::read(TargetHealthObservation::default(), at())),
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
