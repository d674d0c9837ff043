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
use gantry_core::roadmap::model::EnvName;
use gantry_core::roadmap::service::RoadmapSettings;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub roadmap: RoadmapConfig,
    pub log: LogConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// The address users reach Gantry at (links, cookies' Secure flag later).
    pub public_url: String,
    /// Folder with the built site (pkg/gantry.js, .wasm, .css and public/ assets).
    pub site_root: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: "http://127.0.0.1:3000".to_owned(),
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
        let public = url::Url::parse(&self.server.public_url)
            .map_err(|e| invalid("server.public_url", format!("not a URL: {e}")))?;
        if !matches!(public.scheme(), "http" | "https") {
            return Err(invalid(
                "server.public_url",
                "must start with http:// or https://",
            ));
        }
        Backend::for_url(self.database.url.expose_secret())
            .map_err(|m| invalid("database.url", m))?;
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
        tracing_subscriber::EnvFilter::try_new(&self.log.filter)
            .map_err(|e| invalid("log.filter", e.to_string()))?;
        Ok(())
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

    #[test]
    fn defaults_are_valid() {
        let config = Config::from_toml("").expect("defaults");
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
    }

    #[test]
    fn the_example_file_is_complete_and_valid() {
        let text = include_str!("../../config/gantry.example.toml");
        let config = Config::from_toml(text).expect("example config parses");
        assert_eq!(config.log.format, LogFormat::Text);
    }
}
