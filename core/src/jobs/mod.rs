//! Jobs: durable, planned, leased changes to an environment, run by workers.
//!
//! - [`model`]: ids, kinds, states and their allowed transitions, plans and
//!   their hash (canonical JSON, SHA-256).
//! - [`store`]: the tables; enqueue (job, steps and audit record in one
//!   transaction), claim under a lease with a fencing token, every fenced
//!   write of the worker, cancel, stuck detection, paginated reads.
//! - [`runner`]: the [`runner::StepRunner`] a job kind implements.
//! - [`worker`]: the claim loop; [`liveness`] its liveness and counters;
//!   [`notify`] the wake-ups (in process, and PostgreSQL `LISTEN`).
//! - [`kinds`]: the job kinds that change AWS (planners and the
//!   [`kinds::AwsRunner`] that performs their steps).
//! - [`service`]: the use cases the pages and the command line call (plan,
//!   confirm exactly the plan shown, cancel, retry, reads).
//! - [`error`]: [`JobsError`], the area's one error.
//! - `testing` (feature `testing`): the `ScriptedRunner` double and fixtures.
//!
//! The database enforces one running (or stuck) job per environment: a
//! partial unique index, [`store::LOCK_INDEX`].

pub mod error;
pub mod kinds;
pub mod limit;
pub mod liveness;
pub mod model;
pub mod notify;
pub mod runner;
pub mod seal;
pub mod service;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod worker;

pub use error::{JobsError, JobsResult};
pub use model::{JobId, JobKind, JobState, Plan, PlanStep, StepState};

/// Enqueues `new` ([`store::enqueue`]) and wakes this process's workers; the
/// other replicas' are woken by the enqueue's PostgreSQL `NOTIFY`.
pub async fn submit(
    db: &crate::Db,
    notifier: &notify::JobsNotifier,
    new: &store::NewJob,
    now: chrono::DateTime<chrono::Utc>,
) -> JobsResult<store::Job> {
    let job = store::enqueue(db, new, now).await?;
    notifier.wake();
    Ok(job)
}
