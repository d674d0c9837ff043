//! The provisioning template (`[provision]` in the server's config): what an
//! environment's service looks like when Gantry provisions it — the task
//! definition (the Django app container and the PgBouncer sidecar, secrets
//! from SSM, log configuration), the service (network, circuit breaker,
//! target group), the SSM parameters, and how a preview environment is made.
//!
//! `{env}` in `family`, `log_stream_prefix`'s owner strings, the preview's
//! `cluster` and `ssm_prefix` is replaced by the environment's name.
//!
//! Secrets never live in the template: a SecureString parameter is either
//! generated on first provision (and kept afterwards) or copied, server-side,
//! from another parameter.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::environments::model::{Environment, EnvironmentInput, ServiceInput, PREVIEW_PREFIX};
use crate::shared::EnvName;

/// Longest TTL a preview may be created with (the environments area's cap).
pub const MAX_PREVIEW_TTL_HOURS: u32 = 720;

/// One container of the task definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerTemplate {
    pub name: String,
    pub image: String,
    pub port: u16,
    /// CPU units and MiB reserved for the container.
    pub cpu: i32,
    pub memory: i32,
    /// Plain environment variables (never secrets).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

/// How a SecureString parameter gets its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// 48 random characters on first provision; an existing value is kept.
    Generate,
    /// The value of another parameter (same account), read server-side.
    CopyFrom(String),
}

/// One SSM parameter under the environment's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterTemplate {
    /// The name under the prefix (`DJANGO_DEBUG`).
    pub name: String,
    /// A String parameter's value (`{env}` replaced).
    #[serde(default)]
    pub value: Option<String>,
    /// A SecureString parameter: generated on first provision.
    #[serde(default)]
    pub generate: bool,
    /// A SecureString parameter: copied from this parameter's value.
    #[serde(default)]
    pub copy_from: Option<String>,
    /// The containers given it as a secret (default: the app container).
    #[serde(default)]
    pub containers: Vec<String>,
}

impl ParameterTemplate {
    pub fn secret_source(&self) -> Option<SecretSource> {
        match (&self.copy_from, self.generate) {
            (Some(from), _) => Some(SecretSource::CopyFrom(from.clone())),
            (None, true) => Some(SecretSource::Generate),
            (None, false) => None,
        }
    }
}

/// How a preview environment is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewTemplate {
    pub region: String,
    pub account_id: String,
    #[serde(default)]
    pub role_arn: Option<String>,
    /// The ECS cluster (`{env}` replaced; previews may share one).
    pub cluster: String,
    /// The preview's service (`{env}` replaced; must contain `{env}` when
    /// previews share a cluster, so that each has its own).
    #[serde(default = "default_preview_service")]
    pub service: String,
    /// The SSM prefix (`/backend-booking/{env}/`).
    pub ssm_prefix: String,
    /// The TTL a preview gets unless the request names one.
    #[serde(default = "default_ttl")]
    pub ttl_hours: u32,
    #[serde(default)]
    pub cost_tag_key: Option<String>,
}

fn default_preview_service() -> String {
    "{env}".to_owned()
}

fn default_ttl() -> u32 {
    72
}

/// The whole template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionTemplate {
    /// The service's name (a preview's only service).
    pub service: String,
    /// The task-definition family (`backend-booking-{env}`).
    pub family: String,
    /// Task size: Fargate CPU units and MiB.
    pub cpu: String,
    pub memory: String,
    #[serde(default)]
    pub execution_role_arn: Option<String>,
    #[serde(default)]
    pub task_role_arn: Option<String>,
    /// Tasks a new service starts with (an existing one keeps its count).
    pub desired_count: i32,
    pub app: ContainerTemplate,
    #[serde(default)]
    pub pgbouncer: Option<ContainerTemplate>,
    /// The CloudWatch Logs group of both containers.
    pub log_group: String,
    /// Subnet ids, or the StringList parameter that holds them (Terraform's
    /// network outputs).
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub subnets_parameter: Option<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub security_groups_parameter: Option<String>,
    #[serde(default)]
    pub assign_public_ip: bool,
    /// Target group ARN per environment name, attached to the app
    /// container's port when present.
    #[serde(default)]
    pub target_groups: BTreeMap<String, String>,
    #[serde(default)]
    pub parameters: Vec<ParameterTemplate>,
    #[serde(default)]
    pub preview: Option<PreviewTemplate>,
}

