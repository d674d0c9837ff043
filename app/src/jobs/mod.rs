//! Jobs: the list (`/jobs`), the form that plans and confirms a job
//! (`/jobs/new`), and a job's page (`/jobs/:id`) with its steps, plan diff
//! and log, live while it runs.

pub mod api;
pub mod detail;
pub mod dto;
pub mod list;
pub mod new;
pub mod panel;

use gantry_wire::{JobState, StepState};
use leptos::prelude::*;

const SUCCEEDED: &str = "bg-emerald-100 text-emerald-800 ring-emerald-600/20";
const RUNNING: &str = "bg-sky-100 text-sky-800 ring-sky-600/20";
const WAITING: &str = "bg-slate-100 text-slate-700 ring-slate-500/20";
const FAILED: &str = "bg-rose-100 text-rose-800 ring-rose-600/20";

/// A job's state: text and colour, never colour alone.
#[component]
pub fn JobStateBadge(state: JobState) -> impl IntoView {
    let (label, colours) = match state {
        JobState::Succeeded => ("Succeeded", SUCCEEDED),
        JobState::Running => ("Running", RUNNING),
        JobState::Queued => ("Queued", WAITING),
        JobState::AwaitingApproval => (
            "Awaiting approval",
            "bg-amber-100 text-amber-900 ring-amber-600/20",
        ),
        JobState::Failed => ("Failed", FAILED),
        JobState::Stuck => ("Stuck", FAILED),
        JobState::RolledBack => (
            "Rolled back",
            "bg-orange-100 text-orange-900 ring-orange-600/20",
        ),
        JobState::Stale => (
            "Stale plan",
            "bg-amber-100 text-amber-900 ring-amber-600/20",
        ),
        JobState::Cancelled => ("Cancelled", "bg-zinc-200 text-zinc-700 ring-zinc-500/20"),
    };
    view! { <StateBadge word=state.as_str() label colours /> }
}

/// One step's state, in the job badge's colours.
#[component]
pub fn StepStateBadge(state: StepState) -> impl IntoView {
    let (label, colours) = match state {
        StepState::Succeeded => ("Succeeded", SUCCEEDED),
        StepState::Running => ("Running", RUNNING),
        StepState::Pending => ("Pending", WAITING),
        StepState::Failed => ("Failed", FAILED),
        StepState::Skipped => ("Skipped", "bg-zinc-100 text-zinc-700 ring-zinc-500/20"),
    };
    view! { <StateBadge word=state.as_str() label colours /> }
}

#[component]
fn StateBadge(word: &'static str, label: &'static str, colours: &'static str) -> impl IntoView {
    view! {
        <span
            data-state=word
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
