//! Jobs server functions: thin shims over `gantry_core::jobs::service`
//! (context, `require(...)`, one core call, a DTO).

use leptos::prelude::*;

use super::dto::{EnvironmentJobsView, JobListView, JobTargetView, JobView, PlanView};
use crate::error::AppError;

/// One page of jobs, newest first. Empty strings mean "no filter".
#[server(prefix = "/api", endpoint = "jobs/list")]
pub async fn list_jobs(
    environment: String,
    kind: String,
    state: String,
    requested_by: String,
    before: Option<i64>,
) -> Result<JobListView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let filter = convert::filter(&environment, &kind, &state, &requested_by)?;
    let page = gantry_core::jobs::store::JobPageRequest {
        before_id: before.filter(|b| *b > 0).map(gantry_core::jobs::JobId),
        limit: 50,
    };
    let page = gantry_core::jobs::service::list(&services.db, &filter, &page).await?;
    Ok(JobListView {
        jobs: page.jobs.iter().map(convert::summary).collect(),
        next_before: page.next_before_id.map(|id| id.0),
    })
}

/// An environment's lock holder and newest jobs (its page's jobs panel).
#[server(prefix = "/api", endpoint = "jobs/environment")]
pub async fn environment_jobs(name: String) -> Result<EnvironmentJobsView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let name = gantry_core::shared::EnvName::parse(&name)
        .map_err(|_| AppError::not_found(format!("environment {name:?}")))?;
    let jobs = gantry_core::jobs::service::environment_jobs(&services.db, &name).await?;
    Ok(EnvironmentJobsView {
        lock_holder: jobs.lock_holder.as_ref().map(convert::summary),
        recent: jobs.recent.iter().map(convert::summary).collect(),
    })
}

/// The environments a job can target, with their services (the form).
#[server(prefix = "/api", endpoint = "jobs/targets")]
pub async fn job_targets() -> Result<Vec<JobTargetView>, AppError> {
    crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let services = crate::services()?;
    let environments = gantry_core::environments::service::list(&services.db).await?;
    Ok(environments
        .iter()
        .map(|env| JobTargetView {
            name: env.name.to_string(),
            production: env.production,
            services: env.services.iter().map(|s| s.name.clone()).collect(),
        })
        .collect())
}

/// Reads the environment's live AWS state and plans the request; writes
/// nothing. Operators and admins.
#[server(prefix = "/api", endpoint = "jobs/plan")]
pub async fn plan_job(
    environment: String,
    kind: String,
    service: String,
    desired: String,
    image: String,
    revision: String,
    #[server(default)] ttl_hours: String,
    #[server(default)] set: String,
    #[server(default)] delete: String,
    #[server(default)] sealed: String,
) -> Result<PlanView, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let services = crate::services()?;
    let form = gantry_core::jobs::kinds::request::JobForm {
        kind,
        service,
        desired,
        image,
        revision,
        ttl_hours,
        set,
        delete,
        sealed,
        reason: String::new(),
    };
    let planned = gantry_core::jobs::service::plan_requested(
        &services.db,
        &convert::handle()?,
        &crate::auth::actor(&user, gantry_core::auth::Permission::RunJobs),
        &environment,
        &form,
        services.clock.now(),
    )
    .await?;
    Ok(convert::plan(&planned))
}

/// The job form's submit: seals the SecureString values typed into it
/// (`secure_set`, `NAME=value` lines) on the server, then sends the browser
/// to the plan preview with every other field and the sealed values only;
/// a typed secret never appears in a URL, a page or a log. Operators and
/// admins.
#[server(prefix = "/api", endpoint = "jobs/seal")]
pub async fn seal_job_form(
    environment: String,
    kind: String,
    #[server(default)] service: String,
    #[server(default)] desired: String,
    #[server(default)] image: String,
    #[server(default)] revision: String,
    #[server(default)] ttl_hours: String,
    #[server(default)] set: String,
    #[server(default)] delete: String,
    #[server(default)] secure_set: String,
    #[server(default)] sealed: String,
) -> Result<(), AppError> {
    crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let services = crate::services()?;
    // Values sealed by an earlier preview stay (checked when planned).
    let sealed = if secure_set.trim().is_empty() {
        sealed
    } else {
        let fresh = gantry_core::jobs::service::seal_values(
            &services.db,
            &convert::handle()?,
            &environment,
            &secure_set,
        )
        .await?;
        [sealed.trim(), fresh.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("environment", environment.as_str()),
            ("kind", kind.as_str()),
            ("service", service.as_str()),
            ("desired", desired.as_str()),
            ("image", image.as_str()),
            ("revision", revision.as_str()),
            ("ttl_hours", ttl_hours.as_str()),
            ("set", set.as_str()),
            ("delete", delete.as_str()),
            ("sealed", sealed.as_str()),
            ("preview", "1"),
        ])
        .finish();
    leptos_axum::redirect(&format!("/jobs/new?{query}"));
    Ok(())
}

