//! Status and priority badges: colour and text, never colour alone.

use leptos::prelude::*;

/// A module's status in one environment.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let (label, colours) = match status.as_str() {
        "deployed" => (
            "Deployed",
            "bg-emerald-100 text-emerald-800 ring-emerald-600/20",
        ),
        "in_progress" => ("In progress", "bg-sky-100 text-sky-800 ring-sky-600/20"),
        "ready" => ("Ready", "bg-amber-100 text-amber-800 ring-amber-600/20"),
        "planned" => ("Planned", "bg-slate-100 text-slate-700 ring-slate-500/20"),
        "retired" => (
            "Retired",
            "bg-zinc-200 text-zinc-600 ring-zinc-500/20 line-through",
        ),
        _ => ("Unknown", "bg-rose-100 text-rose-800 ring-rose-600/20"),
    };
    view! {
        <span
            data-status=status
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
    /// `high`, `medium`, `low` or none.
    level: Option<String>,
    /// The priority as the document writes it.
    text: String,
) -> impl IntoView {
    let colours = match level.as_deref() {
        Some("high") => "text-rose-700",
        Some("medium") => "text-amber-700",
        Some("low") => "text-slate-600",
        _ => "text-slate-600",
    };
    let text = if text.is_empty() {
        "—".to_owned()
    } else {
        text
    };
    view! {
        <span data-priority=level.unwrap_or_default() class=format!("text-sm font-medium {colours}")>
            {text}
        </span>
    }
}
