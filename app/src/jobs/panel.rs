//! The jobs panel of an environment's page: who holds its lock, its newest
//! jobs, and "New job" for operators and admins.

use leptos::prelude::*;

use super::dto::EnvironmentJobsView;
use super::{JobStateBadge, Progress};
use crate::components::data::Data;
use crate::components::page::{ErrorPanel, Loading};

#[component]
pub fn EnvironmentJobs(
    name: Signal<String>,
    jobs: Data<EnvironmentJobsView>,
    can_run_jobs: bool,
) -> impl IntoView {
    view! {
        <section data-testid="environment-jobs" aria-labelledby="env-jobs-heading" class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <div class="flex items-center justify-between">
                <h2 id="env-jobs-heading" class="font-semibold">"Jobs"</h2>
                <div class="flex gap-3 text-sm">
                    <a href=move || format!("/jobs?environment={}", name.get()) class="text-indigo-700 underline">"All jobs"</a>
                    {can_run_jobs.then(|| view! {
                        <a data-testid="new-environment-job" href=move || format!("/jobs/new?environment={}", name.get()) class="text-indigo-700 underline">"New job"</a>
                    })}
                </div>
            </div>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(view) => {
                            let lock = match view.lock_holder {
                                Some(holder) => view! {
                                    <p data-testid="environment-lock" class="mt-2 rounded-md bg-sky-50 p-2 text-sm text-sky-900">
                                        "Locked by "
                                        <a href=format!("/jobs/{}", holder.id) class="underline">{format!("job #{} ({})", holder.id, holder.kind)}</a>
                                        {format!(", {} for {}.", holder.state, holder.requested_by)}
                                    </p>
                                }.into_any(),
                                None => view! {
                                    <p data-testid="environment-lock" class="mt-2 text-sm text-slate-700">"No job holds this environment's lock."</p>
                                }.into_any(),
                            };
                            let empty = view.recent.is_empty();
                            view! {
                                {lock}
                                <ul class="mt-3 divide-y divide-slate-100 text-sm">
                                    {view.recent.into_iter().map(|job| view! {
                                        <li class="flex flex-wrap items-center gap-3 py-2">
                                            <a href=format!("/jobs/{}", job.id) class="font-medium text-indigo-700 underline">{format!("#{}", job.id)}</a>
                                            <span>{job.kind.as_str()}</span>
                                            <JobStateBadge state=job.state />
                                            <Progress done=job.done steps=job.steps />
                                            <span class="text-slate-700">{job.created_at.clone()}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {empty.then(|| view! { <p class="mt-2 text-sm text-slate-700">"No jobs yet."</p> })}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}
