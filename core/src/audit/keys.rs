//! The secret keys that MAC the audit chain, and where the chain's head is
//! checkpointed.
//!
//! A key lives outside the database (`[audit] key` in the config, or
//! `GANTRY_AUDIT__KEY`), so someone who can only write to the database cannot
//! recompute the MACs of records they edit. Each record stores the short name
//! (`key_id`) of the key that MACed it; after a rotation, older keys stay in the
//! keyring (`[audit] previous_keys`) so older records still verify.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::checkpoint::CheckpointFile;

type HmacSha256 = Hmac<Sha256>;

/// The shortest key accepted, in bytes: HMAC-SHA256's block-strength secret.
pub const MIN_KEY_BYTES: usize = 32;

/// The longest key name.
const MAX_KEY_ID_LEN: usize = 32;

/// One named HMAC-SHA256 key. Its `Debug` shows the name only.
#[derive(Clone)]
pub struct AuditKey {
    id: String,
    secret: SecretString,
}

impl AuditKey {
    /// A key named `id` (1-32 of `A-Z a-z 0-9 . _ -`, starting with a letter or
    /// digit) whose secret is at least [`MIN_KEY_BYTES`] bytes. The message of
    /// a refusal never contains the secret.
    pub fn new(id: &str, secret: SecretString) -> Result<Self, String> {
        validate_key_id(id)?;
        let len = secret.expose_secret().len();
        if len < MIN_KEY_BYTES {
            return Err(format!(
                "key {id:?} is {len} bytes: at least {MIN_KEY_BYTES} are required (openssl rand -base64 48)"
            ));
        }
        Ok(Self {
            id: id.to_owned(),
            secret,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn hmac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        <HmacSha256 as Mac>::new_from_slice(self.secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"))
    }

    /// HMAC-SHA256 of `bytes`, lower-case hex.
    pub fn sign(&self, bytes: &[u8]) -> String {
        let mut mac = self.hmac();
        mac.update(bytes);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `mac_hex` is the HMAC of `bytes` under this key, compared in
    /// constant time (the `hmac` crate's `verify_slice`).
    pub fn verifies(&self, bytes: &[u8], mac_hex: &str) -> bool {
        let Ok(expected) = hex::decode(mac_hex) else {
            return false;
        };
        let mut mac = self.hmac();
        mac.update(bytes);
        mac.verify_slice(&expected).is_ok()
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

fn validate_key_id(id: &str) -> Result<(), String> {
    let well_formed = !id.is_empty()
        && id.len() <= MAX_KEY_ID_LEN
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "key id {id:?}: use 1-{MAX_KEY_ID_LEN} letters, digits, '.', '_' or '-', starting with a letter or digit"
        ))
    }
}

/// The current key (which MACs new records) and the previous ones (which only
/// verify older records).
#[derive(Debug, Clone)]
pub struct AuditKeyring {
    current: AuditKey,
    previous: Vec<AuditKey>,
}

impl AuditKeyring {
    /// Refuses two keys with the same id.
    pub fn new(current: AuditKey, previous: Vec<AuditKey>) -> Result<Self, String> {
        let mut ids = vec![current.id()];
        for key in &previous {
            if ids.contains(&key.id()) {
                return Err(format!("key id {:?} is given twice", key.id()));
            }
            ids.push(key.id());
        }
        Ok(Self { current, previous })
    }

    /// The key new records are MACed with.
    pub fn current(&self) -> &AuditKey {
        &self.current
    }

    /// The key named `id`, current or previous.
    pub fn get(&self, id: &str) -> Option<&AuditKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }
}

/// How the audit log is protected: set once on the [`crate::db::Db`] with
/// [`crate::db::Db::with_audit`]. The default (no key) writes legacy,
/// unkeyed SHA-256 records.
#[derive(Debug, Clone, Default)]
pub struct AuditSettings {
    pub keyring: Option<AuditKeyring>,
    /// Append-only JSON Lines file that records the chain's head after each
    /// append (needs a keyring: each line is MACed). `None`: removal of the
    /// newest records cannot be detected.
    pub checkpoint_file: Option<PathBuf>,
}

/// [`AuditSettings`] in use, shared by every clone of a `Db`.
#[derive(Debug, Default)]
pub struct AuditState {
    pub(crate) keyring: Option<AuditKeyring>,
    pub(crate) checkpoint: Option<CheckpointFile>,
}

impl AuditState {
    pub fn new(settings: AuditSettings) -> Arc<Self> {
        let checkpoint = match (&settings.keyring, settings.checkpoint_file) {
            (Some(_), Some(path)) => Some(CheckpointFile::new(path)),
            _ => None,
        };
        Arc::new(Self {
            keyring: settings.keyring,
            checkpoint,
        })
    }

    pub fn keyring(&self) -> Option<&AuditKeyring> {
        self.keyring.as_ref()
    }

    pub fn checkpoint_path(&self) -> Option<&std::path::Path> {
        self.checkpoint.as_ref().map(CheckpointFile::path)
    }

    /// Checkpoint writes that failed since start-up (each was logged).
    pub fn checkpoint_failures(&self) -> u64 {
        self.checkpoint.as_ref().map_or(0, CheckpointFile::failures)
    }
}

/// Fixed keys for tests. Never use them anywhere else.
pub mod testing {
    use secrecy::SecretString;

    use super::{AuditKey, AuditKeyring};

    /// A key named `id` whose secret is derived from `seed` (at least 32 bytes).
    pub fn key(id: &str, seed: &str) -> AuditKey {
        AuditKey::new(
            id,
            SecretString::from(format!("gantry-test-audit-key-{seed}-0123456789abcdef")),
        )
        .expect("test key is valid")
    }

    /// The keyring the test databases use: one key, `test`.
    pub fn keyring() -> AuditKeyring {
        AuditKeyring::new(key("test", "default"), Vec::new()).expect("test keyring")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn short_keys_and_bad_ids_are_refused_without_showing_the_secret() {
        let err = AuditKey::new("k1", secret("short-secret-value")).unwrap_err();
        assert!(err.contains("18 bytes"), "{err}");
        assert!(!err.contains("short-secret-value"), "{err}");
        assert!(AuditKey::new("k1", secret(&"x".repeat(31))).is_err());
        assert!(AuditKey::new("k1", secret(&"x".repeat(32))).is_ok());
        for bad in ["", "-k", "k 1", "k/1", &"k".repeat(33)] {
            assert!(
                AuditKey::new(bad, secret(&"x".repeat(32))).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = AuditKey::new("k1", secret("a-very-secret-value-of-32-bytes!!")).unwrap();
        let ring = AuditKeyring::new(key, Vec::new()).unwrap();
        let text = format!("{ring:?}");
        assert!(text.contains("k1"), "{text}");
        assert!(!text.contains("a-very-secret"), "{text}");
    }

    #[test]
    fn hmac_matches_an_independent_computation() {
        // Python: hmac.new(b"k"*32, b"gantry", hashlib.sha256).hexdigest()
        let key = AuditKey::new("k", secret(&"k".repeat(32))).unwrap();
        let mac = key.sign(b"gantry");
        assert_eq!(
            mac,
            "3122bb9412128c05a3cf35a3e3e8441ebeb5bb2debf4cb350157a6416c698b0a"
        );
        assert!(key.verifies(b"gantry", &mac));
        assert!(!key.verifies(b"gantry!", &mac));
        assert!(!key.verifies(b"gantry", "not hex"));
        let other = AuditKey::new("k", secret(&"j".repeat(32))).unwrap();
        assert!(!other.verifies(b"gantry", &mac));
    }

    #[test]
    fn keyring_finds_keys_by_id_and_refuses_duplicates() {
        let ring =
            AuditKeyring::new(testing::key("new", "a"), vec![testing::key("old", "b")]).unwrap();
        assert_eq!(ring.current().id(), "new");
        assert_eq!(ring.get("old").map(AuditKey::id), Some("old"));
        assert!(ring.get("other").is_none());
        assert!(AuditKeyring::new(testing::key("a", "1"), vec![testing::key("a", "2")]).is_err());
    }
}
