//! The identifiers AWS will later receive (region, account, role ARN, SSM
//! prefix, health URL, ECS and RDS names, cost tag), each a validated value.

use std::fmt;

use serde::{Deserialize, Serialize};

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
