//! The environments' data model: where Gantry deploys and under which rules.
//!
//! Every identifier AWS will later receive (region, account, role ARN, cluster,
//! SSM prefix, tag) is a validated value here, so a typo in the config or a form
//! is refused with a message naming the field, long before any AWS call.
//!
//! [`EnvironmentInput`] is the raw form (config file `[[environments]]` tables,
//! edit forms); [`EnvironmentInput::validate`] turns it into an [`Environment`].
//!
//! Split by concern: `ids` the validated identifiers, `input` the raw form and
//! its validation, this file the validated environment; re-exported here.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use crate::shared::EnvName;

mod freeze;
mod ids;
mod input;

pub use freeze::{check_time_zone, FreezeMode, Frozen, WeekTime, WeeklyFreeze};
pub use ids::*;
pub use input::*;

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
    /// The approvals must come from at least this many different approver
    /// groups (0: any mix). At most the number of groups and of approvals.
    #[serde(default)]
    pub distinct_groups: u8,
    /// Hours an approval stays valid (1..=720).
    pub expiry_hours: u32,
    /// Whether approving (and requesting) needs a written reason.
    pub reason_required: bool,
    pub freeze_windows: Vec<FreezeWindow>,
    /// Every week, in `time_zone`.
    #[serde(default)]
    pub weekly_freezes: Vec<WeeklyFreeze>,
    /// The IANA time zone of the weekly windows (`UTC` by default).
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Refuse changes during a freeze, or let approved ones wait for its end.
    #[serde(default)]
    pub freeze_mode: FreezeMode,
}

fn utc() -> String {
    "UTC".to_owned()
}

impl ApprovalPolicy {
    /// The freeze in force at `at` (a dated window, else a weekly one), if
    /// any: until when, and why.
    pub fn freeze_at(&self, at: DateTime<Utc>) -> Option<Frozen> {
        self.freeze_windows
            .iter()
            .find(|w| w.contains(at))
            .map(|w| Frozen {
                until: w.ends_at,
                reason: w.reason.clone(),
            })
            .or_else(|| {
                self.weekly_freezes
                    .iter()
                    .find_map(|w| w.at(at, &self.time_zone))
            })
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
            approval_distinct_groups: Some(i64::from(self.approval.distinct_groups)),
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
            weekly_freezes: self
                .approval
                .weekly_freezes
                .iter()
                .map(|w| WeeklyFreezeInput {
                    from: w.from.to_string(),
                    to: w.to.to_string(),
                    reason: w.reason.clone(),
                })
                .collect(),
            freeze_time_zone: Some(self.approval.time_zone.clone()),
            freeze_mode: Some(self.approval.freeze_mode.as_str().to_owned()),
            ttl_hours: self.ttl_hours.map(i64::from),
        }
    }
}

#[cfg(test)]
mod tests;
