//! Status and priority badges: colour and text, never colour alone.

use gantry_wire::{ModuleStatus, PriorityLevel};
use leptos::prelude::*;

/// A module's status in one environment.
#[component]
pub fn StatusBadge(status: ModuleStatus) -> impl IntoView {
    let (label, colours) = match status {
        ModuleStatus::Deployed => (
            "Deployed",
            "bg-emerald-100 text-emerald-800 ring-emerald-600/20",
        ),
        ModuleStatus::InProgress => ("In progress", "bg-sky-100 text-sky-800 ring-sky-600/20"),
        ModuleStatus::Ready => ("Ready", "bg-amber-100 text-amber-800 ring-amber-600/20"),
        ModuleStatus::Planned => ("Planned", "bg-slate-100 text-slate-700 ring-slate-500/20"),
        ModuleStatus::Retired => (
            "Retired",
            "bg-zinc-200 text-zinc-600 ring-zinc-500/20 line-through",
        ),
    };
    view! {
        <span
            data-status=status.as_str()
            class=format!(
                "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {colours}",
            )
        >
            {label}
        </span>
    }
}

#[component]
pub fn PriorityBadge(
    /// The highest level, if any.
    level: Option<PriorityLevel>,
    /// The priority as the document writes it.
    text: String,
) -> impl IntoView {
    let colours = match level {
        Some(PriorityLevel::High) => "text-rose-700",
        Some(PriorityLevel::Medium) => "text-amber-700",
        Some(PriorityLevel::Low) | None => "text-slate-600",
    };
    let text = if text.is_empty() {
        "—".to_owned()
    } else {
        text
    };
    view! {
        <span data-priority=level.map_or("", PriorityLevel::as_str) class=format!("text-sm font-medium {colours}")>
            {text}
        </span>
    }
}
