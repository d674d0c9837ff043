//! The one encoding of the values both databases keep as text or integers:
//! timestamps, JSON documents, counts and flags. Every store writes and reads
//! them through here, so what one area writes another reads back the same.
//!
//! The `Any` driver hands a row over as text and integers only. Each store
//! reads a table's columns into a `#[derive(sqlx::FromRow)]` row struct and
//! turns that into its domain type in one `TryFrom`, with these functions;
//! each names the column in its error, so a corrupt row says where.

use std::fmt::Display;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Stored data that does not decode: the column (`table.column`) and why.
/// A bug or a hand-edited database; each area's error has a `Corrupt` variant
/// it converts into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Corrupt(pub String);

impl From<Corrupt> for crate::error::CoreError {
    fn from(e: Corrupt) -> Self {
        crate::error::CoreError::Corrupt(e.0)
    }
}

impl Corrupt {
    pub fn column(column: &str, why: impl Display) -> Self {
        Corrupt(format!("{column}: {why}"))
    }
}

/// `2026-11-25T09:30:00.123Z`: milliseconds, always `Z`, fixed width, so
/// text order is time order (the stores sort and compare on it).
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored [`timestamp`] (any RFC 3339 time is read, in UTC).
pub fn parse_timestamp(column: &str, raw: &str) -> Result<DateTime<Utc>, Corrupt> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Corrupt(format!("{column} {raw:?}: {e}")))
}

/// A nullable [`timestamp`] column.
pub fn parse_optional_timestamp(
    column: &str,
    raw: Option<&str>,
) -> Result<Option<DateTime<Utc>>, Corrupt> {
    raw.map(|raw| parse_timestamp(column, raw)).transpose()
}

/// A value as JSON text (serde's field order, no whitespace).
pub fn to_json<T: Serialize>(value: &T) -> Result<String, Corrupt> {
    serde_json::to_string(value).map_err(|e| Corrupt(e.to_string()))
}

/// A JSON text column.
pub fn from_json<T: DeserializeOwned>(column: &str, raw: &str) -> Result<T, Corrupt> {
    serde_json::from_str(raw).map_err(|e| Corrupt::column(column, e))
}

/// An integer column narrowed to what the domain holds (a count, hours, a
/// position).
pub fn number<T: TryFrom<i64>>(column: &str, value: i64) -> Result<T, Corrupt> {
    T::try_from(value).map_err(|_| Corrupt::column(column, format_args!("{value} is out of range")))
}

/// A nullable integer column, narrowed.
pub fn optional_number<T: TryFrom<i64>>(
    column: &str,
    value: Option<i64>,
) -> Result<Option<T>, Corrupt> {
    value.map(|v| number(column, v)).transpose()
}

/// A boolean kept as an integer (0 or 1) in both databases.
pub fn flag(value: i64) -> bool {
    value != 0
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn timestamps_are_fixed_width_utc_and_read_back() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(timestamp(at), "2026-01-02T03:04:05.000Z");
        assert_eq!(parse_timestamp("t.at", &timestamp(at)), Ok(at));
        // Another offset is the same instant.
        assert_eq!(parse_timestamp("t.at", "2026-01-02T04:04:05+01:00"), Ok(at));
    }

    #[test]
    fn a_bad_timestamp_names_its_column_and_value() {
        let error = parse_timestamp("jobs.created_at", "yesterday").unwrap_err();
        assert!(
            error.0.starts_with("jobs.created_at \"yesterday\": "),
            "{error}"
        );
        assert_eq!(parse_optional_timestamp("t.at", None), Ok(None));
    }

    #[test]
    fn json_round_trips_and_a_bad_document_names_its_column() {
        let text = to_json(&vec!["a", "b"]).unwrap();
        assert_eq!(text, r#"["a","b"]"#);
        assert_eq!(
            from_json::<Vec<String>>("t.list", &text),
            Ok(vec!["a".into(), "b".into()])
        );
        let error = from_json::<Vec<String>>("t.list", "{").unwrap_err();
        assert!(error.0.starts_with("t.list: "), "{error}");
    }

    #[test]
    fn numbers_are_narrowed_or_refused() {
        assert_eq!(number::<u32>("t.n", 7), Ok(7));
        assert_eq!(
            number::<u32>("t.n", -1),
            Err(Corrupt("t.n: -1 is out of range".into()))
        );
        assert_eq!(optional_number::<u8>("t.n", None), Ok(None));
        assert!(flag(1) && !flag(0));
    }
}
