use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{get_environment, ExtendEnvironmentTtl};
use super::dto::EnvironmentView;
use super::edit::{DeleteEnvironment, SaveEnvironment, SettingsForm};
use crate::components::data::page_data;
use crate::components::layout::MeResource;
use crate::components::page::{ErrorPanel, Loading, PageHeader};
use crate::health::api::environment_health;
use crate::health::panel::{CheckNow, LiveHealth};
use crate::jobs::api::environment_jobs;
use crate::jobs::panel::EnvironmentJobs;
use crate::roadmap::dto::Money;

#[component]
pub fn EnvironmentPage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SaveEnvironment>::new();
    let extend = ServerAction::<ExtendEnvironmentTtl>::new();
    let data = page_data(
        move || {
            (
                params.read().get("name").unwrap_or_default(),
                save.version().get(),
                extend.version().get(),
            )
        },
        |(name, _, _)| get_environment(name),
    );
    let me = use_context::<MeResource>();
    let name = Signal::derive(move || params.read().get("name").unwrap_or_default());
    // The panels that load data of their own get it from here: the view
    // below is rendered again after each save, and a resource made inside it
    // would be dropped while its panel still waits for it.
    let health = page_data(move || name.get(), environment_health);
    let jobs = page_data(move || name.get(), environment_jobs);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let (can_administer, can_run_jobs) = match me {
                    Some(me) => me
                        .await
                        .map(|m| (m.can_administer, m.can_run_jobs))
                        .unwrap_or((false, false)),
                    None => (false, false),
                };
                match data.await {
                    Ok(env) => {
                        let editor = can_administer.then(|| {
                            let production = env.production;
                            let name = env.name.clone();
                            view! {
                                <section class="mt-6 rounded-lg border border-indigo-200 bg-white p-4 shadow-sm" aria-labelledby="edit-env-heading">
                                    <h2 id="edit-env-heading" class="mb-3 font-semibold">"Edit settings"</h2>
                                    <SettingsForm action=save env=env.clone() />
                                    {(!production).then(|| view! { <DeleteEnvironment name /> })}
                                </section>
                            }
                        });
                        let subtitle = if env.production {
                            "Production environment".to_owned()
                        } else {
                            "Non-production environment".to_owned()
                        };
                        view! {
                            <Title text=format!("Environment {}", env.name) />
                            <PageHeader title=env.name.clone() subtitle />
                            <LiveHealth health />
                            {can_run_jobs.then(|| view! { <CheckNow /> })}
                            {(can_run_jobs && env.ttl_hours.is_some()).then(|| view! { <ExtendTtl name=env.name.clone() action=extend /> })}
                            <EnvironmentJobs name jobs can_run_jobs />
                            <h2 class="mt-8 mb-3 text-lg font-semibold">"Settings"</h2>
                            <Settings env />
                            {editor}
                        }
                            .into_any()
                    }
                    Err(error) => view! { <Title text="Not found" /> <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Row(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="grid grid-cols-3 gap-4 py-2">
            <dt class="text-sm font-medium text-slate-600">{label}</dt>
            <dd class="col-span-2 text-sm">{children()}</dd>
        </div>
    }
}

#[component]
fn Settings(env: EnvironmentView) -> impl IntoView {
    let summary = env.approval_summary();
    let budget = env
        .monthly_budget_cents
        .map(|c| {
            Money {
                low_cents: c,
                high_cents: c,
            }
            .display()
        })
        .unwrap_or_else(|| "—".to_owned());
    view! {
        <div class="grid gap-6 lg:grid-cols-2">
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="aws-heading">
                <h2 id="aws-heading" class="mb-2 font-semibold">"AWS"</h2>
                <dl class="divide-y divide-slate-100">
                    <Row label="Account">{env.account_id.clone()}</Row>
                    <Row label="Region">{env.region.clone()}</Row>
                    <Row label="Role">{env.role_arn.clone().unwrap_or_else(|| "Gantry's own credentials".into())}</Row>
                    <Row label="ECS cluster">{env.cluster.clone()}</Row>
                    <Row label="Database">{env.database.clone().unwrap_or_else(|| "—".into())}</Row>
                    <Row label="SSM prefix">{env.ssm_prefix.clone()}</Row>
                    <Row label="Cost tag">{env.cost_tag.clone().unwrap_or_else(|| "—".into())}</Row>
                    <Row label="Monthly budget">{budget}</Row>
                    <Row label="Expires">{env.expires_at.clone().unwrap_or_else(|| "never".into())}</Row>
                </dl>
            </section>
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="approval-heading">
                <h2 id="approval-heading" class="mb-2 font-semibold">"Change rules"</h2>
                <p class="text-sm" data-testid="approval-summary">{summary}</p>
                {if env.freeze_windows.is_empty() {
                    view! { <p class="mt-2 text-sm text-slate-500">"No change-freeze windows."</p> }.into_any()
                } else {
                    view! {
                        <ul class="mt-2 space-y-1 text-sm">
                            {env
                                .freeze_windows
                                .into_iter()
                                .map(|w| {
                                    view! {
                                        <li class:font-semibold=w.active>
                                            {format!("{} → {}: {}", w.starts_at, w.ends_at, w.reason)}
                                            {w.active.then_some(" (in force now)")}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </section>
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:col-span-2" aria-labelledby="services-heading">
                <h2 id="services-heading" class="mb-2 font-semibold">"Services"</h2>
                <table class="min-w-full text-sm">
                    <thead class="text-left text-xs text-slate-500 uppercase">
                        <tr>
                            <th scope="col" class="py-1 pr-4">"Service"</th>
                            <th scope="col" class="py-1 pr-4">"App container"</th>
                            <th scope="col" class="py-1 pr-4">"Health URL"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {env
                            .services
                            .into_iter()
                            .map(|s| {
                                let key = s.name.clone();
                                view! {
                                    <tr class="border-t border-slate-100" data-service=key>
                                        <td class="py-1 pr-4 font-mono text-xs">{s.name}</td>
                                        <td class="py-1 pr-4 font-mono text-xs">{s.container}</td>
                                        <td class="py-1 pr-4 font-mono text-xs">{s.health_url.unwrap_or_else(|| "—".into())}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </section>
        </div>
    }
}

/// "Extend by N hours" for an environment with a time-to-live.
#[component]
fn ExtendTtl(name: String, action: ServerAction<ExtendEnvironmentTtl>) -> impl IntoView {
    view! {
        <section aria-labelledby="ttl-heading" class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 id="ttl-heading" class="font-semibold">"Time-to-live"</h2>
            <p class="mt-1 text-sm text-slate-700">"When it runs out, Gantry queues the environment's tear-down by itself."</p>
            <ActionForm action attr:data-testid="extend-ttl" attr:class="mt-2 flex items-end gap-2">
                <input type="hidden" name="name" value=name />
                <label class="text-sm">
                    "Extend by (hours)"
                    <input name="hours" type="number" min="1" max="720" value="24" class="mt-1 block w-28 rounded-md border border-slate-300 px-2 py-1 text-sm" />
                </label>
                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">"Extend"</button>
            </ActionForm>
            {move || action.value().get().map(|result| match result {
                Ok(text) => view! { <p role="status" class="mt-2 text-sm text-emerald-800">{text}</p> }.into_any(),
                Err(e) => view! { <p role="alert" class="mt-2 text-sm text-rose-800">{e.to_string()}</p> }.into_any(),
            })}
        </section>
    }
}
