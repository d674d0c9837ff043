//! Typed configuration: a TOML file layered with `GANTRY_<SECTION>__<KEY>`
//! environment variables. Unknown keys are rejected; values are validated at
//! start-up with a message that names the key. Every key and its default is in
//! `config/gantry.example.toml`.

use std::path::Path;
use std::time::Duration;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use gantry_core::db::{redact_url, Backend, DbOptions};
use gantry_core::environments::EnvironmentInput;
use gantry_core::roadmap::service::RoadmapSettings;
use gantry_core::shared::EnvName;
use secrecy::ExposeSecret;
use serde::Deserialize;

mod auth;
mod jobs;
mod sections;
pub use auth::*;
pub use jobs::JobsConfig;
pub use sections::*;

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
    pub notifications: NotificationsConfig,
    /// What provisioning jobs make (`[provision]`; without it provisioning
    /// and previews are refused with that reason).
    pub provision: Option<gantry_core::jobs::kinds::provision::template::ProvisionTemplate>,
    /// Environments created at start-up when they do not exist yet
    /// (`[[environments]]` tables); admins edit them in the UI afterwards.
    pub environments: Vec<EnvironmentInput>,
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
        if !(1..=300).contains(&self.notifications.deliver_every_secs) {
            return Err(invalid(
                "notifications.deliver_every_secs",
                "must be between 1 and 300",
            ));
        }
        for (env, url) in &self.notifications.webhooks {
            let parsed = url::Url::parse(url.expose_secret().trim()).ok();
            if !parsed.is_some_and(|u| matches!(u.scheme(), "https" | "http")) {
                // The URL itself is a secret: name the environment only.
                return Err(invalid(
                    "notifications.webhooks",
                    format!("the webhook of {env} is not an http(s) URL"),
                ));
            }
        }
        if let Some(template) = &self.provision {
            let problems = template.problems();
            if !problems.is_empty() {
                return Err(invalid("provision", problems.join("; ")));
            }
        }
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
        self.cost
            .fargate
            .validate()
            .map_err(|m| invalid("cost.fargate", m))?;
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
                .and_then(|_| env.check_approver_groups(&self.auth.roles.approver_groups()))
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
mod tests;
