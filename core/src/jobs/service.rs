//! The jobs use cases the pages, the API and the command line call: plan a
//! request (read live AWS, nothing written), confirm exactly the plan the
//! person saw, cancel, retry, and the reads. Each is one call for a server
//! function.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::kinds::provision::template::ProvisionTemplate;
use super::kinds::request::{JobForm, JobRequest};
use super::model::{CheckTransition, JobId, JobKind, Plan};
use super::notify::JobsNotifier;
use super::store::{
    self, CancelOutcome, Job, JobDetail, JobFilter, JobPage, JobPageRequest, LogPage, NewJob,
};
use super::{JobsError, JobsResult};
use crate::aws::AwsClients;
use crate::db::Db;
use crate::environments::model::{Environment, PREVIEW_PREFIX};
use crate::shared::{Actor, EnvName};

/// What the jobs use cases need beside the database: the process's AWS
/// clients (to plan) and the workers' wake-up.
#[derive(Debug, Clone)]
pub struct JobsHandle {
    pub clients: AwsClients,
    pub notifier: JobsNotifier,
    /// What provisioning makes (`None`: provisioning is refused).
    pub template: Option<std::sync::Arc<ProvisionTemplate>>,
    /// Seals and opens configure jobs' SecureString values (`None`: they
    /// are refused).
    pub sealer: Option<crate::jobs::seal::Sealer>,
    /// How often one person may ask for a plan ([`plan_requested`]).
    pub planning: super::limit::PlanLimit,
}

/// A plan shown to a person before they confirm it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    pub environment: EnvName,
    /// A production change waits for approval after the confirm.
    pub production: bool,
    pub kind: JobKind,
    pub request: JobRequest,
    pub plan: Plan,
    /// What the confirm must send back: the plan it confirms.
    pub plan_hash: String,
    /// The job holding the environment's lock now, if any: the new job
    /// queues behind it.
    pub lock_holder: Option<Job>,
    /// The environment does not exist yet: confirming creates it (a preview
    /// provisioned from the template).
    pub creates_environment: bool,
}

/// The environment `form` is for: a stored one, or, for provisioning a new
/// `preview-` name, the preview the template would create (`true`).
async fn target(
    db: &Db,
    handle: &JobsHandle,
    name: &str,
    form: &JobForm,
    now: DateTime<Utc>,
) -> JobsResult<(Environment, bool)> {
    let parsed = EnvName::parse(name)
        .map_err(|_| JobsError::Validation(format!("unknown environment {name:?}")))?;
    if let Some(env) = crate::environments::store::get(db, &parsed).await? {
        return Ok((env, false));
    }
    let provision = JobKind::parse(form.kind.trim()).ok() == Some(JobKind::Provision);
    match (
        &handle.template,
        provision && name.starts_with(PREVIEW_PREFIX),
    ) {
        (Some(template), true) => {
            let ttl = form.ttl_hours.trim().parse::<u32>().ok();
            let env = template
                .preview_environment(name, ttl, now)
                .map_err(JobsError::Validation)?;
            Ok((env, true))
        }
        _ => Err(JobsError::Validation(format!("unknown environment {name}"))),
    }
}

/// Reads the environment's live state and plans `form`; writes nothing.
/// Provisioning a `preview-` name that does not exist plans the preview the
/// template makes (created on confirm).
#[tracing::instrument(skip(db, handle, form, now), fields(kind = %form.kind))]
pub async fn plan(
    db: &Db,
    handle: &JobsHandle,
    environment_name: &str,
    form: &JobForm,
    now: DateTime<Utc>,
) -> JobsResult<Planned> {
    let (env, creates_environment) = target(db, handle, environment_name, form, now).await?;
    let request = JobRequest::parse(form, &env, handle.sealer.as_ref())?;
    let aws = handle.clients.for_environment(&env).await;
    let plan = request
        .plan(
            &aws,
            &env,
            handle.template.as_deref(),
            handle.sealer.as_ref(),
        )
        .await?;
    let lock_holder = store::lock_holder(db, &env.name).await?;
    Ok(Planned {
        plan_hash: plan.hash(),
        environment: env.name.clone(),
        production: env.production,
        kind: request.kind(),
        request,
        plan,
        lock_holder,
        creates_environment,
    })
}

