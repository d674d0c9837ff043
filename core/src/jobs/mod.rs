//! Jobs: durable, planned, leased changes to an environment, run by workers.
//!
//! - [`model`]: ids, kinds, states and their allowed transitions, plans and
//!   their hash (canonical JSON, SHA-256).
//! - [`store`]: the tables; enqueue (job, steps and audit record in one
//!   transaction), claim under a lease with a fencing token, every fenced
//!   write of the worker, cancel, stuck detection, paginated reads.
//! - [`error`]: [`JobsError`], the area's one error.
//!
//! The database enforces one running (or stuck) job per environment: a
//! partial unique index, [`store::LOCK_INDEX`].

pub mod error;
pub mod model;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{JobsError, JobsResult};
pub use model::{JobId, JobKind, JobState, Plan, PlanStep, StepState};
