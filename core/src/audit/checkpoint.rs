//! The checkpoint file: where the chain's head is kept out of the database's
//! reach, so that removing the newest records is detected.
//!
//! A MACed chain cannot, on its own, tell a shorter chain from a cut one. After
//! each append (once the record is committed) the head is appended to this file
//! as one JSON line:
//!
//! ```text
//! {"id":42,"mac":"<64 hex>","key_id":"k2","at":"2026-12-03T13:30:00.123Z","line_mac":"<64 hex>"}
//! ```
//!
//! `mac` is record 42's MAC; `line_mac` is the HMAC-SHA256, under key
//! `key_id`, of `{"format":"gantry.audit.checkpoint.v1","id":42,"mac":"…",
//! "key_id":"k2","at":"…"}` (that exact text), so a line cannot be forged or
//! altered without the key. [`super::store::verify`] checks every valid line:
//! the record it names must exist with that MAC (so records cut off and then
//! replaced by new appends are found too), and the chain must reach the highest
//! id. The lines are held in memory while verifying (about 40 bytes each).
//!
//! The file is opened append-only (mode 0600) and `fsync`ed after each line. A
//! write that fails is logged and counted, never failing the user's request.
//! Lines from several processes (server and CLI) may interleave; each must
//! agree with the chain. The file must live where the database role
//! cannot write (another volume or host for a real deployment); with several
//! replicas, each needs its own file or a shared external sink.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::keys::{AuditKey, AuditKeyring};
use crate::error::{CoreError, CoreResult};

const FORMAT: &str = "gantry.audit.checkpoint.v1";

/// One checkpoint: record `id` had MAC `mac` at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointEntry {
    pub id: i64,
    pub mac: String,
    /// The key that MACed the line.
    pub key_id: String,
    pub at: String,
}

#[derive(Serialize)]
struct MacInput<'a> {
    format: &'static str,
    id: i64,
    mac: &'a str,
    key_id: &'a str,
    at: &'a str,
}

#[derive(Serialize, Deserialize)]
struct Line {
    id: i64,
    mac: String,
    key_id: String,
    at: String,
    line_mac: String,
}

fn mac_input(entry: &CheckpointEntry) -> CoreResult<Vec<u8>> {
    serde_json::to_vec(&MacInput {
        format: FORMAT,
        id: entry.id,
        mac: &entry.mac,
        key_id: &entry.key_id,
        at: &entry.at,
    })
    .map_err(|e| CoreError::Corrupt(format!("audit checkpoint: {e}")))
}

/// The text of the line recording `entry`, MACed with `key` (newline included).
pub fn line_for(key: &AuditKey, id: i64, mac: &str, at: &str) -> CoreResult<String> {
    let entry = CheckpointEntry {
        id,
        mac: mac.to_owned(),
        key_id: key.id().to_owned(),
        at: at.to_owned(),
    };
    let line = Line {
        line_mac: key.sign(&mac_input(&entry)?),
        id: entry.id,
        mac: entry.mac,
        key_id: entry.key_id,
        at: entry.at,
    };
    let mut text = serde_json::to_string(&line)
        .map_err(|e| CoreError::Corrupt(format!("audit checkpoint: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// The writer of one checkpoint file, shared by every clone of a `Db`.
#[derive(Debug)]
pub struct CheckpointFile {
    path: PathBuf,
    /// The highest id written by this process: older heads are not written again.
    highest: Arc<Mutex<i64>>,
    failures: Arc<AtomicU64>,
}

impl CheckpointFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            highest: Arc::new(Mutex::new(0)),
            failures: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Appends a line saying the head is record `id` with `mac`, unless this
    /// process already wrote one for `id` or a later record. Call it only for
    /// committed records. Never fails: a failure is logged and counted.
    pub(crate) async fn record(&self, key: &AuditKey, id: i64, mac: &str) {
        if self.highest.lock().map(|h| *h >= id).unwrap_or(false) {
            return;
        }
        let at = crate::db::codec::timestamp(chrono::Utc::now());
        let line = match line_for(key, id, mac, &at) {
            Ok(line) => line,
            Err(e) => return self.failed(id, &e.to_string()),
        };
        let path = self.path.clone();
        let highest = self.highest.clone();
        let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            // Held while writing: lines of one process go out in id order.
            let mut highest = highest
                .lock()
                .map_err(|_| std::io::Error::other("checkpoint lock poisoned"))?;
            if *highest >= id {
                return Ok(());
            }
            append_line(&path, &line)?;
            *highest = id;
            Ok(())
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.failed(id, &e.to_string()),
            Err(e) => self.failed(id, &e.to_string()),
        }
    }

    fn failed(&self, id: i64, detail: &str) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::error!(
            path = %self.path.display(),
            record = id,
            failures,
            error = %detail,
            "cannot write the audit checkpoint file: removal of the newest audit records will not be detected until a later write succeeds"
        );
    }
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

/// What [`read_checkpoints`] found in a checkpoint file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpointRead {
    /// The valid line with the highest id.
    pub head: Option<CheckpointEntry>,
    /// Every valid line's (record id, record MAC), sorted, without repeats.
    pub entries: Vec<(i64, [u8; 32])>,
    /// Lines that do not parse, whose `line_mac` does not verify, or whose
    /// key is not in the keyring: ignored (a torn last line after a crash is
    /// one; anything else deserves a look).
    pub invalid_lines: u64,
    /// The file does not exist (yet).
    pub missing: bool,
}

/// Reads every line of `path`: the valid ones (sorted) and the newest of them.
pub fn read_checkpoints(path: &Path, keyring: &AuditKeyring) -> CoreResult<CheckpointRead> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(CheckpointRead {
                missing: true,
                ..CheckpointRead::default()
            })
        }
        Err(e) => {
            return Err(CoreError::Invalid(format!(
                "cannot read the audit checkpoint file {}: {e}",
                path.display()
            )))
        }
    };
    let mut read = CheckpointRead::default();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| {
            CoreError::Invalid(format!(
                "cannot read the audit checkpoint file {}: {e}",
                path.display()
            ))
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let valid = valid_entry(&line, keyring).and_then(|entry| {
            let mac: [u8; 32] = hex::decode(&entry.mac).ok()?.try_into().ok()?;
            Some((entry, mac))
        });
        match valid {
            Some((entry, mac)) => {
                read.entries.push((entry.id, mac));
                if read.head.as_ref().is_none_or(|h| entry.id > h.id) {
                    read.head = Some(entry);
                }
            }
            None => read.invalid_lines += 1,
        }
    }
    read.entries.sort_unstable();
    read.entries.dedup();
    Ok(read)
}

