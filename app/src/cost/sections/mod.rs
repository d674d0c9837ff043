//! The sections of the cost review page, each a printable block with its
//! chart(s), table and CSV link, and the pieces they share (the section frame,
//! table heads, tags).
//!
//! - `environments.rs`: the headline figures, and spend by environment
//!   against budget with each one's burn-down.
//! - `services.rs`: spend by AWS service, and the month-over-month movers.
//! - `trends.rs`: daily and monthly trends, and the anomalies in them.
//! - `estimates.rs`: the roadmap's estimates against actual.

mod environments;
mod estimates;
mod services;
mod trends;

use leptos::prelude::*;

pub use environments::{EnvironmentsSection, Summary};
pub use estimates::EstimatesSection;
pub use services::{MoversSection, ServicesSection};
pub use trends::{AnomaliesSection, TrendsSection};

use super::dto::export_href;

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
