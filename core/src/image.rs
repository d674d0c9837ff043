//! Container image references, parsed at the edge: what a deploy job asks ECS
//! to run. `registry/repository:tag`, `registry/repository@sha256:…`, or
//! both. The grammar is the OCI distribution reference's; an image without a
//! tag or digest is refused (an implicit `latest` is not a deployable version).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest repository name (registry included), as the distribution spec says.
const MAX_NAME: usize = 255;
const MAX_TAG: usize = 128;

/// Why an image reference was refused; each message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    #[error("the image reference is empty")]
    Empty,
    #[error("the image reference must not contain whitespace or control characters")]
    Whitespace,
    #[error("the image reference needs a tag (\":1.4.2\") or a digest (\"@sha256:…\"); an implicit \"latest\" is not a version")]
    NoVersion,
    #[error("the repository name {0:?} is not valid: lower-case letters, digits and single separators (. _ __ -) between them, components joined by '/'")]
    Repository(String),
    #[error("the registry {0:?} is not a valid host[:port]")]
    Registry(String),
    #[error("the tag {0:?} is not valid: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")]
    Tag(String),
    #[error("the digest {0:?} is not valid: expected sha256: and 64 lower-case hex digits")]
    Digest(String),
    #[error("the repository name is longer than {MAX_NAME} characters")]
    TooLong,
}

/// A validated image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageRef {
    registry: Option<String>,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageRef {
    pub fn parse(raw: &str) -> Result<Self, ImageRefError> {
        if raw.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ImageRefError::Whitespace);
        }
        let (rest, digest) = match raw.split_once('@') {
            Some((rest, digest)) => (rest, Some(parse_digest(digest)?)),
            None => (raw, None),
        };
        // A ':' after the last '/' starts the tag; one before is a port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(parse_tag(&rest[at + 1..])?))
            }
            None => (rest, None),
        };
        if tag.is_none() && digest.is_none() {
            return Err(ImageRefError::NoVersion);
        }
        if name.len() > MAX_NAME {
            return Err(ImageRefError::TooLong);
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(parse_registry(first)?), path)
            }
            _ => (None, name),
        };
        if repository.is_empty() || !repository.split('/').all(valid_component) {
            return Err(ImageRefError::Repository(repository.to_owned()));
        }
        Ok(Self {
            registry,
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }

    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }
}

fn parse_digest(raw: &str) -> Result<String, ImageRefError> {
    let ok = raw.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ImageRefError::Digest(raw.to_owned()))
    }
}

fn parse_tag(raw: &str) -> Result<String, ImageRefError> {
    let mut bytes = raw.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    let rest_ok = raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if first_ok && rest_ok && raw.len() <= MAX_TAG {
        Ok(raw.to_owned())
    } else {
        Err(ImageRefError::Tag(raw.to_owned()))
    }
}

fn parse_registry(raw: &str) -> Result<String, ImageRefError> {
    let bad = || ImageRefError::Registry(raw.to_owned());
    let (host, port) = match raw.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (raw, None),
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if host.is_empty() || !host.split('.').all(label_ok) {
        return Err(bad());
    }
    Ok(raw.to_ascii_lowercase())
}

/// `[a-z0-9]+` joined by single separators: `.`, `_`, `__` or any run of `-`.
fn valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for ImageRef {
    type Error = ImageRefError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<ImageRef> for String {
    fn from(image: ImageRef) -> Self {
        image.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn good_references_parse_into_their_parts() {
        let ecr = ImageRef::parse(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/backend-booking/django:1.4.2",
        )
        .unwrap();
        assert_eq!(
            ecr.registry(),
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com")
        );
        assert_eq!(ecr.repository(), "backend-booking/django");
        assert_eq!(ecr.tag(), Some("1.4.2"));
        assert_eq!(ecr.digest(), None);

        let local = ImageRef::parse("localhost:5000/booking:dev_1").unwrap();
        assert_eq!(local.registry(), Some("localhost:5000"));
        assert_eq!(local.tag(), Some("dev_1"));

        let hub = ImageRef::parse("edoburu/pgbouncer:1.22").unwrap();
        assert_eq!(hub.registry(), None);
        assert_eq!(hub.repository(), "edoburu/pgbouncer");

        let pinned = ImageRef::parse(&format!("registry.example/app@{DIGEST}")).unwrap();
        assert_eq!(pinned.tag(), None);
        assert_eq!(pinned.digest(), Some(DIGEST));
        let both = format!("registry.example/my__app-x.y:2@{DIGEST}");
        assert_eq!(ImageRef::parse(&both).unwrap().to_string(), both);
    }

    #[test]
    fn malformed_references_are_refused_with_the_reason() {
        use ImageRefError as E;
        type Check = fn(&ImageRefError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| *e == E::Empty),
            ("booking", |e| *e == E::NoVersion),
            ("registry.example/booking", |e| *e == E::NoVersion),
            ("localhost:5000/booking", |e| *e == E::NoVersion),
            ("booking:1.0 ", |e| *e == E::Whitespace),
            ("book ing:1", |e| *e == E::Whitespace),
            ("booking:1\n", |e| *e == E::Whitespace),
            ("Booking:1", |e| matches!(e, E::Repository(_))),
            ("booking..x:1", |e| matches!(e, E::Repository(_))),
            ("booking/:1", |e| matches!(e, E::Repository(_))),
            ("-booking:1", |e| matches!(e, E::Repository(_))),
            ("registry.example/:1", |e| matches!(e, E::Repository(_))),
            ("booking:", |e| matches!(e, E::Tag(_))),
            ("booking:-1", |e| matches!(e, E::Tag(_))),
            ("booking:1/2", |e| *e == E::NoVersion),
            ("booking@sha256:abc", |e| matches!(e, E::Digest(_))),
            ("booking@md5:0123", |e| matches!(e, E::Digest(_))),
            ("reg_istry.example/booking:1", |e| {
                matches!(e, E::Registry(_))
            }),
            ("registry.example:99999x/booking:1", |e| {
                matches!(e, E::Registry(_))
            }),
        ];
        for (raw, expected) in cases {
            let err = ImageRef::parse(raw).unwrap_err();
            assert!(expected(&err), "{raw:?}: {err:?}");
        }
        let long = format!("{}:1", "a".repeat(256));
        assert_eq!(ImageRef::parse(&long).unwrap_err(), ImageRefError::TooLong);
        let long_tag = format!("booking:{}", "1".repeat(129));
        assert!(matches!(
            ImageRef::parse(&long_tag),
            Err(ImageRefError::Tag(_))
        ));
    }

    #[test]
    fn serde_goes_through_parse() {
        let ok: ImageRef = serde_json::from_str("\"booking:1\"").unwrap();
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"booking:1\"");
        assert!(serde_json::from_str::<ImageRef>("\"booking\"").is_err());
    }
}
