//! Daily and monthly trends per environment and in total, and the days that
//! stood out from them.

use leptos::prelude::*;

use super::{head, Section, Tag, TD, TD_NUM};
use crate::components::chart::{LineChart, Series};
use crate::cost::dto::{export_href, month_label, month_short, usd, CostReviewView};

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
