//! The health area's data model: observations in, assessments out.
//!
//! Observations are plain structs the AWS adapters fill from one poll (ECS,
//! ELBv2, CloudWatch, RDS and Gantry's own HTTP probe). They carry only what the
//! rules in [`super::rules`] look at, so the rules stay pure and are tested
//! without AWS. Everything is serde so a poll can be stored as history and sent
//! to the browser unchanged.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use gantry_wire::{Component, HealthStatus};

/// A status with the one-line reason a human on call can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub status: HealthStatus,
    pub reason: String,
}

/// Longest reason kept; AWS texts (alarm reasons, event messages) can run to
/// paragraphs and the page shows one line.
pub const MAX_REASON_CHARS: usize = 300;

impl Assessment {
    /// The reason is folded to one line (whitespace runs become one space) and
    /// cut at [`MAX_REASON_CHARS`], because AWS texts may hold newlines.
    pub fn new(status: HealthStatus, reason: impl AsRef<str>) -> Self {
        Self {
            status,
            reason: one_line(reason.as_ref(), MAX_REASON_CHARS),
        }
    }
}

/// `text` on one line, at most `max` characters (an ellipsis marks a cut).
pub fn one_line(text: &str, max: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        return folded;
    }
    let mut cut: String = folded.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// One service's health: the overall status and the part each source played.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceHealth {
    pub overall: Assessment,
    /// In [`Component::ALL`] order; a source that does not apply is absent.
    pub parts: Vec<(Component, Assessment)>,
}

/// Writes the string forms AWS uses for a closed enum: `as_str`, a
/// case-insensitive `parse`, `Display`.
macro_rules! aws_text {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The text AWS uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }

            /// Case-insensitive; `None` for a value AWS added after this code
            /// (the adapter reports it as an invalid response).
            pub fn parse(raw: &str) -> Option<Self> {
                let upper = raw.trim().to_ascii_uppercase();
                Self::ALL.iter().copied().find(|v| v.as_str() == upper)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// `Service.status` in ECS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EcsServiceStatus {
    #[default]
    Active,
    /// The service is being deleted.
    Draining,
    /// The service was deleted; ECS still describes it for a while.
    Inactive,
}

aws_text!(EcsServiceStatus { Active => "ACTIVE", Draining => "DRAINING", Inactive => "INACTIVE" });

/// `Deployment.status` in ECS: PRIMARY is the newest deployment, ACTIVE an
/// older one still running tasks, INACTIVE one fully replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentStatus {
    #[default]
    Primary,
    Active,
    Inactive,
}

aws_text!(DeploymentStatus { Primary => "PRIMARY", Active => "ACTIVE", Inactive => "INACTIVE" });

/// `Deployment.rolloutState` in ECS (absent for services not using the ECS
/// deployment controller's rolling updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RolloutState {
    Completed,
    InProgress,
    Failed,
}

aws_text!(RolloutState { Completed => "COMPLETED", InProgress => "IN_PROGRESS", Failed => "FAILED" });

/// One entry of `Service.deployments`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentObservation {
    pub id: String,
    pub status: DeploymentStatus,
    pub rollout_state: Option<RolloutState>,
    /// "ECS deployment circuit breaker: tasks failed to start."
    pub rollout_state_reason: Option<String>,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub failed_tasks: u32,
    /// The task definition ARN ("arn:aws:ecs:…:task-definition/api:12") or
    /// "family:revision".
    pub task_definition: String,
    pub created_at: Option<DateTime<Utc>>,
}

impl DeploymentObservation {
    /// The task definition's revision ("12"), which is what people say when
    /// they talk about a deployment; the whole reference when it has none.
    pub fn revision(&self) -> &str {
        let tail = self
            .task_definition
            .rsplit('/')
            .next()
            .unwrap_or(&self.task_definition);
        match tail.rsplit_once(':') {
            Some((_, rev)) if !rev.is_empty() && rev.chars().all(|c| c.is_ascii_digit()) => rev,
            _ => tail,
        }
    }
}

