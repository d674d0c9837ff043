//! The words that cross Gantry's wire, as enums: each variant's word is its
//! serde name, what [`Word::parse`] accepts and what the database stores.
//! WebAssembly-safe: serde and strum only, no I/O. The core, the pages and
//! (next) the API and CLI use these types, so a status is never a string
//! matched again at the other end.
//!
//! - [`jobs`]: [`JobKind`], [`JobState`] (and its transition rules),
//!   [`StepState`], [`LogLevel`].
//! - [`auth`]: [`Role`], [`Permission`] (and which role grants what).
//! - [`roadmap`]: [`Section`], [`ModuleStatus`], [`PriorityLevel`], [`Phase`].
//! - [`health`]: [`HealthStatus`], [`Component`].
//! - [`approvals`]: [`Decision`]; [`environments`]: [`FreezeMode`].

use strum::VariantArray;

pub mod approvals;
pub mod auth;
pub mod environments;
pub mod health;
pub mod jobs;
pub mod roadmap;

pub use approvals::Decision;
pub use auth::{Permission, Role};
pub use environments::FreezeMode;
pub use health::{Component, HealthStatus};
pub use jobs::{JobKind, JobState, LogLevel, StepState};
pub use roadmap::{ModuleStatus, Phase, PriorityLevel, Section};

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

    /// The value `raw` names as a person writes it: trimmed, any case, a
    /// space or a hyphen for the underscore ("In progress" is
    /// `in_progress`).
    fn parse_loose(raw: &str) -> Result<Self, UnknownWord> {
        let folded = raw.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::parse(&folded).map_err(|refused| UnknownWord {
            word: raw.to_owned(),
            ..refused
        })
    }
}

/// [`Word`], `ALL`, inherent `as_str` and `parse` (exact, or `loose`: as
/// [`Word::parse_loose`]) and `FromStr`. `Display` writes the word unless
/// the type's own `Display` is asked for (`own_display`).
macro_rules! word_traits {
    ($name:ident, $what:literal) => {
        word_traits!(@base $name, $what, parse);
        word_traits!(@display $name);
    };
    ($name:ident, $what:literal, loose) => {
        word_traits!(@base $name, $what, parse_loose);
        word_traits!(@display $name);
    };
    ($name:ident, $what:literal, loose, own_display) => {
        word_traits!(@base $name, $what, parse_loose);
    };
    (@display $name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (@base $name:ident, $what:literal, $parse:ident) => {
        impl $crate::Word for $name {
            const WHAT: &'static str = $what;
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = <$name as strum::VariantArray>::VARIANTS;

            /// The value's word.
            pub fn as_str(self) -> &'static str {
                $crate::Word::as_str(self)
            }

            /// The value `raw` names, or why not.
            pub fn parse(raw: &str) -> Result<Self, $crate::UnknownWord> {
                <Self as $crate::Word>::$parse(raw)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownWord;
            fn from_str(raw: &str) -> Result<Self, $crate::UnknownWord> {
                Self::parse(raw)
            }
        }
    };
}
pub(crate) use word_traits;

/// The derives every word enum has.
macro_rules! word_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, strum::IntoStaticStr, strum::VariantArray,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        $vis enum $name { $($body)* }
    };
}
pub(crate) use word_enum;

#[cfg(test)]
mod tests;
