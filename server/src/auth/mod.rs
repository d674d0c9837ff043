//! Sign-in, sessions and request authorization at the HTTP edge.
//!
//! - `oidc`: the OpenID Connect client (discovery, PKCE, ID token checks).
//! - `routes`: `/auth/*` — sign-in page, login redirect, callback, dev sign-in, sign-out.
//! - `limit`: per-client limits on sign-in starts and refused sign-ins.
//! - `middleware`: resolves the session cookie into a [`Principal`] on every
//!   request and refuses anonymous requests (401 for APIs, a redirect to the
//!   sign-in page for pages).
//! - `refresh`: re-reads a session's groups every `auth.role_refresh_minutes`.
//! - `pages`: the few HTML pages served outside the Leptos app.

pub mod limit;
pub mod middleware;
pub mod oidc;
pub mod pages;
pub mod refresh;
pub mod routes;

use std::sync::Arc;

use axum_extra::extract::cookie::{Cookie, SameSite};
use gantry_core::auth::Role;
use gantry_core::auth::{Principal, RoleMapping, SessionSettings};
use url::{Position, Url};

use crate::config::{Config, DevUser};
use oidc::{OidcProvider, OidcSettings};

/// The session cookie over plain http; over https it is
/// [`SECURE_SESSION_COOKIE`].
pub const SESSION_COOKIE: &str = "gantry_session";
/// `__Host-`: the browser accepts it only Secure, on `/`, without a Domain,
/// so a sibling subdomain cannot plant or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-gantry_session";
pub const FLOW_COOKIE: &str = "gantry_flow";
/// `__Secure-`: only ever set over https (its path is `/auth`, so not `__Host-`).
pub const SECURE_FLOW_COOKIE: &str = "__Secure-gantry_flow";

