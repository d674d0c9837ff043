//! Weekly change-freeze windows ("Friday 15:00 to Monday 08:00") in an
//! environment's time zone, beside the dated windows of
//! [`super::FreezeWindow`]. Local times are turned into instants with the
//! time zone database (jiff, bundled), so a window keeps its wall-clock
//! hours across daylight-saving changes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A day of the week and a wall-clock time: `fri 15:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekTime {
    /// 0 = Monday … 6 = Sunday.
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTES_PER_WEEK: u32 = 7 * 24 * 60;

impl WeekTime {
    /// Parses `fri 15:00` (a day's first three letters, any case; 24-hour time).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let refuse = || format!("{raw:?} is not a day and a time such as \"fri 15:00\"");
        let (day, time) = raw.trim().split_once(' ').ok_or_else(refuse)?;
        let day = DAYS
            .iter()
            .position(|d| day.trim().to_ascii_lowercase().starts_with(d) && day.trim().len() >= 3)
            .ok_or_else(refuse)?;
        let (hour, minute) = time.trim().split_once(':').ok_or_else(refuse)?;
        let hour: u8 = hour.parse().ok().filter(|h| *h < 24).ok_or_else(refuse)?;
        let minute: u8 = minute.parse().ok().filter(|m| *m < 60).ok_or_else(refuse)?;
        Ok(Self {
            day: day as u8,
            hour,
            minute,
        })
    }

    fn minute_of_week(self) -> u32 {
        u32::from(self.day) * 24 * 60 + u32::from(self.hour) * 60 + u32::from(self.minute)
    }
}

impl std::fmt::Display for WeekTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:02}:{:02}",
            DAYS[usize::from(self.day) % 7],
            self.hour,
            self.minute
        )
    }
}

/// Every week from `from` to `to` (wrapping over the week's end when `to`
/// comes first: Friday to Monday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyFreeze {
    pub from: WeekTime,
    pub to: WeekTime,
    pub reason: String,
}

pub use gantry_wire::FreezeMode;

/// Checks an IANA time zone name (`Europe/Berlin`).
pub fn check_time_zone(name: &str) -> Result<(), String> {
    jiff::tz::TimeZone::get(name).map(|_| ()).map_err(|_| {
        format!("{name:?} is not a known time zone (IANA names such as Europe/Berlin)")
    })
}

/// A freeze in force: until when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frozen {
    pub until: DateTime<Utc>,
    pub reason: String,
}

impl WeeklyFreeze {
    /// Whether `at` falls in this window in `time_zone`, and when it ends.
    pub fn at(&self, at: DateTime<Utc>, time_zone: &str) -> Option<Frozen> {
        let tz = jiff::tz::TimeZone::get(time_zone).ok()?;
        let zoned = jiff::Timestamp::from_millisecond(at.timestamp_millis())
            .ok()?
            .to_zoned_datetime(tz.clone());
        let day = u32::from(zoned.weekday().to_monday_zero_offset() as u8);
        let now =
            day * 24 * 60 + u32::from(zoned.hour() as u8) * 60 + u32::from(zoned.minute() as u8);
        let (from, to) = (self.from.minute_of_week(), self.to.minute_of_week());
        let inside = if from <= to {
            from <= now && now < to
        } else {
            now >= from || now < to
        };
        if !inside {
            return None;
        }
        // The end: the next `to` after now, in local wall-clock time.
        let ahead = (to + MINUTES_PER_WEEK - now) % MINUTES_PER_WEEK;
        let days_ahead = i64::from((now % (24 * 60) + ahead) / (24 * 60));
        let end_date = zoned
            .date()
            .checked_add(jiff::Span::new().days(days_ahead))
            .ok()?;
        let end = end_date
            .at(self.to.hour as i8, self.to.minute as i8, 0, 0)
            .to_zoned_datetime(tz)
            .ok()?;
        let until = DateTime::<Utc>::from_timestamp_millis(end.timestamp().as_millisecond())?;
        Some(Frozen {
            until,
            reason: self.reason.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn weekend() -> WeeklyFreeze {
        WeeklyFreeze {
            from: WeekTime::parse("fri 15:00").unwrap(),
            to: WeekTime::parse("Mon 08:00").unwrap(),
            reason: "weekend".into(),
        }
    }

    #[test]
    fn week_times_parse_and_refuse() {
        assert_eq!(
            WeekTime::parse("friday 15:30").unwrap().to_string(),
            "fri 15:30"
        );
        for bad in [
            "fri",
            "fr 10:00",
            "fri 24:00",
            "fri 10:60",
            "someday 10:00",
            "fri 10",
        ] {
            assert!(WeekTime::parse(bad).is_err(), "{bad}");
        }
        assert!(check_time_zone("Europe/Berlin").is_ok());
        assert!(check_time_zone("Mars/Olympus")
            .unwrap_err()
            .contains("not a known time zone"));
    }

    #[test]
    fn a_weekly_window_keeps_its_local_hours_across_a_daylight_saving_change() {
        let w = weekend();
        let tz = "Europe/Berlin";
        // Summer time (UTC+2): Friday 15:30 local is 13:30 UTC.
        let frozen = w.at(at("2026-10-23T13:30:00Z"), tz).expect("frozen");
        // Monday 08:00 local after the change back (Oct 25) is 07:00 UTC.
        assert_eq!(frozen.until, at("2026-10-26T07:00:00Z"));
        assert_eq!(
            w.at(at("2026-10-23T12:30:00Z"), tz),
            None,
            "14:30 local: not yet"
        );
        // Winter time (UTC+1): 13:30 UTC is 14:30 local, before the window;
        // a zone-blind check at UTC+2 would call it frozen.
        assert_eq!(w.at(at("2026-10-30T13:30:00Z"), tz), None);
        assert!(
            w.at(at("2026-10-30T14:30:00Z"), tz).is_some(),
            "15:30 local"
        );
        // Saturday and early Monday are inside; Monday 08:30 local is not.
        assert!(w.at(at("2026-10-31T12:00:00Z"), tz).is_some());
        assert!(
            w.at(at("2026-11-02T06:30:00Z"), tz).is_some(),
            "07:30 local"
        );
        assert_eq!(w.at(at("2026-11-02T07:30:00Z"), tz), None, "08:30 local");
        // A window inside one day.
        let lunch = WeeklyFreeze {
            from: WeekTime::parse("wed 12:00").unwrap(),
            to: WeekTime::parse("wed 13:00").unwrap(),
            reason: "deploy lunch".into(),
        };
        let frozen = lunch
            .at(at("2026-11-04T11:15:00Z"), tz)
            .expect("12:15 local");
        assert_eq!(frozen.until, at("2026-11-04T12:00:00Z"));
        assert_eq!(lunch.at(at("2026-11-04T12:15:00Z"), tz), None);
    }
}
