//! What a job kind plugs into the worker: a [`StepRunner`] that performs one
//! plan step, given a [`StepContext`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::error::JobsResult;
use super::model::{JobId, JobKind, PlanStep};
use super::store::{self, Job, Lease, LogLevel};
use crate::clock::Clock;
use crate::db::Db;

/// Performs the steps of a plan. Steps must be idempotent ("ensure"): after
/// a crash the step that was running is run again, and must first check the
/// real state before changing anything. A step re-reads what it changes and
/// returns [`StepError::Stale`] when it moved since the plan.
pub trait StepRunner: Send + Sync + 'static {
    fn run<'a>(
        &'a self,
        ctx: &'a StepContext,
        step: &'a PlanStep,
    ) -> BoxFuture<'a, Result<StepOutcome, StepError>>;
}

/// A step that finished.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// Done; the output (ids, revisions: no secrets) is stored with the step.
    Done(Option<serde_json::Value>),
    /// The step failed and rolled back what the job changed (a deploy whose
    /// rollout or health check failed): the job ends as rolled back.
    RolledBack { reason: String },
}

/// A step that did not finish. Messages are shown to people: no secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// Worth another attempt (a timeout, a 5xx after the SDK's own retries).
    #[error("{0}")]
    Retryable(String),
    /// Will not get better by retrying (access denied, invalid input).
    #[error("{0}")]
    Fatal(String),
    /// The live state moved since the plan: nothing was applied; re-plan.
    #[error("the plan is stale: {0}")]
    Stale(String),
    /// The step saw the job's cancel request ([`StepContext::cancelled`])
    /// and stopped.
    #[error("cancelled")]
    Cancelled,
}

/// What a step knows about its job, and how it logs.
#[derive(Debug, Clone)]
pub struct StepContext {
    pub db: Db,
    pub job: Arc<Job>,
    pub lease: Lease,
    /// The step's position in the plan (0 for the first).
    pub position: usize,
    /// 1 for the first run of this step, more after a retry or a re-claim.
    pub attempt: u32,
    pub clock: Clock,
    pub(crate) cancel: CancellationToken,
}

impl StepContext {
    pub fn job_id(&self) -> JobId {
        self.job.id
    }

    pub fn kind(&self) -> JobKind {
        self.job.kind
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Appends a line to the job's log (fenced by the lease: a worker that
    /// lost it gets [`super::JobsError::LeaseLost`]).
    pub async fn log(&self, level: LogLevel, message: &str) -> JobsResult<i64> {
        store::append_log(
            &self.db,
            &self.lease,
            level,
            Some(self.position),
            message,
            self.now(),
        )
        .await
    }

    /// Says why the step makes no progress now (`Some`, while it lasts) or
    /// that it does again (`None`): see [`store::set_fault`].
    pub async fn fault(&self, fault: Option<&str>) -> JobsResult<()> {
        store::set_fault(&self.db, &self.lease, self.position, fault, self.now()).await
    }

    /// Someone asked for the job to be cancelled (seen at the last heartbeat).
    pub fn cancel_requested(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves when a cancel is requested: select on it during waits and
    /// return [`StepError::Cancelled`].
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }
}
