//! Audit records as CSV or JSON Lines, for download.

use serde::{Deserialize, Serialize};

use super::chain::canonical_json;
use super::model::{AuditFilter, AuditRecord, PageRequest};
use super::store;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};

/// The CSV columns, in order. `before` and `after` hold compact JSON (keys
/// sorted); absent values are empty cells (`key_id` and `mac` for legacy
/// records).
pub const CSV_HEADER: [&str; 13] = [
    "id",
    "at",
    "actor",
    "role",
    "action",
    "target",
    "before",
    "after",
    "request_id",
    "prev_hash",
    "hash",
    "key_id",
    "mac",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    /// One JSON object (an [`AuditRecord`]) per line.
    JsonLines,
}

impl ExportFormat {
    /// `csv`, or `jsonl` / `ndjson` / `json_lines`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" | "json_lines" => Some(Self::JsonLines),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::JsonLines => "application/x-ndjson",
        }
    }

    pub fn file_extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }
}

/// The records as CSV: a header row ([`CSV_HEADER`]), then one row each,
/// quoted where needed.
pub fn to_csv(records: &[AuditRecord]) -> CoreResult<String> {
    let mut out = csv_writer();
    write_csv_rows(&mut out, records)?;
    csv_finish(out)
}

/// The records as JSON Lines: each a JSON object on a line of its own.
pub fn to_json_lines(records: &[AuditRecord]) -> CoreResult<String> {
    let mut out = String::new();
    write_json_lines(&mut out, records)?;
    Ok(out)
}

/// Every record matching `filter`, newest first, in `format`: read a page at a
/// time, so the database is never asked for everything at once.
pub async fn export_all(
    db: &Db,
    filter: &AuditFilter,
    format: ExportFormat,
) -> CoreResult<Vec<u8>> {
    let mut csv = csv_writer();
    let mut lines = String::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let result = store::query(db, filter, &page).await?;
        match format {
            ExportFormat::Csv => write_csv_rows(&mut csv, &result.records)?,
            ExportFormat::JsonLines => write_json_lines(&mut lines, &result.records)?,
        }
        match result.next_before_id {
            Some(before_id) => page.before_id = Some(before_id),
            None => break,
        }
    }
    Ok(match format {
        ExportFormat::Csv => csv_finish(csv)?.into_bytes(),
        ExportFormat::JsonLines => lines.into_bytes(),
    })
}

/// A CSV writer that writes the header before the first row, even when there
/// are no rows.
struct CsvOut {
    writer: csv::Writer<Vec<u8>>,
    header_written: bool,
}

fn csv_writer() -> CsvOut {
    CsvOut {
        writer: csv::Writer::from_writer(Vec::new()),
        header_written: false,
    }
}

fn csv_error(e: impl std::fmt::Display) -> CoreError {
    CoreError::Corrupt(format!("audit CSV export: {e}"))
}

fn write_csv_header(out: &mut CsvOut) -> CoreResult<()> {
    if !out.header_written {
        out.writer.write_record(CSV_HEADER).map_err(csv_error)?;
        out.header_written = true;
    }
    Ok(())
}

/// Free text (names, targets, request ids sent by clients, JSON states) could
/// start with `=`, `+`, `-`, `@`, a tab or a carriage return and run as a
/// formula when the CSV is opened in a spreadsheet; such a cell gets a leading
/// `'` (OWASP's advice). Every free-text column of every CSV export goes
/// through this (the cost export too). The JSON Lines export and the chain
/// keep the value as recorded.
pub(crate) fn spreadsheet_safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn write_csv_rows(out: &mut CsvOut, records: &[AuditRecord]) -> CoreResult<()> {
    write_csv_header(out)?;
    for r in records {
        out.writer
            .write_record([
                r.id.to_string(),
                r.at.clone(),
                spreadsheet_safe(&r.actor),
                spreadsheet_safe(r.role.as_deref().unwrap_or_default()),
                spreadsheet_safe(&r.action),
                spreadsheet_safe(&r.target),
                spreadsheet_safe(&compact_json(r.before.as_ref())?),
                spreadsheet_safe(&compact_json(r.after.as_ref())?),
                spreadsheet_safe(r.request_id.as_deref().unwrap_or_default()),
                r.prev_hash.clone(),
                r.hash.clone(),
                spreadsheet_safe(r.key_id.as_deref().unwrap_or_default()),
                r.mac.clone().unwrap_or_default(),
            ])
            .map_err(csv_error)?;
    }
    Ok(())
}

fn csv_finish(mut out: CsvOut) -> CoreResult<String> {
    write_csv_header(&mut out)?;
    let bytes = out.writer.into_inner().map_err(csv_error)?;
    String::from_utf8(bytes).map_err(csv_error)
}

fn compact_json(value: Option<&serde_json::Value>) -> CoreResult<String> {
    value
        .map(|v| serde_json::to_string(&canonical_json(v)))
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(|e| CoreError::Corrupt(format!("audit JSON: {e}")))
}

fn write_json_lines(out: &mut String, records: &[AuditRecord]) -> CoreResult<()> {
    for r in records {
        let line = serde_json::to_string(r)
            .map_err(|e| CoreError::Corrupt(format!("audit record {}: {e}", r.id)))?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Ada Admin <ada>"), "Ada Admin <ada>");
    }

    #[test]
    fn every_free_text_column_is_defused() {
        let hostile = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"];
        for bad in hostile {
            let record = AuditRecord {
                id: 1,
                at: "2026-11-25T09:30:00.123Z".into(),
                actor: bad.into(),
                role: Some(bad.into()),
                action: bad.into(),
                target: bad.into(),
                before: Some(serde_json::json!(-1)),
                after: Some(serde_json::json!(-2.5)),
                request_id: Some(bad.into()),
                prev_hash: "0".repeat(64),
                hash: "a".repeat(64),
                key_id: Some(bad.into()),
                mac: Some("b".repeat(64)),
            };
            let csv = to_csv(&[record]).unwrap();
            let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
            let row = reader.records().next().unwrap().unwrap();
            let cell = |name: &str| {
                let i = CSV_HEADER.iter().position(|h| *h == name).unwrap();
                row.get(i).unwrap().to_owned()
            };
            for column in ["actor", "role", "action", "target", "request_id", "key_id"] {
                assert_eq!(cell(column), format!("'{bad}"), "{column} of {bad:?}");
            }
            assert_eq!(cell("before"), "'-1");
            assert_eq!(cell("after"), "'-2.5");
            // What the chain and the JSON Lines export hold is untouched.
            assert_eq!(cell("hash"), "a".repeat(64));
        }
    }

    #[test]
    fn empty_csv_still_has_the_header() {
        assert_eq!(
            to_csv(&[]).unwrap(),
            "id,at,actor,role,action,target,before,after,request_id,prev_hash,hash,key_id,mac\n"
        );
        assert_eq!(to_json_lines(&[]).unwrap(), "");
    }

    #[test]
    fn formats_parse() {
        assert_eq!(ExportFormat::parse("csv"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("jsonl"), Some(ExportFormat::JsonLines));
        assert_eq!(ExportFormat::parse("xml"), None);
    }
}
