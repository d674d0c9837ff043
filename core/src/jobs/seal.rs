//! Sealing the SecureString values a person types into a configure job:
//! AES-256-GCM (ring) under the server's `[jobs] secrets_key`, with the
//! environment and the parameter's full name as associated data, so a
//! sealed value opens only for the parameter it was typed for. Between the
//! form and the worker a value exists only sealed: in the page, in the
//! job's stored request, never in a plan, a log line or an audit record.

use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use secrecy::{ExposeSecret, SecretString};

/// Seals and opens values; the key never leaves it (`Debug` hides it).
#[derive(Clone)]
pub struct Sealer {
    key: std::sync::Arc<LessSafeKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key>)")
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn aad(environment: &str, name: &str) -> String {
    format!("gantry-configure\n{environment}\n{name}")
}

impl Sealer {
    /// A sealer from a 32-byte key given as base64 (standard or URL-safe);
    /// the message says what is wrong, never the key.
    pub fn from_base64(key: &SecretString) -> Result<Self, String> {
        let raw = key.expose_secret().trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .or_else(|_| B64.decode(raw))
            .map_err(|_| "must be base64 (32 random bytes: openssl rand -base64 32)".to_owned())?;
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| format!("must be 32 bytes once decoded (got {})", bytes.len()))?;
        Ok(Self {
            key: std::sync::Arc::new(LessSafeKey::new(unbound)),
        })
    }

    /// `value` sealed for parameter `name` of `environment`: URL-safe base64
    /// of a random nonce and the ciphertext.
    pub fn seal(
        &self,
        environment: &str,
        name: &str,
        value: &SecretString,
    ) -> Result<String, String> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness: {e}"))?;
        let mut buffer = value.expose_secret().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(environment, name).as_bytes()),
                &mut buffer,
            )
            .map_err(|_| "sealing failed".to_owned())?;
        let mut token = nonce.to_vec();
        token.extend_from_slice(&buffer);
        Ok(B64.encode(token))
    }

    /// The value `token` seals for parameter `name` of `environment`, or an
    /// error when it was sealed for another parameter, another key, or
    /// altered.
    pub fn open(&self, environment: &str, name: &str, token: &str) -> Result<SecretString, String> {
        let refused = || format!("the sealed value for {name} does not open here: type it again");
        let bytes = B64.decode(token.trim()).map_err(|_| refused())?;
        if bytes.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut buffer = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(
                nonce,
                Aad::from(aad(environment, name).as_bytes()),
                &mut buffer,
            )
            .map_err(|_| refused())?;
        String::from_utf8(plain.to_vec())
            .map(SecretString::from)
            .map_err(|_| refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::from_base64(&SecretString::from(
            base64::engine::general_purpose::STANDARD.encode([byte; 32]),
        ))
        .unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_parameter_and_key() {
        let s = sealer(7);
        let value = SecretString::from("postgres://u:hunter2@db/booking".to_owned());
        let token = s.seal("dev", "/bb/dev/DATABASE_URL", &value).unwrap();
        assert!(!token.contains("hunter2"));
        assert_ne!(
            token,
            s.seal("dev", "/bb/dev/DATABASE_URL", &value).unwrap(),
            "a fresh nonce each time"
        );
        let opened = s.open("dev", "/bb/dev/DATABASE_URL", &token).unwrap();
        assert_eq!(opened.expose_secret(), value.expose_secret());
        // Moved to another parameter, another environment, another key, or altered: refused.
        assert!(s.open("dev", "/bb/dev/OTHER", &token).is_err());
        assert!(s.open("prod", "/bb/dev/DATABASE_URL", &token).is_err());
        assert!(sealer(8)
            .open("dev", "/bb/dev/DATABASE_URL", &token)
            .is_err());
        let mut altered = token.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(s
            .open(
                "dev",
                "/bb/dev/DATABASE_URL",
                &String::from_utf8(altered).unwrap()
            )
            .is_err());
        assert!(s
            .open("dev", "/bb/dev/DATABASE_URL", "not base64!")
            .is_err());
    }

    #[test]
    fn bad_keys_are_refused_without_showing_them() {
        let short = Sealer::from_base64(&SecretString::from("c2hvcnQ=".to_owned())).unwrap_err();
        assert!(short.contains("32 bytes"), "{short}");
        let junk = Sealer::from_base64(&SecretString::from("%%%".to_owned())).unwrap_err();
        assert!(junk.contains("base64") && !junk.contains("%%%"), "{junk}");
    }
}
