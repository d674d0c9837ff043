//! The environments' data model: where Gantry deploys and under which rules.
//!
//! Every identifier AWS will later receive (region, account, role ARN, cluster,
//! SSM prefix, tag) is a validated value here, so a typo in the config or a form
//! is refused with a message naming the field, long before any AWS call.
//!
//! [`EnvironmentInput`] is the raw form (config file `[[environments]]` tables,
//! edit forms); [`EnvironmentInput::validate`] turns it into an [`Environment`].

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};
pub use crate::shared::EnvName;

/// Most approvals a change can require.
pub const MAX_APPROVALS: u8 = 5;
/// Longest an approval stays valid, and longest a preview environment lives.
pub const MAX_HOURS: u32 = 720;
/// Approval validity when the config does not say.
pub const DEFAULT_APPROVAL_EXPIRY_HOURS: u32 = 24;
/// Names of preview environments start with this; they must have a TTL.
pub const PREVIEW_PREFIX: &str = "preview-";

const MAX_SERVICES: usize = 50;
const MAX_APPROVER_GROUPS: usize = 50;
const MAX_FREEZE_WINDOWS: usize = 100;
const MAX_GROUP_LEN: usize = 256;
const MAX_REASON_LEN: usize = 500;
/// $10 billion a month: anything above is a typo.
const MAX_BUDGET_USD: f64 = 10_000_000_000.0;

macro_rules! text_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// An AWS region code: `us-east-1`, `eu-west-2`, `ap-southeast-1`, `us-gov-west-1`.
///
/// Shape `^[a-z]{2}(-gov)?-[a-z]+-\d$`; whether AWS actually has the region is
/// for AWS to say.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AwsRegion(String);

impl AwsRegion {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parts: Vec<&str> = raw.split('-').collect();
        let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
        let ok = match parts.as_slice() {
            [geo, area, number] | [geo, "gov", area, number] => {
                geo.len() == 2
                    && lower(geo)
                    && lower(area)
                    && number.len() == 1
                    && number.bytes().all(|b| b.is_ascii_digit())
            }
            _ => false,
        };
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("region {raw:?}: expected something like us-east-1"))
        }
    }
}
text_newtype!(AwsRegion);

/// An AWS account id: exactly 12 digits (leading zeros are significant).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AwsAccountId(String);

impl AwsAccountId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if is_account_id(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "account id {raw:?} must be exactly 12 digits (got {})",
                describe_digits(raw)
            ))
        }
    }
}
text_newtype!(AwsAccountId);

fn is_account_id(raw: &str) -> bool {
    raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit())
}

/// "11 digits", "12 characters, not all digits".
fn describe_digits(raw: &str) -> String {
    let count = raw.chars().count();
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        format!("{count} digit{}", if count == 1 { "" } else { "s" })
    } else {
        format!(
            "{count} character{}, not all digits",
            if count == 1 { "" } else { "s" }
        )
    }
}

/// The IAM role Gantry assumes to act in an environment's account:
/// `arn:aws:iam::123456789012:role/gantry-deployer` (also the `aws-us-gov` and
/// `aws-cn` partitions, and role paths: `role/platform/gantry-deployer`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoleArn(String);

const PARTITIONS: [&str; 3] = ["aws", "aws-us-gov", "aws-cn"];

