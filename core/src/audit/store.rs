//! Audit storage: append a record inside the caller's transaction, list records
//! newest first, and verify the whole chain.
//!
//! ## Appending without forks
//!
//! A record's id and its predecessor's hash are part of what it hashes, so both
//! must be known before the insert: the id cannot come from an identity column
//! (assigned during the insert, and not rolled back on PostgreSQL, which would
//! leave gaps that look like deleted records). Instead [`append`] first takes a
//! lock that serializes appends, then reads the newest record and uses its
//! `id + 1` (`COALESCE(MAX(id), 0) + 1`) and its hash:
//!
//! - PostgreSQL: `pg_advisory_xact_lock(AUDIT_LOCK_KEY)`, held until the
//!   transaction ends. Under READ COMMITTED (the default) the next statement's
//!   snapshot then sees every append committed before the lock was granted.
//! - SQLite: a write statement that changes no row, which takes the database's
//!   single write lock (waiting up to `busy_timeout`) before the read.
//!
//! Should the lock ever be bypassed (a REPEATABLE READ transaction whose
//! snapshot predates the lock, a SQLite transaction that read before it
//! wrote), the primary key on `id` and the UNIQUE constraint on `prev_hash`
//! make the second of two competing appends fail: the chain never forks. A
//! failed append fails the caller's transaction, which may be retried.

use chrono::{DateTime, Datelike, Utc};
use sqlx::AnyConnection;

use super::chain::{
    canonical_bytes, canonical_json, record_hash, record_link, record_mac, GENESIS_PREV_HASH,
};
use super::checkpoint::read_checkpoints;
use super::model::{
    AuditFilter, AuditPage, AuditRecord, CheckpointCheck, NewAuditEntry, PageRequest, VerifyReport,
};
use super::tx::AuditedTx;
use crate::db::codec::{timestamp, Corrupt};
use crate::db::sql::Sql;
use crate::db::{Backend, Db};
use crate::error::{CoreError, CoreResult};

/// The PostgreSQL advisory lock key that serializes appends ("GANTRYAU").
pub const AUDIT_LOCK_KEY: i64 = 0x4741_4E54_5259_4155;

/// Records read per query by [`verify`].
const VERIFY_PAGE: i64 = 500;

const MAX_TEXT_LEN: usize = 1024;
const MAX_ACTION_LEN: usize = 128;

const COLUMNS: &str = "id, at, actor, role, action, target, before_json, after_json, request_id, \
     prev_hash, hash, key_id, mac";

