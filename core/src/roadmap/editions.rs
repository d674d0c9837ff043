//! Editions of the team's status document: every import is one, stored with
//! its text, the date it carries and what it changed. A later edition
//! updates the roadmap (each change in the history with the edition's
//! date); an older one is refused unless forced; any two can be compared.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::identity::keep_ids;
use super::markdown::import::{parse_edition, ImportOptions};
use super::model::{DocumentMeta, NextStep, Roadmap};
use super::store;
use super::timeline::document_date;
use crate::db::codec::{flag, to_json, Corrupt};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::EnvName;

/// The date an edition carries and the words it says it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionDate {
    pub date: NaiveDate,
    pub label: String,
}

/// The edition's "Last Updated" line, else its "Current Date" heading; a
/// month alone ("November 2024") is its first day.
pub fn edition_date(meta: &DocumentMeta) -> Option<EditionDate> {
    let last_updated = meta
        .updates
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("last updated"))
        .map(|(_, value)| value.as_str());
    last_updated
        .into_iter()
        .chain(meta.current_date.as_deref())
        .find_map(|label| {
            document_date(label).map(|date| EditionDate {
                date,
                label: label.trim().to_owned(),
            })
        })
}

/// "5 December 2026": how the export says the day of the last change.
pub fn format_day(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// One imported edition, as the history page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition {
    pub id: i64,
    /// The date it carries (YYYY-MM-DD), if it says one.
    pub dated: Option<String>,
    /// That date in its own words ("December 2024").
    pub label: Option<String>,
    /// "import: infrastructure-status.md".
    pub source: String,
    pub actor: String,
    pub imported_at: String,
    /// Imported although older than the newest edition.
    pub forced: bool,
    /// Modules listed twice and merged, modules matched under a new name.
    pub warnings: Vec<String>,
    pub summary: Summary,
}

/// What an edition changed when it was imported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub retired: usize,
    pub unchanged: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} retired, {} unchanged",
            self.created, self.updated, self.retired, self.unchanged
        )
    }
}

/// An edition about to be stored.
pub(crate) struct NewEdition<'a> {
    pub dated: Option<&'a EditionDate>,
    pub source: &'a str,
    pub actor: &'a str,
    pub imported_at: &'a str,
    pub forced: bool,
    pub document: &'a str,
    pub warnings: &'a [String],
    pub summary: &'a Summary,
}

pub(crate) async fn insert(conn: &mut AnyConnection, e: &NewEdition<'_>) -> CoreResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO roadmap_editions (dated, label, source, actor, imported_at, forced, document, \
         warnings, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(e.dated.map(|d| d.date.to_string()))
    .bind(e.dated.map(|d| d.label.clone()))
    .bind(e.source)
    .bind(e.actor)
    .bind(e.imported_at)
    .bind(i64::from(e.forced))
    .bind(e.document)
    .bind(to_json(&e.warnings)?)
    .bind(to_json(e.summary)?)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

const COLUMNS: &str = "id, dated, label, source, actor, imported_at, forced, warnings, summary";

/// One `roadmap_editions` row as stored ([`COLUMNS`]).
#[derive(sqlx::FromRow)]
struct EditionRow {
    id: i64,
    dated: Option<String>,
    label: Option<String>,
    source: String,
    actor: String,
    imported_at: String,
    forced: i64,
    warnings: String,
    summary: String,
}

impl TryFrom<EditionRow> for Edition {
    type Error = Corrupt;

    fn try_from(row: EditionRow) -> Result<Self, Corrupt> {
        let decode = |column: &str, text: &str| {
            Corrupt(format!("roadmap edition {column} {text:?} does not decode"))
        };
        Ok(Edition {
            id: row.id,
            dated: row.dated,
            label: row.label,
            source: row.source,
            actor: row.actor,
            imported_at: row.imported_at,
            forced: flag(row.forced),
            warnings: serde_json::from_str(&row.warnings)
                .map_err(|_| decode("warnings", &row.warnings))?,
            summary: serde_json::from_str(&row.summary)
                .map_err(|_| decode("summary", &row.summary))?,
        })
    }
}

/// An edition with its document text.
#[derive(sqlx::FromRow)]
struct EditionWithDocument {
    #[sqlx(flatten)]
    edition: EditionRow,
    document: String,
}

/// The newest edition that carries a date (by that date, then by import).
pub(crate) async fn latest_dated(conn: &mut AnyConnection) -> CoreResult<Option<Edition>> {
    let row = sqlx::query_as::<_, EditionRow>(&format!(
        "SELECT {COLUMNS} FROM roadmap_editions WHERE dated IS NOT NULL \
         ORDER BY dated DESC, id DESC LIMIT 1"
    ))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(Edition::try_from).transpose()?)
}

