//! Words every area uses: an environment's name and who acts.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::audit::NewAuditEntry;

/// Longest free-text reason kept: a job request's, an approval decision's.
pub const MAX_REASON_CHARS: usize = 2000;

/// An environment name, in every area (`dev`, `staging`, `prod`, `preview-42`).
///
/// Lowercase ASCII letters, digits and `-`, 1–32 characters, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvName(String);

impl EnvName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok_len = (1..=32).contains(&raw.len());
        let starts_with_letter = raw.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let ok_chars = raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok_len && starts_with_letter && ok_chars {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "invalid environment name {raw:?}: use 1-32 lowercase letters, digits or '-', starting with a letter"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EnvName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EnvName> for String {
    fn from(value: EnvName) -> Self {
        value.0
    }
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who makes a change, as the history and the audit log record it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// "Ada Admin <ada>"
    pub name: String,
    pub role: Option<String>,
    pub request_id: Option<String>,
    /// "ui", "cli", "import: file.md"
    pub source: String,
    /// The identity provider's subject of a signed-in person (`None` for
    /// Gantry itself, the command line, an import): who may never approve
    /// their own change.
    pub subject: Option<String>,
}

impl Actor {
    /// An audit entry of `action` on `target` by this actor.
    pub(crate) fn audit(&self, action: &str, target: String) -> NewAuditEntry {
        let mut entry = NewAuditEntry::new(self.name.clone(), action, target);
        entry.role = self.role.clone();
        entry.request_id = self.request_id.clone();
        entry
    }
}