/// Confirms the plan the person saw (its hash): the job is queued (awaiting
/// approval on production) and the browser goes to its page. A plan that
/// moved since, or one confirmed already, is refused.
#[server(prefix = "/api", endpoint = "jobs/confirm")]
pub async fn confirm_job(
    environment: String,
    kind: String,
    service: String,
    desired: String,
    image: String,
    revision: String,
    #[server(default)] ttl_hours: String,
    #[server(default)] set: String,
    #[server(default)] delete: String,
    #[server(default)] sealed: String,
    #[server(default)] reason: String,
    plan_hash: String,
) -> Result<i64, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let services = crate::services()?;
    let form = gantry_core::jobs::kinds::request::JobForm {
        kind,
        service,
        desired,
        image,
        revision,
        ttl_hours,
        set,
        delete,
        sealed,
        reason,
    };
    let job = gantry_core::jobs::service::confirm(
        &services.db,
        &convert::handle()?,
        &crate::auth::actor(&user, gantry_core::auth::Permission::RunJobs),
        &environment,
        &form,
        &plan_hash,
        services.clock.now(),
    )
    .await?;
    leptos_axum::redirect(&format!("/jobs/{}", job.id));
    Ok(job.id.0)
}

/// A job, its steps and its log lines after `after` (0: from the start).
#[server(prefix = "/api", endpoint = "jobs/get")]
pub async fn get_job(id: i64, after: i64) -> Result<JobView, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let view = gantry_core::jobs::service::view(&services.db, convert::id(id)?, after).await?;
    Ok(convert::view(
        &view,
        user.can(gantry_core::auth::Permission::RunJobs),
    ))
}

/// Cancels a job: at once when it has not started, else at its next step
/// boundary or wait.
#[server(prefix = "/api", endpoint = "jobs/cancel")]
pub async fn cancel_job(id: i64) -> Result<String, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let services = crate::services()?;
    let outcome = gantry_core::jobs::service::cancel(
        &services.db,
        &crate::auth::actor(&user, gantry_core::auth::Permission::RunJobs),
        convert::id(id)?,
        services.clock.now(),
    )
    .await?;
    Ok(convert::cancel_message(outcome))
}

/// Retries a failed or stuck job: from the step it stopped at, or, in
/// production, planned again and decided again.
#[server(prefix = "/api", endpoint = "jobs/retry")]
pub async fn retry_job(id: i64) -> Result<String, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let services = crate::services()?;
    let retried = gantry_core::jobs::service::retry(
        &services.db,
        &convert::handle()?,
        &crate::auth::actor(&user, gantry_core::auth::Permission::RunJobs),
        convert::id(id)?,
        services.clock.now(),
    )
    .await?;
    Ok(match retried {
        gantry_core::jobs::service::Retried::Queued { from_step } => {
            format!("Queued again: the job resumes at step {}.", from_step + 1)
        }
        gantry_core::jobs::service::Retried::AwaitsApproval { attempt } => format!(
            "Planned again from the live state: attempt {attempt} waits for approval, like a new request."
        ),
    })
}

