//! Sign-in, sessions and request authorization at the HTTP edge.
//!
//! - `oidc`: the OpenID Connect client (discovery, PKCE, ID token checks).
//! - `routes`: `/auth/*` — sign-in page, login redirect, callback, dev sign-in, sign-out.
//! - `middleware`: resolves the session cookie into a [`Principal`] on every
//!   request and refuses anonymous requests (401 for APIs, a redirect to the
//!   sign-in page for pages).
//! - `pages`: the few HTML pages served outside the Leptos app.

pub mod middleware;
pub mod oidc;
pub mod pages;
pub mod routes;

use std::sync::Arc;

use axum_extra::extract::cookie::{Cookie, SameSite};
use gantry_core::auth::Role;
use gantry_core::auth::{Principal, RoleMapping, SessionSettings};

use crate::config::{Config, DevUser};
use oidc::{OidcProvider, OidcSettings};

pub const SESSION_COOKIE: &str = "gantry_session";
pub const FLOW_COOKIE: &str = "gantry_flow";

/// Everything the auth routes and middleware need; cheap to clone.
#[derive(Clone, Debug)]
pub struct AuthState {
    pub oidc: Option<Arc<OidcProvider>>,
    pub dev_users: Arc<Vec<DevUser>>,
    pub roles: Arc<RoleMapping>,
    pub sessions: SessionSettings,
    pub secure_cookies: bool,
    /// `scheme://host[:port]` users reach Gantry at: the only origin allowed
    /// to make state-changing requests.
    pub public_origin: String,
}

impl AuthState {
    /// Builds the auth state; discovers the OpenID Connect provider when one is
    /// configured (start-up fails with one clear line if it cannot be read).
    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        let roles = &config.auth.roles;
        let mapping = RoleMapping::new([
            (Role::Viewer, roles.viewer.clone()),
            (Role::Operator, roles.operator.clone()),
            (Role::Approver, roles.approver.clone()),
            (Role::Admin, roles.admin.clone()),
        ]);
        let oidc = match &config.auth.oidc {
            None => None,
            Some(c) => {
                let public = config.server.public_url.trim_end_matches('/');
                let settings = OidcSettings {
                    issuer_url: c.issuer_url.clone(),
                    client_id: c.client_id.clone(),
                    client_secret: c.client_secret.clone(),
                    redirect_url: c
                        .redirect_url
                        .clone()
                        .unwrap_or_else(|| format!("{public}/auth/callback")),
                    scopes: c.scopes.clone(),
                    groups_claim: c.groups_claim.clone(),
                    post_logout_redirect_url: format!("{public}/auth/sign-in"),
                };
                let provider = OidcProvider::discover(settings)
                    .await
                    .map_err(|e| anyhow::anyhow!("auth.oidc.issuer_url {}: {e}", c.issuer_url))?;
                Some(Arc::new(provider))
            }
        };
        Ok(Self {
            oidc,
            dev_users: Arc::new(if config.auth.dev.enabled {
                config.auth.dev.users.clone()
            } else {
                Vec::new()
            }),
            roles: Arc::new(mapping),
            sessions: SessionSettings {
                idle: chrono::Duration::minutes(i64::from(config.auth.session_idle_minutes)),
                absolute: chrono::Duration::hours(i64::from(config.auth.session_absolute_hours)),
            },
            secure_cookies: config.secure_cookies(),
            public_origin: config.public_origin(),
        })
    }

    /// The principal for a verified identity, or `None` if no group maps to a role.
    pub fn principal(
        &self,
        subject: String,
        name: String,
        email: Option<String>,
        groups: Vec<String>,
    ) -> Option<Principal> {
        let roles = self.roles.roles_for(groups.iter().map(String::as_str));
        (!roles.is_empty()).then_some(Principal {
            subject,
            name,
            email,
            groups,
            roles,
        })
    }

    /// A cookie as Gantry sets them: HttpOnly, SameSite=Lax, Secure over https.
    pub fn cookie(
        &self,
        name: &'static str,
        value: String,
        path: &'static str,
        max_age_secs: i64,
    ) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure_cookies)
            .path(path)
            .max_age(time::Duration::seconds(max_age_secs))
            .build()
    }

    /// A cookie that deletes `name` in the browser.
    pub fn removal(&self, name: &'static str, path: &'static str) -> Cookie<'static> {
        self.cookie(name, String::new(), path, 0)
    }
}

/// A local path to return to after sign-in; anything else (another host,
/// `//evil`, a scheme) becomes `/`. Prevents open redirects.
pub fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.starts_with("/auth/")
                && !p.contains(['\r', '\n']) =>
        {
            p.to_owned()
        }
        _ => "/roadmap".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn return_to_is_a_local_path() {
        assert_eq!(safe_return_to(Some("/roadmap/board")), "/roadmap/board");
        assert_eq!(safe_return_to(Some("//evil.example")), "/roadmap");
        assert_eq!(safe_return_to(Some("https://evil.example")), "/roadmap");
        assert_eq!(safe_return_to(Some("/\\evil.example")), "/roadmap");
        assert_eq!(safe_return_to(Some("/auth/logout")), "/roadmap");
        assert_eq!(safe_return_to(None), "/roadmap");
    }
}
