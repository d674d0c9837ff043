//! The one conversion of the core's errors into plain routes' answers (the
//! server functions have theirs in `app::error`): input errors with their
//! precise message, internal ones logged with their detail and answered
//! "internal error".

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_core::CoreError;

/// Why a plain route did not answer with its content.
#[derive(Debug)]
pub enum RouteError {
    /// A refusal decided by the route itself (sign-in, permission, an
    /// unknown file name), with the text to show.
    Refused(StatusCode, String),
    Core(CoreError),
}

impl RouteError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::Refused(StatusCode::NOT_FOUND, what.into())
    }

    pub fn bad_request(why: impl Into<String>) -> Self {
        Self::Refused(StatusCode::BAD_REQUEST, why.into())
    }
}

impl From<CoreError> for RouteError {
    fn from(error: CoreError) -> Self {
        Self::Core(error)
    }
}

impl From<(StatusCode, String)> for RouteError {
    fn from((status, message): (StatusCode, String)) -> Self {
        Self::Refused(status, message)
    }
}

/// The status a core error answers with.
pub fn status_of(error: &CoreError) -> StatusCode {
    match error {
        CoreError::Invalid(_) | CoreError::Import(_) => StatusCode::BAD_REQUEST,
        CoreError::NotFound(_) => StatusCode::NOT_FOUND,
        CoreError::Database(_) | CoreError::Migration(_) | CoreError::Corrupt(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

impl IntoResponse for RouteError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::Refused(status, message) => (status, message),
            Self::Core(error) => {
                let status = status_of(&error);
                if status.is_server_error() {
                    tracing::error!(error = ?error, "request failed");
                }
                (status, error.public_message())
            }
        };
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            message,
        )
            .into_response()
    }
}

/// A download: `body` as `content_type`, saved as `filename` (or shown
/// inline), never cached.
pub fn download(
    content_type: &'static str,
    disposition: &str,
    filename: &str,
    body: impl IntoResponse,
) -> Response {
    let disposition = format!("{disposition}; filename=\"{filename}\"");
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_answered_generically_and_input_errors_precisely() {
        let internal =
            RouteError::from(CoreError::Corrupt("row 7: bad json".into())).into_response();
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let invalid = RouteError::from(CoreError::Invalid("bad month".into())).into_response();
        assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
        let missing = RouteError::from(CoreError::NotFound("module x".into())).into_response();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
}
