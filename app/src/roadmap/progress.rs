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
                            <span aria-hidden="true" class="h-2 min-w-12 flex-1 overflow-hidden rounded bg-slate-200">
                                <span class="block h-2 rounded bg-emerald-700" style=format!("width: {}%", p.percent)></span>
                            </span>
                            <span class="shrink-0 text-slate-700">{format!("{} of {} deployed", p.deployed, p.total)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
