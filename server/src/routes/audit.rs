use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use gantry_core::audit::export::{export_all, ExportFormat};
use gantry_core::audit::AuditFilter;
use gantry_core::auth::{Permission, Principal};
use gantry_core::Services;
use serde::Deserialize;

use super::error::{download, RouteError};

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
) -> Result<Response, RouteError> {
    super::require(user.as_deref(), Permission::ReadAudit)?;
    let format = match file.as_str() {
        "export.csv" => ExportFormat::Csv,
        "export.jsonl" => ExportFormat::JsonLines,
        _ => return Err(RouteError::not_found("unknown export format")),
    };
    let filter = AuditFilter {
        actor: query.actor,
        action: query.action,
        target: query.target,
        from: query.from,
        to: query.to,
    };
    let bytes = export_all(&services.db, &filter, format).await?;
    Ok(download(
        format.content_type(),
        "attachment",
        &format!("gantry-audit.{}", format.file_extension()),
        bytes,
    ))
}
