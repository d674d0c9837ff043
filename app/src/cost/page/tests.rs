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
        estimates_month: "2026-10".into(),
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

#[test]
fn estimates_are_compared_with_a_whole_month_and_the_forecast() {
    let html = render(sample(false, None));
    // An incomplete month: the estimates' actuals are October's, whole.
    assert!(html.contains("Actual, October 2026"), "{html}");
    assert!(
        html.contains("This month&#x27;s forecast") || html.contains("This month's forecast"),
        "{html}"
    );
    assert!(!html.contains("Actual to date"), "{html}");
    assert!(html.contains(">Verdict<"), "{html}");
    // The environment column shows prod's forecast ($576.00), not its month-to-date.
    assert!(html.contains("$576.00"), "{html}");
}
