//! The health source through the real AWS SDK clients against moto, seeded
//! with the demo account (`MOTO_TEST_ENDPOINT`, set by scripts/test.sh).
//!
//! Read-only: nothing here changes moto's state, so these tests may run in
//! parallel with each other. (The degraded scenario, which does change it,
//! lives in its own test binary, `aws_health_degraded.rs`.)
//!
//! moto runs without `MOTO_ECS_SERVICE_RUNNING`, so every ECS deployment stays
//! IN_PROGRESS with 0 tasks running: the services are Progressing.

use std::time::{Duration, Instant};

use gantry_core::aws::testing::{demo_environment, demo_environment_input, moto_settings};
use gantry_core::aws::AwsHealthSource;
use gantry_core::aws::{AwsCallCounter, AwsClients, AwsSettings, StaticCredentials};
use gantry_core::environments::model::{Environment, EnvironmentInput, ServiceInput};
use gantry_core::health::model::{AlarmState, Component, HealthStatus, SourceErrorKind};
use gantry_core::health::snapshot::{EnvironmentSnapshot, ParameterKind};
use gantry_core::health::source::HealthSource;

fn source(settings: AwsSettings) -> (AwsHealthSource, AwsCallCounter) {
    let calls = AwsCallCounter::new();
    let source = AwsHealthSource::new(AwsClients::new(settings, calls.clone())).unwrap();
    (source, calls)
}

fn env(input: EnvironmentInput) -> Environment {
    input.validate().unwrap()
}

async fn observe(source: &AwsHealthSource, env: &Environment) -> EnvironmentSnapshot {
    source
        .observe(env, None, gantry_core::clock::testing::start())
        .await
}

