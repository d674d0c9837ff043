//! Provisioning end to end through the use cases the form calls (plan →
//! confirm with the plan's hash), run by the real worker with the
//! `AwsRunner` against a moto of the test's own (seeded with the demo
//! account, reporting 1 running task per service so rollouts complete); the
//! effects checked in ECS and SSM afterwards: the cluster, the parameters
//! and their versions (`GetParameterHistory`), the task definition's
//! containers and secrets, the service's circuit breaker and network.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gantry_core::aws::testing::PrivateMoto;
use gantry_core::aws::{ecs_change, ecs_provision, ssm, AwsCallCounter, AwsClients, EnvClients};
use gantry_core::environments::model::Environment;
use gantry_core::jobs::kinds::provision::template::ProvisionTemplate;
use gantry_core::jobs::kinds::request::JobForm;
use gantry_core::jobs::kinds::AwsRunner;
use gantry_core::jobs::notify::JobsNotifier;
use gantry_core::jobs::service::{self, JobsHandle};
use gantry_core::jobs::store;
use gantry_core::jobs::worker::{Worker, WorkerConfig};
use gantry_core::jobs::{JobId, JobState, JobsError};
use gantry_core::shared::EnvName;
use gantry_core::Db;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

use crate::aws_changes::unique;

/// The demo's template, as `config/dev.toml` has it: the network from the
/// parameters the demo seed publishes, `DATABASE_URL` copied from dev's.
fn template() -> ProvisionTemplate {
    toml::from_str(
        r#"
        service = "backend-booking-api"
        family = "backend-booking-{env}"
        cpu = "512"
        memory = "1024"
        execution_role_arn = "arn:aws:iam::123456789012:role/backend-booking-ecs-execution"
        desired_count = 1
        log_group = "/ecs/backend-booking"
        subnets_parameter = "/network/backend-booking/private-subnets"
        security_groups_parameter = "/network/backend-booking/ecs-security-groups"
        app = { name = "django", image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/backend-booking:1.4.2", port = 8000, cpu = 384, memory = 768, environment = { DJANGO_SETTINGS_MODULE = "config.settings.production", DATABASE_HOST = "127.0.0.1", DATABASE_PORT = "6432" } }
        pgbouncer = { name = "pgbouncer", image = "public.ecr.aws/bitnami/pgbouncer:1.22.1", port = 6432, cpu = 128, memory = 256, environment = { PGBOUNCER_POOL_MODE = "transaction" } }
        parameters = [
          { name = "DJANGO_DEBUG", value = "true" },
          { name = "DJANGO_ALLOWED_HOSTS", value = "{env}.preview.backend-booking.example.test" },
          { name = "DJANGO_SECRET_KEY", generate = true },
          { name = "DATABASE_URL", copy_from = "/backend-booking/dev/DATABASE_URL", containers = ["django", "pgbouncer"] },
        ]
        [preview]
        region = "us-east-1"
        account_id = "123456789012"
        cluster = "backend-booking-previews"
        service = "{env}-api"
        ssm_prefix = "/backend-booking/{env}/"
        ttl_hours = 48
        "#,
    )
    .expect("the template parses")
}

struct Setup {
    db: Db,
    handle: JobsHandle,
    _moto: PrivateMoto,
}

async fn setup() -> Setup {
    let moto = PrivateMoto::start_with_running(Some(1));
    let db = gantry_core::db::testing::sqlite().await;
    let clients = AwsClients::new(moto.settings(), AwsCallCounter::new());
    Setup {
        db,
        handle: JobsHandle {
            clients,
            notifier: JobsNotifier::new(),
            template: Some(Arc::new(template())),
            sealer: None,
            planning: Default::default(),
        },
        _moto: moto,
    }
}

impl Setup {
    fn worker(&self) -> CancellationToken {
        let runner = AwsRunner::new(self.handle.clients.clone())
            .with_poll_interval(Duration::from_millis(50))
            .with_sealer(self.handle.sealer.clone());
        let config = WorkerConfig {
            lease: Duration::from_secs(5),
            heartbeat_every: Duration::from_millis(500),
            poll_interval: Duration::from_millis(50),
            ..WorkerConfig::new(unique("worker"))
        };
        let worker = Worker::new(
            self.db.clone(),
            Arc::new(runner),
            config,
            gantry_core::clock::testing::clock(),
            self.handle.notifier.clone(),
        );
        let shutdown = CancellationToken::new();
        worker.spawn(shutdown.clone());
        shutdown
    }

    async fn env(&self, name: &str) -> Environment {
        gantry_core::environments::store::get(&self.db, &EnvName::parse(name).unwrap())
            .await
            .unwrap()
            .expect("the environment exists")
    }

    async fn aws(&self, env: &Environment) -> EnvClients {
        self.handle.clients.for_environment(env).await
    }

    async fn finished(&self, id: JobId) -> store::JobDetail {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let detail = store::get(&self.db, id).await.unwrap();
            if detail.job.state.is_final() {
                return detail;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} still {:?}",
                detail.job.state
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn provision(ttl: &str) -> JobForm {
    JobForm {
        kind: "provision".into(),
        ttl_hours: ttl.into(),
        ..JobForm::default()
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    gantry_core::clock::testing::clock().now()
}

#[tokio::test]
async fn a_preview_is_created_provisioned_and_left_as_the_template_says() {
    let s = setup().await;
    let name = format!("preview-{}", unique("p").to_lowercase().replace('_', "-"));
    let planned = service::plan(&s.db, &s.handle, &name, &provision("24"), now())
        .await
        .expect("a plan for a new preview");
    assert!(planned.creates_environment);
    let actions: Vec<_> = planned
        .plan
        .steps
        .iter()
        .map(|s| s.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "ecs.ensure_cluster",
            "ssm.ensure_parameters",
            "ecs.register_task_definition",
            "ecs.ensure_service",
            "ecs.wait_rollout"
        ]
    );
    let plan_text = serde_json::to_string(&planned.plan).unwrap();
    assert!(
        !plan_text.contains("FAKE-dev-password"),
        "a secret in the plan: {plan_text}"
    );
    assert!(plan_text.contains("(changed: copied from /backend-booking/dev/DATABASE_URL)"));
    // Planning wrote nothing: no environment, no job.
    assert!(
        gantry_core::environments::store::get(&s.db, &EnvName::parse(&name).unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let shutdown = s.worker();
    let job = service::confirm(
        &s.db,
        &s.handle,
        &gantry_core::jobs::testing::operator(),
        &name,
        &provision("24"),
        &planned.plan_hash,
        now(),
    )
    .await
    .expect("confirmed");
    let detail = s.finished(job.id).await;
    shutdown.cancel();
    assert_eq!(
        detail.job.state,
        JobState::Succeeded,
        "{:?}",
        detail.job.reason
    );

    let env = s.env(&name).await;
    assert_eq!(env.ttl_hours, Some(24));
    assert!(env.is_preview());
    let aws = s.aws(&env).await;
    assert!(ecs_provision::cluster_exists(&aws.ecs, &env.cluster)
        .await
        .unwrap());
    let prefix = env.ssm_prefix.to_string();
    for (key, versions) in [
        ("DJANGO_DEBUG", 1),
        ("DJANGO_ALLOWED_HOSTS", 1),
        ("DJANGO_SECRET_KEY", 1),
        ("DATABASE_URL", 1),
    ] {
        let name = format!("{prefix}{key}");
        assert_eq!(
            ssm::version_count(&aws.ssm, &name).await.unwrap(),
            versions,
            "{name}"
        );
    }
    let secret = ssm::current(&aws.ssm, &format!("{prefix}DJANGO_SECRET_KEY"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secret.value.expose_secret().len(), 48);
    let copied = ssm::current(&aws.ssm, &format!("{prefix}DATABASE_URL"))
        .await
        .unwrap()
        .unwrap();
    let source = ssm::current(&aws.ssm, "/backend-booking/dev/DATABASE_URL")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copied.value.expose_secret(), source.value.expose_secret());
    let hosts = ssm::current(&aws.ssm, &format!("{prefix}DJANGO_ALLOWED_HOSTS"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        hosts.value.expose_secret(),
        &format!("{name}.preview.backend-booking.example.test")
    );

    let family = format!("backend-booking-{name}");
    assert_eq!(
        ecs_change::revision_count(&aws.ecs, &family).await.unwrap(),
        1
    );
    let (arn, spec) = ecs_provision::latest_revision(&aws.ecs, &family)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<_> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["django", "pgbouncer"]);
    assert_eq!(spec.containers[0].depends_on, ["pgbouncer"]);
    assert!(spec.containers[0].secrets["DJANGO_SECRET_KEY"]
        .ends_with(&format!("{prefix}DJANGO_SECRET_KEY")));
    assert!(spec.containers[1].secrets.contains_key("DATABASE_URL"));
    assert!(!spec.containers[1].secrets.contains_key("DJANGO_SECRET_KEY"));
    assert_eq!(
        spec.containers[0].logs["awslogs-group"],
        "/ecs/backend-booking"
    );
    let service_name = format!("{name}-api");
    assert_eq!(env.services[0].name, service_name);
    let state = ecs_change::service_state(&aws.ecs, &env.cluster, &service_name)
        .await
        .unwrap()
        .expect("the service exists");
    assert_eq!(state.task_definition, arn);
    assert_eq!(state.desired, 1);
    assert!(
        ecs_provision::has_circuit_breaker(&aws.ecs, &env.cluster, &service_name)
            .await
            .unwrap()
    );

    // Provisioned: nothing left to do, and the audit trail has the creation.
    match service::plan(&s.db, &s.handle, &name, &provision(""), now()).await {
        Err(JobsError::Validation(message)) => {
            assert!(message.contains("nothing to provision"), "{message}")
        }
        other => panic!("expected nothing to do, got {other:?}"),
    }
    let created = gantry_core::audit::service::page(
        &s.db,
        &gantry_core::audit::model::AuditFilter {
            action: Some("environment.create".into()),
            target: Some(format!("environment:{name}")),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(created.records.len(), 1, "{created:?}");
}

#[tokio::test]
async fn provisioning_refuses_bad_requests_and_stale_plans_without_writing() {
    let s = setup().await;
    // Not a preview name, and unknown: refused.
    match service::plan(&s.db, &s.handle, "staging", &provision(""), now()).await {
        Err(JobsError::Validation(m)) => assert!(m.contains("unknown environment staging"), "{m}"),
        other => panic!("{other:?}"),
    }
    for (ttl, expected) in [
        ("0", "between 1 and 720"),
        ("721", "between 1 and 720"),
        ("soon", "between 1 and 720"),
    ] {
        match service::plan(&s.db, &s.handle, "preview-bad", &provision(ttl), now()).await {
            Err(JobsError::Validation(m)) => assert!(m.contains(expected), "{ttl}: {m}"),
            other => panic!("{ttl}: {other:?}"),
        }
    }
    let mut form = provision("");
    form.desired = "-2".into();
    match service::plan(&s.db, &s.handle, "preview-bad", &form, now()).await {
        Err(JobsError::Validation(m)) => assert!(m.contains("between 0 and 50"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A plan shown, then the live state moves (the copied secret changes):
    // the confirm is refused and nothing is created.
    let name = "preview-stale";
    let planned = service::plan(&s.db, &s.handle, name, &provision(""), now())
        .await
        .unwrap();
    let probe = s
        .handle
        .clients
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await;
    ssm::ensure_value(
        &probe.ssm,
        "/backend-booking/dev/DATABASE_URL",
        gantry_core::health::snapshot::ParameterKind::SecureString,
        &secrecy::SecretString::from("postgres://rotated@db/booking".to_owned()),
    )
    .await
    .unwrap();
    let refused = service::confirm(
        &s.db,
        &s.handle,
        &gantry_core::jobs::testing::operator(),
        name,
        &provision(""),
        &planned.plan_hash,
        now(),
    )
    .await;
    assert!(
        matches!(refused, Err(JobsError::Conflict(_))),
        "{refused:?}"
    );
    assert!(
        gantry_core::environments::store::get(&s.db, &EnvName::parse(name).unwrap())
            .await
            .unwrap()
            .is_none()
    );
    // Without a template, provisioning says so.
    let mut handle = s.handle.clone();
    handle.template = None;
    match service::plan(&s.db, &handle, "preview-x", &provision(""), now()).await {
        Err(JobsError::Validation(m)) => assert!(m.contains("unknown environment"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// A configure job: a String set, a SecureString set through its sealed
/// form, a parameter deleted; each effect checked in SSM (values, versions),
/// the secret in no plan, and a second run finds nothing to change.
#[tokio::test]
async fn a_configure_job_sets_and_deletes_parameters_secrets_only_sealed() {
    use base64::Engine as _;
    let mut s = setup().await;
    let sealer = gantry_core::jobs::seal::Sealer::from_base64(&secrecy::SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([42u8; 32]),
    ))
    .unwrap();
    s.handle.sealer = Some(sealer);
    let mut input = gantry_core::aws::testing::demo_environment_input("dev");
    input.name = unique("cfg").to_lowercase();
    input.ssm_prefix = format!("/{}/", input.name);
    input.database = None;
    let env = gantry_core::environments::service::save(
        &s.db,
        &gantry_core::jobs::testing::operator(),
        input,
    )
    .await
    .unwrap();
    let aws = s.aws(&env).await;
    let prefix = env.ssm_prefix.to_string();
    ssm::ensure_value(
        &aws.ssm,
        &format!("{prefix}OLD_FLAG"),
        gantry_core::health::snapshot::ParameterKind::String,
        &secrecy::SecretString::from("1".to_owned()),
    )
    .await
    .unwrap();

    let sealed = service::seal_values(
        &s.db,
        &s.handle,
        env.name.as_str(),
        "API_TOKEN=tok-hunter2-secret",
    )
    .await
    .unwrap();
    assert!(!sealed.contains("hunter2"));
    let form = JobForm {
        kind: "configure".into(),
        set: "DJANGO_DEBUG=false".into(),
        sealed: sealed.clone(),
        delete: "OLD_FLAG".into(),
        ..JobForm::default()
    };
    let planned = service::plan(&s.db, &s.handle, env.name.as_str(), &form, now())
        .await
        .unwrap();
    let shown = serde_json::to_string(&planned.plan).unwrap();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("(will be written)"), "{shown}");
    let shutdown = s.worker();
    let job = service::confirm(
        &s.db,
        &s.handle,
        &gantry_core::jobs::testing::operator(),
        env.name.as_str(),
        &form,
        &planned.plan_hash,
        now(),
    )
    .await
    .unwrap();
    let detail = s.finished(job.id).await;
    shutdown.cancel();
    assert_eq!(
        detail.job.state,
        JobState::Succeeded,
        "{:?}",
        detail.job.reason
    );
    let token = ssm::current(&aws.ssm, &format!("{prefix}API_TOKEN"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.value.expose_secret(), "tok-hunter2-secret");
    assert_eq!(
        token.kind,
        gantry_core::health::snapshot::ParameterKind::SecureString
    );
    assert_eq!(
        ssm::version_count(&aws.ssm, &format!("{prefix}DJANGO_DEBUG"))
            .await
            .unwrap(),
        1
    );
    assert!(ssm::current(&aws.ssm, &format!("{prefix}OLD_FLAG"))
        .await
        .unwrap()
        .is_none());
    let logs = store::logs(&s.db, job.id, 0, 100).await.unwrap();
    assert!(!format!("{logs:?}").contains("hunter2"));

    // Done: the same String and delete change nothing now; the SecureString
    // is written again (a plan never compares a secret).
    let again = service::plan(&s.db, &s.handle, env.name.as_str(), &form, now())
        .await
        .unwrap();
    let after = &again.plan.steps[0].after;
    assert_eq!(
        after.as_object().unwrap().keys().collect::<Vec<_>>(),
        [&format!("{prefix}API_TOKEN")],
        "{after}"
    );

    // Planning is no oracle: a right and a wrong guess of the live secret
    // give the same plan, and both write.
    let guess = |value: &str| {
        let lines = format!("API_TOKEN={value}");
        let (db, handle, env) = (&s.db, &s.handle, env.name.as_str());
        async move {
            let sealed = service::seal_values(db, handle, env, &lines).await.unwrap();
            let form = JobForm {
                kind: "configure".into(),
                sealed,
                ..JobForm::default()
            };
            service::plan(db, handle, env, &form, now()).await.unwrap()
        }
    };
    let right = guess("tok-hunter2-secret").await;
    let wrong = guess("tok-wrong-guess").await;
    assert_eq!(right.plan, wrong.plan);
    assert_eq!(right.plan_hash, wrong.plan_hash);
    assert_eq!(
        right.plan.steps[0].after[format!("{prefix}API_TOKEN")]["value"],
        "(will be written)"
    );
    // The right guess, run: written as a new version (idempotent by
    // version, not by value); the log says the same as for any value.
    let versions = ssm::version_count(&aws.ssm, &format!("{prefix}API_TOKEN"))
        .await
        .unwrap();
    let shutdown = s.worker();
    let rewritten = service::confirm(
        &s.db,
        &s.handle,
        &gantry_core::jobs::testing::operator(),
        env.name.as_str(),
        &JobForm {
            kind: "configure".into(),
            sealed: service::seal_values(
                &s.db,
                &s.handle,
                env.name.as_str(),
                "API_TOKEN=tok-hunter2-secret",
            )
            .await
            .unwrap(),
            ..JobForm::default()
        },
        &right.plan_hash,
        now(),
    )
    .await
    .unwrap();
    let detail = s.finished(rewritten.id).await;
    shutdown.cancel();
    assert_eq!(
        detail.job.state,
        JobState::Succeeded,
        "{:?}",
        detail.job.reason
    );
    assert_eq!(
        ssm::version_count(&aws.ssm, &format!("{prefix}API_TOKEN"))
            .await
            .unwrap(),
        versions + 1
    );
    // A secure line without '=' is refused without echoing it.
    match service::seal_values(&s.db, &s.handle, env.name.as_str(), "tok-hunter2-secret").await {
        Err(JobsError::Validation(m)) => {
            assert!(m.contains("line 1 is not NAME=value"), "{m}");
            assert!(!m.contains("hunter2"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    // A sealed value moved to another parameter does not open.
    let moved = JobForm {
        sealed: sealed.replace("API_TOKEN", "OTHER_TOKEN"),
        set: String::new(),
        delete: String::new(),
        ..form.clone()
    };
    match service::plan(&s.db, &s.handle, env.name.as_str(), &moved, now()).await {
        Err(JobsError::Validation(m)) => assert!(m.contains("does not open"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A parameter outside the prefix is refused, nothing written.
    let outside = JobForm {
        kind: "configure".into(),
        set: "/backend-booking/prod/DJANGO_DEBUG=true".into(),
        ..JobForm::default()
    };
    match service::plan(&s.db, &s.handle, env.name.as_str(), &outside, now()).await {
        Err(JobsError::Validation(m)) => assert!(m.contains("not a name under"), "{m}"),
        other => panic!("{other:?}"),
    }
}
