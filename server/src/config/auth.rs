//! `[auth]`: sessions, the OpenID Connect provider, roles from groups,
//! the development sign-in and the sign-in rate limits.

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Minutes without a request after which a session ends.
    pub session_idle_minutes: u32,
    /// Hours after sign-in at which a session ends regardless of activity.
    pub session_absolute_hours: u32,
    /// Minutes after which a session's groups are read again from the
    /// identity provider (OpenID Connect refresh token; the configured users
    /// for the development sign-in); 0 reads them on every request.
    pub role_refresh_minutes: u32,
    /// Minutes past a due role check that a session keeps its roles while
    /// the provider cannot be asked; after that it may only read (fail
    /// closed) until a check gets an answer.
    pub role_refresh_grace_minutes: u32,
    /// OpenID Connect sign-in; absent = off.
    pub oidc: Option<OidcConfig>,
    /// Which identity-provider groups confer which role.
    pub roles: RolesConfig,
    /// Local development sign-in ("sign in as"), loopback only.
    pub dev: DevAuthConfig,
    /// Sign-in starts (`/auth/login`, `/auth/dev`) per client address and minute…
    pub sign_in_starts_per_minute: u32,
    /// …and how many may come at once.
    pub sign_in_starts_burst: u32,
    /// Refused sign-ins (each one audited) per client address and minute…
    pub refused_sign_ins_per_minute: u32,
    /// …and how many may come at once.
    pub refused_sign_ins_burst: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle_minutes: 60,
            session_absolute_hours: 12,
            role_refresh_minutes: 15,
            role_refresh_grace_minutes: 15,
            oidc: None,
            roles: RolesConfig::default(),
            dev: DevAuthConfig::default(),
            sign_in_starts_per_minute: 20,
            sign_in_starts_burst: 20,
            refused_sign_ins_per_minute: 10,
            refused_sign_ins_burst: 10,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The issuer; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer_url: String,
    pub client_id: String,
    /// A secret: never logged, never sent to the browser.
    pub client_secret: SecretString,
    /// Defaults to `<server.public_url>/auth/callback`.
    #[serde(default)]
    pub redirect_url: Option<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim that lists the user's groups (ID token, else userinfo).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(str::to_owned).to_vec()
}

fn default_groups_claim() -> String {
    "groups".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RolesConfig {
    pub viewer: Vec<String>,
    pub operator: Vec<String>,
    pub approver: Vec<String>,
    pub admin: Vec<String>,
}

impl RolesConfig {
    /// The groups that make their members approvers or admins.
    pub fn approver_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self.approver.iter().chain(&self.admin).cloned().collect();
        groups.sort();
        groups.dedup();
        groups
    }
}

impl Default for RolesConfig {
    fn default() -> Self {
        Self {
            viewer: vec!["gantry-viewers".to_owned()],
            operator: vec!["gantry-operators".to_owned()],
            approver: vec!["gantry-approvers".to_owned()],
            admin: vec!["gantry-admins".to_owned()],
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevAuthConfig {
    /// Offer "sign in as" one of `users`. Refused unless the server binds to
    /// loopback and `server.public_url` is a plain-http loopback URL.
    pub enabled: bool,
    pub users: Vec<DevUser>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevUser {
    pub subject: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    pub groups: Vec<String>,
}
