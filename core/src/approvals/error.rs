//! The approvals area's one error type.

use crate::error::{Answer, Refusal};
use crate::jobs::{JobId, JobsError};

#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    /// The input was understood and refused (a missing reason, an unknown
    /// decision); the message is safe to show.
    #[error("{0}")]
    Validation(String),
    /// The rules refuse this person this decision (their own request, not
    /// an approver of this environment, decided already, expired, frozen);
    /// the message is safe to show.
    #[error("{0}")]
    Refused(String),
    /// The job's plan is no longer the one the decider saw (re-planned
    /// meanwhile); nothing was recorded. The message is safe to show.
    #[error("{0}")]
    PlanChanged(String),
    #[error("job {0} not found")]
    NotFound(JobId),
    /// Reading or changing the job failed.
    #[error(transparent)]
    Jobs(#[from] JobsError),
    #[error("database error")]
    Db(#[from] sqlx::Error),
    /// Reading the environment or writing the audit record failed (the
    /// whole change was rolled back).
    #[error("storage error: {0}")]
    Core(#[from] crate::error::CoreError),
}

impl From<crate::db::codec::Corrupt> for ApprovalsError {
    fn from(e: crate::db::codec::Corrupt) -> Self {
        ApprovalsError::Core(crate::error::CoreError::from(e))
    }
}

pub type ApprovalsResult<T> = Result<T, ApprovalsError>;

impl Refusal for ApprovalsError {
    fn answer(&self) -> Answer {
        match self {
            ApprovalsError::Jobs(e) => e.answer(),
            ApprovalsError::NotFound(id) => Answer::NotFound(format!("job {id}")),
            ApprovalsError::Validation(_) => Answer::Invalid(self.public_message()),
            // The plan moved since the approver opened it: nothing recorded.
            ApprovalsError::PlanChanged(_) => Answer::Conflict(self.public_message()),
            // The rules refuse this person, with the rule's reason.
            ApprovalsError::Refused(_) => Answer::Forbidden(self.public_message()),
            ApprovalsError::Db(_) | ApprovalsError::Core(_) => Answer::Internal,
        }
    }
}

impl ApprovalsError {
    /// Text that may be shown to a user.
    pub fn public_message(&self) -> String {
        match self {
            ApprovalsError::Validation(_)
            | ApprovalsError::Refused(_)
            | ApprovalsError::PlanChanged(_)
            | ApprovalsError::NotFound(_) => self.to_string(),
            ApprovalsError::Jobs(e) => e.public_message(),
            ApprovalsError::Db(_) | ApprovalsError::Core(_) => "internal error".to_owned(),
        }
    }
}
