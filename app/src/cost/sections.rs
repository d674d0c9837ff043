//! The sections of the cost review page, each a printable block with its
//! chart(s), table and CSV link.

use leptos::prelude::*;

use super::dto::{
    chart_service_name, export_href, forecast_label, month_label, month_short, percent, signed_usd,
    usd, CostReviewView, EnvironmentCostView, EstimateView,
};
use crate::components::chart::{Bar, BarChart, LineChart, Series};

const TH: &str = "px-3 py-2";
const TH_NUM: &str = "px-3 py-2 text-right";
const TD: &str = "px-3 py-2";
const TD_NUM: &str = "px-3 py-2 text-right tabular-nums whitespace-nowrap";

/// A section with its heading and the CSV link of its table.
#[component]
fn Section(
    id: &'static str,
    title: &'static str,
    month: String,
    #[prop(optional, into)] note: Option<String>,
    children: Children,
) -> impl IntoView {
    let heading = format!("{id}-heading");
    let labelled = heading.clone();
    let note = note.filter(|n| !n.is_empty());
    view! {
        <section id=id class="cost-section mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby=labelled>
            <div class="section-head mb-3 flex flex-wrap items-baseline justify-between gap-2">
                <div>
                    <h2 id=heading class="text-lg font-semibold">{title}</h2>
                    {note.map(|n| view! { <p class="text-xs text-slate-500">{n}</p> })}
                </div>
                <a
                    href=export_href(id, &month)
                    rel="external"
                    download=""
                    data-testid=format!("csv-{id}")
                    class="no-print rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium shadow-sm hover:bg-slate-50"
                >
                    "CSV"
                </a>
            </div>
            {children()}
        </section>
    }
}

/// A table head row from (label, numeric) pairs.
fn head<S: AsRef<str>>(columns: &[(S, bool)]) -> AnyView {
    let cells = columns
        .iter()
        .map(|(label, numeric)| {
            let class = if *numeric { TH_NUM } else { TH };
            view! { <th scope="col" class=class>{label.as_ref().to_owned()}</th> }
        })
        .collect_view();
    view! {
        <thead class="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
            <tr>{cells}</tr>
        </thead>
    }
    .into_any()
}

/// A badge: text and colour, never colour alone.
#[component]
fn Tag(text: String, tone: &'static str) -> impl IntoView {
    let colours = match tone {
        "bad" => "bg-rose-100 text-rose-800 ring-rose-600/20",
        "warn" => "bg-amber-100 text-amber-900 ring-amber-600/20",
        "good" => "bg-emerald-100 text-emerald-800 ring-emerald-600/20",
        _ => "bg-slate-100 text-slate-700 ring-slate-500/20",
    };
    view! {
        <span class=format!("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset {colours}")>
            {text}
        </span>
    }
}

