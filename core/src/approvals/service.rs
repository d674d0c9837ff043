//! The approvals use cases the pages call. Each decision is one transaction:
//! the job's row locked, the environment's policy and the job's decisions
//! read, the rules applied, the decision and its audit record written, and —
//! when it was the last approval needed — the job queued, exactly once
//! (a conditional update on the locked row), with its `NOTIFY`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::rules::{self, Decider, Decision, Request};
use super::store::{self, Approval};
use super::{ApprovalsError, ApprovalsResult};
use crate::audit::{AuditedTx, NewAuditEntry};
use crate::auth::{Permission, Principal};
use crate::db::Db;
use crate::environments::model::{ApprovalPolicy, Environment};
use crate::jobs::notify::JobsNotifier;
use crate::jobs::store::{approval as transitions, Job, JobFilter, JobPageRequest};
use crate::jobs::{JobId, JobState};
use crate::outbox;
use crate::shared::Actor;

/// Who ends expired requests in the audit log.
pub const EXPIRY_ACTOR: &str = "gantry (approval expiry)";
/// Who queues approved requests when their freeze ends.
pub const FREEZE_ACTOR: &str = "gantry (freeze ended)";

/// Shortest break-glass reason: a sentence, not "x".
pub const MIN_BREAK_GLASS_REASON: usize = 10;

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Recorded; more approvals are needed.
    Recorded,
    /// The last approval needed: the job is queued.
    Queued,
    /// A rejection: the request ended.
    Rejected,
    /// The last approval needed, during a freeze whose policy is to wait:
    /// the job is queued when the freeze ends ([`release_after_freeze`]).
    WaitsForFreeze,
}

async fn environment_with(
    conn: &mut sqlx::AnyConnection,
    job: &Job,
) -> ApprovalsResult<Environment> {
    crate::environments::store::get_with(conn, &job.environment)
        .await?
        .ok_or_else(|| {
            ApprovalsError::Refused(format!("environment {} no longer exists", job.environment))
        })
}

/// The request as the rules see it.
fn request_of(job: &Job) -> Request<'_> {
    Request {
        state: job.state,
        requested_subject: job.requested_subject.as_deref(),
        plan_hash: &job.plan_hash,
        created_at: job.approval_requested_at(),
    }
}

/// The person as the rules see them.
fn decider_of(principal: &Principal) -> Decider<'_> {
    Decider {
        subject: &principal.subject,
        groups: &principal.groups,
        can_approve: principal.can(Permission::Approve),
    }
}

/// The decisions on job `id`, as the rules count them.
async fn casts_of(db: &Db, id: JobId) -> ApprovalsResult<Vec<rules::Cast>> {
    Ok(store::for_job(db, id)
        .await?
        .iter()
        .map(Approval::cast)
        .collect())
}

/// Whether `principal` may decide on `job` at `now`, and if not why. A
/// rejection needs no less than an approval: asked as for a rejection with
/// a reason, so the answer is about the person, not the form.
fn may_decide(
    policy: &ApprovalPolicy,
    job: &Job,
    casts: &[rules::Cast],
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<(), String> {
    rules::check(
        policy,
        &request_of(job),
        casts,
        &decider_of(principal),
        Decision::Reject,
        "reason",
        now,
    )
    .map_err(|refusal| refusal.to_string())
}

/// What an approver submits: the decision, its reason, and the hash of the
/// plan the page showed them (the decision is bound to that plan and no
/// other).
#[derive(Debug, Clone, Copy)]
pub struct Ballot<'a> {
    pub decision: Decision,
    pub reason: &'a str,
    pub plan_hash: &'a str,
}

/// Refuses a decision made on a plan other than the job's current one.
fn check_seen(job: &Job, seen: &str) -> ApprovalsResult<()> {
    if seen.trim() == job.plan_hash {
        Ok(())
    } else {
        Err(ApprovalsError::PlanChanged(format!(
            "the plan changed since you opened it: job {} was re-planned; review the new plan (shown now) and decide again",
            job.id
        )))
    }
}

