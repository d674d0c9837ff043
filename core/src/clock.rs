//! The one source of "now" for the core and the pages.
//!
//! Everything that depends on the date (the cost review's current month, the
//! cost refresher's last day, health ages, validation of dates against today)
//! asks a [`Clock`] instead of the wall clock, so tests pin the date and can
//! run at any day of the year (`TEST_TODAY`, see `scripts/test.sh`).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

/// Tells the time. Cheap to clone; the server uses [`Clock::system`].
#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    System,
    /// A fixed instant plus the time elapsed since the clock was made, so
    /// timeouts and ages still move while the date stays where a test put it.
    Pinned {
        at: DateTime<Utc>,
        since: std::time::Instant,
    },
    /// Whatever the closure says (a test's settable clock).
    Manual(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>),
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// A clock that starts at `at` and runs forward at real speed.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self(Source::Pinned {
            at,
            since: std::time::Instant::now(),
        })
    }

    /// A clock whose time is whatever `now` returns (for tests that move it).
    pub fn manual(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Source::Manual(Arc::new(now)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Source::System => Utc::now(),
            Source::Pinned { at, since } => {
                let elapsed =
                    chrono::Duration::from_std(since.elapsed()).unwrap_or(chrono::Duration::zero());
                *at + elapsed
            }
            Source::Manual(now) => now(),
        }
    }

    /// Today's date (UTC).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::System => f.write_str("Clock::system"),
            Source::Pinned { at, .. } => write!(f, "Clock::starting_at({at})"),
            Source::Manual(_) => f.write_str("Clock::manual"),
        }
    }
}

/// The tests' clock: "today" is `TEST_TODAY` (`2028-02-29`, or an RFC 3339
/// instant), 2026-11-15 at noon UTC when unset; `scripts/test.sh` runs the
/// date-dependent tests again at the first, middle and last day of a month,
/// on 1 January and on 29 February.
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

    use super::Clock;

    /// The variable that moves the tests' "today".
    pub const TODAY_VARIABLE: &str = "TEST_TODAY";
    /// "Today" when [`TODAY_VARIABLE`] is unset.
    pub const DEFAULT_TODAY: &str = "2026-11-15";

    /// The instant the tests start at. Panics on a malformed `TEST_TODAY`: a
    /// test run at the wrong date must not pass silently.
    pub fn start() -> DateTime<Utc> {
        let raw = std::env::var(TODAY_VARIABLE).unwrap_or_else(|_| DEFAULT_TODAY.to_owned());
        let raw = raw.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
            return at.with_timezone(&Utc);
        }
        let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap_or_else(|e| {
            panic!("{TODAY_VARIABLE}={raw:?} is neither a date (2028-02-29) nor an RFC 3339 instant: {e}")
        });
        day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default())
            .and_utc()
    }

    /// A clock starting at [`start`] and running forward.
    pub fn clock() -> Clock {
        Clock::starting_at(start())
    }

    /// The tests' today.
    pub fn today() -> NaiveDate {
        start().date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_pinned_clock_starts_where_it_was_put_and_moves_forward() {
        let at = Utc
            .with_ymd_and_hms(2028, 2, 29, 23, 59, 0)
            .single()
            .expect("valid");
        let clock = Clock::starting_at(at);
        let first = clock.now();
        assert!(first >= at && first - at < chrono::Duration::seconds(5));
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2028, 2, 29).expect("date")
        );
        assert!(clock.now() >= first);
    }

    #[test]
    fn a_manual_clock_says_what_its_closure_says() {
        let at = Utc
            .with_ymd_and_hms(2027, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        let clock = Clock::manual(move || at);
        assert_eq!(clock.now(), at);
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2027, 1, 1).expect("date")
        );
    }
}
