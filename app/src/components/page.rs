//! Page furniture: the header and the error panel.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn PageHeader(
    title: String,
    #[prop(optional, into)] subtitle: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight">{title}</h1>
                {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-600">{s}</p> })}
            </div>
            {children.map(|c| c())}
        </header>
    }
}

/// Shows an error from a server function. On the server it also sets the
/// response status (404 for a missing module, 500 for an internal error).
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let error = error.answered();
    let heading = match &error {
        AppError::Unauthorized => "Sign in required",
        AppError::Forbidden(_) => "Not allowed",
        AppError::NotFound(_) => "Not found",
        AppError::Invalid(_) => "Invalid request",
        AppError::Conflict(_) => "Changed meanwhile",
        AppError::RateLimited { .. } => "Too many requests",
        AppError::Upstream(_) => "AWS could not be read",
        AppError::Unavailable(_) => "Not available",
        AppError::Internal | AppError::ServerFn(_) => "Something went wrong",
    };
    view! {
        <div role="alert" class="rounded-lg border border-rose-200 bg-rose-50 p-4 text-rose-900">
            <h1 class="font-semibold">{heading}</h1>
            <p class="mt-1 text-sm">{error.to_string()}</p>
        </div>
    }
}

/// Loading placeholder for suspended content.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="text-sm text-slate-500" aria-live="polite">"Loading…"</p> }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn percent(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A list page's filters: a GET form of text inputs (`name`, label,
/// placeholder), each filled from the current query, and a Filter button.
#[component]
pub fn FilterForm(
    filters: &'static [(&'static str, &'static str, &'static str)],
    /// The form's grid (how many filters a row).
    grid: &'static str,
) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    view! {
        <leptos_router::components::Form method="GET" action="" attr:class=format!("mb-4 grid gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm {grid}")>
            {filters
                .iter()
                .map(|&(key, label, placeholder)| {
                    view! {
                        <label class="text-sm">
                            {label}
                            <input
                                name=key
                                placeholder=placeholder
                                value=move || query.get().get(key).unwrap_or_default()
                                class="mt-1 w-full rounded-md border border-slate-300 px-2 py-1 text-sm"
                            />
                        </label>
                    }
                })
                .collect_view()}
            <div class="flex items-end">
                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">"Filter"</button>
            </div>
        </leptos_router::components::Form>
    }
}
