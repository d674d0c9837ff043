//! Plain HTTP routes outside Leptos, one file per area.

pub mod audit;
pub mod cost;
pub mod metrics;
pub mod roadmap;

use axum::http::StatusCode;
use gantry_core::auth::{Permission, Principal};

/// The signed-in user if they hold `permission`, else the refusal to send.
/// (The session middleware already refused anonymous requests; this is the
/// per-route permission check.)
pub fn require(
    user: Option<&Principal>,
    permission: Permission,
) -> Result<Principal, (StatusCode, String)> {
    match user {
        None => Err((StatusCode::UNAUTHORIZED, "sign in required".to_owned())),
        Some(u) if u.can(permission) => Ok(u.clone()),
        Some(_) => Err((
            StatusCode::FORBIDDEN,
            format!("your roles do not allow this ({permission:?})"),
        )),
    }
}
