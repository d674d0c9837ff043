use leptos::prelude::*;
use leptos_meta::Title;

/// The page for an unknown address; answers 404 when rendered on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <div class="mx-auto max-w-xl py-16 text-center">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <p class="mt-2 text-slate-600">"Nothing lives at this address."</p>
            <a href="/roadmap" class="mt-6 inline-block text-indigo-700 underline">
                "Back to the roadmap"
            </a>
        </div>
    }
}
