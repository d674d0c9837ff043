//! Spend by AWS service, and the services that moved most against the
//! previous month.

use leptos::prelude::*;

use super::{head, Section, Tag, TD, TD_NUM};
use crate::components::chart::{Bar, BarChart};
use crate::cost::dto::{chart_service_name, month_label, percent, signed_usd, usd, CostReviewView};

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
