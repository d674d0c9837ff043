//! The background poller: every interval, every environment is observed once
//! (concurrently, a few at a time) and its snapshot stored. Pages read the
//! stored snapshots and never call AWS, so 100 viewers cost no AWS call.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use futures::{FutureExt, StreamExt};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::model::HealthStatus;
use super::snapshot::{EnvironmentSnapshot, HealthTransition};
use super::source::HealthSource;
use super::store;
use crate::db::Db;
use crate::environments::model::Environment;
use crate::error::CoreResult;

/// Environments observed at the same time.
pub const MAX_CONCURRENT_ENVIRONMENTS: usize = 8;

/// Days status transitions are kept unless [`Poller::keep_transitions_for`]
/// says otherwise.
pub const DEFAULT_TRANSITION_RETENTION_DAYS: i64 = 90;

/// Polls every environment's health on a schedule.
pub struct Poller {
    db: Db,
    source: Arc<dyn HealthSource>,
    interval: Duration,
    retention: chrono::Duration,
    /// Status transitions are kept this long (default 90 days).
    transition_retention: chrono::Duration,
    /// The latest snapshot per environment, so a poll need not read it back.
    latest: Mutex<HashMap<String, EnvironmentSnapshot>>,
    trigger: PollTrigger,
    clock: crate::Clock,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("interval", &self.interval)
            .field("retention", &self.retention)
            .field("transition_retention", &self.transition_retention)
            .finish_non_exhaustive()
    }
}

/// A person's "check now" is accepted at most this often (all people
/// together): each poll costs about 5 AWS requests per environment.
pub const MIN_REQUEST_GAP: Duration = Duration::from_secs(10);

/// Asks a running poller for a poll now. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PollTrigger {
    notify: Arc<Notify>,
    /// When [`Self::request`] last accepted a request.
    last_request: Arc<Mutex<Option<std::time::Instant>>>,
    min_gap: Duration,
}

impl Default for PollTrigger {
    fn default() -> Self {
        Self::with_min_gap(MIN_REQUEST_GAP)
    }
}

/// A poll was asked for within [`MIN_REQUEST_GAP`] of the previous request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a health check was requested moments ago: try again in {retry_after_secs} s")]
pub struct PollTooSoon {
    pub retry_after_secs: u64,
}

impl crate::error::Refusal for PollTooSoon {
    fn answer(&self) -> crate::error::Answer {
        crate::error::Answer::RateLimited {
            message: self.to_string(),
            retry_after_secs: self.retry_after_secs,
        }
    }
}

impl PollTrigger {
    /// A trigger whose [`Self::request`] accepts one request per `min_gap`.
    pub fn with_min_gap(min_gap: Duration) -> Self {
        Self {
            notify: Arc::default(),
            last_request: Arc::default(),
            min_gap,
        }
    }

    /// Starts a poll as soon as the current one (if any) is done; several
    /// requests meanwhile make one poll.
    pub fn poll_now(&self) {
        self.notify.notify_one();
    }

    /// A person's "check now": [`Self::poll_now`], unless one was accepted
    /// within the minimum gap.
    pub fn request(&self) -> Result<(), PollTooSoon> {
        let now = std::time::Instant::now();
        let mut last = self.last_request.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = *last {
            let since = now.saturating_duration_since(at);
            if since < self.min_gap {
                let wait = (self.min_gap - since).as_secs_f64().ceil() as u64;
                return Err(PollTooSoon {
                    retry_after_secs: wait.max(1),
                });
            }
        }
        *last = Some(now);
        drop(last);
        self.poll_now();
        Ok(())
    }
}

impl Poller {
    /// Polls every `interval`, keeping snapshots for `retention` (the latest
    /// of each environment is always kept).
    pub fn new(
        db: Db,
        source: Arc<dyn HealthSource>,
        interval: Duration,
        retention: chrono::Duration,
    ) -> Self {
        Self {
            db,
            source,
            interval,
            retention,
            transition_retention: chrono::Duration::days(DEFAULT_TRANSITION_RETENTION_DAYS),
            latest: Mutex::default(),
            trigger: PollTrigger::default(),
            clock: crate::Clock::system(),
        }
    }

