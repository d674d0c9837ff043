//! Jobs: the list (`/jobs`), the form that plans and confirms a job
//! (`/jobs/new`), and a job's page (`/jobs/:id`) with its steps, plan diff
//! and log, live while it runs.

pub mod api;
pub mod detail;
pub mod dto;
pub mod list;
pub mod new;
pub mod panel;

use leptos::prelude::*;

/// A job's state: text and colour, never colour alone.
#[component]
pub fn JobStateBadge(state: String) -> impl IntoView {
    let (label, colours) = match state.as_str() {
        "succeeded" => (
            "Succeeded",
            "bg-emerald-100 text-emerald-800 ring-emerald-600/20",
        ),
        "running" => ("Running", "bg-sky-100 text-sky-800 ring-sky-600/20"),
        "queued" => ("Queued", "bg-slate-100 text-slate-700 ring-slate-500/20"),
        "awaiting_approval" => (
            "Awaiting approval",
            "bg-amber-100 text-amber-900 ring-amber-600/20",
        ),
        "failed" => ("Failed", "bg-rose-100 text-rose-800 ring-rose-600/20"),
        "stuck" => ("Stuck", "bg-rose-100 text-rose-800 ring-rose-600/20"),
        "rolled_back" => (
            "Rolled back",
            "bg-orange-100 text-orange-900 ring-orange-600/20",
        ),
        "stale" => (
            "Stale plan",
            "bg-amber-100 text-amber-900 ring-amber-600/20",
        ),
        "cancelled" => ("Cancelled", "bg-zinc-200 text-zinc-700 ring-zinc-500/20"),
        "pending" => ("Pending", "bg-slate-100 text-slate-700 ring-slate-500/20"),
        "skipped" => ("Skipped", "bg-zinc-100 text-zinc-700 ring-zinc-500/20"),
        _ => ("Unknown", "bg-rose-100 text-rose-800 ring-rose-600/20"),
    };
    view! {
        <span
            data-state=state
            class=format!(
                "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset {colours}",
            )
        >
            {label}
        </span>
    }
}

/// Steps done out of all, as a bar with its numbers (a native `<progress>`:
/// no inline style, which the content security policy forbids).
#[component]
pub fn Progress(done: usize, steps: usize) -> impl IntoView {
    view! {
        <div class="flex items-center gap-2">
            <progress
                aria-label="Steps done"
                max=steps.max(1)
                value=done
                class="h-2 w-24 accent-indigo-600"
            ></progress>
            <span class="text-xs text-slate-700 tabular-nums">{format!("{done}/{steps}")}</span>
        </div>
    }
}
