//! Deploy and roll-back jobs end to end through the use cases a person's
//! form calls (`jobs::service::plan` → `confirm` with the plan's hash), run
//! by the real worker with the `AwsRunner` against moto; the effects checked
//! in ECS (revisions registered, the revision the service runs).
//!
//! A successful rollout needs a moto of its own that reports the service's
//! tasks running (`PrivateMoto::start_with_running`). moto cannot make a
//! rollout fail: that case goes through `FailingRollout`, a double of ECS's
//! rollout state named as such, while the roll-back it triggers is applied
//! in moto. The app's health endpoint is a loopback listener of the test's
//! own that answers a fixed status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use gantry_core::aws::testing::{demo_environment_input, moto_settings, PrivateMoto};
use gantry_core::aws::{ecs_change, AwsCallCounter, AwsClients, AwsSettings, EnvClients};
use gantry_core::environments::model::{Environment, ServiceInput};
use gantry_core::jobs::kinds::deploy::RolloutWatch;
use gantry_core::jobs::kinds::request::JobForm;
use gantry_core::jobs::kinds::AwsRunner;
use gantry_core::jobs::notify::JobsNotifier;
use gantry_core::jobs::runner::StepError;
use gantry_core::jobs::service::{self, JobsHandle};
use gantry_core::jobs::store;
use gantry_core::jobs::worker::{Worker, WorkerConfig};
use gantry_core::jobs::{JobId, JobKind, JobState, JobsError};
use gantry_core::Db;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::aws_changes::{service as create_service, unique};

const NEW_IMAGE: &str = "registry.example/booking:2.0.0";

struct Setup {
    db: Db,
    env: Environment,
    handle: JobsHandle,
    family: String,
    first_revision: String,
}

/// A non-production environment over a fresh cluster and service (desired
/// 1) in the moto `settings` name, its service probed at `health_url`.
async fn setup(settings: AwsSettings, health_url: Option<String>, production: bool) -> Setup {
    setup_named(settings, health_url, production, &unique("deploy")).await
}

async fn setup_named(
    settings: AwsSettings,
    health_url: Option<String>,
    production: bool,
    env_name: &str,
) -> Setup {
    let db = gantry_core::db::testing::sqlite().await;
    let clients = AwsClients::new(settings, AwsCallCounter::new());
    let probe = clients
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await;
    let (cluster, name, family, first_revision) = create_service(&probe.ecs, 1).await;
    let mut input = demo_environment_input(if production { "prod" } else { "dev" });
    input.name = env_name.to_owned();
    input.cluster = cluster;
    input.ssm_prefix = format!("/{}/", input.name);
    input.database = None;
    input.services = vec![ServiceInput {
        name,
        container: "django".to_owned(),
        health_url,
    }];
    let env = gantry_core::environments::service::save(
        &db,
        &gantry_core::jobs::testing::operator(),
        input,
    )
    .await
    .unwrap();
    Setup {
        db,
        env,
        handle: JobsHandle {
            clients,
            notifier: JobsNotifier::new(),
            template: None,
            sealer: None,
            planning: Default::default(),
        },
        family,
        first_revision,
    }
}

impl Setup {
    async fn aws(&self) -> EnvClients {
        self.handle.clients.for_environment(&self.env).await
    }