/// Plans a request awaiting approval again from the live state; a changed
/// plan replaces the old one and voids the approvals given so far.
#[server(prefix = "/api", endpoint = "jobs/replan")]
pub async fn replan_job(id: i64) -> Result<String, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let services = crate::services()?;
    let job = gantry_core::jobs::service::replan(
        &services.db,
        &convert::handle()?,
        &crate::auth::actor(&user, gantry_core::auth::Permission::RunJobs),
        convert::id(id)?,
        services.clock.now(),
    )
    .await?;
    Ok(format!(
        "Re-planned: {} step(s); approvals given on the earlier plan no longer count.",
        job.step_count
    ))
}

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use crate::wire::ts;
    use gantry_core::jobs::service::{JobsHandle, Planned};
    use gantry_core::jobs::store::{CancelOutcome, Job, JobFilter};
    use gantry_core::jobs::{JobId, JobKind, JobState};
    use leptos::prelude::use_context;

    use super::super::dto::*;
    use crate::error::AppError;

    use gantry_core::jobs::model::pretty_json as pretty;

    pub fn handle() -> Result<JobsHandle, AppError> {
        use_context::<JobsHandle>().ok_or_else(|| {
            tracing::error!("JobsHandle missing from the request context");
            AppError::Internal
        })
    }

    /// A job id from the request, or a 404 (no job has it).
    pub fn id(raw: i64) -> Result<JobId, AppError> {
        if raw >= 1 {
            Ok(JobId(raw))
        } else {
            Err(AppError::not_found(format!("job {raw}")))
        }
    }

    pub fn filter(
        environment: &str,
        kind: &str,
        state: &str,
        requested_by: &str,
    ) -> Result<JobFilter, AppError> {
        let nonempty = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(JobFilter {
            environment: nonempty(environment)
                .map(|e| gantry_core::shared::EnvName::parse(&e))
                .transpose()
                .map_err(|e| AppError::invalid(format!("environment: {e}")))?,
            kind: nonempty(kind)
                .map(|k| JobKind::parse(&k))
                .transpose()
                .map_err(|e| AppError::invalid(e.to_string()))?,
            state: nonempty(state)
                .map(|s| JobState::parse(&s))
                .transpose()
                .map_err(|e| AppError::invalid(e.to_string()))?,
            requested_by: nonempty(requested_by),
            unreviewed_break_glass: false,
        })
    }

    pub fn summary(job: &Job) -> JobSummaryView {
        JobSummaryView {
            id: job.id.0,
            environment: job.environment.to_string(),
            kind: job.kind,
            state: job.state,
            requested_by: job.requested_by.clone(),
            created_at: ts(job.created_at),
            finished_at: job.finished_at.map(ts),
            done: job.current_step.min(job.step_count),
            steps: job.step_count,
            reason: job.reason.clone(),
            cancel_requested: job.cancel_requested,
        }
    }

    pub fn plan(planned: &Planned) -> PlanView {
        PlanView {
            environment: planned.environment.to_string(),
            production: planned.production,
            kind: planned.kind,
            steps: planned
                .plan
                .steps
                .iter()
                .map(|s| PlanStepView {
                    name: s.name.clone(),
                    action: s.action.clone(),
                    before: pretty(&s.before),
                    after: pretty(&s.after),
                })
                .collect(),
            plan_hash: planned.plan_hash.clone(),
            lock_holder: planned.lock_holder.as_ref().map(summary),
            creates_environment: planned.creates_environment,
        }
    }

    pub fn view(view: &gantry_core::jobs::service::JobView, can_run_jobs: bool) -> JobView {
        let job = &view.detail.job;
        JobView {
            job: summary(job),
            plan_hash: job.plan_hash.clone(),
            steps: view
                .detail
                .steps
                .iter()
                .map(|step| {
                    let planned = job.plan.steps.get(step.position);
                    StepView {
                        position: step.position,
                        name: step.name.clone(),
                        state: step.state,
                        attempts: step.attempts,
                        error: step.error.clone(),
                        started_at: step.started_at.map(ts),
                        finished_at: step.finished_at.map(ts),
                        before: planned.map(|p| pretty(&p.before)).unwrap_or_default(),
                        after: planned.map(|p| pretty(&p.after)).unwrap_or_default(),
                        output: step.output.as_ref().map(pretty),
                    }
                })
                .collect(),
            log: view
                .log
                .lines
                .iter()
                .map(|l| LogLineView {
                    seq: l.seq,
                    at: crate::wire::ts_millis(l.at),
                    level: l.level,
                    step: l.position.map(|p| p + 1),
                    message: l.message.clone(),
                })
                .collect(),
            next_after: view.log.next_after_seq,
            lock_holder: view.lock_holder.as_ref().map(summary),
            can_cancel: can_run_jobs && !job.state.is_final() && !job.cancel_requested,
            can_retry: can_run_jobs && matches!(job.state, JobState::Failed | JobState::Stuck),
            can_replan: can_run_jobs && job.state == JobState::AwaitingApproval,
            attempt: job
                .plan
                .attempt
                .as_ref()
                .map(|a| super::super::dto::AttemptView {
                    number: a.number,
                    requested_by: a.requested_by.clone(),
                    requested_at: ts(a.requested_at),
                    after: a.after.clone(),
                }),
            retry_needs_approval: view.production,
            replan_query: (can_run_jobs && job.state.is_final())
                .then(|| gantry_core::jobs::kinds::request::JobRequest::from_params(&job.params))
                .flatten()
                .map(|request| {
                    let form = request.form();
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs([
                            ("environment", job.environment.as_str()),
                            ("kind", form.kind.as_str()),
                            ("service", form.service.as_str()),
                            ("desired", form.desired.as_str()),
                            ("image", form.image.as_str()),
                            ("revision", form.revision.as_str()),
                            ("ttl_hours", form.ttl_hours.as_str()),
                            ("set", form.set.as_str()),
                            ("delete", form.delete.as_str()),
                            ("preview", "1"),
                        ])
                        .finish()
                }),
        }
    }

    pub fn cancel_message(outcome: CancelOutcome) -> String {
        match outcome {
            CancelOutcome::Cancelled => "Cancelled.".to_owned(),
            CancelOutcome::Requested => {
                "Cancel requested: the job stops at its next step boundary or wait.".to_owned()
            }
            CancelOutcome::AlreadyRequested => "A cancel was requested already.".to_owned(),
        }
    }
}
