//! The approvals panel of a job's page: who asked and why, the policy, the
//! decisions so far (void ones marked), approve / reject with a reason for
//! those who may decide (the requester sees why they cannot), break-glass
//! for admins, and the break-glass review.

use leptos::prelude::*;

use super::api::{job_approvals, BreakGlass, Decide, ReviewBreakGlass};
use super::dto::{CostDeltaView, JobApprovalsView};
use crate::components::data::{page_data, Data};
use crate::components::form::INPUT;
use crate::components::page::ErrorPanel;

/// The panel's actions and data, made once by the job's page (not by the
/// job view it sits in, which is rendered again at each change of the job):
/// read again after each decision and each change of the job.
#[derive(Clone, Copy)]
pub struct JobApprovals {
    decide: ServerAction<Decide>,
    glass: ServerAction<BreakGlass>,
    review: ServerAction<ReviewBreakGlass>,
    data: Data<JobApprovalsView>,
}

impl JobApprovals {
    pub fn new(id: Memo<Option<i64>>, job_changed: RwSignal<u32>) -> Self {
        let decide = ServerAction::<Decide>::new();
        let glass = ServerAction::<BreakGlass>::new();
        let review = ServerAction::<ReviewBreakGlass>::new();
        let data = page_data(
            move || {
                (
                    id.get(),
                    job_changed.get(),
                    decide.version().get(),
                    glass.version().get(),
                    review.version().get(),
                )
            },
            |(id, ..)| job_approvals(id.unwrap_or(0)),
        );
        Self {
            decide,
            glass,
            review,
            data,
        }
    }

    /// Counts the decisions and break-glasses submitted from this page
    /// (tracked): the job's page reads the job again after each, so a
    /// decision refused because the plan changed shows the new plan.
    pub fn submitted(&self) -> usize {
        self.decide.version().get() + self.glass.version().get()
    }
}

