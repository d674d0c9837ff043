#![recursion_limit = "256"]
//! Gantry's UI: the routes, pages and components, and the server functions the
//! pages call. Compiled twice: with `ssr` into the server, with `hydrate` into
//! the WebAssembly. Server-only code sits behind `#[cfg(feature = "ssr")]`.

pub mod approvals;
pub mod audit;
pub mod auth;
pub mod components;
pub mod cost;
pub mod environments;
pub mod error;
pub mod health;
pub mod jobs;
pub mod roadmap;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use components::layout::Layout;
use routes::{
    ApprovalsRoute, AuditRoute, BoardRoute, CostRoute, EditionsRoute, EnvironmentRoute,
    EnvironmentsRoute, JobRoute, JobsRoute, ModuleRoute, NewJobRoute, StepsRoute, TimelineRoute,
};

/// The HTML document around the app (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Runs only in the browser, once the page is interactive: lets tests (and
    // styles) tell a hydrated page from a server-rendered one.
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|text| format!("{text} · Gantry") />
        <Router>
            <Layout>
                <Routes fallback=|| view! { <components::not_found::NotFound /> }>
                    <Route path=path!("") view=|| view! { <Redirect path="/roadmap" /> } />
                    <Route path=path!("/roadmap") view=roadmap::matrix::MatrixPage ssr=SsrMode::Async />
                    <Route path=path!("/roadmap/board") view={Lazy::<BoardRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/roadmap/timeline") view={Lazy::<TimelineRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/roadmap/steps") view={Lazy::<StepsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/roadmap/history") view={Lazy::<EditionsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/cost") view={Lazy::<CostRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/environments") view={Lazy::<EnvironmentsRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/environments/:name")
                        view={Lazy::<EnvironmentRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/approvals") view={Lazy::<ApprovalsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/jobs") view={Lazy::<JobsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/jobs/new") view={Lazy::<NewJobRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/jobs/:id") view={Lazy::<JobRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/roadmap/modules/:slug")
                        view={Lazy::<ModuleRoute>::new()}
                        ssr=SsrMode::Async
                    />
                </Routes>
            </Layout>
        </Router>
    }
}

/// The core services the server put in the request's context.
#[cfg(feature = "ssr")]
pub(crate) fn services() -> Result<gantry_core::Services, error::AppError> {
    use_context::<gantry_core::Services>().ok_or_else(|| {
        tracing::error!("gantry_core::Services missing from the request context");
        error::AppError::Internal
    })
}
