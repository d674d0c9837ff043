//! Authorization for server functions: the first line of every server function
//! is `let user = require(Permission::…)?;`. The server's session middleware
//! put the signed-in [`Principal`] into the request; nothing here trusts the
//! browser.

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use gantry_core::auth::{Permission, Principal};
    use leptos::prelude::use_context;

    use crate::error::AppError;

    /// Why the signed-in user's roles are limited to reading now, if they are.
    pub fn roles_limited() -> Option<String> {
        use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .extensions
                .get::<gantry_core::auth::RolesLimited>()
                .map(|limited| limited.0.clone())
        })
    }

    /// The signed-in user, if the request carries a live session.
    pub fn current_user() -> Option<Principal> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Principal>().cloned())
    }

    /// The history and audit identity of `user` acting with `permission` in
    /// this request.
    pub fn actor(user: &Principal, permission: Permission) -> gantry_core::shared::Actor {
        let request_id = use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        gantry_core::shared::Actor {
            name: user.actor(),
            role: user.role_for(permission).map(|r| r.as_str().to_owned()),
            request_id,
            source: "ui".to_owned(),
            subject: Some(user.subject.clone()),
        }
    }

    /// The signed-in user if they hold `permission`; 401 when signed out, 403
    /// when their roles do not grant it.
    /// ([`gantry_core::auth::require`], the check plain routes make too.)
    pub fn require(permission: Permission) -> Result<Principal, AppError> {
        Ok(gantry_core::auth::require(
            current_user().as_ref(),
            permission,
        )?)
    }
}

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in user as the UI sees them (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub subject: String,
    pub roles: Vec<String>,
    pub can_edit_roadmap: bool,
    pub can_read_audit: bool,
    /// Holds the approver role (or admin): the navigation shows Approvals.
    #[serde(default)]
    pub can_approve: bool,
    /// Requests waiting for this approver's decision (the navigation's badge).
    #[serde(default)]
    pub approvals_waiting: usize,
    /// Edit environments and other settings.
    pub can_administer: bool,
    /// Run jobs, and ask for a health check now.
    pub can_run_jobs: bool,
    /// Why the roles are limited to reading now (the provider could not
    /// confirm them); `None` normally.
    #[serde(default)]
    pub roles_limited: Option<String>,
}

/// How many requests wait for `user`'s decision (0 for non-approvers, and
/// when it cannot be read: a badge is not worth failing a page).
#[cfg(feature = "ssr")]
async fn waiting_for(user: &gantry_core::auth::Principal) -> usize {
    if !user.can(gantry_core::auth::Permission::Approve) {
        return 0;
    }
    let Ok(services) = crate::services() else {
        return 0;
    };
    match gantry_core::approvals::service::inbox(&services.db, user, services.clock.now()).await {
        Ok(inbox) => inbox.waiting.len(),
        Err(e) => {
            tracing::warn!(error = %e, "the approvals badge could not be read");
            0
        }
    }
}

/// Who is signed in: for the header, and to show only the actions the user may take
/// (the server checks again on every action).
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn whoami() -> Result<Me, crate::error::AppError> {
    use gantry_core::auth::Permission;
    let user = require(Permission::Read)?;
    Ok(Me {
        name: user.name.clone(),
        subject: user.subject.clone(),
        roles: user.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        can_edit_roadmap: user.can(Permission::EditRoadmap),
        can_read_audit: user.can(Permission::ReadAudit),
        can_approve: user.can(Permission::Approve),
        approvals_waiting: waiting_for(&user).await,
        can_administer: user.can(Permission::Administer),
        can_run_jobs: user.can(Permission::RunJobs),
        roles_limited: roles_limited(),
    })
}
