//! Live health on the environment pages: read from the poller's latest stored
//! snapshot (never from AWS), refetched while the page is open, every figure
//! with the time it was last read; "Check health now"; and the badge and age
//! the environments overview shares.

use gantry_wire::HealthStatus;
use leptos::prelude::*;

use super::api::CheckHealthNow;
use super::dto::{
    AlarmsView, DatabaseView, EnvironmentHealthView, HealthBadgeView, ParameterView, ProbeView,
    ReadingView, ServiceHealthView, SnapshotView, TargetsView,
};
use crate::components::data::Data;
use crate::components::page::{ErrorPanel, Loading};

/// A health status: colour, icon-free text and the reason on hover.
#[component]
pub fn HealthBadge(badge: HealthBadgeView) -> impl IntoView {
    let colours = match badge.status {
        HealthStatus::Healthy => "bg-emerald-100 text-emerald-800 ring-emerald-600/20",
        HealthStatus::Progressing => "bg-sky-100 text-sky-800 ring-sky-600/20",
        HealthStatus::Missing => "bg-amber-100 text-amber-900 ring-amber-600/20",
        HealthStatus::Degraded => "bg-rose-100 text-rose-800 ring-rose-600/20",
        HealthStatus::Unknown => "bg-slate-200 text-slate-700 ring-slate-500/20",
    };
    view! {
        <span
            data-health=badge.status.as_str()
            title=badge.reason
            class=format!(
                "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {colours}",
            )
        >
            {badge.status.label()}
        </span>
    }
}

