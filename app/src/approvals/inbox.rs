//! `/approvals`: the requests waiting for the signed-in approver, their
//! decisions, and (admins) the break-glass runs to review.

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::approvals_inbox;
use super::dto::InboxView;
use crate::components::data::page_data;
use crate::components::page::{ErrorPanel, Loading, PageHeader};
use crate::jobs::dto::JobSummaryView;
use crate::jobs::JobStateBadge;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let data = page_data(|| (), |_| approvals_inbox());
    view! {
        <Title text="Approvals" />
        <PageHeader title="Approvals".to_owned() subtitle="Production changes waiting for your decision, and what you decided." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(inbox) => view! { <Inbox inbox /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn JobList(jobs: Vec<JobSummaryView>, testid: &'static str, empty: &'static str) -> impl IntoView {
    if jobs.is_empty() {
        return view! { <p class="text-sm text-slate-700">{empty}</p> }.into_any();
    }
    view! {
        <ul data-testid=testid class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
            {jobs.into_iter().map(|job| view! {
                <li data-job=job.id class="flex flex-wrap items-center gap-2 px-4 py-2 text-sm">
                    <a href=format!("/jobs/{}", job.id) class="font-medium text-indigo-800 underline">{format!("#{} {} on {}", job.id, job.kind, job.environment)}</a>
                    <JobStateBadge state=job.state />
                    <span class="text-slate-700">{format!("requested by {} at {}", job.requested_by, job.created_at)}</span>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Inbox(inbox: InboxView) -> impl IntoView {
    view! {
        <section aria-labelledby="waiting-heading" class="mb-6">
            <h2 id="waiting-heading" class="mb-2 text-lg font-semibold">"Waiting for you"</h2>
            <JobList jobs=inbox.waiting testid="approvals-waiting" empty="Nothing waits for your decision." />
        </section>
        {(!inbox.needs_review.is_empty()).then(|| view! {
            <section aria-labelledby="review-heading" class="mb-6">
                <h2 id="review-heading" class="mb-2 text-lg font-semibold">"Break-glass runs to review"</h2>
                <JobList jobs=inbox.needs_review testid="approvals-review" empty="" />
            </section>
        })}
        <section aria-labelledby="decided-heading">
            <h2 id="decided-heading" class="mb-2 text-lg font-semibold">"Your decisions"</h2>
            {if inbox.decided.is_empty() {
                view! { <p class="text-sm text-slate-700">"You have not decided on any request yet."</p> }.into_any()
            } else {
                view! {
                    <ul data-testid="approvals-decided" class="list-disc pl-5 text-sm">
                        {inbox.decided.into_iter().map(|d| view! {
                            <li>
                                <a href=format!("/jobs/{}", d.job_id) class="text-indigo-800 underline">{format!("#{}", d.job_id)}</a>
                                {format!(" {} at {}{}", d.decision, d.at, d.reason.map(|r| format!(": “{r}”")).unwrap_or_default())}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
