//! Environment server functions: thin shims over `gantry_core::environments`.

use leptos::prelude::*;

use super::dto::EnvironmentView;
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "environments/list")]
pub async fn list_environments() -> Result<Vec<EnvironmentView>, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let now = chrono::Utc::now();
    Ok(gantry_core::environments::service::list(&services.db)
        .await?
        .iter()
        .map(|e| convert::view(e, now))
        .collect())
}

#[server(prefix = "/api", endpoint = "environments/get")]
pub async fn get_environment(name: String) -> Result<EnvironmentView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let name = gantry_core::roadmap::model::EnvName::parse(&name)
        .map_err(|_| AppError::NotFound(format!("environment {name:?}")))?;
    let env = gantry_core::environments::service::get(&services.db, &name).await?;
    Ok(convert::view(&env, chrono::Utc::now()))
}

#[cfg(feature = "ssr")]
mod convert {
    use chrono::{DateTime, SecondsFormat, Utc};
    use gantry_core::environments::Environment;

    use super::super::dto::{EnvironmentView, FreezeView, ServiceView};

    fn ts(t: DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    pub fn view(e: &Environment, now: DateTime<Utc>) -> EnvironmentView {
        EnvironmentView {
            name: e.name.to_string(),
            production: e.production,
            region: e.region.to_string(),
            account_id: e.account_id.to_string(),
            role_arn: e.role_arn.as_ref().map(|r| r.to_string()),
            cluster: e.cluster.clone(),
            services: e
                .services
                .iter()
                .map(|s| ServiceView {
                    name: s.name.clone(),
                    container: s.container.clone(),
                    health_url: s.health_url.as_ref().map(|u| u.to_string()),
                })
                .collect(),
            ssm_prefix: e.ssm_prefix.to_string(),
            cost_tag: e
                .cost_tag
                .as_ref()
                .map(|t| format!("{}={}", t.key, t.value)),
            monthly_budget_cents: e.monthly_budget_cents,
            required_approvals: e.approval.required_approvals,
            approver_groups: e.approval.approver_groups.clone(),
            approval_expiry_hours: e.approval.expiry_hours,
            reason_required: e.approval.reason_required,
            freeze_windows: e
                .approval
                .freeze_windows
                .iter()
                .map(|w| FreezeView {
                    starts_at: ts(w.starts_at),
                    ends_at: ts(w.ends_at),
                    reason: w.reason.clone(),
                    active: w.contains(now),
                })
                .collect(),
            expires_at: e.expires_at().map(ts),
        }
    }
}
