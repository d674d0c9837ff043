//! The core's error type: one variant per kind of failure a caller must treat
//! differently. Database details are logged, never shown to users.

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input was understood and refused; the message is safe to show.
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The document's problem is in the message and is not also its
    /// `source()`: a chain printer (`{:#}`) would say it twice.
    #[error("the document could not be imported: {0}")]
    Import(ParseError),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Stored data that does not decode: a bug or a hand-edited database.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A change reached commit without its audit record (a bug); it was
    /// rolled back ([`crate::audit::AuditedTx::commit`]).
    #[error("refused an unaudited change: {0}")]
    Unaudited(String),
}

impl From<ParseError> for CoreError {
    fn from(e: ParseError) -> Self {
        CoreError::Import(e)
    }
}

/// Why a document was refused, with the 1-based line it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;

/// How a refusal or a failure is answered: decided once per area error
/// ([`Refusal`]) and used by every answerer alike — a server function, a
/// plain route, a form posted without JavaScript — so an error answers the
/// same status and words wherever it surfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Sign in first (401).
    Unauthorized,
    /// The caller may not do this (403); the message says why.
    Forbidden(String),
    /// What the caller named does not exist (404): what it was ("job 7").
    NotFound(String),
    /// The input was refused (400); the message is precise.
    Invalid(String),
    /// What the caller acted on changed since they saw it (409).
    Conflict(String),
    /// Asked again too soon (429, with `Retry-After`).
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// A system Gantry depends on (AWS) failed (502); the message says what.
    Upstream(String),
    /// The feature is switched off in this server's configuration (503).
    Unavailable(String),
    /// Not the caller's doing (500). The detail is logged where the error is
    /// answered, never shown.
    Internal,
}

/// An area's error, classified for whoever answers it.
pub trait Refusal: std::error::Error {
    fn answer(&self) -> Answer;
}

impl Refusal for CoreError {
    fn answer(&self) -> Answer {
        match self {
            CoreError::NotFound(what) => Answer::NotFound(what.clone()),
            CoreError::Invalid(_) | CoreError::Import(_) => Answer::Invalid(self.public_message()),
            CoreError::Database(_)
            | CoreError::Migration(_)
            | CoreError::Corrupt(_)
            | CoreError::Unaudited(_) => Answer::Internal,
        }
    }
}

impl CoreError {
    /// Text that may be shown to a user: precise for input errors, generic for
    /// internal ones (whose detail goes to the log instead).
    pub fn public_message(&self) -> String {
        match self {
            CoreError::Invalid(_) | CoreError::NotFound(_) | CoreError::Import(_) => {
                self.to_string()
            }
            CoreError::Database(_)
            | CoreError::Migration(_)
            | CoreError::Corrupt(_)
            | CoreError::Unaudited(_) => "internal error".to_owned(),
        }
    }
}