    fn worker(&self, watch: Option<Arc<dyn RolloutWatch>>) -> CancellationToken {
        let mut runner = AwsRunner::new(self.handle.clients.clone())
            .with_poll_interval(Duration::from_millis(50));
        if let Some(watch) = watch {
            runner = runner.with_rollout_watch(watch);
        }
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

    fn form(&self, kind: &str) -> JobForm {
        JobForm {
            kind: kind.to_owned(),
            service: self.env.services[0].name.clone(),
            image: NEW_IMAGE.to_owned(),
            ..JobForm::default()
        }
    }

    /// Plans `form` and confirms exactly that plan, as the page does.
    async fn request(&self, form: &JobForm) -> JobId {
        let planned = service::plan(
            &self.db,
            &self.handle,
            self.env.name.as_str(),
            form,
            gantry_core::clock::testing::clock().now(),
        )
        .await
        .unwrap();
        service::confirm(
            &self.db,
            &self.handle,
            &gantry_core::jobs::testing::operator(),
            self.env.name.as_str(),
            form,
            &planned.plan_hash,
            gantry_core::clock::testing::clock().now(),
        )
        .await
        .unwrap()
        .id
    }

    async fn finished(&self, id: JobId) -> store::JobDetail {
        let deadline = Instant::now() + Duration::from_secs(30);
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

    async fn running_revision(&self) -> String {
        let aws = self.aws().await;
        ecs_change::service_state(&aws.ecs, &self.env.cluster, &self.env.services[0].name)
            .await
            .unwrap()
            .unwrap()
            .task_definition
    }

    async fn revisions(&self) -> usize {
        ecs_change::revision_count(&self.aws().await.ecs, &self.family)
            .await
            .unwrap()
    }
}

/// A loopback HTTP listener standing in for the app's `/health/`: answers
/// every request with `status`. Returns its URL.
async fn health_endpoint(status: u16) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 2048];
                let _ = socket.read(&mut buffer).await;
                let answer = format!(
                    "HTTP/1.1 {status} Status\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/health/")
}

#[tokio::test]
async fn a_deploy_registers_one_revision_points_the_service_and_checks_health() {
    let moto = PrivateMoto::start_with_running(Some(1));
    let url = health_endpoint(200).await;
    let s = setup(moto.settings(), Some(url), false).await;
    let planned = service::plan(
        &s.db,
        &s.handle,
        s.env.name.as_str(),
        &s.form("deploy"),
        gantry_core::clock::testing::clock().now(),
    )
    .await
    .unwrap();
    let actions: Vec<_> = planned
        .plan
        .steps
        .iter()
        .map(|p| p.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "ecs.register_revision",
            "ecs.point_service",
            "ecs.wait_rollout",
            "http.health_check"
        ]
    );
    assert_eq!(
        planned.plan.steps[0].before["image"],
        "registry.example/booking:1.0.0"
    );
    assert_eq!(planned.plan.steps[0].after["image"], NEW_IMAGE);
    assert_eq!(s.revisions().await, 1);

    let id = s.request(&s.form("deploy")).await;
    let stop = s.worker(None);
    let detail = s.finished(id).await;
    stop.cancel();
    assert_eq!(detail.job.state, JobState::Succeeded, "{detail:#?}");
    assert_eq!(s.revisions().await, 2, "one revision registered");
    let running = s.running_revision().await;
    assert_ne!(running, s.first_revision);
    let image = ecs_change::container_image(&s.aws().await.ecs, &running, "django")
        .await
        .unwrap();
    assert_eq!(image.as_deref(), Some(NEW_IMAGE));
    assert_eq!(
        detail.steps[0].output.as_ref().unwrap()["task_definition"],
        running.as_str()
    );
    assert_eq!(detail.steps[3].output.as_ref().unwrap()["status_code"], 200);
}

#[tokio::test]
async fn a_failed_health_check_rolls_the_service_back() {
    let moto = PrivateMoto::start_with_running(Some(1));
    let url = health_endpoint(503).await;
    let s = setup(moto.settings(), Some(url), false).await;
    let id = s.request(&s.form("deploy")).await;
    let stop = s.worker(None);
    let detail = s.finished(id).await;
    stop.cancel();
    assert_eq!(detail.job.state, JobState::RolledBack, "{detail:#?}");
    let reason = detail.job.reason.clone().unwrap_or_default();
    assert!(reason.contains("answered 503"), "{reason}");
    assert!(reason.contains("rolled back to"), "{reason}");
    assert_eq!(s.running_revision().await, s.first_revision);
}

/// **Test double** of ECS's rollout state: reports the PRIMARY deployment
/// FAILED (what ECS shows when the circuit breaker gives up), which moto
/// cannot simulate; every other field is read from moto.
#[derive(Debug)]
struct FailingRollout;