/// The job's approvals; `plan_hash` is the plan its page shows, which every
/// decision and break-glass sent from here is bound to.
#[component]
pub fn ApprovalsPanel(approvals: JobApprovals, plan_hash: String) -> impl IntoView {
    let JobApprovals {
        decide,
        glass,
        review,
        data,
    } = approvals;
    let error = move || {
        decide
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| glass.value().get().and_then(|r| r.err()))
            .or_else(|| review.value().get().and_then(|r| r.err()))
            .map(|e| view! { <p role="alert" class="mt-2 text-sm text-rose-800">{e.to_string()}</p> })
    };
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let plan_hash = plan_hash.clone();
                Suspend::new(async move {
                match data.await {
                    // Not a change that needs approvals, and none was given.
                    Ok(view) if view.required == 0 && view.decisions.is_empty() && view.break_glass.is_none() => ().into_any(),
                    Ok(view) => view! {
                        <section data-testid="approvals" aria-labelledby="approvals-heading" class="mt-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-950">
                            <h2 id="approvals-heading" class="font-semibold">"Approvals"</h2>
                            <Body view decide glass review plan_hash />
                            {error}
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn Body(
    view: JobApprovalsView,
    decide: ServerAction<Decide>,
    glass: ServerAction<BreakGlass>,
    review: ServerAction<ReviewBreakGlass>,
    plan_hash: String,
) -> impl IntoView {
    let id = view.job_id;
    let groups = if view.approver_groups.is_empty() {
        "any approver".to_owned()
    } else if view.distinct_groups > 0 {
        format!(
            "members of {} (from {} different groups)",
            view.approver_groups.join(", "),
            view.distinct_groups
        )
    } else {
        format!("members of {}", view.approver_groups.join(", "))
    };
    let glass_hash = plan_hash.clone();
    let reason_label = if view.reason_required {
        "Reason (required)"
    } else {
        "Reason"
    };
    view! {
        <p data-testid="approval-count">
            {format!("{} of {} approval(s) for this plan, from {groups}; ", view.counted, view.required)}
            {if view.expired {
                format!("the request expired at {}.", view.expires_at)
            } else {
                format!("the request expires at {}.", view.expires_at)
            }}
        </p>
        <p class="mt-1">
            {format!("Requested by {}", view.requested_by)}
            {view.request_reason.clone().map(|r| format!(": “{r}”")).unwrap_or_else(|| ".".into())}
        </p>
        {view.health.clone().map(|h| view! {
            <p data-testid="approval-health" class="mt-1">
                {format!(
                    "Health now: {} (read {}){}",
                    h.overall.status.label(),
                    crate::health::panel::ago(h.age_secs),
                    h.image.map(|i| format!("; it runs {i}")).unwrap_or_default()
                )}
            </p>
        })}
        {view.cost.clone().map(|c| view! {
            <p data-testid="approval-cost" class="mt-1">
                {format!(
                    "Spend this month: {} so far{}{} (last month {}).",
                    c.month_to_date,
                    c.forecast.map(|f| format!(", {f} forecast")).unwrap_or_default(),
                    c.budget.map(|b| format!(" against a budget of {b}")).unwrap_or_default(),
                    c.previous_month
                )}
                {c.over_budget.then(|| view! { <strong class="ml-1">"Over budget."</strong> })}
            </p>
        })}
        {view.cost_delta.clone().map(|d| view! { <CostDelta delta=d /> })}
        {(view.awaiting && !view.may_still_approve.is_empty()).then(|| view! {
            <p data-testid="may-still-approve" class="mt-1">
                {format!("Who may still approve (signed in now): {}.", view.may_still_approve.join(", "))}
            </p>
        })}
        {(view.voided > 0).then(|| view! {
            <p data-testid="approvals-voided" class="mt-1 font-medium">
                {format!("{} decision(s) were made on an earlier plan and no longer count.", view.voided)}
            </p>
        })}
        {(!view.decisions.is_empty()).then(|| view! {
            <ul data-testid="decisions" class="mt-2 list-disc pl-5">
                {view.decisions.iter().map(|d| view! {
                    <li data-decision=d.decision.as_str()>
                        {format!(
                            "{} {} at {}{}{}",
                            d.name,
                            if d.decision == gantry_wire::Decision::Approve { "approved" } else { "rejected" },
                            d.at,
                            d.reason.as_ref().map(|r| format!(": “{r}”")).unwrap_or_default(),
                            if d.void { " (earlier plan: void)" } else { "" },
                        )}
                    </li>
                }).collect_view()}
            </ul>
        })}
        {view.break_glass.clone().map(|g| view! {
            <p data-testid="break-glass" class="mt-2 rounded bg-rose-100 p-2 font-medium text-rose-900">
                {format!("Break-glass by {}: “{}”. ", g.by, g.reason)}
                {match g.reviewed_by {
                    Some(by) => format!("Reviewed by {by}."),
                    None => "Not reviewed yet.".to_owned(),
                }}
            </p>
        })}
        {view.can_review.then(|| view! {
            <ActionForm action=review attr:data-testid="review-break-glass" attr:class="mt-2">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="rounded-md border border-slate-400 bg-white px-3 py-1.5 font-medium text-slate-900">"Mark the break-glass reviewed"</button>
            </ActionForm>
        })}
        {match (view.awaiting, view.cannot_decide.clone()) {
            (true, None) => view! {
                <ActionForm action=decide attr:data-testid="decide" attr:class="mt-3 grid gap-2 sm:grid-cols-[1fr_auto_auto] sm:items-end">
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="plan_hash" value=plan_hash.clone() />
                    <label>
                        {reason_label}
                        <input name="reason" class=INPUT required=view.reason_required maxlength="2000" />
                    </label>
                    <button type="submit" name="decision" value="approve" data-testid="approve" class="rounded-md bg-emerald-700 px-3 py-1.5 font-medium text-white hover:bg-emerald-600">"Approve"</button>
                    <button type="submit" name="decision" value="reject" data-testid="reject" class="rounded-md bg-rose-700 px-3 py-1.5 font-medium text-white hover:bg-rose-600">"Reject"</button>
                </ActionForm>
            }.into_any(),
            (true, Some(why)) => view! { <p data-testid="cannot-decide" class="mt-2 italic">{why}</p> }.into_any(),
            (false, _) => ().into_any(),
        }}
        {view.can_break_glass.then(|| view! {
            <details class="mt-3">
                <summary class="cursor-pointer font-medium text-rose-900">"Break glass (admins): run without approvals"</summary>
                <ActionForm action=glass attr:data-testid="break-glass-form" attr:class="mt-2 grid gap-2">
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="plan_hash" value=glass_hash.clone() />
                    <label>
                        "Why this cannot wait (flagged in the audit log, reviewed by another admin)"
                        <input name="reason" class=INPUT required minlength="10" maxlength="2000" />
                    </label>
                    <button type="submit" class="justify-self-start rounded-md bg-rose-800 px-3 py-1.5 font-medium text-white">"Run it now"</button>
                </ActionForm>
            </details>
        })}
    }
}

/// What the plan does to the monthly bill, service by service.
#[component]
fn CostDelta(delta: CostDeltaView) -> impl IntoView {
    view! {
        <div data-testid="cost-delta" class="mt-2">
            <p class="font-medium">
                {format!("Estimated cost of this change: {} ({} → {} a month, Fargate compute).", delta.summary, delta.before, delta.after)}
            </p>
            <table class="mt-1 text-left">
                <caption class="sr-only">"Monthly Fargate cost of each service this plan changes, before and after"</caption>
                <thead>
                    <tr>
                        <th scope="col" class="pr-3">"Service"</th>
                        <th scope="col" class="pr-3">"Now"</th>
                        <th scope="col" class="pr-3">"After"</th>
                    </tr>
                </thead>
                <tbody>
                    {delta.lines.into_iter().map(|l| view! {
                        <tr data-service=l.service.clone()>
                            <th scope="row" class="pr-3 font-normal">{l.service.clone()}</th>
                            <td class="pr-3">{format!("{} ({})", l.before, l.before_cost)}</td>
                            <td class="pr-3">{format!("{} ({})", l.after, l.after_cost)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(!delta.unpriced.is_empty()).then(|| view! {
                <p class="mt-1">{format!("Not priced (task size unknown): {}.", delta.unpriced.join(", "))}</p>
            })}
        </div>
    }
}
