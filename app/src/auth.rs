//! Authorization for server functions: the first line of every server function
//! is `let user = require(Permission::…)?;`. The server's session middleware
//! put the signed-in [`Principal`] into the request; nothing here trusts the
//! browser.

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use gantry_core::auth::{Permission, Principal};
    use leptos::prelude::use_context;

    use crate::error::AppError;

    /// Sets the status of the server function's response to match the error.
    fn fail(error: AppError) -> AppError {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
        }
        error
    }

    /// The signed-in user, if the request carries a live session.
    pub fn current_user() -> Option<Principal> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Principal>().cloned())
    }

    /// The signed-in user if they hold `permission`; 401 when signed out, 403
    /// when their roles do not grant it.
    pub fn require(permission: Permission) -> Result<Principal, AppError> {
        let user = current_user().ok_or_else(|| fail(AppError::Unauthorized))?;
        if user.can(permission) {
            Ok(user)
        } else {
            Err(fail(AppError::Forbidden(format!(
                "your roles do not allow this ({permission:?})"
            ))))
        }
    }
}