/// [`plan`] asked for by `actor` (a person at the plan form or an API
/// client): counted against their plan allowance
/// ([`super::limit::PlanLimit`]); past it, refused with
/// [`JobsError::RateLimited`] before anything is read, and the first refusal
/// of each minute is audited (`job.plan_refused`).
pub async fn plan_requested(
    db: &Db,
    handle: &JobsHandle,
    actor: &Actor,
    environment_name: &str,
    form: &JobForm,
    now: DateTime<Utc>,
) -> JobsResult<Planned> {
    let who = actor.subject.as_deref().unwrap_or(actor.name.as_str());
    if let Err(refused) = handle.planning.check(who) {
        if refused.audit {
            let mut entry = actor.audit(
                "job.plan_refused",
                format!("environment:{}", environment_name.trim()),
            );
            entry.after = Some(serde_json::json!({
                "reason": "too many plans",
                "kind": form.kind.trim(),
                "retry_after_secs": refused.retry_after_secs,
            }));
            crate::audit::store::append_standalone(db, &entry).await?;
        }
        tracing::warn!(actor = %actor.name, "plan refused: too many plans");
        return Err(JobsError::RateLimited {
            message: format!(
                "too many plans: try again in {} s",
                refused.retry_after_secs
            ),
            retry_after_secs: refused.retry_after_secs,
        });
    }
    plan(db, handle, environment_name, form, now).await
}

