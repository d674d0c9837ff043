//! Cross-site protection and security headers.
//!
//! - State-changing requests (anything but GET/HEAD/OPTIONS) must come from
//!   Gantry's own origin: `Sec-Fetch-Site: same-origin` when the browser sends
//!   it, else an `Origin` equal to the public URL's. Neither header → refused.
//! - Every response carries a Content-Security-Policy whose script source is a
//!   per-request nonce (Leptos puts it on its hydration scripts), plus
//!   frame-ancestors none, nosniff and a strict referrer policy.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// The CSP nonce of this request, for the Leptos context.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

#[derive(Clone, Debug)]
pub struct SecurityPolicy {
    /// `scheme://host[:port]` of the public URL.
    pub public_origin: String,
    /// Where a form may lead (sign-out redirects to the identity provider).
    pub extra_form_action: Option<String>,
}

pub async fn same_origin_only(
    State(policy): State<SecurityPolicy>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let verdict = match (fetch_site, origin) {
        (Some("same-origin"), _) => Ok(()),
        (Some(other), _) => Err(format!(
            "cross-site request refused (Sec-Fetch-Site: {other})"
        )),
        (None, Some(o)) if o == policy.public_origin => Ok(()),
        (None, Some(o)) => Err(format!(
            "cross-site request refused: origin {o} is not {}",
            policy.public_origin
        )),
        (None, None) => Err("cross-site request refused: no Origin header".to_owned()),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(message) => (StatusCode::FORBIDDEN, message).into_response(),
    }
}

pub async fn security_headers(
    State(policy): State<SecurityPolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(nonce) = new_nonce() else {
        tracing::error!("no randomness for the CSP nonce");
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let form_action = match &policy.extra_form_action {
        Some(idp) => format!("'self' {idp}"),
        None => "'self'".to_owned(),
    };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    response
}

/// 128 random bits from the OS; `None` only if the OS has no randomness.
fn new_nonce() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
