use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use gantry_core::auth::{Permission, Principal};
use gantry_core::Services;

/// The roadmap as the team's markdown document, always current.
pub async fn export_markdown(
    State(services): State<Services>,
    user: Option<Extension<Principal>>,
) -> Response {
    if let Err(refusal) = super::require(user.as_deref(), Permission::Read) {
        return refusal.into_response();
    }
    match gantry_core::roadmap::service::export_markdown(&services.db).await {
        Ok(markdown) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/markdown; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("inline; filename=\"infrastructure-status.md\""),
                ),
            ],
            markdown,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "markdown export failed");
            (StatusCode::INTERNAL_SERVER_ERROR, err.public_message()).into_response()
        }
    }
}
