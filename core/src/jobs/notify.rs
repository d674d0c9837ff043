//! Waking the workers when a job is enqueued.
//!
//! - In process (SQLite, and PostgreSQL in the same process): a
//!   [`tokio::sync::Notify`] that the enqueueing code wakes
//!   ([`JobsNotifier::wake`], done by [`super::submit`]).
//! - Across replicas (PostgreSQL): [`store::enqueue`](super::store::enqueue)
//!   sends `NOTIFY gantry_jobs, '<id>'` inside its transaction;
//!   [`listen_postgres`] holds `LISTEN gantry_jobs` on a dedicated, direct
//!   connection (`LISTEN` does not work through PgBouncer in transaction
//!   mode: give it the database's own address) and wakes the local workers.
//! - Always: the workers also poll, so a lost notification (a dropped
//!   listener connection) delays a job by at most one poll interval.
//!
//! Progress (for the jobs' event streams): every committed change of a job
//! in this process bumps [`progressed`]; on PostgreSQL each job log line
//! also sends `NOTIFY gantry_job_progress` (every change of a job logs a
//! line), which the same listener passes on, so a stream on one replica
//! wakes for a job another replica runs. Streams also look on their own at
//! a long interval, for a notification that was lost.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::store::{NOTIFY_CHANNEL, PROGRESS_CHANNEL};
use crate::backoff::Backoff;

/// The process's "some job changed" signal (a counter), for the event
/// streams.
fn progress_signal() -> &'static tokio::sync::watch::Sender<u64> {
    static SIGNAL: std::sync::OnceLock<tokio::sync::watch::Sender<u64>> =
        std::sync::OnceLock::new();
    SIGNAL.get_or_init(|| tokio::sync::watch::channel(0).0)
}

/// Says that a job changed (after the change committed).
pub fn progressed() {
    progress_signal().send_modify(|n| *n = n.wrapping_add(1));
}

/// Wakes (`changed()`) after each [`progressed`] from now on.
pub fn progress() -> tokio::sync::watch::Receiver<u64> {
    progress_signal().subscribe()
}

/// Wakes this process's workers. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct JobsNotifier {
    notify: Arc<Notify>,
}

impl JobsNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakes every worker that is waiting (and the next one to wait, if none
    /// is: a job enqueued while all workers are busy is not missed).
    pub fn wake(&self) {
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Waits for a [`Self::wake`] or `timeout`, whichever comes first.
    pub async fn wait(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

/// Listens on `url` (a direct PostgreSQL connection, not through PgBouncer)
/// for `NOTIFY gantry_jobs` and wakes `notifier` on each, until `shutdown`.
/// A dropped connection is logged and re-opened with backoff; meanwhile the
/// workers' polling carries on.
pub fn listen_postgres(
    url: String,
    notifier: JobsNotifier,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            match listen_once(&url, &notifier, &shutdown).await {
                Ok(()) => return,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff.after(failures);
                    tracing::warn!(error = %e, retry_in = ?wait, "jobs LISTEN connection failed; polling meanwhile");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    })
}

async fn listen_once(
    url: &str,
    notifier: &JobsNotifier,
    shutdown: &CancellationToken,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener
        .listen_all([NOTIFY_CHANNEL, PROGRESS_CHANNEL])
        .await?;
    // Anything enqueued while the listener was down is found by this wake.
    notifier.wake();
    progressed();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            received = listener.recv() => {
                let notification = received?;
                if notification.channel() == PROGRESS_CHANNEL {
                    progressed();
                } else {
                    tracing::debug!(job = notification.payload(), "job notification");
                    notifier.wake();
                }
            }
        }
    }
}
