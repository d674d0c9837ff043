//! Roadmap storage: load the whole roadmap, apply an import in one transaction
//! (recording every change in each module's history), read a module's history.
//!
//! - `read.rs`: the roadmap, one module and the next free position, from
//!   their tables.
//! - `write.rs`: modules, their statuses, history rows and the document-level
//!   parts written inside a caller's transaction.
//! - `diff.rs`: a module's fields as history text, and the differences
//!   between two versions of it.

mod diff;
mod read;
mod write;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use diff::priority_text;
pub(crate) use diff::{diff, retired};
pub(crate) use read::{load_module_with, next_position, next_step_from_row};
pub(crate) use write::{create, record_history, touch, write_change, Stamp};

use super::editions::{self, EditionDate, NewEdition, Summary};
use super::identity;
use super::model::{Module, ModuleSlug, Roadmap};
use crate::audit::{AuditedTx, NewAuditEntry};
use crate::db::codec::timestamp;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::Actor;
use read::load_with;
use write::{replace_document, update_module};

/// One recorded change of a module: who changed which field, from what to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    /// Where the change came from: "import: infrastructure-status.md", "ui".
    pub source: String,
    pub field: String,
    #[sqlx(rename = "from_value")]
    pub from: Option<String>,
    #[sqlx(rename = "to_value")]
    pub to: Option<String>,
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: Vec<ModuleSlug>,
    /// Modules with at least one changed field, and the fields.
    pub updated: Vec<(ModuleSlug, Vec<String>)>,
    /// Modules that are no longer in the document: now retired everywhere.
    pub retired: Vec<ModuleSlug>,
    pub unchanged: usize,
    /// The stored edition (0 before it is stored).
    pub edition: i64,
    /// Modules listed twice and merged, modules matched under a new name:
    /// one line each.
    pub warnings: Vec<String>,
}

impl ImportReport {
    /// The counts, as the edition stores them.
    pub fn summary(&self) -> Summary {
        Summary {
            created: self.created.len(),
            updated: self.updated.len(),
            retired: self.retired.len(),
            unchanged: self.unchanged,
        }
    }

    pub fn is_noop(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.retired.is_empty()
    }
}

pub async fn is_empty(db: &Db) -> CoreResult<bool> {
    let modules: i64 = sqlx::query_scalar("SELECT COUNT(*) AS n FROM roadmap_modules")
        .fetch_one(db.pool())
        .await?;
    Ok(modules == 0)
}

pub async fn load(db: &Db) -> CoreResult<Roadmap> {
    let mut conn = db.pool().acquire().await?;
    load_with(&mut conn).await
}

pub async fn history(db: &Db, slug: &ModuleSlug) -> CoreResult<Vec<HistoryEntry>> {
    let rows = sqlx::query_as(
        "SELECT at, actor, source, field, from_value, to_value FROM roadmap_history \
         WHERE module_slug = $1 ORDER BY id DESC",
    )
    .bind(slug.as_str())
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

/// An edition of the document on its way in: its text, the date it
/// carries, the parser's warnings, and how to import it.
pub struct EditionIn<'a> {
    pub text: &'a str,
    pub dated: Option<EditionDate>,
    pub warnings: Vec<String>,
    /// Import it although it is older than the newest stored edition.
    pub force: bool,
    /// The caller's clock: when the import happens.
    pub now: DateTime<Utc>,
}

