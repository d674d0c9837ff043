//! Approvals server functions: thin shims over
//! `gantry_core::approvals::service` (context, `require(...)`, one core
//! call, a DTO).

use leptos::prelude::*;

use super::dto::{InboxView, JobApprovalsView};
use crate::error::AppError;

/// Job `id`'s approvals and what the signed-in person may do about them.
#[server(prefix = "/api", endpoint = "approvals/job")]
pub async fn job_approvals(id: i64) -> Result<JobApprovalsView, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let job = gantry_core::jobs::store::job(&services.db, convert::id(id)?).await?;
    let approvals = gantry_core::approvals::service::for_job(
        &services.db,
        &user,
        &job,
        &services.fargate,
        services.clock.now(),
    )
    .await?;
    Ok(convert::job(&job, &approvals, services.clock.now()))
}

/// The signed-in approver's inbox. Approvers and admins.
#[server(prefix = "/api", endpoint = "approvals/inbox")]
pub async fn approvals_inbox() -> Result<InboxView, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::Approve)?;
    let services = crate::services()?;
    let inbox =
        gantry_core::approvals::service::inbox(&services.db, &user, services.clock.now()).await?;
    Ok(convert::inbox(&inbox))
}

/// Approve or reject job `id` with a reason, bound to `plan_hash`, the plan
/// the page showed (a job re-planned since is refused with 409). Approvers
/// and admins; never the requester (the rules refuse them whatever their
/// roles).
#[server(prefix = "/api", endpoint = "approvals/decide")]
pub async fn decide(
    id: i64,
    decision: String,
    plan_hash: String,
    #[server(default)] reason: String,
) -> Result<String, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::Approve)?;
    let services = crate::services()?;
    let decision =
        gantry_core::approvals::rules::Decision::parse(decision.trim()).map_err(|_| {
            AppError::invalid(format!(
                "decision must be approve or reject, not {decision:?}"
            ))
        })?;
    let outcome = gantry_core::approvals::service::decide(
        &services.db,
        &convert::notifier()?,
        &user,
        &crate::auth::actor(&user, gantry_core::auth::Permission::Approve),
        convert::id(id)?,
        gantry_core::approvals::service::Ballot {
            decision,
            reason: &reason,
            plan_hash: &plan_hash,
        },
        services.clock.now(),
    )
    .await?;
    leptos_axum::redirect(&format!("/jobs/{id}"));
    Ok(format!("{outcome:?}").to_lowercase())
}

/// An admin runs job `id` without approvals (break-glass), with a reason,
/// bound to `plan_hash`, the plan the page showed.
#[server(prefix = "/api", endpoint = "approvals/break_glass")]
pub async fn break_glass(
    id: i64,
    plan_hash: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::Administer)?;
    let services = crate::services()?;
    gantry_core::approvals::service::break_glass(
        &services.db,
        &convert::notifier()?,
        &user,
        &crate::auth::actor(&user, gantry_core::auth::Permission::Administer),
        convert::id(id)?,
        &reason,
        &plan_hash,
        services.clock.now(),
    )
    .await?;
    leptos_axum::redirect(&format!("/jobs/{id}"));
    Ok(())
}

/// Another admin reviews job `id`'s break-glass.
#[server(prefix = "/api", endpoint = "approvals/review")]
pub async fn review_break_glass(id: i64) -> Result<(), AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::Administer)?;
    let services = crate::services()?;
    gantry_core::approvals::service::review(
        &services.db,
        &user,
        &crate::auth::actor(&user, gantry_core::auth::Permission::Administer),
        convert::id(id)?,
        services.clock.now(),
    )
    .await?;
    Ok(())
}

/// Domain → wire conversions. Server-only.
#[cfg(feature = "ssr")]
mod convert {
    use gantry_core::approvals::service::{Inbox, JobApprovals};
    use gantry_core::approvals::store::Approval;
    use gantry_core::jobs::store::Job;
    use gantry_core::jobs::{JobId, JobState};

    use super::super::dto::{
        BreakGlassView, CostDeltaLineView, CostDeltaView, CostNowView, DecisionView, InboxView,
        JobApprovalsView,
    };
    use crate::error::AppError;
    use crate::jobs::api::convert::summary;

    pub fn id(raw: i64) -> Result<JobId, AppError> {
        if raw >= 1 {
            Ok(JobId(raw))
        } else {
            Err(AppError::not_found(format!("job {raw}")))
        }
    }