/// Every edition, the newest import first.
pub async fn list(db: &Db) -> CoreResult<Vec<Edition>> {
    let rows = sqlx::query_as::<_, EditionRow>(&format!(
        "SELECT {COLUMNS} FROM roadmap_editions ORDER BY id DESC"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(Edition::try_from)
        .collect::<Result<_, _>>()?)
}

async fn with_document(db: &Db, id: i64) -> CoreResult<(Edition, String)> {
    let row = sqlx::query_as::<_, EditionWithDocument>(&format!(
        "SELECT {COLUMNS}, document FROM roadmap_editions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| CoreError::NotFound(format!("edition #{id}")))?;
    Ok((Edition::try_from(row.edition)?, row.document))
}

/// One module's changed fields between two editions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleChanges {
    pub name: String,
    /// (field, from, to), as the module history words them.
    pub fields: Vec<(String, Option<String>, Option<String>)>,
}

/// What differs from one edition to another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<ModuleChanges>,
    pub steps_added: Vec<String>,
    pub steps_removed: Vec<String>,
    /// Steps marked done (or not done any more): "text (completed)".
    pub steps_ticked: Vec<String>,
}

impl EditionDiff {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// What changed from `old` to `new`, a module renamed in between matched
/// as one (see [`keep_ids`]).
pub fn compare(old: &Roadmap, new: &Roadmap) -> EditionDiff {
    let mut new = new.clone();
    keep_ids(&old.modules, &mut new);
    let mut diff = EditionDiff::default();
    for module in &new.modules {
        match old.module(&module.slug) {
            None => diff.added.push(module.name.clone()),
            Some(before) => {
                let fields = store::diff(before, module);
                if !fields.is_empty() {
                    diff.changed.push(ModuleChanges {
                        name: module.name.clone(),
                        fields,
                    });
                }
            }
        }
    }
    diff.removed = old
        .modules
        .iter()
        .filter(|m| new.module(&m.slug).is_none())
        .map(|m| m.name.clone())
        .collect();
    let find = |steps: &[NextStep], step: &NextStep| {
        steps
            .iter()
            .find(|s| s.text.eq_ignore_ascii_case(&step.text))
            .cloned()
    };
    for step in &new.next_steps {
        match find(&old.next_steps, step) {
            None => diff.steps_added.push(step.text.clone()),
            Some(before) if before.completed != step.completed => diff.steps_ticked.push(format!(
                "{} ({})",
                step.text,
                if step.completed {
                    "completed"
                } else {
                    "not completed any more"
                }
            )),
            Some(_) => {}
        }
    }
    diff.steps_removed = old
        .next_steps
        .iter()
        .filter(|s| find(&new.next_steps, s).is_none())
        .map(|s| s.text.clone())
        .collect();
    diff
}

/// Editions `from` and `to` and what differs between them.
pub async fn diff(
    db: &Db,
    environments: &[EnvName],
    from: i64,
    to: i64,
) -> CoreResult<(Edition, Edition, EditionDiff)> {
    let (old, old_text) = with_document(db, from).await?;
    let (new, new_text) = with_document(db, to).await?;
    let opts = ImportOptions {
        environments: environments.to_vec(),
        strict: false,
    };
    let parse = |id: i64, text: &str| {
        parse_edition(text, &opts)
            .map(|p| p.roadmap)
            .map_err(|e| CoreError::Corrupt(format!("stored edition #{id} no longer parses: {e}")))
    };
    let changes = compare(&parse(from, &old_text)?, &parse(to, &new_text)?);
    Ok((old, new, changes))
}

/// The editions, newest first, and the comparison of `pair` (from, to);
/// without a pair, of the two newest editions (when there are two).
pub async fn overview(
    db: &Db,
    environments: &[EnvName],
    pair: Option<(i64, i64)>,
) -> CoreResult<(Vec<Edition>, Option<EditionDiff>, Option<(i64, i64)>)> {
    let listed = list(db).await?;
    let newest_two = match listed.as_slice() {
        [newest, previous, ..] => Some((previous.id, newest.id)),
        _ => None,
    };
    let pair = pair.or(newest_two);
    let compared = match pair {
        Some((from, to)) => Some(diff(db, environments, from, to).await?.2),
        None => None,
    };
    Ok((listed, compared, pair))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edition_dates_in_the_forms_documents_use() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(document_date("November 2024"), day(2024, 11, 1));
        assert_eq!(document_date("5 December 2026"), day(2026, 12, 5));
        assert_eq!(document_date("December 5, 2026"), day(2026, 12, 5));
        assert_eq!(document_date("Dec 2024"), day(2024, 12, 1));
        assert_eq!(document_date("2026-12-05"), day(2026, 12, 5));
        assert_eq!(document_date("31 February 2026"), None);
        assert_eq!(document_date("soon"), None);
        assert_eq!(document_date(""), None);
        let date = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(document_date(&format_day(date)), Some(date));
    }

    #[test]
    fn the_last_updated_line_dates_an_edition_before_the_current_date() {
        let mut meta = DocumentMeta {
            current_date: Some("November 2024".into()),
            ..DocumentMeta::default()
        };
        assert_eq!(
            edition_date(&meta).map(|d| d.label),
            Some("November 2024".into())
        );
        meta.updates
            .push(("Last Updated".into(), "3 December 2024".into()));
        assert_eq!(
            edition_date(&meta),
            Some(EditionDate {
                date: NaiveDate::from_ymd_opt(2024, 12, 3).unwrap(),
                label: "3 December 2024".into()
            })
        );
    }
}
