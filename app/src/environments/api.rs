//! Environment server functions: thin shims over `gantry_core::environments`.

use leptos::prelude::*;

use super::dto::EnvironmentView;
use crate::error::AppError;

/// Every environment with its latest health summary. Reads the stored
/// snapshots only: a page view never calls AWS.
#[server(prefix = "/api", endpoint = "environments/list")]
pub async fn list_environments() -> Result<Vec<EnvironmentView>, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let now = services.clock.now();
    let overview = gantry_core::health::service::overview(&services.db).await?;
    Ok(overview
        .iter()
        .map(|o| {
            let mut view = convert::view(&o.environment, now);
            view.health = o
                .latest
                .as_ref()
                .map(|s| crate::health::api::convert::summary(s, o.drift.len(), now));
            view
        })
        .collect())
}

#[server(prefix = "/api", endpoint = "environments/get")]
pub async fn get_environment(name: String) -> Result<EnvironmentView, AppError> {
    crate::auth::require(gantry_core::auth::Permission::Read)?;
    let services = crate::services()?;
    let env = gantry_core::environments::service::get(&services.db, &convert::name(&name)?).await?;
    Ok(convert::view(&env, services.clock.now()))
}

/// Lets a preview environment live longer (operators and admins): its
/// time-to-live grows by `hours`, up to 720 hours after its creation.
#[server(prefix = "/api", endpoint = "environments/extend")]
pub async fn extend_environment_ttl(name: String, hours: String) -> Result<String, AppError> {
    let user = crate::auth::require(gantry_core::auth::Permission::RunJobs)?;
    let services = crate::services()?;
    let hours: u32 = hours
        .trim()
        .parse()
        .map_err(|_| AppError::invalid(format!("hours must be a whole number, not {hours:?}")))?;
    let env = gantry_core::environments::service::extend_ttl(
        &services.db,
        &crate::auth::actor(&user, gantry_core::auth::Permission::RunJobs),
        &convert::name(&name)?,
        hours,
        services.clock.now(),
    )
    .await?;
    Ok(convert::view(&env, services.clock.now())
        .expires_at
        .map_or_else(
            || "Extended.".to_owned(),
            |at| format!("Extended: expires {at}."),
        ))
}

/// Conversions to the environment pages' wire types.
#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use chrono::{DateTime, Utc};
    use gantry_core::environments::Environment;

    use super::super::dto::*;
    pub use crate::wire::{name, ts};

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
            distinct_groups: e.approval.distinct_groups,
            approval_expiry_hours: e.approval.expiry_hours,
            reason_required: e.approval.reason_required,
            weekly_freezes: e
                .approval
                .weekly_freezes
                .iter()
                .map(|w| format!("{} | {} | {}", w.from, w.to, w.reason))
                .collect(),
            freeze_time_zone: e.approval.time_zone.clone(),
            freeze_mode: e.approval.freeze_mode.as_str().to_owned(),
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
            ttl_hours: e.ttl_hours,
            database: e.database.clone(),
            health: None,
        }
    }
}
