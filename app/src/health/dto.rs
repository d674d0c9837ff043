//! Wire types of the live health panel and the environments overview's health
//! column. No secrets: a SecureString's value never appears here.

use gantry_wire::{Component, HealthStatus};
use serde::{Deserialize, Serialize};

/// A status with its one-line reason (the human label is the status's:
/// "Degraded").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthBadgeView {
    pub status: HealthStatus,
    pub reason: String,
}

/// When a figure was last read, and why the latest attempt failed (if it did).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingView {
    /// RFC 3339, UTC, seconds.
    pub read_at: Option<String>,
    /// Seconds between `read_at` and when the server answered.
    pub age_secs: Option<i64>,
    /// The latest attempt's failure, one line; the figures are then the last
    /// good reading's.
    pub error: Option<String>,
}

/// The health summary the environments overview shows per environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSummaryView {
    pub overall: HealthBadgeView,
    pub polled_at: String,
    pub age_secs: i64,
    /// Image of the first service's app container.
    pub image: Option<String>,
    /// "backend-booking:2"
    pub task_definition: Option<String>,
    pub last_deploy_at: Option<String>,
    pub drift: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentView {
    pub id: String,
    /// PRIMARY, ACTIVE, INACTIVE
    pub status: String,
    /// COMPLETED, IN_PROGRESS, FAILED
    pub rollout: Option<String>,
    pub rollout_reason: Option<String>,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub failed_tasks: u32,
    pub task_definition: String,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub at: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetsView {
    pub reading: ReadingView,
    pub healthy: u32,
    pub unhealthy: u32,
    pub initial: u32,
    pub draining: u32,
    pub unused: u32,
    pub unavailable: u32,
    /// "10.0.3.17:8000: Target.ResponseCodeMismatch — Health checks failed…"
    pub issues: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmView {
    pub name: String,
    /// OK, ALARM, INSUFFICIENT_DATA
    pub state: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmsView {
    pub reading: ReadingView,
    pub alarms: Vec<AlarmView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeView {
    pub reading: ReadingView,
    pub url: Option<String>,
    /// "HTTP 200 in 12 ms", "timed out", "HTTP 503"
    pub outcome: Option<String>,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceHealthView {
    pub name: String,
    pub overall: HealthBadgeView,
    /// Each part's assessment, most fundamental first.
    pub parts: Vec<(Component, HealthBadgeView)>,
    pub ecs: ReadingView,
    pub found: bool,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub image: Option<String>,
    pub task_definition: Option<String>,
    pub last_deploy_at: Option<String>,
    pub deployments: Vec<DeploymentView>,
    /// Newest first.
    pub events: Vec<EventView>,
    pub targets: Option<TargetsView>,
    pub alarms: Option<AlarmsView>,
    pub probe: Option<ProbeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseView {
    pub identifier: String,
    pub health: HealthBadgeView,
    pub reading: ReadingView,
    /// RDS's status text: "available", "storage-full".
    pub status: Option<String>,
    pub multi_az: bool,
}

/// An SSM parameter. A SecureString's value is never read nor sent: `value`
/// is `None` and `secure` is true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterView {
    pub name: String,
    pub kind: String,
    pub value: Option<String>,
    pub secure: bool,
    pub version: i64,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftView {
    pub module: String,
    pub module_name: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionView {
    pub subject: String,
    pub from: Option<HealthStatus>,
    pub to: HealthBadgeView,
    pub at: String,
}

/// The live part of an environment page, refetched while the page is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentHealthView {
    pub environment: String,
    /// `None` until the poller's first pass over this environment.
    pub snapshot: Option<SnapshotView>,
    /// How often the page asks again, in seconds (the poll interval).
    pub refresh_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotView {
    pub polled_at: String,
    pub age_secs: i64,
    pub overall: HealthBadgeView,
    pub services: Vec<ServiceHealthView>,
    pub database: Option<DatabaseView>,
    pub parameters: ReadingView,
    pub parameter_list: Vec<ParameterView>,
    pub drift: Vec<DriftView>,
    /// Newest first.
    pub transitions: Vec<TransitionView>,
}
