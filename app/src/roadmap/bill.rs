//! The projected bill on the roadmap page: per environment, what the
//! deployed modules are estimated to cost a month, what the bill will be
//! after the planned rollout, the document's own total and the actual cost
//! (the last full month and this month's forecast: estimates are monthly,
//! never compared with a few days of month-to-date), and which modules have
//! no estimate.

use leptos::prelude::*;

use super::api::roadmap_bill;
use super::dto::BillView;
use crate::components::data::page_data;
use crate::components::page::ErrorPanel;

const TH: &str = "px-3 py-2 text-left font-semibold";
const TD: &str = "px-3 py-2 text-right tabular-nums";

/// The section; reads the bill itself (after the matrix, with its own
/// loading state).
#[component]
pub fn ProjectedBill() -> impl IntoView {
    let data = page_data(|| (), |_| roadmap_bill());
    view! {
        <section aria-labelledby="bill-heading" class="mt-8">
            <h2 id="bill-heading" class="mb-1 text-lg font-semibold">"The projected bill"</h2>
            <p class="mb-3 text-sm text-slate-700">
                "Monthly estimates from the document's cost lines: today (deployed modules) and after the planned rollout, beside what each environment actually costs."
            </p>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-700">"Reading the bill…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(bills) => view! { <BillTable bills /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn BillTable(bills: Vec<BillView>) -> impl IntoView {
    let missing: Vec<(String, Vec<(String, String)>)> = bills
        .iter()
        .filter(|b| !b.unestimated.is_empty())
        .map(|b| (b.environment.clone(), b.unestimated.clone()))
        .collect();
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table data-testid="projected-bill" class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Estimated and actual monthly cost per environment"</caption>
                <thead class="bg-slate-50 text-slate-700">
                    <tr>
                        <th scope="col" class=TH>"Environment"</th>
                        <th scope="col" class=TH>"Today (deployed)"</th>
                        <th scope="col" class=TH>"After the planned rollout"</th>
                        <th scope="col" class=TH>"The document says"</th>
                        <th scope="col" class=TH>"Last full month (actual)"</th>
                        <th scope="col" class=TH>"This month's forecast"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {bills
                        .into_iter()
                        .map(|b| {
                            view! {
                                <tr data-environment=b.environment.clone()>
                                    <th scope="row" class="px-3 py-2 text-left font-medium">{b.environment.clone()}</th>
                                    <td data-testid="bill-today" class=TD>{b.today.display()}</td>
                                    <td data-testid="bill-projected" class=TD>{b.projected.display()}</td>
                                    <td class=TD>{b.stated_total.map(|t| t.display()).unwrap_or_else(|| "—".into())}</td>
                                    <td class=TD>
                                        {b.last_full_month.map(|(month, cost)| format!("{cost} ({month})")).unwrap_or_else(|| "no cost data".into())}
                                    </td>
                                    <td class=TD>{b.forecast.unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {(!missing.is_empty()).then(|| view! {
            <div data-testid="unestimated" class="mt-3 text-sm text-slate-700">
                <p class="font-medium">"Modules without an estimate (counted as $0):"</p>
                <ul class="mt-1 list-disc pl-5">
                    {missing.into_iter().map(|(env, modules)| view! {
                        <li data-env=env.clone()>
                            {format!("{env}: ")}
                            {modules.into_iter().enumerate().map(|(i, (slug, name))| view! {
                                {(i > 0).then_some(", ")}
                                <a class="text-indigo-700 hover:underline" href=format!("/roadmap/modules/{slug}")>{name}</a>
                            }).collect_view()}
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        })}
    }
}
