//! Health: one status per service and per environment, Argo CD style
//! (Healthy / Progressing / Degraded / Missing / Unknown), each with a one-line
//! reason a human on call can act on, rolled up by the worst-of rule.
//!
//! [`model`] holds the observations the AWS adapters fill and the statuses;
//! [`rules`] maps observations to statuses. Both are pure: polling, storage and
//! history live elsewhere, so the rules are tested without AWS.

pub mod drift;
pub mod model;
pub mod poll;
pub mod rules;
#[cfg(any(test, feature = "testing"))]
pub mod scripted;
pub mod service;
pub mod snapshot;
pub mod source;
pub mod store;
