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
use crate::components::layout::MeResource;
use crate::components::page::{ErrorPanel, Loading, PageHeader};

#[component]
pub fn CostPage() -> impl IntoView {
    let query = use_query_map();
    let refresh = ServerAction::<RefreshCost>::new();
    let data = Resource::new(
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
mod tests {
    use leptos_router::components::Router;
    use leptos_router::location::RequestUrl;

    use super::*;
    use crate::cost::dto::*;

    fn sample(complete: bool, problem: Option<&str>) -> CostReviewView {
        let env = |name: &str, month, budget| EnvironmentCostView {
            environment: name.to_owned(),
            month_cents: month,
            previous_month_cents: month - 1_000,
            budget_cents: Some(budget),
            forecast_cents: (!complete).then_some(month * 6 / 5),
            forecast_source: (!complete).then(|| "local_projection".to_owned()),
            burn: (1..=25)
                .map(|d| BurnPointView {
                    day: format!("2026-11-{d:02}"),
                    actual_cumulative_cents: month * d / 25,
                    budget_cumulative_cents: Some(budget * d / 30),
                })
                .collect(),
            budget_verdict: "within".to_owned(),
        };
        CostReviewView {
            month: "2026-11".into(),
            current_month: "2026-11".into(),
            complete,
            days_elapsed: 25,
            days_in_month: 30,
            metric: "UnblendedCost".into(),
            refreshed_at: Some("2026-11-26T02:00:00Z".into()),
            data_through: Some("2026-11-25".into()),
            problem: problem.map(str::to_owned),
            total_cents: 48_000,
            previous_total_cents: 50_000,
            change_pct: Some(-4.0),
            forecast_cents: (!complete).then_some(57_600),
            forecast_source: (!complete).then(|| "cost_explorer".to_owned()),
            environments: vec![env("dev", 6_000, 8_000), env("prod", 42_000, 47_500)],
            services: vec![ServiceCostView {
                service: "Amazon Relational Database Service".into(),
                month_cents: 30_000,
                previous_month_cents: 28_000,
                by_environment: vec![("dev".into(), 3_000), ("prod".into(), 27_000)],
            }],
            daily: (1..=90)
                .map(|d| DailyCostView {
                    day: format!("2026-09-{:02}", d % 28 + 1),
                    total_cents: 1_600 + d,
                    by_environment: vec![("dev".into(), 200), ("prod".into(), 1_400 + d)],
                })
                .collect(),
            monthly: vec![MonthlyCostView {
                month: "2026-11".into(),
                total_cents: 48_000,
                by_environment: vec![("dev".into(), 6_000), ("prod".into(), 42_000)],
                complete,
            }],
            movers: vec![
                MoverView {
                    service: "Amazon Elastic Container Service".into(),
                    previous_cents: 10_000,
                    current_cents: 12_500,
                    change_cents: 2_500,
                    change_pct: Some(25.0),
                },
                MoverView {
                    service: "AWS WAF".into(),
                    previous_cents: 2_000,
                    current_cents: 1_000,
                    change_cents: -1_000,
                    change_pct: Some(-50.0),
                },
            ],
            anomalies: vec![AnomalyView {
                day: "2026-11-12".into(),
                environment: "prod".into(),
                cents: 4_000,
                baseline_cents: 1_500,
                reason: "2.7× the 30-day mean".into(),
            }],
            estimates: vec![EstimateView {
                environment: "prod".into(),
                component: "RDS PostgreSQL".into(),
                module: Some("rds".into()),
                low_cents: 15_000,
                high_cents: 20_000,
                actual_cents: Some(27_000),
                verdict: "over".into(),
            }],
            estimate_totals: vec![EstimateView {
                environment: "prod".into(),
                component: "total".into(),
                module: None,
                low_cents: 15_000,
                high_cents: 20_000,
                actual_cents: Some(27_000),
                verdict: "over".into(),
            }],
        }
    }

    fn render(review: CostReviewView) -> String {
        let owner = Owner::new();
        owner.set();
        provide_context(RequestUrl::new("/cost?month=2026-11"));
        view! { <Router><Review review /></Router> }.to_html()
    }

    #[test]
    fn an_incomplete_month_is_labelled_with_its_forecast_sources() {
        let html = render(sample(false, None));
        assert!(html.contains("month to date, 25 of 30 days"), "{html}");
        assert!(html.contains("Incomplete month"), "{html}");
        assert!(html.contains("forecast: Cost Explorer"), "{html}");
        assert!(
            html.contains("forecast: local projection from month-to-date"),
            "{html}"
        );
        assert!(html.contains("$480.00"), "{html}");
        assert!(html.contains("Over estimate"), "{html}");
        assert!(html.contains("Anomaly"), "{html}");
        assert!(
            html.contains(r#"href="/cost/export/services.csv?month=2026-11""#),
            "{html}"
        );
        assert!(html.contains(r#"href="/roadmap/modules/rds""#), "{html}");
        assert!(!html.contains("data-testid=\"cost-stale\""), "{html}");
        for chart in [
            "chart-environments",
            "chart-burn-prod",
            "chart-services",
            "chart-daily",
            "chart-monthly",
            "chart-movers",
        ] {
            assert!(
                html.contains(&format!(r#"aria-labelledby="{chart}-title {chart}-desc""#)),
                "{chart}: {html}"
            );
        }
        // The month picker is a plain GET form.
        assert!(
            html.contains(r#"method="GET""#) || html.contains(r#"method="get""#),
            "{html}"
        );
        assert!(html.contains(r#"name="month""#), "{html}");
        assert!(html.contains("← October 2026"), "{html}");
        assert!(
            !html.contains("data-testid=\"next-month\""),
            "no future month: {html}"
        );
    }

    #[test]
    fn stale_data_shows_the_reason_beside_the_last_good_figures() {
        let html = render(sample(
            true,
            Some("The last refresh failed: Cost Explorer timed out."),
        ));
        assert!(html.contains("Showing the last good data"), "{html}");
        assert!(html.contains("Cost Explorer timed out"), "{html}");
        assert!(html.contains("2026-11-26 02:00:00 UTC"), "{html}");
        assert!(html.contains("complete month"), "{html}");
        assert!(!html.contains("Incomplete month"), "{html}");
    }

    #[test]
    fn an_empty_store_says_so() {
        let mut review = sample(false, None);
        review.refreshed_at = None;
        review.total_cents = 0;
        review.daily.clear();
        review.monthly.clear();
        let html = render(review);
        assert!(html.contains("No cost data yet"), "{html}");
        assert!(!html.contains("role=\"img\""), "{html}");
    }
}
