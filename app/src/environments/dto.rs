//! Wire types of the environment pages. No secrets: SSM values never appear here.

use serde::{Deserialize, Serialize};

use crate::health::dto::HealthSummaryView;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    pub name: String,
    pub container: String,
    pub health_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeView {
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentView {
    pub name: String,
    pub production: bool,
    pub region: String,
    pub account_id: String,
    pub role_arn: Option<String>,
    pub cluster: String,
    pub services: Vec<ServiceView>,
    pub ssm_prefix: String,
    pub cost_tag: Option<String>,
    pub monthly_budget_cents: Option<i64>,
    pub required_approvals: u8,
    pub approver_groups: Vec<String>,
    /// The approvals come from at least this many different groups.
    #[serde(default)]
    pub distinct_groups: u8,
    pub approval_expiry_hours: u32,
    pub reason_required: bool,
    pub freeze_windows: Vec<FreezeView>,
    /// `fri 15:00 | mon 08:00 | reason`, in `freeze_time_zone`.
    #[serde(default)]
    pub weekly_freezes: Vec<String>,
    #[serde(default)]
    pub freeze_time_zone: String,
    #[serde(default)]
    pub freeze_mode: String,
    pub expires_at: Option<String>,
    pub ttl_hours: Option<u32>,
    pub database: Option<String>,
    /// The latest poll's summary; `None` before the first poll.
    pub health: Option<HealthSummaryView>,
}

impl EnvironmentView {
    /// "2 approvals from gantry-approvers, valid 24 h, reason required"
    pub fn approval_summary(&self) -> String {
        if self.required_approvals == 0 {
            return "no approval needed".to_owned();
        }
        let from = if self.approver_groups.is_empty() {
            "any approver".to_owned()
        } else if self.distinct_groups > 0 {
            format!(
                "{} ({} different groups)",
                self.approver_groups.join(", "),
                self.distinct_groups
            )
        } else {
            self.approver_groups.join(", ")
        };
        let plural = if self.required_approvals == 1 {
            ""
        } else {
            "s"
        };
        let reason = if self.reason_required {
            ", reason required"
        } else {
            ""
        };
        format!(
            "{} approval{plural} from {from}, valid {} h{reason}",
            self.required_approvals, self.approval_expiry_hours
        )
    }
}