impl RoleArn {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let fail = |problem: String| Err(format!("role ARN {raw:?}: {problem}"));
        let parts: Vec<&str> = raw.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts.as_slice() else {
            return fail("expected arn:aws:iam::<12-digit account>:role/<name>".into());
        };
        if *arn != "arn" {
            return fail("must start with arn:".into());
        }
        if !PARTITIONS.contains(partition) {
            return fail(format!(
                "unknown partition {partition:?} (use aws, aws-us-gov or aws-cn)"
            ));
        }
        if *service != "iam" {
            return fail(format!(
                "service is {service:?}, not iam (give the role's ARN, not an assumed-role session's)"
            ));
        }
        if !region.is_empty() {
            return fail(format!("IAM ARNs have no region (found {region:?})"));
        }
        if !is_account_id(account) {
            return fail(format!(
                "account {account:?} must be exactly 12 digits (got {})",
                describe_digits(account)
            ));
        }
        let Some(role) = resource.strip_prefix("role/") else {
            return fail(format!(
                "resource {resource:?} is not a role (expected role/<name>)"
            ));
        };
        let segments: Vec<&str> = role.split('/').collect();
        let (name, path) = segments.split_last().unwrap_or((&"", &[]));
        let role_chars = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        };
        if name.is_empty() || name.chars().count() > 64 || !role_chars(name) {
            return fail(format!(
                "role name {name:?} must be 1-64 letters, digits or +=,.@_-"
            ));
        }
        if let Some(bad) = path.iter().find(|s| s.is_empty() || !role_chars(s)) {
            return fail(format!(
                "role path segment {bad:?} must be 1 or more letters, digits or +=,.@_-"
            ));
        }
        if role.len() > 512 {
            return fail("role path and name are longer than 512 characters".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The account the role lives in.
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }

    /// `aws`, `aws-us-gov` or `aws-cn`.
    pub fn partition(&self) -> &str {
        self.0.split(':').nth(1).unwrap_or_default()
    }
}
text_newtype!(RoleArn);

/// An SSM Parameter Store path prefix: `/backend-booking/prod/`. Starts and
/// ends with `/`, at least one level, no empty level, no reserved first level.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SsmPrefix(String);

impl SsmPrefix {
    /// Leaves room for the parameter names below the prefix (AWS allows 1011
    /// characters for a whole name).
    pub const MAX_LEN: usize = 900;
    /// AWS allows 15 levels including the parameter's own name.
    pub const MAX_LEVELS: usize = 14;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let fail = |problem: &str| Err(format!("SSM prefix {raw:?} {problem}"));
        if !raw.starts_with('/') {
            return fail("must start with '/'");
        }
        if !raw.ends_with('/') {
            return fail("must end with '/'");
        }
        if raw == "/" {
            return fail("must name at least one level, like /backend-booking/prod/");
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_.-/".contains(*c)))
        {
            return Err(format!(
                "SSM prefix {raw:?} contains {bad:?}: use letters, digits and _ . - /"
            ));
        }
        if raw.contains("//") {
            return fail("has an empty level (\"//\")");
        }
        let levels: Vec<&str> = raw.trim_matches('/').split('/').collect();
        let first = levels
            .first()
            .copied()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if first.starts_with("aws") || first.starts_with("ssm") {
            return fail("must not start with aws or ssm: AWS reserves those names");
        }
        if levels.len() > Self::MAX_LEVELS {
            return Err(format!(
                "SSM prefix {raw:?} has {} levels: at most {} (AWS allows 15 with the parameter's name)",
                levels.len(),
                Self::MAX_LEVELS
            ));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(format!(
                "SSM prefix {raw:?} is longer than {} characters",
                Self::MAX_LEN
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The full name of a parameter below the prefix: `/backend-booking/prod/DATABASE_URL`.
    pub fn parameter(&self, name: &str) -> String {
        format!("{}{}", self.0, name.trim_start_matches('/'))
    }
}
text_newtype!(SsmPrefix);

/// A service's health endpoint, probed over HTTP(S): `https://booking.example.com/health/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HealthUrl(String);

impl HealthUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url =
            url::Url::parse(raw).map_err(|e| format!("health URL {raw:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "health URL {raw:?} must use http or https, not {}",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("health URL {raw:?} has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "health URL {raw:?} must not contain a user name or password"
            ));
        }
        Ok(Self(url.to_string()))
    }
}
text_newtype!(HealthUrl);

/// An ECS cluster, service or container name: 1-255 letters, digits, `-` or `_`.
pub fn parse_ecs_name(kind: &str, raw: &str) -> Result<String, String> {
    let ok = (1..=255).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "{kind} {raw:?}: use 1-255 letters, digits, '-' or '_'"
        ))
    }
}