impl RolloutWatch for FailingRollout {
    fn observe<'a>(
        &'a self,
        aws: &'a EnvClients,
        env: &'a Environment,
        service: &'a str,
    ) -> BoxFuture<'a, Result<ecs_change::ServiceState, StepError>> {
        Box::pin(async move {
            let mut state = ecs_change::service_state(&aws.ecs, &env.cluster, service)
                .await
                .map_err(|e| StepError::Retryable(e.message))?
                .ok_or_else(|| StepError::Fatal("no service".into()))?;
            state.rollout = Some("FAILED".to_owned());
            state.rollout_reason =
                Some("ECS deployment circuit breaker: tasks failed to start".to_owned());
            Ok(state)
        })
    }
}

#[tokio::test]
async fn a_failed_rollout_rolls_back_to_the_previous_revision() {
    let s = setup(moto_settings(), None, false).await;
    let id = s.request(&s.form("deploy")).await;
    let stop = s.worker(Some(Arc::new(FailingRollout)));
    let detail = s.finished(id).await;
    stop.cancel();
    assert_eq!(detail.job.state, JobState::RolledBack, "{detail:#?}");
    assert!(detail
        .job
        .reason
        .as_deref()
        .unwrap_or_default()
        .contains("circuit breaker"));
    assert_eq!(s.running_revision().await, s.first_revision);
    assert_eq!(s.revisions().await, 2, "the new revision stays registered");
}

#[tokio::test]
async fn a_rollback_job_points_the_service_at_an_earlier_revision() {
    let moto = PrivateMoto::start_with_running(Some(1));
    let s = setup(moto.settings(), None, false).await;
    let deploy = s.request(&s.form("deploy")).await;
    let stop = s.worker(None);
    assert_eq!(s.finished(deploy).await.job.state, JobState::Succeeded);
    let deployed = s.running_revision().await;
    let mut form = s.form("rollback");
    form.revision = format!("{}:1", s.family);
    let rollback = s.request(&form).await;
    let detail = s.finished(rollback).await;
    stop.cancel();
    assert_eq!(detail.job.state, JobState::Succeeded, "{detail:#?}");
    assert_eq!(detail.job.kind, JobKind::Rollback);
    assert_eq!(s.running_revision().await, s.first_revision);
    assert_ne!(deployed, s.first_revision);
    assert_eq!(s.revisions().await, 2, "a roll back registers nothing");
}

#[tokio::test]
async fn confirm_runs_only_the_plan_shown_and_only_once() {
    let s = setup(moto_settings(), None, false).await;
    let form = s.form("deploy");
    let planned = service::plan(
        &s.db,
        &s.handle,
        s.env.name.as_str(),
        &form,
        gantry_core::clock::testing::clock().now(),
    )
    .await
    .unwrap();
    let operator = gantry_core::jobs::testing::operator();
    let now = gantry_core::clock::testing::clock().now();
    // A forged or outdated hash is refused.
    let forged = service::confirm(
        &s.db,
        &s.handle,
        &operator,
        s.env.name.as_str(),
        &form,
        &"0".repeat(64),
        now,
    )
    .await;
    assert!(
        matches!(&forged, Err(JobsError::Conflict(m)) if m.contains("live state changed")),
        "{forged:?}"
    );
    let job = service::confirm(
        &s.db,
        &s.handle,
        &operator,
        s.env.name.as_str(),
        &form,
        &planned.plan_hash,
        now,
    )
    .await
    .unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.plan_hash, planned.plan_hash);
    // The same confirm again (a double click, a replayed request).
    let again = service::confirm(
        &s.db,
        &s.handle,
        &operator,
        s.env.name.as_str(),
        &form,
        &planned.plan_hash,
        now,
    )
    .await;
    assert!(matches!(again, Err(JobsError::Conflict(_))), "{again:?}");
    // Someone changes the service by hand: the shown plan no longer holds.
    let aws = s.aws().await;
    let other = ecs_change::ensure_revision(
        &aws.ecs,
        &s.first_revision,
        "django",
        "registry.example/booking:1.0.1",
        "by-hand",
    )
    .await
    .unwrap();
    ecs_change::ensure_task_definition(&aws.ecs, &s.env.cluster, &s.env.services[0].name, &other)
        .await
        .unwrap();
    let mut form2 = form.clone();
    form2.image = "registry.example/booking:3.0.0".into();
    let shown = service::plan(
        &s.db,
        &s.handle,
        s.env.name.as_str(),
        &form2,
        gantry_core::clock::testing::clock().now(),
    )
    .await
    .unwrap();
    ecs_change::ensure_task_definition(
        &aws.ecs,
        &s.env.cluster,
        &s.env.services[0].name,
        &s.first_revision,
    )
    .await
    .unwrap();
    let moved = service::confirm(
        &s.db,
        &s.handle,
        &operator,
        s.env.name.as_str(),
        &form2,
        &shown.plan_hash,
        now,
    )
    .await;
    assert!(matches!(moved, Err(JobsError::Conflict(_))), "{moved:?}");
    let page = store::list(
        &s.db,
        &store::JobFilter::default(),
        &store::JobPageRequest::first(10),
    )
    .await
    .unwrap();
    assert_eq!(page.jobs.len(), 1, "only the first confirm made a job");
}

