//! `/jobs/:id`: a job's progress, its plan (each step's before → after), its
//! log, and cancel / retry for operators. Hydrated, it follows the job's
//! server-sent events (`/jobs/{id}/events`): log lines appear as they are
//! written and the page reads the job again when its state or step changes;
//! without JavaScript, the Refresh link. The state shown is always the
//! database's, never the stream's.

use gantry_wire::JobState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{get_job, CancelJob, ReplanJob, RetryJob};
use super::dto::{JobView, LogLineView, StepView};
use super::{JobStateBadge, Progress, StepStateBadge};
use crate::approvals::panel::{ApprovalsPanel, JobApprovals};
use crate::components::data::{page_data, Data};
use crate::components::page::{ErrorPanel, Loading, PageHeader};

#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let cancel = ServerAction::<CancelJob>::new();
    let retry = ServerAction::<RetryJob>::new();
    let replan = ServerAction::<ReplanJob>::new();
    let id = Memo::new(move |_| params.get().get("id").and_then(|id| id.parse::<i64>().ok()));
    // Bumped (in the browser) when the job's event stream says it changed.
    let changed = RwSignal::new(0_u32);
    // Everything that loads data of its own is made here, once for the page:
    // the job's view below is rendered again at each change of the job, and
    // a resource made inside it would be dropped while its panel still
    // waits for it.
    let approvals = JobApprovals::new(id, changed);
    let job = page_data(
        move || {
            (
                id.get(),
                query.get().get("after").and_then(|a| a.parse::<i64>().ok()),
                cancel.version().get(),
                retry.version().get(),
                replan.version().get(),
                changed.get(),
                // A decision refused because the plan changed shows the new plan.
                approvals.submitted(),
            )
        },
        |(id, after, ..)| get_job(id.unwrap_or(0), after.unwrap_or(0)),
    );
    // Lines that arrived as events since the page was read.
    let live = RwSignal::new(Vec::<LogLineView>::new());
    follow_events(id, job, changed, live);
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match job.await {
                    Ok(view) => view! { <JobDetail view cancel retry replan approvals live /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

type JobResource = Data<JobView>;

/// What a `state` (or `end`) event says about the job, to compare with what
/// the page shows: an event that says nothing new reads nothing again (the
/// stream always opens with the job's current state).
#[cfg(feature = "hydrate")]
#[derive(serde::Deserialize, PartialEq)]
struct ShownState {
    state: gantry_wire::JobState,
    done: usize,
    steps: usize,
    #[serde(default)]
    cancel_requested: bool,
    /// A running job's reason: a fault while it lasts.
    #[serde(default)]
    reason: Option<String>,
}

#[cfg(feature = "hydrate")]
impl ShownState {
    fn of(job: &JobResource) -> Option<Self> {
        job.get_untracked().and_then(Result::ok).map(|view| Self {
            state: view.job.state,
            done: view.job.done,
            steps: view.job.steps,
            cancel_requested: view.job.cancel_requested,
            reason: view.job.reason,
        })
    }
}

/// In the browser: follows `/jobs/{id}/events` (server-sent events; the
/// browser reconnects by itself with `Last-Event-ID`). Log lines are
/// appended to `live`; a change of state or step bumps `changed`, which
/// reads the job again, so the page always shows the database's state. The
/// server renders once.
#[cfg(feature = "hydrate")]
fn follow_events(
    id: Memo<Option<i64>>,
    job: JobResource,
    changed: RwSignal<u32>,
    live: RwSignal<Vec<LogLineView>>,
) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    type Listener = Closure<dyn FnMut(web_sys::MessageEvent)>;

    let read_again = move || changed.update(|n| *n = n.wrapping_add(1));
    Effect::new(move |_| {
        let Some(id) = id.get() else {
            return;
        };
        live.set(Vec::new());
        let Ok(source) = web_sys::EventSource::new(&format!("/jobs/{id}/events")) else {
            return;
        };
        let on_log = Listener::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            if let Ok(line) = crate::components::data::decode_json::<LogLineView>(&text) {
                live.update(|lines| {
                    if lines.last().is_none_or(|last| last.seq < line.seq) {
                        lines.push(line);
                    }
                });
            }
        });
        let on_state = Listener::new(move |event: web_sys::MessageEvent| {
            let said = event
                .data()
                .as_string()
                .and_then(|text| crate::components::data::decode_json::<ShownState>(&text).ok());
            if said.is_none() || said != ShownState::of(&job) {
                read_again();
            }
        });
        let closer = source.clone();
        let on_end = Listener::new(move |event: web_sys::MessageEvent| {
            closer.close();
            let shown = ShownState::of(&job).map(|s| s.state.as_str().to_owned());
            if shown.is_none() || event.data().as_string() != shown {
                read_again();
            }
        });
        for (name, listener) in [("log", &on_log), ("state", &on_state), ("end", &on_end)] {
            let _ =
                source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
        // The listeners live as long as the page; the stream is closed when
        // it goes.
        let held = send_wrapper::SendWrapper::new((source, on_log, on_state, on_end));
        on_cleanup(move || held.0.close());
    });
}

