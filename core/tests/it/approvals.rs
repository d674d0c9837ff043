//! Production approvals through the use cases the pages call, on both
//! backends: the requester refused (by subject, whatever their roles), one
//! person counted once, the job queued when the last approval arrives and
//! not before, a rejection ending the request, break-glass and its review by
//! another admin, expiry; and on PostgreSQL two "replicas" (two pools)
//! approving at the same instant, the job queued exactly once.

use std::collections::BTreeSet;

use chrono::Duration;
use gantry_core::approvals::rules::Decision;
use gantry_core::approvals::service::{self, Ballot, Outcome};
use gantry_core::approvals::ApprovalsError;
use gantry_core::auth::{Principal, Role};
use gantry_core::jobs::notify::JobsNotifier;
use gantry_core::jobs::store::{self, NewJob};
use gantry_core::jobs::{JobId, JobState};
use gantry_core::shared::Actor;
use gantry_core::Db;

/// Round prices: one 0.25 vCPU / 0.5 GB task costs $8.76 a month.
const PRICES: gantry_core::cost::fargate::FargatePrices =
    gantry_core::cost::fargate::FargatePrices {
        vcpu_hour_usd: 0.04,
        gb_hour_usd: 0.004,
    };

fn person(subject: &str, groups: &[&str], roles: &[Role]) -> Principal {
    Principal {
        subject: subject.to_owned(),
        name: format!("{subject} (test)"),
        email: None,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        roles: roles.iter().copied().collect::<BTreeSet<_>>(),
    }
}

