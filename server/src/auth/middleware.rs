//! Resolves the session cookie on every request and refuses anonymous ones.
//!
//! Pages answer a redirect to the sign-in page; server functions and other
//! API routes answer 401. Only the sign-in routes, the health check and the
//! static assets are public. Each server function still checks its own
//! permission on its first line: this layer only guarantees a signed-in user.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use gantry_core::auth::refresh::RoleRefresh;
use gantry_core::auth::{session, SessionToken};
use gantry_core::Services;

use super::AuthState;

/// Paths anyone may request.
pub fn is_public(path: &str) -> bool {
    path == "/healthz"
        || path == "/readyz"
        // Checks its own bearer token or admin session (routes/metrics.rs).
        || path == "/metrics"
        || path == "/favicon.svg"
        || path.starts_with("/auth/")
        || path.starts_with("/pkg/")
}

/// The live session behind a request, if any (set by [`authenticate`]).
#[derive(Clone, Debug)]
pub struct SessionCookie(pub String);

pub async fn authenticate(
    State((auth, services)): State<(AuthState, Services)>,
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(cookie) = jar.get(auth.session_cookie) {
        let token = SessionToken::from_cookie(cookie.value());
        let request_id = super::routes::request_id(request.headers());
        let live = match session::lookup(&services.db, &auth.sessions, &token).await {
            Ok(Some(live)) => {
                super::refresh::check_roles(&auth, &services, &token, live, request_id).await
            }
            Ok(None) => Ok(RoleRefresh::Ended {
                reason: String::new(),
            }),
            Err(e) => Err(e),
        };
        match live {
            Ok(RoleRefresh::Active(principal)) => {
                request.extensions_mut().insert(principal);
                request
                    .extensions_mut()
                    .insert(SessionCookie(cookie.value().to_owned()));
            }
            Ok(RoleRefresh::Limited { principal, reason }) => {
                request.extensions_mut().insert(principal);
                request
                    .extensions_mut()
                    .insert(gantry_core::auth::RolesLimited(reason));
                request
                    .extensions_mut()
                    .insert(SessionCookie(cookie.value().to_owned()));
            }
            Ok(RoleRefresh::Ended { .. }) => {}
            Err(e) => {
                tracing::error!(error = ?e, "session lookup failed");
                return (StatusCode::SERVICE_UNAVAILABLE, "session store unavailable")
                    .into_response();
            }
        }
    }
    let path = request.uri().path();
    let signed_in = request
        .extensions()
        .get::<gantry_core::auth::Principal>()
        .is_some();
    if signed_in || is_public(path) {
        return next.run(request).await;
    }
    if wants_page(&request) {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", &target)
            .finish();
        return Redirect::to(&format!("/auth/sign-in?{query}")).into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"sign in required"}"#,
    )
        .into_response()
}

/// A browser navigating to a page (as opposed to an API or server-function call).
fn wants_page(request: &Request) -> bool {
    request.method() == Method::GET
        && !request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}
