//! Cross-site protection and security headers.
//!
//! - State-changing requests (anything but GET/HEAD/OPTIONS) must come from
//!   Gantry's own origin: `Sec-Fetch-Site: same-origin` when the browser sends
//!   it, else an `Origin` equal to the public URL's. Neither header → refused.
//!   An `Origin` header, when present, must be the public origin whatever
//!   `Sec-Fetch-Site` says.
//! - Every request must name Gantry's public host (or one of
//!   `server.allowed_hosts`) in `Host`/`:authority`: 421 otherwise, 400 without
//!   one. A DNS-rebound name pointing at the server is refused.
//! - Every response carries a Content-Security-Policy whose script source is a
//!   per-request nonce (Leptos puts it on its hydration scripts), plus
//!   frame-ancestors none, nosniff and a strict referrer policy; HSTS when the
//!   public URL is https; `Cache-Control: no-store` on everything but the
//!   content-hashed assets under `/pkg/`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::sync::Arc;

/// The CSP nonce of this request, for the Leptos context.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

#[derive(Clone, Debug)]
pub struct SecurityPolicy {
    /// `scheme://host[:port]` of the public URL.
    pub public_origin: String,
    /// Where a form may lead (sign-out redirects to the identity provider).
    pub extra_form_action: Option<String>,
    /// Send `Strict-Transport-Security` (the public URL is https).
    pub hsts: bool,
}

/// The `host[:port]` names a request may be addressed to.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    /// Lower-case host and port, default port filled in.
    allowed: Arc<Vec<(String, u16)>>,
    /// The public URL's scheme's default port (80 or 443).
    default_port: u16,
}

impl HostPolicy {
    /// The public URL's host, plus `extra` (`host[:port]` each).
    pub fn new(public: &url::Url, extra: &[String]) -> Result<Self, String> {
        let default_port = match public.scheme() {
            "https" => 443,
            _ => 80,
        };
        let host = public
            .host_str()
            .ok_or_else(|| format!("{public} has no host"))?;
        let port = public.port_or_known_default().unwrap_or(default_port);
        let mut allowed = vec![(host.to_ascii_lowercase(), port)];
        for raw in extra {
            allowed.push(
                parse_host(raw, default_port)
                    .ok_or_else(|| format!("{raw:?} is not a host[:port]"))?,
            );
        }
        Ok(Self {
            allowed: Arc::new(allowed),
            default_port,
        })
    }

    pub fn allows(&self, raw: &str) -> bool {
        parse_host(raw, self.default_port).is_some_and(|h| self.allowed.contains(&h))
    }
}

/// `host[:port]` as (lower-case host, port); `None` for anything else
/// (user info, a path, an empty host).
fn parse_host(raw: &str, default_port: u16) -> Option<(String, u16)> {
    if raw.contains(['@', '/', '?', '#']) || raw.trim() != raw {
        return None;
    }
    let authority: http::uri::Authority = raw.parse().ok()?;
    let host = authority.host();
    if host.is_empty() {
        return None;
    }
    Some((
        host.to_ascii_lowercase(),
        authority.port_u16().unwrap_or(default_port),
    ))
}

/// 421 for a request addressed to another host, 400 for one naming none.
pub async fn known_host_only(
    State(policy): State<HostPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let header = request.headers().get(header::HOST);
    let authority = request.uri().authority().map(|a| a.as_str().to_owned());
    if header.is_none() && authority.is_none() {
        return (StatusCode::BAD_REQUEST, "missing Host header").into_response();
    }
    let header_ok = header.is_none_or(|h| h.to_str().is_ok_and(|h| policy.allows(h)));
    let authority_ok = authority.as_deref().is_none_or(|a| policy.allows(a));
    if header_ok && authority_ok {
        return next.run(request).await;
    }
    tracing::warn!(host = ?header, authority = ?authority, "request for another host refused");
    (
        StatusCode::MISDIRECTED_REQUEST,
        "this server does not answer for that host",
    )
        .into_response()
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
        // An Origin is checked even beside `Sec-Fetch-Site: same-origin`:
        // "same origin" is the browser's view of a host name that may have
        // been rebound to us.
        (_, Some(o)) if o != policy.public_origin => Err(format!(
            "cross-site request refused: origin {o} is not {}",
            policy.public_origin
        )),
        (Some("same-origin"), _) => Ok(()),
        (Some(other), _) => Err(format!(
            "cross-site request refused (Sec-Fetch-Site: {other})"
        )),
        (None, Some(_)) => Ok(()),
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
    // The content-hashed assets keep their year-long caching; every page,
    // server-function answer and export may hold what only this user may see.
    let cacheable = request.uri().path().starts_with("/pkg/");
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
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// 128 random bits from the OS; `None` only if the OS has no randomness.
fn new_nonce() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::HostPolicy;

    #[test]
    fn hosts_compare_case_insensitively_with_default_ports() {
        let public = url::Url::parse("HTTPS://Gantry.Example.com").unwrap();
        let policy = HostPolicy::new(&public, &["10.0.1.5:8080".to_owned()]).unwrap();
        for ok in [
            "gantry.example.com",
            "GANTRY.example.COM",
            "gantry.example.com:443",
            "10.0.1.5:8080",
        ] {
            assert!(policy.allows(ok), "{ok}");
        }
        for refused in [
            "gantry.example.com:80",
            "gantry.example.com:8443",
            "evil.example",
            "gantry.example.com.evil.example",
            "user@gantry.example.com",
            "10.0.1.5",
            "",
            " gantry.example.com",
            "gantry.example.com/x",
        ] {
            assert!(!policy.allows(refused), "{refused:?}");
        }
        let http =
            HostPolicy::new(&url::Url::parse("http://127.0.0.1:3000").unwrap(), &[]).unwrap();
        assert!(http.allows("127.0.0.1:3000"));
        assert!(!http.allows("127.0.0.1"));
        assert!(!http.allows("localhost:3000"));
        let v6 = HostPolicy::new(&url::Url::parse("http://[::1]:3000").unwrap(), &[]).unwrap();
        assert!(v6.allows("[::1]:3000"));
    }
}