/// The headline figures.
#[component]
pub fn Summary(review: CostReviewView) -> impl IntoView {
    let label = if review.complete {
        "Total".to_owned()
    } else {
        format!(
            "Month to date ({} of {} days)",
            review.days_elapsed, review.days_in_month
        )
    };
    let previous_month = super::dto::shift_month(&review.month, -1).unwrap_or_default();
    let change = review.total_cents - review.previous_total_cents;
    let forecast = review.forecast_cents.map(|f| {
        let source = review
            .forecast_source
            .as_deref()
            .map(forecast_label)
            .unwrap_or("forecast");
        (usd(f), source)
    });
    let budget = review.budget_cents();
    view! {
        <dl class="grid gap-4 sm:grid-cols-2 lg:grid-cols-4 print:grid-cols-4" data-testid="cost-summary">
            <div class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <dt class="text-xs font-medium text-slate-500 uppercase">{label}</dt>
                <dd class="mt-1 text-2xl font-semibold tabular-nums" data-testid="total">{usd(review.total_cents)}</dd>
            </div>
            <div class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <dt class="text-xs font-medium text-slate-500 uppercase">{format!("{} (whole month)", month_label(&previous_month))}</dt>
                <dd class="mt-1 text-2xl font-semibold tabular-nums">{usd(review.previous_total_cents)}</dd>
                {review.complete.then(|| view! {
                    <dd class="text-sm tabular-nums text-slate-600">
                        {format!("{} ({})", signed_usd(change), percent(review.change_pct))}
                    </dd>
                })}
            </div>
            <div class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <dt class="text-xs font-medium text-slate-500 uppercase">"Forecast, whole month"</dt>
                {match forecast {
                    Some((amount, source)) => view! {
                        <dd class="mt-1 text-2xl font-semibold tabular-nums" data-testid="forecast">{amount}</dd>
                        <dd class="text-xs text-slate-600" data-testid="forecast-source">{source}</dd>
                    }
                    .into_any(),
                    None => view! {
                        <dd class="mt-1 text-2xl font-semibold text-slate-400">"—"</dd>
                        <dd class="text-xs text-slate-600">{if review.complete { "month complete: actuals only" } else { "no forecast stored" }}</dd>
                    }
                    .into_any(),
                }}
            </div>
            <div class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <dt class="text-xs font-medium text-slate-500 uppercase">"Budget, all environments"</dt>
                <dd class="mt-1 text-2xl font-semibold tabular-nums">{budget.map(usd).unwrap_or_else(|| "—".to_owned())}</dd>
                {budget.map(|b| {
                    let used = if b > 0 { review.total_cents as f64 / b as f64 * 100.0 } else { 0.0 };
                    view! { <dd class="text-xs text-slate-600 tabular-nums">{format!("{used:.0}% used")}</dd> }
                })}
            </div>
        </dl>
    }
}

/// Budget status of one environment: over now, forecast over, within, or none.
fn budget_status(e: &EnvironmentCostView) -> (String, &'static str) {
    let (text, tone) = match e.budget_verdict.as_str() {
        "over" => ("Over budget", "bad"),
        "forecast_over" => ("Forecast over budget", "warn"),
        "within" => ("Within budget", "good"),
        _ => ("No budget", "neutral"),
    };
    (text.to_owned(), tone)
}

/// By environment: table, bar chart against budget, one burn-down per environment.
#[component]
pub fn EnvironmentsSection(review: CostReviewView) -> impl IntoView {
    let month_col = if review.complete {
        "This month"
    } else {
        "Month to date"
    };
    let bars = review
        .environments
        .iter()
        .map(|e| Bar {
            label: e.environment.clone(),
            cents: e.month_cents,
            note: e.budget_cents.map(|b| format!("of {} budget", usd(b))),
            marker: e.budget_cents,
        })
        .collect::<Vec<_>>();
    let rows = review
        .environments
        .iter()
        .map(|e| {
            let (status, tone) = budget_status(e);
            let change = e.month_cents - e.previous_month_cents;
            let used = e
                .budget_cents
                .filter(|b| *b > 0)
                .map(|b| format!("{:.0}%", e.month_cents as f64 / b as f64 * 100.0))
                .unwrap_or_else(|| "—".to_owned());
            view! {
                <tr data-environment=e.environment.clone()>
                    <th scope="row" class="px-3 py-2 text-left font-medium">{e.environment.clone()}</th>
                    <td class=TD_NUM>{usd(e.month_cents)}</td>
                    <td class=TD_NUM>{usd(e.previous_month_cents)}</td>
                    <td class=TD_NUM>{signed_usd(change)}</td>
                    <td class=TD_NUM>{e.budget_cents.map(usd).unwrap_or_else(|| "—".to_owned())}</td>
                    <td class=TD_NUM>{used}</td>
                    <td class=TD_NUM>
                        {e.forecast_cents.map(usd).unwrap_or_else(|| "—".to_owned())}
                        {e.forecast_label().map(|l| view! { <div class="max-w-48 text-xs font-normal whitespace-normal text-slate-500" data-testid="forecast-source">{l}</div> })}
                    </td>
                    <td class=TD><Tag text=status tone /></td>
                </tr>
            }
        })
        .collect_view();
    let burns = review
        .environments
        .iter()
        .filter(|e| !e.burn.is_empty())
        .map(|e| burn_chart(e, &review))
        .collect_view();
    let desc = format!(
        "{} by environment in {}, each against its monthly budget (the dark mark).",
        month_col,
        month_label(&review.month)
    );
    view! {
        <Section id="environments" title="By environment" month=review.month.clone()>
            <div class="overflow-x-auto">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="environments-table">
                    {head(&[
                        ("Environment", false),
                        (month_col, true),
                        ("Previous month", true),
                        ("Change", true),
                        ("Budget", true),
                        ("Used", true),
                        ("Forecast", true),
                        ("Status", false),
                    ])}
                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                </table>
            </div>
            <div class="mt-4">
                <BarChart
                    id="chart-environments".to_owned()
                    title=format!("{month_col} by environment against budget")
                    desc
                    label_heading="Environment".to_owned()
                    value_heading=month_col.to_owned()
                    marker_heading="Budget"
                    bars
                />
            </div>
            <h3 class="mt-6 font-semibold">"Budget burn-down"</h3>
            <div class="mt-2 grid gap-6 lg:grid-cols-2 print:grid-cols-2">{burns}</div>
        </Section>
    }
}

