//! The core's error type: one variant per kind of failure a caller must treat
//! differently. Database details are logged, never shown to users.

use crate::roadmap::markdown::import::ParseError;

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
}

impl From<ParseError> for CoreError {
    fn from(e: ParseError) -> Self {
        CoreError::Import(e)
    }
}

impl From<crate::db::codec::Corrupt> for CoreError {
    fn from(e: crate::db::codec::Corrupt) -> Self {
        CoreError::Corrupt(e.0)
    }
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    /// Text that may be shown to a user: precise for input errors, generic for
    /// internal ones (whose detail goes to the log instead).
    pub fn public_message(&self) -> String {
        match self {
            CoreError::Invalid(_) | CoreError::NotFound(_) | CoreError::Import(_) => {
                self.to_string()
            }
            CoreError::Database(_) | CoreError::Migration(_) | CoreError::Corrupt(_) => {
                "internal error".to_owned()
            }
        }
    }
}
