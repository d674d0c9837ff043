//! What one poll of an environment found, as stored and as the pages show it.
//!
//! The poller (see `super::poll`) writes one [`EnvironmentSnapshot`] per
//! environment per poll; pages read the latest and never call AWS. Every figure
//! says when it was last read: a source that fails keeps its last good reading
//! (with that reading's time) beside the error, so the page shows "2/3 running,
//! read 10:02; now: AWS throttled the request" rather than a blank.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{
    AlarmObservation, Assessment, EcsServiceObservation, HealthStatus, ProbeObservation,
    RdsObservation, ServiceHealth, SourceError, TargetHealthObservation,
};

/// One source's reading: the last good data, when it was read, and the error
/// of the latest attempt if that attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sourced<T> {
    /// The last good reading; `None` when it has never been read.
    pub data: Option<T>,
    /// When `data` was read.
    pub read_at: Option<DateTime<Utc>>,
    /// Why the latest attempt failed; `None` when it succeeded.
    pub error: Option<SourceError>,
}

impl<T> Sourced<T> {
    pub fn read(data: T, at: DateTime<Utc>) -> Self {
        Self {
            data: Some(data),
            read_at: Some(at),
            error: None,
        }
    }

    pub fn failed(error: SourceError) -> Self {
        Self {
            data: None,
            read_at: None,
            error: Some(error),
        }
    }

    /// This attempt failed with `error`: keep the `previous` reading, if any.
    pub fn failed_after(error: SourceError, previous: Option<&Sourced<T>>) -> Self
    where
        T: Clone,
    {
        match previous {
            Some(prev) => Self {
                data: prev.data.clone(),
                read_at: prev.read_at,
                error: Some(error),
            },
            None => Self::failed(error),
        }
    }

    /// Whether the latest attempt succeeded.
    pub fn is_fresh(&self) -> bool {
        self.error.is_none() && self.data.is_some()
    }
}

/// A service of the environment, as the poll found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSnapshot {
    /// The ECS service name.
    pub name: String,
    pub health: ServiceHealth,
    pub ecs: Sourced<EcsServiceObservation>,
    /// `None`: the service has no load balancer target group.
    pub targets: Option<Sourced<TargetHealthObservation>>,
    /// `None`: no CloudWatch alarm watches the service.
    pub alarms: Option<Sourced<Vec<AlarmObservation>>>,
    /// `None`: the service has no health URL.
    pub probe: Option<Sourced<ProbeObservation>>,
    /// The image of the app container (the environment's `container`) in the
    /// primary deployment's task definition:
    /// `123456789012.dkr.ecr.us-east-1.amazonaws.com/backend-booking:v1.42.0`.
    pub image: Option<String>,
    /// The primary deployment's task definition, `family:revision`.
    pub task_definition: Option<String>,
    /// When the primary deployment was created (the last deploy).
    pub last_deploy_at: Option<DateTime<Utc>>,
}

/// The environment's database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSnapshot {
    /// The RDS DB instance identifier.
    pub identifier: String,
    pub health: Assessment,
    pub rds: Sourced<RdsObservation>,
}

/// The kind of an SSM parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParameterKind {
    String,
    StringList,
    SecureString,
}

impl ParameterKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "String" => Some(Self::String),
            "StringList" => Some(Self::StringList),
            "SecureString" => Some(Self::SecureString),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::StringList => "StringList",
            Self::SecureString => "SecureString",
        }
    }
}

/// One SSM parameter under the environment's prefix.
///
/// A SecureString's value is never read (Gantry asks SSM without decryption)
/// and never stored: `value` is `None` for it, whatever SSM returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterInfo {
    /// The full name: `/backend-booking/prod/DATABASE_URL`.
    pub name: String,
    pub kind: ParameterKind,
    /// The plain value of a String or StringList; always `None` for a
    /// SecureString.
    pub value: Option<String>,
    pub version: i64,
    pub last_modified: Option<DateTime<Utc>>,
}

impl ParameterInfo {
    /// A parameter as SSM described it; a SecureString's value is dropped here,
    /// the one place parameters are built.
    pub fn new(
        name: String,
        kind: ParameterKind,
        value: Option<String>,
        version: i64,
        last_modified: Option<DateTime<Utc>>,
    ) -> Self {
        let value = match kind {
            ParameterKind::SecureString => None,
            ParameterKind::String | ParameterKind::StringList => value,
        };
        Self {
            name,
            kind,
            value,
            version,
            last_modified,
        }
    }
}

/// Everything one poll found about an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSnapshot {
    pub environment: String,
    /// When the poll started.
    pub polled_at: DateTime<Utc>,
    /// The worst-of roll-up of the services and the database.
    pub overall: Assessment,
    /// In the environment's order of services.
    pub services: Vec<ServiceSnapshot>,
    /// `None`: the environment names no database.
    pub database: Option<DatabaseSnapshot>,
    /// The SSM parameters under the environment's prefix, by name.
    pub parameters: Sourced<Vec<ParameterInfo>>,
}

/// A change of status between two polls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthTransition {
    pub environment: String,
    /// `environment`, `service:<name>` or `database`.
    pub subject: String,
    /// `None` on the first poll.
    pub from: Option<HealthStatus>,
    pub to: HealthStatus,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secure_string_value_is_never_kept() {
        let secret = ParameterInfo::new(
            "/bb/prod/DATABASE_URL".into(),
            ParameterKind::SecureString,
            Some("kms:alias/aws/ssm:postgres://u:p@h/db".into()),
            3,
            None,
        );
        assert_eq!(secret.value, None);
        let json = serde_json::to_string(&secret).unwrap();
        assert!(!json.contains("postgres://"), "{json}");

        let plain = ParameterInfo::new(
            "/bb/prod/DJANGO_DEBUG".into(),
            ParameterKind::String,
            Some("false".into()),
            1,
            None,
        );
        assert_eq!(plain.value.as_deref(), Some("false"));
    }

    #[test]
    fn a_failed_read_keeps_the_last_good_one() {
        use super::super::model::{Source, SourceErrorKind};
        let at = DateTime::parse_from_rfc3339("2026-11-26T10:02:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let good = Sourced::read(3_u32, at);
        assert!(good.is_fresh());
        let err = SourceError::new(Source::Ecs, SourceErrorKind::Throttled, "Rate exceeded");
        let after = Sourced::failed_after(err.clone(), Some(&good));
        assert_eq!(after.data, Some(3));
        assert_eq!(after.read_at, Some(at));
        assert_eq!(after.error, Some(err.clone()));
        assert!(!after.is_fresh());
        let never = Sourced::<u32>::failed_after(err, None);
        assert_eq!((never.data, never.read_at), (None, None));
    }
}
