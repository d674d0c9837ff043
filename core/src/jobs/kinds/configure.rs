//! Update configuration: set or delete SSM parameters under the
//! environment's prefix. String values are shown in the plan; SecureString
//! values arrive sealed ([`crate::jobs::seal`]) and appear only as
//! "(will be written)".
//!
//! Planning never compares a SecureString value with the live one: a plan
//! that left out an unchanged secret (or refused "nothing to change") would
//! tell an operator whether a guess of a production secret is right. Each
//! requested SecureString is written, and no error names a value.
//!
//! Plan: one step, `ssm.configure`, before → after per parameter (String
//! value, or the SecureString's version). Run: a String is left alone when
//! AWS already holds it (a re-run), put or deleted when AWS holds the
//! `before`, stale otherwise (every String put is compared first, so no new
//! version is written for an unchanged value). A SecureString is idempotent
//! by version: put when its version is still the one planned; once its
//! version moved, done when it holds the value (a re-run after the put),
//! stale otherwise.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{plan_of, step_error};
use crate::aws::{ssm, EnvClients};
use crate::environments::model::Environment;
use crate::health::snapshot::ParameterKind;
use crate::jobs::model::{Plan, PlanStep};
use crate::jobs::runner::{StepContext, StepError, StepOutcome};
use crate::jobs::seal::Sealer;
use crate::jobs::store::LogLevel;
use crate::jobs::{JobsError, JobsResult};

pub const ACTION: &str = "ssm.configure";
/// SSM's standard-tier limit.
pub const MAX_VALUE_BYTES: usize = 4096;
/// Parameters one job may change.
pub const MAX_CHANGES: usize = 50;
const STEP_TIMEOUT_SECS: u32 = 120;

/// What one parameter becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Change {
    /// A String value.
    Set {
        value: String,
    },
    /// A SecureString value, sealed for this parameter.
    SetSecure {
        sealed: String,
    },
    Delete,
}

/// A validated configure request: full parameter name → change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigureRequest {
    pub changes: BTreeMap<String, Change>,
}

fn invalid(message: String) -> JobsError {
    JobsError::Validation(message)
}

/// `NAME` checked and made a full name under `env`'s prefix.
fn full_name(env: &Environment, raw: &str) -> JobsResult<String> {
    let name = raw.trim();
    let prefix = env.ssm_prefix.to_string();
    let relative = name.strip_prefix(prefix.as_str()).unwrap_or(name);
    let ok = !relative.is_empty()
        && relative.len() <= 200
        && relative
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && relative
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    if !ok || (name.starts_with('/') && !name.starts_with(prefix.as_str())) {
        return Err(invalid(format!(
            "parameter {name:?} is not a name under {prefix} (letters, digits, '_', '-', '.', '/')"
        )));
    }
    Ok(format!("{prefix}{relative}"))
}

/// Whether an error may quote a line: String values may be shown; a line
/// of SecureString values never is (it may be the secret itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    Shown,
    Secret,
}

/// `NAME=value` lines (blank lines skipped).
fn pairs(text: &str, what: &str, lines: Lines) -> JobsResult<Vec<(String, String)>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            line.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| {
                    invalid(match lines {
                        Lines::Shown => format!("{what}: {:?} is not NAME=value", line.trim()),
                        Lines::Secret => format!(
                            "{what}: line {} is not NAME=value (not shown: it may hold a secret)",
                            i + 1
                        ),
                    })
                })
        })
        .collect()
}