fn actor(p: &Principal) -> Actor {
    Actor {
        name: p.actor(),
        role: None,
        request_id: None,
        source: "test".to_owned(),
        subject: Some(p.subject.clone()),
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    gantry_core::clock::testing::clock().now()
}

/// A production environment needing `required` approvals from `groups`.
async fn production(db: &Db, required: i64, groups: &[&str], distinct: i64) {
    let mut input = gantry_core::aws::testing::demo_environment_input("prod");
    input.approvals_required = Some(required);
    input.approver_groups = groups.iter().map(|g| (*g).to_owned()).collect();
    input.approval_distinct_groups = Some(distinct);
    input.approval_reason_required = Some(false);
    input.freeze_windows = Vec::new();
    input.monthly_budget_usd = Some(475.0);
    gantry_core::environments::service::save(db, &gantry_core::jobs::testing::operator(), input)
        .await
        .expect("prod saved");
}

/// A production job requested by the test operator (subject `olga`).
async fn request(db: &Db) -> JobId {
    let new = NewJob {
        production: true,
        ..gantry_core::jobs::testing::new_job("prod", 2)
    };
    let job = store::enqueue(db, &new, now()).await.expect("enqueued");
    assert_eq!(job.state, JobState::AwaitingApproval);
    assert_eq!(job.requested_subject.as_deref(), Some("olga"));
    job.id
}

/// The plan hash job `id`'s page shows now (empty for a job that does not
/// exist).
async fn shown(db: &Db, id: JobId) -> String {
    store::job(db, id)
        .await
        .map(|job| job.plan_hash)
        .unwrap_or_default()
}

async fn decide(
    db: &Db,
    who: &Principal,
    id: JobId,
    decision: Decision,
) -> Result<Outcome, ApprovalsError> {
    service::decide(
        db,
        &JobsNotifier::new(),
        who,
        &actor(who),
        id,
        Ballot {
            decision,
            reason: "checked the plan",
            plan_hash: &shown(db, id).await,
        },
        now(),
    )
    .await
}

fn refused(result: Result<Outcome, ApprovalsError>, fragment: &str) {
    match result {
        Err(ApprovalsError::Refused(m)) => assert!(m.contains(fragment), "{m}"),
        other => panic!("expected a refusal naming {fragment:?}, got {other:?}"),
    }
}

async fn state(db: &Db, id: JobId) -> JobState {
    store::job(db, id).await.unwrap().state
}

async fn audit_count(db: &Db, action: &str, id: JobId) -> usize {
    gantry_core::audit::service::page(
        db,
        &gantry_core::audit::model::AuditFilter {
            action: Some(action.to_owned()),
            target: Some(id.audit_target()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
    .records
    .len()
}

async fn the_rules_hold(db: Db) {
    production(&db, 2, &["sre", "dba"], 0).await;
    let id = request(&db).await;
    // The requester, even as an admin with a second session: refused.
    let olga_admin = person("olga", &["sre"], &[Role::Operator, Role::Admin]);
    refused(
        decide(&db, &olga_admin, id, Decision::Approve).await,
        "you requested this change",
    );
    // A viewer, and an approver outside the groups: refused.
    refused(
        decide(
            &db,
            &person("vera", &["sre"], &[Role::Viewer]),
            id,
            Decision::Approve,
        )
        .await,
        "approver role",
    );
    refused(
        decide(
            &db,
            &person("sam", &["sales"], &[Role::Approver]),
            id,
            Decision::Approve,
        )
        .await,
        "sre, dba",
    );
    // One approval of two: recorded, still waiting; the same person again: refused.
    let april = person("april", &["sre"], &[Role::Approver]);
    assert_eq!(
        decide(&db, &april, id, Decision::Approve).await.unwrap(),
        Outcome::Recorded
    );
    assert_eq!(state(&db, id).await, JobState::AwaitingApproval);
    refused(
        decide(&db, &april, id, Decision::Approve).await,
        "decided on this request already",
    );
    // The second: queued, once.
    let dora = person("dora", &["dba"], &[Role::Approver]);
    assert_eq!(
        decide(&db, &dora, id, Decision::Approve).await.unwrap(),
        Outcome::Queued
    );
    assert_eq!(state(&db, id).await, JobState::Queued);
    assert_eq!(audit_count(&db, "job.approved", id).await, 1);
    assert_eq!(audit_count(&db, "approval.approve", id).await, 2);
    refused(
        decide(
            &db,
            &person("bob", &["sre"], &[Role::Approver]),
            id,
            Decision::Approve,
        )
        .await,
        "this request is queued",
    );

    // A rejection ends the request.
    let id = request(&db).await;
    assert_eq!(
        decide(&db, &april, id, Decision::Reject).await.unwrap(),
        Outcome::Rejected
    );
    let job = store::job(&db, id).await.unwrap();
    assert_eq!(job.state, JobState::Cancelled);
    assert!(
        job.reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("rejected by april"),
        "{:?}",
        job.reason
    );
    refused(
        decide(&db, &dora, id, Decision::Approve).await,
        "this request is cancelled",
    );

    // Break-glass: admins only, with a reason; reviewed by another admin.
    let id = request(&db).await;
    let ada = person("ada", &[], &[Role::Admin]);
    let notifier = JobsNotifier::new();
    match service::break_glass(
        &db,
        &notifier,
        &april,
        &actor(&april),
        id,
        "prod is down, need it now",
        &shown(&db, id).await,
        now(),
    )
    .await
    {
        Err(ApprovalsError::Refused(m)) => assert!(m.contains("admin"), "{m}"),
        other => panic!("{other:?}"),
    }
    match service::break_glass(
        &db,
        &notifier,
        &ada,
        &actor(&ada),
        id,
        "now",
        &shown(&db, id).await,
        now(),
    )
    .await
    {
        Err(ApprovalsError::Validation(m)) => assert!(m.contains("at least 10"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        state(&db, id).await,
        JobState::AwaitingApproval,
        "a refused break-glass changes nothing"
    );
    service::break_glass(
        &db,
        &notifier,
        &ada,
        &actor(&ada),
        id,
        "prod is down, need it now",
        &shown(&db, id).await,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(state(&db, id).await, JobState::Queued);
    assert_eq!(audit_count(&db, "job.break_glass", id).await, 1);
    assert!(service::needs_review(&db)
        .await
        .unwrap()
        .iter()
        .any(|j| j.id == id));
    match service::review(&db, &ada, &actor(&ada), id, now()).await {
        Err(ApprovalsError::Refused(m)) => assert!(m.contains("another admin"), "{m}"),
        other => panic!("{other:?}"),
    }
    let eve = person("eve", &[], &[Role::Admin]);
    service::review(&db, &eve, &actor(&eve), id, now())
        .await
        .unwrap();
    assert!(!service::needs_review(&db)
        .await
        .unwrap()
        .iter()
        .any(|j| j.id == id));

    // Expiry: 24 h after the request, it cannot be decided and the sweep ends it.
    let id = request(&db).await;
    let later = now() + Duration::hours(25);
    match service::decide(
        &db,
        &notifier,
        &april,
        &actor(&april),
        id,
        Ballot {
            decision: Decision::Approve,
            reason: "",
            plan_hash: &shown(&db, id).await,
        },
        later,
    )
    .await
    {
        Err(ApprovalsError::Refused(m)) => assert!(m.contains("expired"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        service::expire(&db, now()).await.unwrap(),
        Vec::<JobId>::new()
    );
    assert_eq!(service::expire(&db, later).await.unwrap(), vec![id]);
    assert_eq!(state(&db, id).await, JobState::Cancelled);

    // The inbox: what waits for april, never her own requests.
    let id = request(&db).await;
    let inbox = service::inbox(&db, &april, now()).await.unwrap();
    assert!(inbox.waiting.iter().any(|j| j.id == id));
    let olga = person("olga", &["sre"], &[Role::Approver]);
    let inbox = service::inbox(&db, &olga, now()).await.unwrap();
    assert!(
        !inbox.waiting.iter().any(|j| j.id == id),
        "the requester's own request is not in their inbox"
    );

    // Bad input: an unknown request; no reason where the policy asks for
    // one. Nothing is recorded.
    match decide(&db, &april, JobId(987_654), Decision::Approve).await {
        Err(ApprovalsError::NotFound(missing)) => assert_eq!(missing, JobId(987_654)),
        other => panic!("{other:?}"),
    }
    let mut strict = gantry_core::aws::testing::demo_environment_input("prod");
    strict.approvals_required = Some(2);
    strict.approver_groups = vec!["sre".into(), "dba".into()];
    strict.approval_reason_required = Some(true);
    strict.freeze_windows = Vec::new();
    gantry_core::environments::service::save(&db, &gantry_core::jobs::testing::operator(), strict)
        .await
        .unwrap();
    for decision in [Decision::Approve, Decision::Reject] {
        match service::decide(
            &db,
            &notifier,
            &april,
            &actor(&april),
            id,
            Ballot {
                decision,
                reason: "  ",
                plan_hash: &shown(&db, id).await,
            },
            now(),
        )
        .await
        {
            Err(ApprovalsError::Validation(m)) => assert!(m.contains("reason"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    assert!(gantry_core::approvals::store::for_job(&db, id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(state(&db, id).await, JobState::AwaitingApproval);

    assert!(matches!(
        gantry_core::audit::store::verify(&db).await.unwrap(),
        gantry_core::audit::model::VerifyReport::Ok { .. }
    ));
}

#[tokio::test]
async fn the_approval_rules_hold_on_sqlite() {
    the_rules_hold(gantry_core::db::testing::sqlite().await).await;
}

#[tokio::test]
async fn the_approval_rules_hold_on_postgres() {
    the_rules_hold(gantry_core::db::testing::postgres().await).await;
}

/// Two replicas (two pools on one PostgreSQL database) record the two last
/// approvals, then a third, at the same instant, many times over: each job
/// is queued exactly once.
#[tokio::test]
async fn simultaneous_approvals_on_two_replicas_queue_the_job_once() {
    let (name, url) = gantry_core::db::testing::postgres_database().await;
    let connect = || async {
        Db::connect(&gantry_core::db::DbOptions::new(url.clone()))
            .await
            .expect("a replica's pool")
            .with_audit(gantry_core::db::testing::audit_settings(&name))
    };
    let (a, b) = (connect().await, connect().await);
    production(&a, 2, &[], 0).await;
    let approvers = [
        person("april", &[], &[Role::Approver]),
        person("bob", &[], &[Role::Approver]),
        person("carol", &[], &[Role::Approver]),
    ];
    for _ in 0..10 {
        let id = request(&a).await;
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(3));
        let mut tasks = Vec::new();
        for (i, who) in approvers.iter().cloned().enumerate() {
            let db = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                decide(&db, &who, id, Decision::Approve).await
            }));
        }
        let mut queued = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(Outcome::Queued) => queued += 1,
                Ok(Outcome::Recorded) => {}
                Err(ApprovalsError::Refused(m)) => assert!(m.contains("queued"), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(queued, 1, "job {id} queued once");
        assert_eq!(state(&a, id).await, JobState::Queued);
        assert_eq!(audit_count(&a, "job.approved", id).await, 1);
    }
    assert!(matches!(
        gantry_core::audit::store::verify(&a).await.unwrap(),
        gantry_core::audit::model::VerifyReport::Ok { .. }
    ));
}

/// Approvals are bound to the plan: a request re-planned after the live state
/// moved keeps none of them (the page says how many no longer count), and
/// needs its approvals again. Against moto: a production scale whose service
/// is scaled by someone else between the first approval and the second.
#[tokio::test]
async fn re_planning_voids_the_approvals_given_so_far() {
    use gantry_core::aws::{AwsCallCounter, AwsClients};
    use gantry_core::environments::model::ServiceInput;
    use gantry_core::jobs::kinds::request::JobForm;
    use gantry_core::jobs::service::JobsHandle;

    let moto = gantry_core::aws::testing::PrivateMoto::start();
    let db = gantry_core::db::testing::sqlite().await;
    let handle = JobsHandle {
        clients: AwsClients::new(moto.settings(), AwsCallCounter::new()),
        notifier: JobsNotifier::new(),
        template: None,
        sealer: None,
        planning: Default::default(),
    };
    let probe = handle
        .clients
        .for_environment(&gantry_core::aws::testing::demo_environment("dev"))
        .await;
    let (cluster, service_name, _, _) = crate::aws_changes::service(&probe.ecs, 1).await;
    // Production on moto's service, two approvals, and the freeze windows given.
    let production_with = |freeze_windows| {
        let mut input = gantry_core::aws::testing::demo_environment_input("prod");
        input.cluster = cluster.clone();
        input.database = None;
        input.services = vec![ServiceInput {
            name: service_name.clone(),
            container: "django".into(),
            health_url: None,
        }];
        input.approvals_required = Some(2);
        input.approver_groups = Vec::new();
        input.approval_reason_required = Some(false);
        input.freeze_windows = freeze_windows;
        input
    };
    gantry_core::environments::service::save(
        &db,
        &gantry_core::jobs::testing::operator(),
        production_with(Vec::new()),
    )
    .await
    .unwrap();
    let form = JobForm {
        kind: "scale".into(),
        service: service_name.clone(),
        desired: "2".into(),
        reason: "more capacity for the launch".into(),
        ..JobForm::default()
    };
    let planned = gantry_core::jobs::service::plan(&db, &handle, "prod", &form, now())
        .await
        .unwrap();
    let operator = gantry_core::jobs::testing::operator();
    let job = gantry_core::jobs::service::confirm(
        &db,
        &handle,
        &operator,
        "prod",
        &form,
        &planned.plan_hash,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(job.state, JobState::AwaitingApproval);
    assert_eq!(
        job.request_reason.as_deref(),
        Some("more capacity for the launch")
    );

    let april = person("april", &[], &[Role::Approver]);
    assert_eq!(
        decide(&db, &april, job.id, Decision::Approve)
            .await
            .unwrap(),
        Outcome::Recorded
    );
    // Nothing moved: re-planning is refused and the approval stands.
    match gantry_core::jobs::service::replan(&db, &handle, &operator, job.id, now()).await {
        Err(gantry_core::jobs::JobsError::Validation(m)) => {
            assert!(m.contains("approvals stand"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // Bob opens the request: his page shows the first plan.
    let bob = person("bob", &[], &[Role::Approver]);
    let bob_saw = shown(&db, job.id).await;
    // Someone scales the service meanwhile: the plan moves, the approval is void.
    gantry_core::aws::ecs_change::ensure_desired_count(&probe.ecs, &cluster, &service_name, 3)
        .await
        .unwrap();
    let replanned = gantry_core::jobs::service::replan(&db, &handle, &operator, job.id, now())
        .await
        .unwrap();
    assert_ne!(replanned.plan_hash, job.plan_hash);
    // Bob clicks Approve on the page he opened before the re-plan: refused,
    // nothing recorded, nothing queued, whatever the decision.
    for decision in [Decision::Approve, Decision::Reject] {
        match service::decide(
            &db,
            &JobsNotifier::new(),
            &bob,
            &actor(&bob),
            job.id,
            Ballot {
                decision,
                reason: "looks fine",
                plan_hash: &bob_saw,
            },
            now(),
        )
        .await
        {
            Err(ApprovalsError::PlanChanged(m)) => {
                assert!(m.contains("the plan changed since you opened it"), "{m}")
            }
            other => panic!("a decision on a plan never shown must be refused: {other:?}"),
        }
    }
    // An admin's break-glass is bound the same way.
    let ada = person("ada", &[], &[Role::Admin]);
    match service::break_glass(
        &db,
        &JobsNotifier::new(),
        &ada,
        &actor(&ada),
        job.id,
        "prod is down, need it now",
        &bob_saw,
        now(),
    )
    .await
    {
        Err(ApprovalsError::PlanChanged(_)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        gantry_core::approvals::store::for_job(&db, job.id)
            .await
            .unwrap()
            .len(),
        1,
        "only April's first approval is recorded"
    );
    assert_eq!(state(&db, job.id).await, JobState::AwaitingApproval);
    assert_eq!(replanned.plan.steps[0].before["desired"], 3);
    // The plan carries the tasks it changes, read from ECS: 1 → 2 tasks of
    // 256 CPU units / 512 MiB when first planned, 3 → 2 after the re-plan.
    let quarter = Some(gantry_core::jobs::model::TaskSize {
        cpu: 256,
        memory_mib: 512,
    });
    let tasks = |tasks| gantry_core::jobs::model::Footprint {
        service: service_name.clone(),
        tasks,
        size: quarter,
    };
    assert_eq!(
        job.plan.compute,
        Some(gantry_core::jobs::model::ComputeChange {
            before: vec![tasks(1)],
            after: vec![tasks(2)],
        })
    );
    let compute = replanned.plan.compute.clone().expect("compute");
    assert_eq!(
        (compute.before, compute.after),
        (vec![tasks(3)], vec![tasks(2)])
    );
    let approvals = service::for_job(&db, &april, &replanned, &PRICES, now())
        .await
        .unwrap();
    assert_eq!((approvals.counted, approvals.voided), (0, 1));
    let delta = approvals.cost_delta.expect("the plan's cost");
    assert_eq!((delta.before_cents, delta.after_cents), (3 * 876, 2 * 876));
    assert_eq!(delta.delta_cents, -876);
    assert!(delta.unpriced.is_empty());
    assert_eq!(audit_count(&db, "job.replanned", job.id).await, 1);
    // April may approve the new plan; with Bob's approval it is queued.
    assert_eq!(
        decide(&db, &april, job.id, Decision::Approve)
            .await
            .unwrap(),
        Outcome::Recorded
    );
    assert_eq!(
        decide(&db, &bob, job.id, Decision::Approve).await.unwrap(),
        Outcome::Queued
    );

    // It runs and fails at step 1. A change freeze starts.
    let claimed = store::claim(&db, "w1", std::time::Duration::from_secs(30), now())
        .await
        .unwrap()
        .expect("claimed");
    store::start_step(&db, &claimed.lease, 0, now())
        .await
        .unwrap();
    store::finish_job(
        &db,
        &claimed.lease,
        JobState::Failed,
        Some("ECS said no"),
        now(),
    )
    .await
    .unwrap();
    let frozen = production_with(vec![gantry_core::environments::model::FreezeWindowInput {
        starts_at: (now() - Duration::hours(1)).to_rfc3339(),
        ends_at: (now() + Duration::hours(48)).to_rfc3339(),
        reason: "launch freeze".into(),
    }]);
    gantry_core::environments::service::save(&db, &operator, frozen)
        .await
        .unwrap();
    // A retry a day later does not run: planned again, attempt 2, awaiting
    // approval; the approvals of attempt 1 count for nothing.
    let later = now() + Duration::hours(30);
    let retried = gantry_core::jobs::service::retry(&db, &handle, &operator, job.id, later)
        .await
        .unwrap();
    assert_eq!(
        retried,
        gantry_core::jobs::service::Retried::AwaitsApproval { attempt: 2 }
    );
    let attempt2 = store::job(&db, job.id).await.unwrap();
    assert_eq!(attempt2.state, JobState::AwaitingApproval);
    assert_eq!(
        attempt2.approval_requested_at(),
        later,
        "its expiry counts from the retry"
    );
    assert!(attempt2
        .plan
        .attempt
        .as_ref()
        .unwrap()
        .after
        .contains("ECS said no"));
    let approvals = service::for_job(&db, &april, &attempt2, &PRICES, later)
        .await
        .unwrap();
    assert_eq!(approvals.counted, 0);
    assert!(!approvals.expired);
    // The freeze applies to it like to any request: approving is refused,
    // only break-glass runs it.
    match service::decide(
        &db,
        &JobsNotifier::new(),
        &april,
        &actor(&april),
        job.id,
        Ballot {
            decision: Decision::Approve,
            reason: "",
            plan_hash: &attempt2.plan_hash,
        },
        later,
    )
    .await
    {
        Err(ApprovalsError::Refused(m)) => assert!(m.contains("frozen"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(state(&db, job.id).await, JobState::AwaitingApproval);
    let ada = person("ada", &[], &[Role::Admin]);
    service::break_glass(
        &db,
        &JobsNotifier::new(),
        &ada,
        &actor(&ada),
        job.id,
        "prod is down, need it now",
        &attempt2.plan_hash,
        later,
    )
    .await
    .unwrap();
    assert_eq!(state(&db, job.id).await, JobState::Queued);
    assert_eq!(audit_count(&db, "job.retried", job.id).await, 1);
}

/// A webhook receiver of the test's own on loopback: answers the first
/// `failures` requests with 500, the rest with 200; keeps every body.
async fn receiver(
    failures: usize,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = bodies.clone();
    tokio::spawn(async move {
        let mut served = 0usize;
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then as many body bytes as Content-Length says.
            let body = loop {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buffer.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buffer).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buffer.len() >= end + 4 + length {
                        break Some(buffer[end + 4..end + 4 + length].to_vec());
                    }
                }
            };
            let Some(body) = body else { continue };
            let status = if served < failures { 500 } else { 200 };
            served += 1;
            if status == 200 {
                seen.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
            }
            let answer =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (
        format!("http://127.0.0.1:{port}/hooks/T0001/SECRET-webhook-token"),
        bodies,
    )
}

/// The request, the approval and the queueing are told to the environment's
/// webhook from the outbox: a 500 is retried later with backoff, a restart
/// (a new deliverer) delivers what is left, and the webhook URL, a secret,
/// is in no stored row, error or audit record.
#[tokio::test]
async fn notifications_reach_the_webhook_with_retries_and_survive_a_restart() {
    use gantry_core::outbox::{self, Deliverer, Webhooks};
    let db = gantry_core::db::testing::sqlite().await;
    production(&db, 1, &[], 0).await;
    // The requester's reason tries to ping the channel and to show a link of
    // its own to the approvers.
    let hostile = "<!channel> <https://evil.example|Open in Gantry>";
    let new = NewJob {
        production: true,
        request_reason: Some(hostile.to_owned()),
        ..gantry_core::jobs::testing::new_job("prod", 2)
    };
    let id = store::enqueue(&db, &new, now()).await.expect("enqueued").id;
    let april = person("april", &[], &[Role::Approver]);
    assert_eq!(
        decide(&db, &april, id, Decision::Approve).await.unwrap(),
        Outcome::Queued
    );
    let events: Vec<_> = outbox::for_job(&db, id.0)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.event)
        .collect();
    assert_eq!(events, ["requested", "approved", "queued"]);

    let (url, received) = receiver(1).await;
    let webhooks = Webhooks::new(
        [("prod".to_owned(), secrecy::SecretString::from(url.clone()))].into(),
        "https://gantry.example.test/",
    );
    assert!(
        !format!("{webhooks:?}").contains("SECRET"),
        "Debug hides the URLs"
    );
    let first = Deliverer::new(db.clone(), webhooks.clone());
    let round = first.deliver_due(now()).await.unwrap();
    assert_eq!((round.delivered, round.failed), (2, 1), "{round:?}");
    // The failed one waits for its backoff: not due again at once.
    assert_eq!(first.deliver_due(now()).await.unwrap().delivered, 0);
    let failed = outbox::for_job(&db, id.0).await.unwrap();
    let pending: Vec<_> = failed.iter().filter(|n| !n.delivered).collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(
        pending[0].last_error.as_deref(),
        Some("the webhook answered 500")
    );
    drop(first);

    // "Restart": another deliverer on the same database, after the backoff.
    let second = Deliverer::new(db.clone(), webhooks);
    let round = second
        .deliver_due(now() + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(round.delivered, 1, "{round:?}");
    assert!(outbox::for_job(&db, id.0)
        .await
        .unwrap()
        .iter()
        .all(|n| n.delivered));

    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    let texts: Vec<String> = bodies
        .iter()
        .map(|b| b["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("requested by Olga Operator")),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("approved by april (test)")),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("approved and queued")),
        "{texts:#?}"
    );
    assert!(bodies
        .iter()
        .all(|b| b["gantry"]["url"] == format!("https://gantry.example.test/jobs/{id}")));
    // What reached chat says the reason in words and mentions and links
    // nothing but Gantry's own link.
    let requested = texts
        .iter()
        .find(|t| t.contains("requested by"))
        .expect("the request's notice");
    assert!(
        requested.contains("&lt;!channel&gt; &lt;https://evil.example|Open in Gantry&gt;"),
        "{requested}"
    );
    for text in &texts {
        assert!(
            !text.contains("<!channel>") && !text.contains("<https://evil"),
            "{text}"
        );
        assert_eq!(text.matches('<').count(), 1, "{text}");
    }

    // The secret is nowhere in what Gantry stored.
    let audit = gantry_core::audit::service::page(&db, &Default::default(), None)
        .await
        .unwrap();
    assert!(!format!("{audit:?}").contains("SECRET-webhook-token"));
    assert!(!format!("{:?}", outbox::for_job(&db, id.0).await.unwrap())
        .contains("SECRET-webhook-token"));
}

/// A weekly freeze whose policy is to wait: the last approval during the
/// freeze does not queue the job; the sweep queues it once the freeze has
/// ended (Monday 08:00 in Berlin), exactly once, and it never expires while
/// it waits.
#[tokio::test]
async fn approved_during_a_freeze_that_waits_runs_when_it_ends() {
    let db = gantry_core::db::testing::sqlite().await;
    let mut input = gantry_core::aws::testing::demo_environment_input("prod");
    input.approvals_required = Some(1);
    input.approver_groups = Vec::new();
    input.approval_reason_required = Some(false);
    input.freeze_windows = Vec::new();
    input.weekly_freezes = vec![gantry_core::environments::model::WeeklyFreezeInput {
        from: "fri 15:00".into(),
        to: "mon 08:00".into(),
        reason: "weekend".into(),
    }];
    input.freeze_time_zone = Some("Europe/Berlin".into());
    input.freeze_mode = Some("wait".into());
    gantry_core::environments::service::save(&db, &gantry_core::jobs::testing::operator(), input)
        .await
        .unwrap();
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let new = NewJob {
        production: true,
        ..gantry_core::jobs::testing::new_job("prod", 1)
    };
    let id = store::enqueue(&db, &new, at("2026-10-30T13:00:00Z"))
        .await
        .unwrap()
        .id;
    let april = person("april", &[], &[Role::Approver]);
    let notifier = JobsNotifier::new();
    // Friday 16:00 in Berlin (CET, UTC+1): inside the freeze.
    let outcome = service::decide(
        &db,
        &notifier,
        &april,
        &actor(&april),
        id,
        Ballot {
            decision: Decision::Approve,
            reason: "",
            plan_hash: &shown(&db, id).await,
        },
        at("2026-10-30T15:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::WaitsForFreeze);
    assert_eq!(state(&db, id).await, JobState::AwaitingApproval);
    // Saturday: still frozen; not expired either, though 24 h have passed.
    assert!(
        service::release_after_freeze(&db, &notifier, at("2026-10-31T20:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(service::expire(&db, at("2026-11-01T20:00:00Z"))
        .await
        .unwrap()
        .is_empty());
    // Monday 07:30 local: frozen; 08:00 local (07:00 UTC): released, once.
    assert!(
        service::release_after_freeze(&db, &notifier, at("2026-11-02T06:30:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        service::release_after_freeze(&db, &notifier, at("2026-11-02T07:00:00Z"))
            .await
            .unwrap(),
        vec![id]
    );
    assert!(
        service::release_after_freeze(&db, &notifier, at("2026-11-02T07:01:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(state(&db, id).await, JobState::Queued);
    assert_eq!(audit_count(&db, "job.approved", id).await, 1);
}

/// The approval page shows the target environment's health with its age and
/// its spend this month against its budget, read from what the health
/// poller and the cost refresher stored.
#[tokio::test]
async fn a_requests_approvals_come_with_the_environments_health_and_spend() {
    let db = gantry_core::db::testing::sqlite().await;
    production(&db, 1, &[], 0).await;
    let id = request(&db).await;
    let april = person("april", &[], &[Role::Approver]);
    let job = store::job(&db, id).await.unwrap();
    let before = service::for_job(&db, &april, &job, &PRICES, now())
        .await
        .unwrap();
    assert!(before.health.is_none(), "no poll yet");
    assert_eq!(
        before.cost.map_or(0, |c| c.month_cents),
        0,
        "no spend read yet"
    );

    let polled = now() - Duration::minutes(2);
    let snapshot = crate::health_store::snap(
        "prod",
        polled,
        gantry_core::health::model::HealthStatus::Healthy,
        gantry_core::health::model::HealthStatus::Healthy,
    );
    gantry_core::health::store::save(&db, &snapshot, None, Duration::days(7))
        .await
        .unwrap();
    let today = now().date_naive();
    gantry_core::cost::store::testing::ingest(
        &db,
        &crate::cost_store::window(today, today - Duration::days(3), true),
    )
    .await;

    let after = service::for_job(&db, &april, &job, &PRICES, now())
        .await
        .unwrap();
    assert_eq!(after.health.as_ref().map(|h| h.polled_at), Some(polled));
    let cost = after.cost.expect("prod's spend");
    assert_eq!(cost.environment, "prod");
    assert!(cost.month_cents > 0, "{cost:?}");
    assert_eq!(cost.budget_cents, Some(47_500));
}

/// "Who may still approve" names the signed-in people the rules let decide:
/// not the requester (an approver too), not one who has decided, not a
/// reader, not a signed-out approver; nobody once the job is queued.
#[tokio::test]
async fn the_page_names_who_may_still_approve() {
    let db = gantry_core::db::testing::sqlite().await;
    production(&db, 2, &[], 0).await;
    let id = request(&db).await;
    let settings = gantry_core::auth::SessionSettings {
        idle: Duration::hours(1),
        absolute: Duration::hours(8),
    };
    let olga = person("olga", &[], &[Role::Operator, Role::Approver]);
    let april = person("april", &[], &[Role::Approver]);
    let bob = person("bob", &[], &[Role::Approver]);
    let carl = person("carl", &[], &[Role::Viewer]);
    let dora = person("dora", &[], &[Role::Approver]);
    let mut tokens = Vec::new();
    for p in [&olga, &april, &bob, &carl, &dora, &april] {
        let new = gantry_core::auth::NewSession {
            principal: p,
            provider: "dev",
            id_token: None,
            refresh_token: None,
        };
        tokens.push(
            gantry_core::auth::session::create(&db, &settings, new)
                .await
                .unwrap(),
        );
    }
    gantry_core::auth::session::revoke(&db, &tokens[4])
        .await
        .unwrap();
    assert_eq!(
        decide(&db, &bob, id, Decision::Approve).await.unwrap(),
        Outcome::Recorded
    );
    let job = store::job(&db, id).await.unwrap();
    let page = service::for_job(&db, &carl, &job, &PRICES, now())
        .await
        .unwrap();
    assert_eq!(page.may_still_approve, vec!["april (test)".to_owned()]);
    assert!(page.cost_delta.is_none(), "a test plan changes no service");

    assert_eq!(
        decide(&db, &april, id, Decision::Approve).await.unwrap(),
        Outcome::Queued
    );
    let job = store::job(&db, id).await.unwrap();
    let page = service::for_job(&db, &carl, &job, &PRICES, now())
        .await
        .unwrap();
    assert!(page.may_still_approve.is_empty());
}

/// The sweeps and the review list read every candidate, page by page: with
/// 2,000 newer requests waiting, the oldest request still expires and the
/// oldest break-glass run is still listed for review.
#[tokio::test]
async fn sweeps_and_the_review_list_see_every_job_however_old() {
    let db = gantry_core::db::testing::sqlite().await;
    production(&db, 1, &[], 0).await;
    let notifier = JobsNotifier::new();
    let numbered = |i: usize| {
        let mut new = NewJob {
            production: true,
            ..gantry_core::jobs::testing::new_job("prod", 1)
        };
        new.plan.fingerprint = format!("request-{i}");
        new
    };
    let long_ago = now() - Duration::hours(48);
    let oldest = store::enqueue(&db, &numbered(0), long_ago)
        .await
        .expect("enqueued")
        .id;
    let glass = store::enqueue(&db, &numbered(1), long_ago)
        .await
        .expect("enqueued")
        .id;
    let ada = person("ada", &[], &[Role::Admin]);
    service::break_glass(
        &db,
        &notifier,
        &ada,
        &actor(&ada),
        glass,
        "prod is down, need it now",
        &shown(&db, glass).await,
        long_ago,
    )
    .await
    .expect("break-glass");
    for i in 2..2_002 {
        store::enqueue(&db, &numbered(i), now())
            .await
            .expect("enqueued");
    }
    let review = service::needs_review(&db).await.unwrap();
    assert_eq!(
        review.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![glass],
        "the old break-glass run is still on the review list"
    );
    assert_eq!(service::expire(&db, now()).await.unwrap(), vec![oldest]);
    assert_eq!(state(&db, oldest).await, JobState::Cancelled);
    let waiting = store::every(
        &db,
        &store::JobFilter {
            state: Some(JobState::AwaitingApproval),
            ..store::JobFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(waiting.len(), 2_000, "every page, none twice");
    assert!(waiting.windows(2).all(|w| w[0].id > w[1].id));
}
