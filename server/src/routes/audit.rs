use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use gantry_core::audit::export::{export_all, ExportFormat};
use gantry_core::audit::AuditFilter;
use gantry_core::auth::{Permission, Principal};
use gantry_core::{CoreError, Services};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `/audit/export.csv` and `/audit/export.jsonl`: everything matching the
/// filter, newest first. Admins and approvers only.
pub async fn export(
    State(services): State<Services>,
    user: Option<Extension<Principal>>,
    Path(file): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    if let Err(refusal) = super::require(user.as_deref(), Permission::ReadAudit) {
        return refusal.into_response();
    }
    let format = match file.as_str() {
        "export.csv" => ExportFormat::Csv,
        "export.jsonl" => ExportFormat::JsonLines,
        _ => return (StatusCode::NOT_FOUND, "unknown export format").into_response(),
    };
    let filter = AuditFilter {
        actor: query.actor,
        action: query.action,
        target: query.target,
        from: query.from,
        to: query.to,
    };
    match export_all(&services.db, &filter, format).await {
        Ok(bytes) => {
            let disposition = format!(
                "attachment; filename=\"gantry-audit.{}\"",
                format.file_extension()
            );
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(format.content_type()),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(CoreError::Invalid(message)) => (StatusCode::BAD_REQUEST, message).into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "audit export failed");
            (StatusCode::INTERNAL_SERVER_ERROR, err.public_message()).into_response()
        }
    }
}
