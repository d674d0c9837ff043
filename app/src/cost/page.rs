//! `/cost?month=YYYY-MM`: the cost review meeting on one printable page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::api::{cost_review, RefreshCost};
use super::dto::{month_label, shift_month, usd, CostReviewView};
use super::sections::{
    AnomaliesSection, EnvironmentsSection, EstimatesSection, MoversSection, ServicesSection,
    Summary, TrendsSection,
};
use crate::components::data::page_data;
use crate::components::layout::MeResource;
use crate::components::page::{ErrorPanel, Loading, PageHeader};

#[component]
pub fn CostPage() -> impl IntoView {
    let query = use_query_map();
    let refresh = ServerAction::<RefreshCost>::new();
    let data = page_data(
        move || {
            (
                query.read().get("month").filter(|m| !m.is_empty()),
                refresh.version().get(),
            )
        },
        |(month, _)| cost_review(month),
    );
    let me = use_context::<MeResource>();
    view! {
        <Title text="Cost review" />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(review) => view! { <Review review /> }.into_any(),
                    Err(error) => {
                        let asked = query.read().get("month").unwrap_or_default();
                        view! {
                            <PageHeader title="Cost review".to_owned()>
                                <MonthPicker month=asked current=String::new() />
                            </PageHeader>
                            <ErrorPanel error />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
        <Suspense>
            {move || Suspend::new(async move {
                let can_administer = match me {
                    Some(me) => me.await.map(|m| m.can_administer).unwrap_or(false),
                    None => false,
                };
                can_administer.then(|| view! { <RefreshPanel action=refresh /> })
            })}
        </Suspense>
    }
}

/// The month chooser: a plain GET form (works without JavaScript), with
/// links to the months either side.
#[component]
fn MonthPicker(month: String, current: String) -> impl IntoView {
    let previous = shift_month(&month, -1);
    let next = shift_month(&month, 1).filter(|n| current.is_empty() || *n <= current);
    let max = (!current.is_empty()).then(|| current.clone());
    view! {
        <div class="no-print flex flex-wrap items-end gap-3">
            {previous
                .map(|p| {
                    view! {
                        <a href=format!("/cost?month={p}") data-testid="previous-month" class="text-sm text-indigo-700 hover:underline">
                            {format!("← {}", month_label(&p))}
                        </a>
                    }
                })}
            <Form method="GET" action="/cost" attr:data-testid="month-picker" attr:class="flex items-end gap-2">
                <label class="text-sm">
                    "Month"
                    <input
                        type="month"
                        name="month"
                        value=month.clone()
                        max=max
                        required
                        class="mt-1 block rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
                    />
                </label>
                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                    "Show"
                </button>
            </Form>
            {next
                .map(|n| {
                    view! {
                        <a href=format!("/cost?month={n}") data-testid="next-month" class="text-sm text-indigo-700 hover:underline">
                            {format!("{} →", month_label(&n))}
                        </a>
                    }
                })}
        </div>
    }
}

/// The whole review of one month.
#[component]
pub fn Review(review: CostReviewView) -> impl IntoView {
    let title = format!("Cost review · {}", month_label(&review.month));
    let subtitle = format!(
        "{} · {} · all figures in USD",
        review.coverage(),
        review.metric
    );
    let empty = review.is_empty();
    let month = review.month.clone();
    let current = review.current_month.clone();
    let complete = review.complete.to_string();
    let month_attr = month.clone();
    view! {
        <div data-testid="cost-review" data-month=month_attr data-complete=complete>
            <PageHeader title subtitle>
                <MonthPicker month current />
            </PageHeader>
            <Freshness review=review.clone() />
            {if empty {
                view! {
                    <section data-testid="cost-empty" class="rounded-lg border border-slate-200 bg-white p-6 text-sm text-slate-700 shadow-sm">
                        <h2 class="font-semibold">"No cost data yet"</h2>
                        <p class="mt-1">
                            "Gantry stores Cost Explorer's figures on a schedule; none are stored for this month or the ones before it. An admin can refresh now."
                        </p>
                    </section>
                }
                    .into_any()
            } else {
                view! {
                    <Summary review=review.clone() />
                    <EnvironmentsSection review=review.clone() />
                    <ServicesSection review=review.clone() />
                    <TrendsSection review=review.clone() />
                    <MoversSection review=review.clone() />
                    <AnomaliesSection review=review.clone() />
                    <EstimatesSection review />
                }
                    .into_any()
            }}
        </div>
    }
}

/// When the figures were refreshed and what they cover; when the last
/// refresh failed, the reason beside the last good data.
#[component]
fn Freshness(review: CostReviewView) -> impl IntoView {
    let refreshed = review
        .refreshed_at
        .as_deref()
        .map(|t| t.replace('T', " ").replace('Z', " UTC"))
        .unwrap_or_else(|| "never".to_owned());
    let through = review
        .data_through
        .clone()
        .unwrap_or_else(|| "—".to_owned());
    let line = format!("Refreshed {refreshed}; data through {through}.");
    view! {
        <p class="mb-3 text-xs text-slate-500" data-testid="refreshed-at" data-refreshed-at=review.refreshed_at.clone().unwrap_or_default()>
            {line.clone()}
        </p>
        {review
            .problem
            .clone()
            .map(|problem| {
                view! {
                    <div role="status" data-testid="cost-stale" class="mb-4 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
                        <p class="font-semibold">"Showing the last good data"</p>
                        <p>{format!("{line} {problem}")}</p>
                    </div>
                }
            })}
        {(!review.complete)
            .then(|| {
                let forecast = review
                    .forecast_cents
                    .map(|f| {
                        let source = review
                            .forecast_source
                            .as_deref()
                            .map(super::dto::forecast_label)
                            .unwrap_or("forecast");
                        format!(" Whole month: {} ({source}).", usd(f))
                    })
                    .unwrap_or_default();
                view! {
                    <p data-testid="incomplete" class="mb-4 rounded-lg border border-sky-200 bg-sky-50 p-3 text-sm text-sky-900">
                        <span class="mr-2 inline-flex rounded-full bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-800 ring-1 ring-sky-600/20 ring-inset">
                            "Incomplete month"
                        </span>
                        {format!(
                            "Figures are {}; the movers compare them with the same days of the previous month.{forecast}",
                            review.coverage(),
                        )}
                    </p>
                }
            })}
    }
}

/// The admin's "Refresh now": asks Cost Explorer (the core rate-limits it)
/// and shows what happened, or why it was refused.
#[component]
fn RefreshPanel(action: ServerAction<RefreshCost>) -> impl IntoView {
    let result = move || {
        action.value().get().map(|r| match r {
            Ok(done) => view! {
                <p role="status" class="text-sm text-emerald-700" data-testid="refresh-result">{done.message}</p>
            }
            .into_any(),
            Err(e) => view! {
                <p role="alert" class="text-sm text-rose-700" data-testid="refresh-error">{e.to_string()}</p>
            }
            .into_any(),
        })
    };
    view! {
        <section class="no-print mt-8 rounded-lg border border-indigo-200 bg-white p-4 shadow-sm" aria-labelledby="cost-refresh-heading">
            <h2 id="cost-refresh-heading" class="font-semibold">"Refresh from Cost Explorer"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Each Cost Explorer request is billed; refreshes are rate-limited."
            </p>
            <ActionForm action attr:class="mt-3 flex flex-wrap items-center gap-3" attr:data-testid="cost-refresh">
                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                    "Refresh now"
                </button>
                {result}
            </ActionForm>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests;