#[cfg(not(feature = "hydrate"))]
fn follow_events(
    _id: Memo<Option<i64>>,
    _job: JobResource,
    _changed: RwSignal<u32>,
    _live: RwSignal<Vec<LogLineView>>,
) {
}

#[component]
fn JobDetail(
    view: JobView,
    cancel: ServerAction<CancelJob>,
    retry: ServerAction<RetryJob>,
    replan: ServerAction<ReplanJob>,
    approvals: JobApprovals,
    live: RwSignal<Vec<LogLineView>>,
) -> impl IntoView {
    let last_read = view.log.last().map_or(0, |l| l.seq);
    let job = view.job.clone();
    let id = job.id;
    let awaiting_approval = job.state == JobState::AwaitingApproval;
    let retry_needs_approval = view.retry_needs_approval;
    let running = job.state == JobState::Running;
    let title = format!("Job #{id}: {} on {}", job.kind, job.environment);
    let message = move || {
        let result = cancel
            .value()
            .get()
            .or_else(|| retry.value().get())
            .or_else(|| replan.value().get());
        result.map(|r| match r {
            Ok(text) => view! { <p role="status" class="mt-2 text-sm text-emerald-800">{text}</p> }
                .into_any(),
            Err(e) => {
                view! { <p role="alert" class="mt-2 text-sm text-rose-800">{e.to_string()}</p> }
                    .into_any()
            }
        })
    };
    view! {
        <Title text=title.clone() />
        <PageHeader title=title subtitle=format!("Requested by {} at {}", job.requested_by, job.created_at)>
            <div class="flex items-center gap-3">
                <JobStateBadge state=job.state />
                <Progress done=job.done steps=job.steps />
                <a href="" data-testid="refresh" class="text-sm text-indigo-700 underline">"Refresh"</a>
            </div>
        </PageHeader>
        <section data-testid="job-summary" aria-label="Summary" class="mb-4 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
            <p>
                "Environment " <a href=format!("/environments/{}", job.environment) class="underline">{job.environment.clone()}</a>
                " · plan " <code data-testid="plan-hash">{view.plan_hash.clone()}</code>
            </p>
            {job.reason.clone().map(|reason| {
                let fault = running;
                view! {
                    <p data-testid="job-reason" data-fault=fault.then_some("true") role=fault.then_some("status")
                        class=if fault { "mt-2 rounded-md bg-amber-100 p-2 font-medium text-amber-950" } else { "mt-2 font-medium" }>
                        {if fault { format!("Not making progress: {reason}") } else { reason }}
                    </p>
                }
            })}
            {job.cancel_requested.then(|| view! { <p class="mt-2 text-amber-900">"A cancel was requested: the job stops at its next step boundary or wait."</p> })}
            {awaiting_approval.then(|| view! {
                <p class="mt-2 font-medium text-amber-900">"This production change waits for approval before it can run."</p>
            })}
            {view.attempt.clone().map(|a| view! {
                <p data-testid="job-attempt" class="mt-2 rounded-md bg-amber-50 p-2 text-amber-950">
                    {format!(
                        "Attempt {}: retried by {} at {} after the attempt before ended {}. Planned again from the live state; decisions on earlier attempts do not count.",
                        a.number, a.requested_by, a.requested_at, a.after
                    )}
                </p>
            })}
            <ApprovalsPanel approvals plan_hash=view.plan_hash.clone() />
            {view.lock_holder.clone().map(|holder| view! {
                <p data-testid="queued-behind" class="mt-2 rounded-md bg-sky-50 p-2 text-sky-900">
                    {format!("Job #{} ({}) holds this environment's lock; this job waits for it.", holder.id, holder.state)}
                </p>
            })}
            <div class="mt-3 flex gap-2">
                {view.can_cancel.then(|| view! {
                    <ActionForm action=cancel attr:data-testid="cancel-job">
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="rounded-md border border-rose-300 bg-white px-3 py-1.5 text-sm font-medium text-rose-800 hover:bg-rose-50">"Cancel job"</button>
                    </ActionForm>
                })}
                {view.replan_query.clone().map(|query| view! {
                    <a href=format!("/jobs/new?{query}") data-testid="replan-job" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">"Plan it again"</a>
                })}
                {view.can_replan.then(|| view! {
                    <ActionForm action=replan attr:data-testid="replan-in-place">
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">"Re-plan from the live state"</button>
                    </ActionForm>
                })}
                {view.can_retry.then(|| view! {
                    <ActionForm action=retry attr:data-testid="retry-job">
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                            {if retry_needs_approval { "Retry: plan again and ask for approval" } else { "Retry from the failed step" }}
                        </button>
                    </ActionForm>
                })}
            </div>
            {message}
        </section>
        <section aria-labelledby="steps-heading" class="mb-4">
            <h2 id="steps-heading" class="mb-2 text-lg font-semibold">"Steps"</h2>
            <ol data-testid="job-steps" class="space-y-3">
                {view.steps.into_iter().map(|step| view! { <Step step /> }).collect_view()}
            </ol>
        </section>
        <section aria-labelledby="log-heading">
            <h2 id="log-heading" class="mb-2 text-lg font-semibold">"Log"</h2>
            <ol data-testid="job-log" class="overflow-x-auto rounded-lg border border-slate-200 bg-slate-900 p-3 font-mono text-xs text-slate-100">
                {view.log.into_iter().map(|line| view! { <LogLine line /> }).collect_view()}
                {move || {
                    live.get()
                        .into_iter()
                        .filter(|line| line.seq > last_read)
                        .map(|line| view! { <LogLine line /> })
                        .collect_view()
                }}
            </ol>
            {view.next_after.map(|after| view! {
                <p class="mt-2 text-sm"><a href=format!("/jobs/{id}?after={after}") class="text-indigo-700 underline">"Later log lines →"</a></p>
            })}
        </section>
    }
}

