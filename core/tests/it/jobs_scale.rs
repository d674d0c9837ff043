//! The scale job end to end: planned from moto's live state through the real
//! SDK clients, enqueued, claimed and run by the real worker with the
//! `AwsRunner`; the effect checked in AWS (ECS's desired count).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gantry_core::aws::testing::{demo_environment_input, moto_settings};
use gantry_core::aws::{ecs_change, AwsCallCounter, AwsClients};
use gantry_core::environments::model::{Environment, ServiceInput};
use gantry_core::jobs::kinds::scale::{self, ScaleRequest};
use gantry_core::jobs::kinds::AwsRunner;
use gantry_core::jobs::notify::JobsNotifier;
use gantry_core::jobs::store::{self, NewJob};
use gantry_core::jobs::worker::{Worker, WorkerConfig};
use gantry_core::jobs::{JobId, JobKind, JobState, JobsError};
use gantry_core::Db;
use tokio_util::sync::CancellationToken;

use crate::aws_changes::{service, unique};

/// A non-production environment over a fresh moto cluster and service.
async fn environment(db: &Db, desired: i32) -> (Environment, AwsClients) {
    let clients = AwsClients::new(moto_settings(), AwsCallCounter::new());
    let probe = clients
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await;
    let (cluster, name, _, _) = service(&probe.ecs, desired).await;
    let mut input = demo_environment_input("dev");
    input.name = unique("jobs");
    input.cluster = cluster;
    input.ssm_prefix = format!("/{}/", input.name);
    input.database = None;
    input.services = vec![ServiceInput {
        name,
        container: "django".to_owned(),
        health_url: None,
    }];
    let actor = gantry_core::jobs::testing::operator();
    let env = gantry_core::environments::service::save(db, &actor, input)
        .await
        .unwrap();
    (env, clients)
}

fn worker(db: &Db, clients: &AwsClients) -> CancellationToken {
    let config = WorkerConfig {
        lease: Duration::from_millis(500),
        heartbeat_every: Duration::from_millis(100),
        poll_interval: Duration::from_millis(50),
        ..WorkerConfig::new(unique("worker"))
    };
    let worker = Worker::new(
        db.clone(),
        Arc::new(AwsRunner::new(clients.clone())),
        config,
        gantry_core::clock::testing::clock(),
        JobsNotifier::new(),
    );
    let shutdown = CancellationToken::new();
    worker.spawn(shutdown.clone());
    shutdown
}

async fn finished(db: &Db, id: JobId) -> store::Job {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let job = store::get(db, id).await.unwrap().job;
        if job.state.is_final() {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} still {:?}", job.state);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn desired(clients: &AwsClients, env: &Environment) -> i32 {
    let aws = clients.for_environment(env).await;
    ecs_change::service_state(&aws.ecs, &env.cluster, &env.services[0].name)
        .await
        .unwrap()
        .unwrap()
        .desired
}

