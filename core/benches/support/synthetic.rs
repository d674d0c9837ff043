//! The cost benchmarks' shared parts. The data: 13 months of daily cost up to `end` for
//! [`ENVS`] × [`SERVICES`] AWS services (≈ 31,000 daily rows), with
//! deterministic jitter, as one stored window; and how figures are printed.
//! Included with `#[path]` by the
//! core's review benchmark and the server's page benchmark.

use std::time::Duration;

use chrono::{Duration as Days, NaiveDate};
use gantry_core::cost::model::YearMonth;
use gantry_core::cost::store::{DailyRow, Window};

pub const ENVS: [&str; 4] = ["dev", "staging", "prod", "preview-1"];
pub const SERVICES: usize = 20;

pub fn synthetic(end: NaiveDate) -> Window {
    let start = YearMonth::of(end).plus(-12).first_day();
    let mut daily = Vec::new();
    let mut day = start;
    let mut seed: u64 = 42;
    while day <= end {
        for (e, env) in ENVS.iter().enumerate() {
            for s in 0..SERVICES {
                // xorshift: deterministic jitter without a dependency.
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let base = 200_000 * (s as i64 + 1) * (e as i64 + 1);
                let micros = base + (seed % 100_000) as i64;
                let service = format!("AWS Service {s:02}");
                daily.push(DailyRow {
                    day,
                    service,
                    tag: (*env).to_owned(),
                    amount_micros: micros,
                });
            }
        }
        day += Days::days(1);
    }
    Window::from_daily(daily, YearMonth::of(end))
}

/// Prints min / median / max of `times` in milliseconds.
pub fn stats(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: min {:.2} ms, median {:.2} ms, max {:.2} ms ({} runs)",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len()
    );
}
