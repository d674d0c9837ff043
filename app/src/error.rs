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
        // Bad arguments are the client's fault: answer 400, not 500.
        AppError::ServerFn(value).answered()
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

    /// The feature is off in this server's configuration (503), the status
    /// set.
    pub fn unavailable(why: impl Into<String>) -> Self {
        AppError::Unavailable(why.into()).answered()
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
impl AppError {
    /// The one conversion of an area's error ([`Refusal`]): its answer, the
    /// detail of an internal one logged here (never shown), and the status
    /// set on the server function's (or page's) response.
    ///
    /// [`Refusal`]: gantry_core::error::Refusal
    pub fn refused<E: gantry_core::error::Refusal>(err: E) -> Self {
        Self::answer_of(err).answered()
    }

    /// [`refused`](Self::refused) without touching the response: for plain
    /// routes, which answer it themselves.
    pub fn answer_of<E: gantry_core::error::Refusal>(err: E) -> Self {
        use gantry_core::error::Answer;
        match err.answer() {
            Answer::Unauthorized => AppError::Unauthorized,
            Answer::Forbidden(why) => AppError::Forbidden(why),
            Answer::NotFound(what) => AppError::NotFound(what),
            Answer::Invalid(why) => AppError::Invalid(why),
            Answer::Conflict(why) => AppError::Conflict(why),
            Answer::RateLimited {
                message,
                retry_after_secs,
            } => AppError::RateLimited {
                message,
                retry_after_secs,
            },
            Answer::Upstream(why) => AppError::Upstream(why),
            Answer::Unavailable(why) => AppError::Unavailable(why),
            Answer::Internal => {
                tracing::error!(error = ?err, "internal error");
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<gantry_core::CoreError> for AppError {
    fn from(err: gantry_core::CoreError) -> Self {
        Self::refused(err)
    }
}

#[cfg(feature = "ssr")]
impl From<gantry_core::jobs::JobsError> for AppError {
    fn from(err: gantry_core::jobs::JobsError) -> Self {
        Self::refused(err)
    }
}

#[cfg(feature = "ssr")]
impl From<gantry_core::approvals::ApprovalsError> for AppError {
    fn from(err: gantry_core::approvals::ApprovalsError) -> Self {
        Self::refused(err)
    }
}

#[cfg(feature = "ssr")]
impl From<gantry_core::auth::Denied> for AppError {
    fn from(err: gantry_core::auth::Denied) -> Self {
        Self::refused(err)
    }
}
