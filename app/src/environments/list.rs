use leptos::prelude::*;
use leptos_meta::Title;

use super::api::list_environments;
use super::dto::EnvironmentView;
use super::edit::{SaveEnvironment, SettingsForm};
use crate::components::data::page_data;
use crate::components::layout::MeResource;
use crate::components::page::{ErrorPanel, Loading, PageHeader};
use crate::health::panel::{ago, schedule_refresh, HealthBadge};
use crate::roadmap::dto::Money;

#[component]
pub fn EnvironmentsPage() -> impl IntoView {
    let save = ServerAction::<SaveEnvironment>::new();
    let data = page_data(move || save.version().get(), |_| list_environments());
    let me = use_context::<MeResource>();
    // The overview refreshes itself while open, like the environment page.
    const REFRESH_SECS: u32 = 30;
    view! {
        <Title text="Environments" />
        <PageHeader title="Environments".to_owned() subtitle="Where Gantry deploys, and the rules for changing each." />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                schedule_refresh(move || data.refetch(), REFRESH_SECS);
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
        </Transition>
        <Suspense>
            {move || Suspend::new(async move {
                let can_administer = match me {
                    Some(me) => me.await.map(|m| m.can_administer).unwrap_or(false),
                    None => false,
                };
                can_administer.then(|| view! {
                    <details class="mt-6 rounded-lg border border-indigo-200 bg-white p-4 shadow-sm">
                        <summary class="cursor-pointer font-semibold">"Add an environment"</summary>
                        <div class="mt-3"><SettingsForm action=save /></div>
                    </details>
                })
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
                        <th scope="col" class="px-4 py-2">"Health"</th>
                        <th scope="col" class="px-4 py-2">"Running"</th>
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
                            let (health, running) = match e.health.clone() {
                                Some(h) => {
                                    let image_tag = h
                                        .image
                                        .as_deref()
                                        .and_then(|i| i.rsplit_once(':'))
                                        .map(|(_, tag)| tag.to_owned());
                                    let running = [h.task_definition.clone(), image_tag]
                                        .into_iter()
                                        .flatten()
                                        .collect::<Vec<_>>()
                                        .join(" · ");
                                    let deployed = h
                                        .last_deploy_at
                                        .clone()
                                        .map(|t| format!("deployed {}", t.replace('T', " ")))
                                        .unwrap_or_default();
                                    (
                                        view! {
                                            <HealthBadge badge=h.overall.clone() />
                                            <p class="mt-1 max-w-xs text-xs text-slate-600" data-testid="health-reason">{h.overall.reason.clone()}</p>
                                            <p class="text-xs text-slate-600" data-testid="polled-at">{format!("read {}", ago(h.age_secs))}</p>
                                            {(h.drift > 0).then(|| view! {
                                                <a href=format!("/environments/{}", e.name) class="text-xs font-medium text-amber-800 underline" data-testid="drift-count">
                                                    {format!("{} drift with the roadmap", h.drift)}
                                                </a>
                                            })}
                                        }
                                            .into_any(),
                                        view! {
                                            <span class="font-mono text-xs" data-testid="running">{running}</span>
                                            <p class="text-xs text-slate-500">{deployed}</p>
                                        }
                                            .into_any(),
                                    )
                                }
                                None => (
                                    view! { <span class="text-xs text-slate-500">"not polled yet"</span> }.into_any(),
                                    view! { <span class="text-xs text-slate-600">"—"</span> }.into_any(),
                                ),
                            };
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
                                    <td class="px-4 py-2">{health}</td>
                                    <td class="px-4 py-2">{running}</td>
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
