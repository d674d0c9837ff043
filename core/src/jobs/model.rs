//! The jobs engine's words: ids, kinds, states and their allowed transitions,
//! plans and their hash. No I/O.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::JobsError;

/// A job's id: the `jobs.id` identity, growing with every enqueue (so it is
/// also the queue order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub i64);

impl JobId {
    /// The audit target of everything that happens to this job: `job:42`.
    pub fn audit_target(self) -> String {
        format!("job:{}", self.0)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for JobId {
    type Err = JobsError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id >= 1)
            .map(JobId)
            .ok_or_else(|| JobsError::Validation(format!("invalid job id {raw:?}")))
    }
}

pub use gantry_wire::{JobKind, JobState, StepState, UnknownWord};

impl From<UnknownWord> for JobsError {
    /// A stored or submitted word that names no value: refused with the
    /// accepted words.
    fn from(refused: UnknownWord) -> Self {
        JobsError::Validation(refused.to_string())
    }
}

/// A job's state change checked against [`JobState::can_become`].
pub trait CheckTransition {
    /// `self → next`, or [`JobsError::InvalidTransition`].
    fn check_transition(self, next: JobState) -> Result<(), JobsError>;
}

impl CheckTransition for JobState {
    fn check_transition(self, next: JobState) -> Result<(), JobsError> {
        if self.can_become(next) {
            Ok(())
        } else {
            Err(JobsError::InvalidTransition {
                from: self,
                to: next,
            })
        }
    }
}

/// One step of a plan: what it does and the exact difference it will make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStep {
    /// Shown to people: "Register task definition revision".
    pub name: String,
    /// What the runner does, dotted: `ecs.register_task_definition`.
    pub action: String,
    /// The live state this step changes, as read when planning. Never
    /// secrets: masked values only.
    pub before: serde_json::Value,
    /// The state after the step.
    pub after: serde_json::Value,
    /// How long the step may run before the job is marked stuck; `None`:
    /// the engine's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u32>,
}

/// What a job will do: its steps and a fingerprint of the live state the plan
/// was made from (each step re-reads what it changes and stops the job as
/// stale when that state moved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<PlanStep>,
    pub fingerprint: String,
    /// The Fargate tasks the plan changes, read when planning (the approval
    /// page prices it); `None` for plans that touch no ECS service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<ComputeChange>,
    /// Set when a failed or stuck job needing approval was asked to run
    /// again: its plan was made anew from the live state and is decided
    /// again. Part of the hash, so no decision on an earlier attempt counts
    /// for this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<Attempt>,
}

/// A job needing approval asked to run again (see [`Plan::attempt`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 2 for the first retry, 3 for the next.
    pub number: u32,
    /// When it was asked for: the approval request's time (its expiry counts
    /// from here).
    pub requested_at: chrono::DateTime<chrono::Utc>,
    pub requested_by: String,
    /// How the attempt before ended: "failed: …", "stuck: …".
    pub after: String,
}

/// A Fargate task's size, as its task definition states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSize {
    /// CPU units: 1024 = 1 vCPU.
    pub cpu: u32,
    pub memory_mib: u32,
}

/// One service's tasks: how many and how big (`None`: the size could not
/// be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footprint {
    pub service: String,
    pub tasks: i32,
    pub size: Option<TaskSize>,
}

/// The services a plan changes, before and after it runs (same order; a
/// service the plan creates is in `before` with 0 tasks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeChange {
    pub before: Vec<Footprint>,
    pub after: Vec<Footprint>,
}

/// Steps a plan may have.
pub const MAX_STEPS: usize = 100;

impl Plan {
    /// SHA-256 (hex) of the plan's canonical JSON: approvals are bound to it.
    pub fn hash(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        hex::encode(Sha256::digest(canonical_json(&value).as_bytes()))
    }

    /// Refuses an empty plan, too many steps, blank names or actions.
    pub fn validate(&self) -> Result<(), JobsError> {
        if self.steps.is_empty() {
            return Err(JobsError::Validation("the plan has no steps".into()));
        }
        if self.steps.len() > MAX_STEPS {
            return Err(JobsError::Validation(format!(
                "the plan has {} steps; at most {MAX_STEPS} are allowed",
                self.steps.len()
            )));
        }
        for (i, step) in self.steps.iter().enumerate() {
            if step.name.trim().is_empty() || step.action.trim().is_empty() {
                return Err(JobsError::Validation(format!(
                    "plan step {}: name and action are required",
                    i + 1
                )));
            }
            if step.timeout_secs == Some(0) {
                return Err(JobsError::Validation(format!(
                    "plan step {}: the timeout must be at least 1 second",
                    i + 1
                )));
            }
        }
        Ok(())
    }
}

/// A plan value as people read it: indented JSON with sorted keys.
pub fn pretty_json(value: &serde_json::Value) -> String {
    let sorted: serde_json::Value =
        serde_json::from_str(&canonical_json(value)).unwrap_or_else(|_| value.clone());
    serde_json::to_string_pretty(&sorted).unwrap_or_else(|_| value.to_string())
}