/// `principal` approves or rejects job `id` (see [`rules::check`]), bound
/// to the plan they saw: a job re-planned since is refused
/// ([`ApprovalsError::PlanChanged`]) and nothing is recorded. Audited as
/// `approval.approve` / `approval.reject` on `job:<id>`, and `job.approved`
/// when it queues the job.
#[tracing::instrument(skip_all, fields(job = %id, decision = ballot.decision.as_str()))]
pub async fn decide(
    db: &Db,
    notifier: &JobsNotifier,
    principal: &Principal,
    actor: &Actor,
    id: JobId,
    ballot: Ballot<'_>,
    now: DateTime<Utc>,
) -> ApprovalsResult<Outcome> {
    let Ballot {
        decision, reason, ..
    } = ballot;
    let mut tx = AuditedTx::begin(db).await?;
    let job = transitions::lock_job(&mut tx, db.backend(), id)
        .await
        .map_err(|e| match e {
            crate::jobs::JobsError::NotFound(id) => ApprovalsError::NotFound(id),
            other => other.into(),
        })?;
    let env = environment_with(&mut tx, &job).await?;
    let decisions = store::for_job_with(&mut tx, id).await?;
    let casts: Vec<_> = decisions.iter().map(Approval::cast).collect();
    rules::check(
        &env.approval,
        &request_of(&job),
        &casts,
        &decider_of(principal),
        decision,
        reason,
        now,
    )
    .map_err(|refusal| match refusal {
        rules::Refusal::NotAllowed(m) => ApprovalsError::Refused(m),
        rules::Refusal::BadInput(m) => ApprovalsError::Validation(m),
    })?;
    check_seen(&job, ballot.plan_hash)?;
    let reason = Some(reason.trim().to_owned()).filter(|r| !r.is_empty());
    let approval = Approval {
        job_id: id,
        subject: principal.subject.clone(),
        name: principal.name.clone(),
        groups: principal.groups.clone(),
        decision,
        reason: reason.clone(),
        plan_hash: job.plan_hash.clone(),
        at: now,
    };
    store::insert(&mut tx, &approval).await?;
    let mut all = casts;
    all.push(approval.cast());
    let counted = rules::counted(&all, &job.plan_hash);
    let needed = usize::from(env.approval.required_approvals);
    let mut entry = actor.audit(
        &format!("approval.{}", decision.as_str()),
        id.audit_target(),
    );
    entry.after = Some(json!({
        "plan_hash": job.plan_hash,
        "reason": reason,
        "approvals": counted.len(),
        "required": needed,
    }));
    tx.record(&entry).await?;
    let verb = match decision {
        Decision::Approve => "approved",
        Decision::Reject => "rejected",
    };
    let text = format!(
        "Job #{id} ({} on {}) {verb} by {}{} ({} of {needed} approval(s))",
        job.kind,
        job.environment,
        principal.name,
        reason
            .as_deref()
            .map(|r| format!(": \u{201c}{r}\u{201d}"))
            .unwrap_or_default(),
        counted.len(),
    );
    outbox::record(&mut tx, id.0, job.environment.as_str(), verb, &text, now).await?;
    let outcome = match decision {
        Decision::Reject => {
            let why = format!(
                "rejected by {}{}",
                principal.name,
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
            transitions::end_unapproved(&mut tx, id, &why, now).await?;
            let mut ended = actor.audit("job.rejected", id.audit_target());
            ended.after = Some(json!({ "state": JobState::Cancelled.as_str(), "reason": why }));
            tx.record(&ended).await?;
            Outcome::Rejected
        }
        Decision::Approve
            if rules::complete(&env.approval, &counted)
                && env.approval.freeze_at(now).is_some() =>
        {
            // Only in "wait" mode: "refuse" refused the approval above.
            let until = env
                .approval
                .freeze_at(now)
                .map(|f| f.until.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            let text = format!(
                "Job #{id} ({} on {}) is approved; it runs when the freeze ends at {until}",
                job.kind, job.environment
            );
            outbox::record(
                &mut tx,
                id.0,
                job.environment.as_str(),
                "waiting",
                &text,
                now,
            )
            .await?;
            Outcome::WaitsForFreeze
        }
        Decision::Approve if rules::complete(&env.approval, &counted) => {
            let names: Vec<_> = counted.iter().map(|c| c.subject.as_str()).collect();
            let note = format!("approved by {} of {needed}: queued", names.len());
            if transitions::queue_approved(&mut tx, db, id, &note, now).await? {
                let mut queued = actor.audit("job.approved", id.audit_target());
                queued.after = Some(json!({
                    "state": JobState::Queued.as_str(),
                    "plan_hash": job.plan_hash,
                    "approved_by": names,
                }));
                tx.record(&queued).await?;
                let text = format!(
                    "Job #{id} ({} on {}) is approved and queued to run",
                    job.kind, job.environment
                );
                outbox::record(
                    &mut tx,
                    id.0,
                    job.environment.as_str(),
                    "queued",
                    &text,
                    now,
                )
                .await?;
                Outcome::Queued
            } else {
                Outcome::Recorded
            }
        }
        Decision::Approve => Outcome::Recorded,
    };
    tx.commit().await?;
    crate::jobs::notify::progressed();
    if outcome == Outcome::Queued {
        notifier.wake();
    }
    tracing::info!(?outcome, "approval decision recorded");
    Ok(outcome)
}

/// An admin runs job `id` (awaiting approval) without approvals and during
/// a freeze, with a mandatory reason, bound like a decision to the plan the
/// admin saw (`plan_hash`). Flagged in the audit log (`job.break_glass`)
/// and listed by [`needs_review`] until another admin reviews it.
#[tracing::instrument(skip_all, fields(job = %id))]
pub async fn break_glass(
    db: &Db,
    notifier: &JobsNotifier,
    principal: &Principal,
    actor: &Actor,
    id: JobId,
    reason: &str,
    plan_hash: &str,
    now: DateTime<Utc>,
) -> ApprovalsResult<()> {
    if !principal.can(Permission::Administer) {
        return Err(ApprovalsError::Refused(
            "break-glass needs the admin role".into(),
        ));
    }
    let reason = reason.trim();
    if reason.chars().count() < MIN_BREAK_GLASS_REASON {
        return Err(ApprovalsError::Validation(format!(
            "break-glass needs a reason of at least {MIN_BREAK_GLASS_REASON} characters"
        )));
    }
    if reason.chars().count() > rules::MAX_REASON_CHARS {
        return Err(ApprovalsError::Validation(format!(
            "the reason is longer than {} characters",
            rules::MAX_REASON_CHARS
        )));
    }
    let mut tx = AuditedTx::begin(db).await?;
    let job = transitions::lock_job(&mut tx, db.backend(), id).await?;
    if job.state != JobState::AwaitingApproval {
        return Err(ApprovalsError::Refused(format!(
            "this request is {}: break-glass applies to requests awaiting approval",
            job.state
        )));
    }
    check_seen(&job, plan_hash)?;
    transitions::break_glass(
        &mut tx,
        db,
        id,
        (&principal.name, &principal.subject),
        reason,
        now,
    )
    .await?;
    let mut entry = actor.audit("job.break_glass", id.audit_target());
    entry.after = Some(json!({
        "break_glass": true,
        "reason": reason,
        "plan_hash": job.plan_hash,
        "state": JobState::Queued.as_str(),
        "needs_review": true,
    }));
    tx.record(&entry).await?;
    let text = format!(
        "BREAK-GLASS: job #{id} ({} on {}) runs without approvals, by {}: \u{201c}{reason}\u{201d}",
        job.kind, job.environment, principal.name
    );
    outbox::record(
        &mut tx,
        id.0,
        job.environment.as_str(),
        "break_glass",
        &text,
        now,
    )
    .await?;
    tx.commit().await?;
    crate::jobs::notify::progressed();
    notifier.wake();
    tracing::warn!(admin = %principal.name, "break-glass: a production change runs without approvals");
    Ok(())
}

/// Another admin reviews job `id`'s break-glass (never the admin who broke
/// glass). Audited `job.break_glass_reviewed`.
pub async fn review(
    db: &Db,
    principal: &Principal,
    actor: &Actor,
    id: JobId,
    now: DateTime<Utc>,
) -> ApprovalsResult<()> {
    if !principal.can(Permission::Administer) {
        return Err(ApprovalsError::Refused(
            "reviewing a break-glass needs the admin role".into(),
        ));
    }
    let mut tx = AuditedTx::begin(db).await?;
    let job = transitions::lock_job(&mut tx, db.backend(), id).await?;
    let Some(glass) = &job.break_glass else {
        return Err(ApprovalsError::Refused(format!(
            "job {id} was not run by break-glass"
        )));
    };
    if glass.subject == principal.subject {
        return Err(ApprovalsError::Refused(
            "you broke glass on this job: another admin must review it".into(),
        ));
    }
    if !transitions::mark_reviewed(&mut tx, id, &principal.name, now).await? {
        return Err(ApprovalsError::Refused(format!(
            "job {id}'s break-glass was reviewed already"
        )));
    }
    let entry = actor.audit("job.break_glass_reviewed", id.audit_target());
    tx.record(&entry).await?;
    tx.commit().await?;
    Ok(())
}

/// A job's approvals as its pages show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobApprovals {
    pub policy: ApprovalPolicy,
    /// Every decision, oldest first (those on an earlier plan marked by
    /// their hash).
    pub decisions: Vec<Approval>,
    /// Approvals that count for the job's plan.
    pub counted: usize,
    pub required: usize,
    /// Decisions made on an earlier plan (void).
    pub voided: usize,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
    /// Whether the person asking may decide now, and if not why.
    pub can_decide: Result<(), String>,
    /// The person asking is an admin and the request still awaits approval.
    pub can_break_glass: bool,
    /// The person asking is an admin other than the one who broke glass,
    /// and nobody reviewed it yet (the rule [`review`] applies).
    pub can_review: bool,
    /// The target environment's latest health (its age from `polled_at`);
    /// `None` before the first poll.
    pub health: Option<crate::health::snapshot::EnvironmentSnapshot>,
    /// The environment's spend this month so far, its forecast and budget
    /// (from the stored Cost Explorer data); `None` without a cost tag or
    /// data.
    pub cost: Option<crate::cost::model::EnvironmentCost>,
    /// What the plan does to the monthly bill (Fargate compute, priced
    /// with the config's table); `None` when it changes no service.
    pub cost_delta: Option<crate::cost::fargate::CostDelta>,
    /// The people signed in now who may still decide (by name); anyone
    /// else in `policy.approver_groups` may too once they sign in.
    pub may_still_approve: Vec<String>,
}

/// Job `id`'s approvals, and whether `principal` may decide on it at `now`.
pub async fn for_job(
    db: &Db,
    principal: &Principal,
    job: &Job,
    prices: &crate::cost::fargate::FargatePrices,
    now: DateTime<Utc>,
) -> ApprovalsResult<JobApprovals> {
    let env = crate::environments::store::get(db, &job.environment)
        .await?
        .ok_or_else(|| {
            ApprovalsError::Refused(format!("environment {} no longer exists", job.environment))
        })?;
    let decisions = store::for_job(db, job.id).await?;
    let casts: Vec<_> = decisions.iter().map(Approval::cast).collect();
    let can_decide = may_decide(&env.approval, job, &casts, principal, now);
    let admin = principal.can(Permission::Administer);
    let can_break_glass = admin && job.state == JobState::AwaitingApproval;
    let can_review = admin
        && job
            .break_glass
            .as_ref()
            .is_some_and(|g| g.reviewed_by.is_none() && g.subject != principal.subject);
    let expires_at = rules::expires_at(&env.approval, job.approval_requested_at());
    let may_still_approve = if job.state == JobState::AwaitingApproval {
        crate::auth::session::signed_in(db)
            .await?
            .into_iter()
            .filter(|p| p.can(Permission::Approve))
            .filter(|p| may_decide(&env.approval, job, &casts, p, now).is_ok())
            .map(|p| p.name)
            .collect()
    } else {
        Vec::new()
    };
    let health = crate::health::store::latest(db, job.environment.as_str()).await?;
    let today = now.date_naive();
    // The approval page shows what the cost area has; a cost read that fails
    // leaves that part out rather than the page.
    let cost = match crate::cost::service::review_stored(
        db,
        crate::cost::model::YearMonth::of(today),
        today,
    )
    .await
    {
        Ok(review) => review
            .environments
            .into_iter()
            .find(|c| c.environment == job.environment.as_str()),
        Err(e) => {
            tracing::warn!(error = %e, "the approval page's cost could not be read");
            None
        }
    };
    Ok(JobApprovals {
        health,
        cost,
        cost_delta: job.plan.compute.as_ref().map(|c| prices.delta(c)),
        may_still_approve,
        counted: rules::counted(&casts, &job.plan_hash).len(),
        required: usize::from(env.approval.required_approvals),
        voided: rules::voided(&casts, &job.plan_hash),
        expired: now >= expires_at,
        expires_at,
        can_decide,
        can_break_glass,
        can_review,
        decisions,
        policy: env.approval,
    })
}

/// What `/approvals` shows a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    /// Requests awaiting approval that this person may decide on.
    pub waiting: Vec<Job>,
    /// Their newest decisions.
    pub decided: Vec<Approval>,
    /// Break-glass runs not reviewed yet (admins only).
    pub needs_review: Vec<Job>,
}

