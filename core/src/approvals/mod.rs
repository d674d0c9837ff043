//! Production approvals: a production job runs only when enough people other
//! than its requester approved exactly its plan, or an admin broke glass.
//!
//! - [`rules`]: who may decide, what counts, when a request is complete
//!   (pure, table-tested).
//! - [`store`]: the `job_approvals` table.
//! - [`service`]: the use cases: decide (approve or reject) in one
//!   transaction that holds the job's row, records the decision and its
//!   audit record and queues the job exactly once when the last approval
//!   arrives; break-glass and its review; a job's approvals; a person's
//!   inbox; the expiry sweep.
//! - notifications (request, decisions, outcome) are written in the same
//!   transactions to [`crate::outbox`], which delivers them with retries.
//! - [`error`]: [`ApprovalsError`], the area's one error.

pub mod error;
pub mod rules;
pub mod service;
pub mod store;

pub use error::{ApprovalsError, ApprovalsResult};
