//! The error every server function returns: a precise message for what the
//! user can fix, a generic one for what they cannot (details stay in the log).

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("sign in required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// What the user acted on changed since they saw it (409): the page
    /// shows the new state.
    #[error("{0}")]
    Conflict(String),
    /// Asked again too soon (429, with `Retry-After`).
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// A system Gantry depends on (AWS) failed; the message says what to do
    /// (502).
    #[error("{0}")]
    Upstream(String),
    /// The feature is switched off in this server's configuration (503).
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal,
    #[error(transparent)]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = AppError::ServerFn(value);
        // Bad arguments are the client's fault: answer 400, not 500.
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
        }
        error
    }
}

impl AppError {
    /// A refusal of the user's input (400), the status set on the response.
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Invalid(message.into()).answered()
    }

    /// Something the user named that does not exist (404), the status set.
    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into()).answered()
    }

    /// Sets this error's status (and, when rate-limited, `Retry-After`) on
    /// the server function's (or page's) response.
    pub fn answered(self) -> Self {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
            if let AppError::RateLimited {
                retry_after_secs, ..
            } = &self
            {
                response.insert_header(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(*retry_after_secs),
                );
            }
        }
        self
    }

    pub fn status(&self) -> http::StatusCode {
        match self {
            AppError::Unauthorized => http::StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => http::StatusCode::FORBIDDEN,
            AppError::NotFound(_) => http::StatusCode::NOT_FOUND,
            AppError::Invalid(_) => http::StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => http::StatusCode::CONFLICT,
            AppError::RateLimited { .. } => http::StatusCode::TOO_MANY_REQUESTS,
            AppError::Upstream(_) => http::StatusCode::BAD_GATEWAY,
            AppError::Unavailable(_) => http::StatusCode::SERVICE_UNAVAILABLE,
            AppError::ServerFn(
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_),
            ) => http::StatusCode::BAD_REQUEST,
            AppError::Internal | AppError::ServerFn(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<gantry_core::CoreError> for AppError {
    fn from(err: gantry_core::CoreError) -> Self {
        use gantry_core::CoreError;
        let app = match &err {
            CoreError::NotFound(what) => AppError::NotFound(what.clone()),
            CoreError::Invalid(_) | CoreError::Import(_) => AppError::Invalid(err.public_message()),
            CoreError::Database(_) | CoreError::Migration(_) | CoreError::Corrupt(_) => {
                tracing::error!(error = ?err, "internal error");
                AppError::Internal
            }
        };
        // The server function's own HTTP response carries the matching status;
        // a page rendering the error sets its status itself.
        app.answered()
    }
}

#[cfg(feature = "ssr")]
impl From<gantry_core::jobs::JobsError> for AppError {
    fn from(err: gantry_core::jobs::JobsError) -> Self {
        use gantry_core::jobs::JobsError;
        let app = match &err {
            JobsError::NotFound(id) => AppError::NotFound(format!("job {id}")),
            JobsError::RateLimited {
                message,
                retry_after_secs,
            } => AppError::RateLimited {
                message: message.clone(),
                retry_after_secs: *retry_after_secs,
            },
            JobsError::Validation(_)
            | JobsError::Conflict(_)
            | JobsError::InvalidTransition { .. }
            | JobsError::LockHeld { .. } => AppError::Invalid(err.public_message()),
            // AWS's own reason (its code and text, never credentials).
            JobsError::Aws(_) => AppError::Upstream(err.public_message()),
            JobsError::LeaseLost(_)
            | JobsError::Db(_)
            | JobsError::Audit(_)
            | JobsError::Corrupt(_) => {
                tracing::error!(error = ?err, "internal error");
                AppError::Internal
            }
        };
        app.answered()
    }
}

#[cfg(feature = "ssr")]
impl From<gantry_core::approvals::ApprovalsError> for AppError {
    fn from(err: gantry_core::approvals::ApprovalsError) -> Self {
        use gantry_core::approvals::ApprovalsError;
        match err {
            ApprovalsError::Jobs(e) => e.into(),
            ApprovalsError::NotFound(id) => AppError::NotFound(format!("job {id}")).answered(),
            ApprovalsError::Validation(_) => AppError::Invalid(err.public_message()).answered(),
            // The plan moved since the approver opened it: 409, nothing recorded.
            ApprovalsError::PlanChanged(_) => AppError::Conflict(err.public_message()).answered(),
            // The rules refuse this person: 403, with the rule's reason.
            ApprovalsError::Refused(_) => AppError::Forbidden(err.public_message()).answered(),
            ApprovalsError::Db(_) | ApprovalsError::Core(_) => {
                tracing::error!(error = ?err, "internal error");
                AppError::Internal.answered()
            }
        }
    }
}