/// "12 s ago", "3 min ago", "2 h ago".
pub fn ago(secs: i64) -> String {
    match secs {
        s if s < 90 => format!("{s} s ago"),
        s if s < 90 * 60 => format!("{} min ago", (s + 30) / 60),
        s if s < 48 * 3600 => format!("{} h ago", (s + 1800) / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

/// When a figure was read, and the latest failure if any.
#[component]
fn ReadAt(reading: ReadingView) -> impl IntoView {
    let when = match (&reading.read_at, reading.age_secs) {
        (Some(at), Some(age)) => format!("read {} ({})", at.replace('T', " "), ago(age)),
        _ => "never read".to_owned(),
    };
    view! {
        <p class="text-xs text-slate-500" data-read-at=reading.read_at.clone().unwrap_or_default()>
            {when}
        </p>
        {reading
            .error
            .map(|e| {
                view! {
                    <p class="text-xs font-medium text-rose-700" data-testid="source-error">
                        {format!("Latest read failed: {e}")}
                    </p>
                }
            })}
    }
}

/// The live panel of one environment, refetched every `refresh_secs` while
/// open (hydrated); without JavaScript the "Refresh" link reloads it.
#[component]
pub fn LiveHealth(health: Data<EnvironmentHealthView>) -> impl IntoView {
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match health.await {
                    Ok(view) => {
                        schedule_refresh(move || health.refetch(), view.refresh_secs);
                        view! { <HealthPanel view /> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Check health now" (operators and admins): asks the poller for a poll;
/// the live panel above shows the result at its next refresh.
#[component]
pub fn CheckNow() -> impl IntoView {
    let action = ServerAction::<CheckHealthNow>::new();
    let result = move || {
        action.value().get().map(|r| match r {
            Ok(message) => view! {
                <p role="status" class="text-sm text-emerald-700" data-testid="check-now-result">{message}</p>
            }
            .into_any(),
            Err(e) => view! {
                <p role="alert" class="text-sm text-rose-700" data-testid="check-now-error">{e.to_string()}</p>
            }
            .into_any(),
        })
    };
    view! {
        <ActionForm action attr:class="no-print mt-3 flex flex-wrap items-center gap-3" attr:data-testid="check-now">
            <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium shadow-sm hover:bg-slate-50">
                "Check health now"
            </button>
            {result}
        </ActionForm>
    }
}

/// Calls `refetch` once, `secs` from now, unless the view is gone by then (its
/// owner cleaned up). Each refetch renders again and schedules the next. Only
/// in the browser; the server renders once.
pub fn schedule_refresh(refetch: impl FnOnce() + 'static, secs: u32) {
    #[cfg(feature = "hydrate")]
    {
        let delay = std::time::Duration::from_secs(u64::from(secs.max(5)));
        if let Ok(handle) = set_timeout_with_handle(refetch, delay) {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (refetch, secs);
}

#[component]
fn HealthPanel(view: EnvironmentHealthView) -> impl IntoView {
    let refresh = view.refresh_secs;
    match view.snapshot {
        None => view! {
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="live-health">
                <h2 class="font-semibold">"Health"</h2>
                <p class="mt-2 text-sm text-slate-600">
                    {format!("Not polled yet: the first reading arrives within {refresh} s.")}
                </p>
                <a href="" class="mt-2 inline-block text-sm text-indigo-700 hover:underline">"Refresh"</a>
            </section>
        }
        .into_any(),
        Some(snap) => view! { <SnapshotPanel snap refresh /> }.into_any(),
    }
}

#[component]
fn SnapshotPanel(snap: SnapshotView, refresh: u32) -> impl IntoView {
    let polled = format!(
        "Polled {} ({}); refreshes every {refresh} s while open.",
        snap.polled_at.replace('T', " "),
        ago(snap.age_secs)
    );
    view! {
        <section class="space-y-4" data-testid="live-health" data-polled-at=snap.polled_at.clone()>
            <div class="flex flex-wrap items-center gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <h2 class="font-semibold">"Health"</h2>
                <span data-testid="environment-health"><HealthBadge badge=snap.overall.clone() /></span>
                <span class="text-sm text-slate-700" data-testid="environment-reason">{snap.overall.reason.clone()}</span>
                <span class="ml-auto text-xs text-slate-500" data-testid="polled-at">{polled}</span>
                <a href="" class="text-xs text-indigo-700 hover:underline">"Refresh"</a>
            </div>
            <DriftPanel drift=snap.drift.clone() />
            {snap.services.into_iter().map(|s| view! { <ServiceCard s /> }).collect_view()}
            {snap.database.map(|db| view! { <DatabaseCard db /> })}
            <ParametersCard reading=snap.parameters parameters=snap.parameter_list />
            <TransitionsCard transitions=snap.transitions />
        </section>
    }
}

#[component]
fn DriftPanel(drift: Vec<super::dto::DriftView>) -> impl IntoView {
    (!drift.is_empty()).then(|| {
        view! {
            <section class="rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="drift" aria-labelledby="drift-heading">
                <h3 id="drift-heading" class="font-semibold text-amber-900">"Drift between the roadmap and AWS"</h3>
                <ul class="mt-2 list-disc space-y-1 pl-5 text-sm text-amber-900">
                    {drift
                        .into_iter()
                        .map(|d| {
                            view! {
                                <li data-drift-module=d.module.clone()>
                                    <a class="font-medium underline" href=format!("/roadmap/modules/{}", d.module)>
                                        {d.module_name}
                                    </a>
                                    ": "
                                    {d.message}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn ServiceCard(s: ServiceHealthView) -> impl IntoView {
    let heading = format!("service-{}", s.name);
    let labelled_by = heading.clone();
    let key = s.name.clone();
    let tasks = if s.found {
        format!("{}/{} running, {} pending", s.running, s.desired, s.pending)
    } else {
        "not found in ECS".to_owned()
    };
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-service-health=key aria-labelledby=labelled_by>
            <div class="flex flex-wrap items-center gap-3">
                <h3 id=heading class="font-mono text-sm font-semibold">{s.name.clone()}</h3>
                <HealthBadge badge=s.overall.clone() />
                <span class="text-sm text-slate-700" data-testid="service-reason">{s.overall.reason.clone()}</span>
            </div>
            <dl class="mt-3 grid gap-x-6 gap-y-1 text-sm sm:grid-cols-2">
                <div><dt class="inline text-slate-500">"Tasks: "</dt><dd class="inline" data-testid="tasks">{tasks}</dd></div>
                <div><dt class="inline text-slate-500">"Task definition: "</dt><dd class="inline font-mono text-xs" data-testid="task-definition">{s.task_definition.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div class="sm:col-span-2"><dt class="inline text-slate-500">"Image: "</dt><dd class="inline font-mono text-xs break-all" data-testid="image">{s.image.clone().unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt class="inline text-slate-500">"Last deploy: "</dt><dd class="inline">{s.last_deploy_at.clone().map(|t| t.replace('T', " ")).unwrap_or_else(|| "—".into())}</dd></div>
            </dl>
            <ReadAt reading=s.ecs.clone() />
            <table class="mt-3 min-w-full text-sm">
                <caption class="sr-only">"What each source says"</caption>
                <thead class="text-left text-xs text-slate-500 uppercase">
                    <tr><th scope="col" class="py-1 pr-4">"Source"</th><th scope="col" class="py-1 pr-4">"Status"</th><th scope="col" class="py-1">"Reason"</th></tr>
                </thead>
                <tbody>
                    {s
                        .parts
                        .into_iter()
                        .map(|(component, badge)| {
                            view! {
                                <tr class="border-t border-slate-100">
                                    <th scope="row" class="py-1 pr-4 text-left font-normal">{component.label()}</th>
                                    <td class="py-1 pr-4"><HealthBadge badge=badge.clone() /></td>
                                    <td class="py-1 text-slate-700">{badge.reason}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <Deployments deployments=s.deployments />
            {s.targets.map(|t| view! { <Targets t /> })}
            {s.alarms.map(|a| view! { <Alarms a /> })}
            {s.probe.map(|p| view! { <Probe p /> })}
            <Events events=s.events />
        </section>
    }
}

#[component]
fn Deployments(deployments: Vec<super::dto::DeploymentView>) -> impl IntoView {
    (!deployments.is_empty()).then(|| {
        view! {
            <h4 class="mt-4 text-sm font-semibold">"Deployments"</h4>
            <table class="mt-1 min-w-full text-sm" data-testid="deployments">
                <thead class="text-left text-xs text-slate-500 uppercase">
                    <tr>
                        <th scope="col" class="py-1 pr-4">"Status"</th>
                        <th scope="col" class="py-1 pr-4">"Rollout"</th>
                        <th scope="col" class="py-1 pr-4">"Task definition"</th>
                        <th scope="col" class="py-1 pr-4">"Running / desired"</th>
                        <th scope="col" class="py-1 pr-4">"Failed tasks"</th>
                        <th scope="col" class="py-1">"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    {deployments
                        .into_iter()
                        .map(|d| {
                            let rollout = match (&d.rollout, &d.rollout_reason) {
                                (Some(r), Some(why)) => format!("{r}: {why}"),
                                (Some(r), None) => r.clone(),
                                (None, _) => "—".to_owned(),
                            };
                            view! {
                                <tr class="border-t border-slate-100">
                                    <td class="py-1 pr-4">{d.status}</td>
                                    <td class="py-1 pr-4">{rollout}</td>
                                    <td class="py-1 pr-4 font-mono text-xs">{d.task_definition}</td>
                                    <td class="py-1 pr-4 tabular-nums">{format!("{}/{} ({} pending)", d.running, d.desired, d.pending)}</td>
                                    <td class="py-1 pr-4 tabular-nums">{d.failed_tasks}</td>
                                    <td class="py-1">{d.created_at.map(|t| t.replace('T', " ")).unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    })
}

#[component]
fn Targets(t: TargetsView) -> impl IntoView {
    let total = t.healthy + t.unhealthy + t.initial + t.draining + t.unused + t.unavailable;
    let mut counts = vec![format!("{} of {total} healthy", t.healthy)];
    for (n, what) in [
        (t.unhealthy, "unhealthy"),
        (t.initial, "registering"),
        (t.draining, "draining"),
        (t.unused, "unused"),
        (t.unavailable, "health checks off"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {what}"));
        }
    }
    view! {
        <h4 class="mt-4 text-sm font-semibold">"Load balancer targets"</h4>
        <p class="text-sm" data-testid="targets">{counts.join(", ")}</p>
        <ul class="list-disc pl-5 text-xs text-slate-700">
            {t.issues.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
        </ul>
        <ReadAt reading=t.reading />
    }
}

#[component]
fn Alarms(a: AlarmsView) -> impl IntoView {
    view! {
        <h4 class="mt-4 text-sm font-semibold">"CloudWatch alarms"</h4>
        <ul class="text-sm" data-testid="alarms">
            {a
                .alarms
                .into_iter()
                .map(|alarm| {
                    let colour = match alarm.state.as_str() {
                        "ALARM" => "text-rose-700 font-semibold",
                        "OK" => "text-emerald-700",
                        _ => "text-slate-600",
                    };
                    let (key, state) = (alarm.name.clone(), alarm.state.clone());
                    view! {
                        <li data-alarm=key data-alarm-state=state>
                            <span class="font-mono text-xs">{alarm.name}</span>
                            " "
                            <span class=colour>{alarm.state}</span>
                            <span class="text-xs text-slate-500">{format!(" — {}", alarm.reason)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <ReadAt reading=a.reading />
    }
}

#[component]
fn Probe(p: ProbeView) -> impl IntoView {
    let text = match (&p.url, &p.outcome) {
        (Some(url), Some(outcome)) => format!("GET {url}: {outcome}"),
        _ => "not probed yet".to_owned(),
    };
    view! {
        <h4 class="mt-4 text-sm font-semibold">"Health probe"</h4>
        <p class="text-sm" class:text-rose-700=!p.ok data-testid="probe">{text}</p>
        <ReadAt reading=p.reading />
    }
}

#[component]
fn Events(events: Vec<super::dto::EventView>) -> impl IntoView {
    view! {
        <h4 class="mt-4 text-sm font-semibold">"Recent ECS events"</h4>
        {if events.is_empty() {
            view! { <p class="text-sm text-slate-500">"No recent events."</p> }.into_any()
        } else {
            view! {
                <ul class="space-y-1 text-xs" data-testid="events">
                    {events
                        .into_iter()
                        .map(|e| view! { <li><span class="text-slate-500">{e.at.replace('T', " ")}</span>" "{e.message}</li> })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
    }
}

#[component]
fn DatabaseCard(db: DatabaseView) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="database" aria-labelledby="database-heading">
            <div class="flex flex-wrap items-center gap-3">
                <h3 id="database-heading" class="font-semibold">"Database "<span class="font-mono text-sm">{db.identifier.clone()}</span></h3>
                <HealthBadge badge=db.health.clone() />
                <span class="text-sm text-slate-700">{db.health.reason.clone()}</span>
            </div>
            <p class="mt-2 text-sm">
                {format!(
                    "RDS status: {}{}",
                    db.status.clone().unwrap_or_else(|| "unknown".into()),
                    if db.multi_az { ", Multi-AZ" } else { ", single-AZ" },
                )}
            </p>
            <ReadAt reading=db.reading />
        </section>
    }
}

#[component]
fn ParametersCard(reading: ReadingView, parameters: Vec<ParameterView>) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="parameters-heading">
            <h3 id="parameters-heading" class="font-semibold">"SSM parameters"</h3>
            <p class="text-xs text-slate-500">"SecureString values are never read by Gantry nor sent to the browser."</p>
            <table class="mt-2 min-w-full text-sm" data-testid="parameters">
                <thead class="text-left text-xs text-slate-500 uppercase">
                    <tr>
                        <th scope="col" class="py-1 pr-4">"Name"</th>
                        <th scope="col" class="py-1 pr-4">"Type"</th>
                        <th scope="col" class="py-1 pr-4">"Value"</th>
                        <th scope="col" class="py-1 pr-4">"Version"</th>
                        <th scope="col" class="py-1">"Last modified"</th>
                    </tr>
                </thead>
                <tbody>
                    {parameters
                        .into_iter()
                        .map(|p| {
                            let value = if p.secure {
                                view! { <span class="text-slate-500" data-masked="true">"•••••••• (SecureString)"</span> }.into_any()
                            } else {
                                view! { <span class="font-mono text-xs break-all">{p.value.unwrap_or_default()}</span> }.into_any()
                            };
                            let key = p.name.clone();
                            view! {
                                <tr class="border-t border-slate-100" data-parameter=key>
                                    <td class="py-1 pr-4 font-mono text-xs">{p.name}</td>
                                    <td class="py-1 pr-4">{p.kind}</td>
                                    <td class="py-1 pr-4">{value}</td>
                                    <td class="py-1 pr-4 tabular-nums">{p.version}</td>
                                    <td class="py-1">{p.last_modified.map(|t| t.replace('T', " ")).unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <ReadAt reading />
        </section>
    }
}

#[component]
fn TransitionsCard(transitions: Vec<super::dto::TransitionView>) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="transitions-heading">
            <h3 id="transitions-heading" class="font-semibold">"Recent status changes"</h3>
            <ul class="mt-2 space-y-1 text-sm" data-testid="transitions">
                {transitions
                    .into_iter()
                    .map(|t| {
                        let from = t.from.map_or("first reading", HealthStatus::label);
                        view! {
                            <li>
                                <span class="text-xs text-slate-500">{t.at.replace('T', " ")}</span>
                                " "
                                <span class="font-mono text-xs">{t.subject}</span>
                                {format!(": {from} → ")}
                                <HealthBadge badge=t.to.clone() />
                                <span class="text-xs text-slate-600">{format!(" {}", t.to.reason)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
