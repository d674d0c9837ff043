//! Roadmap use cases: what the CLI, the pages and (later) the editors call.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::editions::edition_date;
use super::markdown::export::render_document;
use super::markdown::import::{parse_edition, ImportOptions};
use super::model::{ModuleSlug, Roadmap};
use super::store::{self, EditionIn, HistoryEntry, ImportReport};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::Actor;
use crate::shared::EnvName;

/// The environments the roadmap tracks and who an import is attributed to.
#[derive(Debug, Clone)]
pub struct RoadmapSettings {
    pub environments: Vec<EnvName>,
}

/// How an edition is imported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportMode {
    /// Refuse a module the document lists twice instead of merging it.
    pub strict: bool,
    /// Import an edition older than the newest stored one.
    pub force: bool,
}

/// Parses `text` and applies it in one transaction, at `now` (the history
/// is dated by the edition's own date when it carries one). A document that
/// does not parse, or (unless forced) is older than the newest edition,
/// changes nothing.
#[tracing::instrument(skip(db, text, settings, actor, now), fields(bytes = text.len(), actor = %actor.name))]
pub async fn import_markdown(
    db: &Db,
    settings: &RoadmapSettings,
    text: &str,
    actor: &Actor,
    mode: ImportMode,
    now: DateTime<Utc>,
) -> CoreResult<ImportReport> {
    let parsed = parse_edition(
        text,
        &ImportOptions {
            environments: settings.environments.clone(),
            strict: mode.strict,
        },
    )?;
    let edition = EditionIn {
        text,
        dated: edition_date(&parsed.roadmap.meta),
        warnings: parsed.warnings.iter().map(ToString::to_string).collect(),
        force: mode.force,
        now,
    };
    let report = store::apply_import(db, &parsed.roadmap, actor, edition).await?;
    tracing::info!(
        edition = report.edition,
        created = report.created.len(),
        updated = report.updated.len(),
        retired = report.retired.len(),
        unchanged = report.unchanged,
        warnings = report.warnings.len(),
        "roadmap imported"
    );
    Ok(report)
}

/// Reads a file and imports it; the file name becomes the history's source.
pub async fn import_file(
    db: &Db,
    settings: &RoadmapSettings,
    path: &Path,
    actor: &str,
    role: Option<String>,
    mode: ImportMode,
    now: DateTime<Utc>,
) -> CoreResult<ImportReport> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| CoreError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| CoreError::Invalid(format!("{} is not UTF-8 text: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let actor = Actor {
        name: actor.to_owned(),
        role,
        request_id: None,
        source: format!("import: {name}"),
        subject: None,
    };
    import_markdown(db, settings, &text, &actor, mode, now).await
}

/// Imports `seed` when the roadmap is empty (first start). Returns whether it did.
pub async fn seed_if_empty(
    db: &Db,
    settings: &RoadmapSettings,
    seed: &Path,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    if !store::is_empty(db).await? {
        return Ok(false);
    }
    let mode = ImportMode::default();
    import_file(db, settings, seed, "gantry (first start)", None, mode, now).await?;
    Ok(true)
}

pub async fn roadmap(db: &Db) -> CoreResult<Roadmap> {
    store::load(db).await
}

/// The current state as the team's markdown document.
pub async fn export_markdown(db: &Db) -> CoreResult<String> {
    Ok(render_document(&store::load(db).await?))
}

/// The rollout timeline on `today`, narrowed by the filters as typed (empty:
/// no filter). An environment the roadmap does not track or a priority that
/// is not low, medium or high is refused, naming it.
pub async fn timeline(
    db: &Db,
    environment: &str,
    priority: &str,
    owner: &str,
    today: chrono::NaiveDate,
) -> CoreResult<super::timeline::Timeline> {
    let roadmap = store::load(db).await?;
    let filter = super::timeline::TimelineFilter::parse(
        environment,
        priority,
        owner,
        &roadmap.environments,
    )?;
    Ok(super::timeline::timeline(&roadmap, today, &filter))
}

pub async fn module_history(db: &Db, slug: &ModuleSlug) -> CoreResult<Vec<HistoryEntry>> {
    store::history(db, slug).await
}
