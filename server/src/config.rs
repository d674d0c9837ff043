//! Typed configuration: a TOML file layered with `GANTRY_<SECTION>__<KEY>`
//! environment variables. Unknown keys are rejected; values are validated at
//! start-up with a message that names the key. Every key and its default is in
//! `config/gantry.example.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use gantry_core::db::{redact_url, Backend, DbOptions};
use gantry_core::environments::EnvironmentInput;
use gantry_core::roadmap::service::RoadmapSettings;
use gantry_core::shared::EnvName;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

mod jobs;
pub use jobs::JobsConfig;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub roadmap: RoadmapConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub aws: AwsConfig,
    pub health: HealthConfig,
    pub cost: CostConfig,
    pub metrics: MetricsConfig,
    pub audit: AuditConfig,
    pub jobs: JobsConfig,
    /// Environments created at start-up when they do not exist yet
    /// (`[[environments]]` tables); admins edit them in the UI afterwards.
    pub environments: Vec<EnvironmentInput>,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// The address users reach Gantry at (links, cookies' Secure flag, the
    /// only Origin and Host requests may name).
    pub public_url: String,
    /// Other `host[:port]` names requests may be addressed to (a load
    /// balancer's health check by IP); any other Host gets 421.
    pub allowed_hosts: Vec<String>,
    /// Folder with the built site (pkg/gantry.js, .wasm, .css and public/ assets).
    pub site_root: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: "http://127.0.0.1:3000".to_owned(),
            allowed_hosts: Vec::new(),
            site_root: PathBuf::from("target/site"),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created on first start) or `postgres://USER:PASSWORD@HOST/DB`.
    /// A secret: it may hold a password, so it is never logged as is.
    pub url: SecretString,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("sqlite://data/gantry.db"),
            max_connections: 10,
            connect_timeout_secs: 5,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoadmapConfig {
    /// Environments the roadmap tracks, in display order.
    pub environments: Vec<String>,
    /// A status document imported when the roadmap is empty (first start).
    pub seed_file: Option<PathBuf>,
}

