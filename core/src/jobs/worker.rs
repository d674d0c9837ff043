//! The claim loop: wait for a wake-up or the poll interval, claim a job, run
//! its steps from the current one through a [`StepRunner`] while a
//! heartbeat renews the lease, record every outcome; repeat, forever.
//!
//! Every failure is isolated: a step's error or panic ends that job (or is
//! retried), a database error or a panic of the loop is counted, logged and
//! followed by a growing backoff, and the loop carries on. It returns only
//! at shutdown, which abandons the running step as a crash would (its lease
//! lapses and a worker resumes it at that step).
//!
//! A worker stops acting before its lease can run out: it keeps its own
//! deadline for the lease (the instant each successful renewal was *sent*,
//! plus the lease, less a margin, so never later than the database's), and
//! the step future is dropped at that deadline unless a renewal succeeded
//! first. A renewal that cannot reach the database (a held lock, a paused
//! connection) is itself bounded by the deadline. So no AWS call of a step
//! starts, and none is still awaited, after the lease could have been
//! handed to another worker; the step is left for the next claim.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::{JobsError, JobsResult};
use super::liveness::WorkerLiveness;
use super::model::JobState;
use super::notify::JobsNotifier;
use super::runner::{StepContext, StepError, StepOutcome, StepRunner};
use super::store::{self, ClaimedJob, Lease, StuckPolicy};
use crate::backoff::Backoff;
use crate::clock::Clock;
use crate::db::Db;

/// How a worker claims, renews and retries.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Recorded as the lease owner: `<host>-<pid>-<n>`.
    pub worker_id: String,
    /// Each claim or renewal holds the job this long (the database's clock).
    pub lease: Duration,
    /// Renewal period while a step runs; well under `lease`.
    pub heartbeat_every: Duration,
    /// The polling fallback when no wake-up comes.
    pub poll_interval: Duration,
    /// Attempts of a step (re-claims included) before a retryable error
    /// fails the job.
    pub max_attempts: u32,
    /// Wait before retrying a step, doubled per attempt.
    pub retry_backoff: Duration,
    /// Cap of the loop's backoff after an error.
    pub max_error_backoff: Duration,
    /// How often this worker looks for stuck jobs.
    pub stuck_sweep_every: Duration,
    /// A running job without a heartbeat for this long is stuck (only once
    /// this worker has run this long itself, so that after an outage the
    /// workers re-claim orphaned jobs before anyone calls them stuck).
    pub heartbeat_stuck_after: Duration,
}

impl WorkerConfig {
    pub fn new(worker_id: impl Into<String>) -> Self {
        Self {
            worker_id: worker_id.into(),
            lease: Duration::from_secs(30),
            heartbeat_every: Duration::from_secs(10),
            poll_interval: Duration::from_secs(2),
            max_attempts: 3,
            retry_backoff: Duration::from_secs(1),
            max_error_backoff: Duration::from_secs(30),
            stuck_sweep_every: Duration::from_secs(15),
            heartbeat_stuck_after: Duration::from_secs(15 * 60),
        }
    }
}

/// One claim loop. Run several (per process and per replica) for more
/// throughput: the database hands each job to one of them.
pub struct Worker {
    db: Db,
    runner: Arc<dyn StepRunner>,
    config: WorkerConfig,
    clock: Clock,
    notifier: JobsNotifier,
    liveness: Arc<WorkerLiveness>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// This worker's own bound on its lease: before this instant the database
/// cannot have handed the job to another worker (see the module's
/// description).
#[derive(Debug)]
struct LeaseDeadline {
    until: std::sync::Mutex<tokio::time::Instant>,
    lease: Duration,
}

impl LeaseDeadline {
    /// The share of the lease kept as a margin for clock rates and the time
    /// a dropped call takes to stop.
    const MARGIN_DIVISOR: u32 = 10;

    fn new(sent: tokio::time::Instant, lease: Duration) -> Self {
        let deadline = Self {
            until: std::sync::Mutex::new(sent),
            lease,
        };
        deadline.renewed(sent);
        deadline
    }

    /// A renewal sent at `sent` succeeded.
    fn renewed(&self, sent: tokio::time::Instant) {
        let until = sent + self.lease - self.lease / Self::MARGIN_DIVISOR;
        if let Ok(mut held) = self.until.lock() {
            *held = (*held).max(until);
        }
    }

