//! The one retry schedule of Gantry's own loops (the jobs loop and a step's
//! retries, the LISTEN connection, webhook deliveries): exponential, capped.
//! AWS calls retry in the SDK instead (`aws::clients`).

use std::time::Duration;

/// Waits that double from `base` after each failure in a row, never longer
/// than `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, max: Duration) -> Self {
        Self { base, max }
    }

    /// The wait after the `failures`-th failure in a row: `base · 2^(failures − 1)`
    /// (`base` for the first, and for 0), at most `max`.
    pub fn after(self, failures: u32) -> Duration {
        self.base
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)))
            .min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_its_cap() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(backoff.after(0), Duration::from_millis(100));
        assert_eq!(backoff.after(1), Duration::from_millis(100));
        assert_eq!(backoff.after(2), Duration::from_millis(200));
        assert_eq!(backoff.after(4), Duration::from_millis(800));
        assert_eq!(backoff.after(5), Duration::from_secs(1));
        assert_eq!(backoff.after(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn a_huge_base_saturates_at_the_cap() {
        let backoff = Backoff::new(Duration::MAX, Duration::from_secs(3600));
        assert_eq!(backoff.after(40), Duration::from_secs(3600));
    }
}