/// Cumulative spend per day against the budget's even pace, and the forecast
/// from the last day with data to the month's end.
fn burn_chart(e: &EnvironmentCostView, review: &CostReviewView) -> impl IntoView {
    let days = review.days_in_month.max(1) as usize;
    let day_of = |iso: &str| iso.get(8..10).and_then(|d| d.parse::<usize>().ok());
    let mut actual = vec![None; days];
    for p in &e.burn {
        if let Some(d) = day_of(&p.day).filter(|d| (1..=days).contains(d)) {
            actual[d - 1] = Some(p.actual_cumulative_cents);
        }
    }
    let mut series = vec![Series {
        name: "actual".to_owned(),
        values: actual.clone(),
        reference: false,
    }];
    if let Some(budget) = e.budget_cents {
        series.push(Series {
            name: "budget pace".to_owned(),
            values: (1..=days)
                .map(|d| Some(budget * d as i64 / days as i64))
                .collect(),
            reference: true,
        });
    }
    if let (Some(forecast), false) = (e.forecast_cents, review.complete) {
        if let Some(last) = actual.iter().rposition(Option::is_some) {
            // A straight line from the last actual to the month-end forecast.
            let from = actual[last].unwrap_or(0);
            let span = (days - 1).saturating_sub(last).max(1) as i64;
            let values = (0..days)
                .map(|d| (d >= last).then(|| from + (forecast - from) * (d - last) as i64 / span))
                .collect();
            series.push(Series {
                name: "forecast".to_owned(),
                values,
                reference: false,
            });
        }
    }
    let source = e
        .forecast_label()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    let desc = format!(
        "Cumulative cost of {} in {} by day{}{}.",
        e.environment,
        month_label(&review.month),
        e.budget_cents
            .map(|b| format!(", against a budget of {} spread evenly", usd(b)))
            .unwrap_or_default(),
        e.forecast_cents
            .map(|f| format!(", forecast {}{source}", usd(f)))
            .unwrap_or_default(),
    );
    view! {
        <div data-burn=e.environment.clone()>
            <h4 class="text-sm font-medium text-slate-700">{e.environment.clone()}</h4>
            <LineChart
                compact=true
                id=format!("chart-burn-{}", e.environment)
                title=format!("{}: budget burn-down", e.environment)
                desc
                x_heading="Day".to_owned()
                x_labels=(1..=days).map(|d| d.to_string()).collect()
                series
            />
        </div>
    }
}

