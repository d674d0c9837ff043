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

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::store::NOTIFY_CHANNEL;

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
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            match listen_once(&url, &notifier, &shutdown).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "jobs LISTEN connection failed; polling meanwhile");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
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
    listener.listen(NOTIFY_CHANNEL).await?;
    // Anything enqueued while the listener was down is found by this wake.
    notifier.wake();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            received = listener.recv() => {
                let notification = received?;
                tracing::debug!(job = notification.payload(), "job notification");
                notifier.wake();
            }
        }
    }
}
