//! The job kinds that change AWS: each has a planner (reads the live state,
//! returns a [`Plan`] whose steps carry the exact before → after) and the
//! actions [`AwsRunner`] performs, each "ensure": it re-reads what it
//! changes, does nothing when AWS already holds the step's `after` (a re-run
//! after a crash), and stops the job as stale when AWS holds neither `before`
//! nor `after` (someone changed it since the plan).
//!
//! - [`scale`]: a service's desired count.
//! - [`deploy`]: a new image (register, point, wait, health check) and a
//!   roll back to an earlier revision, both rolling back by themselves when
//!   the rollout or the health check fails.
//! - [`provision`]: an environment made what the provisioning template says
//!   (cluster, parameters, task definition, service, steady state).
//! - [`configure`]: parameters set or deleted under the environment's prefix.
//! - [`teardown`]: an environment's services, revisions and parameters
//!   removed.
//! - [`request`]: what a person asks for, per kind, and its plan.

pub mod compute;
pub mod configure;
pub mod deploy;
pub mod provision;
pub mod request;
pub mod scale;
pub mod teardown;

use std::sync::Arc;
use std::time::Duration;

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
    rollout: Arc<dyn deploy::RolloutWatch>,
    http: reqwest::Client,
    /// Pause between two looks at a rollout, and between health probes.
    poll: Duration,
    /// How long a rollout may take before the deploy rolls back.
    rollout_timeout: Duration,
    /// Opens the sealed SecureString values of configure jobs.
    sealer: Option<crate::jobs::seal::Sealer>,
}

impl AwsRunner {
    /// Rollouts read from ECS, polled every 5 s.
    pub fn new(clients: AwsClients) -> Self {
        Self {
            clients,
            rollout: Arc::new(deploy::EcsRollout),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            poll: Duration::from_secs(5),
            rollout_timeout: Duration::from_secs(u64::from(deploy::ROLLOUT_TIMEOUT_SECS)),
            sealer: None,
        }
    }

    /// Opens configure jobs' SecureString values with `sealer`.
    pub fn with_sealer(mut self, sealer: Option<crate::jobs::seal::Sealer>) -> Self {
        self.sealer = sealer;
        self
    }

    /// Observes rollouts through `watch` (a test double where moto cannot
    /// make a rollout fail).
    pub fn with_rollout_watch(mut self, watch: Arc<dyn deploy::RolloutWatch>) -> Self {
        self.rollout = watch;
        self
    }

    /// Rolls a deploy back when its rollout has not converged after
    /// `timeout` (default [`deploy::ROLLOUT_TIMEOUT_SECS`]).
    pub fn with_rollout_timeout(mut self, timeout: Duration) -> Self {
        self.rollout_timeout = timeout;
        self
    }

    /// Looks at rollouts and repeats health probes every `poll`.
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
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
            configure::ACTION => configure::run(ctx, &aws, &env, step, self.sealer.as_ref()).await,
            deploy::REGISTER => deploy::register(ctx, &aws, &env, step).await,
            deploy::POINT => deploy::point(ctx, &aws, &env, step).await,
            deploy::WAIT => {
                deploy::wait(
                    ctx,
                    &aws,
                    &env,
                    step,
                    self.rollout.as_ref(),
                    self.poll,
                    self.rollout_timeout,
                )
                .await
            }
            deploy::HEALTH => {
                deploy::health_check(ctx, &aws, &env, step, &self.http, self.poll).await
            }
            provision::ENSURE_CLUSTER => provision::ensure_cluster(&aws, step).await,
            provision::ENSURE_PARAMETERS => provision::ensure_parameters(ctx, &aws, step).await,
            provision::REGISTER => provision::register(ctx, &aws, step).await,
            provision::ENSURE_SERVICE => provision::ensure_service(ctx, &aws, step).await,
            teardown::DELETE_SERVICE => teardown::delete_service(&aws, &env, step).await,
            teardown::DEREGISTER => teardown::deregister(ctx, &aws, step).await,
            teardown::DELETE_PARAMETERS => teardown::delete_parameters(ctx, &aws, step).await,
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
    Plan {
        steps,
        fingerprint,
        compute: None,
        attempt: None,
    }
}