    /// Reads the time from `clock` (the services' clock) instead of the wall clock.
    #[must_use]
    pub fn with_clock(mut self, clock: crate::Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Keeps status transitions for `retention` instead of the default.
    #[must_use]
    pub fn keep_transitions_for(mut self, retention: chrono::Duration) -> Self {
        self.transition_retention = retention;
        self
    }

    /// A handle to ask the spawned poller for a poll now.
    pub fn trigger(&self) -> PollTrigger {
        self.trigger.clone()
    }

    /// Observes and stores every environment once, concurrently, and returns
    /// the snapshots stored, by environment name. One environment failing
    /// (its snapshot not stored) never stops the others; only failing to list
    /// the environments fails the poll.
    #[tracing::instrument(skip_all)]
    pub async fn poll_once(&self, now: DateTime<Utc>) -> CoreResult<Vec<EnvironmentSnapshot>> {
        // Stored with millisecond precision: keep the same in the snapshot.
        let now = now.trunc_subsecs(3);
        let environments = crate::environments::service::list(&self.db).await?;
        {
            let mut latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
            latest.retain(|name, _| environments.iter().any(|e| e.name.as_str() == name));
        }
        // The futures are built first: a closure in the stream would make
        // the spawned poller's future not `Send` (rust-lang/rust#102211).
        let polls: Vec<_> = environments
            .iter()
            .map(|env| self.poll_environment(env, now))
            .collect();
        let stored: Vec<Option<EnvironmentSnapshot>> = futures::stream::iter(polls)
            .buffer_unordered(MAX_CONCURRENT_ENVIRONMENTS)
            .collect()
            .await;
        let mut snapshots: Vec<EnvironmentSnapshot> = stored.into_iter().flatten().collect();
        snapshots.sort_by(|a, b| a.environment.cmp(&b.environment));
        // History of deleted environments, and transitions past retention.
        let names: Vec<String> = environments.iter().map(|e| e.name.to_string()).collect();
        match store::prune_history(&self.db, now - self.transition_retention, &names).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "pruned old health history"),
            Err(err) => tracing::warn!(error = %err, "health history not pruned"),
        }
        tracing::info!(
            environments = environments.len(),
            stored = snapshots.len(),
            "health poll done"
        );
        Ok(snapshots)
    }

    async fn poll_environment(
        &self,
        env: &Environment,
        now: DateTime<Utc>,
    ) -> Option<EnvironmentSnapshot> {
        let name = env.name.to_string();
        let remembered = self
            .latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&name)
            .cloned();
        let previous = match remembered {
            Some(snapshot) => Some(snapshot),
            None => match store::latest(&self.db, &name).await {
                Ok(found) => found,
                Err(err) => {
                    tracing::warn!(environment = %name, error = %err, "previous health snapshot not read");
                    None
                }
            },
        };
        // A source that panics on one environment must not end the poll (or
        // the spawned poller) for all of them.
        let observed =
            AssertUnwindSafe(async { self.source.observe(env, previous.as_ref(), now).await })
                .catch_unwind()
                .await;
        let Ok(snapshot) = observed else {
            tracing::error!(environment = %name, "health source panicked; environment not polled");
            return None;
        };
        match store::save(&self.db, &snapshot, previous.as_ref(), self.retention).await {
            Ok(transitions) => {
                log_transitions(&transitions);
                self.latest
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(name, snapshot.clone());
                Some(snapshot)
            }
            Err(err) => {
                tracing::error!(environment = %name, error = %err, "health snapshot not stored");
                None
            }
        }
    }

    /// Runs the poller until `shutdown` is cancelled: a poll at once, then
    /// one every interval (a poll that overruns delays the next, never
    /// stacks), and one whenever [`PollTrigger::poll_now`] asks. A poll under
    /// way when `shutdown` comes is abandoned (nothing half-stored: each
    /// environment's snapshot is one transaction).
    pub fn spawn(self, shutdown: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(self.interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let notify = Arc::clone(&self.trigger.notify);
            tracing::info!(
                interval_s = self.interval.as_secs_f64(),
                "health poller started"
            );
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = ticker.tick() => {}
                    _ = notify.notified() => ticker.reset(),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    result = self.poll_once(self.clock.now()) => {
                        if let Err(err) = result {
                            tracing::error!(error = %err, "health poll failed");
                        }
                    }
                }
            }
            tracing::info!("health poller stopped");
        })
    }
}

fn log_transitions(transitions: &[HealthTransition]) {
    for t in transitions {
        let from = t.from.map_or("none", HealthStatus::as_str);
        if t.to > HealthStatus::Progressing && t.from.is_some_and(|f| f < t.to) {
            tracing::warn!(environment = %t.environment, subject = %t.subject, from, to = t.to.as_str(), reason = %t.reason, "health got worse");
        } else {
            tracing::info!(environment = %t.environment, subject = %t.subject, from, to = t.to.as_str(), reason = %t.reason, "health changed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_accepted_once_per_gap() {
        let trigger = PollTrigger::default();
        assert_eq!(trigger.request(), Ok(()));
        let refused = trigger.request().unwrap_err();
        assert!((1..=10).contains(&refused.retry_after_secs), "{refused:?}");
        assert!(refused.to_string().contains("try again in"));
        // Clones share the limit: it is per poller, not per person.
        assert!(trigger.clone().request().is_err());
        // poll_now itself is never limited.
        trigger.poll_now();
        let eager = PollTrigger::with_min_gap(Duration::ZERO);
        assert_eq!(eager.request(), Ok(()));
        assert_eq!(eager.request(), Ok(()));
    }
}
