//! Plain routes' answers. An area's error is answered exactly as a server
//! function answers it: its [`Refusal`] answer, through `AppError` (one
//! status and one message for each), the detail of an internal one logged
//! and answered "internal error".

use app::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gantry_core::error::Refusal;
use gantry_core::CoreError;

/// Why a plain route did not answer with its content.
#[derive(Debug)]
pub enum RouteError {
    /// A refusal decided by the route itself (a malformed header, an
    /// unknown file name), with the text to show.
    Refused(StatusCode, String),
    /// An area's error, as a server function would answer it.
    Area(AppError),
}

impl RouteError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::Refused(StatusCode::NOT_FOUND, what.into())
    }

    pub fn bad_request(why: impl Into<String>) -> Self {
        Self::Refused(StatusCode::BAD_REQUEST, why.into())
    }

    fn area<E: Refusal>(error: E) -> Self {
        Self::Area(AppError::answer_of(error))
    }
}

impl From<CoreError> for RouteError {
    fn from(error: CoreError) -> Self {
        Self::area(error)
    }
}

impl From<gantry_core::jobs::JobsError> for RouteError {
    fn from(error: gantry_core::jobs::JobsError) -> Self {
        Self::area(error)
    }
}

impl From<gantry_core::auth::Denied> for RouteError {
    fn from(error: gantry_core::auth::Denied) -> Self {
        Self::area(error)
    }
}

impl From<(StatusCode, String)> for RouteError {
    fn from((status, message): (StatusCode, String)) -> Self {
        Self::Refused(status, message)
    }
}

impl IntoResponse for RouteError {
    fn into_response(self) -> Response {
        let (status, message, retry_after) = match self {
            Self::Refused(status, message) => (status, message, None),
            Self::Area(error) => {
                let retry_after = match &error {
                    AppError::RateLimited {
                        retry_after_secs, ..
                    } => Some(*retry_after_secs),
                    _ => None,
                };
                (error.status(), error.to_string(), retry_after)
            }
        };
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            message,
        )
            .into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
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

    async fn text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// A plain route answers an area's error with the status and words a
    /// server function gives it (one `Answer` per error), `Retry-After`
    /// included.
    #[tokio::test]
    async fn a_route_answers_an_area_error_as_a_server_function_does() {
        use gantry_core::jobs::{JobId, JobsError};

        let errors: [fn() -> JobsError; 3] = [
            || JobsError::NotFound(JobId(7)),
            || JobsError::RateLimited {
                message: "slow down".into(),
                retry_after_secs: 42,
            },
            || JobsError::Validation("bad replicas".into()),
        ];
        for error in errors {
            let expected = AppError::answer_of(error());
            let response = RouteError::from(error()).into_response();
            assert_eq!(response.status(), expected.status());
            let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
            assert_eq!(text(response).await, expected.to_string());
            let wanted =
                matches!(expected, AppError::RateLimited { .. }).then(|| HeaderValue::from(42u64));
            assert_eq!(retry_after, wanted);
        }
        let missing = RouteError::from(JobsError::NotFound(JobId(7))).into_response();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(text(missing).await, "job 7 not found");
    }

    /// The permission check plain routes make is the server functions' one.
    #[tokio::test]
    async fn a_route_refuses_a_missing_permission_like_a_server_function() {
        use gantry_core::auth::{require, Denied, Permission};

        let signed_out = require(None, Permission::Read).unwrap_err();
        assert_eq!(signed_out, Denied::SignedOut);
        let response = RouteError::from(signed_out).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(text(response).await, "sign in required");
        let forbidden = RouteError::from(Denied::Lacks(Permission::Administer)).into_response();
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            text(forbidden).await,
            "your roles do not allow this (Administer)"
        );
    }
}