#[tokio::test]
async fn production_changes_wait_for_approval_and_bad_input_makes_no_job() {
    let s = setup(moto_settings(), None, true).await;
    let id = s.request(&s.form("deploy")).await;
    assert_eq!(
        store::get(&s.db, id).await.unwrap().job.state,
        JobState::AwaitingApproval
    );
    let name = s.env.name.as_str();
    for (form, text) in [
        (
            JobForm {
                image: "booking".into(),
                ..s.form("deploy")
            },
            "needs a tag",
        ),
        (
            JobForm {
                image: "registry.example/booking:1.0.0".into(),
                ..s.form("deploy")
            },
            "nothing to deploy",
        ),
        (
            JobForm {
                desired: "-3".into(),
                ..s.form("scale")
            },
            "between 0 and 50",
        ),
        (
            JobForm {
                revision: "other-family:1".into(),
                ..s.form("rollback")
            },
            "is not a revision of",
        ),
        (
            JobForm {
                revision: format!("{}:99", s.family),
                ..s.form("rollback")
            },
            "cannot be read",
        ),
    ] {
        match service::plan(
            &s.db,
            &s.handle,
            name,
            &form,
            gantry_core::clock::testing::clock().now(),
        )
        .await
        {
            Err(JobsError::Validation(m)) => assert!(m.contains(text), "{form:?}: {m}"),
            other => panic!("{form:?}: {other:?}"),
        }
    }
    match service::plan(
        &s.db,
        &s.handle,
        "nowhere",
        &s.form("deploy"),
        gantry_core::clock::testing::clock().now(),
    )
    .await
    {
        Err(JobsError::Validation(m)) => assert!(m.contains("unknown environment")),
        other => panic!("{other:?}"),
    }
    let page = store::list(
        &s.db,
        &store::JobFilter::default(),
        &store::JobPageRequest::first(10),
    )
    .await
    .unwrap();
    assert_eq!(page.jobs.len(), 1);
}

