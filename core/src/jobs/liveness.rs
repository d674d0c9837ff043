//! A worker's liveness and counters, for `/readyz` and `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared between a [`super::worker::Worker`] and whoever reports on it.
#[derive(Debug)]
pub struct WorkerLiveness {
    started: Instant,
    /// Milliseconds after `started` of the loop's (or heartbeat's) last tick.
    last_tick_ms: AtomicU64,
    pub claimed: AtomicU64,
    pub succeeded: AtomicU64,
    pub failed: AtomicU64,
    pub cancelled: AtomicU64,
    pub rolled_back: AtomicU64,
    pub stale: AtomicU64,
    /// Marked stuck by this worker (its own step timeout or the sweep).
    pub stuck: AtomicU64,
    pub lease_lost: AtomicU64,
    pub step_retries: AtomicU64,
    pub step_panics: AtomicU64,
    /// Iterations of the claim loop that failed (a database error, a panic
    /// outside a step) and were retried after a backoff.
    pub loop_errors: AtomicU64,
}

/// The counters at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkerCounters {
    pub claimed: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub rolled_back: u64,
    pub stale: u64,
    pub stuck: u64,
    pub lease_lost: u64,
    pub step_retries: u64,
    pub step_panics: u64,
    pub loop_errors: u64,
}

impl WorkerCounters {
    /// The counters of several workers added up.
    pub fn total<'a>(workers: impl IntoIterator<Item = &'a WorkerLiveness>) -> Self {
        workers
            .into_iter()
            .map(WorkerLiveness::counters)
            .fold(Self::default(), |a, c| Self {
                claimed: a.claimed + c.claimed,
                succeeded: a.succeeded + c.succeeded,
                failed: a.failed + c.failed,
                cancelled: a.cancelled + c.cancelled,
                rolled_back: a.rolled_back + c.rolled_back,
                stale: a.stale + c.stale,
                stuck: a.stuck + c.stuck,
                lease_lost: a.lease_lost + c.lease_lost,
                step_retries: a.step_retries + c.step_retries,
                step_panics: a.step_panics + c.step_panics,
                loop_errors: a.loop_errors + c.loop_errors,
            })
    }

    /// Each counter under the name `/metrics` gives it.
    pub fn named(&self) -> [(&'static str, u64); 11] {
        [
            ("claimed", self.claimed),
            ("succeeded", self.succeeded),
            ("failed", self.failed),
            ("cancelled", self.cancelled),
            ("rolled_back", self.rolled_back),
            ("stale", self.stale),
            ("stuck", self.stuck),
            ("lease_lost", self.lease_lost),
            ("step_retry", self.step_retries),
            ("step_panic", self.step_panics),
            ("loop_error", self.loop_errors),
        ]
    }
}

impl Default for WorkerLiveness {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            last_tick_ms: AtomicU64::new(0),
            claimed: AtomicU64::new(0),
            succeeded: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            rolled_back: AtomicU64::new(0),
            stale: AtomicU64::new(0),
            stuck: AtomicU64::new(0),
            lease_lost: AtomicU64::new(0),
            step_retries: AtomicU64::new(0),
            step_panics: AtomicU64::new(0),
            loop_errors: AtomicU64::new(0),
        }
    }
}

impl WorkerLiveness {
    pub(crate) fn tick(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_tick_ms.store(ms, Ordering::Relaxed);
    }

    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// How long the worker has been running.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Time since the loop (or, during a step, its heartbeat) last ticked.
    pub fn since_last_tick(&self) -> Duration {
        let last = Duration::from_millis(self.last_tick_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }

    /// The loop ticked within `max_silence`: what `/readyz` should check
    /// (a few poll or heartbeat intervals).
    pub fn is_alive(&self, max_silence: Duration) -> bool {
        self.since_last_tick() <= max_silence
    }

    pub fn counters(&self) -> WorkerCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WorkerCounters {
            claimed: get(&self.claimed),
            succeeded: get(&self.succeeded),
            failed: get(&self.failed),
            cancelled: get(&self.cancelled),
            rolled_back: get(&self.rolled_back),
            stale: get(&self.stale),
            stuck: get(&self.stuck),
            lease_lost: get(&self.lease_lost),
            step_retries: get(&self.step_retries),
            step_panics: get(&self.step_panics),
            loop_errors: get(&self.loop_errors),
        }
    }
}
