//! Rollout progress as bars: per environment, modules deployed out of
//! planned. The figures are written out; the bar only repeats them.

use leptos::prelude::*;

use super::dto::ProgressView;

#[component]
pub fn ProgressBars(progress: Vec<ProgressView>, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <ul data-testid="progress" aria-label=label class="space-y-1 text-xs">
            {progress
                .into_iter()
                .map(|p| {
                    view! {
                        <li data-env=p.environment.clone() data-deployed=p.deployed.to_string() data-total=p.total.to_string() class="flex items-center gap-2">
                            <span class="w-12 shrink-0 font-medium text-slate-800">{p.environment.clone()}</span>
                            // SVG, not an inline style: the Content-Security-Policy allows no inline styles.
                            <svg aria-hidden="true" viewBox="0 0 100 8" preserveAspectRatio="none" class="h-2 min-w-12 flex-1">
                                <rect width="100" height="8" rx="2" fill="#e2e8f0" />
                                <rect width=p.percent.to_string() height="8" rx="2" fill="#047857" />
                            </svg>
                            <span class="shrink-0 text-slate-700">{format!("{} of {} deployed", p.deployed, p.total)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