async fn enqueue_scale(db: &Db, clients: &AwsClients, env: &Environment, to: i32) -> JobId {
    let request = ScaleRequest {
        service: env.services[0].name.clone(),
        desired: to,
    };
    let aws = clients.for_environment(env).await;
    let plan = scale::plan(&aws, env, &request).await.unwrap();
    let new = NewJob {
        environment: env.name.clone(),
        kind: JobKind::Scale,
        requested_by: gantry_core::jobs::testing::operator(),
        params: serde_json::to_value(&request).unwrap(),
        plan,
        production: false,
        creates: None,
        request_reason: None,
    };
    store::enqueue(db, &new, gantry_core::clock::testing::clock().now())
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn a_scale_job_changes_the_desired_count_in_ecs() {
    let db = gantry_core::db::testing::sqlite().await;
    let (env, clients) = environment(&db, 1).await;
    let id = enqueue_scale(&db, &clients, &env, 3).await;
    let stop = worker(&db, &clients);
    let job = finished(&db, id).await;
    stop.cancel();
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    assert_eq!(desired(&clients, &env).await, 3);
}

#[tokio::test]
async fn a_scale_plan_made_stale_by_someone_else_applies_nothing() {
    let db = gantry_core::db::testing::sqlite().await;
    let (env, clients) = environment(&db, 1).await;
    let id = enqueue_scale(&db, &clients, &env, 4).await;
    // Someone scales the service by hand between the plan and the run.
    let aws = clients.for_environment(&env).await;
    ecs_change::ensure_desired_count(&aws.ecs, &env.cluster, &env.services[0].name, 2)
        .await
        .unwrap();
    let stop = worker(&db, &clients);
    let job = finished(&db, id).await;
    stop.cancel();
    assert_eq!(job.state, JobState::Stale, "{job:?}");
    assert_eq!(desired(&clients, &env).await, 2, "nothing applied");
}

#[tokio::test]
async fn bad_scale_requests_are_refused_before_any_job_exists() {
    let db = gantry_core::db::testing::sqlite().await;
    let (env, clients) = environment(&db, 1).await;
    let aws = clients.for_environment(&env).await;
    let service = env.services[0].name.clone();
    for (request, text) in [
        (
            ScaleRequest {
                service: service.clone(),
                desired: -1,
            },
            "between 0 and 50",
        ),
        (
            ScaleRequest {
                service: service.clone(),
                desired: 51,
            },
            "between 0 and 50",
        ),
        (
            ScaleRequest {
                service: "celery".into(),
                desired: 2,
            },
            "has no service \"celery\"",
        ),
        (
            ScaleRequest {
                service: service.clone(),
                desired: 1,
            },
            "nothing to change",
        ),
    ] {
        match scale::plan(&aws, &env, &request).await {
            Err(JobsError::Validation(message)) => {
                assert!(message.contains(text), "{request:?}: {message}")
            }
            other => panic!("{request:?}: {other:?}"),
        }
    }
    let page = store::list(
        &db,
        &store::JobFilter::default(),
        &store::JobPageRequest {
            before_id: None,
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert!(page.jobs.is_empty(), "no job was created: {page:?}");
}

/// Outside production a retry resumes where the job stopped, unless its
/// remaining steps would now do something else: then it is refused as
/// stale, like a confirm, and nothing is queued.
#[tokio::test]
async fn a_retry_whose_remaining_plan_moved_is_refused_as_stale() {
    use gantry_core::jobs::kinds::request::JobRequest;
    use gantry_core::jobs::service::{self, JobsHandle, Retried};
    let db = gantry_core::db::testing::sqlite().await;
    let (env, clients) = environment(&db, 1).await;
    let request = ScaleRequest {
        service: env.services[0].name.clone(),
        desired: 4,
    };
    let aws = clients.for_environment(&env).await;
    let new = NewJob {
        environment: env.name.clone(),
        kind: JobKind::Scale,
        requested_by: gantry_core::jobs::testing::operator(),
        params: JobRequest::Scale(request.clone()).params(),
        plan: scale::plan(&aws, &env, &request).await.unwrap(),
        production: false,
        creates: None,
        request_reason: None,
    };
    let now = gantry_core::clock::testing::clock().now();
    let id = store::enqueue(&db, &new, now).await.unwrap().id;
    // It fails before applying anything (a worker that gave up).
    let claimed = store::claim(&db, "w", Duration::from_secs(30), now)
        .await
        .unwrap()
        .unwrap();
    store::start_step(&db, &claimed.lease, 0, now)
        .await
        .unwrap();
    store::finish_job(
        &db,
        &claimed.lease,
        JobState::Failed,
        Some("throttled"),
        now,
    )
    .await
    .unwrap();
    let handle = JobsHandle {
        clients: clients.clone(),
        notifier: JobsNotifier::new(),
        template: None,
        sealer: None,
        planning: Default::default(),
    };
    let operator = gantry_core::jobs::testing::operator();
    // Someone scales the service meanwhile: the step would start from 2 now.
    ecs_change::ensure_desired_count(&aws.ecs, &env.cluster, &env.services[0].name, 2)
        .await
        .unwrap();
    match service::retry(&db, &handle, &operator, id, now).await {
        Err(JobsError::Conflict(m)) => assert!(m.contains("plan it again"), "{m}"),
        other => panic!("a stale retry must be refused: {other:?}"),
    }
    assert_eq!(store::job(&db, id).await.unwrap().state, JobState::Failed);
    // Back as planned: the retry resumes at the step it stopped at.
    ecs_change::ensure_desired_count(&aws.ecs, &env.cluster, &env.services[0].name, 1)
        .await
        .unwrap();
    assert_eq!(
        service::retry(&db, &handle, &operator, id, now)
            .await
            .unwrap(),
        Retried::Queued { from_step: 0 }
    );
    let stop = worker(&db, &clients);
    let job = finished(&db, id).await;
    stop.cancel();
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    assert_eq!(desired(&clients, &env).await, 4);
}