/// Requests listed at most.
const INBOX_LIMIT: u32 = 100;

/// `principal`'s inbox at `now`.
pub async fn inbox(db: &Db, principal: &Principal, now: DateTime<Utc>) -> ApprovalsResult<Inbox> {
    let filter = JobFilter {
        state: Some(JobState::AwaitingApproval),
        ..JobFilter::default()
    };
    let pending = crate::jobs::store::list(db, &filter, &JobPageRequest::first(INBOX_LIMIT))
        .await?
        .jobs;
    // The rules only: the navigation's badge asks for this on every page,
    // so no health or cost is read here.
    let mut waiting = Vec::new();
    for job in pending {
        let Some(env) = crate::environments::store::get(db, &job.environment).await? else {
            continue;
        };
        let casts = casts_of(db, job.id).await?;
        if may_decide(&env.approval, &job, &casts, principal, now).is_ok() {
            waiting.push(job);
        }
    }
    let needs_review = if principal.can(Permission::Administer) {
        needs_review(db).await?
    } else {
        Vec::new()
    };
    Ok(Inbox {
        waiting,
        decided: store::decided_by(db, &principal.subject, 50).await?,
        needs_review,
    })
}

/// Break-glass runs no other admin has reviewed yet, newest first, however
/// old.
pub async fn needs_review(db: &Db) -> ApprovalsResult<Vec<Job>> {
    let filter = JobFilter {
        unreviewed_break_glass: true,
        ..JobFilter::default()
    };
    Ok(crate::jobs::store::every(db, &filter).await?)
}