fn valid_entry(line: &str, keyring: &AuditKeyring) -> Option<CheckpointEntry> {
    let parsed: Line = serde_json::from_str(line).ok()?;
    let entry = CheckpointEntry {
        id: parsed.id,
        mac: parsed.mac,
        key_id: parsed.key_id,
        at: parsed.at,
    };
    let key = keyring.get(&entry.key_id)?;
    key.verifies(&mac_input(&entry).ok()?, &parsed.line_mac)
        .then_some(entry)
}

#[cfg(test)]
mod tests {
    use super::super::keys::testing;
    use super::*;

    fn temp_file(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gantry-checkpoint-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("checkpoint.jsonl")
    }

    #[tokio::test]
    async fn highest_valid_line_wins_and_forged_lines_are_ignored() {
        let path = temp_file("forged");
        let ring = testing::keyring();
        let file = CheckpointFile::new(path.clone());
        file.record(ring.current(), 3, &"a".repeat(64)).await;
        file.record(ring.current(), 2, &"b".repeat(64)).await; // older: skipped
        file.record(ring.current(), 4, &"c".repeat(64)).await;
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");

        // An attacker without the key appends a line claiming a later head, and
        // one signed with a key of the same name but another secret.
        let wrong = testing::key("test", "wrong");
        let forged = line_for(&wrong, 99, &"d".repeat(64), "2026-12-03T00:00:00.000Z").unwrap();
        let mut edited = line_for(ring.current(), 98, &"e".repeat(64), "x").unwrap();
        edited = edited.replace("\"id\":98", "\"id\":97");
        append_line(&path, &forged).unwrap();
        append_line(&path, &edited).unwrap();
        append_line(&path, "{\"id\":100,").unwrap();

        let read = read_checkpoints(&path, &ring).unwrap();
        assert_eq!(read.head.as_ref().map(|h| h.id), Some(4));
        assert_eq!(read.entries, vec![(3, [0xaa; 32]), (4, [0xcc; 32])]);
        assert_eq!(read.head.unwrap().mac, "c".repeat(64));
        assert_eq!(read.invalid_lines, 3);
        assert_eq!(file.failures(), 0);
    }

    #[tokio::test]
    async fn a_missing_file_is_reported_and_an_unwritable_one_counted() {
        let ring = testing::keyring();
        let read = read_checkpoints(&temp_file("missing"), &ring).unwrap();
        assert!(read.missing && read.head.is_none());

        // A directory where the file should be: every write fails, none panics.
        let path = temp_file("unwritable");
        std::fs::create_dir_all(&path).unwrap();
        let file = CheckpointFile::new(path);
        file.record(ring.current(), 1, &"a".repeat(64)).await;
        file.record(ring.current(), 2, &"a".repeat(64)).await;
        assert_eq!(file.failures(), 2);
    }
}
