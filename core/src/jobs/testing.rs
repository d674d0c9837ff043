//! **Test scaffolding** (behind the `testing` feature; release builds never
//! have it): plans, requests and actors for the jobs tests, and the
//! [`ScriptedRunner`] double.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde_json::json;
use tokio::sync::Notify;

use super::model::{JobId, JobKind, Plan, PlanStep};
use super::runner::{StepContext, StepError, StepOutcome, StepRunner};
use super::store::{LogLevel, NewJob};
use crate::shared::{Actor, EnvName};

/// An operator acting from the UI.
pub fn operator() -> Actor {
    Actor {
        name: "Olga Operator <olga>".to_owned(),
        role: Some("operator".to_owned()),
        request_id: Some("req-jobs".to_owned()),
        source: "ui".to_owned(),
        subject: Some("olga".to_owned()),
    }
}

/// A plan of `steps` no-op steps named `step-1`, `step-2`, … (action
/// `test.step`), each with `timeout_secs` when given. Each call's plan has a
/// fingerprint of its own (`live-state-<n>`), so two calls never make the
/// same plan (a plan is confirmed once).
pub fn plan(steps: usize, timeout_secs: Option<u32>) -> Plan {
    static PLANS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = PLANS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Plan {
        steps: (1..=steps)
            .map(|i| PlanStep {
                name: format!("step-{i}"),
                action: "test.step".to_owned(),
                before: json!({"value": i - 1}),
                after: json!({"value": i}),
                timeout_secs,
            })
            .collect(),
        fingerprint: format!("live-state-{n}"),
        compute: None,
        attempt: None,
    }
}

/// A deploy request for `environment` with `steps` steps, by [`operator`].
pub fn new_job(environment: &str, steps: usize) -> NewJob {
    NewJob {
        #[expect(clippy::expect_used, reason = "test scaffolding with fixed names")]
        environment: EnvName::parse(environment).expect("a valid test environment name"),
        kind: JobKind::Deploy,
        requested_by: operator(),
        params: json!({"image": "registry.example.com/booking:1.2.3"}),
        plan: plan(steps, None),
        production: false,
        creates: None,
        request_reason: None,
    }
}

/// What a [`ScriptedRunner`] does for one execution of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    Succeed,
    Retryable(String),
    Fatal(String),
    Stale(String),
    RollBack(String),
    Panic(String),
    /// Waits for [`ScriptedRunner::release`] (then succeeds) or the job's
    /// cancel request (then returns [`StepError::Cancelled`]).
    Block,
    /// Waits for [`ScriptedRunner::release`] only, deaf to cancel requests
    /// (then succeeds).
    Gate,
    /// Never returns and ignores cancel requests (for step timeouts).
    Hang,
}

/// One step execution a [`ScriptedRunner`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    pub job: JobId,
    pub position: usize,
    pub name: String,
    pub attempt: u32,
}

/// **Test double**: a [`StepRunner`] that plays scripted behaviours per step
/// name (in order; [`Behavior::Succeed`] once a script runs out) and records
/// every execution, so tests can count them (completed steps are never
/// re-run) and make steps fail, panic, block or hang on command.
#[derive(Debug, Default)]
pub struct ScriptedRunner {
    scripts: Mutex<HashMap<String, VecDeque<Behavior>>>,
    executions: Mutex<Vec<Execution>>,
    release: Notify,
    /// Steps that reached a [`Behavior::Block`] or [`Behavior::Gate`] (their
    /// log line written: nothing of theirs is in flight).
    blocked: std::sync::atomic::AtomicUsize,
}

impl ScriptedRunner {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Appends `behaviors` to the script of the steps named `step`.
    pub fn script(&self, step: &str, behaviors: impl IntoIterator<Item = Behavior>) {
        self.scripts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(step.to_owned())
            .or_default()
            .extend(behaviors);
    }

    /// Lets one blocked step (or, when none is blocked, the next one to
    /// block) succeed.
    pub fn release(&self) {
        self.release.notify_one();
    }

    /// How many steps have reached a block or gate so far.
    pub fn blocked(&self) -> usize {
        self.blocked.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn block(&self) {
        self.blocked
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn executions(&self) -> Vec<Execution> {
        self.executions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many times step `position` of `job` was executed.
    pub fn runs_of(&self, job: JobId, position: usize) -> usize {
        self.executions()
            .iter()
            .filter(|e| e.job == job && e.position == position)
            .count()
    }

    fn next(&self, step: &str) -> Behavior {
        self.scripts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(step)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Behavior::Succeed)
    }
}

impl StepRunner for ScriptedRunner {
    fn run<'a>(
        &'a self,
        ctx: &'a StepContext,
        step: &'a PlanStep,
    ) -> BoxFuture<'a, Result<StepOutcome, StepError>> {
        Box::pin(async move {
            self.executions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Execution {
                    job: ctx.job_id(),
                    position: ctx.position,
                    name: step.name.clone(),
                    attempt: ctx.attempt,
                });
            let _ = ctx
                .log(LogLevel::Info, &format!("running {}", step.action))
                .await;
            match self.next(&step.name) {
                Behavior::Succeed => Ok(StepOutcome::Done(Some(step.after.clone()))),
                Behavior::Retryable(m) => Err(StepError::Retryable(m)),
                Behavior::Fatal(m) => Err(StepError::Fatal(m)),
                Behavior::Stale(m) => Err(StepError::Stale(m)),
                Behavior::RollBack(reason) => Ok(StepOutcome::RolledBack { reason }),
                Behavior::Panic(m) => panic!("{m}"),
                Behavior::Block => {
                    self.block();
                    tokio::select! {
                        _ = self.release.notified() => Ok(StepOutcome::Done(None)),
                        _ = ctx.cancelled() => Err(StepError::Cancelled),
                    }
                }
                Behavior::Gate => {
                    self.block();
                    self.release.notified().await;
                    Ok(StepOutcome::Done(None))
                }
                Behavior::Hang => std::future::pending().await,
            }
        })
    }
}

/// The variable that makes every worker of a process (built with the
/// `testing` feature) pause for two minutes after the effect of step N
/// (1-based) of any job is applied and before it is recorded: the worst
/// moment for a crash, which the crash tests choose by killing the process
/// during the pause.
pub const PAUSE_AFTER_STEP_VAR: &str = "TESTING_GANTRY_PAUSE_AFTER_STEP";

/// The log line written when the pause starts, for step `position`.
pub fn pause_marker(position: usize) -> String {
    format!(
        "testing: step {} applied; pausing before recording it",
        position + 1
    )
}

/// The pause [`PAUSE_AFTER_STEP_VAR`] asks for (none when unset or for
/// another step).
pub(crate) async fn pause_after_step(
    db: &crate::db::Db,
    lease: &super::store::Lease,
    position: usize,
) {
    let wanted = std::env::var(PAUSE_AFTER_STEP_VAR)
        .ok()
        .and_then(|v| v.parse::<usize>().ok());
    if wanted != Some(position + 1) {
        return;
    }
    let _ = super::store::append_log(
        db,
        lease,
        LogLevel::Warn,
        Some(position),
        &pause_marker(position),
        chrono::Utc::now(),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(120)).await;
}