    fn get(&self) -> tokio::time::Instant {
        self.until
            .lock()
            .map_or_else(|_| tokio::time::Instant::now(), |held| *held)
    }
}

/// How a guarded future ended.
enum Guarded<T> {
    Done(T),
    Panicked(String),
    TimedOut,
    LeaseLost,
}

impl Worker {
    pub fn new(
        db: Db,
        runner: Arc<dyn StepRunner>,
        config: WorkerConfig,
        clock: Clock,
        notifier: JobsNotifier,
    ) -> Self {
        Self {
            db,
            runner,
            config,
            clock,
            notifier,
            liveness: Arc::default(),
        }
    }

    /// Liveness and counters, for `/readyz` and `/metrics`.
    pub fn liveness(&self) -> Arc<WorkerLiveness> {
        self.liveness.clone()
    }

    /// Runs [`Self::run`] on a task of its own.
    pub fn spawn(self, shutdown: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(self.run(shutdown))
    }

    /// The loop; returns only when `shutdown` is cancelled.
    #[tracing::instrument(skip_all, fields(worker = %self.config.worker_id))]
    pub async fn run(self, shutdown: CancellationToken) {
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = self.run_forever() => {}
        }
    }

    async fn run_forever(&self) {
        let mut failures: u32 = 0;
        let mut last_sweep: Option<Instant> = None;
        loop {
            self.liveness.tick();
            let iteration = AssertUnwindSafe(self.iteration(&mut last_sweep))
                .catch_unwind()
                .await;
            let error = match iteration {
                Ok(Ok(true)) => {
                    failures = 0;
                    continue;
                }
                Ok(Ok(false)) => {
                    failures = 0;
                    self.notifier.wait(self.config.poll_interval).await;
                    continue;
                }
                Ok(Err(e)) => format!("{e}: {:?}", std::error::Error::source(&e)),
                Err(panic) => format!("panic: {}", panic_message(panic.as_ref())),
            };
            failures = failures.saturating_add(1);
            WorkerLiveness::count(&self.liveness.loop_errors);
            let backoff = Backoff::new(
                self.config.poll_interval.min(Duration::from_millis(100)),
                self.config.max_error_backoff,
            )
            .after(failures);
            tracing::warn!(%error, ?backoff, "the jobs loop failed; retrying after a backoff");
            tokio::time::sleep(backoff).await;
        }
    }

