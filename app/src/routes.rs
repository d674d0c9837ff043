//! Pages whose code is loaded on demand. The roadmap matrix — the page most
//! visits start on — ships in the main WebAssembly; every other page is a
//! lazy route whose code the site build (`site-build`, run by `scripts/lib.sh` `build_site`) moves into
//! chunks (`pkg/split_*.wasm` and the shared `pkg/chunk_*.wasm`, loaded through
//! `pkg/__wasm_split.*.js`) fetched the first time the page is shown. A
//! server-rendered first visit to one of these pages names its chunks in
//! `<link rel="preload">` tags (`preload_chunks`), so they download beside
//! the main WASM instead of after it.
//!
//! Only thin wrappers live here; the pages themselves stay in their areas.
//! Each page creates its own resources, so on a client-side navigation its
//! data is requested once its chunk has arrived.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::approvals::inbox::ApprovalsPage;
use crate::audit::page::AuditPage;
use crate::cost::page::CostPage;
use crate::environments::detail::EnvironmentPage;
use crate::environments::list::EnvironmentsPage;
use crate::jobs::detail::JobPage;
use crate::jobs::list::JobsPage;
use crate::jobs::new::NewJobPage;
use crate::roadmap::board::BoardPage;
use crate::roadmap::detail::ModulePage;
use crate::roadmap::timeline::TimelinePage;

/// `/roadmap/board`.
#[derive(Debug)]
pub struct BoardRoute;

#[lazy_route]
impl LazyRoute for BoardRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <BoardPage /> }.into_any()
    }
}

/// `/roadmap/steps`.
#[derive(Debug)]
pub struct StepsRoute;

#[lazy_route]
impl LazyRoute for StepsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <crate::roadmap::steps::StepsPage /> }.into_any()
    }
}

/// `/roadmap/history`.
#[derive(Debug)]
pub struct EditionsRoute;

#[lazy_route]
impl LazyRoute for EditionsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <crate::roadmap::editions::EditionsPage /> }.into_any()
    }
}

/// `/roadmap/timeline`.
#[derive(Debug)]
pub struct TimelineRoute;

#[lazy_route]
impl LazyRoute for TimelineRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <TimelinePage /> }.into_any()
    }
}

/// `/roadmap/modules/:slug`.
#[derive(Debug)]
pub struct ModuleRoute;

#[lazy_route]
impl LazyRoute for ModuleRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <ModulePage /> }.into_any()
    }
}

/// `/audit`.
#[derive(Debug)]
pub struct AuditRoute;

#[lazy_route]
impl LazyRoute for AuditRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <AuditPage /> }.into_any()
    }
}

/// `/cost`.
#[derive(Debug)]
pub struct CostRoute;

#[lazy_route]
impl LazyRoute for CostRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <CostPage /> }.into_any()
    }
}

/// `/environments`.
#[derive(Debug)]
pub struct EnvironmentsRoute;

#[lazy_route]
impl LazyRoute for EnvironmentsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <EnvironmentsPage /> }.into_any()
    }
}

/// `/environments/:name`.
#[derive(Debug)]
pub struct EnvironmentRoute;

#[lazy_route]
impl LazyRoute for EnvironmentRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <EnvironmentPage /> }.into_any()
    }
}

/// `/approvals`.
#[derive(Debug)]
pub struct ApprovalsRoute;

#[lazy_route]
impl LazyRoute for ApprovalsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <ApprovalsPage /> }.into_any()
    }
}

/// `/jobs`.
#[derive(Debug)]
pub struct JobsRoute;

#[lazy_route]
impl LazyRoute for JobsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <JobsPage /> }.into_any()
    }
}

/// `/jobs/new`.
#[derive(Debug)]
pub struct NewJobRoute;

#[lazy_route]
impl LazyRoute for NewJobRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <NewJobPage /> }.into_any()
    }
}

/// `/jobs/:id`.
#[derive(Debug)]
pub struct JobRoute;

#[lazy_route]
impl LazyRoute for JobRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        preload_chunks();
        view! { <JobPage /> }.into_any()
    }
}

/// On the server, inside a lazy route's view: adds `<link rel="preload">` tags
/// for the chunks of the lazy code this response has used (this route's) to
/// the page's head, and a `modulepreload` of the split loader.
///
/// leptos_integration_utils 0.8.9 means to do this once the page is rendered,
/// but it calls `use_context` there outside the request's reactive owner,
/// where it usually finds nothing (no tags in 20 of 20 responses to /audit).
/// Here the lookup runs inside the route's owner; taking the set (leaving it
/// empty) keeps the integration from ever adding the same tags again.
#[cfg(feature = "ssr")]
fn preload_chunks() {
    use leptos::{PrefetchLazyFn, WasmSplitManifest};
    use leptos_meta::Link;

    let (Some(used), Some(manifest)) = (
        use_context::<PrefetchLazyFn>(),
        use_context::<WasmSplitManifest>(),
    ) else {
        // Not a split build (no manifest), or rendered outside a request.
        return;
    };
    let Some(used) = used
        .0
        .try_write_value()
        .map(|mut set| std::mem::take(&mut *set))
    else {
        return;
    };
    let Some(manifest) = manifest.0.try_read_value() else {
        return;
    };
    let (pkg_path, chunks_of, loader) = &*manifest;
    let mut chunks: Vec<&String> = used
        .iter()
        .filter_map(|split| chunks_of.get(*split))
        .flatten()
        .collect();
    chunks.sort();
    chunks.dedup();
    if chunks.is_empty() {
        return;
    }
    // `to_html()` of a leptos_meta tag renders nothing in place: it hands the
    // tag to the head of the response. The same credentials mode as the
    // loader's `fetch()` (same-origin), or the browser fetches a chunk twice.
    for chunk in chunks {
        let _ = view! {
            <Link
                rel="preload"
                href=format!("{pkg_path}/{chunk}.wasm")
                as_="fetch"
                type_="application/wasm"
                crossorigin="anonymous"
            />
        }
        .to_html();
    }
    let _ = view! { <Link rel="modulepreload" href=format!("{pkg_path}/{loader}") crossorigin="anonymous" /> }
        .to_html();
}

/// In the browser the chunks are already loading: nothing to add.
#[cfg(not(feature = "ssr"))]
fn preload_chunks() {}