impl ConfigureRequest {
    /// Parses the form's `set` (`NAME=value` lines, String), `sealed`
    /// (`NAME=token` lines, SecureString, sealed by [`seal_lines`]) and
    /// `delete` (a name per line) for `env`. Refuses names outside the
    /// prefix, oversized values, a name changed twice, an empty request.
    pub fn parse(
        env: &Environment,
        set: &str,
        sealed: &str,
        delete: &str,
        sealer: Option<&Sealer>,
    ) -> JobsResult<Self> {
        let mut changes = BTreeMap::new();
        let mut add = |name: String, change: Change| -> JobsResult<()> {
            if changes.insert(name.clone(), change).is_some() {
                return Err(invalid(format!("parameter {name} is changed twice")));
            }
            Ok(())
        };
        for (name, value) in pairs(set, "set", Lines::Shown)? {
            let name = full_name(env, &name)?;
            check_size(&name, value.len())?;
            add(name, Change::Set { value })?;
        }
        for (name, token) in pairs(sealed, "secure values", Lines::Secret)? {
            let name = full_name(env, &name)?;
            let sealer = sealer.ok_or_else(|| {
                invalid(
                    "this Gantry has no [jobs] secrets_key: SecureString values cannot be set"
                        .into(),
                )
            })?;
            let value = sealer
                .open(env.name.as_str(), &name, &token)
                .map_err(invalid)?;
            check_size(&name, value.expose_secret().len())?;
            add(
                name,
                Change::SetSecure {
                    sealed: token.trim().to_owned(),
                },
            )?;
        }
        for line in delete.lines().filter(|l| !l.trim().is_empty()) {
            add(full_name(env, line)?, Change::Delete)?;
        }
        if changes.is_empty() {
            return Err(invalid(
                "name at least one parameter to set or delete".to_owned(),
            ));
        }
        if changes.len() > MAX_CHANGES {
            return Err(invalid(format!(
                "at most {MAX_CHANGES} parameters per job, not {}",
                changes.len()
            )));
        }
        Ok(Self { changes })
    }
}

fn check_size(name: &str, len: usize) -> JobsResult<()> {
    if len == 0 || len > MAX_VALUE_BYTES {
        return Err(invalid(format!(
            "the value of {name} must be 1 to {MAX_VALUE_BYTES} bytes, not {len}"
        )));
    }
    Ok(())
}

/// Seals `NAME=value` lines a person typed (SecureString values) for `env`:
/// `NAME=token` lines for the form's `sealed` field. Names are checked as
/// [`ConfigureRequest::parse`] does.
pub fn seal_lines(env: &Environment, lines: &str, sealer: Option<&Sealer>) -> JobsResult<String> {
    let mut out = Vec::new();
    for (name, value) in pairs(lines, "secure values", Lines::Secret)? {
        let full = full_name(env, &name)?;
        check_size(&full, value.len())?;
        let sealer = sealer.ok_or_else(|| {
            invalid(
                "this Gantry has no [jobs] secrets_key: SecureString values cannot be set".into(),
            )
        })?;
        let token = sealer
            .seal(env.name.as_str(), &full, &SecretString::from(value))
            .map_err(JobsError::Validation)?;
        out.push(format!("{full}={token}"));
    }
    Ok(out.join("\n"))
}

/// How a parameter looks in a plan: its type and, for a String, its value;
/// a SecureString only by version.
fn shown(now: &Option<ssm::CurrentParameter>) -> serde_json::Value {
    match now {
        None => json!({ "exists": false }),
        Some(p) if p.kind == ParameterKind::SecureString => {
            json!({ "type": p.kind.as_str(), "version": p.version })
        }
        Some(p) => {
            json!({ "type": p.kind.as_str(), "value": p.value.expose_secret(), "version": p.version })
        }
    }
}

/// The plan from the parameters' live values; refuses a request that
/// changes nothing.
pub async fn plan(
    aws: &EnvClients,
    env: &Environment,
    request: &ConfigureRequest,
    sealer: Option<&Sealer>,
) -> JobsResult<Plan> {
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (name, change) in &request.changes {
        let now = ssm::current(&aws.ssm, name).await.map_err(JobsError::Aws)?;
        let (unchanged, wanted) = match change {
            Change::Set { value } => (
                now.as_ref().is_some_and(|n| {
                    n.kind == ParameterKind::String && n.value.expose_secret() == value
                }),
                json!({ "type": "String", "value": value }),
            ),
            Change::SetSecure { sealed } => {
                // Opened only to check the seal is for this parameter; never
                // compared with the live value (see the module's description).
                let sealer = sealer
                    .ok_or_else(|| invalid("this Gantry has no [jobs] secrets_key".to_owned()))?;
                sealer
                    .open(env.name.as_str(), name, sealed)
                    .map_err(invalid)?;
                (
                    false,
                    json!({ "type": "SecureString", "value": "(will be written)" }),
                )
            }
            Change::Delete => (now.is_none(), json!({ "exists": false })),
        };
        if unchanged {
            continue;
        }
        before.insert(name.clone(), shown(&now));
        after.insert(name.clone(), wanted);
    }
    if after.is_empty() {
        return Err(invalid(format!(
            "the parameters of {} already hold these values: nothing to change",
            env.name
        )));
    }
    Ok(plan_of(vec![PlanStep {
        name: format!(
            "Change {} parameter(s) under {}",
            after.len(),
            env.ssm_prefix
        ),
        action: ACTION.to_owned(),
        before: serde_json::Value::Object(before),
        after: serde_json::Value::Object(after),
        timeout_secs: Some(STEP_TIMEOUT_SECS),
    }]))
}

