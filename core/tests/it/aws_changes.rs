//! The jobs' AWS changes (`aws::ecs_change`, the writes in `aws::ssm`)
//! through the real SDK clients against moto (`MOTO_TEST_ENDPOINT`), each
//! test on its own cluster, family and parameter names so tests in parallel
//! (and the read-only health tests on the demo account) never see each other.
//!
//! Each change is "ensure": run twice, it applies once. Counted in AWS
//! itself: task-definition revisions (ListTaskDefinitions) and parameter
//! versions (GetParameterHistory).

use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, NetworkMode};
use gantry_core::aws::testing::{demo_environment, moto_settings};
use gantry_core::aws::{ecs_change, ssm, AwsCallCounter, AwsClients, EnvClients, WriteOutcome};
use gantry_core::health::snapshot::ParameterKind;
use secrecy::{ExposeSecret, SecretString};

pub(crate) async fn clients() -> EnvClients {
    AwsClients::new(moto_settings(), AwsCallCounter::new())
        .for_environment(&demo_environment("dev"))
        .await
}

/// A name no other test uses.
pub(crate) fn unique(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    format!("{prefix}-{}", hex::encode(bytes))
}

/// A cluster with the Django + PgBouncer service at `desired` tasks; returns
/// (cluster, service, family, first revision ARN).
pub(crate) async fn service(
    ecs: &aws_sdk_ecs::Client,
    desired: i32,
) -> (String, String, String, String) {
    let cluster = unique("jobs-cluster");
    let family = unique("jobs-family");
    ecs.create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .unwrap();
    let container = |name: &str, image: &str| {
        ContainerDefinition::builder()
            .name(name)
            .image(image)
            .essential(true)
            .build()
    };
    let registered = ecs
        .register_task_definition()
        .family(&family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(container("django", "registry.example/booking:1.0.0"))
        .container_definitions(container("pgbouncer", "edoburu/pgbouncer:1.22"))
        .send()
        .await
        .unwrap();
    let arn = registered
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned();
    let name = "backend-booking-api".to_owned();
    ecs.create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&arn)
        .desired_count(desired)
        .send()
        .await
        .unwrap();
    (cluster, name, family, arn)
}

#[tokio::test]
async fn scaling_twice_updates_the_service_once() {
    let aws = clients().await;
    let (cluster, name, _, _) = service(&aws.ecs, 1).await;
    assert_eq!(
        ecs_change::ensure_desired_count(&aws.ecs, &cluster, &name, 3)
            .await
            .unwrap(),
        WriteOutcome::Written
    );
    assert_eq!(
        ecs_change::ensure_desired_count(&aws.ecs, &cluster, &name, 3)
            .await
            .unwrap(),
        WriteOutcome::Unchanged
    );
    let state = ecs_change::service_state(&aws.ecs, &cluster, &name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.desired, 3);
    let missing = ecs_change::ensure_desired_count(&aws.ecs, &cluster, "nope", 2)
        .await
        .unwrap_err();
    assert_eq!(
        missing.kind,
        gantry_core::aws::AwsErrorKind::NotFound,
        "{missing}"
    );
}

