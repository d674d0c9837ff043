//! `/roadmap/timeline`: the modules still to roll out on a time axis, drawn
//! as SVG on the server (title, description, and the same data in a table
//! beside it), with a "today" line and overdue items flagged in words and by
//! a hatch, never by colour alone. Filters by environment, priority and
//! owner (a GET form: works without JavaScript). Printable: the filters and
//! navigation are left out of print.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::roadmap_timeline;
use super::dto::{TimelineItemView, TimelineView};
use crate::components::data::page_data;
use crate::components::page::{ErrorPanel, FilterForm, Loading, PageHeader};

/// The drawing's width, and where its time axis runs (module names on the
/// left of `AXIS_LEFT`).
pub const WIDTH: f64 = 960.0;
pub const AXIS_LEFT: f64 = 300.0;
pub const AXIS_RIGHT: f64 = 940.0;
const ROW: f64 = 30.0;
const TOP: f64 = 44.0;

const FILTERS: [(&str, &str, &str); 3] = [
    ("environment", "Environment", "prod"),
    ("priority", "Priority", "high"),
    ("owner", "Owner", "Platform team"),
];

#[component]
pub fn TimelinePage() -> impl IntoView {
    let query = use_query_map();
    let data = page_data(
        move || query.get(),
        |q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            roadmap_timeline(get("environment"), get("priority"), get("owner"))
        },
    );
    view! {
        <Title text="Roadmap timeline" />
        <PageHeader
            title="Roadmap timeline".to_owned()
            subtitle="Modules still to roll out, by target date or by their phase's horizon."
        />
        <div class="print:hidden">
            <FilterForm filters=&FILTERS grid="sm:grid-cols-2 lg:grid-cols-4" />
        </div>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(timeline) => view! { <Timeline timeline /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn label(item: &TimelineItemView) -> String {
    let mut text = format!("{} · {}", item.name, item.environments.join(", "));
    if item.overdue {
        text.push_str(" · overdue");
    }
    text
}

fn fill(priority: Option<&str>) -> &'static str {
    match priority {
        Some("high") => "#be123c",
        Some("medium") => "#b45309",
        Some("low") => "#475569",
        _ => "#4338ca",
    }
}

#[component]
fn Timeline(timeline: TimelineView) -> impl IntoView {
    let height = TOP + ROW * timeline.items.len().max(1) as f64 + 16.0;
    let anchor = if timeline.anchor_from_document {
        format!("the document's date, {}", timeline.anchor)
    } else {
        format!("today, {} (the document has no date)", timeline.anchor)
    };
    let overdue = timeline.items.iter().filter(|i| i.overdue).count();
    let description = format!(
        "{} bar(s) from {} to {}; horizons measured from {anchor}; {overdue} overdue. The table below has the same data.",
        timeline.items.len(),
        timeline.from,
        timeline.to
    );
    let axis_bottom = height - 12.0;
    view! {
        <section aria-labelledby="timeline-heading" class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 id="timeline-heading" class="font-semibold">"On the calendar"</h2>
            <p data-testid="timeline-summary" class="mt-1 text-sm text-slate-700">
                {format!("Horizons are measured from {anchor}. Today is {}.", timeline.today)}
                {(overdue > 0).then(|| view! { <strong class="ml-1">{format!("{overdue} overdue.")}</strong> })}
            </p>
            <div class="mt-3 overflow-x-auto">
                <svg
                    data-testid="timeline-chart"
                    role="img"
                    aria-labelledby="timeline-title timeline-desc"
                    viewBox=format!("0 0 {WIDTH} {height}")
                    width=WIDTH.to_string()
                    height=height.to_string()
                    class="max-w-full"
                >
                    <title id="timeline-title">"Modules still to roll out, on a time axis"</title>
                    <desc id="timeline-desc">{description}</desc>
                    <defs>
                        <pattern id="overdue-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                            <rect width="6" height="6" fill="#ffffff" fill-opacity="0.0" />
                            <line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2" />
                        </pattern>
                    </defs>
                    {timeline.ticks.iter().map(|(x, text)| view! {
                        <g>
                            <line x1=x.to_string() x2=x.to_string() y1=(TOP - 14.0).to_string() y2=axis_bottom.to_string() stroke="#cbd5e1" />
                            <text x=(x + 3.0).to_string() y=(TOP - 18.0).to_string() font-size="11" fill="#334155">{text.clone()}</text>
                        </g>
                    }).collect_view()}
                    {timeline.items.iter().enumerate().map(|(row, item)| {
                        let y = TOP + ROW * row as f64;
                        let colour = fill(item.priority.as_deref());
                        let bar = if item.milestone {
                            let (cx, cy) = (item.x, y + 10.0);
                            view! {
                                <polygon
                                    points=format!("{},{} {},{} {},{} {},{}", cx, cy - 8.0, cx + 8.0, cy, cx, cy + 8.0, cx - 8.0, cy)
                                    fill=colour
                                />
                            }.into_any()
                        } else {
                            view! {
                                <g>
                                    <rect x=item.x.to_string() y=y.to_string() width=item.width.max(4.0).to_string() height="20" rx="3" fill=colour />
                                    {item.overdue.then(|| view! {
                                        <rect x=item.x.to_string() y=y.to_string() width=item.width.max(4.0).to_string() height="20" rx="3" fill="url(#overdue-hatch)" />
                                    })}
                                </g>
                            }.into_any()
                        };
                        view! {
                            <g data-module=item.slug.clone() data-overdue=item.overdue.to_string()>
                                <text x="4" y=(y + 14.0).to_string() font-size="12" fill="#0f172a">{label(item)}</text>
                                {bar}
                            </g>
                        }
                    }).collect_view()}
                    <line
                        data-testid="today-line"
                        x1=timeline.today_x.to_string()
                        x2=timeline.today_x.to_string()
                        y1=(TOP - 14.0).to_string()
                        y2=axis_bottom.to_string()
                        stroke="#0f172a"
                        stroke-width="2"
                        stroke-dasharray="4 3"
                    />
                    <text x=(timeline.today_x + 4.0).to_string() y=(axis_bottom).to_string() font-size="11" fill="#0f172a">"today"</text>
                </svg>
            </div>
            <TimelineTable items=timeline.items.clone() />
            {(!timeline.unscheduled.is_empty()).then(|| view! {
                <div data-testid="unscheduled" class="mt-4">
                    <h3 class="text-sm font-semibold">"Not scheduled (no target date and no phase)"</h3>
                    <ul class="mt-1 list-disc pl-5 text-sm">
                        {timeline.unscheduled.iter().map(|u| view! {
                            <li data-module=u.slug.clone()>
                                <a class="text-indigo-700 hover:underline" href=format!("/roadmap/modules/{}", u.slug)>{u.name.clone()}</a>
                                {format!(" ({})", u.environments.join(", "))}
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
        </section>
    }
}

#[component]
fn TimelineTable(items: Vec<TimelineItemView>) -> impl IntoView {
    view! {
        <table data-testid="timeline-table" class="mt-4 w-full text-left text-sm">
            <caption class="sr-only">"The timeline's data: each module still to roll out, where and when"</caption>
            <thead class="border-b border-slate-200 text-slate-700">
                <tr>
                    <th scope="col" class="py-1 pr-3">"Module"</th>
                    <th scope="col" class="py-1 pr-3">"Environments"</th>
                    <th scope="col" class="py-1 pr-3">"Priority"</th>
                    <th scope="col" class="py-1 pr-3">"Owner"</th>
                    <th scope="col" class="py-1 pr-3">"Placed by"</th>
                    <th scope="col" class="py-1 pr-3">"From"</th>
                    <th scope="col" class="py-1 pr-3">"Due"</th>
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|item| view! {
                    <tr data-module=item.slug.clone() data-overdue=item.overdue.to_string() class="border-b border-slate-100">
                        <th scope="row" class="py-1 pr-3 font-normal">
                            <a class="text-indigo-700 hover:underline" href=format!("/roadmap/modules/{}", item.slug)>{item.name.clone()}</a>
                        </th>
                        <td class="py-1 pr-3">{item.environments.join(", ")}</td>
                        <td class="py-1 pr-3">{item.priority.clone().unwrap_or_else(|| "—".into())}</td>
                        <td class="py-1 pr-3">{item.owner.clone().unwrap_or_else(|| "—".into())}</td>
                        <td class="py-1 pr-3">{item.placement.clone()}</td>
                        <td class="py-1 pr-3">{item.start.clone()}</td>
                        <td class="py-1 pr-3">
                            {item.due.clone()}
                            {item.overdue.then(|| view! { <strong class="ml-1 text-rose-800">"overdue"</strong> })}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
