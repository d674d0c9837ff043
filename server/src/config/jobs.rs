//! `[jobs]`: the workers that run provisioning jobs in this process.

use std::time::Duration;

use gantry_core::db::Backend;
use gantry_core::jobs::worker::WorkerConfig;
use secrecy::SecretString;
use serde::Deserialize;

use super::{invalid, ConfigError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Run job workers in this process. Off: jobs can still be requested
    /// (another replica runs them).
    pub enabled: bool,
    /// Claim loops in this process (1..=16).
    pub workers: u32,
    /// Seconds a claim holds a job before another worker may take it over
    /// (5..=600; by the database's clock).
    pub lease_secs: u64,
    /// Seconds between lease renewals while a step runs (at most a third of
    /// the lease).
    pub heartbeat_secs: u64,
    /// Milliseconds between looks at the queue when no wake-up came
    /// (50..=60000).
    pub poll_interval_ms: u64,
    /// Attempts of a step that fails with a retryable error (1..=10).
    pub max_attempts: u32,
    /// Seconds between looks at a rollout and between health probes (1..=60).
    pub rollout_poll_secs: u64,
    /// Seconds a deploy's rollout may take before the deploy rolls back
    /// (10..=7200): a rollout that does not converge is a failed one.
    pub rollout_timeout_secs: u64,
    /// Several replicas share this database: refused on SQLite, which one
    /// process owns.
    pub multi_replica: bool,
    /// A direct PostgreSQL URL for `LISTEN gantry_jobs` (not through
    /// PgBouncer in transaction mode); default: `database.url`.
    pub listen_url: Option<SecretString>,
    /// 32 random bytes, base64: seals the SecureString values a configure
    /// job carries from the form to the worker. Unset: such values are
    /// refused. Every replica needs the same key.
    pub secrets_key: Option<SecretString>,
    /// Plans one person may ask for per minute (1..=600): planning reads
    /// live AWS state for whoever asks.
    pub plans_per_minute: u32,
    /// Open job event streams one person may hold (1..=100); opening one
    /// more closes their oldest.
    pub max_streams_per_person: usize,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            workers: 2,
            lease_secs: 30,
            heartbeat_secs: 10,
            poll_interval_ms: 2000,
            max_attempts: 3,
            rollout_poll_secs: 5,
            rollout_timeout_secs: u64::from(gantry_core::jobs::kinds::deploy::ROLLOUT_TIMEOUT_SECS),
            multi_replica: false,
            listen_url: None,
            secrets_key: None,
            plans_per_minute: gantry_core::jobs::limit::DEFAULT_PLANS_PER_MINUTE,
            max_streams_per_person: crate::routes::jobs::DEFAULT_STREAMS_PER_PERSON,
        }
    }
}

impl JobsConfig {
    /// The sealer of `secrets_key`, if set.
    pub fn sealer(&self) -> Result<Option<gantry_core::jobs::seal::Sealer>, ConfigError> {
        self.secrets_key
            .as_ref()
            .map(|key| {
                gantry_core::jobs::seal::Sealer::from_base64(key)
                    .map_err(|m| invalid("jobs.secrets_key", m))
            })
            .transpose()
    }

    /// The per-person plan limit of `plans_per_minute`.
    pub fn plan_limit(&self) -> gantry_core::jobs::limit::PlanLimit {
        std::num::NonZeroU32::new(self.plans_per_minute)
            .map(gantry_core::jobs::limit::PlanLimit::new)
            .unwrap_or_default()
    }

    pub(super) fn validate(&self, backend: Backend) -> Result<(), ConfigError> {
        self.sealer()?;
        if !(1..=100).contains(&self.max_streams_per_person) {
            return Err(invalid(
                "jobs.max_streams_per_person",
                "must be between 1 and 100",
            ));
        }
        if !(1..=600).contains(&self.plans_per_minute) {
            return Err(invalid(
                "jobs.plans_per_minute",
                "must be between 1 and 600",
            ));
        }
        if !(1..=16).contains(&self.workers) {
            return Err(invalid("jobs.workers", "must be between 1 and 16"));
        }
        if !(5..=600).contains(&self.lease_secs) {
            return Err(invalid("jobs.lease_secs", "must be between 5 and 600"));
        }
        if self.heartbeat_secs == 0 || self.heartbeat_secs * 3 > self.lease_secs {
            return Err(invalid(
                "jobs.heartbeat_secs",
                "must be at least 1 and at most a third of jobs.lease_secs",
            ));
        }
        if !(50..=60_000).contains(&self.poll_interval_ms) {
            return Err(invalid(
                "jobs.poll_interval_ms",
                "must be between 50 and 60000",
            ));
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(invalid("jobs.max_attempts", "must be between 1 and 10"));
        }
        if !(10..=7200).contains(&self.rollout_timeout_secs) {
            return Err(invalid(
                "jobs.rollout_timeout_secs",
                "must be between 10 and 7200",
            ));
        }
        if !(1..=60).contains(&self.rollout_poll_secs) {
            return Err(invalid(
                "jobs.rollout_poll_secs",
                "must be between 1 and 60",
            ));
        }
        if self.multi_replica && backend == Backend::Sqlite {
            return Err(invalid(
                "jobs.multi_replica",
                "several replicas need PostgreSQL: a SQLite database belongs to one process (set database.url to postgres://…)",
            ));
        }
        Ok(())
    }

    /// The settings of worker `n` of this process.
    pub fn worker(&self, n: u32) -> WorkerConfig {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "gantry".to_owned());
        WorkerConfig {
            lease: Duration::from_secs(self.lease_secs),
            heartbeat_every: Duration::from_secs(self.heartbeat_secs),
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            max_attempts: self.max_attempts,
            ..WorkerConfig::new(format!("{host}-{}-{n}", std::process::id()))
        }
    }

    /// How long a worker loop may stay silent before `/readyz` fails: three
    /// polls or heartbeats, whichever is longer, plus 5 s.
    pub fn max_silence(&self) -> Duration {
        let beat = Duration::from_secs(self.heartbeat_secs)
            .max(Duration::from_millis(self.poll_interval_ms));
        beat * 3 + Duration::from_secs(5)
    }
}
