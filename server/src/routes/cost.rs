use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use gantry_core::auth::{Permission, Principal};
use gantry_core::Services;
use serde::Deserialize;

use super::error::{download, RouteError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    month: Option<String>,
}

/// `/cost/export/<table>.csv?month=YYYY-MM`: one table of the cost review
/// (the current month when `month` is absent), from the stored figures only.
/// 404 for an unknown table, 400 for a malformed month.
#[tracing::instrument(skip_all, fields(file = %file))]
pub async fn export(
    State(services): State<Services>,
    user: Option<Extension<Principal>>,
    Path(file): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, RouteError> {
    super::require(user.as_deref(), Permission::Read)?;
    let unknown = || RouteError::not_found(format!("no cost table {file:?}"));
    let table = file
        .strip_suffix(".csv")
        .filter(|t| gantry_core::cost::export::TABLES.contains(t))
        .ok_or_else(unknown)?;
    let today = services.clock.today();
    let month = gantry_core::cost::service::month_or_current(query.month.as_deref(), today)
        .map_err(gantry_core::CoreError::from)?;
    let review = gantry_core::cost::service::review_stored(&services.db, month, today).await?;
    let body = gantry_core::cost::export::csv(&review, table).ok_or_else(unknown)?;
    Ok(download(
        "text/csv; charset=utf-8",
        "attachment",
        &format!("gantry-cost-{table}-{month}.csv"),
        body,
    ))
}