/// Replaces the roadmap with `incoming` in one transaction: new modules are
/// created, changed ones updated field by field (each change in the module's
/// history, dated by the edition's date when it carries one), modules absent
/// from `incoming` retired; a stored module the edition lists under another
/// id (renamed) keeps its id. Next steps, costs and the document's prose are
/// replaced, and the edition is stored. An edition older than the newest
/// stored one is refused, naming both dates, unless forced. Applying the
/// same roadmap twice changes nothing but the list of editions.
pub async fn apply_import(
    db: &Db,
    incoming: &Roadmap,
    who: &Actor,
    edition: EditionIn<'_>,
) -> CoreResult<ImportReport> {
    let (actor, source) = (who.name.as_str(), who.source.as_str());
    let mut incoming = incoming.clone();
    let mut tx = AuditedTx::begin_serialized(db).await?;
    let newest = editions::latest_dated(&mut tx).await?;
    let mut forced = false;
    if let (Some(dated), Some(newest)) = (&edition.dated, &newest) {
        let newest_date = newest.dated.as_deref().unwrap_or_default();
        if dated.date.to_string().as_str() < newest_date {
            if !edition.force {
                return Err(CoreError::Invalid(format!(
                    "this edition is dated {} ({}), older than edition #{} dated {} ({}) already imported: \
                     nothing imported (force it to go back to this edition)",
                    dated.label,
                    dated.date,
                    newest.id,
                    newest.label.as_deref().unwrap_or(newest_date),
                    newest_date,
                )));
            }
            forced = true;
        }
    }
    let current = load_with(&mut tx).await?;
    let mut report = ImportReport {
        warnings: edition.warnings,
        ..ImportReport::default()
    };
    report
        .warnings
        .extend(identity::keep_ids(&current.modules, &mut incoming));
    let at = edition
        .dated
        .as_ref()
        .and_then(|d| d.date.and_hms_opt(0, 0, 0))
        .map_or(edition.now, |t| t.and_utc());
    let stamp = Stamp::new(actor, source, at);

    let existing: HashMap<&ModuleSlug, &Module> =
        current.modules.iter().map(|m| (&m.slug, m)).collect();
    for module in &incoming.modules {
        match existing.get(&module.slug) {
            None => {
                create(&mut tx, module, &stamp).await?;
                report.created.push(module.slug.clone());
            }
            Some(old) => {
                let changes = diff(old, module);
                if !changes.is_empty() {
                    write_change(&mut tx, module, &changes, &stamp).await?;
                    report.updated.push((
                        module.slug.clone(),
                        changes.into_iter().map(|c| c.0).collect(),
                    ));
                } else {
                    if old.position != module.position {
                        update_module(&mut tx, module, &stamp.at).await?;
                    }
                    report.unchanged += 1;
                }
            }
        }
    }

    let incoming_slugs: Vec<&ModuleSlug> = incoming.modules.iter().map(|m| &m.slug).collect();
    for old in current
        .modules
        .iter()
        .filter(|m| !incoming_slugs.contains(&&m.slug))
    {
        let retired = retired(old);
        let changes = diff(old, &retired);
        if !changes.is_empty() {
            write_change(&mut tx, &retired, &changes, &stamp).await?;
            report.retired.push(old.slug.clone());
        }
    }

    replace_document(&mut tx, &incoming).await?;
    touch(&mut tx, &stamp.at).await?;
    let summary = report.summary();
    let imported_at = timestamp(edition.now);
    report.edition = editions::insert(
        &mut tx,
        &NewEdition {
            dated: edition.dated.as_ref(),
            source,
            actor,
            imported_at: &imported_at,
            forced,
            document: edition.text,
            warnings: &report.warnings,
            summary: &summary,
        },
    )
    .await?;
    let mut entry = NewAuditEntry::new(actor, "roadmap.import", "roadmap");
    entry.role = who.role.clone();
    entry.request_id = who.request_id.clone();
    entry.after = Some(serde_json::json!({
        "source": source,
        "edition": report.edition,
        "dated": edition.dated.as_ref().map(|d| d.date.to_string()),
        "forced": forced,
        "created": report.created,
        "updated": report.updated.iter().map(|(slug, fields)| serde_json::json!({ "module": slug, "fields": fields })).collect::<Vec<_>>(),
        "retired": report.retired,
        "unchanged": report.unchanged,
        "warnings": report.warnings,
    }));
    tx.commit_with(&entry).await?;
    Ok(report)
}
