//! How often one person may ask for a plan. Planning reads live AWS state
//! for whoever asks, so it is limited per person (by subject; a token's
//! owner once tokens exist) with `governor`, and a refusal is audited once
//! per person per minute (so the limit itself cannot flood the audit log).

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// Plans per person per minute when the config does not say.
pub const DEFAULT_PLANS_PER_MINUTE: u32 = 30;

/// The per-person plan limit, shared by every request of this process.
#[derive(Clone)]
pub struct PlanLimit {
    plans: Arc<Keyed>,
    audits: Arc<Keyed>,
}

impl std::fmt::Debug for PlanLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanLimit").finish_non_exhaustive()
    }
}

/// A refusal: when to ask again, and whether this one is to be audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after_secs: u64,
    pub audit: bool,
}

impl PlanLimit {
    /// `per_minute` plans per person, all of them at once at most.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self {
            plans: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            audits: Arc::new(RateLimiter::keyed(Quota::per_minute(NonZeroU32::MIN))),
        }
    }

    /// Counts one plan by `who`, or refuses it.
    pub fn check(&self, who: &str) -> Result<(), Refused> {
        let key = who.to_owned();
        self.plans.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Refused {
                retry_after_secs: wait.as_secs().max(1),
                audit: self.audits.check_key(&key).is_ok(),
            }
        })
    }
}

impl Default for PlanLimit {
    fn default() -> Self {
        Self::new(NonZeroU32::new(DEFAULT_PLANS_PER_MINUTE).unwrap_or(NonZeroU32::MIN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_person_has_their_own_allowance_and_one_audit_a_minute() {
        let limit = PlanLimit::new(NonZeroU32::new(3).unwrap());
        for _ in 0..3 {
            assert!(limit.check("oscar").is_ok());
        }
        let first = limit.check("oscar").unwrap_err();
        assert!(first.audit, "the first refusal is audited");
        assert!((1..=60).contains(&first.retry_after_secs), "{first:?}");
        let second = limit.check("oscar").unwrap_err();
        assert!(!second.audit, "later refusals that minute are not");
        assert!(limit.check("olga").is_ok(), "another person is not limited");
    }
}