/// Queues every request that was fully approved during a freeze (policy
/// "wait") and whose freeze has ended at `now`, exactly once (the
/// conditional update); audited `job.approved`. Returns the jobs queued.
pub async fn release_after_freeze(
    db: &Db,
    notifier: &JobsNotifier,
    now: DateTime<Utc>,
) -> ApprovalsResult<Vec<JobId>> {
    let mut released = Vec::new();
    for job in awaiting(db).await? {
        let Some(env) = crate::environments::store::get(db, &job.environment).await? else {
            continue;
        };
        if env.approval.freeze_at(now).is_some() {
            continue;
        }
        let casts = casts_of(db, job.id).await?;
        let counted = rules::counted(&casts, &job.plan_hash);
        if !rules::complete(&env.approval, &counted) {
            continue;
        }
        let mut tx = AuditedTx::begin(db).await?;
        let locked = transitions::lock_job(&mut tx, db.backend(), job.id).await?;
        if locked.plan_hash != job.plan_hash {
            continue;
        }
        let note = "the freeze ended: queued with the approvals it had";
        if transitions::queue_approved(&mut tx, db, job.id, note, now).await? {
            let mut entry = NewAuditEntry::new(FREEZE_ACTOR, "job.approved", job.id.audit_target());
            entry.after = Some(json!({
                "state": JobState::Queued.as_str(),
                "plan_hash": job.plan_hash,
                "approved_by": counted.iter().map(|c| c.subject.as_str()).collect::<Vec<_>>(),
                "after_freeze": true,
            }));
            tx.record(&entry).await?;
            let text = format!(
                "Job #{} ({} on {}): the freeze ended, queued to run",
                job.id, job.kind, job.environment
            );
            outbox::record(
                &mut tx,
                job.id.0,
                job.environment.as_str(),
                "queued",
                &text,
                now,
            )
            .await?;
            tx.commit().await?;
            released.push(job.id);
        }
    }
    if !released.is_empty() {
        notifier.wake();
    }
    Ok(released)
}