    /// Sweeps for stuck jobs when due, then claims and runs one job.
    /// `Ok(true)`: a job was claimed (look for the next at once).
    async fn iteration(&self, last_sweep: &mut Option<Instant>) -> JobsResult<bool> {
        if last_sweep.is_none_or(|at| at.elapsed() >= self.config.stuck_sweep_every) {
            *last_sweep = Some(Instant::now());
            let policy = StuckPolicy {
                heartbeat_timeout: (self.liveness.uptime() >= self.config.heartbeat_stuck_after)
                    .then_some(self.config.heartbeat_stuck_after),
            };
            let marked = store::mark_stuck(&self.db, policy, self.clock.now()).await?;
            for _ in &marked {
                WorkerLiveness::count(&self.liveness.stuck);
            }
        }
        let sent = tokio::time::Instant::now();
        let claimed = store::claim(
            &self.db,
            &self.config.worker_id,
            self.config.lease,
            self.clock.now(),
        )
        .await?;
        let Some(claimed) = claimed else {
            return Ok(false);
        };
        WorkerLiveness::count(&self.liveness.claimed);
        let id = claimed.job.id;
        let deadline = LeaseDeadline::new(sent, self.config.lease);
        match self.run_job(claimed, &deadline).await {
            Ok(()) => Ok(true),
            Err(JobsError::LeaseLost(_)) => {
                WorkerLiveness::count(&self.liveness.lease_lost);
                tracing::warn!(job = %id, "lost the lease; another worker or a person took over");
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    async fn run_job(&self, claimed: ClaimedJob, deadline: &LeaseDeadline) -> JobsResult<()> {
        let ClaimedJob {
            job, steps, lease, ..
        } = claimed;
        let job = Arc::new(job);
        let cancel = CancellationToken::new();
        for (position, stored) in steps.iter().enumerate().skip(job.current_step) {
            // Renews the lease and reads the cancel flag at every boundary.
            if self.renew(&lease, deadline).await?.cancel_requested {
                cancel.cancel();
            }
            if cancel.is_cancelled() {
                return self
                    .end(&lease, JobState::Cancelled, "cancelled before step")
                    .await;
            }
            let Some(step) = job.plan.steps.get(position) else {
                return Err(JobsError::Corrupt(format!(
                    "job {} has no plan step {}",
                    job.id,
                    position + 1
                )));
            };
            let timeout = Duration::from_secs(u64::from(stored.timeout_secs.max(1)));
            loop {
                let attempt =
                    store::start_step(&self.db, &lease, position, self.clock.now()).await?;
                let ctx = StepContext {
                    db: self.db.clone(),
                    job: job.clone(),
                    lease: lease.clone(),
                    position,
                    attempt,
                    clock: self.clock.clone(),
                    cancel: cancel.clone(),
                };
                let label = format!("step {} ({})", position + 1, step.name);
                let outcome = self
                    .guarded(
                        &lease,
                        deadline,
                        &cancel,
                        Some(timeout),
                        self.runner.run(&ctx, step),
                    )
                    .await;
                let now = self.clock.now();
                match outcome {
                    Guarded::LeaseLost => return Err(JobsError::LeaseLost(lease.job_id)),
                    Guarded::TimedOut => {
                        let reason =
                            format!("{label} ran past its timeout of {} s", timeout.as_secs());
                        return self.end(&lease, JobState::Stuck, &reason).await;
                    }
                    Guarded::Panicked(message) => {
                        WorkerLiveness::count(&self.liveness.step_panics);
                        let reason = format!("{label} panicked: {message}");
                        store::fail_step(&self.db, &lease, position, &reason, now).await?;
                        return self.end(&lease, JobState::Failed, &reason).await;
                    }
                    Guarded::Done(Ok(StepOutcome::Done(output))) => {
                        // Crash tests kill the process here: the step's effect
                        // is applied and not yet recorded.
                        #[cfg(feature = "testing")]
                        super::testing::pause_after_step(&self.db, &lease, position).await;
                        store::finish_step(&self.db, &lease, position, output.as_ref(), now)
                            .await?;
                        break;
                    }
                    Guarded::Done(Ok(StepOutcome::RolledBack { reason })) => {
                        store::finish_step(&self.db, &lease, position, None, now).await?;
                        return self.end(&lease, JobState::RolledBack, &reason).await;
                    }
                    Guarded::Done(Err(error)) => {
                        let message = error.to_string();
                        store::fail_step(&self.db, &lease, position, &message, now).await?;
                        let state = match error {
                            StepError::Retryable(_) if attempt < self.config.max_attempts => {
                                WorkerLiveness::count(&self.liveness.step_retries);
                                let wait = Backoff::new(
                                    self.config.retry_backoff,
                                    self.config.max_error_backoff,
                                )
                                .after(attempt);
                                // Shown while it lasts: the job is not
                                // making progress, and why.
                                let again =
                                    now + chrono::Duration::from_std(wait).unwrap_or_default();
                                store::set_fault(
                                    &self.db,
                                    &lease,
                                    position,
                                    Some(&format!(
                                        "{label}: attempt {attempt} of {} failed at {}: {message}; tried again at {}",
                                        self.config.max_attempts,
                                        now.format("%H:%M:%S UTC"),
                                        again.format("%H:%M:%S UTC"),
                                    )),
                                    now,
                                )
                                .await?;
                                let waited = self
                                    .guarded(
                                        &lease,
                                        deadline,
                                        &cancel,
                                        None,
                                        tokio::time::sleep(wait),
                                    )
                                    .await;
                                if matches!(waited, Guarded::LeaseLost) {
                                    return Err(JobsError::LeaseLost(lease.job_id));
                                }
                                if cancel.is_cancelled() {
                                    return self
                                        .end(
                                            &lease,
                                            JobState::Cancelled,
                                            "cancelled while retrying",
                                        )
                                        .await;
                                }
                                continue;
                            }
                            StepError::Retryable(_) => {
                                return self
                                    .end(
                                        &lease,
                                        JobState::Failed,
                                        &format!(
                                            "{label} failed after {attempt} attempts: {message}"
                                        ),
                                    )
                                    .await;
                            }
                            StepError::Fatal(_) => JobState::Failed,
                            StepError::Stale(_) => JobState::Stale,
                            StepError::Cancelled => JobState::Cancelled,
                        };
                        return self
                            .end(&lease, state, &format!("{label}: {message}"))
                            .await;
                    }
                }
            }
        }
        self.end_ok(&lease).await
    }

    async fn end_ok(&self, lease: &Lease) -> JobsResult<()> {
        store::finish_job(&self.db, lease, JobState::Succeeded, None, self.clock.now()).await?;
        WorkerLiveness::count(&self.liveness.succeeded);
        Ok(())
    }

    async fn end(&self, lease: &Lease, state: JobState, reason: &str) -> JobsResult<()> {
        store::finish_job(&self.db, lease, state, Some(reason), self.clock.now()).await?;
        let counter = match state {
            JobState::Cancelled => &self.liveness.cancelled,
            JobState::RolledBack => &self.liveness.rolled_back,
            JobState::Stale => &self.liveness.stale,
            JobState::Stuck => &self.liveness.stuck,
            _ => &self.liveness.failed,
        };
        WorkerLiveness::count(counter);
        Ok(())
    }

    /// Runs `fut` while renewing the lease, catching a panic and stopping at
    /// `timeout`; a lost lease, or one this worker could not renew before
    /// its deadline, drops `fut` at once (a worker that may have lost its
    /// job stops acting on it).
    async fn guarded<T>(
        &self,
        lease: &Lease,
        deadline: &LeaseDeadline,
        cancel: &CancellationToken,
        timeout: Option<Duration>,
        fut: impl Future<Output = T>,
    ) -> Guarded<T> {
        let fut = AssertUnwindSafe(fut).catch_unwind();
        let limit = async {
            match timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // The lease first: past its deadline nothing else may win.
            biased;
            () = self.keep_alive(lease, deadline, cancel) => Guarded::LeaseLost,
            result = fut => match result {
                Ok(value) => Guarded::Done(value),
                Err(panic) => Guarded::Panicked(panic_message(panic.as_ref())),
            },
            () = limit => Guarded::TimedOut,
        }
    }

    /// Renews the lease once, within its deadline: the renewal's answer, or
    /// [`JobsError::LeaseLost`] when the lease was taken over or the
    /// database did not answer before the deadline.
    async fn renew(&self, lease: &Lease, deadline: &LeaseDeadline) -> JobsResult<store::Heartbeat> {
        let sent = tokio::time::Instant::now();
        match tokio::time::timeout_at(deadline.get(), store::heartbeat(&self.db, lease)).await {
            Ok(Ok(beat)) => {
                deadline.renewed(sent);
                Ok(beat)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => {
                tracing::warn!(job = %lease.job_id, "the lease could not be renewed before it ran out: stopping");
                Err(JobsError::LeaseLost(lease.job_id))
            }
        }
    }

    /// Renews the lease every `heartbeat_every` and passes on cancel
    /// requests; returns only when the lease is lost, or when its deadline
    /// passed without a successful renewal (a renewal that failed is tried
    /// again at the next beat, or sooner at the deadline).
    async fn keep_alive(
        &self,
        lease: &Lease,
        deadline: &LeaseDeadline,
        cancel: &CancellationToken,
    ) {
        loop {
            let next = tokio::time::Instant::now() + self.config.heartbeat_every;
            let until = deadline.get();
            tokio::time::sleep_until(next.min(until)).await;
            if tokio::time::Instant::now() >= deadline.get() {
                tracing::warn!(job = %lease.job_id, "the lease ran out before it could be renewed: stopping");
                return;
            }
            self.liveness.tick();
            match self.renew(lease, deadline).await {
                Ok(beat) => {
                    if beat.cancel_requested {
                        cancel.cancel();
                    }
                }
                Err(JobsError::LeaseLost(_)) => return,
                Err(e) => tracing::warn!(job = %lease.job_id, error = %e, "heartbeat failed"),
            }
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}