/// Appends `entry` to the chain on `conn` and returns the stored record.
///
/// `conn` is normally the open transaction of the change being recorded
/// (`&mut *tx`), so the record commits or rolls back with it; callers go
/// through [`AuditedTx`], whose commit also checkpoints the new head. On SQLite the append takes
/// the write lock if the transaction does not hold it yet; a transaction that
/// *read* before appending should write first (or begin with `BEGIN
/// IMMEDIATE`), else SQLite may refuse the upgrade with "database is locked"
/// and the whole transaction must be retried.
///
/// With an audit key on `db` ([`Db::with_audit`]) the record is MACed with the
/// current key; without one it is a legacy record, which is refused once the
/// log holds keyed records (it would break the chain).
///
/// Refuses (with [`CoreError::Invalid`]) a blank actor or target, an action that
/// is not dotted lower case (`roadmap.module.update`), text fields longer than
/// 1024 characters or containing NUL. `before`/`after` must never hold secrets.
pub(super) async fn append(
    conn: &mut AnyConnection,
    db: &Db,
    entry: &NewAuditEntry,
) -> CoreResult<AuditRecord> {
    validate_entry(entry)?;
    take_append_lock(conn, db.backend()).await?;
    let keyring = db.audit().keyring();

    let last: Option<HeadRow> =
        sqlx::query_as("SELECT id, at, hash, key_id, mac FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let now = now_millis();
    let (id, prev_hash, at) = match last {
        None => (1, GENESIS_PREV_HASH.to_owned(), now),
        Some(HeadRow {
            id: last_id,
            at: last_at,
            hash: last_hash,
            key_id: last_key,
            mac: last_mac,
        }) => {
            let id = last_id
                .checked_add(1)
                .ok_or_else(|| CoreError::Corrupt("audit_log ids are exhausted".into()))?;
            // Never earlier than the previous record, so that time order and
            // chain order agree even when replicas' clocks differ slightly.
            let at = if is_canonical_timestamp(&last_at) && last_at > now {
                last_at
            } else {
                now
            };
            // Not checkpointed here: it may be this transaction's own,
            // uncommitted record. [`commit`] checkpoints.
            let prev = match (&last_mac, keyring) {
                (Some(mac), Some(_)) => mac.clone(),
                (Some(_), None) => {
                    return Err(CoreError::Corrupt(format!(
                        "the audit log is keyed (record {last_id} was MACed with key {:?}) but no audit key is configured: set [audit] key",
                        last_key.unwrap_or_default()
                    )))
                }
                (None, _) => last_hash,
            };
            (id, prev, at)
        }
    };

    let mut record = AuditRecord {
        id,
        at,
        actor: entry.actor.clone(),
        role: entry.role.clone(),
        action: entry.action.clone(),
        target: entry.target.clone(),
        before: entry
            .before
            .as_ref()
            .filter(|v| !v.is_null())
            .map(canonical_json),
        after: entry
            .after
            .as_ref()
            .filter(|v| !v.is_null())
            .map(canonical_json),
        request_id: entry.request_id.clone(),
        prev_hash,
        hash: String::new(),
        key_id: keyring.map(|ring| ring.current().id().to_owned()),
        mac: None,
    };
    record.hash = record_hash(&record)?;
    record.mac = keyring
        .map(|ring| record_mac(ring.current(), &record))
        .transpose()?;

    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, role, action, target, before_json, after_json, \
         request_id, prev_hash, hash, key_id, mac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(record.id)
    .bind(&record.at)
    .bind(&record.actor)
    .bind(record.role.as_deref())
    .bind(&record.action)
    .bind(&record.target)
    .bind(json_text(record.before.as_ref())?)
    .bind(json_text(record.after.as_ref())?)
    .bind(record.request_id.as_deref())
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .bind(record.key_id.as_deref())
    .bind(record.mac.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(record)
}

/// Records the committed `record` as the chain's head in the checkpoint file,
/// when there is one. Never fails (see [`super::checkpoint`]).
pub(super) async fn checkpoint(db: &Db, record: &AuditRecord) {
    if let (Some(ring), Some(file), Some(mac)) = (
        db.audit().keyring(),
        &db.audit().checkpoint,
        record.mac.as_deref(),
    ) {
        file.record(ring.current(), record.id, mac).await;
    }
}

/// The `key_id` of the newest record: `None` for an empty log or a legacy
/// head. A server without a key must not start on a keyed log (every append
/// would be refused).
pub async fn newest_key_id(db: &Db) -> CoreResult<Option<String>> {
    let newest: Option<Option<String>> =
        sqlx::query_scalar("SELECT key_id FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(db.pool())
            .await?;
    Ok(newest.flatten())
}

/// A record in a transaction of its own, for actions that change nothing
/// else in the database (sign-in, sign-out).
pub async fn append_standalone(db: &Db, entry: &NewAuditEntry) -> CoreResult<AuditRecord> {
    AuditedTx::begin(db).await?.commit_with(entry).await
}

/// Walks the whole chain in id order, a page at a time, and reports the first
/// record that fails: ids must run 1, 2, 3, …; each keyed record's MAC must
/// verify under the key its `key_id` names (the keyring on `db`) and its hash
/// match; each legacy record's hash must match, and no legacy record may follow
/// a keyed one; each `prev_hash` must be the previous record's link.
///
/// Then the checkpoint file (read first, so that records appended meanwhile
/// cannot look like a cut): every valid line must name a record of the chain
/// with the same MAC (records cut off, then replaced by later appends, fail
/// here), and a chain that ends before its highest id was cut
/// ([`VerifyReport::Cut`]). Without a checkpoint file, removing the newest
/// records cannot be detected ([`CheckpointCheck::NotConfigured`]).
pub async fn verify(db: &Db) -> CoreResult<VerifyReport> {
    let keyring = db.audit().keyring();
    let checkpoint_read = match (keyring, db.audit().checkpoint_path()) {
        (Some(ring), Some(path)) => {
            let (ring, path) = (ring.clone(), path.to_owned());
            let read = tokio::task::spawn_blocking(move || read_checkpoints(&path, &ring))
                .await
                .map_err(|e| CoreError::Corrupt(format!("reading the checkpoint file: {e}")))??;
            Some(read)
        }
        _ => None,
    };
    // Every checkpointed (id, MAC), in id order, consumed as the walk passes.
    let mut checkpoints = checkpoint_read
        .as_ref()
        .map(|r| r.entries.as_slice())
        .unwrap_or_default()
        .iter()
        .peekable();

    let mut expected_id: i64 = 1;
    let mut last_seen = i64::MIN;
    let mut prev_hash = GENESIS_PREV_HASH.to_owned();
    let mut checked: u64 = 0;
    let mut legacy: u64 = 0;
    let mut keyed_seen = false;
    let broken = |id: i64, reason: String, checked: u64| {
        Ok(VerifyReport::Broken {
            id,
            reason,
            records_checked: checked,
        })
    };
    loop {
        let rows = sqlx::query_as::<_, AuditRow>(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(last_seen)
        .bind(VERIFY_PAGE)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let id = row.id;
            last_seen = id;
            if id < expected_id {
                return broken(id, format!("unexpected id {id}: ids start at 1"), checked);
            }
            if id > expected_id {
                let reason = if id == expected_id + 1 {
                    format!("record {expected_id} is missing")
                } else {
                    format!("records {expected_id} to {} are missing", id - 1)
                };
                return broken(expected_id, reason, checked);
            }
            let record = match AuditRecord::try_from(row) {
                Ok(record) => record,
                Err(Corrupt(detail)) => {
                    return broken(id, format!("{detail}: the record was edited"), checked)
                }
            };
            match (&record.key_id, &record.mac) {
                (None, None) if keyed_seen => {
                    return broken(
                        id,
                        "unkeyed (legacy) record after keyed records (rewritten without the key?)"
                            .into(),
                        checked,
                    )
                }
                (None, None) => legacy += 1,
                (Some(key_id), Some(mac)) => {
                    let Some(ring) = keyring else {
                        return broken(
                            id,
                            format!("MACed with key {key_id:?}, but no audit key is configured"),
                            checked,
                        );
                    };
                    let Some(key) = ring.get(key_id) else {
                        return broken(
                            id,
                            format!("unknown key {key_id:?}: neither [audit] key_id nor one of [audit] previous_keys"),
                            checked,
                        );
                    };
                    if !key.verifies(&canonical_bytes(&record)?, mac) {
                        return broken(id, "MAC does not match (edited?)".into(), checked);
                    }
                    keyed_seen = true;
                }
                _ => {
                    return broken(
                        id,
                        "key_id and mac must be both set or both empty (edited?)".into(),
                        checked,
                    )
                }
            }
            if record_hash(&record)? != record.hash {
                return broken(id, "hash does not match (edited?)".into(), checked);
            }
            if record.prev_hash != prev_hash {
                let reason = if id == 1 {
                    "prev_hash of the first record is not 64 zeros".to_owned()
                } else {
                    format!("prev_hash does not match record {}", id - 1)
                };
                return broken(id, reason, checked);
            }
            while let Some((at, mac)) = checkpoints.next_if(|(at, _)| *at <= id) {
                // (An id below this one cannot remain: ids run without gaps
                // from 1, and every line names an id of 1 or more.)
                if *at == id && record.mac.as_deref() != Some(hex::encode(mac).as_str()) {
                    return broken(
                        id,
                        "its MAC is not the one the checkpoint file records (rewritten?)".into(),
                        checked,
                    );
                }
            }
            prev_hash = record_link(&record).to_owned();
            expected_id += 1;
            checked += 1;
        }
    }
    let last_id = expected_id - 1;
    let path = || {
        db.audit()
            .checkpoint_path()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    let checkpoint = match checkpoint_read {
        None => CheckpointCheck::NotConfigured,
        Some(read) => match read.head {
            None => CheckpointCheck::Empty {
                path: path(),
                missing: read.missing,
                invalid_lines: read.invalid_lines,
            },
            Some(head) if head.id > last_id => {
                return Ok(VerifyReport::Cut {
                    last_id,
                    checkpoint_id: head.id,
                    records_checked: checked,
                })
            }
            Some(head) => CheckpointCheck::Matched {
                path: path(),
                id: head.id,
                invalid_lines: read.invalid_lines,
            },
        },
    };
    Ok(VerifyReport::Ok {
        records: checked,
        legacy_records: legacy,
        last_hash: prev_hash,
        checkpoint,
    })
}

/// Records matching `filter`, newest first, one page at a time: pass the
/// returned `next_before_id` as the next request's `before_id`. Keyset
/// pagination on `id` (never OFFSET), so every page costs the same.
pub async fn query(db: &Db, filter: &AuditFilter, page: &PageRequest) -> CoreResult<AuditPage> {
    let conditions = Conditions::parse(filter)?;
    if let Some(before_id) = page.before_id {
        if before_id < 1 {
            return Err(CoreError::Invalid(format!(
                "before_id must be a record id (1 or more), not {before_id}"
            )));
        }
    }
    let limit = page.clamped_limit() as usize;

    let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1"));
    if let Some(actor) = conditions.actor {
        sql.push(" AND actor = ").push_bind(actor);
    }
    match conditions.action {
        Some(ActionMatch::Exact(action)) => {
            sql.push(" AND action = ").push_bind(action);
        }
        Some(ActionMatch::Prefix { from, below }) => {
            sql.push(" AND action >= ").push_bind(from);
            if let Some(below) = below {
                sql.push(" AND action < ").push_bind(below);
            }
        }
        None => {}
    }
    if let Some(target) = conditions.target {
        sql.push(" AND target = ").push_bind(target);
    }
    if let Some(from) = conditions.from {
        sql.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = conditions.to {
        sql.push(" AND at < ").push_bind(to);
    }
    if let Some(before_id) = page.before_id {
        sql.push(" AND id < ").push_bind(before_id);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .push_bind(limit as i64 + 1);
    let (sql, args) = sql.into_parts()?;
    let rows: Vec<AuditRow> = sqlx::query_as_with(&sql, args).fetch_all(db.pool()).await?;
    let mut records = rows
        .into_iter()
        .map(AuditRecord::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let next_before_id = if records.len() > limit {
        records.truncate(limit);
        records.last().map(|r| r.id)
    } else {
        None
    };
    Ok(AuditPage {
        records,
        next_before_id,
    })
}

enum ActionMatch {
    Exact(String),
    /// `from <= action < below`: every action starting with `from`, in byte
    /// order (the columns' collation on both backends), served by the index.
    Prefix {
        from: String,
        below: Option<String>,
    },
}

/// A validated, normalized [`AuditFilter`].
struct Conditions {
    actor: Option<String>,
    action: Option<ActionMatch>,
    target: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl Conditions {
    fn parse(filter: &AuditFilter) -> CoreResult<Self> {
        let given = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
        let action = match given(&filter.action) {
            None => None,
            Some(action) => Some(match action.find('*') {
                None => ActionMatch::Exact(action),
                Some(star) if star == action.len() - 1 => {
                    let prefix = action[..star].to_owned();
                    if prefix.is_empty() {
                        return Err(CoreError::Invalid(
                            "action filter: give a prefix before `*` (roadmap.*), or no action filter".into(),
                        ));
                    }
                    ActionMatch::Prefix {
                        below: prefix_upper_bound(&prefix),
                        from: prefix,
                    }
                }
                Some(_) => {
                    return Err(CoreError::Invalid(format!(
                        "action filter {action:?}: `*` is only allowed once, at the end (roadmap.*)"
                    )))
                }
            }),
        };
        let from = given(&filter.from)
            .map(|t| filter_timestamp("from", &t))
            .transpose()?;
        let to = given(&filter.to)
            .map(|t| filter_timestamp("to", &t))
            .transpose()?;
        if let (Some(from), Some(to)) = (&from, &to) {
            if from >= to {
                return Err(CoreError::Invalid(format!(
                    "time range: from ({from}) must be earlier than to ({to})"
                )));
            }
        }
        Ok(Self {
            actor: given(&filter.actor),
            action,
            target: given(&filter.target),
            from,
            to,
        })
    }
}

/// The smallest string greater than every string starting with `prefix`, or
/// `None` when there is none (a prefix made only of `char::MAX`).
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// An RFC 3339 filter bound as stored text (UTC, milliseconds), rounded up to
/// the next millisecond when it is finer, which keeps both `at >= from` and
/// `at < to` exact.
fn filter_timestamp(name: &str, value: &str) -> CoreResult<String> {
    let parsed = DateTime::parse_from_rfc3339(value).map_err(|e| {
        CoreError::Invalid(format!(
            "{name}: {value:?} is not an RFC 3339 timestamp like 2026-11-25T09:30:00Z ({e})"
        ))
    })?;
    let mut utc = parsed.with_timezone(&Utc);
    let sub_milli = utc.timestamp_subsec_nanos() % 1_000_000;
    if sub_milli != 0 {
        utc += chrono::Duration::nanoseconds(i64::from(1_000_000 - sub_milli));
    }
    if !(0..=9999).contains(&utc.year()) {
        return Err(CoreError::Invalid(format!(
            "{name}: {value:?} is outside the years 0000 to 9999 (in UTC)"
        )));
    }
    Ok(timestamp(utc))
}

fn now_millis() -> String {
    timestamp(Utc::now())
}

/// `2026-11-25T09:30:00.123Z`: the form `append` writes, which sorts as text.
fn is_canonical_timestamp(text: &str) -> bool {
    DateTime::parse_from_rfc3339(text)
        .map(|t| timestamp(t.with_timezone(&Utc)) == text)
        .unwrap_or(false)
}

/// Serializes writers that will append to the audit log: on PostgreSQL an
/// advisory transaction lock; on SQLite the write lock, taken now so that a
/// transaction that reads before it writes cannot fail on the upgrade. Call it
/// first in a transaction that reads, then changes data and appends a record.
pub(super) async fn lock_for_write(conn: &mut AnyConnection, backend: Backend) -> CoreResult<()> {
    take_append_lock(conn, backend).await
}

async fn take_append_lock(conn: &mut AnyConnection, backend: Backend) -> CoreResult<()> {
    match backend {
        Backend::Postgres => {
            sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)")
                .bind(AUDIT_LOCK_KEY)
                .fetch_one(&mut *conn)
                .await?;
        }
        Backend::Sqlite => {
            // Changes no row (so the append-only trigger never fires), but as a
            // write it takes SQLite's write lock now, waiting for busy_timeout,
            // instead of failing when the INSERT below would upgrade a read.
            sqlx::query("UPDATE audit_log SET id = id WHERE 1 = 0")
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

fn validate_entry(entry: &NewAuditEntry) -> CoreResult<()> {
    let text = |name: &str, value: &str, required: bool| -> CoreResult<()> {
        if required && value.trim().is_empty() {
            return Err(CoreError::Invalid(format!("audit {name} is empty")));
        }
        if value.chars().count() > MAX_TEXT_LEN {
            return Err(CoreError::Invalid(format!(
                "audit {name} is longer than {MAX_TEXT_LEN} characters"
            )));
        }
        if value.contains('\0') {
            return Err(CoreError::Invalid(format!(
                "audit {name} contains a NUL character"
            )));
        }
        Ok(())
    };
    text("actor", &entry.actor, true)?;
    text("target", &entry.target, true)?;
    if let Some(role) = &entry.role {
        text("role", role, false)?;
    }
    if let Some(request_id) = &entry.request_id {
        text("request_id", request_id, false)?;
    }
    let action = &entry.action;
    let well_formed = !action.is_empty()
        && action.len() <= MAX_ACTION_LEN
        && action.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        });
    if !well_formed {
        return Err(CoreError::Invalid(format!(
            "audit action {action:?}: use dotted lower-case words (roadmap.module.update), at most {MAX_ACTION_LEN} characters"
        )));
    }
    Ok(())
}

fn json_text(value: Option<&serde_json::Value>) -> CoreResult<Option<String>> {
    value
        .map(|v| serde_json::to_string(&canonical_json(v)))
        .transpose()
        .map_err(|e| CoreError::Corrupt(format!("audit JSON: {e}")))
}

/// A nullable JSON text column of the audit log.
fn json_column(column: &str, text: Option<String>) -> Result<Option<serde_json::Value>, Corrupt> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| Corrupt(format!("{column} is not valid JSON ({e})")))
    })
    .transpose()
}

/// The newest record's link fields, which the next append chains to.
#[derive(sqlx::FromRow)]
struct HeadRow {
    id: i64,
    at: String,
    hash: String,
    key_id: Option<String>,
    mac: Option<String>,
}

/// One `audit_log` row as stored ([`COLUMNS`]).
#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: String,
    actor: String,
    role: Option<String>,
    action: String,
    target: String,
    before_json: Option<String>,
    after_json: Option<String>,
    request_id: Option<String>,
    prev_hash: String,
    hash: String,
    key_id: Option<String>,
    mac: Option<String>,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = Corrupt;

    fn try_from(row: AuditRow) -> Result<Self, Corrupt> {
        Ok(AuditRecord {
            id: row.id,
            at: row.at,
            actor: row.actor,
            role: row.role,
            action: row.action,
            target: row.target,
            before: json_column("before_json", row.before_json)?,
            after: json_column("after_json", row.after_json)?,
            request_id: row.request_id,
            prev_hash: row.prev_hash,
            hash: row.hash,
            key_id: row.key_id,
            mac: row.mac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_upper_bounds() {
        assert_eq!(prefix_upper_bound("roadmap.").as_deref(), Some("roadmap/"));
        assert_eq!(
            prefix_upper_bound("a\u{d7ff}").as_deref(),
            Some("a\u{e000}")
        );
        assert_eq!(
            prefix_upper_bound(&format!("a{}", char::MAX)).as_deref(),
            Some("b")
        );
        assert_eq!(prefix_upper_bound(&char::MAX.to_string()), None);
    }

    #[test]
    fn filter_timestamps_normalize_to_stored_form() {
        assert_eq!(
            filter_timestamp("from", "2026-11-25T10:30:00+01:00").unwrap(),
            "2026-11-25T09:30:00.000Z"
        );
        assert_eq!(
            filter_timestamp("to", "2026-11-25T09:30:00.1234Z").unwrap(),
            "2026-11-25T09:30:00.124Z"
        );
        let err = filter_timestamp("from", "yesterday")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("from: \"yesterday\" is not an RFC 3339"),
            "{err}"
        );
        assert!(filter_timestamp("to", "9999-12-31T23:00:00-05:00").is_err());
    }

    #[test]
    fn actions_are_validated() {
        let ok = NewAuditEntry::new("alice", "roadmap.module.update", "module:waf");
        assert!(validate_entry(&ok).is_ok());
        for bad in [
            "",
            "Roadmap.import",
            "roadmap..import",
            "roadmap.*",
            ".x",
            "x.",
        ] {
            let entry = NewAuditEntry::new("alice", bad, "roadmap");
            assert!(validate_entry(&entry).is_err(), "{bad:?} accepted");
        }
        assert!(validate_entry(&NewAuditEntry::new(" ", "auth.sign_in", "user:a")).is_err());
        assert!(validate_entry(&NewAuditEntry::new("a\0", "auth.sign_in", "user:a")).is_err());
    }

    #[test]
    fn only_the_stored_timestamp_form_is_canonical() {
        assert!(is_canonical_timestamp("2026-11-25T09:30:00.123Z"));
        assert!(!is_canonical_timestamp("2026-11-25T09:30:00Z"));
        assert!(!is_canonical_timestamp("garbage"));
    }
}
