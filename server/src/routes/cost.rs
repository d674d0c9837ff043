use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use gantry_core::auth::{Permission, Principal};
use gantry_core::Services;
use serde::Deserialize;

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
) -> Response {
    if let Err(refusal) = super::require(user.as_deref(), Permission::Read) {
        return refusal.into_response();
    }
    let Some(table) = file
        .strip_suffix(".csv")
        .filter(|t| gantry_core::cost::export::TABLES.contains(t))
    else {
        return (StatusCode::NOT_FOUND, format!("no cost table {file:?}")).into_response();
    };
    let today = chrono::Utc::now().date_naive();
    let month = match gantry_core::cost::service::month_or_current(query.month.as_deref(), today) {
        Ok(m) => m,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    let review = gantry_core::cost::service::review_stored(&services.db, month, today).await;
    let review = match review {
        Ok(r) => r,
        Err(err) => {
            tracing::error!(error = ?err, "cost export failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, err.public_message()).into_response();
        }
    };
    let Some(body) = gantry_core::cost::export::csv(&review, table) else {
        return (StatusCode::NOT_FOUND, format!("no cost table {file:?}")).into_response();
    };
    let disposition = format!("attachment; filename=\"gantry-cost-{table}-{month}.csv\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
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
