//! Production approvals through the use cases the pages call, on both
//! backends: the requester refused (by subject, whatever their roles), one
//! person counted once, the job queued when the last approval arrives and
//! not before, a rejection ending the request, break-glass and its review by
//! another admin, expiry; and on PostgreSQL two "replicas" (two pools)
//! approving at the same instant, the job queued exactly once.

use std::collections::BTreeSet;

use chrono::Duration;
use gantry_core::approvals::rules::Decision;
use gantry_core::approvals::service::{self, Outcome};
use gantry_core::approvals::ApprovalsError;
use gantry_core::auth::{Principal, Role};
use gantry_core::jobs::notify::JobsNotifier;
use gantry_core::jobs::store::{self, NewJob};
use gantry_core::jobs::{JobId, JobState};
use gantry_core::shared::Actor;
use gantry_core::Db;

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
        decision,
        "checked the plan",
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
        now(),
    )
    .await
    {
        Err(ApprovalsError::Refused(m)) => assert!(m.contains("admin"), "{m}"),
        other => panic!("{other:?}"),
    }
    match service::break_glass(&db, &notifier, &ada, &actor(&ada), id, "now", now()).await {
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
        Decision::Approve,
        "",
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
