//! The job kinds that change AWS: each has a planner (reads the live state,
//! returns a [`Plan`] whose steps carry the exact before → after) and the
//! actions [`AwsRunner`] performs, each "ensure": it re-reads what it
//! changes, does nothing when AWS already holds the step's `after` (a re-run
//! after a crash), and stops the job as stale when AWS holds neither `before`
//! nor `after` (someone changed it since the plan).
//!
//! - [`scale`]: a service's desired count.

pub mod scale;

use futures::future::BoxFuture;

use super::model::{Plan, PlanStep};
use super::runner::{StepContext, StepError, StepOutcome, StepRunner};
use crate::aws::{AwsClients, AwsError, AwsErrorKind};
use crate::environments::model::Environment;
use crate::error::CoreResult;

/// Runs the AWS actions of the plans the kinds make, against the job's
/// environment (looked up at run time: its account, region and role).
#[derive(Debug, Clone)]
pub struct AwsRunner {
    clients: AwsClients,
}

impl AwsRunner {
    pub fn new(clients: AwsClients) -> Self {
        Self { clients }
    }

    async fn environment(&self, ctx: &StepContext) -> Result<Environment, StepError> {
        let found: CoreResult<Option<Environment>> =
            crate::environments::store::get(&ctx.db, &ctx.job.environment).await;
        match found {
            Ok(Some(env)) => Ok(env),
            Ok(None) => Err(StepError::Fatal(format!(
                "environment {} no longer exists",
                ctx.job.environment
            ))),
            Err(e) => Err(StepError::Retryable(format!(
                "reading the environment: {e}"
            ))),
        }
    }

    async fn run_step(&self, ctx: &StepContext, step: &PlanStep) -> Result<StepOutcome, StepError> {
        let env = self.environment(ctx).await?;
        let aws = self.clients.for_environment(&env).await;
        match step.action.as_str() {
            scale::ACTION => scale::run(&aws, &env, step).await,
            other => Err(StepError::Fatal(format!("unknown step action {other:?}"))),
        }
    }
}

impl StepRunner for AwsRunner {
    fn run<'a>(
        &'a self,
        ctx: &'a StepContext,
        step: &'a PlanStep,
    ) -> BoxFuture<'a, Result<StepOutcome, StepError>> {
        Box::pin(self.run_step(ctx, step))
    }
}

/// An AWS failure as a step error: throttling and no answer are worth
/// another attempt (after the SDK's own retries); the rest are not.
pub(crate) fn step_error(e: AwsError) -> StepError {
    match e.kind {
        AwsErrorKind::Throttled | AwsErrorKind::Unreachable | AwsErrorKind::Other => {
            StepError::Retryable(e.message)
        }
        AwsErrorKind::AccessDenied | AwsErrorKind::NotFound | AwsErrorKind::Invalid => {
            StepError::Fatal(e.message)
        }
    }
}

/// The plan's fingerprint: SHA-256 of the canonical JSON of what each step
/// read (its `before`s), so two plans from the same live state agree.
pub(crate) fn fingerprint(steps: &[PlanStep]) -> String {
    use sha2::{Digest, Sha256};
    let befores = serde_json::Value::Array(steps.iter().map(|s| s.before.clone()).collect());
    hex::encode(Sha256::digest(
        super::model::canonical_json(&befores).as_bytes(),
    ))
}

pub(crate) fn plan_of(steps: Vec<PlanStep>) -> Plan {
    let fingerprint = fingerprint(&steps);
    Plan { steps, fingerprint }
}