/// JSON with object keys sorted (by their UTF-8 bytes), no whitespace, and
/// serde_json's number and string encoding: the same value always gives the
/// same text, whatever order its keys were built in.
pub fn canonical_json(value: &serde_json::Value) -> String {
    crate::audit::chain::canonical_json(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The plan encoding before it was shared with the audit chain, kept to
    /// prove that every plan hash stored with it still verifies.
    fn previous_canonical_json(value: &serde_json::Value) -> String {
        let mut out = String::new();
        write_canonical(value, &mut out);
        out
    }

    fn write_canonical(value: &serde_json::Value, out: &mut String) {
        use serde_json::Value;
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    if let Some(v) = map.get(key) {
                        write_canonical(v, out);
                    }
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_canonical(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }

    #[test]
    fn plans_hash_exactly_as_before_the_encoding_was_shared() {
        let values = [
            json!({"b": 1, "a": {"z": [3, {"y": null, "x": true}], "é": "ü"}, "A": -2.5}),
            json!({"\u{1F600}": "emoji key", "\u{FFFD}": 1, "\u{E000}": 2, "z": "quote \" and \\ and \n"}),
            json!([{"desired": 1, "service": "web"}, [], {}, "", 0, 1e21, 12345678901234567890u64]),
            serde_json::to_value(plan(json!({"desired": 3, "service": "web"}))).unwrap(),
        ];
        for value in &values {
            assert_eq!(
                canonical_json(value),
                previous_canonical_json(value),
                "{value}"
            );
        }
    }

    fn plan(after: serde_json::Value) -> Plan {
        Plan {
            steps: vec![PlanStep {
                name: "Scale web".into(),
                action: "ecs.update_service".into(),
                before: json!({"desired": 1, "service": "web"}),
                after,
                timeout_secs: None,
            }],
            fingerprint: "abc".into(),
            compute: None,
            attempt: None,
        }
    }

    #[test]
    fn kinds_and_states_round_trip_through_their_words() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()).ok(), Some(*kind));
        }
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>().ok(), Some(*state));
        }
        for state in StepState::ALL {
            assert_eq!(StepState::parse(state.as_str()).ok(), Some(*state));
        }
        let err = JobsError::from(JobKind::parse("explode").unwrap_err());
        assert!(matches!(err, JobsError::Validation(_)));
        assert!(err.to_string().contains("provision, deploy"), "{err}");
        assert!(JobState::parse("Running").is_err());
    }

    #[test]
    fn only_the_allowed_transitions_are_allowed() {
        use JobState::*;
        let allowed = [
            (AwaitingApproval, Queued),
            (AwaitingApproval, Cancelled),
            (Queued, Running),
            (Queued, Cancelled),
            (Running, Running),
            (Running, Succeeded),
            (Running, Failed),
            (Running, Cancelled),
            (Running, RolledBack),
            (Running, Stale),
            (Running, Stuck),
            (Stuck, Queued),
            (Stuck, AwaitingApproval),
            (Stuck, Cancelled),
            (Stuck, Failed),
            (Failed, Queued),
            (Failed, AwaitingApproval),
        ];
        for from in JobState::ALL {
            for to in JobState::ALL {
                let expected = allowed.contains(&(*from, *to));
                assert_eq!(from.can_become(*to), expected, "{from} -> {to}");
                assert_eq!(from.check_transition(*to).is_ok(), expected);
            }
        }
        // Nothing leaves a final state but a retry of a failed job.
        for from in [Succeeded, Cancelled, RolledBack, Stale] {
            assert!(from.is_final());
            assert!(JobState::ALL.iter().all(|to| !from.can_become(*to)));
        }
        assert!(!AwaitingApproval.can_become(Running), "approval first");
        assert!(Failed.is_outcome() && Stuck.is_outcome() && !Running.is_outcome());
        assert!(Running.holds_lock() && Stuck.holds_lock() && !Queued.holds_lock());
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{ "b": [1, {"z": null, "a": "x\"y"}], "a": true }"#)
                .expect("json");
        assert_eq!(
            canonical_json(&value),
            r#"{"a":true,"b":[1,{"a":"x\"y","z":null}]}"#
        );
    }

    #[test]
    fn key_order_does_not_change_the_hash() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"service":"web","desired":3}"#).expect("json");
        let b: serde_json::Value =
            serde_json::from_str(r#"{"desired":3,"service":"web"}"#).expect("json");
        assert_eq!(plan(a).hash(), plan(b).hash());
        assert_eq!(plan(json!({})).hash().len(), 64);
    }

    #[test]
    fn any_change_changes_the_hash() {
        let base = plan(json!({"desired": 3, "service": "web"}));
        let mut variants = vec![
            plan(json!({"desired": 4, "service": "web"})),
            plan(json!({"desired": "3", "service": "web"})),
            plan(json!({"desired": 3, "service": "web", "extra": null})),
            plan(json!({"desired": 3, "service": "Web"})),
        ];
        let mut fingerprint = base.clone();
        fingerprint.fingerprint = "abd".into();
        variants.push(fingerprint);
        let mut timeout = base.clone();
        timeout.steps[0].timeout_secs = Some(60);
        variants.push(timeout);
        let mut order = base.clone();
        order.steps.push(order.steps[0].clone());
        order.steps[1].name = "Second".into();
        let mut swapped = order.clone();
        swapped.steps.swap(0, 1);
        assert_ne!(order.hash(), swapped.hash(), "step order matters");
        for variant in variants {
            assert_ne!(base.hash(), variant.hash(), "{variant:?}");
        }
    }

    #[test]
    fn plans_are_validated() {
        assert!(plan(json!({})).validate().is_ok());
        let empty = Plan {
            steps: vec![],
            fingerprint: "x".into(),
            compute: None,
            attempt: None,
        };
        assert!(empty.validate().is_err());
        let mut blank = plan(json!({}));
        blank.steps[0].action = " ".into();
        assert!(blank.validate().is_err());
    }

    #[test]
    fn job_ids_parse() {
        assert_eq!("42".parse::<JobId>().ok(), Some(JobId(42)));
        assert!("0".parse::<JobId>().is_err());
        assert!("x".parse::<JobId>().is_err());
        assert_eq!(JobId(7).audit_target(), "job:7");
    }
}