/// Confirms the plan the person saw: plans `form` again from the live state
/// and enqueues it only when its hash is `confirmed_hash` (else the state
/// moved since: [`JobsError::Conflict`], nothing written). A production
/// change is created awaiting approval. A plan whose job is still active is
/// refused ([`JobsError::Conflict`]): a second confirm runs nothing. A new
/// preview environment is created in the job's transaction.
#[tracing::instrument(skip(db, handle, actor, form, now), fields(actor = %actor.name, kind = %form.kind))]
pub async fn confirm(
    db: &Db,
    handle: &JobsHandle,
    actor: &Actor,
    environment_name: &str,
    form: &JobForm,
    confirmed_hash: &str,
    now: DateTime<Utc>,
) -> JobsResult<Job> {
    let (env, creates_environment) = target(db, handle, environment_name, form, now).await?;
    if form.reason.trim().chars().count() > crate::shared::MAX_REASON_CHARS {
        return Err(JobsError::Validation(format!(
            "the reason is longer than {} characters",
            crate::shared::MAX_REASON_CHARS
        )));
    }
    let planned = plan(db, handle, environment_name, form, now).await?;
    if planned.plan_hash != confirmed_hash.trim() {
        return Err(JobsError::Conflict(
            "the live state changed since this plan was shown: review the new plan and confirm it"
                .to_owned(),
        ));
    }
    let new = NewJob {
        environment: planned.environment,
        kind: planned.kind,
        requested_by: actor.clone(),
        params: planned.request.params(),
        plan: planned.plan,
        production: planned.production,
        creates: creates_environment.then_some(env),
        request_reason: Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    super::submit(db, &handle.notifier, &new, now).await
}

/// Plans job `id` (awaiting approval) again from the live state and the
/// request it stored: when the plan changed, it replaces the old one and
/// the approvals given so far no longer count ([`store::replace_plan`]);
/// when it did not, nothing changes and the approvals stand.
pub async fn replan(
    db: &Db,
    handle: &JobsHandle,
    actor: &Actor,
    id: JobId,
    now: DateTime<Utc>,
) -> JobsResult<Job> {
    let job = store::job(db, id).await?;
    if job.state != super::JobState::AwaitingApproval {
        return Err(JobsError::Validation(format!(
            "job {id} is {}: only a request awaiting approval is re-planned in place; plan it again as a new job",
            job.state
        )));
    }
    let env = crate::environments::store::get(db, &job.environment)
        .await?
        .ok_or_else(|| {
            JobsError::Validation(format!("environment {} no longer exists", job.environment))
        })?;
    let request = JobRequest::from_params(&job.params).ok_or_else(|| {
        JobsError::Corrupt(format!("job {id}: its stored request does not parse"))
    })?;
    let aws = handle.clients.for_environment(&env).await;
    let plan = request
        .plan(
            &aws,
            &env,
            handle.template.as_deref(),
            handle.sealer.as_ref(),
        )
        .await?;
    // A re-plan of a retried job stays that attempt.
    let mut plan = plan;
    plan.attempt = job.plan.attempt.clone();
    if plan.hash() == job.plan_hash {
        return Err(JobsError::Validation(
            "the live state has not moved: the plan is the same and its approvals stand".to_owned(),
        ));
    }
    store::replace_plan(db, id, &plan, actor, now).await
}

/// Seals the SecureString values a person typed (`NAME=value` lines) for a
/// configure job on `environment_name`: the `NAME=token` lines the form
/// carries from then on. Nothing is written.
pub async fn seal_values(
    db: &Db,
    handle: &JobsHandle,
    environment_name: &str,
    lines: &str,
) -> JobsResult<String> {
    let name = EnvName::parse(environment_name)
        .map_err(|_| JobsError::Validation(format!("unknown environment {environment_name:?}")))?;
    let env = crate::environments::store::get(db, &name)
        .await?
        .ok_or_else(|| JobsError::Validation(format!("unknown environment {name}")))?;
    super::kinds::configure::seal_lines(&env, lines, handle.sealer.as_ref())
}

/// Cancels job `id` for `actor` (see [`store::request_cancel`]).
pub async fn cancel(
    db: &Db,
    actor: &Actor,
    id: JobId,
    now: DateTime<Utc>,
) -> JobsResult<CancelOutcome> {
    store::request_cancel(db, id, actor, now).await
}

/// What a retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retried {
    /// Queued again: it resumes at this step (0-based).
    Queued { from_step: usize },
    /// Its environment needs approvals: planned again from the live state,
    /// it waits for them again (attempt `attempt`), as a new request would.
    AwaitsApproval { attempt: u32 },
}