#[tokio::test]
async fn a_teardown_removes_the_service_its_revisions_and_parameters_once() {
    use gantry_core::aws::ssm;
    use gantry_core::health::snapshot::ParameterKind;
    use secrecy::SecretString;

    let s = setup(moto_settings(), None, false).await;
    let aws = s.aws().await;
    let prefix = s.env.ssm_prefix.to_string();
    for (name, kind) in [
        ("DATABASE_URL", ParameterKind::SecureString),
        ("LOG_LEVEL", ParameterKind::String),
    ] {
        ssm::ensure_value(
            &aws.ssm,
            &format!("{prefix}{name}"),
            kind,
            &SecretString::from("value-1"),
        )
        .await
        .unwrap();
    }
    let planned = service::plan(
        &s.db,
        &s.handle,
        s.env.name.as_str(),
        &s.form("teardown"),
        gantry_core::clock::testing::clock().now(),
    )
    .await
    .unwrap();
    let actions: Vec<_> = planned
        .plan
        .steps
        .iter()
        .map(|p| p.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "ecs.scale",
            "ecs.delete_service",
            "ecs.deregister_revisions",
            "ssm.delete_parameters"
        ]
    );
    // Parameter names, never values, are in the plan.
    let plan_text = serde_json::to_string(&planned.plan).unwrap();
    assert!(plan_text.contains("DATABASE_URL"));
    assert!(!plan_text.contains("value-1"), "{plan_text}");

    let id = s.request(&s.form("teardown")).await;
    let stop = s.worker(None);
    let detail = s.finished(id).await;
    stop.cancel();
    assert_eq!(detail.job.state, JobState::Succeeded, "{detail:#?}");
    assert!(
        ecs_change::service_state(&aws.ecs, &s.env.cluster, &s.env.services[0].name)
            .await
            .unwrap()
            .is_none(),
        "the service is gone"
    );
    assert!(ecs_change::active_revisions(&aws.ecs, &s.family)
        .await
        .unwrap()
        .is_empty());
    assert!(ssm::parameters_under(&aws.ssm, &prefix)
        .await
        .unwrap()
        .is_empty());
    // Nothing is left: a second tear-down has nothing to plan.
    match service::plan(
        &s.db,
        &s.handle,
        s.env.name.as_str(),
        &s.form("teardown"),
        gantry_core::clock::testing::clock().now(),
    )
    .await
    {
        Err(JobsError::Validation(m)) => assert!(m.contains("nothing in AWS"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_expired_preview_is_torn_down_by_itself_once_and_its_ttl_can_be_extended() {
    let s = setup(moto_settings(), None, false).await;
    let operator = gantry_core::jobs::testing::operator();
    // A preview environment over the same fresh cluster, with a one-hour
    // TTL. It takes the service over (two environments may not list the same
    // service, nor share a prefix): the first one lists another service and
    // prefix from now on.
    let mut input = s.env.to_input();
    input.name = unique("preview-ttl");
    input.ttl_hours = Some(1);
    let mut first = s.env.to_input();
    first.services[0].name = format!("{}-retired", first.services[0].name);
    first.ssm_prefix = format!("/{}-retired/", s.env.name);
    gantry_core::environments::service::save(&s.db, &operator, first)
        .await
        .unwrap();
    let preview = gantry_core::environments::service::save(&s.db, &operator, input)
        .await
        .unwrap();
    let created = preview.created_at;

    // A person extends it: 1 + 24 hours.
    let extended = gantry_core::environments::service::extend_ttl(
        &s.db,
        &operator,
        &preview.name,
        24,
        created,
    )
    .await
    .unwrap();
    assert_eq!(extended.ttl_hours, Some(25));
    for (name, hours, text) in [
        (&preview.name, 0, "1 to 720"),
        (&preview.name, 700, "at most 720 hours"),
        (&s.env.name, 24, "no time-to-live"),
    ] {
        match gantry_core::environments::service::extend_ttl(&s.db, &operator, name, hours, created)
            .await
        {
            Err(gantry_core::CoreError::Invalid(m)) => assert!(m.contains(text), "{m}"),
            other => panic!("{hours}: {other:?}"),
        }
    }

    // Before its expiry nothing is queued; after it, one tear-down, once.
    let before = created + chrono::Duration::hours(24);
    assert!(service::reap_expired(&s.db, &s.handle, before)
        .await
        .unwrap()
        .is_empty());
    let after = created + chrono::Duration::hours(26);
    let queued = service::reap_expired(&s.db, &s.handle, after)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert!(service::reap_expired(&s.db, &s.handle, after)
        .await
        .unwrap()
        .is_empty());
    let job = store::get(&s.db, queued[0]).await.unwrap().job;
    assert_eq!(job.kind, JobKind::Teardown);
    assert_eq!(job.environment, preview.name);
    assert_eq!(job.requested_by, service::TTL_ACTOR);

    let stop = s.worker(None);
    let detail = s.finished(queued[0]).await;
    stop.cancel();
    assert_eq!(detail.job.state, JobState::Succeeded, "{detail:#?}");
    let aws = s.aws().await;
    assert!(
        ecs_change::service_state(&aws.ecs, &s.env.cluster, &s.env.services[0].name)
            .await
            .unwrap()
            .is_none()
    );
    assert!(service::reap_expired(&s.db, &s.handle, after)
        .await
        .unwrap()
        .is_empty());
}

/// The document keeps itself current: a module realised by the service a
/// deploy changes is marked deployed in the job's environment when the job
/// succeeds — in the module's history "by job #N", in the job's audit
/// record, in the markdown export — and a failed job marks nothing.
#[tokio::test]
async fn a_succeeded_deploy_marks_the_modules_it_realises_deployed() {
    use gantry_core::roadmap::model::{ModuleSlug, ModuleStatus};
    use gantry_core::roadmap::{realise, service as roadmap};
    let moto = PrivateMoto::start_with_running(Some(1));
    let s = setup_named(moto.settings(), None, false, "dev").await;
    let settings = roadmap::RoadmapSettings {
        environments: vec![
            gantry_core::shared::EnvName::parse("dev").unwrap(),
            gantry_core::shared::EnvName::parse("prod").unwrap(),
        ],
    };
    let operator = gantry_core::jobs::testing::operator();
    roadmap::import_markdown(
        &s.db,
        &settings,
        include_str!("../../../fixtures/infrastructure-status.md"),
        &operator,
        Default::default(),
        gantry_core::clock::testing::clock().now(),
    )
    .await
    .unwrap();
    let dramatiq = ModuleSlug::parse("dramatiq-worker").unwrap();
    let status = |r: &gantry_core::roadmap::model::Roadmap, env: &str| {
        r.module(&dramatiq)
            .and_then(|m| m.statuses.iter().find(|(e, _)| e.as_str() == env))
            .map(|(_, s)| *s)
    };
    let before = roadmap::roadmap(&s.db).await.unwrap();
    assert_eq!(status(&before, "dev"), Some(ModuleStatus::Planned));

    // Bad input first: an unknown module, a bad line. Nothing changes.
    let unknown = realise::set(
        &s.db,
        &operator,
        &ModuleSlug::parse("no-such").unwrap(),
        "ecs:x",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(unknown, gantry_core::CoreError::NotFound(_)),
        "{unknown:?}"
    );
    let bad = realise::set(&s.db, &operator, &dramatiq, "ecs:ok\ns3:bucket")
        .await
        .unwrap_err()
        .public_message();
    assert!(bad.starts_with("line 2:"), "{bad}");
    assert!(realise::of_module(&s.db, &dramatiq)
        .await
        .unwrap()
        .is_empty());

    let service_name = s.env.services[0].name.clone();
    realise::set(
        &s.db,
        &operator,
        &dramatiq,
        &format!("ecs:{service_name}\nssm:/elsewhere/"),
    )
    .await
    .unwrap();

    let id = s.request(&s.form("deploy")).await;
    let stop = s.worker(None);
    let detail = s.finished(id).await;
    stop.cancel();
    assert_eq!(detail.job.state, JobState::Succeeded, "{detail:#?}");

    let after = roadmap::roadmap(&s.db).await.unwrap();
    assert_eq!(status(&after, "dev"), Some(ModuleStatus::Deployed));
    assert_eq!(
        status(&after, "prod"),
        Some(ModuleStatus::Planned),
        "only the job's environment"
    );
    let history = roadmap::module_history(&s.db, &dramatiq).await.unwrap();
    let by_job = history
        .iter()
        .find(|h| h.field == "status.dev")
        .expect("a history row");
    assert_eq!(by_job.source, format!("job #{id}"));
    assert_eq!(
        (by_job.from.as_deref(), by_job.to.as_deref()),
        (Some("planned"), Some("deployed"))
    );
    let export = roadmap::export_markdown(&s.db).await.unwrap();
    let section = export
        .split("### 3. Dramatiq Worker Module")
        .nth(1)
        .expect("the module in the export");
    let section = section.split("### ").next().unwrap_or_default();
    assert!(section.contains("dev deployed"), "{section}");
    let audit = gantry_core::audit::service::page(
        &s.db,
        &gantry_core::audit::AuditFilter {
            target: Some(id.audit_target()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let succeeded = audit
        .records
        .iter()
        .find(|r| r.action == "job.succeeded")
        .expect("job.succeeded");
    assert_eq!(
        succeeded
            .after
            .as_ref()
            .map(|d| d["roadmap_deployed"].clone()),
        Some(serde_json::json!(["dramatiq-worker"]))
    );
}
