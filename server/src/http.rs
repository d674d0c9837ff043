//! The HTTP surface: Leptos pages and server functions, the `/auth/*` routes,
//! plain routes (health, exports), and the layers around them.

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use gantry_core::Services;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::auth::{self, AuthState};
use crate::routes;
use crate::security::{self, CspNonce, SecurityPolicy};

/// Largest request body accepted (server-function arguments, later uploads).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub auth: AuthState,
    pub ops: OpsState,
    /// Cost Explorer ingestion (single-flight); `None` when `[cost]` is off.
    pub cost: Option<gantry_core::cost::refresh::CostRefresher>,
    /// Asks the health poller for a poll now; `None` when `[health]` is off.
    pub poll: Option<gantry_core::health::poll::PollTrigger>,
    pub jobs: JobsState,
}

/// The jobs engine as the routes see it: what planning needs, and the
/// liveness of this process's workers (for `/readyz` and `/metrics`).
#[derive(Clone, Debug)]
pub struct JobsState {
    pub handle: gantry_core::jobs::service::JobsHandle,
    /// One per claim loop in this process (none when `[jobs] enabled = false`).
    pub workers: std::sync::Arc<[std::sync::Arc<gantry_core::jobs::liveness::WorkerLiveness>]>,
    /// A worker silent for longer is reported dead by `/readyz`.
    pub max_silence: std::time::Duration,
    /// The jobs' open event streams, at most so many per person.
    pub streams: crate::routes::jobs::EventStreams,
}

impl JobsState {
    /// Jobs can be planned and requested here, and no worker runs in this
    /// process.
    pub fn without_workers(handle: gantry_core::jobs::service::JobsHandle) -> Self {
        Self {
            handle,
            workers: std::sync::Arc::new([]),
            max_silence: std::time::Duration::from_secs(60),
            streams: crate::routes::jobs::EventStreams::default(),
        }
    }
}

/// What the operations routes (`/metrics`) read.
#[derive(Clone, Debug)]
pub struct OpsState {
    /// Every AWS request the server sent.
    pub aws_calls: gantry_core::aws::AwsCallCounter,
    pub metrics_token: Option<secrecy::SecretString>,
    pub poll_interval: std::time::Duration,
}

/// What every Leptos render and server function gets in its context: the core
/// services, and this request's CSP nonce for the hydration scripts.
fn leptos_context(state: &AppState) -> impl Fn() + Clone + Send + 'static {
    let (services, cost, poll, jobs) = (
        state.services.clone(),
        state.cost.clone(),
        state.poll.clone(),
        state.jobs.handle.clone(),
    );
    move || {
        provide_context(services.clone());
        provide_context(jobs.clone());
        if let Some(cost) = &cost {
            provide_context(cost.clone());
        }
        if let Some(poll) = &poll {
            provide_context(poll.clone());
        }
        if let Some(parts) = use_context::<axum::http::request::Parts>() {
            if let Some(CspNonce(nonce)) = parts.extensions.get::<CspNonce>() {
                provide_context(leptos::nonce::Nonce::from_value(nonce.as_str()));
            }
        }
    }
}

/// The app's routes, generated once per process.
///
/// Generating them sets a process-wide flag in Leptos (`SuppressResourceLoad`)
/// under which every resource created meanwhile waits forever
/// (leptos-rs/leptos#4773). Generated per router, a page rendering in another
/// router at that moment (the tests build one per test, in parallel) hung
/// about one run in three. Generated once, before any router exists, no page
/// can render while the flag is up.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let policy = SecurityPolicy {
        public_origin: state.auth.public_origin.clone(),
        extra_form_action: state.auth.oidc.as_ref().and_then(|p| p.origin()),
        hsts: state.auth.public_url.scheme() == "https",
    };
    let hosts = state.auth.hosts.clone();
    let session_state = (state.auth.clone(), state.services.clone());
    // The JS, WASM and CSS, sent precompressed (.br, .gz written by the build)
    // when the browser accepts it, instead of compressed on every request.
    let pkg_dir = std::path::Path::new(&*state.leptos_options.site_root)
        .join(&*state.leptos_options.site_pkg_dir);
    let pkg = ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    // Content-hashed names never change content: cache them for a year.
    let pkg = tower::ServiceBuilder::new()
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static(if state.leptos_options.hash_files {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                }),
            ),
        )
        .service(pkg);
    Router::new()
        .nest_service("/pkg", pkg)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(routes::readyz::readyz))
        .route("/metrics", get(routes::metrics::metrics))
        .route("/roadmap/export.md", get(routes::roadmap::export_markdown))
        .route("/audit/{file}", get(routes::audit::export))
        .route("/cost/export/{file}", get(routes::cost::export))
        .route("/jobs/{id}/events", get(routes::jobs::events))
        .merge(auth::routes::router())
        .leptos_routes_with_context(&state, routes, leptos_context(&state), {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(leptos_context(&state), app::shell))
        // Innermost first: a refused plain form post said in words, who is
        // asking, then the body limit, the origin check, the security
        // headers, the Host check; compression, logs (with the request id);
        // the request id, always the server's own.
        .layer(axum::middleware::from_fn(crate::forms::refusals_in_words))
        .layer(axum::middleware::from_fn_with_state(
            session_state,
            auth::middleware::authenticate,
        ))
        .layer(axum::middleware::from_fn(limit_body))
        .layer(axum::middleware::from_fn_with_state(
            policy.clone(),
            security::same_origin_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            policy,
            security::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            hosts,
            security::known_host_only,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(take_client_request_id))
        .with_state(state)
}

/// Buffers the request body up to [`MAX_BODY_BYTES`] and answers 413 beyond,
/// whether or not the client sent a Content-Length (a chunked body included),
/// so no handler ever sees a truncated body as an internal error.
async fn limit_body(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(axum::extract::Request::from_parts(
                parts,
                axum::body::Body::from(bytes),
            ))
            .await
        }
        Err(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body larger than {MAX_BODY_BYTES} bytes"),
        )
            .into_response(),
    }
}

/// What a client sent as `X-Request-Id`, kept apart from the server's id:
/// only for correlating logs, never recorded as the request id.
#[derive(Clone, Debug)]
pub struct ClientRequestId(pub String);

/// Longest client request id kept (a UUID is 36).
const MAX_CLIENT_REQUEST_ID: usize = 64;

/// Removes the client's `X-Request-Id` so the server always sets its own;
/// a well-formed one (up to 64 of `A-Za-z0-9-_.:`) is kept as
/// [`ClientRequestId`] for the log.
async fn take_client_request_id(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(value) = request.headers_mut().remove("x-request-id") {
        let kept = value.to_str().ok().filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_CLIENT_REQUEST_ID
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        });
        if let Some(kept) = kept {
            let kept = ClientRequestId(kept.to_owned());
            request.extensions_mut().insert(kept);
        }
    }
    next.run(request).await
}

/// The log span of a request: method, path, the server's request id and the
/// client's, if it sent a well-formed one.
fn request_span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let client_request_id = request
        .extensions()
        .get::<ClientRequestId>()
        .map(|c| c.0.as_str())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
        client_request_id,
    )
}
