//! The arithmetic of the cost review, without I/O: amounts, movers, anomaly
//! flags, the month-end projection, budget burn and the roadmap component →
//! AWS service mapping.

use chrono::{Duration, NaiveDate};

use super::model::{Anomaly, BurnPoint, Mover};

/// Micro-dollars in a cent.
pub const MICROS_PER_CENT: i64 = 10_000;

/// A Cost Explorer amount ("12.3456789012", "-0.01", "1.5E-7") in
/// micro-dollars, rounded half away from zero; no floating point.
pub fn parse_amount_micros(raw: &str) -> Result<i64, String> {
    let fail = || format!("amount {raw:?} is not a decimal number");
    let s = raw.trim();
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().map_err(|_| fail())?),
        None => (s, 0),
    };
    let (negative, digits) = match mantissa.as_bytes().first() {
        Some(b'-') => (true, &mantissa[1..]),
        Some(b'+') => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(fail());
    }
    // value = all_digits × 10^(exponent − frac_len); micros = value × 10^6.
    let all: String = format!("{int_part}{frac_part}");
    let all = all.trim_start_matches('0');
    if all.len() > 30 {
        return Err(format!("amount {raw:?} is out of range"));
    }
    let n: i128 = if all.is_empty() {
        0
    } else {
        all.parse().map_err(|_| fail())?
    };
    let shift = exponent - frac_part.len() as i32 + 6;
    let micros: i128 = if shift >= 0 {
        if shift > 20 {
            return Err(format!("amount {raw:?} is out of range"));
        }
        n.checked_mul(10i128.pow(shift as u32))
            .ok_or_else(|| format!("amount {raw:?} is out of range"))?
    } else if -shift > 36 {
        0
    } else {
        let div = 10i128.pow((-shift) as u32);
        (n + div / 2) / div
    };
    let micros = i64::try_from(micros).map_err(|_| format!("amount {raw:?} is out of range"))?;
    Ok(if negative { -micros } else { micros })
}

/// Micro-dollars to cents, rounded half away from zero.
pub fn micros_to_cents(micros: i64) -> i64 {
    let half = MICROS_PER_CENT / 2;
    if micros >= 0 {
        (micros + half) / MICROS_PER_CENT
    } else {
        -((-micros + half) / MICROS_PER_CENT)
    }
}

/// Up to 5 largest increases (largest first), then up to 5 largest decreases
/// (largest first), from (service, previous, current) in cents. Unchanged
/// services are not movers.
pub fn movers(rows: &[(String, i64, i64)]) -> Vec<Mover> {
    let mover = |(service, previous, current): &(String, i64, i64)| Mover {
        service: service.clone(),
        previous_cents: *previous,
        current_cents: *current,
        change_cents: current - previous,
        change_pct: super::model::change_pct(*previous, *current),
    };
    let mut up: Vec<Mover> = rows
        .iter()
        .map(mover)
        .filter(|m| m.change_cents > 0)
        .collect();
    let mut down: Vec<Mover> = rows
        .iter()
        .map(mover)
        .filter(|m| m.change_cents < 0)
        .collect();
    up.sort_by(|a, b| {
        b.change_cents
            .cmp(&a.change_cents)
            .then(a.service.cmp(&b.service))
    });
    down.sort_by(|a, b| {
        a.change_cents
            .cmp(&b.change_cents)
            .then(a.service.cmp(&b.service))
    });
    up.truncate(5);
    down.truncate(5);
    up.extend(down);
    up
}

/// Days of trailing history an anomaly is judged against.
pub const BASELINE_DAYS: usize = 30;
/// Fewer days of history than this: no judgement.
pub const MIN_BASELINE_DAYS: usize = 14;
/// Smallest excess over the baseline worth a flag: $5.
pub const MIN_EXCESS_CENTS: i64 = 500;

