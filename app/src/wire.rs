//! What every area's server functions share when they answer: timestamps
//! in the one wire form, a request's environment name. Server-only.

use chrono::{DateTime, SecondsFormat, Utc};
use gantry_core::shared::EnvName;

use crate::error::AppError;

/// RFC 3339, UTC, whole seconds: the form every wire timestamp takes.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A job log line's time, to the millisecond (lines written within one
/// second keep their order on the page and in the event stream).
pub fn ts_millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The environment name a request gives, or a 404 (a malformed name names no
/// environment).
pub fn name(raw: &str) -> Result<EnvName, AppError> {
    EnvName::parse(raw).map_err(|_| AppError::not_found(format!("environment {raw:?}")))
}
