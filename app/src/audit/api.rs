//! Audit server function: a thin shim over `gantry_core::audit::store::query`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub role: Option<String>,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPageView {
    pub rows: Vec<AuditRow>,
    /// Pass as `before` to get the next (older) page.
    pub next_before: Option<i64>,
}

/// One page of the audit log, newest first. Empty strings mean "no filter".
#[server(prefix = "/api", endpoint = "audit/page")]
pub async fn audit_page(
    actor: String,
    action: String,
    target: String,
    from: String,
    to: String,
    before: Option<i64>,
) -> Result<AuditPageView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::ReadAudit)?;
    let services = crate::services()?;
    let filter = gantry_core::audit::AuditFilter {
        actor: Some(actor),
        action: Some(action),
        target: Some(target),
        from: Some(from),
        to: Some(to),
    };
    let page = gantry_core::audit::service::page(&services.db, &filter, before).await?;
    Ok(AuditPageView {
        rows: page
            .records
            .into_iter()
            .map(|r| AuditRow {
                id: r.id,
                at: r.at,
                actor: r.actor,
                role: r.role,
                action: r.action,
                target: r.target,
                before: r.before.map(|v| v.to_string()),
                after: r.after.map(|v| v.to_string()),
                request_id: r.request_id,
            })
            .collect(),
        next_before: page.next_before_id,
    })
}
