//! The raw form of an environment (config file `[[environments]]` tables, edit
//! forms) and its validation into an [`Environment`], every problem named by
//! its field's path.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::{CoreError, CoreResult};

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
    /// "From N distinct groups" (default 0: any mix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_distinct_groups: Option<i64>,
    /// Default: 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_expiry_hours: Option<i64>,
    /// Default: `production`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_reason_required: Option<bool>,
    #[serde(default)]
    pub freeze_windows: Vec<FreezeWindowInput>,
    /// `{ from = "fri 15:00", to = "mon 08:00", reason = "…" }`, in
    /// `freeze_time_zone`.
    #[serde(default)]
    pub weekly_freezes: Vec<WeeklyFreezeInput>,
    /// IANA name; default `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_time_zone: Option<String>,
    /// `refuse` (default) or `wait`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_hours: Option<i64>,
}

/// A weekly freeze window as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyFreezeInput {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub reason: String,
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

    /// Refuses approver groups that grant nobody the right to approve:
    /// `approvers` are the groups Gantry's role mapping makes approvers or
    /// admins. A policy naming any other group could never be met by its
    /// members (a typo, or a group the identity provider does not send).
    pub fn check_approver_groups(&self, approvers: &[String]) -> CoreResult<()> {
        let unknown: Vec<String> = self
            .approver_groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !approvers.iter().any(|a| a == g.trim()))
            .map(|(i, g)| {
                format!(
                    "environments.{}.approver_groups[{i}]: group {:?} is not an approver or admin group (known: {})",
                    self.name.trim(),
                    g.trim(),
                    if approvers.is_empty() { "none".to_owned() } else { approvers.join(", ") }
                )
            })
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(unknown.join("; ")))
        }
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

        let distinct_groups = match self.approval_distinct_groups.unwrap_or(0) {
            n if n < 0 || n > i64::from(required_approvals.unwrap_or(0)) => {
                p.push(
                    "approval_distinct_groups",
                    format!(
                        "must be between 0 and the approvals required ({}) (got {n})",
                        required_approvals.unwrap_or(0)
                    ),
                );
                0
            }
            n if n > approver_groups.len() as i64 => {
                p.push(
                    "approval_distinct_groups",
                    format!(
                        "needs at least {n} approver groups (got {})",
                        approver_groups.len()
                    ),
                );
                0
            }
            n => u8::try_from(n).unwrap_or(0),
        };

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
        let time_zone = self
            .freeze_time_zone
            .as_deref()
            .map(str::trim)
            .unwrap_or("UTC")
            .to_owned();
        if let Err(m) = super::check_time_zone(&time_zone) {
            p.push("freeze_time_zone", m);
        }
        let freeze_mode = match self.freeze_mode.as_deref().map(str::trim) {
            None => super::FreezeMode::default(),
            Some(raw) => super::FreezeMode::parse(raw).unwrap_or_else(|_| {
                p.push(
                    "freeze_mode",
                    format!("must be refuse or wait (got {raw:?})"),
                );
                super::FreezeMode::default()
            }),
        };
        let mut weekly_freezes = Vec::new();
        for (i, w) in self.weekly_freezes.iter().enumerate() {
            let field = |f: &str| format!("weekly_freezes[{i}].{f}");
            let from = p.check(&field("from"), super::WeekTime::parse(&w.from));
            let to = p.check(&field("to"), super::WeekTime::parse(&w.to));
            let reason = w.reason.trim();
            if reason.is_empty() {
                p.push(&field("reason"), "required: say why changes are frozen");
            }
            if let (Some(from), Some(to)) = (from, to) {
                if from == to {
                    p.push(&field("to"), "must differ from from");
                } else if !reason.is_empty() {
                    weekly_freezes.push(super::WeeklyFreeze {
                        from,
                        to,
                        reason: reason.to_owned(),
                    });
                }
            }
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
                    distinct_groups,
                    expiry_hours,
                    reason_required,
                    freeze_windows,
                    weekly_freezes,
                    time_zone,
                    freeze_mode,
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