/// By AWS service: the largest as bars, all in the table with the split by environment.
#[component]
pub fn ServicesSection(review: CostReviewView) -> impl IntoView {
    let month_col = if review.complete {
        "This month"
    } else {
        "Month to date"
    };
    let envs = review.environment_names();
    let bars = review
        .services
        .iter()
        .take(10)
        .map(|s| Bar {
            label: chart_service_name(&s.service).to_owned(),
            cents: s.month_cents,
            note: None,
            marker: None,
        })
        .collect::<Vec<_>>();
    let mut columns: Vec<(&str, bool)> = vec![
        ("Service", false),
        (month_col, true),
        ("Previous month", true),
    ];
    columns.extend(envs.iter().map(|e| (e.as_str(), true)));
    let rows = review
        .services
        .iter()
        .map(|s| {
            let split = envs
                .iter()
                .map(|env| {
                    let cents = s.by_environment.iter().find(|(e, _)| e == env).map(|(_, c)| *c);
                    view! { <td class=TD_NUM>{cents.map(usd).unwrap_or_else(|| "—".to_owned())}</td> }
                })
                .collect_view();
            view! {
                <tr data-service=s.service.clone()>
                    <th scope="row" class="px-3 py-2 text-left font-normal">{s.service.clone()}</th>
                    <td class=TD_NUM>{usd(s.month_cents)}</td>
                    <td class=TD_NUM>{usd(s.previous_month_cents)}</td>
                    {split}
                </tr>
            }
        })
        .collect_view();
    let shown = bars.len();
    let header = head(&columns);
    view! {
        <Section id="services" title="By service" month=review.month.clone()>
            <BarChart
                id="chart-services".to_owned()
                title=format!("{month_col} by AWS service")
                desc=format!("The {shown} most expensive AWS services in {}.", month_label(&review.month))
                label_heading="Service".to_owned()
                value_heading=month_col.to_owned()
                bars
            />
            <div class="mt-4 overflow-x-auto">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="services-table">
                    {header}
                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                </table>
            </div>
        </Section>
    }
}

/// "2026-10-05" → "Oct 5".
fn day_short(iso: &str) -> String {
    let month = iso.get(..7).map(month_short).unwrap_or_default();
    let day = iso
        .get(8..10)
        .and_then(|d| d.parse::<u32>().ok())
        .unwrap_or(0);
    format!("{} {day}", month.split(' ').next().unwrap_or_default())
}

/// Daily (90 days) and monthly (13 months) trends, per environment and in total.
#[component]
pub fn TrendsSection(review: CostReviewView) -> impl IntoView {
    let envs = review.environment_names();
    let per_env = |rows: &[(Vec<(String, i64)>, i64)]| {
        let mut series: Vec<Series> = envs
            .iter()
            .map(|env| Series {
                name: env.clone(),
                values: rows
                    .iter()
                    .map(|(split, _)| {
                        Some(
                            split
                                .iter()
                                .find(|(e, _)| e == env)
                                .map(|(_, c)| *c)
                                .unwrap_or(0),
                        )
                    })
                    .collect(),
                reference: false,
            })
            .collect();
        series.push(Series {
            name: "total".to_owned(),
            values: rows.iter().map(|(_, t)| Some(*t)).collect(),
            reference: false,
        });
        series
    };
    let daily_rows: Vec<(Vec<(String, i64)>, i64)> = review
        .daily
        .iter()
        .map(|d| (d.by_environment.clone(), d.total_cents))
        .collect();
    let monthly_rows: Vec<(Vec<(String, i64)>, i64)> = review
        .monthly
        .iter()
        .map(|m| (m.by_environment.clone(), m.total_cents))
        .collect();
    let daily_labels: Vec<String> = review.daily.iter().map(|d| day_short(&d.day)).collect();
    let monthly_labels: Vec<String> = review
        .monthly
        .iter()
        .map(|m| {
            if m.complete {
                month_short(&m.month)
            } else {
                format!("{} (to date)", month_short(&m.month))
            }
        })
        .collect();
    let daily_span = match (review.daily.first(), review.daily.last()) {
        (Some(a), Some(b)) => format!("from {} to {}", a.day, b.day),
        _ => "no days stored".to_owned(),
    };
    let monthly_span = match (review.monthly.first(), review.monthly.last()) {
        (Some(a), Some(b)) => format!(
            "from {} to {}",
            month_label(&a.month),
            month_label(&b.month)
        ),
        _ => "no months stored".to_owned(),
    };
    let daily_series = per_env(&daily_rows);
    let monthly_series = per_env(&monthly_rows);
    let days = review.daily.len();
    let months = review.monthly.len();
    let note = review
        .monthly
        .iter()
        .any(|m| !m.complete)
        .then(|| "The last month is incomplete: its figure is month to date.".to_owned());
    view! {
        <Section id="daily" title="Trends" month=review.month.clone() note=note.unwrap_or_default()>
            <div class="grid gap-6">
                <div>
                    <h3 class="font-semibold">{format!("Daily, last {days} days")}</h3>
                    <LineChart
                        id="chart-daily".to_owned()
                        title=format!("Daily cost, last {days} days")
                        desc=format!("Cost per day by environment and in total, {daily_span}.")
                        x_heading="Day".to_owned()
                        x_labels=daily_labels
                        series=daily_series
                    />
                </div>
                <div>
                    <div class="flex items-baseline justify-between">
                        <h3 class="font-semibold">{format!("Monthly, last {months} months")}</h3>
                        <a
                            href=export_href("monthly", &review.month)
                            rel="external"
                            download=""
                            data-testid="csv-monthly"
                            class="no-print rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium shadow-sm hover:bg-slate-50"
                        >
                            "CSV"
                        </a>
                    </div>
                    <LineChart
                        id="chart-monthly".to_owned()
                        title=format!("Monthly cost, last {months} months")
                        desc=format!("Cost per month by environment and in total, {monthly_span}.")
                        x_heading="Month".to_owned()
                        x_labels=monthly_labels
                        series=monthly_series
                    />
                </div>
            </div>
        </Section>
    }
}

