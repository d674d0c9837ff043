//! What the jobs pages receive: plain data, no secrets (plans hold masked
//! values only; the lease and its token never leave the server).

use gantry_wire::{JobKind, JobState, LogLevel, StepState};
use serde::{Deserialize, Serialize};

/// One job in a list, or the head of its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummaryView {
    pub id: i64,
    pub environment: String,
    pub kind: JobKind,
    pub state: JobState,
    pub requested_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Steps done.
    pub done: usize,
    pub steps: usize,
    pub reason: Option<String>,
    pub cancel_requested: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobListView {
    pub jobs: Vec<JobSummaryView>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<i64>,
}

/// One step of a plan: what it does and the exact before → after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStepView {
    pub name: String,
    pub action: String,
    /// Pretty JSON.
    pub before: String,
    pub after: String,
}

/// A plan shown before the person confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub environment: String,
    pub production: bool,
    pub kind: JobKind,
    pub steps: Vec<PlanStepView>,
    pub plan_hash: String,
    /// The job holding the environment's lock: the new one queues behind it.
    pub lock_holder: Option<JobSummaryView>,
    /// Confirming creates the environment (a new preview).
    pub creates_environment: bool,
}

/// A step of a job as it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub position: usize,
    pub name: String,
    pub state: StepState,
    pub attempts: u32,
    pub error: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub before: String,
    pub after: String,
    pub output: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLineView {
    pub seq: i64,
    pub at: String,
    pub level: LogLevel,
    /// 1-based step number, if the line belongs to a step.
    pub step: Option<usize>,
    pub message: String,
}

/// A job's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    pub job: JobSummaryView,
    pub plan_hash: String,
    pub steps: Vec<StepView>,
    pub log: Vec<LogLineView>,
    /// More log lines after these: ask again with this `after`.
    pub next_after: Option<i64>,
    pub lock_holder: Option<JobSummaryView>,
    pub can_cancel: bool,
    pub can_retry: bool,
    /// A request awaiting approval may be planned again in place.
    #[serde(default)]
    pub can_replan: bool,
    /// The new-job query that plans this request again (ended jobs, for
    /// those who may run jobs).
    pub replan_query: Option<String>,
    /// A retry of a job needing approval: which attempt, who asked, and how
    /// the attempt before ended (shown to the approvers).
    #[serde(default)]
    pub attempt: Option<AttemptView>,
    /// A retry plans the job again and asks for approval again (production).
    #[serde(default)]
    pub retry_needs_approval: bool,
}

/// A job retried where approvals are needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub number: u32,
    pub requested_by: String,
    pub requested_at: String,
    /// "failed: the rollout did not converge".
    pub after: String,
}

/// An environment as the new-job form offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTargetView {
    pub name: String,
    pub production: bool,
    pub services: Vec<String>,
}

/// An environment's jobs, on its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentJobsView {
    /// The running (or stuck) job that holds the environment's lock.
    pub lock_holder: Option<JobSummaryView>,
    pub recent: Vec<JobSummaryView>,
}
