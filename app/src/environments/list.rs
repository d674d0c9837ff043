use leptos::prelude::*;
use leptos_meta::Title;

use super::api::list_environments;
use super::dto::EnvironmentView;
use crate::components::page::{ErrorPanel, Loading, PageHeader};
use crate::roadmap::dto::Money;

#[component]
pub fn EnvironmentsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_environments());
    view! {
        <Title text="Environments" />
        <PageHeader title="Environments".to_owned() subtitle="Where Gantry deploys, and the rules for changing each." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(envs) if envs.is_empty() => {
                        view! {
                            <p class="text-sm text-slate-600">
                                "No environments yet. Add [[environments]] to the config (see config/gantry.example.toml)."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(envs) => view! { <EnvironmentTable envs /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EnvironmentTable(envs: Vec<EnvironmentView>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table data-testid="environments" class="min-w-full divide-y divide-slate-200 text-sm">
                <thead class="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
                    <tr>
                        <th scope="col" class="px-4 py-2">"Environment"</th>
                        <th scope="col" class="px-4 py-2">"Account / region"</th>
                        <th scope="col" class="px-4 py-2">"Cluster"</th>
                        <th scope="col" class="px-4 py-2">"Services"</th>
                        <th scope="col" class="px-4 py-2 text-right">"Budget / month"</th>
                        <th scope="col" class="px-4 py-2">"Approvals"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {envs
                        .into_iter()
                        .map(|e| {
                            let summary = e.approval_summary();
                            let budget = e
                                .monthly_budget_cents
                                .map(|c| Money { low_cents: c, high_cents: c }.display())
                                .unwrap_or_else(|| "—".to_owned());
                            let name = e.name.clone();
                            view! {
                                <tr data-environment=name>
                                    <th scope="row" class="px-4 py-2 text-left font-medium">
                                        <a href=format!("/environments/{}", e.name) class="text-indigo-700 hover:underline">
                                            {e.name.clone()}
                                        </a>
                                        {e
                                            .production
                                            .then(|| {
                                                view! {
                                                    <span class="ml-2 rounded bg-rose-100 px-1.5 py-0.5 text-xs font-medium text-rose-800">
                                                        "production"
                                                    </span>
                                                }
                                            })}
                                    </th>
                                    <td class="px-4 py-2 font-mono text-xs">{format!("{} · {}", e.account_id, e.region)}</td>
                                    <td class="px-4 py-2 font-mono text-xs">{e.cluster}</td>
                                    <td class="px-4 py-2">{e.services.len()}</td>
                                    <td class="px-4 py-2 text-right tabular-nums">{budget}</td>
                                    <td class="px-4 py-2 text-slate-600">{summary}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