/// Largest increases and decreases by service against the previous month.
#[component]
pub fn MoversSection(review: CostReviewView) -> impl IntoView {
    let compared = if review.complete {
        "against the whole previous month".to_owned()
    } else {
        format!(
            "against the first {} days of the previous month",
            review.days_elapsed
        )
    };
    let bars = review
        .movers
        .iter()
        .map(|m| Bar {
            label: chart_service_name(&m.service).to_owned(),
            cents: m.change_cents,
            note: Some(percent(m.change_pct)),
            marker: None,
        })
        .collect::<Vec<_>>();
    let rows = review
        .movers
        .iter()
        .map(|m| {
            let (text, tone) = if m.change_cents >= 0 {
                ("Increase", "warn")
            } else {
                ("Decrease", "good")
            };
            view! {
                <tr data-mover=m.service.clone()>
                    <th scope="row" class="px-3 py-2 text-left font-normal">{m.service.clone()}</th>
                    <td class=TD_NUM>{usd(m.previous_cents)}</td>
                    <td class=TD_NUM>{usd(m.current_cents)}</td>
                    <td class=TD_NUM>{signed_usd(m.change_cents)}</td>
                    <td class=TD_NUM>{percent(m.change_pct)}</td>
                    <td class=TD><Tag text=text.to_owned() tone /></td>
                </tr>
            }
        })
        .collect_view();
    let empty = review.movers.is_empty();
    view! {
        <Section id="movers" title="Month-over-month movers" month=review.month.clone() note=format!("By AWS service, {compared}.")>
            {if empty {
                view! { <p class="text-sm text-slate-600">"No service changed."</p> }.into_any()
            } else {
                view! {
                    <BarChart
                        id="chart-movers".to_owned()
                        title="Largest changes by service".to_owned()
                        desc=format!("Change in cost by AWS service, {compared}; decreases are hatched and point left.")
                        label_heading="Service".to_owned()
                        value_heading="Change".to_owned()
                        signed=true
                        bars
                    />
                    <div class="mt-4 overflow-x-auto">
                        <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="movers-table">
                            {head(&[("Service", false), ("Previous", true), ("Current", true), ("Change", true), ("Change %", true), ("Direction", false)])}
                            <tbody class="divide-y divide-slate-100">{rows}</tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </Section>
    }
}

/// Days whose cost stood out from the environment's recent baseline.
#[component]
pub fn AnomaliesSection(review: CostReviewView) -> impl IntoView {
    let empty = review.anomalies.is_empty();
    let rows = review
        .anomalies
        .iter()
        .map(|a| {
            view! {
                <tr data-anomaly=format!("{}/{}", a.environment, a.day)>
                    <td class="px-3 py-2 tabular-nums whitespace-nowrap">{a.day.clone()}</td>
                    <td class=TD>{a.environment.clone()}</td>
                    <td class=TD_NUM>{usd(a.cents)}</td>
                    <td class=TD_NUM>{usd(a.baseline_cents)}</td>
                    <td class=TD><Tag text="Anomaly".to_owned() tone="warn" />" "{a.reason.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Section id="anomalies" title="Anomalies" month=review.month.clone() note="Days in the last 90 whose cost stood out from the environment's trailing 30-day mean.".to_owned()>
            {if empty {
                view! { <p class="text-sm text-slate-600" data-testid="no-anomalies">"No anomalies flagged."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="anomalies-table">
                            {head(&[("Day", false), ("Environment", false), ("Cost", true), ("Baseline", true), ("Why", false)])}
                            <tbody class="divide-y divide-slate-100">{rows}</tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </Section>
    }
}

fn verdict_tag(e: &EstimateView) -> impl IntoView {
    let (text, tone) = match e.verdict.as_str() {
        "over" => ("Over estimate", "bad"),
        "under" => ("Under estimate", "good"),
        "within" => ("Within estimate", "good"),
        _ => ("No matching service", "neutral"),
    };
    view! { <Tag text=text.to_owned() tone /> }
}

/// The roadmap's estimates against what each environment and module costs.
#[component]
pub fn EstimatesSection(review: CostReviewView) -> impl IntoView {
    let month_col = if review.complete {
        "Actual"
    } else {
        "Actual to date"
    };
    let env_total = |env: &str| {
        review
            .environments
            .iter()
            .find(|e| e.environment == env)
            .map(|e| e.month_cents)
    };
    let summary = review
        .estimate_totals
        .iter()
        .map(|range| {
            let env = &range.environment;
            let actual = range.actual_cents;
            view! {
                <tr data-estimate-environment=env.clone()>
                    <th scope="row" class="px-3 py-2 text-left font-medium">{env.clone()}</th>
                    <td class=TD_NUM>{range.range()}</td>
                    <td class=TD_NUM>{actual.map(usd).unwrap_or_else(|| "—".to_owned())}</td>
                    <td class=TD_NUM>{env_total(env).map(usd).unwrap_or_else(|| "—".to_owned())}</td>
                    <td class=TD>{verdict_tag(range)}</td>
                </tr>
            }
        })
        .collect_view();
    let rows = review
        .estimates
        .iter()
        .map(|e| {
            let module = e.module.clone().map(|slug| {
                view! { <a href=format!("/roadmap/modules/{slug}") class="text-indigo-700 hover:underline">{slug.clone()}</a> }
            });
            view! {
                <tr data-estimate=format!("{}/{}", e.environment, e.component)>
                    <td class=TD>{e.environment.clone()}</td>
                    <th scope="row" class="px-3 py-2 text-left font-normal">{e.component.clone()}</th>
                    <td class=TD>{module}</td>
                    <td class=TD_NUM>{e.range()}</td>
                    <td class=TD_NUM>{e.actual_cents.map(usd).unwrap_or_else(|| "—".to_owned())}</td>
                    <td class=TD>{verdict_tag(e)}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = review.estimates.is_empty();
    view! {
        <Section
            id="estimates"
            title="Roadmap estimates against actual"
            month=review.month.clone()
            note="The roadmap's monthly estimates per component, against the AWS services each maps to.".to_owned()
        >
            {if empty {
                view! { <p class="text-sm text-slate-600">"The roadmap has no cost estimates."</p> }.into_any()
            } else {
                view! {
                    <h3 class="font-semibold">"Per environment"</h3>
                    <div class="mt-2 overflow-x-auto">
                        <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="estimates-by-environment">
                            {head(&[("Environment", false), ("Estimated", true), (month_col, true), ("Environment total", true), ("", false)])}
                            <tbody class="divide-y divide-slate-100">{summary}</tbody>
                        </table>
                    </div>
                    <h3 class="mt-6 font-semibold">"Per component and module"</h3>
                    <div class="mt-2 overflow-x-auto">
                        <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="estimates-table">
                            {head(&[("Environment", false), ("Component", false), ("Module", false), ("Estimated", true), (month_col, true), ("", false)])}
                            <tbody class="divide-y divide-slate-100">{rows}</tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </Section>
    }
}