/// One line of `Service.events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsEvent {
    pub at: DateTime<Utc>,
    /// "(service api) was unable to place a task because …"
    pub message: String,
}

/// What ECS `DescribeServices` says about one service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsServiceObservation {
    /// False when ECS lists the service under `failures` ("MISSING"); the
    /// other fields are then meaningless.
    pub found: bool,
    pub status: EcsServiceStatus,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub deployments: Vec<DeploymentObservation>,
    /// A deployment's rollout FAILED with a circuit-breaker reason (the adapter
    /// derives it, as the reason text is the only place ECS says so).
    pub circuit_breaker_triggered: bool,
    /// In any order; the rules pick by time.
    pub recent_events: Vec<EcsEvent>,
}

/// A target that is not healthy, with ALB's `TargetHealth.Reason` and
/// `Description`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetIssue {
    /// "10.0.3.17:8000"
    pub target: String,
    /// "Target.ResponseCodeMismatch"
    pub reason: String,
    /// "Health checks failed with these codes: [502]"
    pub description: Option<String>,
}

/// What ELBv2 `DescribeTargetHealth` says about the service's target group:
/// how many targets are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetHealthObservation {
    pub healthy: u32,
    pub unhealthy: u32,
    /// Registering: the first health checks have not passed yet.
    pub initial: u32,
    /// Deregistering.
    pub draining: u32,
    /// Not registered, target group not used by a load balancer, or the
    /// target's zone is not enabled.
    pub unused: u32,
    /// Health checks disabled.
    pub unavailable: u32,
    /// One per unhealthy, unused or unavailable target.
    pub issues: Vec<TargetIssue>,
}

impl TargetHealthObservation {
    pub fn total(&self) -> u32 {
        self.healthy
            + self.unhealthy
            + self.initial
            + self.draining
            + self.unused
            + self.unavailable
    }
}

/// `MetricAlarm.StateValue` in CloudWatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

aws_text!(AlarmState { Ok => "OK", Alarm => "ALARM", InsufficientData => "INSUFFICIENT_DATA" });

/// One CloudWatch alarm attached to the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmObservation {
    pub name: String,
    pub state: AlarmState,
    /// `StateReason`: "Threshold Crossed: 1 datapoint [12.0] was greater than …"
    pub reason: String,
}

/// How Gantry's GET of the health endpoint ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// A 2xx or 3xx answer.
    Ok {
        status_code: u16,
        latency_ms: u64,
    },
    /// Any other answer.
    HttpError {
        status_code: u16,
    },
    Timeout,
    ConnectionFailed {
        message: String,
    },
}

/// One probe of a service's health endpoint (the app serves `/health/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeObservation {
    pub url: String,
    pub outcome: ProbeOutcome,
}

/// What RDS `DescribeDBInstances` says about the environment's database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdsObservation {
    pub found: bool,
    pub identifier: String,
    /// `DBInstanceStatus` as RDS writes it ("available", "storage-full"). Kept
    /// as text: RDS adds statuses over time and an unrecognised one must reach
    /// the page by name, not fail the poll.
    pub status: String,
    pub multi_az: bool,
}

