//! The headline figures, and spend by environment against each budget with
//! its burn-down.

use leptos::prelude::*;

use super::{head, Section, Tag, TD, TD_NUM};
use crate::components::chart::{Bar, BarChart, LineChart, Series};
use crate::cost::dto::{
    forecast_label, month_label, percent, shift_month, signed_usd, usd, CostReviewView,
    EnvironmentCostView,
};

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
    let previous_month = shift_month(&review.month, -1).unwrap_or_default();
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
                        <dd class="mt-1 text-2xl font-semibold text-slate-600">"—"</dd>
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
