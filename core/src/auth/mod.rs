//! Authentication and authorization: who the user is (a [`Principal`] from an
//! OpenID Connect sign-in or the local development sign-in), what their roles
//! let them do ([`Permission`]), and server-side sessions.
//!
//! The OpenID Connect protocol itself (discovery, PKCE, ID token verification)
//! lives in the server crate, on the `openidconnect` crate; this module only
//! stores what a sign-in produced.

pub mod flow;
pub mod principal;
pub mod refresh;
pub mod role;
pub mod session;
pub mod sign_in;

pub use principal::Principal;

/// Set beside the [`Principal`] of a request whose session's roles could not
/// be confirmed past the grace ([`refresh::RoleRefresh::Limited`]): the
/// reason the pages show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolesLimited(pub String);
pub use role::{Permission, Role, RoleMapping};
pub use session::{NewSession, Session, SessionSettings, SessionToken};
/// Why [`require`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("sign in required")]
    SignedOut,
    #[error("your roles do not allow this ({0:?})")]
    Lacks(Permission),
}

impl crate::error::Refusal for Denied {
    fn answer(&self) -> crate::error::Answer {
        match self {
            Denied::SignedOut => crate::error::Answer::Unauthorized,
            Denied::Lacks(_) => crate::error::Answer::Forbidden(self.to_string()),
        }
    }
}

/// The one permission check, for server functions and plain routes alike:
/// the signed-in `user` if they hold `permission`; refused when signed out
/// or when their roles do not grant it.
pub fn require(user: Option<&Principal>, permission: Permission) -> Result<Principal, Denied> {
    match user {
        None => Err(Denied::SignedOut),
        Some(user) if user.can(permission) => Ok(user.clone()),
        Some(_) => Err(Denied::Lacks(permission)),
    }
}

/// 32 bytes from the operating system's CSPRNG, base64url without padding.
pub(crate) fn random_token() -> crate::CoreResult<String> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| crate::CoreError::Corrupt(format!("no randomness available: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 hex of a secret token: what the database stores instead of it.
pub(crate) fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}