/// Anomaly flags for one environment's daily totals.
///
/// `series` is consecutive days (no gaps; a day without spend is 0), oldest
/// first. A day at or after `from` is flagged when, against the mean and
/// standard deviation of the up to 30 days before it (at least 14):
/// its cost > mean + 3σ, and > 1.5 × mean, and exceeds the mean by more than
/// $5. All three: a quiet environment's noise or a cheap one's doubling is
/// not worth a meeting's attention.
pub fn anomalies(environment: &str, series: &[(NaiveDate, i64)], from: NaiveDate) -> Vec<Anomaly> {
    let mut out = Vec::new();
    for (i, &(day, cents)) in series.iter().enumerate() {
        if day < from || i < MIN_BASELINE_DAYS {
            continue;
        }
        let window = &series[i.saturating_sub(BASELINE_DAYS)..i];
        let n = window.len() as f64;
        let mean = window.iter().map(|(_, c)| *c as f64).sum::<f64>() / n;
        let var = window
            .iter()
            .map(|(_, c)| (*c as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let sd = var.sqrt();
        let c = cents as f64;
        if c > mean + 3.0 * sd && c > 1.5 * mean && c - mean > MIN_EXCESS_CENTS as f64 {
            let ratio = if mean > 0.0 { c / mean } else { f64::INFINITY };
            let sigmas = if sd > 0.0 {
                format!(", {:.1}σ above", (c - mean) / sd)
            } else {
                String::new()
            };
            out.push(Anomaly {
                day,
                environment: environment.to_owned(),
                cents,
                baseline_cents: mean.round() as i64,
                reason: format!(
                    "{} vs a 30-day mean of {} ({ratio:.1}×{sigmas})",
                    dollars(cents),
                    dollars(mean.round() as i64)
                ),
            });
        }
    }
    out
}

/// Days averaged by [`local_projection`].
pub const PROJECTION_DAYS: usize = 7;

/// The whole month's cost: month-to-date + the mean of the last (up to) 7
/// days' costs × the days remaining. `recent` are the latest daily costs,
/// oldest first (may reach into the previous month).
pub fn local_projection(month_to_date_cents: i64, recent: &[i64], remaining_days: u32) -> i64 {
    let last = &recent[recent.len().saturating_sub(PROJECTION_DAYS)..];
    if last.is_empty() {
        return month_to_date_cents;
    }
    let sum: i64 = last.iter().sum();
    let n = last.len() as i64;
    // mean × remaining, rounded half up, in integers.
    month_to_date_cents + (2 * sum * i64::from(remaining_days) + n) / (2 * n)
}

/// Cumulative actual cost per day of the month (from `daily`, days of the
/// month in order) beside the budget line budget × day / days_in_month.
pub fn burn(
    daily: &[(NaiveDate, i64)],
    budget_cents: Option<i64>,
    days_in_month: u32,
) -> Vec<BurnPoint> {
    let mut total = 0;
    daily
        .iter()
        .map(|&(day, cents)| {
            total += cents;
            let n = i64::from(chrono::Datelike::day(&day));
            BurnPoint {
                day,
                actual_cumulative_cents: total,
                budget_cumulative_cents: budget_cents.map(|b| {
                    (b * n * 2 + i64::from(days_in_month)) / (2 * i64::from(days_in_month.max(1)))
                }),
            }
        })
        .collect()
}

/// The AWS services (Cost Explorer's names) a roadmap cost line stands for,
/// by keywords of its component, case-insensitive:
///
/// | component contains | service |
/// |---|---|
/// | `fargate`, `ecs` | Amazon Elastic Container Service |
/// | `rds` | Amazon Relational Database Service |
/// | `elasticache`, `redis` | Amazon ElastiCache |
/// | `alb`, `load balancer` | Elastic Load Balancing |
/// | `cloudfront` | Amazon CloudFront |
/// | `s3`, `data transfer` | Amazon Simple Storage Service |
/// | `vpc` | Amazon Virtual Private Cloud |
///
/// Anything else maps to nothing (its actual is unknown, not zero).
pub fn services_for_component(component: &str) -> Vec<&'static str> {
    let c = component.to_ascii_lowercase();
    let words: Vec<&str> = c
        .split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let mut out = Vec::new();
    if has("fargate") || has("ecs") {
        out.push("Amazon Elastic Container Service");
    }
    if has("rds") {
        out.push("Amazon Relational Database Service");
    }
    if has("elasticache") || has("redis") {
        out.push("Amazon ElastiCache");
    }
    if has("alb") || c.contains("load balancer") {
        out.push("Elastic Load Balancing");
    }
    if has("cloudfront") {
        out.push("Amazon CloudFront");
    }
    if has("s3") || c.contains("data transfer") {
        out.push("Amazon Simple Storage Service");
    }
    if has("vpc") {
        out.push("Amazon Virtual Private Cloud");
    }
    out
}

/// `$1,234.56` (negative: `-$1.00`).
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{:02}", c % 100)
}

/// Every day of `[from, to]`.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    let n = (to - from).num_days().max(-1) + 1;
    (0..n).map(move |i| from + Duration::days(i))
}

#[cfg(test)]
mod tests {
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
}
