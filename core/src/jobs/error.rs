//! The jobs area's one error type.

use super::model::{JobId, JobState};
use crate::error::{Answer, CoreError, Refusal};

#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// The input was understood and refused; the message is safe to show.
    #[error("{0}")]
    Validation(String),
    #[error("job {0} not found")]
    NotFound(JobId),
    /// The job is not in a state that allows this (a cancel of a finished job,
    /// a retry of a running one).
    #[error("a {from} job cannot become {to}")]
    InvalidTransition { from: JobState, to: JobState },
    /// Someone else changed the job first (a second confirm, a concurrent
    /// decision); the message is safe to show.
    #[error("{0}")]
    Conflict(String),
    /// Asked too often (plans per person): answered 429 with
    /// `Retry-After`; the message is safe to show.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// The environment's lock is held by another job.
    #[error("environment {environment} is locked by job {holder}")]
    LockHeld { environment: String, holder: JobId },
    /// The worker's lease on the job was taken over (it expired and another
    /// worker claimed the job, or the job was marked stuck or cancelled): the
    /// worker must stop and never write again. Nothing was written.
    #[error("the lease on job {0} was lost")]
    LeaseLost(JobId),
    #[error("database error")]
    Db(#[from] sqlx::Error),
    /// Reading AWS to make a plan failed; the message (AWS's code and text or
    /// the network cause, never credentials) is safe to show.
    #[error("AWS: {0}")]
    Aws(crate::aws::AwsError),
    /// The audit record could not be written (the whole change was rolled back).
    #[error("audit error: {0}")]
    Audit(#[source] CoreError),
    /// Stored data that does not decode: a bug or a hand-edited database.
    #[error("stored job data is corrupt: {0}")]
    Corrupt(String),
}

impl From<crate::db::codec::Corrupt> for JobsError {
    fn from(e: crate::db::codec::Corrupt) -> Self {
        JobsError::Corrupt(e.0)
    }
}

pub type JobsResult<T> = Result<T, JobsError>;

impl Refusal for JobsError {
    fn answer(&self) -> Answer {
        match self {
            JobsError::NotFound(id) => Answer::NotFound(format!("job {id}")),
            JobsError::RateLimited {
                message,
                retry_after_secs,
            } => Answer::RateLimited {
                message: message.clone(),
                retry_after_secs: *retry_after_secs,
            },
            JobsError::Validation(_)
            | JobsError::Conflict(_)
            | JobsError::InvalidTransition { .. }
            | JobsError::LockHeld { .. } => Answer::Invalid(self.public_message()),
            // AWS's own reason (its code and text, never credentials).
            JobsError::Aws(_) => Answer::Upstream(self.public_message()),
            JobsError::LeaseLost(_)
            | JobsError::Db(_)
            | JobsError::Audit(_)
            | JobsError::Corrupt(_) => Answer::Internal,
        }
    }
}

impl JobsError {
    /// Text that may be shown to a user: precise for input errors, generic for
    /// internal ones (whose detail goes to the log instead).
    pub fn public_message(&self) -> String {
        match self {
            JobsError::Validation(_)
            | JobsError::NotFound(_)
            | JobsError::InvalidTransition { .. }
            | JobsError::Conflict(_)
            | JobsError::LockHeld { .. }
            | JobsError::RateLimited { .. }
            | JobsError::Aws(_) => self.to_string(),
            JobsError::LeaseLost(_)
            | JobsError::Db(_)
            | JobsError::Audit(_)
            | JobsError::Corrupt(_) => "internal error".to_owned(),
        }
    }
}

impl From<CoreError> for JobsError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Database(e) => JobsError::Db(e),
            CoreError::Invalid(message) => JobsError::Validation(message),
            other => JobsError::Audit(other),
        }
    }
}

impl From<JobsError> for CoreError {
    fn from(error: JobsError) -> Self {
        match error {
            JobsError::Validation(m) | JobsError::Conflict(m) => CoreError::Invalid(m),
            e @ (JobsError::InvalidTransition { .. }
            | JobsError::LockHeld { .. }
            | JobsError::RateLimited { .. }) => CoreError::Invalid(e.to_string()),
            JobsError::NotFound(id) => CoreError::NotFound(format!("job {id}")),
            JobsError::Db(e) => CoreError::Database(e),
            JobsError::Audit(e) => e,
            // Shown with AWS's reason; the jobs pages answer it as a 502.
            e @ JobsError::Aws(_) => CoreError::Invalid(e.to_string()),
            e @ (JobsError::LeaseLost(_) | JobsError::Corrupt(_)) => {
                CoreError::Corrupt(e.to_string())
            }
        }
    }
}