#[tokio::test]
async fn a_deploy_step_run_again_finds_its_revision_instead_of_registering_another() {
    let aws = clients().await;
    let (cluster, name, family, first) = service(&aws.ecs, 1).await;
    let image = "registry.example/booking:1.1.0";
    let made = ecs_change::ensure_revision(&aws.ecs, &first, "django", image, "job-7/1")
        .await
        .unwrap();
    assert_ne!(made, first);
    // The step again (a crash after RegisterTaskDefinition): the same revision.
    let again = ecs_change::ensure_revision(&aws.ecs, &first, "django", image, "job-7/1")
        .await
        .unwrap();
    assert_eq!(again, made);
    assert_eq!(
        ecs_change::revision_count(&aws.ecs, &family).await.unwrap(),
        2
    );

    // The new revision is the old one with only the image changed.
    let described = aws
        .ecs
        .describe_task_definition()
        .task_definition(&made)
        .send()
        .await
        .unwrap();
    let td = described.task_definition().unwrap();
    let images: Vec<_> = td
        .container_definitions()
        .iter()
        .map(|c| (c.name().unwrap(), c.image().unwrap()))
        .collect();
    assert_eq!(
        images,
        [("django", image), ("pgbouncer", "edoburu/pgbouncer:1.22")]
    );
    assert_eq!(td.cpu(), Some("256"));
    assert_eq!(td.memory(), Some("512"));

    // Another job's step registers its own.
    let other = ecs_change::ensure_revision(&aws.ecs, &first, "django", image, "job-8/1")
        .await
        .unwrap();
    assert_ne!(other, made);
    assert_eq!(
        ecs_change::revision_count(&aws.ecs, &family).await.unwrap(),
        3
    );

    assert_eq!(
        ecs_change::ensure_task_definition(&aws.ecs, &cluster, &name, &made)
            .await
            .unwrap(),
        WriteOutcome::Written
    );
    assert_eq!(
        ecs_change::ensure_task_definition(&aws.ecs, &cluster, &name, &made)
            .await
            .unwrap(),
        WriteOutcome::Unchanged
    );
    let state = ecs_change::service_state(&aws.ecs, &cluster, &name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.task_definition, made);

    let wrong = ecs_change::ensure_revision(&aws.ecs, &first, "celery", image, "job-9/1")
        .await
        .unwrap_err();
    assert!(
        wrong.message.contains("no container named \"celery\""),
        "{wrong}"
    );
}

#[tokio::test]
async fn parameters_are_put_only_when_they_change() {
    let aws = clients().await;
    let prefix = format!("/{}/", unique("jobs-params"));
    let name = format!("{prefix}DJANGO_DEBUG");
    let value = |v: &str| SecretString::from(v.to_owned());
    assert_eq!(ssm::version_count(&aws.ssm, &name).await.unwrap(), 0);
    assert!(ssm::current(&aws.ssm, &name).await.unwrap().is_none());

    let put = |v: &'static str, kind| {
        let ssm = aws.ssm.clone();
        let name = name.clone();
        async move {
            ssm::ensure_value(&ssm, &name, kind, &value(v))
                .await
                .unwrap()
        }
    };
    assert_eq!(
        put("false", ParameterKind::String).await,
        WriteOutcome::Written
    );
    assert_eq!(
        put("false", ParameterKind::String).await,
        WriteOutcome::Unchanged
    );
    assert_eq!(ssm::version_count(&aws.ssm, &name).await.unwrap(), 1);
    assert_eq!(
        put("true", ParameterKind::String).await,
        WriteOutcome::Written
    );
    // Same value, another type: a change too.
    assert_eq!(
        put("true", ParameterKind::SecureString).await,
        WriteOutcome::Written
    );
    assert_eq!(
        put("true", ParameterKind::SecureString).await,
        WriteOutcome::Unchanged
    );
    assert_eq!(ssm::version_count(&aws.ssm, &name).await.unwrap(), 3);
    let now = ssm::current(&aws.ssm, &name).await.unwrap().unwrap();
    assert_eq!(now.kind, ParameterKind::SecureString);
    assert_eq!(now.value.expose_secret(), "true");
    assert_eq!(now.version, 3);
    assert!(
        !format!("{now:?}").contains("true"),
        "Debug hides the value: {now:?}"
    );

    assert_eq!(
        ssm::ensure_absent(&aws.ssm, &name).await.unwrap(),
        WriteOutcome::Written
    );
    assert_eq!(
        ssm::ensure_absent(&aws.ssm, &name).await.unwrap(),
        WriteOutcome::Unchanged
    );
    assert!(ssm::current(&aws.ssm, &name).await.unwrap().is_none());
}