impl ProvisionTemplate {
    /// Every problem of the template, one line each (empty when valid).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.service.trim().is_empty() {
            problems.push("service: must not be empty".to_owned());
        }
        if !self
            .family
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '{' || c == '}')
            || self.family.is_empty()
        {
            problems.push(format!(
                "family: letters, digits, '-', '_' and {{env}} only (got {:?})",
                self.family
            ));
        }
        if !(0..=super::super::scale::MAX_DESIRED).contains(&self.desired_count) {
            problems.push(format!(
                "desired_count: between 0 and {} (got {})",
                super::super::scale::MAX_DESIRED,
                self.desired_count
            ));
        }
        if self.subnets.is_empty() && self.subnets_parameter.is_none() {
            problems.push("subnets or subnets_parameter: one is required".to_owned());
        }
        let mut containers = vec![self.app.name.as_str()];
        if let Some(p) = &self.pgbouncer {
            if p.name == self.app.name {
                problems.push("pgbouncer.name: must differ from app.name".to_owned());
            }
            containers.push(p.name.as_str());
        }
        for p in &self.parameters {
            let at = format!("parameters.{}", p.name);
            if p.name.is_empty()
                || !p
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                problems.push(format!("{at}: letters, digits, '_', '-', '.' only"));
            }
            let sources = usize::from(p.value.is_some())
                + usize::from(p.generate)
                + usize::from(p.copy_from.is_some());
            if sources != 1 {
                problems.push(format!(
                    "{at}: exactly one of value (a String), generate or copy_from (a SecureString)"
                ));
            }
            for c in &p.containers {
                if !containers.contains(&c.as_str()) {
                    problems.push(format!("{at}.containers: no container named {c:?}"));
                }
            }
        }
        if let Some(preview) = &self.preview {
            if !(1..=MAX_PREVIEW_TTL_HOURS).contains(&preview.ttl_hours) {
                problems.push(format!(
                    "preview.ttl_hours: between 1 and {MAX_PREVIEW_TTL_HOURS} (got {})",
                    preview.ttl_hours
                ));
            }
            if !preview.cluster.contains("{env}") && !preview.service.contains("{env}") {
                problems.push(
                    "preview.service: must contain {env} when previews share a cluster (each preview has its own service)"
                        .to_owned(),
                );
            }
            if !preview.ssm_prefix.contains("{env}") {
                problems.push(
                    "preview.ssm_prefix: must contain {env} (each preview has its own parameters)"
                        .to_owned(),
                );
            }
        }
        problems
    }

    /// The family for `env`.
    pub fn family_for(&self, env: &EnvName) -> String {
        self.family.replace("{env}", env.as_str())
    }

    /// The preview environment `name` would be, with `ttl_hours` (the
    /// template's default when `None`); refused when the template has no
    /// `[provision.preview]` or the input is invalid.
    pub fn preview_environment(
        &self,
        name: &str,
        ttl_hours: Option<u32>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Environment, String> {
        let preview = self
            .preview
            .as_ref()
            .ok_or("this Gantry has no preview template ([provision.preview] in its config)")?;
        if !name.starts_with(PREVIEW_PREFIX) {
            return Err(format!(
                "a preview environment's name starts with {PREVIEW_PREFIX} (got {name:?})"
            ));
        }
        let ttl = ttl_hours.unwrap_or(preview.ttl_hours);
        let input = EnvironmentInput {
            name: name.to_owned(),
            production: false,
            region: preview.region.clone(),
            account_id: preview.account_id.clone(),
            role_arn: preview.role_arn.clone(),
            cluster: preview.cluster.replace("{env}", name),
            services: vec![ServiceInput {
                name: preview.service.replace("{env}", name),
                container: self.app.name.clone(),
                health_url: None,
            }],
            ssm_prefix: preview.ssm_prefix.replace("{env}", name),
            cost_tag_key: preview.cost_tag_key.clone(),
            cost_tag_value: preview.cost_tag_key.as_ref().map(|_| name.to_owned()),
            ttl_hours: Some(i64::from(ttl)),
            ..Default::default()
        };
        input.validate_at(now).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The template the tests provision with (network from a parameter).
    pub(crate) fn template() -> ProvisionTemplate {
        toml::from_str(
            r#"
            service = "web"
            family = "booking-{env}"
            cpu = "512"
            memory = "1024"
            execution_role_arn = "arn:aws:iam::123456789012:role/booking-exec"
            desired_count = 1
            log_group = "/ecs/booking"
            subnets_parameter = "/booking/network/subnets"
            security_groups = ["sg-0123"]
            app = { name = "django", image = "registry.example.com/booking:1.0.0", port = 8000, cpu = 384, memory = 768, environment = { DJANGO_SETTINGS_MODULE = "config.settings" } }
            pgbouncer = { name = "pgbouncer", image = "registry.example.com/pgbouncer:1.22", port = 6432, cpu = 128, memory = 256 }
            parameters = [
              { name = "DJANGO_DEBUG", value = "false" },
              { name = "DJANGO_SECRET_KEY", generate = true },
              { name = "DATABASE_URL", copy_from = "/booking/shared/DATABASE_URL", containers = ["django", "pgbouncer"] },
            ]
            [preview]
            region = "us-east-1"
            account_id = "123456789012"
            cluster = "booking-previews"
            service = "{env}-web"
            ssm_prefix = "/booking/{env}/"
            "#,
        )
        .expect("the test template parses")
    }

    #[test]
    fn the_test_template_is_valid_and_bad_ones_say_why() {
        assert_eq!(template().problems(), Vec::<String>::new());
        let mut bad = template();
        bad.parameters[0].generate = true;
        bad.parameters[1].containers = vec!["nginx".into()];
        bad.desired_count = -1;
        bad.subnets_parameter = None;
        bad.preview.as_mut().unwrap().ssm_prefix = "/booking/previews/".into();
        bad.preview.as_mut().unwrap().service = "web".into();
        let problems = bad.problems();
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert!(problems.iter().any(|p| p.starts_with("preview.service")));
        assert!(problems[0].starts_with("desired_count"));
        assert!(problems.iter().any(|p| p.contains("exactly one of")));
        assert!(problems
            .iter()
            .any(|p| p.contains("no container named \"nginx\"")));
        assert!(problems.iter().any(|p| p.starts_with("preview.ssm_prefix")));
    }

    #[test]
    fn a_preview_is_made_from_the_template() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .unwrap()
            .to_utc();
        let env = template()
            .preview_environment("preview-pr-42", None, now)
            .expect("a valid preview");
        assert_eq!(env.cluster, "booking-previews");
        assert_eq!(env.ssm_prefix.to_string(), "/booking/preview-pr-42/");
        assert_eq!(env.ttl_hours, Some(72));
        assert_eq!(env.services[0].name, "preview-pr-42-web");
        let refused = template()
            .preview_environment("pr-42", Some(5), now)
            .unwrap_err();
        assert!(refused.contains("starts with preview-"), "{refused}");
        let refused = template()
            .preview_environment("preview-x", Some(0), now)
            .unwrap_err();
        assert!(refused.contains("ttl_hours"), "{refused}");
    }
}