/// An RDS DB instance identifier: 1-63 letters, digits or hyphens, starting
/// with a letter, without a trailing hyphen or two hyphens in a row (RDS's rule).
pub fn parse_rds_identifier(raw: &str) -> Result<String, String> {
    let problem = if raw.is_empty() || raw.len() > 63 {
        Some("must be 1-63 characters")
    } else if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Some("use letters, digits and hyphens only")
    } else if !raw.starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some("must start with a letter")
    } else if raw.ends_with('-') || raw.contains("--") {
        Some("must not end with a hyphen or contain two hyphens in a row")
    } else {
        None
    };
    match problem {
        Some(p) => Err(format!("RDS instance identifier {raw:?}: {p}")),
        None => Ok(raw.to_ascii_lowercase()),
    }
}

/// The cost-allocation tag that marks an environment's resources, by which
/// Cost Explorer groups its spend: `Environment = prod`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CostTag {
    pub key: String,
    pub value: String,
}

impl CostTag {
    /// Keys 1-128 characters, values 1-256, of letters, digits, spaces and
    /// `_ . : / = + - @`; keys starting with `aws:` are AWS's own.
    pub fn parse(key: &str, value: &str) -> Result<Self, String> {
        let tag_chars = |s: &str| {
            s.chars()
                .find(|c| !(c.is_alphanumeric() || *c == ' ' || "_.:/=+-@".contains(*c)))
        };
        if key.is_empty() || key.chars().count() > 128 {
            return Err(format!("cost tag key {key:?} must be 1-128 characters"));
        }
        if let Some(bad) = tag_chars(key) {
            return Err(format!(
                "cost tag key {key:?} contains {bad:?}: use letters, digits, spaces and _ . : / = + - @"
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(format!(
                "cost tag key {key:?}: the aws: prefix is reserved by AWS"
            ));
        }
        if value.is_empty() || value.chars().count() > 256 {
            return Err(format!("cost tag value {value:?} must be 1-256 characters"));
        }
        if let Some(bad) = tag_chars(value) {
            return Err(format!(
                "cost tag value {value:?} contains {bad:?}: use letters, digits, spaces and _ . : / = + - @"
            ));
        }
        Ok(Self {
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// An ECS service of an environment and the container that runs the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// The ECS service name.
    pub name: String,
    /// The app container in its task definition (the one a deploy changes).
    pub container: String,
    /// Probed by the health checks; none = no HTTP probe.
    pub health_url: Option<HealthUrl>,
}

/// A period in which no change may be made to the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeWindow {
    pub starts_at: DateTime<Utc>,
    /// Always after `starts_at`; the window is `[starts_at, ends_at)`.
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

impl FreezeWindow {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

/// Who must approve a change to the environment, and when changes are frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    /// 0..=5; at least 1 for production environments. 0 = no approval needed.
    pub required_approvals: u8,
    /// Identity-provider groups whose members may approve; empty = anyone with
    /// the approver role.
    pub approver_groups: Vec<String>,
    /// Hours an approval stays valid (1..=720).
    pub expiry_hours: u32,
    /// Whether approving (and requesting) needs a written reason.
    pub reason_required: bool,
    pub freeze_windows: Vec<FreezeWindow>,
}

impl ApprovalPolicy {
    /// The freeze window in force at `at`, if any.
    pub fn freeze_at(&self, at: DateTime<Utc>) -> Option<&FreezeWindow> {
        self.freeze_windows.iter().find(|w| w.contains(at))
    }

    pub fn needs_approval(&self) -> bool {
        self.required_approvals > 0
    }
}

/// A place Gantry deploys to: dev, staging, prod or a short-lived preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub name: EnvName,
    pub production: bool,
    pub region: AwsRegion,
    pub account_id: AwsAccountId,
    /// The role to assume in `account_id`; none = Gantry's own credentials.
    pub role_arn: Option<RoleArn>,
    /// The ECS cluster name.
    pub cluster: String,
    pub services: Vec<ServiceSpec>,
    /// The RDS DB instance identifier of the environment's database; none = no
    /// database watched.
    pub database: Option<String>,
    pub ssm_prefix: SsmPrefix,
    pub cost_tag: Option<CostTag>,
    /// Non-negative, in US cents.
    pub monthly_budget_cents: Option<i64>,
    pub approval: ApprovalPolicy,
    /// Hours after creation at which the environment expires (1..=720). Required
    /// for preview environments, never set on production ones.
    pub ttl_hours: Option<u32>,
    /// Millisecond precision.
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Environment {
    /// Whether the name marks it as a preview environment (`preview-…`).
    pub fn is_preview(&self) -> bool {
        self.name.as_str().starts_with(PREVIEW_PREFIX)
    }

    /// When its TTL runs out: `created_at + ttl_hours`.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.ttl_hours
            .map(|h| self.created_at + Duration::hours(i64::from(h)))
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at().is_some_and(|at| at <= now)
    }

    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Equal in everything but the timestamps.
    pub fn same_settings(&self, other: &Environment) -> bool {
        let mut other = other.clone();
        other.created_at = self.created_at;
        other.updated_at = self.updated_at;
        *self == other
    }

    /// The settings as JSON (no timestamps), for the audit log. No field of an
    /// environment is a secret.
    pub fn settings_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.remove("created_at");
            object.remove("updated_at");
        }
        value
    }

    /// The raw form that validates back to this environment (edit forms).
    pub fn to_input(&self) -> EnvironmentInput {
        EnvironmentInput {
            name: self.name.to_string(),
            production: self.production,
            region: self.region.to_string(),
            account_id: self.account_id.to_string(),
            role_arn: self.role_arn.as_ref().map(RoleArn::to_string),
            cluster: self.cluster.clone(),
            services: self
                .services
                .iter()
                .map(|s| ServiceInput {
                    name: s.name.clone(),
                    container: s.container.clone(),
                    health_url: s.health_url.as_ref().map(HealthUrl::to_string),
                })
                .collect(),
            database: self.database.clone(),
            ssm_prefix: self.ssm_prefix.to_string(),
            cost_tag_key: self.cost_tag.as_ref().map(|t| t.key.clone()),
            cost_tag_value: self.cost_tag.as_ref().map(|t| t.value.clone()),
            monthly_budget_usd: self.monthly_budget_cents.map(|c| c as f64 / 100.0),
            approvals_required: Some(i64::from(self.approval.required_approvals)),
            approver_groups: self.approval.approver_groups.clone(),
            approval_expiry_hours: Some(i64::from(self.approval.expiry_hours)),
            approval_reason_required: Some(self.approval.reason_required),
            freeze_windows: self
                .approval
                .freeze_windows
                .iter()
                .map(|w| FreezeWindowInput {
                    starts_at: w.starts_at.to_rfc3339(),
                    ends_at: w.ends_at.to_rfc3339(),
                    reason: w.reason.clone(),
                })
                .collect(),
            ttl_hours: self.ttl_hours.map(i64::from),
        }
    }
}

/// An environment as written in the config file (`[[environments]]`) or sent by
/// an edit form: plain text and numbers, checked by [`Self::validate`].
///
/// ```toml
/// [[environments]]
/// name = "prod"
/// production = true
/// region = "eu-west-2"
/// account_id = "123456789012"
/// role_arn = "arn:aws:iam::123456789012:role/gantry-deployer"
/// cluster = "backend-booking-prod"
/// services = [{ name = "web", container = "django", health_url = "https://booking.example.com/health/" }]
/// ssm_prefix = "/backend-booking/prod/"
/// cost_tag_key = "Environment"
/// cost_tag_value = "prod"
/// monthly_budget_usd = 1250.50
/// approvals_required = 2
/// approver_groups = ["platform-leads"]
/// freeze_windows = [{ starts_at = 2026-12-20T00:00:00Z, ends_at = 2027-01-04T00:00:00Z, reason = "Holidays" }]
/// ```
///
/// Blank optional texts count as absent. Defaults: not production, no role (Gantry's
/// own credentials), no services, no cost tag or budget, 1 approval for production
/// and 0 otherwise, any approver, approvals valid 24 hours, a reason required for
/// production, no freeze window, no TTL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentInput {
    pub name: String,
    #[serde(default)]
    pub production: bool,
    pub region: String,
    /// A quoted string keeps leading zeros; a bare TOML integer is accepted too.
    #[serde(deserialize_with = "string_or_integer")]
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub cluster: String,
    #[serde(default)]
    pub services: Vec<ServiceInput>,
    /// The RDS DB instance identifier (`backend-booking-prod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    pub ssm_prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_tag_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_tag_value: Option<String>,
    /// Dollars, up to 2 decimal places: `1250.50`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_budget_usd: Option<f64>,
    /// Default: 1 for production, 0 otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_required: Option<i64>,
    #[serde(default)]
    pub approver_groups: Vec<String>,
    /// Default: 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_expiry_hours: Option<i64>,
    /// Default: `production`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_reason_required: Option<bool>,
    #[serde(default)]
    pub freeze_windows: Vec<FreezeWindowInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_hours: Option<i64>,
}

/// `{ name, container, health_url }`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub name: String,
    pub container: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_url: Option<String>,
}

