//! The roadmap's cost estimates against what each environment and module
//! actually costs.

use leptos::prelude::*;

use super::{head, Section, Tag, TD, TD_NUM};
use crate::cost::dto::{usd, CostReviewView, EstimateView};

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
    // Estimates are monthly: they are compared with a whole month (this one
    // when complete, else the last full one) and, for an incomplete month,
    // with where this month is heading (its forecast).
    let actual_col = format!(
        "Actual, {}",
        crate::cost::dto::month_label(&review.estimates_month)
    );
    let month_col = if review.complete {
        "Whole environment".to_owned()
    } else {
        "This month's forecast (whole environment)".to_owned()
    };
    let complete = review.complete;
    let env_total = move |env: &str| {
        review
            .environments
            .iter()
            .find(|e| e.environment == env)
            .and_then(|e| {
                if complete {
                    Some(e.month_cents)
                } else {
                    e.forecast_cents
                }
            })
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
                            {head(&[("Environment", false), ("Estimated", true), (actual_col.as_str(), true), (month_col.as_str(), true), ("Verdict", false)])}
                            <tbody class="divide-y divide-slate-100">{summary}</tbody>
                        </table>
                    </div>
                    <h3 class="mt-6 font-semibold">"Per component and module"</h3>
                    <div class="mt-2 overflow-x-auto">
                        <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="estimates-table">
                            {head(&[("Environment", false), ("Component", false), ("Module", false), ("Estimated", true), (actual_col.as_str(), true), ("Verdict", false)])}
                            <tbody class="divide-y divide-slate-100">{rows}</tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </Section>
    }
}
