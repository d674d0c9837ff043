//! Plain HTTP routes outside Leptos, one file per area.

pub mod audit;
pub mod cost;
pub mod error;
pub mod jobs;
pub mod metrics;
pub mod readyz;
pub mod roadmap;

use gantry_core::auth::{Permission, Principal};

pub use error::RouteError;

/// The signed-in user if they hold `permission`, else the refusal to send.
/// (The session middleware already refused anonymous requests; this is the
/// per-route permission check.)
pub fn require(user: Option<&Principal>, permission: Permission) -> Result<Principal, RouteError> {
    Ok(gantry_core::auth::require(user, permission)?)
}
