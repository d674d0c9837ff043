use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn amounts_parse_without_float() {
    assert_eq!(parse_amount_micros("12.3456789012"), Ok(12_345_679));
    assert_eq!(parse_amount_micros("0.0000004999"), Ok(0));
    assert_eq!(parse_amount_micros("0.0000005"), Ok(1));
    assert_eq!(parse_amount_micros("-0.01"), Ok(-10_000));
    assert_eq!(parse_amount_micros("1.5E-7"), Ok(0));
    assert_eq!(parse_amount_micros("1.5E-6"), Ok(2));
    assert_eq!(parse_amount_micros("2E3"), Ok(2_000_000_000));
    assert_eq!(parse_amount_micros("100"), Ok(100_000_000));
    assert_eq!(
        parse_amount_micros("90071992547.409931"),
        Ok(90_071_992_547_409_931)
    );
    assert!(parse_amount_micros("abc").is_err());
    assert!(parse_amount_micros("").is_err());
    assert!(parse_amount_micros("1.2.3").is_err());
    assert_eq!(micros_to_cents(12_345_679), 1235);
    assert_eq!(micros_to_cents(5_000), 1);
    assert_eq!(micros_to_cents(4_999), 0);
    assert_eq!(micros_to_cents(-5_000), -1);
}

#[test]
fn movers_split_increases_and_decreases() {
    let rows: Vec<(String, i64, i64)> = (0..8)
        .map(|i| (format!("up{i}"), 1000, 1000 + 100 * i))
        .chain((0..7).map(|i| (format!("down{i}"), 1000, 1000 - 50 * i)))
        .chain([("new".to_owned(), 0, 250)])
        .collect();
    let m = movers(&rows);
    let names: Vec<&str> = m.iter().map(|m| m.service.as_str()).collect();
    assert_eq!(
        names,
        ["up7", "up6", "up5", "up4", "up3", "down6", "down5", "down4", "down3", "down2"]
    );
    assert_eq!(m[0].change_cents, 700);
    assert_eq!(m[0].change_pct, Some(70.0));
    assert_eq!(m[5].change_cents, -300);
    let only_new = movers(&[("new".to_owned(), 0, 300)]);
    assert_eq!(only_new[0].change_pct, None);
    assert!(movers(&[("same".to_owned(), 5, 5)]).is_empty());
}

#[test]
fn anomaly_needs_all_three_conditions() {
    let start = d("2026-01-01");
    // 40 days around $13 with a little noise, a 3× day on day 35.
    let mut series: Vec<(NaiveDate, i64)> = (0..40)
        .map(|i| (start + Duration::days(i), 1300 + (i % 3) * 20))
        .collect();
    series[35].1 = 3900;
    let flags = anomalies("prod", &series, start);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].day, d("2026-02-05"));
    assert_eq!(flags[0].baseline_cents, 1320);
    assert!(flags[0].reason.contains("$39.00"), "{}", flags[0].reason);
    // Before `from`: not reported.
    assert!(anomalies("prod", &series, d("2026-02-06")).is_empty());
    // A cheap environment tripling (+$2) is below the $5 floor.
    let mut cheap: Vec<(NaiveDate, i64)> = (0..40)
        .map(|i| (start + Duration::days(i), 100 + i % 2))
        .collect();
    cheap[35].1 = 300;
    assert!(anomalies("dev", &cheap, start).is_empty());
    // A noisy environment: +$6 is within 3σ.
    let mut noisy: Vec<(NaiveDate, i64)> = (0..40)
        .map(|i| {
            (
                start + Duration::days(i),
                if i % 2 == 0 { 500 } else { 1500 },
            )
        })
        .collect();
    noisy[35].1 = 1600;
    assert!(anomalies("dev", &noisy, start).is_empty());
    // Too little history: no judgement.
    assert!(anomalies("prod", &series[30..], start).is_empty());
}

#[test]
fn projection_uses_the_last_seven_days() {
    // 10 days of $10 then mean of last 7 = (4×1000 + 3×2000)/7 = 1428.57…
    let recent: Vec<i64> = [1000; 7].into_iter().chain([2000; 3]).collect();
    let mtd: i64 = recent.iter().sum();
    assert_eq!(local_projection(mtd, &recent, 20), mtd + 28_571);
    assert_eq!(local_projection(500, &[], 10), 500);
    assert_eq!(local_projection(0, &[300, 300], 30), 9000);
    assert_eq!(local_projection(9000, &[300; 7], 0), 9000);
}

#[test]
fn burn_accumulates_against_the_budget_line() {
    let daily = [
        (d("2026-11-01"), 300),
        (d("2026-11-02"), 200),
        (d("2026-11-03"), 100),
    ];
    let b = burn(&daily, Some(9000), 30);
    assert_eq!(
        b.iter()
            .map(|p| p.actual_cumulative_cents)
            .collect::<Vec<_>>(),
        [300, 500, 600]
    );
    assert_eq!(
        b.iter()
            .map(|p| p.budget_cumulative_cents)
            .collect::<Vec<_>>(),
        [Some(300), Some(600), Some(900)]
    );
    assert_eq!(burn(&daily, None, 30)[2].budget_cumulative_cents, None);
    // Rounded: 10000 × 1 / 31 = 322.58 → 323.
    assert_eq!(
        burn(&daily[..1], Some(10_000), 31)[0].budget_cumulative_cents,
        Some(323)
    );
}

#[test]
fn components_map_to_services() {
    assert_eq!(
        services_for_component("ECS Fargate"),
        ["Amazon Elastic Container Service"]
    );
    assert_eq!(
        services_for_component("RDS Multi-AZ"),
        ["Amazon Relational Database Service"]
    );
    assert_eq!(
        services_for_component("ElastiCache"),
        ["Amazon ElastiCache"]
    );
    assert_eq!(services_for_component("ALB"), ["Elastic Load Balancing"]);
    assert_eq!(services_for_component("CloudFront"), ["Amazon CloudFront"]);
    assert_eq!(
        services_for_component("S3 & Data Transfer"),
        ["Amazon Simple Storage Service"]
    );
    assert_eq!(
        services_for_component("VPC Endpoints"),
        ["Amazon Virtual Private Cloud"]
    );
    assert!(services_for_component("Route53").is_empty());
    assert!(
        services_for_component("Subscriptions").is_empty(),
        "no 's3' inside words"
    );
}

#[test]
fn dollars_are_grouped() {
    assert_eq!(dollars(123_456_789), "$1,234,567.89");
    assert_eq!(dollars(5), "$0.05");
    assert_eq!(dollars(-100), "-$1.00");
}