/// Retries a failed or stuck job. Where the environment needs approvals
/// (production), the retry is a new request in all but its id: the stored
/// request is planned again from the live state (a plan that cannot be made
/// now is refused with its reason), the plan becomes attempt N+1 (so no
/// decision on an earlier attempt counts), and the job waits for approval
/// again, under the same rules, freezes and expiry as any request, with
/// break-glass the only bypass. Elsewhere it is queued again from the step
/// it stopped at (each step re-reads what it changes and stops the job as
/// stale when the live state moved) and the workers are woken.
pub async fn retry(
    db: &Db,
    handle: &JobsHandle,
    actor: &Actor,
    id: JobId,
    now: DateTime<Utc>,
) -> JobsResult<Retried> {
    let job = store::job(db, id).await?;
    let env = crate::environments::store::get(db, &job.environment)
        .await?
        .ok_or_else(|| {
            JobsError::Validation(format!("environment {} no longer exists", job.environment))
        })?;
    // Production is where a request waits for approval (see `submit`).
    if !env.production {
        refuse_if_stale(handle, &env, &job).await?;
        store::retry(db, id, actor, now).await?;
        handle.notifier.wake();
        let job = store::job(db, id).await?;
        return Ok(Retried::Queued {
            from_step: job.current_step,
        });
    }
    job.state
        .check_transition(super::JobState::AwaitingApproval)?;
    let request = JobRequest::from_params(&job.params).ok_or_else(|| {
        JobsError::Corrupt(format!("job {id}: its stored request does not parse"))
    })?;
    let aws = handle.clients.for_environment(&env).await;
    let mut plan = request
        .plan(
            &aws,
            &env,
            handle.template.as_deref(),
            handle.sealer.as_ref(),
        )
        .await
        .map_err(|e| match e {
            JobsError::Validation(why) => JobsError::Validation(format!(
                "this job cannot be planned again from the live state ({why}): cancel it, or plan a new job"
            )),
            other => other,
        })?;
    let number = job.plan.attempt.as_ref().map_or(1, |a| a.number) + 1;
    plan.attempt = Some(super::model::Attempt {
        number,
        requested_at: now,
        requested_by: actor.name.clone(),
        after: format!(
            "{}{}",
            job.state,
            job.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
    });
    store::retry_for_approval(db, id, &plan, actor, now).await?;
    Ok(Retried::AwaitsApproval { attempt: number })
}

/// Refuses a retry whose remaining steps would now do something else, like
/// a confirm whose plan moved ([`JobsError::Conflict`]): the stored request
/// is planned again from the live state and, when the new plan has the same
/// steps, the steps from the current one on must read and write what the
/// stored ones do. A request that cannot be planned now (the job's own
/// earlier steps already made its change: "nothing to change") or whose
/// plan has other steps resumes as it is; each step still re-reads what it
/// changes and stops the job as stale when that moved.
async fn refuse_if_stale(handle: &JobsHandle, env: &Environment, job: &Job) -> JobsResult<()> {
    let Some(request) = JobRequest::from_params(&job.params) else {
        return Ok(());
    };
    let aws = handle.clients.for_environment(env).await;
    let Ok(fresh) = request
        .plan(
            &aws,
            env,
            handle.template.as_deref(),
            handle.sealer.as_ref(),
        )
        .await
    else {
        return Ok(());
    };
    let same_steps = fresh.steps.len() == job.plan.steps.len()
        && fresh
            .steps
            .iter()
            .zip(&job.plan.steps)
            .all(|(a, b)| a.action == b.action);
    // Compared only when both plans have the same steps: a shorter new plan
    // has no step at the stored one's position.
    let moved = same_steps
        && fresh
            .steps
            .iter()
            .zip(&job.plan.steps)
            .skip(job.current_step)
            .any(|(now, then)| now.before != then.before || now.after != then.after);
    if moved {
        return Err(JobsError::Conflict(format!(
            "the live state changed since job {} was planned: its remaining steps would do something else now; plan it again as a new job",
            job.id
        )));
    }
    Ok(())
}

/// One page of the newest-first job list.
pub async fn list(db: &Db, filter: &JobFilter, page: &JobPageRequest) -> JobsResult<JobPage> {
    store::list(db, filter, page).await
}

/// A job with its steps and one page of its log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub detail: JobDetail,
    pub log: LogPage,
    /// The environment's lock holder, when it is another job.
    pub lock_holder: Option<Job>,
    /// The job's environment is production: a retry is planned and decided
    /// again ([`retry`]).
    pub production: bool,
}

/// Log lines a job page shows at once (older ones: the next page).
pub const LOG_PAGE: u32 = 500;

/// Job `id`, its steps, its log lines after `after_seq`, and what holds its
/// environment's lock.
pub async fn view(db: &Db, id: JobId, after_seq: i64) -> JobsResult<JobView> {
    let detail = store::get(db, id).await?;
    let log = store::logs(db, id, after_seq.max(0), LOG_PAGE).await?;
    let lock_holder = store::lock_holder(db, &detail.job.environment)
        .await?
        .filter(|holder| holder.id != id);
    let production = crate::environments::store::get(db, &detail.job.environment)
        .await?
        .is_some_and(|env| env.production);
    Ok(JobView {
        detail,
        log,
        lock_holder,
        production,
    })
}

/// A running job's progress as its event stream polls it: the job row and
/// its log lines after `after_seq` (two reads; no steps, no lock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub job: Job,
    pub log: LogPage,
}

