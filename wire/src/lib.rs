//! The words that cross Gantry's wire, as enums: each variant's word is its
//! serde name, its `Display`, what [`Word::parse`] accepts and what the
//! database stores. WebAssembly-safe: serde and strum only, no I/O.
//!
//! - [`JobKind`], [`JobState`] (and its transition rules), [`StepState`].

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

/// A word that names none of an enum's values; the message lists the
/// accepted words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {word:?}: use one of {accepted}")]
pub struct UnknownWord {
    /// What was asked for: "job kind".
    pub what: &'static str,
    pub word: String,
    /// The accepted words, comma-separated.
    pub accepted: String,
}

/// An enum whose values are words (derived: `IntoStaticStr` and
/// `VariantArray` with snake_case names, serde the same).
pub trait Word: Copy + Into<&'static str> + VariantArray + 'static {
    /// What one value is called in a refusal: "job kind".
    const WHAT: &'static str;

    /// The value's word.
    fn as_str(self) -> &'static str {
        self.into()
    }

    /// The value `raw` names (exactly), or why not.
    fn parse(raw: &str) -> Result<Self, UnknownWord> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|value| value.as_str() == raw)
            .ok_or_else(|| UnknownWord {
                what: Self::WHAT,
                word: raw.to_owned(),
                accepted: Self::VARIANTS
                    .iter()
                    .map(|value| value.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// `Display` and `FromStr` from [`Word`].
macro_rules! word_traits {
    ($name:ident, $what:literal) => {
        impl Word for $name {
            const WHAT: &'static str = $what;
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = <$name as VariantArray>::VARIANTS;

            /// The value's word.
            pub fn as_str(self) -> &'static str {
                Word::as_str(self)
            }

            /// The value `raw` names (exactly), or why not.
            pub fn parse(raw: &str) -> Result<Self, UnknownWord> {
                <Self as Word>::parse(raw)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownWord;
            fn from_str(raw: &str) -> Result<Self, UnknownWord> {
                Self::parse(raw)
            }
        }
    };
}

/// What a job does to its environment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum JobKind {
    Provision,
    Deploy,
    Scale,
    Configure,
    Rollback,
    Teardown,
}
word_traits!(JobKind, "job kind");

/// Where a job is in its life. See [`JobState::can_become`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum JobState {
    AwaitingApproval,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    RolledBack,
    Stale,
    Stuck,
}
word_traits!(JobState, "job state");

/// Where one step of a job's plan is (`skipped`: never run, the job ended
/// before it).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StepState {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}
word_traits!(StepState, "step state");

impl JobState {
    /// Whether a job in this state may move to `next`. Running → running is
    /// a re-claim after an expired lease (a new fencing token).
    ///
    /// - awaiting_approval → queued (approved), cancelled (rejected, withdrawn)
    /// - queued → running (claimed), cancelled
    /// - running → running (re-claimed), succeeded, failed, cancelled,
    ///   rolled_back, stale, stuck
    /// - stuck → queued (retried at its current step), awaiting_approval
    ///   (retried where approvals are needed: planned and decided again),
    ///   cancelled, failed
    /// - failed → queued (retried from the failed step), awaiting_approval
    ///   (likewise)
    /// - succeeded, cancelled, rolled_back, stale: final (a stale plan is
    ///   re-planned as a new job)
    pub fn can_become(self, next: JobState) -> bool {
        use JobState::*;
        matches!(
            (self, next),
            (AwaitingApproval, Queued | Cancelled)
                | (Queued, Running | Cancelled)
                | (
                    Running,
                    Running | Succeeded | Failed | Cancelled | RolledBack | Stale | Stuck
                )
                | (Stuck, Queued | AwaitingApproval | Cancelled | Failed)
                | (Failed, Queued | AwaitingApproval)
        )
    }

    /// No worker will touch the job again by itself.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded
                | JobState::Failed
                | JobState::Cancelled
                | JobState::RolledBack
                | JobState::Stale
        )
    }

    /// The states a running job may end in (by its worker).
    pub fn is_outcome(self) -> bool {
        self != JobState::Running && JobState::Running.can_become(self)
    }

    /// The environment's lock is held (the database's unique index covers
    /// these states).
    pub fn holds_lock(self) -> bool {
        matches!(self, JobState::Running | JobState::Stuck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words are the ones stored and sent before this crate existed.
    #[test]
    fn each_value_keeps_its_word_on_the_wire_in_text_and_in_parse() {
        let words = |all: &[&'static str]| all.join(",");
        assert_eq!(
            words(&JobKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
            "provision,deploy,scale,configure,rollback,teardown"
        );
        assert_eq!(
            words(&JobState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
            "awaiting_approval,queued,running,succeeded,failed,cancelled,rolled_back,stale,stuck"
        );
        assert_eq!(
            words(
                &StepState::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
            ),
            "pending,running,succeeded,failed,skipped"
        );
        for state in JobState::ALL {
            let json = format!("\"{state}\"");
            assert_eq!(serde_json::to_string(state).unwrap(), json);
            assert_eq!(serde_json::from_str::<JobState>(&json).unwrap(), *state);
            assert_eq!(JobState::parse(state.as_str()), Ok(*state));
            assert_eq!(state.to_string().parse::<JobState>(), Ok(*state));
        }
    }

    #[test]
    fn an_unknown_word_is_refused_naming_the_accepted_ones() {
        let refused = JobKind::parse("Deploy").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "unknown job kind \"Deploy\": use one of provision, deploy, scale, configure, rollback, teardown"
        );
        assert!(" queued".parse::<JobState>().is_err());
    }
}