/// Every request awaiting approval, however many (the sweeps page through
/// them all).
async fn awaiting(db: &Db) -> ApprovalsResult<Vec<Job>> {
    let filter = JobFilter {
        state: Some(JobState::AwaitingApproval),
        ..JobFilter::default()
    };
    Ok(crate::jobs::store::every(db, &filter).await?)
}

/// Ends every request awaiting approval whose time ran out at `now`
/// (cancelled, "approval request expired"); audited `job.expired`. Returns
/// the jobs ended.
pub async fn expire(db: &Db, now: DateTime<Utc>) -> ApprovalsResult<Vec<JobId>> {
    let mut ended = Vec::new();
    for job in awaiting(db).await? {
        let Some(env) = crate::environments::store::get(db, &job.environment).await? else {
            continue;
        };
        let expiry = rules::expires_at(&env.approval, job.approval_requested_at());
        if now < expiry {
            continue;
        }
        // Approved during a freeze, waiting for its end: not expired.
        let casts = casts_of(db, job.id).await?;
        if rules::complete(&env.approval, &rules::counted(&casts, &job.plan_hash)) {
            continue;
        }
        let mut tx = AuditedTx::begin(db).await?;
        let reason = format!(
            "the approval request expired at {}",
            expiry.format("%Y-%m-%d %H:%M UTC")
        );
        if transitions::end_unapproved(&mut tx, job.id, &reason, now).await? {
            let mut entry = NewAuditEntry::new(EXPIRY_ACTOR, "job.expired", job.id.audit_target());
            entry.after = Some(json!({ "state": "cancelled", "reason": reason }));
            tx.record(&entry).await?;
            tx.commit().await?;
            ended.push(job.id);
        }
    }
    Ok(ended)
}