/// `{ starts_at, ends_at, reason }`, times in RFC 3339 with an offset (a quoted
/// string or a TOML offset date-time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeWindowInput {
    #[serde(deserialize_with = "string_or_datetime")]
    pub starts_at: String,
    #[serde(deserialize_with = "string_or_datetime")]
    pub ends_at: String,
    #[serde(default)]
    pub reason: String,
}

/// Collects every problem of an input, each prefixed with its field's path.
struct Problems {
    prefix: String,
    list: Vec<String>,
}

impl Problems {
    fn push(&mut self, field: &str, message: impl fmt::Display) {
        self.list
            .push(format!("{}.{field}: {message}", self.prefix));
    }

    fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|m| self.push(field, m)).ok()
    }
}

/// Trimmed; blank = absent.
fn optional(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn hours(value: i64) -> Result<u32, String> {
    u32::try_from(value)
        .ok()
        .filter(|h| (1..=MAX_HOURS).contains(h))
        .ok_or_else(|| format!("must be between 1 and {MAX_HOURS} hours (got {value})"))
}

fn budget_cents(usd: f64) -> Result<i64, String> {
    if !usd.is_finite() {
        return Err(format!("{usd} is not a number of dollars"));
    }
    if usd < 0.0 {
        return Err(format!("must not be negative (got {usd})"));
    }
    if usd > MAX_BUDGET_USD {
        return Err(format!("{usd} is more than {MAX_BUDGET_USD} dollars"));
    }
    let cents = (usd * 100.0).round();
    if (usd * 100.0 - cents).abs() > 1e-6 {
        return Err(format!("{usd}: at most 2 decimal places (cents)"));
    }
    Ok(cents as i64)
}

fn timestamp(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("{raw:?} is not an RFC 3339 date-time like 2026-12-20T00:00:00Z ({e})")
        })
}

