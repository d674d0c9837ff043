//! The one AWS seam: every AWS client Gantry uses is built here, and every SDK
//! error is classified here.
//!
//! - [`AwsSettings`]: endpoint override (the local moto stand-in), timeouts and
//!   retries; the server's config maps into it.
//! - [`AwsClients`]: per environment, the ECS, ELBv2, CloudWatch, RDS and SSM
//!   clients for its region, with credentials from aws-config's default chain
//!   (environment, profile, ECS container role, IMDS) and, when the environment
//!   names a role, an STS assume-role provider on top. Clients and their
//!   credentials are cached per (region, role), so a poll reuses them.
//! - [`AwsCallCounter`]: counts every request attempt sent, per service and
//!   operation, for `/metrics`.
//! - [`AwsClients::cost_explorer`]: the Cost Explorer client (global, us-east-1),
//!   read by [`cost_explorer`] for the cost area.
//! - [`AwsError`]: the SDK's errors as a domain error a person can act on.
//!
//! The per-source reads ([`ecs`], [`elbv2`], [`cloudwatch`], [`rds`], [`ssm`])
//! turn SDK responses into the health model's observations; [`ecs_change`]
//! and the writes in [`ssm`] are the jobs' changes, each read-then-write
//! ("ensure") so a step run twice applies once; [`testing`] holds
//! what the tests against the moto stand-in share.

mod clients;
pub mod cloudwatch;
pub mod cost_explorer;
mod counter;
pub mod ecs;
pub mod ecs_change;
pub mod ecs_provision;
pub mod elbv2;
mod error;
mod health_source;
pub mod rds;
pub mod ssm;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

pub use clients::{AwsClients, EnvClients, COST_EXPLORER_REGION};
pub use counter::AwsCallCounter;
pub use error::{AwsError, AwsErrorKind};
pub use health_source::AwsHealthSource;

/// What an "ensure" change did (jobs: [`ecs_change`], [`ssm`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// AWS already held the wanted state; nothing was sent.
    Unchanged,
    /// A change was sent (a new version, an update, a deletion).
    Written,
}

/// How Gantry talks to AWS. A plain struct: the server's typed config maps
/// into it.
#[derive(Debug, Clone)]
pub struct AwsSettings {
    /// Sends every AWS request here instead of AWS's own endpoints: the local
    /// stand-in (moto) in the demo and the tests. `None` in production.
    pub endpoint_url: Option<url::Url>,
    /// Longest wait for a TCP/TLS connection.
    pub connect_timeout: Duration,
    /// Longest an AWS operation may take, retries included. The health poller
    /// gives each environment twice this in all.
    pub operation_timeout: Duration,
    /// Attempts per operation (1 = no retry), with the SDK's standard retry
    /// strategy (exponential backoff with jitter, throttling-aware).
    pub max_attempts: u32,
    /// Fixed credentials instead of the default chain: only for the local
    /// demo and the tests against moto (which accepts any key). `None` in
    /// production, where the default chain finds the ECS task role, the
    /// instance profile, a profile or the environment variables.
    pub static_credentials: Option<StaticCredentials>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        Self {
            endpoint_url: None,
            connect_timeout: Duration::from_secs(3),
            operation_timeout: Duration::from_secs(10),
            max_attempts: 3,
            static_credentials: None,
        }
    }
}

/// An access key pair for [`AwsSettings::static_credentials`]. The secret is
/// never printed (`Debug` shows `[REDACTED]`) nor logged.
#[derive(Debug, Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl StaticCredentials {
    /// The keys moto and the demo script use: `testing` / `testing`.
    pub fn moto() -> Self {
        Self {
            access_key_id: "testing".to_owned(),
            secret_access_key: SecretString::from("testing"),
        }
    }
}

/// An SDK timestamp as chrono's; `None` when out of chrono's range.
pub(crate) fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// A count from the SDK (i32, never negative in practice) as u32.
pub(crate) fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}
