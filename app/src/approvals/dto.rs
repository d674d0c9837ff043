//! Approvals wire types.

use serde::{Deserialize, Serialize};

use crate::jobs::dto::JobSummaryView;

/// One decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub job_id: i64,
    pub name: String,
    pub decision: gantry_wire::Decision,
    pub reason: Option<String>,
    pub at: String,
    /// Made on an earlier plan of the job: void.
    pub void: bool,
}

/// A job's approvals, for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobApprovalsView {
    pub job_id: i64,
    pub requested_by: String,
    pub request_reason: Option<String>,
    pub counted: usize,
    pub required: usize,
    pub voided: usize,
    /// Eligible groups (empty: any approver).
    pub approver_groups: Vec<String>,
    pub distinct_groups: u8,
    pub reason_required: bool,
    pub expires_at: String,
    pub expired: bool,
    pub decisions: Vec<DecisionView>,
    /// Why the signed-in person cannot decide (`None`: they can).
    pub cannot_decide: Option<String>,
    pub awaiting: bool,
    /// The signed-in person may break glass (an admin, while it awaits).
    pub can_break_glass: bool,
    pub break_glass: Option<BreakGlassView>,
    /// The signed-in admin may review the break-glass.
    pub can_review: bool,
    /// The target environment's health now (with its age).
    pub health: Option<crate::health::dto::HealthSummaryView>,
    /// This month's spend so far, forecast and budget of the environment.
    pub cost: Option<CostNowView>,
    /// What the plan adds to (or takes from) the monthly bill.
    pub cost_delta: Option<CostDeltaView>,
    /// Signed-in people who may still decide, by name.
    pub may_still_approve: Vec<String>,
}

/// A plan's estimated effect on the monthly bill (Fargate compute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostDeltaView {
    /// "+$26.28 a month", "−$8.76 a month", "no change".
    pub summary: String,
    pub before: String,
    pub after: String,
    pub lines: Vec<CostDeltaLineView>,
    /// Services whose task size could not be read (left out of the sums).
    pub unpriced: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostDeltaLineView {
    pub service: String,
    /// "2 × 0.25 vCPU, 0.5 GB".
    pub before: String,
    pub after: String,
    pub before_cost: String,
    pub after_cost: String,
}

/// An environment's spend, as the approval panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostNowView {
    pub month_to_date: String,
    pub forecast: Option<String>,
    pub budget: Option<String>,
    pub previous_month: String,
    /// The forecast (or the spend so far) is above the budget.
    pub over_budget: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlassView {
    pub by: String,
    pub reason: String,
    pub reviewed_by: Option<String>,
}

/// `/approvals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxView {
    pub waiting: Vec<JobSummaryView>,
    pub decided: Vec<DecisionView>,
    pub needs_review: Vec<JobSummaryView>,
}