/// Everything the auth routes and middleware need; cheap to clone.
#[derive(Clone, Debug)]
pub struct AuthState {
    pub oidc: Option<Arc<OidcProvider>>,
    pub dev_users: Arc<Vec<DevUser>>,
    pub roles: Arc<RoleMapping>,
    pub sessions: SessionSettings,
    /// How often a session's groups are read again (`auth.role_refresh_minutes`).
    pub role_refresh: chrono::Duration,
    /// How long past a due check roles are kept while the provider cannot
    /// be asked (`auth.role_refresh_grace_minutes`).
    pub role_grace: chrono::Duration,
    pub secure_cookies: bool,
    /// [`SESSION_COOKIE`], or [`SECURE_SESSION_COOKIE`] over https.
    pub session_cookie: &'static str,
    /// [`FLOW_COOKIE`], or [`SECURE_FLOW_COOKIE`] over https.
    pub flow_cookie: &'static str,
    /// `scheme://host[:port]` users reach Gantry at: the only origin allowed
    /// to make state-changing requests.
    pub public_origin: String,
    /// The public URL, parsed (scheme and host lower case).
    pub public_url: Url,
    /// The Host names requests may carry.
    pub hosts: crate::security::HostPolicy,
    /// Sign-in starts and refusals per client address.
    pub limits: limit::SignInLimits,
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
        let public_url = config.public_url()?;
        let oidc = match &config.auth.oidc {
            None => None,
            Some(c) => {
                let public = public_url.as_str().trim_end_matches('/');
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
            role_refresh: chrono::Duration::minutes(i64::from(config.auth.role_refresh_minutes)),
            role_grace: chrono::Duration::minutes(i64::from(
                config.auth.role_refresh_grace_minutes,
            )),
            secure_cookies: config.secure_cookies(),
            session_cookie: if config.secure_cookies() {
                SECURE_SESSION_COOKIE
            } else {
                SESSION_COOKIE
            },
            flow_cookie: if config.secure_cookies() {
                SECURE_FLOW_COOKIE
            } else {
                FLOW_COOKIE
            },
            public_origin: config.public_origin(),
            hosts: crate::security::HostPolicy::new(&public_url, &config.server.allowed_hosts)
                .map_err(|m| anyhow::anyhow!("server.allowed_hosts: {m}"))?,
            public_url,
            limits: config.sign_in_limits()?,
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

/// Where to send the browser after sign-in: `raw` resolved against the public
/// URL, accepted only when it stays on that origin and outside `/auth/`, and
/// returned normalized (path and query, never the raw input). Anything else
/// — another host, `//evil`, `/\\evil`, a scheme, a control character or a
/// backslash (raw or percent-encoded), a look-alike slash, bytes that are not
/// UTF-8 once decoded — becomes `/roadmap`. Prevents open redirects.
pub fn safe_return_to(public: &Url, raw: Option<&str>) -> String {
    const FALLBACK: &str = "/roadmap";
    let Some(raw) = raw else {
        return FALLBACK.to_owned();
    };
    if !raw.starts_with('/') || !acceptable_text(raw) {
        return FALLBACK.to_owned();
    }
    let decoded = match percent_encoding::percent_decode_str(raw).decode_utf8() {
        Ok(text) => text,
        Err(_) => return FALLBACK.to_owned(),
    };
    // `/auth/..` resolves to `/`, but nobody asks for that honestly.
    if !acceptable_text(&decoded) || raw.starts_with("/auth") || decoded.starts_with("/auth") {
        return FALLBACK.to_owned();
    }
    let Ok(target) = public.join(raw) else {
        return FALLBACK.to_owned();
    };
    if target.origin() != public.origin()
        || !target.username().is_empty()
        || target.password().is_some()
    {
        return FALLBACK.to_owned();
    }
    let path = target.path();
    let decoded_path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let under_auth = |p: &str| p == "/auth" || p.starts_with("/auth/");
    if !path.starts_with('/')
        || path.starts_with("//")
        || decoded_path.starts_with("//")
        || under_auth(path)
        || under_auth(&decoded_path)
    {
        return FALLBACK.to_owned();
    }
    target[Position::BeforePath..Position::AfterQuery].to_owned()
}

/// No control character, no backslash, no look-alike of `/` or `\\`.
fn acceptable_text(text: &str) -> bool {
    const LOOK_ALIKES: [char; 9] = [
        '\u{2215}', // DIVISION SLASH
        '\u{2044}', // FRACTION SLASH
        '\u{FF0F}', // FULLWIDTH SOLIDUS
        '\u{29F8}', // BIG SOLIDUS
        '\u{FE68}', // SMALL REVERSE SOLIDUS
        '\u{FF3C}', // FULLWIDTH REVERSE SOLIDUS
        '\u{2216}', // SET MINUS
        '\u{29F5}', // REVERSE SOLIDUS OPERATOR
        '\u{29F9}', // BIG REVERSE SOLIDUS
    ];
    !text
        .chars()
        .any(|c| c.is_control() || c == '\\' || LOOK_ALIKES.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    fn public() -> url::Url {
        url::Url::parse("https://gantry.example.com").unwrap()
    }

    #[test]
    fn local_paths_come_back_normalized() {
        let ok = [
            ("/roadmap/board", "/roadmap/board"),
            ("/cost?month=2026-10", "/cost?month=2026-10"),
            ("/roadmap/modules/waf#history", "/roadmap/modules/waf"),
            ("/roadmap/./board", "/roadmap/board"),
            ("/roadmap/x/../board", "/roadmap/board"),
            ("/audit?actor=Ada%20Admin", "/audit?actor=Ada%20Admin"),
            ("/roadmap?q=a b", "/roadmap?q=a%20b"),
            ("/@evil.example", "/@evil.example"),
            ("/", "/"),
        ];
        for (raw, expected) in ok {
            assert_eq!(safe_return_to(&public(), Some(raw)), expected, "{raw:?}");
        }
    }

    /// The classic open-redirect bypasses: each must become the default.
    const BYPASSES: &[&str] = &[
        "",
        "\t/evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "/\r\nLocation: https://evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/roadmap%0a",
        "\\evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "\\\\evil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "https:evil.example",
        "https://evil.example",
        "http://evil.example/roadmap",
        "HTTPS://evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example",
        "///evil.example",
        "////evil.example",
        "/\u{2215}evil.example",
        "/\u{FF0F}evil.example",
        "/\u{2044}evil.example",
        "\u{FF0F}\u{FF0F}evil.example",
        "/%E2%88%95evil.example",
        "/%EF%BC%8Fevil.example",
        "/%C0%AF/evil.example",
        "/%E0%80%AF/evil.example",
        "/%C0%AE%C0%AE/auth/logout",
        "/auth/logout",
        "/auth/..",
        "/auth/../roadmap",
        "/%61uth/../x",
        "/auth",
        "/auth/dev",
        "/roadmap/../auth/logout",
        "/%2e%2e/auth/logout",
        "/%2E%2E/auth/logout",
        "/%61uth/logout",
        "/auth%2Flogout",
        "@evil.example",
        "evil.example",
        "roadmap",
        " /roadmap",
        "/roadmap\u{0}",
        "/roadmap%00",
        "/roadmap\u{7f}",
        "/roadmap\u{85}",
        "/%FF",
    ];

    #[test]
    fn every_bypass_becomes_the_roadmap() {
        for raw in BYPASSES {
            assert_eq!(safe_return_to(&public(), Some(raw)), "/roadmap", "{raw:?}");
        }
        assert_eq!(safe_return_to(&public(), None), "/roadmap");
    }
}