    pub fn notifier() -> Result<gantry_core::jobs::notify::JobsNotifier, AppError> {
        crate::jobs::api::convert::handle().map(|h| h.notifier)
    }

    fn ts(at: chrono::DateTime<chrono::Utc>) -> String {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    fn decision(a: &Approval, plan_hash: Option<&str>) -> DecisionView {
        DecisionView {
            job_id: a.job_id.0,
            name: a.name.clone(),
            decision: a.decision,
            reason: a.reason.clone(),
            at: ts(a.at),
            void: plan_hash.is_some_and(|h| h != a.plan_hash),
        }
    }

    pub fn job(
        job: &Job,
        a: &JobApprovals,
        now: chrono::DateTime<chrono::Utc>,
    ) -> JobApprovalsView {
        let awaiting = job.state == JobState::AwaitingApproval;
        JobApprovalsView {
            job_id: job.id.0,
            requested_by: job.requested_by.clone(),
            request_reason: job.request_reason.clone(),
            counted: a.counted,
            required: a.required,
            voided: a.voided,
            approver_groups: a.policy.approver_groups.clone(),
            distinct_groups: a.policy.distinct_groups,
            reason_required: a.policy.reason_required,
            expires_at: ts(a.expires_at),
            expired: a.expired,
            decisions: a
                .decisions
                .iter()
                .map(|d| decision(d, Some(&job.plan_hash)))
                .collect(),
            cannot_decide: a.can_decide.clone().err(),
            awaiting,
            can_break_glass: a.can_break_glass,
            break_glass: job.break_glass.as_ref().map(|g| BreakGlassView {
                by: g.by.clone(),
                reason: g.reason.clone(),
                reviewed_by: g.reviewed_by.clone(),
            }),
            can_review: a.can_review,
            health: a
                .health
                .as_ref()
                .map(|snap| crate::health::api::convert::summary(snap, 0, now)),
            cost: a.cost.as_ref().map(|c| {
                let usd = crate::cost::dto::usd;
                let highest = c.forecast_cents.unwrap_or(c.month_cents);
                CostNowView {
                    month_to_date: usd(c.month_cents),
                    forecast: c.forecast_cents.map(usd),
                    budget: c.budget_cents.map(usd),
                    previous_month: usd(c.previous_month_cents),
                    over_budget: c.budget_cents.is_some_and(|b| highest > b),
                }
            }),
            cost_delta: a.cost_delta.as_ref().map(cost_delta),
            may_still_approve: a.may_still_approve.clone(),
        }
    }

    fn tasks(tasks: i32, size: Option<gantry_core::jobs::model::TaskSize>) -> String {
        match (tasks, size) {
            (0, _) => "no tasks".to_owned(),
            (n, Some(s)) => format!(
                "{n} × {} vCPU, {} GB",
                f64::from(s.cpu) / 1024.0,
                f64::from(s.memory_mib) / 1024.0
            ),
            (n, None) => format!("{n} × unknown size"),
        }
    }

    fn cost_delta(d: &gantry_core::cost::fargate::CostDelta) -> CostDeltaView {
        let usd = crate::cost::dto::usd;
        let priced = |c: Option<i64>| c.map_or_else(|| "unknown".to_owned(), usd);
        CostDeltaView {
            summary: match d.delta_cents {
                0 => "no change to the monthly bill".to_owned(),
                c if c > 0 => format!("+{} a month", usd(c)),
                c => format!("−{} a month", usd(-c)),
            },
            before: usd(d.before_cents),
            after: usd(d.after_cents),
            lines: d
                .lines
                .iter()
                .map(|l| CostDeltaLineView {
                    service: l.service.clone(),
                    before: tasks(l.before_tasks, l.before_size),
                    after: tasks(l.after_tasks, l.after_size),
                    before_cost: priced(l.before_cents),
                    after_cost: priced(l.after_cents),
                })
                .collect(),
            unpriced: d.unpriced.clone(),
        }
    }

    pub fn inbox(inbox: &Inbox) -> InboxView {
        InboxView {
            waiting: inbox.waiting.iter().map(summary).collect(),
            decided: inbox.decided.iter().map(|d| decision(d, None)).collect(),
            needs_review: inbox.needs_review.iter().map(summary).collect(),
        }
    }
}
