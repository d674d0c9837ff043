//! `/jobs`: every job, newest first, paginated on the server, with filters.

use gantry_wire::JobState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::api::list_jobs;
use super::dto::JobListView;
use super::{JobStateBadge, Progress};
use crate::components::data::page_data;
use crate::components::page::{ErrorPanel, FilterForm, Loading, PageHeader};

const FILTERS: [(&str, &str, &str); 4] = [
    ("environment", "Environment", "dev"),
    ("kind", "Kind", "deploy"),
    ("state", "State", "running"),
    ("requested_by", "Requested by", "Oscar Operator <oscar>"),
];

#[component]
pub fn JobsPage() -> impl IntoView {
    let query = use_query_map();
    let me = page_data(|| (), |_| crate::auth::whoami());
    let data = page_data(
        move || query.get(),
        |q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            list_jobs(
                get("environment"),
                get("kind"),
                get("state"),
                get("requested_by"),
                q.get("before").and_then(|b| b.parse().ok()),
            )
        },
    );
    let filters = move || {
        let q = query.get();
        FILTERS
            .iter()
            .filter_map(|(key, _, _)| {
                q.get(key)
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{key}={}", crate::components::page::percent(&v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    view! {
        <Title text="Jobs" />
        <PageHeader title="Jobs".to_owned() subtitle="Changes Gantry makes to environments: planned first, then run by the server's workers.">
            <Suspense>
                {move || Suspend::new(async move {
                    me.await
                        .ok()
                        .filter(|m| m.can_run_jobs)
                        .map(|_| view! {
                            <a data-testid="new-job" href="/jobs/new" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">"New job"</a>
                        })
                })}
            </Suspense>
        </PageHeader>
        <FilterForm filters=&FILTERS grid="sm:grid-cols-3 lg:grid-cols-5" />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <JobsTable page filters=filters() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn JobsTable(page: JobListView, filters: String) -> impl IntoView {
    let next = page.next_before.map(|id| {
        let sep = if filters.is_empty() { "" } else { "&" };
        format!("/jobs?{filters}{sep}before={id}")
    });
    let empty = page.jobs.is_empty();
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table data-testid="jobs-table" class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Jobs, newest first"</caption>
                <thead class="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-700 uppercase">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Job"</th>
                        <th scope="col" class="px-3 py-2">"Kind"</th>
                        <th scope="col" class="px-3 py-2">"Environment"</th>
                        <th scope="col" class="px-3 py-2">"State"</th>
                        <th scope="col" class="px-3 py-2">"Progress"</th>
                        <th scope="col" class="px-3 py-2">"Requested by"</th>
                        <th scope="col" class="px-3 py-2">"Requested"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {page
                        .jobs
                        .into_iter()
                        .map(|job| {
                            view! {
                                <tr data-job=job.id>
                                    <td class="px-3 py-2 font-medium">
                                        <A href=format!("/jobs/{}", job.id) attr:class="text-indigo-700 underline hover:text-indigo-900">
                                            {format!("#{}", job.id)}
                                        </A>
                                    </td>
                                    <td class="px-3 py-2">{job.kind.as_str()}</td>
                                    <td class="px-3 py-2">
                                        <A href=format!("/environments/{}", job.environment) attr:class="underline">{job.environment.clone()}</A>
                                    </td>
                                    <td class="px-3 py-2">
                                        <JobStateBadge state=job.state />
                                        {(job.state == JobState::Running).then_some(()).and(job.reason.clone()).map(|fault| view! {
                                            <span data-testid="job-fault" title=fault.clone() class="ml-1 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-950">
                                                "not making progress"
                                                <span class="sr-only">{format!(": {fault}")}</span>
                                            </span>
                                        })}
                                    </td>
                                    <td class="px-3 py-2"><Progress done=job.done steps=job.steps /></td>
                                    <td class="px-3 py-2">{job.requested_by.clone()}</td>
                                    <td class="px-3 py-2 whitespace-nowrap text-slate-700">{job.created_at.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {empty.then(|| view! { <p class="p-4 text-sm text-slate-700">"No jobs match."</p> })}
        </div>
        {next.map(|href| view! {
            <p class="mt-3 text-sm"><a data-testid="older-jobs" href=href class="text-indigo-700 underline">"Older jobs →"</a></p>
        })}
    }
}