impl Default for RoadmapConfig {
    fn default() -> Self {
        Self {
            environments: vec!["dev".to_owned(), "prod".to_owned()],
            seed_file: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    /// Send every AWS request here instead of AWS (the local moto stand-in):
    /// `http://127.0.0.1:5000`. Empty = AWS itself.
    pub endpoint_url: Option<String>,
    /// Use moto's fixed test keys instead of the default credential chain.
    /// Only allowed with a loopback `endpoint_url`.
    pub stand_in_credentials: bool,
    pub connect_timeout_ms: u64,
    /// Longest one AWS operation may take, retries included.
    pub operation_timeout_ms: u64,
    /// Attempts per operation (1 = no retry), with the SDK's standard retry.
    pub max_attempts: u32,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            endpoint_url: None,
            stand_in_credentials: false,
            connect_timeout_ms: 3_000,
            operation_timeout_ms: 10_000,
            max_attempts: 3,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// Poll AWS for health in the background. Off: pages show the last stored
    /// snapshots (or none).
    pub enabled: bool,
    /// Seconds between polls (10..=3600). Pages refresh at this pace.
    pub poll_interval_secs: u64,
    /// Days of snapshots kept (the latest per environment always is).
    pub retention_days: u32,
    /// Days of status transitions (the history on the environment page) kept.
    pub transition_retention_days: u32,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_interval_secs: 30,
            retention_days: 7,
            transition_retention_days: 90,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostConfig {
    /// Read Cost Explorer on a schedule. Off: the cost pages show what is stored.
    pub enabled: bool,
    /// Minutes between refreshes (billing data changes a few times a day).
    pub refresh_interval_minutes: u64,
    /// "unblended" (default) or "amortized".
    pub metric: String,
    /// The cost-allocation tag key that names environments.
    pub tag_key: String,
    /// A role to assume for Cost Explorer (the payer account); empty = Gantry's
    /// own credentials.
    pub role_arn: Option<String>,
    /// Seconds an admin waits between two "refresh now".
    pub admin_refresh_min_interval_secs: u64,
    /// Pins the last day of data asked for (YYYY-MM-DD); empty = yesterday
    /// (UTC) at each refresh. For the local stand-in, whose answers match
    /// exact requests.
    pub end_date: Option<String>,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            refresh_interval_minutes: 360,
            metric: "unblended".to_owned(),
            tag_key: "environment".to_owned(),
            role_arn: None,
            admin_refresh_min_interval_secs: 300,
            end_date: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// A bearer token a scraper sends to read `/metrics`
    /// (`Authorization: Bearer …`). Without one, only signed-in admins can.
    pub bearer_token: Option<SecretString>,
}

/// The audit log's protection against someone who can write to the database.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// HMAC-SHA256 key (at least 32 bytes) that MACs every new audit record.
    /// A secret: never logged; keep it outside the database (env
    /// `GANTRY_AUDIT__KEY`). Absent: legacy, unkeyed SHA-256 records.
    pub key: Option<SecretString>,
    /// The short name stored with each record the key MACs.
    pub key_id: String,
    /// Earlier keys, by name, kept to verify the records they MACed.
    pub previous_keys: std::collections::BTreeMap<String, SecretString>,
    /// Append-only file recording the chain's head after each append, to
    /// detect removal of the newest records. Absent: beside a SQLite database
    /// (`<name>.audit-checkpoint.jsonl`), none for PostgreSQL; "" = none.
    pub checkpoint_file: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            key: None,
            key_id: "k1".to_owned(),
            previous_keys: std::collections::BTreeMap::new(),
            checkpoint_file: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter: "info", "gantry=debug,info".
    pub filter: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            filter: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: {0}")]
    Load(String),
    #[error("config: {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

impl Config {
    /// Reads `file` (if given) then the `GANTRY_*` variables of `env`, and validates.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Load(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("GANTRY_").split("__"));
        Self::from_figment(figment)
    }

    /// Parses a TOML string (no environment): for tests and `check-config`.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_figment(Figment::new().merge(Toml::string(text)))
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let config: Config = figment.extract().map_err(|e| {
            // One line per problem, each naming its key.
            let lines: Vec<String> = e.into_iter().map(describe_figment_error).collect();
            ConfigError::Load(lines.join("; "))
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let public = self.public_url()?;
        if !matches!(public.scheme(), "http" | "https") {
            return Err(invalid(
                "server.public_url",
                "must start with http:// or https://",
            ));
        }
        crate::security::HostPolicy::new(&public, &self.server.allowed_hosts)
            .map_err(|m| invalid("server.allowed_hosts", m))?;
        let backend = Backend::for_url(self.database.url.expose_secret())
            .map_err(|m| invalid("database.url", m))?;
        self.jobs.validate(backend)?;
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.database.connect_timeout_secs == 0 {
            return Err(invalid(
                "database.connect_timeout_secs",
                "must be at least 1",
            ));
        }
        self.roadmap_settings()?;
        if let Some(seed) = &self.roadmap.seed_file {
            if !seed.is_file() {
                return Err(invalid(
                    "roadmap.seed_file",
                    format!("{} is not a readable file", seed.display()),
                ));
            }
        }
        self.validate_auth()?;
        self.aws_settings()?;
        if !(10..=3600).contains(&self.health.poll_interval_secs) {
            return Err(invalid(
                "health.poll_interval_secs",
                format!(
                    "must be between 10 and 3600 seconds (got {})",
                    self.health.poll_interval_secs
                ),
            ));
        }
        self.cost_settings()?;
        if !(5..=10_080).contains(&self.cost.refresh_interval_minutes) {
            return Err(invalid(
                "cost.refresh_interval_minutes",
                "must be between 5 and 10080 (a week)",
            ));
        }
        if self.health.retention_days == 0 {
            return Err(invalid("health.retention_days", "must be at least 1"));
        }
        if self.health.transition_retention_days == 0 {
            return Err(invalid(
                "health.transition_retention_days",
                "must be at least 1",
            ));
        }
        if let Some(token) = &self.metrics.bearer_token {
            if token.expose_secret().len() < 16 {
                return Err(invalid(
                    "metrics.bearer_token",
                    "must be at least 16 characters",
                ));
            }
        }
        self.audit_settings()?;
        for env in &self.environments {
            env.validate()
                .map_err(|e| ConfigError::Load(e.public_message()))?;
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.filter)
            .map_err(|e| invalid("log.filter", e.to_string()))?;
        Ok(())
    }

    /// The audit key(s) and checkpoint file, validated. Messages name the key
    /// and never contain a secret.
    pub fn audit_settings(&self) -> Result<gantry_core::audit::AuditSettings, ConfigError> {
        use gantry_core::audit::{AuditKey, AuditKeyring, AuditSettings};
        let audit = &self.audit;
        let Some(secret) = &audit.key else {
            if !audit.previous_keys.is_empty() {
                return Err(invalid(
                    "audit.previous_keys",
                    "needs audit.key (the current key) as well",
                ));
            }
            if audit
                .checkpoint_file
                .as_ref()
                .is_some_and(|p| !p.as_os_str().is_empty())
            {
                return Err(invalid(
                    "audit.checkpoint_file",
                    "needs audit.key: each checkpoint line is MACed with it",
                ));
            }
            return Ok(AuditSettings::default());
        };
        let current = AuditKey::new(audit.key_id.trim(), secret.clone()).map_err(|m| {
            invalid(
                if m.starts_with("key id") {
                    "audit.key_id"
                } else {
                    "audit.key"
                },
                m,
            )
        })?;
        let previous = audit
            .previous_keys
            .iter()
            .map(|(id, secret)| AuditKey::new(id, secret.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| invalid("audit.previous_keys", m))?;
        let keyring =
            AuditKeyring::new(current, previous).map_err(|m| invalid("audit.previous_keys", m))?;
        let checkpoint_file = match &audit.checkpoint_file {
            Some(path) if path.as_os_str().is_empty() => None,
            Some(path) => Some(path.clone()),
            None => gantry_core::db::sqlite_path(self.database.url.expose_secret()).map(|db| {
                let stem = db
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "gantry".to_owned());
                db.with_file_name(format!("{stem}.audit-checkpoint.jsonl"))
            }),
        };
        Ok(AuditSettings {
            keyring: Some(keyring),
            checkpoint_file,
        })
    }

    pub fn health_poll_interval(&self) -> Duration {
        Duration::from_secs(self.health.poll_interval_secs)
    }

    /// The cost refresher's settings, validated.
    pub fn cost_settings(&self) -> Result<gantry_core::cost::refresh::CostSettings, ConfigError> {
        use gantry_core::cost::model::CostMetric;
        let cost = &self.cost;
        let metric = match cost.metric.trim().to_ascii_lowercase().as_str() {
            "unblended" | "unblendedcost" => CostMetric::Unblended,
            "amortized" | "amortizedcost" => CostMetric::Amortized,
            other => {
                return Err(invalid(
                    "cost.metric",
                    format!("{other:?}: use \"unblended\" or \"amortized\""),
                ))
            }
        };
        let tag_key = cost.tag_key.trim();
        if tag_key.is_empty() || tag_key.len() > 128 {
            return Err(invalid("cost.tag_key", "must be 1-128 characters"));
        }
        let role_arn = match cost.role_arn.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                gantry_core::environments::model::RoleArn::parse(raw)
                    .map_err(|m| invalid("cost.role_arn", m))?,
            ),
        };
        let end_date = match cost.end_date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|e| {
                    invalid(
                        "cost.end_date",
                        format!("{raw:?}: expected YYYY-MM-DD ({e})"),
                    )
                })?,
            ),
        };
        Ok(gantry_core::cost::refresh::CostSettings {
            metric,
            tag_key: tag_key.to_owned(),
            role_arn,
            admin_min_interval: Duration::from_secs(cost.admin_refresh_min_interval_secs),
            end_date,
        })
    }

    /// The AWS seam's settings, validated.
    pub fn aws_settings(&self) -> Result<gantry_core::aws::AwsSettings, ConfigError> {
        let aws = &self.aws;
        let endpoint_url = match aws.endpoint_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => {
                let url = url::Url::parse(raw)
                    .map_err(|e| invalid("aws.endpoint_url", format!("not a URL: {e}")))?;
                let loopback = url.host_str().is_some_and(is_loopback_host);
                if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                    return Err(invalid(
                        "aws.endpoint_url",
                        "must be https:// (plain http only on loopback)",
                    ));
                }
                Some(url)
            }
        };
        let static_credentials = if aws.stand_in_credentials {
            let loopback = endpoint_url
                .as_ref()
                .and_then(|u| u.host_str())
                .is_some_and(is_loopback_host);
            if !loopback {
                return Err(invalid(
                    "aws.stand_in_credentials",
                    "only allowed with a loopback aws.endpoint_url (the local stand-in)",
                ));
            }
            Some(gantry_core::aws::StaticCredentials::moto())
        } else {
            None
        };
        if !(100..=60_000).contains(&aws.connect_timeout_ms) {
            return Err(invalid(
                "aws.connect_timeout_ms",
                "must be between 100 and 60000",
            ));
        }
        if !(500..=300_000).contains(&aws.operation_timeout_ms) {
            return Err(invalid(
                "aws.operation_timeout_ms",
                "must be between 500 and 300000",
            ));
        }
        if !(1..=10).contains(&aws.max_attempts) {
            return Err(invalid("aws.max_attempts", "must be between 1 and 10"));
        }
        Ok(gantry_core::aws::AwsSettings {
            endpoint_url,
            connect_timeout: Duration::from_millis(aws.connect_timeout_ms),
            operation_timeout: Duration::from_millis(aws.operation_timeout_ms),
            max_attempts: aws.max_attempts,
            static_credentials,
        })
    }

    fn validate_auth(&self) -> Result<(), ConfigError> {
        let auth = &self.auth;
        if auth.session_idle_minutes == 0 {
            return Err(invalid("auth.session_idle_minutes", "must be at least 1"));
        }
        if auth.session_absolute_hours == 0 {
            return Err(invalid("auth.session_absolute_hours", "must be at least 1"));
        }
        if auth.dev.enabled && !self.server.bind.ip().is_loopback() {
            return Err(invalid(
                "auth.dev.enabled",
                format!(
                    "the development sign-in is only allowed on a loopback address, not {}",
                    self.server.bind
                ),
            ));
        }
        self.sign_in_limits()?;
        if auth.dev.enabled {
            self.dev_sign_in_allowed()?;
        }
        if auth.dev.enabled && auth.dev.users.is_empty() {
            return Err(invalid(
                "auth.dev.users",
                "list at least one user to sign in as",
            ));
        }
        if let Some(oidc) = &auth.oidc {
            let issuer = url::Url::parse(&oidc.issuer_url)
                .map_err(|e| invalid("auth.oidc.issuer_url", format!("not a URL: {e}")))?;
            if issuer.scheme() != "https" && !issuer.host_str().is_some_and(is_loopback_host) {
                return Err(invalid(
                    "auth.oidc.issuer_url",
                    "must be https:// (plain http only on loopback)",
                ));
            }
            if oidc.client_id.trim().is_empty() {
                return Err(invalid("auth.oidc.client_id", "must not be empty"));
            }
            if let Some(redirect) = &oidc.redirect_url {
                url::Url::parse(redirect)
                    .map_err(|e| invalid("auth.oidc.redirect_url", format!("not a URL: {e}")))?;
            }
            if !oidc.scopes.iter().any(|s| s == "openid") {
                return Err(invalid("auth.oidc.scopes", "must include \"openid\""));
            }
        }
        Ok(())
    }

    /// The per-client sign-in limits, validated.
    pub fn sign_in_limits(&self) -> Result<crate::auth::limit::SignInLimits, ConfigError> {
        use std::num::NonZeroU32;
        let auth = &self.auth;
        let rate =
            |key_rate: &'static str, per_minute: u32, key_burst: &'static str, burst: u32| {
                Ok::<_, ConfigError>(crate::auth::limit::Rate {
                    per_minute: NonZeroU32::new(per_minute)
                        .ok_or_else(|| invalid(key_rate, "must be at least 1"))?,
                    burst: NonZeroU32::new(burst)
                        .ok_or_else(|| invalid(key_burst, "must be at least 1"))?,
                })
            };
        Ok(crate::auth::limit::SignInLimits::new(
            rate(
                "auth.sign_in_starts_per_minute",
                auth.sign_in_starts_per_minute,
                "auth.sign_in_starts_burst",
                auth.sign_in_starts_burst,
            )?,
            rate(
                "auth.refused_sign_ins_per_minute",
                auth.refused_sign_ins_per_minute,
                "auth.refused_sign_ins_burst",
                auth.refused_sign_ins_burst,
            )?,
        ))
    }

    /// The development sign-in lets anyone who reaches the server be anyone:
    /// only for a server users reach on loopback over plain http. An https
    /// public URL means a proxy in front, so the loopback bind proves nothing.
    fn dev_sign_in_allowed(&self) -> Result<(), ConfigError> {
        let public = self.public_url()?;
        if public.scheme() == "https" {
            return Err(invalid(
                "auth.dev.enabled",
                format!("the development sign-in is refused: server.public_url {public} is https (a proxied deployment)"),
            ));
        }
        if !public.host_str().is_some_and(is_loopback_host) {
            return Err(invalid(
                "auth.dev.enabled",
                format!("the development sign-in is refused: server.public_url {public} is not a loopback URL (127.0.0.0/8, ::1, localhost)"),
            ));
        }
        Ok(())
    }

    /// The server needs a way to sign in; the command-line tools do not.
    pub fn require_sign_in(&self) -> Result<(), ConfigError> {
        if !self.auth.dev.enabled && self.auth.oidc.is_none() {
            return Err(invalid(
                "auth.oidc",
                "configure an OpenID Connect provider (or, on loopback, auth.dev.enabled = true): otherwise nobody can sign in",
            ));
        }
        Ok(())
    }

    /// `server.public_url`, parsed: scheme and host lower case
    /// (`HTTPS://Gantry.Example.com` is `https://gantry.example.com/`).
    pub fn public_url(&self) -> Result<url::Url, ConfigError> {
        url::Url::parse(self.server.public_url.trim())
            .map_err(|e| invalid("server.public_url", format!("not a URL: {e}")))
    }

    /// Whether cookies get the Secure flag: whenever users reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url().is_ok_and(|u| u.scheme() == "https")
    }

    /// `scheme://host[:port]` of the public URL, for the Origin check.
    pub fn public_origin(&self) -> String {
        self.public_url()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    pub fn roadmap_settings(&self) -> Result<RoadmapSettings, ConfigError> {
        if self.roadmap.environments.is_empty() {
            return Err(invalid(
                "roadmap.environments",
                "list at least one environment",
            ));
        }
        let mut environments = Vec::new();
        for raw in &self.roadmap.environments {
            let env = EnvName::parse(raw).map_err(|m| invalid("roadmap.environments", m))?;
            if environments.contains(&env) {
                return Err(invalid(
                    "roadmap.environments",
                    format!("{raw:?} is listed twice"),
                ));
            }
            environments.push(env);
        }
        Ok(RoadmapSettings { environments })
    }

    pub fn db_options(&self) -> DbOptions {
        DbOptions {
            url: self.database.url.expose_secret().to_owned(),
            max_connections: self.database.max_connections,
            connect_timeout: Duration::from_secs(self.database.connect_timeout_secs),
        }
    }

    /// The database URL with its password hidden, for messages.
    pub fn database_display(&self) -> String {
        redact_url(self.database.url.expose_secret())
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn describe_figment_error(e: figment::Error) -> String {
    let key = e.path.join(".");
    let origin = e
        .metadata
        .as_ref()
        .map(|m| format!(" (from {})", m.name))
        .unwrap_or_default();
    if key.is_empty() {
        format!("{}{origin}", e.kind)
    } else {
        format!("{key}: {}{origin}", e.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV_AUTH: &str = "[auth.dev]\nenabled = true\nusers = [{ subject = \"a\", name = \"A\", groups = [\"gantry-admins\"] }]\n";

    #[test]
    fn defaults_are_valid() {
        let config = Config::from_toml(DEV_AUTH).expect("defaults");
        assert_eq!(config.server.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(
            config.database.url.expose_secret(),
            "sqlite://data/gantry.db"
        );
        assert_eq!(config.roadmap.environments, ["dev", "prod"]);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml("[server]\nbind = \"127.0.0.1:1\"\nport = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("port"), "{err}");
        assert!(err.contains("unknown field"), "{err}");
        let err = Config::from_toml("[nonsense]\na = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nonsense"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = Config::from_toml("[database]\nurl = \"mysql://u:pw@h/db\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config: database.url:"), "{err}");
        assert!(!err.contains("pw@"), "password leaked: {err}");

        let err = Config::from_toml("[roadmap]\nenvironments = [\"dev\", \"Prod\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("roadmap.environments"), "{err}");

        let err = Config::from_toml("[server]\nbind = \"nowhere\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.bind"), "{err}");

        let err = Config::from_toml("[roadmap]\nseed_file = \"/does/not/exist.md\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("roadmap.seed_file"), "{err}");

        let err = Config::from_toml("[health]\ntransition_retention_days = 0\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("config: health.transition_retention_days:"),
            "{err}"
        );
    }

    #[test]
    fn dev_sign_in_only_on_loopback_and_some_sign_in_required() {
        let err = Config::from_toml(&format!("[server]\nbind = \"0.0.0.0:3000\"\n{DEV_AUTH}"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config: auth.dev.enabled:"), "{err}");
        assert!(err.contains("loopback"), "{err}");
        let err = Config::from_toml("")
            .unwrap()
            .require_sign_in()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config: auth.oidc:"), "{err}");
        let err = Config::from_toml(
            "[auth.oidc]\nissuer_url = \"http://idp.example.com\"\nclient_id = \"g\"\nclient_secret = \"s\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("config: auth.oidc.issuer_url:"), "{err}");
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn short_audit_keys_are_refused_in_one_line_without_the_key() {
        let err = Config::from_toml("[audit]\nkey = \"too-short-secret\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config: audit.key:"), "{err}");
        assert!(err.contains("at least 32"), "{err}");
        assert!(!err.contains("too-short-secret"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");

        let err = Config::from_toml(&format!(
            "[audit]\nkey = \"{KEY}\"\nprevious_keys = {{ old = \"short-old-key\" }}\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("config: audit.previous_keys:"), "{err}");
        assert!(!err.contains("short-old-key"), "{err}");

        let err = Config::from_toml(&format!("[audit]\nkey = \"{KEY}\"\nkey_id = \"bad id\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config: audit.key_id:"), "{err}");

        let err = Config::from_toml(&format!(
            "[audit]\nkey = \"{KEY}\"\nkey_id = \"k1\"\nprevious_keys = {{ k1 = \"{KEY}\" }}\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("given twice"), "{err}");

        let err = Config::from_toml("[audit]\ncheckpoint_file = \"/tmp/x.jsonl\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config: audit.checkpoint_file:"), "{err}");
    }

    #[test]
    fn audit_keys_never_appear_in_debug_output() {
        let old = "an-older-secret-key-of-32-bytes-or-more";
        let config = Config::from_toml(&format!(
            "[audit]\nkey = \"{KEY}\"\nkey_id = \"k2\"\nprevious_keys = {{ k1 = \"{old}\" }}\n"
        ))
        .unwrap();
        let settings = config.audit_settings().unwrap();
        for text in [
            format!("{config:?}"),
            format!("{settings:?}"),
            format!("{config:#?}"),
        ] {
            assert!(!text.contains(KEY), "{text}");
            assert!(!text.contains(old), "{text}");
        }
        let ring = settings.keyring.unwrap();
        assert_eq!(ring.current().id(), "k2");
        assert!(ring.get("k1").is_some());
        // Beside the default SQLite database.
        assert_eq!(
            settings.checkpoint_file.unwrap(),
            PathBuf::from("data/gantry.audit-checkpoint.jsonl")
        );
    }

    #[test]
    fn the_checkpoint_file_defaults_by_backend_and_can_be_turned_off() {
        let pg = Config::from_toml(&format!(
            "[database]\nurl = \"postgres://u@h/db\"\n[audit]\nkey = \"{KEY}\"\n"
        ))
        .unwrap();
        assert_eq!(pg.audit_settings().unwrap().checkpoint_file, None);
        let off = Config::from_toml(&format!(
            "[audit]\nkey = \"{KEY}\"\ncheckpoint_file = \"\"\n"
        ))
        .unwrap();
        assert_eq!(off.audit_settings().unwrap().checkpoint_file, None);
        let none = Config::from_toml("").unwrap().audit_settings().unwrap();
        assert!(none.keyring.is_none() && none.checkpoint_file.is_none());
    }

    #[test]
    fn dev_sign_in_only_behind_a_loopback_http_public_url() {
        let with = |public_url: &str| {
            Config::from_toml(&format!(
                "[server]\npublic_url = \"{public_url}\"\n{DEV_AUTH}"
            ))
        };
        for ok in [
            "http://127.0.0.1:3000",
            "http://127.9.8.7:3000",
            "http://localhost:3000",
            "HTTP://LocalHost:3000",
            "http://[::1]:3000",
        ] {
            assert!(with(ok).is_ok(), "{ok}: {:?}", with(ok).err());
        }
        for (refused, why) in [
            ("http://gantry.example.com", "not a loopback URL"),
            ("http://10.0.0.5:3000", "not a loopback URL"),
            ("http://127.0.0.1.nip.io:3000", "not a loopback URL"),
            ("http://localhost.evil.example", "not a loopback URL"),
            (
                "https://gantry.example.com",
                "is https (a proxied deployment)",
            ),
            ("https://127.0.0.1:3000", "is https (a proxied deployment)"),
            (
                "HTTPS://Gantry.Example.com",
                "is https (a proxied deployment)",
            ),
        ] {
            let err = with(refused).unwrap_err().to_string();
            assert!(err.starts_with("config: auth.dev.enabled:"), "{err}");
            assert!(err.contains(why), "{refused}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
        // Beside OpenID Connect on loopback: still allowed.
        let both = Config::from_toml(&format!(
            "{DEV_AUTH}[auth.oidc]\nissuer_url = \"http://127.0.0.1:9400\"\nclient_id = \"g\"\nclient_secret = \"s\"\n"
        ));
        assert!(both.is_ok(), "{:?}", both.err());
        // Off: any public URL.
        assert!(
            Config::from_toml("[server]\npublic_url = \"https://gantry.example.com\"\n").is_ok()
        );
    }

    #[test]
    fn public_url_is_case_insensitive() {
        let config = Config::from_toml("[server]\npublic_url = \"HTTPS://Gantry.Example.com\"\n")
            .expect("config");
        assert!(config.secure_cookies());
        assert_eq!(config.public_origin(), "https://gantry.example.com");
    }

    #[test]
    fn the_example_file_is_complete_and_valid() {
        let text = include_str!("../../config/gantry.example.toml");
        let config = Config::from_toml(text).expect("example config parses");
        assert_eq!(config.log.format, LogFormat::Text);
    }
}