/// Job `id` and its log lines after `after_seq`, or [`JobsError::NotFound`].
pub async fn progress(db: &Db, id: JobId, after_seq: i64) -> JobsResult<Progress> {
    let job = store::job(db, id).await?;
    let log = store::logs(db, id, after_seq.max(0), LOG_PAGE).await?;
    Ok(Progress { job, log })
}

/// What an environment's page shows of its jobs: the one holding its lock
/// (running or stuck) and the newest ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentJobs {
    pub lock_holder: Option<Job>,
    pub recent: Vec<Job>,
}

/// The jobs holding the locks of `environments` (running or stuck), in
/// their order: what the roadmap matrix shows as in progress.
pub async fn active_jobs(db: &Db, environments: &[EnvName]) -> JobsResult<Vec<Job>> {
    let mut active = Vec::new();
    for env in environments {
        active.extend(store::lock_holder(db, env).await?);
    }
    Ok(active)
}

/// Jobs an environment page lists.
pub const RECENT_JOBS: u32 = 5;

/// The lock holder and the [`RECENT_JOBS`] newest jobs of `environment`.
pub async fn environment_jobs(db: &Db, environment: &EnvName) -> JobsResult<EnvironmentJobs> {
    let lock_holder = store::lock_holder(db, environment).await?;
    let filter = JobFilter {
        environment: Some(environment.clone()),
        ..JobFilter::default()
    };
    let recent = store::list(db, &filter, &JobPageRequest::first(RECENT_JOBS))
        .await?
        .jobs;
    Ok(EnvironmentJobs {
        lock_holder,
        recent,
    })
}

/// Who the jobs Gantry queues by itself are requested by.
pub const TTL_ACTOR: &str = "gantry (preview TTL)";

/// Queues a tear-down of every environment whose time-to-live ran out at
/// `now` and that has had no tear-down job yet (one automatic tear-down per
/// expired environment; a failed one waits for a person's retry). Several
/// replicas may run this at once: the second enqueue of the same plan is
/// refused by the database and skipped here. Returns the jobs queued.
#[tracing::instrument(skip_all)]
pub async fn reap_expired(
    db: &Db,
    handle: &JobsHandle,
    now: DateTime<Utc>,
) -> JobsResult<Vec<JobId>> {
    let mut queued = Vec::new();
    for env in crate::environments::service::expired_previews(db, now).await? {
        let filter = JobFilter {
            environment: Some(env.name.clone()),
            kind: Some(JobKind::Teardown),
            ..JobFilter::default()
        };
        if !store::list(db, &filter, &JobPageRequest::first(1))
            .await?
            .jobs
            .is_empty()
        {
            continue;
        }
        let aws = handle.clients.for_environment(&env).await;
        let plan = match super::kinds::teardown::plan(&aws, &env).await {
            Ok(plan) => plan,
            Err(JobsError::Validation(reason)) => {
                tracing::debug!(environment = %env.name, %reason, "expired environment: nothing to tear down");
                continue;
            }
            Err(e) => {
                tracing::warn!(environment = %env.name, error = %e, "expired environment: planning its tear-down failed; retried at the next sweep");
                continue;
            }
        };
        let new = NewJob {
            environment: env.name.clone(),
            kind: JobKind::Teardown,
            requested_by: Actor {
                name: TTL_ACTOR.to_owned(),
                role: None,
                request_id: None,
                source: "ttl".to_owned(),
                subject: None,
            },
            params: serde_json::to_value(JobRequest::Teardown).unwrap_or_default(),
            plan,
            production: env.production,
            creates: None,
            request_reason: None,
        };
        match super::submit(db, &handle.notifier, &new, now).await {
            Ok(job) => {
                tracing::info!(environment = %env.name, job = %job.id, "time-to-live ran out: tear-down queued");
                queued.push(job.id);
            }
            Err(JobsError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(queued)
}
