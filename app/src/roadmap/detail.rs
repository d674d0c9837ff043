//! A module's page: purpose, features, status per environment, configuration
//! block, estimated cost, next steps and the history of every change.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::roadmap_module;
use super::dto::{phase_label, section_label, ModuleDetail};
use super::edit::{
    CorrectRoadmapDrift, EditPanel, RealisersForm, RetireRoadmapModule, SetRoadmapRealisers,
    UpdateRoadmapModule,
};
use crate::components::badge::{PriorityBadge, StatusBadge};
use crate::components::data::page_data;
use crate::components::layout::MeResource;
use crate::components::page::{ErrorPanel, Loading};

#[component]
pub fn ModulePage() -> impl IntoView {
    let params = use_params_map();
    let update = ServerAction::<UpdateRoadmapModule>::new();
    let retire = ServerAction::<RetireRoadmapModule>::new();
    let realise = ServerAction::<SetRoadmapRealisers>::new();
    let correct = ServerAction::<CorrectRoadmapDrift>::new();
    let data = page_data(
        move || {
            (
                params.read().get("slug").unwrap_or_default(),
                update.version().get(),
                retire.version().get(),
                realise.version().get(),
                correct.version().get(),
            )
        },
        |(slug, _, _, _, _)| roadmap_module(slug),
    );
    let me = use_context::<MeResource>();
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let can_edit = crate::components::layout::can_edit_roadmap(me).await;
                match data.await {
                    Ok(module) => {
                        let editor = can_edit.then_some((update, retire));
                        let realise = can_edit.then_some(realise);
                        let correct = can_edit.then_some(correct);
                        view! { <Detail module editor realise correct /> }.into_any()
                    }
                    Err(error) => view! { <Title text="Not found" /> <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Fact(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <div>
            <dt class="text-xs font-semibold tracking-wide text-slate-500 uppercase">{label}</dt>
            <dd class="mt-1 text-sm">{children()}</dd>
        </div>
    }
}

#[component]
fn Detail(
    module: ModuleDetail,
    editor: Option<(
        ServerAction<UpdateRoadmapModule>,
        ServerAction<RetireRoadmapModule>,
    )>,
    realise: Option<ServerAction<SetRoadmapRealisers>>,
    correct: Option<ServerAction<CorrectRoadmapDrift>>,
) -> impl IntoView {
    let slug = module.slug.clone();
    let realisers_form = realise.map(|action| {
        view! { <RealisersForm slug=module.slug.clone() realisers=module.realisers.clone() action /> }
    });
    let edit_panel = editor.map(|(update, retire)| {
        let module = module.clone();
        view! { <EditPanel module update retire /> }
    });
    let ModuleDetail {
        name,
        section,
        group,
        path,
        path_note,
        purpose,
        features,
        priority,
        status_note,
        current_note,
        config_lang,
        config_body,
        statuses,
        phase,
        owner,
        target_date,
        notes,
        dependencies,
        costs,
        steps,
        history,
        status_path,
        realisers,
        ..
    } = module;
    // Where AWS disagrees: the reason, and for operators the one-click
    // correction (re-checked on the server when asked for).
    let drift_notes = statuses
        .iter()
        .filter_map(|cell| Some((cell.environment.clone(), cell.drift.clone()?, cell.correction)))
        .map(|(env, message, correction)| {
            let form = correct.zip(correction).map(|(action, status)| {
                let label = format!("Correct the roadmap: {status} in {env}");
                let (slug, environment) = (slug.clone(), env.clone());
                view! {
                    <ActionForm action attr:class="inline">
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="environment" value=environment />
                        <button type="submit" data-testid="correct-drift" class="ml-2 rounded-md border border-amber-700 bg-white px-2 py-0.5 text-xs font-medium text-amber-900 hover:bg-amber-100">
                            {label}
                        </button>
                    </ActionForm>
                }
            });
            // A <div>, not a <p>: a <form> may not sit inside a paragraph
            // (the parser would close it, and hydration would not match).
            view! {
                <div data-testid="module-drift" data-env=env.clone() class="mt-2 rounded bg-amber-50 p-2 text-sm text-amber-900">
                    {message}
                    {form}
                </div>
            }
        })
        .collect_view();
    view! {
        <Title text=name.clone() />
        <nav aria-label="Breadcrumb" class="mb-2 text-sm text-slate-500">
            <a href="/roadmap" class="hover:underline">"Roadmap"</a>
            " / "
            {group.clone().unwrap_or_else(|| section_label(section).to_owned())}
        </nav>
        <header class="mb-6">
            <h1 class="text-2xl font-semibold tracking-tight">{name}</h1>
            {path
                .map(|p| {
                    view! {
                        <p class="mt-1 font-mono text-sm text-slate-600">
                            {p}
                            {path_note.map(|n| view! { <span class="ml-2 font-sans text-slate-500">{format!("({n})")}</span> })}
                        </p>
                    }
                })}
            {purpose.map(|p| view! { <p class="mt-3 max-w-3xl text-slate-700">{p}</p> })}
        </header>
        <div class="grid gap-6 lg:grid-cols-3">
            <div class="space-y-6 lg:col-span-2">
                <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="status-heading">
                    <h2 id="status-heading" class="mb-3 font-semibold">"Status by environment"</h2>
                    <ul class="flex flex-wrap gap-4">
                        {statuses
                            .clone()
                            .into_iter()
                            .map(|cell| {
                                let env = cell.environment.clone();
                                view! {
                                    <li data-env=env class="flex items-center gap-2 text-sm">
                                        <span class="font-medium">{cell.environment}</span>
                                        <StatusBadge status=cell.status />
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    {drift_notes}
                    <ul data-testid="status-path" class="mt-3 space-y-1 text-sm" aria-label="Its path through the statuses, per environment">
                        {status_path
                            .into_iter()
                            .map(|(env, steps)| {
                                let text = steps
                                    .iter()
                                    .map(|(status, at)| if at.is_empty() { status.clone() } else { format!("{status} ({at})") })
                                    .collect::<Vec<_>>()
                                    .join(" → ");
                                view! {
                                    <li data-env=env.clone()>
                                        <span class="font-medium">{format!("{env}: ")}</span>
                                        {text}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    {status_note.map(|n| view! { <p class="mt-3 text-sm text-slate-600">{n}</p> })}
                    {current_note.map(|n| view! { <p class="mt-1 text-sm text-slate-600">{n}</p> })}
                </section>
                <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="realisers-heading">
                    <h2 id="realisers-heading" class="mb-2 font-semibold">"Realised in AWS by"</h2>
                    <p class="text-sm text-slate-700">
                        "A succeeded provision or deploy job that changes one of these marks the module deployed in its environment (its history says which job)."
                    </p>
                    {if realisers.is_empty() {
                        view! { <p data-testid="realisers" class="mt-2 text-sm text-slate-700">"Nothing yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul data-testid="realisers" class="mt-2 list-disc pl-5 font-mono text-sm">
                                {realisers.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    {realisers_form}
                </section>
                {edit_panel}
                {(!features.is_empty())
                    .then(|| {
                        view! {
                            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="features-heading">
                                <h2 id="features-heading" class="mb-2 font-semibold">"Features"</h2>
                                <ul class="list-disc space-y-1 pl-5 text-sm" data-testid="features">
                                    {features.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                                </ul>
                            </section>
                        }
                    })}
                {config_body
                    .map(|body| {
                        view! {
                            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="config-heading">
                                <h2 id="config-heading" class="mb-2 font-semibold">
                                    "Configuration"
                                    {config_lang.map(|l| view! { <span class="ml-2 text-xs font-normal text-slate-500">{l}</span> })}
                                </h2>
                                <pre class="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100"><code>{body}</code></pre>
                            </section>
                        }
                    })}
                <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="history-heading">
                    <h2 id="history-heading" class="mb-2 font-semibold">"History"</h2>
                    {if history.is_empty() {
                        view! { <p class="text-sm text-slate-500">"No changes recorded."</p> }.into_any()
                    } else {
                        view! {
                            <div class="overflow-x-auto">
                                <table class="min-w-full text-sm" data-testid="history">
                                    <thead class="text-left text-xs text-slate-500 uppercase">
                                        <tr>
                                            <th scope="col" class="py-1 pr-4">"When"</th>
                                            <th scope="col" class="py-1 pr-4">"Who"</th>
                                            <th scope="col" class="py-1 pr-4">"Field"</th>
                                            <th scope="col" class="py-1 pr-4">"From"</th>
                                            <th scope="col" class="py-1 pr-4">"To"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {history
                                            .into_iter()
                                            .map(|h| {
                                                view! {
                                                    <tr class="border-t border-slate-100 align-top">
                                                        <td class="py-1 pr-4 whitespace-nowrap tabular-nums">
                                                            <time datetime=h.at.clone()>{h.at.get(..16).unwrap_or(&h.at).replace('T', " ")}</time>
                                                        </td>
                                                        <td class="py-1 pr-4">
                                                            {h.actor}
                                                            <div class="text-xs text-slate-500">{h.source}</div>
                                                        </td>
                                                        <td class="py-1 pr-4 font-mono text-xs">{h.field}</td>
                                                        <td class="py-1 pr-4 text-slate-500">{h.from.unwrap_or_else(|| "—".into())}</td>
                                                        <td class="py-1 pr-4">{h.to.unwrap_or_else(|| "—".into())}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }}
                </section>
            </div>
            <aside aria-label="About this module" class="space-y-6">
                <dl class="grid grid-cols-2 gap-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                    <Fact label="Stage">{section_label(section)}</Fact>
                    <Fact label="Priority">
                        <PriorityBadge level=priority.level text=priority.text />
                    </Fact>
                    <Fact label="Phase">{phase.map_or("—", phase_label)}</Fact>
                    <Fact label="Owner">{owner.unwrap_or_else(|| "—".into())}</Fact>
                    <Fact label="Target date">{target_date.unwrap_or_else(|| "—".into())}</Fact>
                    <Fact label="Depends on">
                        {if dependencies.is_empty() { "—".to_owned() } else { dependencies.join(", ") }}
                    </Fact>
                </dl>
                <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="cost-heading">
                    <h2 id="cost-heading" class="mb-2 font-semibold">"Estimated monthly cost"</h2>
                    <dl class="space-y-1 text-sm">
                        {costs
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <div class="flex justify-between">
                                        <dt>{c.environment}</dt>
                                        <dd class="tabular-nums">{c.monthly.map(|m| m.display()).unwrap_or_else(|| "—".into())}</dd>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </dl>
                </section>
                {(!steps.is_empty())
                    .then(|| {
                        view! {
                            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="steps-heading">
                                <h2 id="steps-heading" class="mb-2 font-semibold">"Next steps"</h2>
                                <ul class="space-y-1 text-sm">
                                    {steps
                                        .into_iter()
                                        .map(|s| {
                                            view! {
                                                <li>
                                                    {if s.completed { "✅ " } else { "◻️ " }}
                                                    {s.text}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                    })}
                {notes.map(|n| view! { <section class="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm"><h2 class="mb-1 font-semibold">"Notes"</h2><p>{n}</p></section> })}
            </aside>
        </div>
    }
}
