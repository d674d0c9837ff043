//! The HTTP surface: Leptos pages and server functions, plus plain routes
//! (health, markdown export), and the layers around them.

use axum::extract::{FromRef, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use gantry_core::Services;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (server-function arguments, later uploads).
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let context_services = state.services.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/roadmap/export.md", get(export_markdown))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_services.clone()),
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let services = state.services.clone();
                move || provide_context(services.clone())
            },
            app::shell,
        ))
        .layer(axum::middleware::from_fn(limit_body))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
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

/// The roadmap as the team's markdown document, always current.
async fn export_markdown(State(services): State<Services>) -> Response {
    match gantry_core::roadmap::service::export_markdown(&services.db).await {
        Ok(markdown) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/markdown; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("inline; filename=\"infrastructure-status.md\""),
                ),
            ],
            markdown,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "markdown export failed");
            (StatusCode::INTERNAL_SERVER_ERROR, err.public_message()).into_response()
        }
    }
}
