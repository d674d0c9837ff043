//! `/jobs/new`: a job's form, its plan (read from live AWS, nothing changed
//! yet), and the confirm of exactly that plan. Works without JavaScript: the
//! form is a GET of this page with `preview=1`, the confirm a POST that
//! redirects to the new job's page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{job_targets, plan_job, ConfirmJob};
use super::dto::{JobTargetView, PlanView};
use crate::components::data::page_data;
use crate::components::form::INPUT;
use crate::components::page::{ErrorPanel, Loading, PageHeader};

const KINDS: [(&str, &str); 6] = [
    ("deploy", "Deploy an image"),
    ("provision", "Provision (or create a preview-… environment)"),
    ("scale", "Scale a service"),
    ("configure", "Update configuration (SSM parameters)"),
    ("rollback", "Roll back to a revision"),
    ("teardown", "Tear down the environment"),
];

#[component]
pub fn NewJobPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |k: &'static str| move || query.get().get(k).unwrap_or_default();
    let targets = page_data(|| (), |_| job_targets());
    let plan = page_data(
        move || query.get(),
        |q| async move {
            if q.get("preview").as_deref() != Some("1") {
                return Ok(None);
            }
            let get = |k: &str| q.get(k).unwrap_or_default();
            plan_job(
                get("environment"),
                get("kind"),
                get("service"),
                get("desired"),
                get("image"),
                get("revision"),
                get("ttl_hours"),
                get("set"),
                get("delete"),
                get("sealed"),
            )
            .await
            .map(Some)
        },
    );
    view! {
        <Title text="New job" />
        <PageHeader title="New job".to_owned() subtitle="Choose what to change; Gantry reads the live state and shows the exact plan before anything runs." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match targets.await {
                    Ok(targets) => view! { <JobForm targets field /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match plan.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(plan)) => view! { <PlanPanel plan /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn JobForm<F, R>(targets: Vec<JobTargetView>, field: F) -> impl IntoView
where
    F: Fn(&'static str) -> R + Copy + Send + Sync + 'static,
    R: Fn() -> String + Send + Sync + 'static,
{
    let services: Vec<String> = {
        let mut all: Vec<String> = targets.iter().flat_map(|t| t.services.clone()).collect();
        all.sort();
        all.dedup();
        all
    };
    view! {
        // A POST: SecureString values are sealed on the server before the
        // browser is sent to the preview (never in a URL).
        <form method="post" action="/api/jobs/seal" data-testid="job-form" class="mb-6 grid gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-3">
            <label class="text-sm">
                "Environment"
                <input name="environment" list="job-environments" value=field("environment") class=INPUT required placeholder="dev, or preview-pr-42 to create a preview" />
                <datalist id="job-environments">
                    {targets
                        .iter()
                        .map(|t| {
                            let label = if t.production {
                                format!("{} (production: needs approval)", t.name)
                            } else {
                                t.name.clone()
                            };
                            view! { <option value=t.name.clone() label=label></option> }
                        })
                        .collect_view()}
                </datalist>
            </label>
            <label class="text-sm">
                "Kind"
                <select name="kind" class=INPUT>
                    {KINDS
                        .into_iter()
                        .map(|(value, label)| {
                            let current = field("kind");
                            view! { <option value=value selected=move || current() == value>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="text-sm">
                "Service"
                <input name="service" list="job-services" value=field("service") class=INPUT placeholder="backend-booking-api" />
                <datalist id="job-services">
                    {services.into_iter().map(|s| view! { <option value=s></option> }).collect_view()}
                </datalist>
            </label>
            <label class="text-sm">
                "Image (deploy)"
                <input name="image" value=field("image") class=INPUT placeholder="123456789012.dkr.ecr.us-east-1.amazonaws.com/booking:1.4.2" />
            </label>
            <label class="text-sm">
                "Preview time-to-live, hours (new preview)"
                <input name="ttl_hours" type="number" min="1" max="720" value=field("ttl_hours") class=INPUT />
            </label>
            <label class="text-sm">
                "Desired tasks (scale; provision: a new service's)"
                <input name="desired" type="number" min="0" max="50" value=field("desired") class=INPUT />
            </label>
            <label class="text-sm">
                "Revision (roll back)"
                <input name="revision" value=field("revision") class=INPUT placeholder="backend-booking:12" />
            </label>
            <label class="text-sm">
                "Set String parameters (configure): NAME=value per line"
                <textarea name="set" rows="3" class=INPUT>{field("set")}</textarea>
            </label>
            <label class="text-sm">
                "Set SecureString parameters (configure): NAME=value per line, sealed on the server"
                <textarea name="secure_set" rows="3" class=INPUT autocomplete="off" spellcheck="false"></textarea>
            </label>
            <label class="text-sm">
                "Delete parameters (configure): one name per line"
                <textarea name="delete" rows="3" class=INPUT>{field("delete")}</textarea>
            </label>
            <input type="hidden" name="sealed" value=field("sealed") />
            {move || {
                let sealed = field("sealed")();
                (!sealed.is_empty()).then(|| view! {
                    <p class="text-sm text-slate-700 sm:col-span-2" data-testid="sealed-note">
                        {format!("{} SecureString value(s) sealed; type them again to change them.", sealed.lines().count())}
                    </p>
                })
            }}
            <div class="flex items-end">
                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">"Preview plan"</button>
            </div>
        </form>
    }
}

#[component]
fn PlanPanel(plan: PlanView) -> impl IntoView {
    let confirm = ServerAction::<ConfirmJob>::new();
    let query = use_query_map();
    let hidden = move |k: &'static str| {
        view! { <input type="hidden" name=k value=move || query.get().get(k).unwrap_or_default() /> }
    };
    let button = if plan.production {
        "Request approval"
    } else {
        "Confirm and run"
    };
    view! {
        <section data-testid="plan" aria-labelledby="plan-heading" class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 id="plan-heading" class="text-lg font-semibold">
                {format!("Plan: {} on {}", plan.kind, plan.environment)}
            </h2>
            <p class="mt-1 text-xs text-slate-700">"Plan " <code data-testid="plan-hash">{plan.plan_hash.clone()}</code></p>
            {plan.creates_environment.then(|| view! {
                <p data-testid="creates-environment" class="mt-2 rounded-md bg-sky-50 p-2 text-sm text-sky-900">
                    {format!("{} does not exist yet: confirming creates it from the provisioning template, as a preview that expires after its time-to-live.", plan.environment)}
                </p>
            })}
            {plan.production.then(|| view! {
                <p class="mt-2 rounded-md bg-amber-50 p-2 text-sm text-amber-900">"Production: confirming creates the job awaiting approval; it runs once it is approved."</p>
            })}
            {plan.lock_holder.clone().map(|holder| view! {
                <p data-testid="queued-behind" class="mt-2 rounded-md bg-sky-50 p-2 text-sm text-sky-900">
                    {format!("Job #{} ({}, {}) holds {}'s lock: this one queues behind it.", holder.id, holder.kind, holder.state, plan.environment)}
                </p>
            })}
            <ol class="mt-3 space-y-3">
                {plan
                    .steps
                    .into_iter()
                    .enumerate()
                    .map(|(i, step)| view! {
                        <li class="rounded-md border border-slate-200 p-3">
                            <p class="text-sm font-medium">{format!("{}. {}", i + 1, step.name)}</p>
                            <p class="text-xs text-slate-700"><code>{step.action}</code></p>
                            <div class="mt-2 grid gap-2 md:grid-cols-2">
                                <div>
                                    <p class="text-xs font-semibold text-slate-700">"Before"</p>
                                    <pre class="overflow-x-auto rounded bg-slate-50 p-2 text-xs">{step.before}</pre>
                                </div>
                                <div>
                                    <p class="text-xs font-semibold text-slate-700">"After"</p>
                                    <pre class="overflow-x-auto rounded bg-emerald-50 p-2 text-xs">{step.after}</pre>
                                </div>
                            </div>
                        </li>
                    })
                    .collect_view()}
            </ol>
            <ActionForm action=confirm attr:data-testid="confirm-job" attr:class="mt-4">
                {hidden("environment")}
                {hidden("kind")}
                {hidden("service")}
                {hidden("desired")}
                {hidden("image")}
                {hidden("revision")}
                {hidden("ttl_hours")}
                {hidden("set")}
                {hidden("delete")}
                {hidden("sealed")}
                <input type="hidden" name="plan_hash" value=plan.plan_hash />
                {plan.production.then(|| view! {
                    <label class="mb-2 block text-sm">
                        "Why (shown to the approvers)"
                        <input name="reason" maxlength="2000" class="mt-1 w-full rounded-md border border-slate-300 px-2 py-1 text-sm" />
                    </label>
                })}
                <button type="submit" class="rounded-md bg-emerald-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-emerald-600">{button}</button>
            </ActionForm>
            {move || confirm.value().get().and_then(|r| r.err()).map(|e| view! {
                <p role="alert" class="mt-2 text-sm text-rose-800">{e.to_string()}</p>
            })}
        </section>
    }
}
