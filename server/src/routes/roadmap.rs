use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use gantry_core::auth::{Permission, Principal};
use gantry_core::Services;

use super::error::{download, RouteError};

/// The roadmap as the team's markdown document, always current.
pub async fn export_markdown(
    State(services): State<Services>,
    user: Option<Extension<Principal>>,
) -> Result<Response, RouteError> {
    super::require(user.as_deref(), Permission::Read)?;
    let markdown = gantry_core::roadmap::service::export_markdown(&services.db).await?;
    Ok(download(
        "text/markdown; charset=utf-8",
        "inline",
        "infrastructure-status.md",
        markdown,
    ))
}
