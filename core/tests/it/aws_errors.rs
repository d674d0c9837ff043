//! Throttling and access denied, end to end through the SDK clients: moto
//! cannot produce either, so these tests point the clients at
//! [`FakeAwsEndpoint`], a **test double of an AWS endpoint** on loopback that
//! answers every request with the error AWS would send (JSON protocol for ECS
//! and SSM, query-protocol XML for ELBv2, RDS and CloudWatch).

use gantry_core::aws::testing::{demo_environment, demo_environment_input};
use gantry_core::aws::AwsHealthSource;
use gantry_core::aws::{AwsCallCounter, AwsClients};
use gantry_core::environments::model::{Environment, EnvironmentInput};
use gantry_core::health::model::{Component, HealthStatus, SourceErrorKind};
use gantry_core::health::snapshot::EnvironmentSnapshot;
use gantry_core::health::source::HealthSource;

use crate::support::fake_aws::FakeAwsEndpoint;

async fn observe_through(
    fake: &FakeAwsEndpoint,
    max_attempts: u32,
) -> (EnvironmentSnapshot, AwsCallCounter) {
    observe_env_through(fake, max_attempts, demo_environment("dev")).await
}

async fn observe_env_through(
    fake: &FakeAwsEndpoint,
    max_attempts: u32,
    env: Environment,
) -> (EnvironmentSnapshot, AwsCallCounter) {
    let calls = AwsCallCounter::new();
    let source =
        AwsHealthSource::new(AwsClients::new(fake.settings(max_attempts), calls.clone())).unwrap();
    let snap = source
        .observe(&env, None, gantry_core::clock::testing::start())
        .await;
    (snap, calls)
}

fn reason(snap: &EnvironmentSnapshot, component: Component) -> String {
    snap.services[0]
        .health
        .parts
        .iter()
        .find(|(c, _)| *c == component)
        .map(|(_, a)| a.reason.clone())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_then_unknown() {
    let fake = FakeAwsEndpoint::start(400, "ThrottlingException", "Throttling").await;
    let (snap, calls) = observe_through(&fake, 2).await;

    assert_eq!(
        reason(&snap, Component::Ecs),
        "ecs: AWS throttled the request; will retry at the next poll"
    );
    assert_eq!(
        reason(&snap, Component::Alarms),
        "cloudwatch: AWS throttled the request; will retry at the next poll"
    );
    let database = snap.database.as_ref().unwrap();
    assert_eq!(
        database.health.reason,
        "rds: AWS throttled the request; will retry at the next poll"
    );
    assert_eq!(
        snap.parameters.error.as_ref().unwrap().kind,
        SourceErrorKind::Throttled
    );
    assert_eq!(snap.overall.status, HealthStatus::Unknown);
    // DescribeServices, DescribeAlarms, DescribeDBInstances and
    // GetParametersByPath, each tried twice: the counter counts attempts, and
    // exactly the requests the endpoint received.
    assert_eq!(calls.total(), 8, "{:?}", calls.by_operation());
    assert_eq!(fake.received(), 8);
    for (_, n) in calls.by_operation() {
        assert_eq!(n, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_names_the_permission() {
    let fake = FakeAwsEndpoint::start(400, "AccessDeniedException", "AccessDenied").await;
    let (snap, calls) = observe_through(&fake, 3).await;

    assert_eq!(
        reason(&snap, Component::Ecs),
        "ecs: access denied — grant ecs:DescribeServices to Gantry's role"
    );
    assert_eq!(
        reason(&snap, Component::Alarms),
        "cloudwatch: access denied — grant cloudwatch:DescribeAlarms to Gantry's role"
    );
    assert_eq!(
        snap.database.as_ref().unwrap().health.reason,
        "rds: access denied — grant rds:DescribeDBInstances to Gantry's role"
    );
    assert_eq!(
        snap.parameters.error.as_ref().unwrap().kind,
        SourceErrorKind::AccessDenied
    );
    // Not retried.
    assert_eq!(calls.total(), 4, "{:?}", calls.by_operation());
    assert_eq!(fake.received(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_role_is_a_credentials_problem() {
    let fake = FakeAwsEndpoint::start(403, "AccessDeniedException", "AccessDenied").await;
    let env = EnvironmentInput {
        role_arn: Some("arn:aws:iam::123456789012:role/gantry-reader".into()),
        ..demo_environment_input("dev")
    }
    .validate()
    .unwrap();
    let (snap, calls) = observe_env_through(&fake, 1, env).await;

    let ecs = reason(&snap, Component::Ecs);
    assert_eq!(
        ecs,
        "ecs: could not get AWS credentials: AccessDenied: Rate exceeded or not authorized (test double)"
    );
    assert_eq!(snap.overall.status, HealthStatus::Unknown);
    // Only STS was asked (the clients never sent a request of their own),
    // for the environment's role, as session "gantry".
    assert_eq!(calls.total(), 0, "{:?}", calls.by_operation());
    let bodies = fake.bodies();
    assert!(!bodies.is_empty());
    for body in &bodies {
        assert!(body.contains("Action=AssumeRole"), "{body}");
        assert!(body.contains("RoleSessionName=gantry"), "{body}");
        assert!(
            body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fgantry-reader"),
            "{body}"
        );
    }
}
