//! Observing one environment: the [`HealthSource`] the poller calls and what
//! one poll read ([`Observed`]).
//!
//! - [`assemble()`]: raw observations to an [`EnvironmentSnapshot`] by the
//!   rules, each failed source beside its last good reading.
//! - [`probe()`]: the HTTP probe of health URLs.
//! - The AWS implementation is `crate::aws::AwsHealthSource` (the AWS
//!   adapter sits above the health area and implements its [`HealthSource`]).
//!
//! The scripted test double, for what the AWS stand-in cannot simulate, is
//! `health::scripted` (feature `testing`).

mod assemble;
mod probe;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use assemble::assemble;
pub use probe::probe;

use super::model::{
    AlarmObservation, EcsServiceObservation, ProbeObservation, RdsObservation, Source, SourceError,
    TargetHealthObservation,
};
use super::snapshot::{EnvironmentSnapshot, ParameterInfo};
use crate::environments::model::Environment;

/// Reads the health of one environment. The poller calls it once per
/// environment per poll; it never fails: a source that cannot be read becomes
/// an error in the snapshot, beside its last good reading from `previous`.
pub trait HealthSource: Send + Sync + 'static {
    fn observe<'a>(
        &'a self,
        env: &'a Environment,
        previous: Option<&'a EnvironmentSnapshot>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, EnvironmentSnapshot>;
}

/// What one poll read of an environment, source by source, before the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// In any order; [`assemble()`] follows the environment's order of services
    /// (a service missing here is reported as not observed).
    pub services: Vec<ObservedService>,
    /// `None`: not read (the environment names no database).
    pub database: Option<Result<RdsObservation, SourceError>>,
    pub parameters: Result<Vec<ParameterInfo>, SourceError>,
}

/// What one poll read of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedService {
    pub name: String,
    pub ecs: Result<EcsServiceObservation, SourceError>,
    /// `None`: the service has no target group (or none is known).
    pub targets: Option<Result<TargetHealthObservation, SourceError>>,
    /// `None`: no alarm watches the service.
    pub alarms: Option<Result<Vec<AlarmObservation>, SourceError>>,
    /// `None`: the service has no health URL.
    pub probe: Option<ProbeObservation>,
    /// The app container's image in the primary deployment's task definition.
    pub image: Option<String>,
    /// The primary deployment's task definition, `family:revision`.
    pub task_definition: Option<String>,
    pub last_deploy_at: Option<DateTime<Utc>>,
}

impl ObservedService {
    /// A service with only its ECS reading.
    pub fn new(name: impl Into<String>, ecs: Result<EcsServiceObservation, SourceError>) -> Self {
        Self {
            name: name.into(),
            ecs,
            targets: None,
            alarms: None,
            probe: None,
            image: None,
            task_definition: None,
            last_deploy_at: None,
        }
    }
}

/// The [`Source`] named in an SSM read's error (parameters do not count
/// towards health; their read errors are shown beside the parameter list).
pub const PARAMETERS_SOURCE: Source = Source::Ssm;