#[component]
fn LogLine(line: LogLineView) -> impl IntoView {
    view! {
        <li data-seq=line.seq data-level=line.level.as_str()>
            <span class="text-slate-300">{line.at}</span>
            " "
            <span class="uppercase">{line.level.as_str()}</span>
            {line.step.map(|s| format!(" [step {s}]"))}
            " "
            {line.message}
        </li>
    }
}

#[component]
fn Step(step: StepView) -> impl IntoView {
    view! {
        <li data-step=step.position + 1 data-state=step.state.as_str() class="rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
            <div class="flex flex-wrap items-center gap-2">
                <span class="text-sm font-medium">{format!("{}. {}", step.position + 1, step.name)}</span>
                <StepStateBadge state=step.state />
                {(step.attempts > 1).then(|| view! { <span class="text-xs text-slate-700">{format!("{} attempts", step.attempts)}</span> })}
            </div>
            {step.error.map(|e| view! { <p class="mt-1 text-sm text-rose-800">{e}</p> })}
            <details class="mt-2">
                <summary class="cursor-pointer text-xs text-slate-700">"Before → after"</summary>
                <div class="mt-2 grid gap-2 md:grid-cols-2">
                    <pre class="overflow-x-auto rounded bg-slate-50 p-2 text-xs">{step.before}</pre>
                    <pre class="overflow-x-auto rounded bg-emerald-50 p-2 text-xs">{step.after}</pre>
                </div>
                {step.output.map(|o| view! {
                    <p class="mt-2 text-xs font-semibold text-slate-700">"Result"</p>
                    <pre class="overflow-x-auto rounded bg-slate-50 p-2 text-xs">{o}</pre>
                })}
            </details>
        </li>
    }
}
