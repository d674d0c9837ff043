//! What Fargate tasks cost a month, from a price table in the config: the
//! approval page's "this change adds $X a month". Pure.
//!
//! A task is billed per vCPU-hour and per GB-hour; a month is 730 hours
//! (AWS's own convention in its pricing pages).

use serde::{Deserialize, Serialize};

use crate::jobs::model::{ComputeChange, Footprint, TaskSize};

/// Hours in the month AWS prices with.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Fargate on-demand prices per hour, in dollars (`[cost.fargate]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FargatePrices {
    pub vcpu_hour_usd: f64,
    pub gb_hour_usd: f64,
}

impl Default for FargatePrices {
    /// Linux/x86 in us-east-1 and eu-west-1 (2024–2026 list prices).
    fn default() -> Self {
        Self {
            vcpu_hour_usd: 0.04048,
            gb_hour_usd: 0.004445,
        }
    }
}

impl FargatePrices {
    /// Refuses a price that is not a positive number below $10 an hour.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("vcpu_hour_usd", self.vcpu_hour_usd),
            ("gb_hour_usd", self.gb_hour_usd),
        ] {
            if !(value.is_finite() && value > 0.0 && value < 10.0) {
                return Err(format!(
                    "{name} must be a price in dollars per hour above 0 and below 10, not {value}"
                ));
            }
        }
        Ok(())
    }

    /// One task of `size` for a month, in cents.
    pub fn task_month_cents(&self, size: TaskSize) -> f64 {
        let vcpu = f64::from(size.cpu) / 1024.0;
        let gb = f64::from(size.memory_mib) / 1024.0;
        (vcpu * self.vcpu_hour_usd + gb * self.gb_hour_usd) * HOURS_PER_MONTH * 100.0
    }

    /// `footprint`'s tasks for a month, in cents; none when it runs tasks of
    /// an unknown size.
    pub fn monthly_cents(&self, footprint: &Footprint) -> Option<i64> {
        if footprint.tasks <= 0 {
            return Some(0);
        }
        let size = footprint.size?;
        Some((f64::from(footprint.tasks) * self.task_month_cents(size)).round() as i64)
    }

    /// What `change` does to the monthly bill, service by service.
    pub fn delta(&self, change: &ComputeChange) -> CostDelta {
        let mut lines = Vec::new();
        for after in &change.after {
            let before = change.before.iter().find(|b| b.service == after.service);
            let none = Footprint {
                service: after.service.clone(),
                tasks: 0,
                size: None,
            };
            let before = before.unwrap_or(&none);
            lines.push(ServiceDelta {
                service: after.service.clone(),
                before_tasks: before.tasks,
                before_size: before.size,
                before_cents: self.monthly_cents(before),
                after_tasks: after.tasks,
                after_size: after.size,
                after_cents: self.monthly_cents(after),
            });
        }
        let total = |f: fn(&ServiceDelta) -> Option<i64>| lines.iter().filter_map(f).sum::<i64>();
        let before_cents = total(|l| l.before_cents);
        let after_cents = total(|l| l.after_cents);
        let unpriced = lines
            .iter()
            .filter(|l| l.before_cents.is_none() || l.after_cents.is_none())
            .map(|l| l.service.clone())
            .collect();
        CostDelta {
            before_cents,
            after_cents,
            delta_cents: after_cents - before_cents,
            unpriced,
            lines,
        }
    }
}

/// One service's monthly cost before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceDelta {
    pub service: String,
    pub before_tasks: i32,
    pub before_size: Option<TaskSize>,
    pub before_cents: Option<i64>,
    pub after_tasks: i32,
    pub after_size: Option<TaskSize>,
    pub after_cents: Option<i64>,
}

/// A change's estimated effect on the monthly bill (Fargate compute only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostDelta {
    pub lines: Vec<ServiceDelta>,
    /// Sums of the priced lines.
    pub before_cents: i64,
    pub after_cents: i64,
    pub delta_cents: i64,
    /// Services left out of the sums: a task size could not be read.
    pub unpriced: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footprint(tasks: i32, cpu: u32, memory_mib: u32) -> Footprint {
        Footprint {
            service: "api".into(),
            tasks,
            size: Some(TaskSize { cpu, memory_mib }),
        }
    }

    #[test]
    fn a_task_month_is_730_hours_of_vcpu_and_memory() {
        let prices = FargatePrices {
            vcpu_hour_usd: 0.04,
            gb_hour_usd: 0.004,
        };
        // 0.25 vCPU × 0.04 + 0.5 GB × 0.004 = $0.012/h; × 730 = $8.76.
        assert_eq!(prices.monthly_cents(&footprint(1, 256, 512)), Some(876));
        // 1 vCPU × 0.04 + 2 GB × 0.004 = $0.048/h; × 730 × 3 = $105.12.
        assert_eq!(prices.monthly_cents(&footprint(3, 1024, 2048)), Some(10512));
        assert_eq!(prices.monthly_cents(&footprint(0, 1024, 2048)), Some(0));
        let unknown = Footprint {
            size: None,
            ..footprint(2, 0, 0)
        };
        assert_eq!(prices.monthly_cents(&unknown), None);
        assert_eq!(
            prices.monthly_cents(&Footprint {
                tasks: 0,
                ..unknown
            }),
            Some(0)
        );
    }

    #[test]
    fn the_delta_sums_what_it_can_price_and_names_the_rest() {
        let prices = FargatePrices {
            vcpu_hour_usd: 0.04,
            gb_hour_usd: 0.004,
        };
        let worker_unknown = Footprint {
            service: "worker".into(),
            tasks: 1,
            size: None,
        };
        let change = ComputeChange {
            before: vec![footprint(2, 256, 512), worker_unknown.clone()],
            after: vec![
                footprint(5, 256, 512),
                Footprint {
                    tasks: 0,
                    ..worker_unknown
                },
                Footprint {
                    service: "web".into(),
                    ..footprint(1, 1024, 2048)
                },
            ],
        };
        let delta = prices.delta(&change);
        assert_eq!(delta.before_cents, 2 * 876);
        assert_eq!(delta.after_cents, 5 * 876 + 3504);
        assert_eq!(delta.delta_cents, 3 * 876 + 3504);
        assert_eq!(delta.unpriced, vec!["worker".to_owned()]);
        assert_eq!(delta.lines[2].before_tasks, 0);
        assert_eq!(delta.lines[2].before_cents, Some(0));
    }

    #[test]
    fn prices_are_checked() {
        assert!(FargatePrices::default().validate().is_ok());
        for (cpu, gb) in [(0.0, 0.1), (-1.0, 0.1), (0.1, f64::NAN), (11.0, 0.1)] {
            let prices = FargatePrices {
                vcpu_hour_usd: cpu,
                gb_hour_usd: gb,
            };
            assert!(prices.validate().is_err(), "{cpu} {gb}");
        }
    }
}