/// Where an observation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Ecs,
    Elbv2,
    Cloudwatch,
    Probe,
    Rds,
    Ssm,
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Ecs,
        Source::Elbv2,
        Source::Cloudwatch,
        Source::Probe,
        Source::Rds,
        Source::Ssm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ecs => "ecs",
            Source::Elbv2 => "elbv2",
            Source::Cloudwatch => "cloudwatch",
            Source::Probe => "probe",
            Source::Rds => "rds",
            Source::Ssm => "ssm",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let lower = raw.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.as_str() == lower)
    }

    /// The IAM action Gantry's role needs to read this source, for the
    /// access-denied reason (the probe needs none).
    pub fn iam_action(self) -> Option<&'static str> {
        match self {
            Source::Ecs => Some("ecs:DescribeServices"),
            Source::Elbv2 => Some("elasticloadbalancing:DescribeTargetHealth"),
            Source::Cloudwatch => Some("cloudwatch:DescribeAlarms"),
            Source::Rds => Some("rds:DescribeDBInstances"),
            Source::Ssm => Some("ssm:GetParametersByPath"),
            Source::Probe => None,
        }
    }

    /// What a not-found error of this source is about.
    pub fn subject(self) -> &'static str {
        match self {
            Source::Ecs => "service or cluster",
            Source::Elbv2 => "target group",
            Source::Cloudwatch => "alarm",
            Source::Probe => "health endpoint",
            Source::Rds => "database instance",
            Source::Ssm => "parameter path",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a source could not be read; the adapter classifies the SDK error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceErrorKind {
    Throttled,
    AccessDenied,
    NotFound,
    Unreachable,
    /// A request Gantry built wrongly or a response it did not understand.
    Invalid,
    Other,
}

/// A source that could not be read in this poll. It becomes an Unknown (or a
/// Missing) part with the reason on the page, never a failed poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceError {
    pub source: Source,
    pub kind: SourceErrorKind,
    /// The SDK's message, for the reason and the logs.
    pub message: String,
}

impl SourceError {
    pub fn new(source: Source, kind: SourceErrorKind, message: impl Into<String>) -> Self {
        Self {
            source,
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}: {}", self.source, self.kind, self.message)
    }
}

// Written by hand, not with thiserror: thiserror would take the `source` field
// for the error's cause.
impl std::error::Error for SourceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_round_trips() {
        for &s in HealthStatus::ALL {
            assert_eq!(HealthStatus::parse(s.as_str()), Ok(s));
            assert_eq!(HealthStatus::parse(s.label()), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert!(HealthStatus::parse("suspended").is_err());
        assert_eq!(
            RolloutState::parse("in_progress"),
            Some(RolloutState::InProgress)
        );
        assert_eq!(AlarmState::InsufficientData.as_str(), "INSUFFICIENT_DATA");
        assert_eq!(Source::parse("ELBV2"), Some(Source::Elbv2));
        assert_eq!(Component::parse("probe"), Ok(Component::Probe));
    }

    #[test]
    fn serde_uses_the_aws_texts() {
        let dep: DeploymentObservation = serde_json::from_str(
            r#"{"id":"ecs-svc/1","status":"PRIMARY","rollout_state":"IN_PROGRESS",
                "rollout_state_reason":null,"desired":3,"running":1,"pending":2,
                "failed_tasks":0,"task_definition":"api:7","created_at":"2024-11-01T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(dep.rollout_state, Some(RolloutState::InProgress));
        let probe = ProbeObservation {
            url: "http://x/health/".to_owned(),
            outcome: ProbeOutcome::HttpError { status_code: 503 },
        };
        let json = serde_json::to_value(&probe).unwrap();
        assert_eq!(json["outcome"]["kind"], "http_error");
        assert_eq!(
            serde_json::from_value::<ProbeObservation>(json).unwrap(),
            probe
        );
        let err = SourceError::new(Source::Ecs, SourceErrorKind::AccessDenied, "no");
        assert_eq!(serde_json::to_value(&err).unwrap()["kind"], "access_denied");
    }

    #[test]
    fn revision_is_the_task_definition_number() {
        let rev = |td: &str| {
            DeploymentObservation {
                task_definition: td.to_owned(),
                ..Default::default()
            }
            .revision()
            .to_owned()
        };
        assert_eq!(rev("arn:aws:ecs:eu-west-1:1:task-definition/api:12"), "12");
        assert_eq!(rev("api:7"), "7");
        assert_eq!(rev("api"), "api");
        assert_eq!(rev("arn:aws:ecs:eu-west-1:1:task-definition/api:"), "api:");
    }

    #[test]
    fn reasons_are_one_line() {
        assert_eq!(one_line("a\n  b\tc ", 10), "a b c");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
        assert_eq!(one_line("ab  cdefgh", 4), "ab…");
        let long = Assessment::new(HealthStatus::Degraded, "x".repeat(1000));
        assert_eq!(long.reason.chars().count(), MAX_REASON_CHARS);
    }
}
