//! The module × environment matrix: every module's status per environment,
//! priority, phase and estimated cost, with a filter and the cost estimates.

use crate::components::data::page_data;
use crate::components::search::fold_case;
use leptos::prelude::*;
use leptos_meta::Title;

use super::api::roadmap_matrix;
use super::dto::{phase_label, section_label, CostEstimate, MatrixRow, MatrixView};
use super::edit::AddRoadmapModule;
use crate::components::badge::{PriorityBadge, StatusBadge};
use crate::components::layout::MeResource;
use crate::components::page::{ErrorPanel, Loading, PageHeader};

#[component]
pub fn MatrixPage() -> impl IntoView {
    let add = ServerAction::<AddRoadmapModule>::new();
    let data = page_data(move || add.version().get(), |_| roadmap_matrix());
    let me = use_context::<MeResource>();
    view! {
        <Title text="Roadmap" />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let can_edit = crate::components::layout::can_edit_roadmap(me).await;
                match data.await {
                    Ok(matrix) => {
                        view! {
                            <Matrix matrix />
                            {can_edit.then(|| view! { <AddModule add /> })}
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
        <super::bill::ProjectedBill />
    }
}

/// Lowercase text a row is matched against by the filter.
fn haystack(row: &MatrixRow) -> String {
    fold_case(&format!(
        "{} {} {} {} {}",
        row.name,
        row.slug,
        row.path.as_deref().unwrap_or_default(),
        row.group.as_deref().unwrap_or_default(),
        section_label(row.section)
    ))
}

#[component]
fn Matrix(matrix: MatrixView) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let haystacks: Vec<String> = matrix.rows.iter().map(haystack).collect();
    let total = matrix.rows.len();
    let shown = {
        let haystacks = haystacks.clone();
        move || {
            let needle = fold_case(filter.get().trim());
            haystacks.iter().filter(|h| h.contains(&needle)).count()
        }
    };
    let subtitle = match &matrix.as_of {
        Some(date) => format!("{total} modules · document dated {date}"),
        None => format!("{total} modules"),
    };
    let environments = matrix.environments.clone();
    let progress = matrix.progress.clone();
    view! {
        <PageHeader title="Roadmap".to_owned() subtitle>
            <a
                href="/roadmap/export.md"
                rel="external"
                class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium shadow-sm hover:bg-slate-50"
            >
                "Export markdown"
            </a>
        </PageHeader>
        <section aria-labelledby="progress-heading" class="mb-4 max-w-xl rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
            <h2 id="progress-heading" class="mb-2 text-sm font-semibold">"Rollout progress"</h2>
            <super::progress::ProgressBars progress label="Modules deployed per environment" />
        </section>
        <div class="mb-3 flex flex-wrap items-center gap-3">
            <label for="module-filter" class="text-sm font-medium text-slate-700">
                "Filter"
            </label>
            <input
                id="module-filter"
                type="search"
                data-testid="module-filter"
                placeholder="name, path or group"
                class="w-72 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:ring-2 focus:ring-indigo-200 focus:outline-none"
                prop:value=filter
                on:input:target=move |ev| filter.set(ev.target().value())
            />
            <span class="text-sm text-slate-500" aria-live="polite" data-testid="filter-count">
                {move || format!("{} of {total} shown", shown())}
            </span>
        </div>
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table data-testid="roadmap-matrix" class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Modules by environment"</caption>
                <thead class="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
                    <tr>
                        <th scope="col" class="px-4 py-2">"Module"</th>
                        <th scope="col" class="px-4 py-2">"Stage"</th>
                        <th scope="col" class="px-4 py-2">"Priority"</th>
                        <th scope="col" class="px-4 py-2">"Phase"</th>
                        {environments
                            .iter()
                            .map(|env| {
                                let job = matrix.active_jobs.iter().find(|j| &j.environment == env).cloned();
                                view! {
                                    <th scope="col" class="px-4 py-2">
                                        {env.clone()}
                                        {job.map(|job| view! {
                                            <a href=format!("/jobs/{}", job.id) data-testid=format!("matrix-job-{}", job.environment) class="ml-1 block text-xs font-medium normal-case tracking-normal text-indigo-800 underline">
                                                {format!("#{} {} {}", job.id, job.kind, job.state)}
                                            </a>
                                        })}
                                    </th>
                                }
                            })
                            .collect_view()}
                        <th scope="col" class="px-4 py-2 text-right">"Est. monthly"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {matrix
                        .rows
                        .into_iter()
                        .zip(haystacks)
                        .map(|(row, hay)| {
                            let visible = move || hay.contains(fold_case(filter.get().trim()).as_str());
                            view! { <Row row environments=environments.clone() visible /> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <CostEstimates estimates=matrix.estimates />
    }
}

#[component]
fn Row(
    row: MatrixRow,
    environments: Vec<String>,
    visible: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let href = format!("/roadmap/modules/{}", row.slug);
    let costs = environments
        .iter()
        .zip(&row.costs)
        .filter_map(|(env, cost)| cost.map(|c| format!("{env} {}", c.display())))
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <tr data-module=row.slug.clone() class="hover:bg-slate-50" class:hidden=move || !visible()>
            <th scope="row" class="px-4 py-2 text-left font-medium">
                <a href=href class="text-indigo-700 hover:underline">
                    {row.name}
                </a>
                {row.path.map(|p| view! { <div class="font-mono text-xs font-normal text-slate-500">{p}</div> })}
            </th>
            <td class="px-4 py-2 text-slate-600">{section_label(row.section)}</td>
            <td class="px-4 py-2">
                <PriorityBadge level=row.priority.level text=row.priority.text />
            </td>
            <td class="px-4 py-2 text-slate-600">{row.phase.map_or("—", phase_label)}</td>
            {row
                .statuses
                .into_iter()
                .map(|cell| {
                    let drift = cell.drift.map(|message| {
                        let href = format!("/environments/{}", cell.environment);
                        view! {
                            <a href=href data-drift="true" title=message.clone() class="ml-1 inline-flex items-center rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-600/30">
                                "drift"
                                <span class="sr-only">{format!(": {message}")}</span>
                            </a>
                        }
                    });
                    view! {
                        <td data-env=cell.environment class="px-4 py-2 whitespace-nowrap">
                            <StatusBadge status=cell.status />
                            {drift}
                        </td>
                    }
                })
                .collect_view()}
            <td class="px-4 py-2 text-right whitespace-nowrap text-slate-700 tabular-nums">
                {if costs.is_empty() { "—".to_owned() } else { costs }}
            </td>
        </tr>
    }
}

#[component]
fn CostEstimates(estimates: Vec<CostEstimate>) -> impl IntoView {
    view! {
        <section aria-labelledby="estimates-heading" class="mt-8">
            <h2 id="estimates-heading" class="mb-3 text-lg font-semibold">
                "Estimated monthly cost"
            </h2>
            <div class="grid gap-4 lg:grid-cols-2">
                {estimates
                    .into_iter()
                    .map(|estimate| {
                        view! {
                            <div
                                data-estimate=estimate.environment.clone()
                                class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
                            >
                                <h3 class="font-medium">
                                    {estimate.title}
                                    {estimate
                                        .projected
                                        .then(|| {
                                            view! {
                                                <span class="ml-2 rounded bg-violet-100 px-1.5 py-0.5 text-xs font-medium text-violet-800">
                                                    "projected"
                                                </span>
                                            }
                                        })}
                                </h3>
                                <table class="mt-2 w-full text-sm">
                                    <thead class="sr-only">
                                        <tr>
                                            <th scope="col">"Component"</th>
                                            <th scope="col">"Monthly"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {estimate
                                            .lines
                                            .into_iter()
                                            .map(|line| {
                                                let label = match &line.qualifier {
                                                    Some(q) => format!("{} ({q})", line.component),
                                                    None => line.component.clone(),
                                                };
                                                view! {
                                                    <tr class="border-t border-slate-100">
                                                        <td class="py-1">
                                                            {match line.module_slug {
                                                                Some(slug) => {
                                                                    view! {
                                                                        <a href=format!("/roadmap/modules/{slug}") class="text-indigo-700 hover:underline">
                                                                            {label}
                                                                        </a>
                                                                    }
                                                                        .into_any()
                                                                }
                                                                None => view! { <span>{label}</span> }.into_any(),
                                                            }}
                                                        </td>
                                                        <td class="py-1 text-right tabular-nums">{line.monthly.display()}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                    <tfoot class="font-medium">
                                        <tr class="border-t border-slate-300">
                                            <td class="py-1">"Total (document)"</td>
                                            <td class="py-1 text-right tabular-nums">
                                                {estimate.stated_total.map(|t| t.display()).unwrap_or_else(|| "—".into())}
                                            </td>
                                        </tr>
                                        <tr>
                                            <td class="py-1 font-normal text-slate-600">"Sum of components"</td>
                                            <td class="py-1 text-right font-normal text-slate-600 tabular-nums">
                                                {estimate.sum_of_lines.map(|t| t.display()).unwrap_or_else(|| "—".into())}
                                            </td>
                                        </tr>
                                    </tfoot>
                                </table>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

/// Adding a module by hand (operators and admins).
#[component]
fn AddModule(add: ServerAction<AddRoadmapModule>) -> impl IntoView {
    let input = "mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm";
    let result = move || {
        add.value().get().map(|r| match r {
            Ok(slug) => view! {
                <p role="status" class="text-sm text-emerald-700">
                    "Added "
                    <a class="underline" href=format!("/roadmap/modules/{slug}")>{slug.clone()}</a>
                    "."
                </p>
            }
            .into_any(),
            Err(e) => view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }
                .into_any(),
        })
    };
    view! {
        <details class="mt-8 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <summary class="cursor-pointer font-semibold">"Add a module"</summary>
            <ActionForm action=add attr:data-testid="add-module" attr:class="mt-3 grid gap-3 sm:grid-cols-2">
                <label class="text-sm">"Name" <input name="name" required maxlength="120" class=input /></label>
                <label class="text-sm">
                    "Stage"
                    <select name="section" class=input>
                        <option value="future">"Future"</option>
                        <option value="ready">"Ready, not deployed"</option>
                        <option value="implemented">"Implemented"</option>
                    </select>
                </label>
                <label class="text-sm">"Terraform path" <input name="path" placeholder="modules/example/" class=input /></label>
                <label class="text-sm">
                    "Priority"
                    <select name="priority" class=input>
                        <option value="">"—"</option>
                        <option value="low">"low"</option>
                        <option value="medium">"medium"</option>
                        <option value="high">"high"</option>
                    </select>
                </label>
                <label class="text-sm sm:col-span-2">"Purpose" <input name="purpose" maxlength="500" class=input /></label>
                <div class="flex items-center gap-3 sm:col-span-2">
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                        "Add module"
                    </button>
                    {result}
                </div>
            </ActionForm>
        </details>
    }
}
