//! The audit log's records, filters and pages.
//!
//! **No secrets, ever.** Records are kept forever, exported to CSV and JSON,
//! and shown to administrators. Callers must never put passwords, tokens,
//! session ids, keys or other credentials in any field, `before` and `after`
//! included: describe such a change ("token rotated"), never its value.

use serde::{Deserialize, Serialize};

/// What a caller records: who did what to which thing, and the state before
/// and after. `id`, `at` and the hashes are assigned by [`super::store::append`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAuditEntry {
    /// Who acted: a user's stable identifier, or `system` for the server itself.
    pub actor: String,
    /// The role the actor acted in, when roles apply.
    pub role: Option<String>,
    /// What was done, dotted and lower case: `roadmap.import`,
    /// `roadmap.module.update`, `auth.sign_in`.
    pub action: String,
    /// What it was done to: `module:waf`, `roadmap`.
    pub target: String,
    /// The state before the change (`None` for creations). Never secrets.
    /// `Some(Value::Null)` is stored as `None`.
    pub before: Option<serde_json::Value>,
    /// The state after the change (`None` for deletions). Never secrets.
    /// `Some(Value::Null)` is stored as `None`.
    pub after: Option<serde_json::Value>,
    /// The HTTP request that made the change, to correlate with the logs.
    pub request_id: Option<String>,
}

impl NewAuditEntry {
    /// An entry without role, states or request id; set those fields as needed.
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        Self {
            actor: actor.into(),
            role: None,
            action: action.into(),
            target: target.into(),
            before: None,
            after: None,
            request_id: None,
        }
    }
}

/// A stored record of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 1, 2, 3, … without gaps: a gap means a record was deleted.
    pub id: i64,
    /// RFC 3339, UTC, millisecond precision: `2026-11-25T09:30:00.123Z`.
    /// Never earlier than the previous record's.
    pub at: String,
    pub actor: String,
    pub role: Option<String>,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    /// The previous record's link (hex): its `mac` when it is keyed, else its
    /// `hash`; 64 zeros for the first record.
    pub prev_hash: String,
    /// SHA-256 (hex) of this record's content and `prev_hash`; see
    /// [`super::chain::record_hash`]. Anyone can recompute it: it shows
    /// damage, not tampering.
    pub hash: String,
    /// The name of the audit key that MACed this record; `None` for a legacy
    /// record, written before a key was configured.
    #[serde(default)]
    pub key_id: Option<String>,
    /// HMAC-SHA256 (hex) of this record's content and `prev_hash` under key
    /// `key_id`; see [`super::chain::record_mac`].
    #[serde(default)]
    pub mac: Option<String>,
}

/// The outcome of [`super::store::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VerifyReport {
    /// Every record is intact and linked to the one before it, and the
    /// checkpoint file (if any) agrees with the newest record.
    Ok {
        records: u64,
        /// Records written before an audit key was configured (unkeyed
        /// SHA-256, which anyone with write access to the database can
        /// recompute): they come first in the chain.
        legacy_records: u64,
        /// The newest record's link (its MAC, or its hash when it is a legacy
        /// record; 64 zeros for an empty log).
        last_hash: String,
        checkpoint: CheckpointCheck,
    },
    /// The first record that fails, and why. `records_checked` counts the
    /// intact records before it.
    Broken {
        id: i64,
        reason: String,
        records_checked: u64,
    },
    /// The chain is intact but ends at `last_id` (0: empty), while the
    /// checkpoint file records a later head: the newest records were removed.
    Cut {
        last_id: i64,
        checkpoint_id: i64,
        records_checked: u64,
    },
}

/// What the checkpoint file said about the chain's head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "checkpoint", rename_all = "snake_case")]
pub enum CheckpointCheck {
    /// No checkpoint file is configured (or no audit key, which its lines
    /// need): removing the newest records cannot be detected.
    NotConfigured,
    /// The file is configured but holds no valid line yet (`missing`: it does
    /// not exist).
    Empty {
        path: String,
        missing: bool,
        invalid_lines: u64,
    },
    /// Its newest valid line names record `id`, which is in the chain with the
    /// MAC the line records. `invalid_lines` were ignored.
    Matched {
        path: String,
        id: i64,
        invalid_lines: u64,
    },
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        matches!(self, VerifyReport::Ok { .. })
    }

    /// One line for people: what failed, or what was checked.
    pub fn summary(&self) -> String {
        match self {
            VerifyReport::Ok {
                records,
                legacy_records,
                last_hash,
                checkpoint,
            } => {
                let mut text = format!("audit chain ok: {records} records");
                if *legacy_records > 0 {
                    text.push_str(&format!(
                        " ({legacy_records} legacy records, unkeyed SHA-256, before the audit key: they can be recomputed by anyone who can write to the database)"
                    ));
                }
                text.push_str(&format!(", head {last_hash}; "));
                text.push_str(&match checkpoint {
                    CheckpointCheck::NotConfigured => "no checkpoint file: removal of the newest records cannot be detected without one ([audit] checkpoint_file)".to_owned(),
                    CheckpointCheck::Empty { path, missing, .. } => format!(
                        "checkpoint file {path} {}: removal of the newest records cannot be detected yet",
                        if *missing { "does not exist" } else { "has no valid line" }
                    ),
                    CheckpointCheck::Matched { path, id, .. } => {
                        format!("the checkpoint file {path} agrees (record {id})")
                    }
                });
                let invalid = match checkpoint {
                    CheckpointCheck::Empty { invalid_lines, .. }
                    | CheckpointCheck::Matched { invalid_lines, .. } => *invalid_lines,
                    CheckpointCheck::NotConfigured => 0,
                };
                if invalid > 0 {
                    text.push_str(&format!(
                        "; warning: {invalid} checkpoint lines ignored (torn, forged, or under an unknown key)"
                    ));
                }
                text
            }
            VerifyReport::Broken {
                id,
                reason,
                records_checked,
            } => format!(
                "audit chain broken: record {id}: {reason} ({records_checked} records checked before it)"
            ),
            VerifyReport::Cut {
                last_id,
                checkpoint_id,
                ..
            } => format!(
                "audit chain broken: the chain was cut after record {last_id}: the checkpoint file records {checkpoint_id}"
            ),
        }
    }
}

/// Which records [`super::store::query`] returns. Empty strings mean "no filter".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Exactly this actor.
    pub actor: Option<String>,
    /// Exactly this action, or every action starting with a prefix when it ends
    /// in `*`: `roadmap.*`.
    pub action: Option<String>,
    /// Exactly this target.
    pub target: Option<String>,
    /// RFC 3339; records at or after this instant.
    pub from: Option<String>,
    /// RFC 3339; records strictly before this instant.
    pub to: Option<String>,
}

/// One page of a newest-first listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// Only records older than this id: the previous page's `next_before_id`.
    /// `None` for the first (newest) page.
    pub before_id: Option<i64>,
    /// Records per page, clamped to `1..=200`.
    pub limit: u32,
}

impl PageRequest {
    pub const MAX_LIMIT: u32 = 200;
    pub const DEFAULT_LIMIT: u32 = 50;

    pub fn first(limit: u32) -> Self {
        Self {
            before_id: None,
            limit,
        }
    }

    /// The limit actually used: at least 1, at most [`Self::MAX_LIMIT`].
    pub fn clamped_limit(&self) -> u32 {
        self.limit.clamp(1, Self::MAX_LIMIT)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(Self::DEFAULT_LIMIT)
    }
}

/// Records, newest first, and where the next page starts (`None`: no more).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub next_before_id: Option<i64>,
}
