//! The other sections: `[server]`, `[database]`, `[roadmap]`, `[aws]`,
//! `[health]`, `[cost]`, `[metrics]`, `[audit]`, `[log]`.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

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
    /// Fargate prices for the approval page's cost delta (`[cost.fargate]`).
    pub fargate: gantry_core::cost::fargate::FargatePrices,
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
            fargate: Default::default(),
        }
    }
}

/// Approval notifications: a Slack-compatible webhook per environment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    /// Environment name → webhook URL. Secrets (a webhook URL authorizes
    /// posting): set them from the environment (`GANTRY_NOTIFICATIONS__WEBHOOKS__PROD`);
    /// never shown or logged.
    pub webhooks: std::collections::BTreeMap<String, SecretString>,
    /// Seconds between two delivery rounds of the outbox (1..=300).
    pub deliver_every_secs: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            webhooks: Default::default(),
            deliver_every_secs: 5,
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