fn plain_text(value: &str, max: usize) -> Result<(), String> {
    if value.chars().count() > max {
        return Err(format!("at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

impl EnvironmentInput {
    /// The environment this input describes, created now, or every problem
    /// found (joined by "; "), each naming its field:
    /// `environments.prod.ssm_prefix: SSM prefix "backend-booking/prod/" must start with '/'`.
    pub fn validate(&self) -> CoreResult<Environment> {
        self.validate_at(Utc::now())
    }

    /// [`Self::validate`] with `created_at = updated_at = now` (to the millisecond).
    pub fn validate_at(&self, now: DateTime<Utc>) -> CoreResult<Environment> {
        let raw_name = self.name.trim();
        let name = EnvName::parse(raw_name);
        let mut p = Problems {
            prefix: match &name {
                Ok(n) => format!("environments.{n}"),
                Err(_) if raw_name.is_empty() => "environments.(unnamed)".to_owned(),
                Err(_) => format!("environments.{raw_name:?}"),
            },
            list: Vec::new(),
        };
        let name = p.check("name", name);
        let production = self.production;

        let region = p.check("region", AwsRegion::parse(self.region.trim()));
        let account_id = p.check("account_id", AwsAccountId::parse(self.account_id.trim()));
        let role_arn = match optional(self.role_arn.as_ref()) {
            None => None,
            Some(raw) => p.check("role_arn", RoleArn::parse(raw)),
        };
        if let (Some(role), Some(account)) = (&role_arn, &account_id) {
            if role.account() != account.as_str() {
                p.push(
                    "role_arn",
                    format!(
                        "the role is in account {}, but account_id is {account}: Gantry assumes a role in the environment's own account",
                        role.account()
                    ),
                );
            }
        }
        let cluster = p.check(
            "cluster",
            parse_ecs_name("ECS cluster name", self.cluster.trim()),
        );

        if self.services.len() > MAX_SERVICES {
            p.push("services", format!("at most {MAX_SERVICES} services"));
        }
        let mut services = Vec::new();
        let mut service_names = BTreeSet::new();
        for (i, s) in self.services.iter().enumerate() {
            let field = |f: &str| format!("services[{i}].{f}");
            let name = p.check(
                &field("name"),
                parse_ecs_name("ECS service name", s.name.trim()),
            );
            if let Some(n) = &name {
                if !service_names.insert(n.clone()) {
                    p.push(&field("name"), format!("service {n:?} is listed twice"));
                }
            }
            let container = p.check(
                &field("container"),
                parse_ecs_name("container name", s.container.trim()),
            );
            let health_url = match optional(s.health_url.as_ref()) {
                None => Some(None),
                Some(raw) => p.check(&field("health_url"), HealthUrl::parse(raw).map(Some)),
            };
            if let (Some(name), Some(container), Some(health_url)) = (name, container, health_url) {
                services.push(ServiceSpec {
                    name,
                    container,
                    health_url,
                });
            }
        }

        let database = match optional(self.database.as_ref()) {
            None => Some(None),
            Some(raw) => p.check("database", parse_rds_identifier(raw).map(Some)),
        };
        let ssm_prefix = p.check("ssm_prefix", SsmPrefix::parse(self.ssm_prefix.trim()));

        let cost_tag = match (
            optional(self.cost_tag_key.as_ref()),
            optional(self.cost_tag_value.as_ref()),
        ) {
            (None, None) => Some(None),
            (Some(key), Some(value)) => {
                p.check("cost_tag_key", CostTag::parse(key, value).map(Some))
            }
            (Some(_), None) => {
                p.push("cost_tag_value", "required when cost_tag_key is set");
                None
            }
            (None, Some(_)) => {
                p.push("cost_tag_key", "required when cost_tag_value is set");
                None
            }
        };

        let monthly_budget_cents = match self.monthly_budget_usd {
            None => Some(None),
            Some(usd) => p.check("monthly_budget_usd", budget_cents(usd).map(Some)),
        };

        let default_approvals = if production { 1 } else { 0 };
        let required_approvals = match self.approvals_required.unwrap_or(default_approvals) {
            n if n < 0 || n > i64::from(MAX_APPROVALS) => {
                p.push(
                    "approvals_required",
                    format!("must be between 0 and {MAX_APPROVALS} (got {n})"),
                );
                None
            }
            0 if production => {
                p.push(
                    "approvals_required",
                    "a production environment needs at least 1 approval",
                );
                None
            }
            n => u8::try_from(n).ok(),
        };

        if self.approver_groups.len() > MAX_APPROVER_GROUPS {
            p.push(
                "approver_groups",
                format!("at most {MAX_APPROVER_GROUPS} groups"),
            );
        }
        let mut approver_groups: Vec<String> = Vec::new();
        for (i, group) in self.approver_groups.iter().enumerate() {
            let group = group.trim();
            let field = format!("approver_groups[{i}]");
            if group.is_empty() {
                p.push(&field, "a group name must not be blank");
            } else if let Err(m) = plain_text(group, MAX_GROUP_LEN) {
                p.push(&field, m);
            } else if approver_groups.iter().any(|g| g == group) {
                p.push(&field, format!("group {group:?} is listed twice"));
            } else {
                approver_groups.push(group.to_owned());
            }
        }

        let expiry_hours = p.check(
            "approval_expiry_hours",
            hours(
                self.approval_expiry_hours
                    .unwrap_or(i64::from(DEFAULT_APPROVAL_EXPIRY_HOURS)),
            ),
        );
        let reason_required = self.approval_reason_required.unwrap_or(production);

        if self.freeze_windows.len() > MAX_FREEZE_WINDOWS {
            p.push(
                "freeze_windows",
                format!("at most {MAX_FREEZE_WINDOWS} windows"),
            );
        }
        let mut freeze_windows = Vec::new();
        for (i, w) in self.freeze_windows.iter().enumerate() {
            let field = |f: &str| format!("freeze_windows[{i}].{f}");
            let starts_at = p.check(&field("starts_at"), timestamp(&w.starts_at));
            let ends_at = p.check(&field("ends_at"), timestamp(&w.ends_at));
            let reason = w.reason.trim();
            let reason = if reason.is_empty() {
                p.push(&field("reason"), "required: say why changes are frozen");
                None
            } else {
                p.check(&field("reason"), plain_text(reason, MAX_REASON_LEN))
                    .map(|()| reason.to_owned())
            };
            if let (Some(starts_at), Some(ends_at)) = (starts_at, ends_at) {
                if ends_at <= starts_at {
                    p.push(
                        &field("ends_at"),
                        format!(
                            "{} must be after starts_at {}",
                            w.ends_at.trim(),
                            w.starts_at.trim()
                        ),
                    );
                } else if let Some(reason) = reason {
                    freeze_windows.push(FreezeWindow {
                        starts_at,
                        ends_at,
                        reason,
                    });
                }
            }
        }

        let is_preview = raw_name.starts_with(PREVIEW_PREFIX);
        let ttl_hours = match self.ttl_hours {
            Some(_) if production => {
                p.push(
                    "ttl_hours",
                    "a production environment never expires: remove ttl_hours",
                );
                None
            }
            None if is_preview => {
                p.push(
                    "ttl_hours",
                    format!(
                        "required for preview environments (names starting with {PREVIEW_PREFIX})"
                    ),
                );
                None
            }
            None => Some(None),
            Some(h) => p.check("ttl_hours", hours(h).map(Some)),
        };

        let now = now.trunc_subsecs(3);
        match (
            name,
            region,
            account_id,
            cluster,
            database,
            ssm_prefix,
            cost_tag,
            monthly_budget_cents,
            required_approvals,
            expiry_hours,
            ttl_hours,
        ) {
            (
                Some(name),
                Some(region),
                Some(account_id),
                Some(cluster),
                Some(database),
                Some(ssm_prefix),
                Some(cost_tag),
                Some(monthly_budget_cents),
                Some(required_approvals),
                Some(expiry_hours),
                Some(ttl_hours),
            ) if p.list.is_empty() => Ok(Environment {
                name,
                production,
                region,
                account_id,
                role_arn,
                cluster,
                services,
                database,
                ssm_prefix,
                cost_tag,
                monthly_budget_cents,
                approval: ApprovalPolicy {
                    required_approvals,
                    approver_groups,
                    expiry_hours,
                    reason_required,
                    freeze_windows,
                },
                ttl_hours,
                created_at: now,
                updated_at: now,
            }),
            _ => Err(CoreError::Invalid(if p.list.is_empty() {
                format!("{}: invalid environment", p.prefix)
            } else {
                p.list.join("; ")
            })),
        }
    }
}

/// A string, or an integer written without quotes (TOML `account_id = 123456789012`).
fn string_or_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct TextOrNumber;
    impl<'de> Visitor<'de> for TextOrNumber {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string of 12 digits")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    deserializer.deserialize_any(TextOrNumber)
}

/// A string, or a TOML offset date-time (which the `toml` crate, and figment
/// after it, present as a one-entry map holding the date-time's text).
fn string_or_datetime<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct TextOrDatetime;
    impl<'de> Visitor<'de> for TextOrDatetime {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 date-time")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
            let Some((_, text)) = map.next_entry::<de::IgnoredAny, String>()? else {
                return Err(de::Error::invalid_length(0, &self));
            };
            if map.next_key::<de::IgnoredAny>()?.is_some() {
                return Err(de::Error::invalid_length(2, &self));
            }
            Ok(text)
        }
    }
    deserializer.deserialize_any(TextOrDatetime)
}

#[cfg(test)]
mod tests;
