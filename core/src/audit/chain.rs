//! The hash and the MAC that chain audit records.
//!
//! ## Keyed records (format version 2)
//!
//! A record written with an audit key ([`super::keys`]) stores the key's name
//! in `key_id` and, in `mac`, the HMAC-SHA256 (lower-case hex) under that key
//! of this exact text:
//!
//! ```text
//! {"format":"gantry.audit.v2","id":7,"at":"…","actor":"alice","role":null,
//!  "action":"roadmap.import","target":"roadmap","before":null,"after":{…},
//!  "request_id":"req-1","key_id":"k1","prev_hash":"<64 hex>"}
//! ```
//!
//! encoded exactly as version 1 below, with `key_id` added. `prev_hash` is the
//! previous record's *link*: its `mac` when it is keyed, its `hash` when it is a
//! legacy record, 64 zeros for the first record. So every MAC covers the MAC
//! before it, and editing a record means recomputing every later MAC, which
//! needs the key. `hash` is still the plain SHA-256 of the same text, so that
//! an export can be checked for damage without the key (not for tampering).
//!
//! ## Legacy records (format version 1)
//!
//! Records written before an audit key was configured have no `key_id` nor
//! `mac`. Their hash is the SHA-256, in lower-case hex, of this exact UTF-8
//! text, with no whitespace:
//!
//! ```text
//! {"format":"gantry.audit.v1","id":7,"at":"2026-11-25T09:30:00.123Z","actor":"alice",
//!  "role":null,"action":"roadmap.import","target":"roadmap","before":null,
//!  "after":{"a":1,"b":[true,"x"]},"request_id":"req-1","prev_hash":"<64 hex>"}
//! ```
//!
//! - the keys always appear in this order (a fixed struct, not a map);
//! - absent optional fields are `null` (`before: Some(null)` is stored as `None`,
//!   so the two never need telling apart);
//! - strings are escaped as `serde_json` does (`"`, `\` and control characters;
//!   everything else as raw UTF-8), so no field can run into the next one;
//! - inside `before` and `after`, object keys are sorted by their bytes at every
//!   depth, so a JSON value hashes the same whatever order its keys arrive in —
//!   in particular after a round trip through the database. The sort is done
//!   here, not left to `serde_json`'s map type, whose order depends on the
//!   `preserve_order` feature that another crate may switch on.
//!
//! The stored `hash` itself is, of course, not part of the input.

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::keys::AuditKey;
use super::model::AuditRecord;
use crate::error::{CoreError, CoreResult};

/// The `prev_hash` of the first record: 64 zeros.
pub const GENESIS_PREV_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Names the encoding, so a future format cannot collide with this one.
const FORMAT: &str = "gantry.audit.v1";
const FORMAT_KEYED: &str = "gantry.audit.v2";

#[derive(Serialize)]
struct HashInput<'a> {
    format: &'static str,
    id: i64,
    at: &'a str,
    actor: &'a str,
    role: Option<&'a str>,
    action: &'a str,
    target: &'a str,
    before: Option<Value>,
    after: Option<Value>,
    request_id: Option<&'a str>,
    prev_hash: &'a str,
}

#[derive(Serialize)]
struct KeyedInput<'a> {
    format: &'static str,
    id: i64,
    at: &'a str,
    actor: &'a str,
    role: Option<&'a str>,
    action: &'a str,
    target: &'a str,
    before: Option<Value>,
    after: Option<Value>,
    request_id: Option<&'a str>,
    key_id: &'a str,
    prev_hash: &'a str,
}

/// The exact bytes [`record_hash`] hashes and [`record_mac`] MACs: version 2
/// when the record has a `key_id`, else version 1 (see the module
/// documentation).
pub fn canonical_bytes(record: &AuditRecord) -> CoreResult<Vec<u8>> {
    let encoded = match &record.key_id {
        None => serde_json::to_vec(&legacy_input(record)),
        Some(key_id) => serde_json::to_vec(&KeyedInput {
            format: FORMAT_KEYED,
            id: record.id,
            at: &record.at,
            actor: &record.actor,
            role: record.role.as_deref(),
            action: &record.action,
            target: &record.target,
            before: record.before.as_ref().map(canonical_json),
            after: record.after.as_ref().map(canonical_json),
            request_id: record.request_id.as_deref(),
            key_id,
            prev_hash: &record.prev_hash,
        }),
    };
    encoded.map_err(|e| CoreError::Corrupt(format!("audit record {}: {e}", record.id)))
}

fn legacy_input(record: &AuditRecord) -> HashInput<'_> {
    HashInput {
        format: FORMAT,
        id: record.id,
        at: &record.at,
        actor: &record.actor,
        role: record.role.as_deref(),
        action: &record.action,
        target: &record.target,
        before: record.before.as_ref().map(canonical_json),
        after: record.after.as_ref().map(canonical_json),
        request_id: record.request_id.as_deref(),
        prev_hash: &record.prev_hash,
    }
}

/// The SHA-256 (lower-case hex) of the record's content and `prev_hash`; the
/// record's own `hash` field is ignored.
pub fn record_hash(record: &AuditRecord) -> CoreResult<String> {
    Ok(hex::encode(Sha256::digest(canonical_bytes(record)?)))
}

/// The HMAC-SHA256 (lower-case hex) under `key` of the record's canonical
/// bytes. The record's `key_id` must already name `key`: it is MACed too.
pub fn record_mac(key: &AuditKey, record: &AuditRecord) -> CoreResult<String> {
    if record.key_id.as_deref() != Some(key.id()) {
        return Err(CoreError::Corrupt(format!(
            "audit record {}: key_id does not name the key MACing it",
            record.id
        )));
    }
    Ok(key.sign(&canonical_bytes(record)?))
}

/// What the next record's `prev_hash` must be: this record's MAC when it is
/// keyed, else its hash.
pub fn record_link(record: &AuditRecord) -> &str {
    record.mac.as_deref().unwrap_or(&record.hash)
}

/// `value` with every object's keys inserted in sorted order, which is how it
/// serializes with either of `serde_json`'s map types.
pub fn canonical_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let mut sorted = Map::with_capacity(entries.len());
            for (key, item) in entries {
                sorted.insert(key.clone(), canonical_json(item));
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical_json).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