/// Whether `now` is what the plan saw (`seen`).
fn holds(now: &Option<ssm::CurrentParameter>, seen: &serde_json::Value) -> bool {
    match now {
        None => seen["exists"] == false,
        Some(p) => {
            seen["type"].as_str() == Some(p.kind.as_str())
                && seen["version"].as_i64() == Some(p.version)
        }
    }
}

/// Performs `ssm.configure` (see the module's description); the sealed
/// values come from the job's stored request.
pub async fn run(
    ctx: &StepContext,
    aws: &EnvClients,
    env: &Environment,
    step: &PlanStep,
    sealer: Option<&Sealer>,
) -> Result<StepOutcome, StepError> {
    let request: ConfigureRequest = serde_json::from_value(ctx.job.params.clone())
        .map_err(|e| StepError::Fatal(format!("malformed configure request: {e}")))?;
    let planned = step
        .after
        .as_object()
        .ok_or_else(|| StepError::Fatal("malformed configure step".into()))?;
    let mut changed = 0;
    for name in planned.keys() {
        let change = request
            .changes
            .get(name)
            .ok_or_else(|| StepError::Fatal(format!("{name} is not in the request")))?;
        let now = ssm::current(&aws.ssm, name).await.map_err(step_error)?;
        let wanted: Option<(ParameterKind, SecretString)> = match change {
            Change::Set { value } => {
                Some((ParameterKind::String, SecretString::from(value.clone())))
            }
            Change::SetSecure { sealed } => {
                let sealer = sealer.ok_or_else(|| {
                    StepError::Fatal("this Gantry has no [jobs] secrets_key".into())
                })?;
                let value = sealer
                    .open(env.name.as_str(), name, sealed)
                    .map_err(StepError::Fatal)?;
                Some((ParameterKind::SecureString, value))
            }
            Change::Delete => None,
        };
        let as_planned = holds(&now, &step.before[name.as_str()]);
        let holds_wanted = match (&wanted, &now) {
            (None, None) => true,
            (Some((kind, value)), Some(n)) => {
                n.kind == *kind && n.value.expose_secret() == value.expose_secret()
            }
            _ => false,
        };
        let secure = matches!(change, Change::SetSecure { .. });
        // A SecureString is written while its version is the planned one,
        // whatever it holds; anything else is left alone when it already
        // holds what is wanted.
        let done = if secure {
            !as_planned && holds_wanted
        } else {
            holds_wanted
        };
        if done {
            continue;
        }
        if !as_planned {
            return Err(StepError::Stale(format!(
                "parameter {name} changed since the plan"
            )));
        }
        match wanted {
            Some((kind, value)) => {
                if secure {
                    ssm::put_value(&aws.ssm, name, kind, &value).await
                } else {
                    ssm::ensure_value(&aws.ssm, name, kind, &value)
                        .await
                        .map(|_| ())
                }
                .map_err(step_error)?;
                let _ = ctx
                    .log(LogLevel::Info, &format!("set {name} ({})", kind.as_str()))
                    .await;
            }
            None => {
                ssm::ensure_absent(&aws.ssm, name)
                    .await
                    .map_err(step_error)?;
                let _ = ctx.log(LogLevel::Info, &format!("deleted {name}")).await;
            }
        }
        changed += 1;
    }
    Ok(StepOutcome::Done(Some(json!({ "changed": changed }))))
}