#[track_caller]
fn part(snapshot: &EnvironmentSnapshot, component: Component) -> (HealthStatus, String) {
    let (_, a) = snapshot.services[0]
        .health
        .parts
        .iter()
        .find(|(c, _)| *c == component)
        .unwrap_or_else(|| {
            panic!(
                "no {component:?} part in {:#?}",
                snapshot.services[0].health
            )
        });
    (a.status, a.reason.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_account_is_read_through_the_sdk() {
    let (source, calls) = source(moto_settings());
    let (dev_env, prod_env) = (demo_environment("dev"), demo_environment("prod"));
    let (dev, prod) = tokio::join!(observe(&source, &dev_env), observe(&source, &prod_env));

    for (snap, name, desired, multi_az, debug) in [
        (&dev, "dev", 1, false, "true"),
        (&prod, "prod", 3, true, "false"),
    ] {
        assert_eq!(snap.environment, name);
        assert_eq!(snap.services.len(), 1);
        let service = &snap.services[0];
        assert_eq!(service.name, "backend-booking-api");

        // ECS, with the task definition's image of the `django` container.
        assert_eq!(service.ecs.error, None, "{name}");
        let ecs = service.ecs.data.as_ref().unwrap();
        assert!(ecs.found);
        assert_eq!(ecs.desired, desired);
        assert_eq!(ecs.deployments.len(), 1);
        assert_eq!(
            service.task_definition.as_deref(),
            Some("backend-booking:2")
        );
        assert_eq!(
            service.image.as_deref(),
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/backend-booking:v1.42.0")
        );
        assert!(service.last_deploy_at.is_some());

        // ELBv2: one IP target per desired task, all healthy in moto.
        let targets = service.targets.as_ref().unwrap();
        assert_eq!(targets.error, None);
        let targets = targets.data.as_ref().unwrap();
        assert_eq!((targets.healthy, targets.total()), (desired, desired));

        // CloudWatch: the ALB's 5xx alarm (LoadBalancer dimension) and the
        // service's CPU alarm (ClusterName + ServiceName), not the other env's.
        let alarms = service.alarms.as_ref().unwrap().data.as_ref().unwrap();
        let names: Vec<&str> = alarms.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                format!("bb-{name}-api-5xx"),
                format!("bb-{name}-api-cpu-high")
            ]
        );
        assert!(
            alarms.iter().all(|a| a.state == AlarmState::Ok),
            "{alarms:?}"
        );

        // RDS.
        let database = snap.database.as_ref().unwrap();
        assert_eq!(database.identifier, format!("backend-booking-{name}"));
        let rds = database.rds.data.as_ref().unwrap();
        assert!(rds.found);
        assert_eq!(rds.status, "available");
        assert_eq!(rds.multi_az, multi_az);
        assert_eq!(database.health.status, HealthStatus::Healthy);
        let az = if multi_az { "Multi-AZ" } else { "single-AZ" };
        assert_eq!(
            database.health.reason,
            format!("database backend-booking-{name}: available ({az})")
        );

        // SSM: five parameters; SecureString values never kept.
        let parameters = snap.parameters.data.as_ref().unwrap();
        let listed: Vec<(&str, ParameterKind, Option<&str>)> = parameters
            .iter()
            .map(|p| {
                (
                    p.name.rsplit('/').next().unwrap(),
                    p.kind,
                    p.value.as_deref(),
                )
            })
            .collect();
        assert_eq!(listed.len(), 5, "{listed:?}");
        let value = |key: &str| listed.iter().find(|(k, _, _)| *k == key).unwrap();
        assert_eq!(
            value("DJANGO_DEBUG"),
            &("DJANGO_DEBUG", ParameterKind::String, Some(debug))
        );
        assert_eq!(value("DATABASE_URL").1, ParameterKind::SecureString);
        assert_eq!(value("DATABASE_URL").2, None);
        assert_eq!(value("DJANGO_SECRET_KEY").2, None);
        assert!(value("DJANGO_ALLOWED_HOSTS").2.is_some());
        assert!(value("PGBOUNCER_POOL_SIZE").2.is_some());
        let stored = serde_json::to_string(snap).unwrap();
        assert!(
            !stored.contains("FAKE-"),
            "a secret value reached the snapshot"
        );

        // The health: the rollout moto never finishes, the rest healthy.
        let rollout = format!("deploying revision 2: 0/{desired} running ({desired} pending)");
        assert_eq!(
            part(snap, Component::Ecs),
            (HealthStatus::Progressing, rollout.clone())
        );
        assert_eq!(
            part(snap, Component::Targets),
            (
                HealthStatus::Healthy,
                format!("{desired}/{desired} targets healthy")
            )
        );
        assert_eq!(
            part(snap, Component::Alarms),
            (HealthStatus::Healthy, "2 alarms OK".to_owned())
        );
        assert_eq!(service.health.overall.status, HealthStatus::Progressing);
        assert_eq!(snap.overall.status, HealthStatus::Progressing);
        assert_eq!(
            snap.overall.reason,
            format!("backend-booking-api: {rollout}")
        );
    }
    // Both environments share the task definition: read once.
    let by_op = calls.by_operation();
    let td = by_op
        .iter()
        .find(|((_, op), _)| op == "DescribeTaskDefinition")
        .map(|(_, n)| *n);
    assert_eq!(td, Some(1), "{by_op:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_cluster_service_or_database_is_missing() {
    let (source, _) = source(moto_settings());
    let ghost = env(EnvironmentInput {
        name: "ghost".into(),
        cluster: "does-not-exist".into(),
        database: Some("no-such-db".into()),
        ssm_prefix: "/ghost/".into(),
        ..demo_environment_input("dev")
    });
    let snap = observe(&source, &ghost).await;
    let service = &snap.services[0];
    assert_eq!(service.health.overall.status, HealthStatus::Missing);
    assert_eq!(
        service.health.overall.reason,
        "ecs: service or cluster not found (cluster does-not-exist not found)"
    );
    assert_eq!(
        service.ecs.error.as_ref().unwrap().kind,
        SourceErrorKind::NotFound
    );
    assert_eq!(service.targets, None);
    let database = snap.database.as_ref().unwrap();
    assert!(!database.rds.data.as_ref().unwrap().found);
    assert_eq!(database.health.status, HealthStatus::Missing);
    assert_eq!(database.health.reason, "database no-such-db not found");
    assert_eq!(snap.parameters.data.as_deref(), Some(&[][..]));
    assert_eq!(snap.overall.status, HealthStatus::Missing);

    // A service the cluster does not have, beside one it has.
    let mut input = demo_environment_input("dev");
    input.name = "partial".into();
    input.services.push(ServiceInput {
        name: "no-such-service".into(),
        container: "app".into(),
        health_url: None,
    });
    let snap = observe(&source, &env(input)).await;
    let missing = &snap.services[1];
    assert_eq!(missing.name, "no-such-service");
    assert!(!missing.ecs.data.as_ref().unwrap().found);
    assert_eq!(missing.health.overall.status, HealthStatus::Missing);
    assert_eq!(
        missing.health.overall.reason,
        "ECS service not found in the cluster"
    );
    assert_eq!(missing.alarms, None);
    assert_eq!(
        snap.services[0].health.overall.status,
        HealthStatus::Progressing
    );
    assert_eq!(snap.overall.status, HealthStatus::Missing);
    assert!(
        snap.overall.reason.starts_with("no-such-service: "),
        "{}",
        snap.overall.reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_unknown_within_the_timeout() {
    // A loopback port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let settings = AwsSettings {
        endpoint_url: Some(format!("http://127.0.0.1:{port}").parse().unwrap()),
        static_credentials: Some(StaticCredentials::moto()),
        ..AwsSettings::default()
    };
    let (source, calls) = source(settings);
    let started = Instant::now();
    let snap = observe(&source, &demo_environment("dev")).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");

    let service = &snap.services[0];
    let (status, reason) = part(&snap, Component::Ecs);
    assert_eq!(status, HealthStatus::Unknown);
    assert!(reason.starts_with("ecs: could not reach AWS"), "{reason}");
    assert!(
        reason.ends_with("; will retry at the next poll"),
        "{reason}"
    );
    let (status, reason) = part(&snap, Component::Alarms);
    assert_eq!(status, HealthStatus::Unknown);
    assert!(
        reason.starts_with("cloudwatch: could not reach AWS"),
        "{reason}"
    );
    // Without ECS the target group is not known.
    assert_eq!(service.targets, None);
    let database = snap.database.as_ref().unwrap();
    assert_eq!(database.health.status, HealthStatus::Unknown);
    assert!(database
        .health
        .reason
        .starts_with("rds: could not reach AWS"));
    let ssm = snap.parameters.error.as_ref().unwrap();
    assert_eq!(ssm.kind, SourceErrorKind::Unreachable);
    assert_eq!(snap.overall.status, HealthStatus::Unknown);
    // Each of the 4 reads tried 3 times (the default max_attempts).
    assert_eq!(calls.total(), 12, "{:?}", calls.by_operation());
    println!("unreachable endpoint: Unknown everywhere after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_is_assumed_through_sts() {
    let (source, _) = source(moto_settings());
    let dev = env(EnvironmentInput {
        role_arn: Some("arn:aws:iam::123456789012:role/gantry-reader".into()),
        ..demo_environment_input("dev")
    });
    let first = observe(&source, &dev).await;
    assert_eq!(first.services[0].ecs.error, None);
    assert!(first.services[0].ecs.data.as_ref().unwrap().found);
    assert_eq!(
        first.database.as_ref().unwrap().health.status,
        HealthStatus::Healthy
    );
    // The clients (and the assumed credentials) are reused.
    let again = observe(&source, &dev).await;
    assert_eq!(again.overall, first.overall);
}
