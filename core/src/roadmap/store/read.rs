//! Reading the roadmap back from its tables: the whole roadmap, or one module
//! inside a transaction.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::error::{CoreError, CoreResult};
use crate::roadmap::model::{
    ConfigBlock, CostItem, CostRange, CostSection, DocumentMeta, Module, ModuleSlug, ModuleStatus,
    NextStep, Phase, Roadmap, Section,
};
use crate::shared::EnvName;

/// One module, read inside a transaction.
pub(crate) async fn load_module_with(
    conn: &mut AnyConnection,
    slug: &ModuleSlug,
) -> CoreResult<Option<Module>> {
    let Some(row) = sqlx::query("SELECT * FROM roadmap_modules WHERE slug = $1")
        .bind(slug.as_str())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut statuses: HashMap<String, BTreeMap<EnvName, ModuleStatus>> = HashMap::new();
    for status_row in sqlx::query(
        "SELECT module_slug, environment, status FROM roadmap_module_statuses WHERE module_slug = $1",
    )
    .bind(slug.as_str())
    .fetch_all(&mut *conn)
    .await?
    {
        let env: String = status_row.try_get("environment")?;
        let status: String = status_row.try_get("status")?;
        statuses.entry(slug.to_string()).or_default().insert(
            EnvName::parse(&env).map_err(CoreError::Corrupt)?,
            ModuleStatus::parse(&status)
                .ok_or_else(|| CoreError::Corrupt(format!("unknown status {status:?}")))?,
        );
    }
    module_from_row(&row, &mut statuses).map(Some)
}

/// The position after the last module.
pub(crate) async fn next_position(conn: &mut AnyConnection) -> CoreResult<u32> {
    let row = sqlx::query("SELECT COALESCE(MAX(position), -1) + 1 AS next FROM roadmap_modules")
        .fetch_one(&mut *conn)
        .await?;
    let next: i64 = row.try_get("next")?;
    u32::try_from(next).map_err(|e| CoreError::Corrupt(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(column: &str, raw: &str) -> CoreResult<T> {
    serde_json::from_str(raw).map_err(|e| CoreError::Corrupt(format!("{column}: {e}")))
}

/// The words for the day of the roadmap's last change (`at`): the newest
/// edition's own when that change is its import ("November 2024"), else
/// the day ("5 December 2026").
async fn last_updated(conn: &mut AnyConnection, at: &str) -> CoreResult<String> {
    let day = at.get(..10).unwrap_or(at);
    // An import stamps its changes at its edition's midnight: only then can
    // the last change be an edition's (no query on every other load).
    if at.get(10..) == Some("T00:00:00.000Z") {
        if let Some(edition) = crate::roadmap::editions::latest_dated(conn).await? {
            if edition.dated.as_deref() == Some(day) {
                if let Some(label) = edition.label {
                    return Ok(label);
                }
            }
        }
    }
    Ok(chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(crate::roadmap::editions::format_day)
        .unwrap_or_else(|_| day.to_owned()))
}

/// The document's "Last Updated" line says `label` (added after "Created"
/// when the document had none).
fn set_last_updated(meta: &mut DocumentMeta, label: String) {
    let key = "Last Updated";
    if let Some(entry) = meta
        .updates
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
    {
        entry.1 = label;
        return;
    }
    let at = meta
        .updates
        .iter()
        .position(|(k, _)| k.eq_ignore_ascii_case("created"))
        .map_or(0, |i| i + 1);
    meta.updates.insert(at, (key.to_owned(), label));
}

pub(super) async fn load_with(conn: &mut AnyConnection) -> CoreResult<Roadmap> {
    let meta_rows = sqlx::query("SELECT key, value FROM roadmap_meta")
        .fetch_all(&mut *conn)
        .await?;
    let mut meta = DocumentMeta::default();
    let mut environments = Vec::new();
    let mut last_change: Option<String> = None;
    for row in &meta_rows {
        let key: String = row.try_get("key")?;
        let value: String = row.try_get("value")?;
        match key.as_str() {
            "document" => meta = from_json("roadmap_meta.document", &value)?,
            "environments" => environments = from_json("roadmap_meta.environments", &value)?,
            "last_change" => last_change = Some(value),
            _ => {}
        }
    }
    if let Some(at) = last_change {
        set_last_updated(&mut meta, last_updated(conn, &at).await?);
    }

    let mut statuses: HashMap<String, BTreeMap<EnvName, ModuleStatus>> = HashMap::new();
    for row in sqlx::query("SELECT module_slug, environment, status FROM roadmap_module_statuses")
        .fetch_all(&mut *conn)
        .await?
    {
        let slug: String = row.try_get("module_slug")?;
        let env: String = row.try_get("environment")?;
        let status: String = row.try_get("status")?;
        let env = EnvName::parse(&env).map_err(CoreError::Corrupt)?;
        let status = ModuleStatus::parse(&status)
            .ok_or_else(|| CoreError::Corrupt(format!("unknown status {status:?}")))?;
        statuses.entry(slug).or_default().insert(env, status);
    }

    let module_rows = sqlx::query("SELECT * FROM roadmap_modules ORDER BY position, slug")
        .fetch_all(&mut *conn)
        .await?;
    let modules = module_rows
        .iter()
        .map(|row| module_from_row(row, &mut statuses))
        .collect::<CoreResult<Vec<_>>>()?;

    let next_steps = sqlx::query(
        "SELECT phase, text, completed, module_slug FROM roadmap_next_steps ORDER BY position",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(next_step_from_row)
    .collect::<CoreResult<Vec<_>>>()?;

    let mut costs = Vec::new();
    for row in sqlx::query("SELECT * FROM roadmap_cost_sections ORDER BY position")
        .fetch_all(&mut *conn)
        .await?
    {
        let env: String = row.try_get("environment")?;
        let low: Option<i64> = row.try_get("total_low_cents")?;
        let high: Option<i64> = row.try_get("total_high_cents")?;
        let items = sqlx::query(
            "SELECT component, qualifier, low_cents, high_cents, module_slug FROM roadmap_cost_items \
             WHERE environment = $1 ORDER BY position",
        )
        .bind(&env)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|item| {
            Ok(CostItem {
                component: item.try_get("component")?,
                qualifier: item.try_get("qualifier")?,
                monthly: CostRange {
                    low_cents: item.try_get("low_cents")?,
                    high_cents: item.try_get("high_cents")?,
                },
                module: optional_slug(item, "module_slug")?,
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
        costs.push(CostSection {
            environment: EnvName::parse(&env).map_err(CoreError::Corrupt)?,
            title: row.try_get("title")?,
            projected: row.try_get::<i64, _>("projected")? != 0,
            items,
            stated_total: low.zip(high).map(|(low_cents, high_cents)| CostRange {
                low_cents,
                high_cents,
            }),
        });
    }

    Ok(Roadmap {
        meta,
        environments,
        modules,
        next_steps,
        costs,
    })
}

/// A `roadmap_next_steps` row (its `phase`, `text`, `completed` and
/// `module_slug` columns).
pub(crate) fn next_step_from_row(row: &AnyRow) -> CoreResult<NextStep> {
    let phase: String = row.try_get("phase")?;
    Ok(NextStep {
        phase: Phase::parse(&phase)
            .ok_or_else(|| CoreError::Corrupt(format!("unknown phase {phase:?}")))?,
        text: row.try_get("text")?,
        completed: row.try_get::<i64, _>("completed")? != 0,
        module: optional_slug(row, "module_slug")?,
    })
}

fn optional_slug(row: &AnyRow, column: &str) -> CoreResult<Option<ModuleSlug>> {
    row.try_get::<Option<String>, _>(column)?
        .map(|s| ModuleSlug::parse(&s).map_err(CoreError::Corrupt))
        .transpose()
}

fn module_from_row(
    row: &AnyRow,
    statuses: &mut HashMap<String, BTreeMap<EnvName, ModuleStatus>>,
) -> CoreResult<Module> {
    let slug: String = row.try_get("slug")?;
    let section: String = row.try_get("section")?;
    let phase: Option<String> = row.try_get("phase")?;
    let position: i64 = row.try_get("position")?;
    let config_lang: Option<String> = row.try_get("config_lang")?;
    let config_body: Option<String> = row.try_get("config_body")?;
    let features: String = row.try_get("features")?;
    let priority: String = row.try_get("priority")?;
    let dependencies: String = row.try_get("dependencies")?;
    Ok(Module {
        statuses: statuses.remove(&slug).unwrap_or_default(),
        slug: ModuleSlug::parse(&slug).map_err(CoreError::Corrupt)?,
        name: row.try_get("name")?,
        section: Section::parse(&section)
            .ok_or_else(|| CoreError::Corrupt(format!("unknown section {section:?}")))?,
        group: row.try_get("grp")?,
        position: u32::try_from(position).map_err(|e| CoreError::Corrupt(e.to_string()))?,
        path: row.try_get("path")?,
        path_note: row.try_get("path_note")?,
        purpose: row.try_get("purpose")?,
        features: from_json("features", &features)?,
        priority: from_json("priority", &priority)?,
        status_note: row.try_get("status_note")?,
        current_note: row.try_get("current_note")?,
        config: config_body.map(|body| ConfigBlock {
            lang: config_lang.unwrap_or_default(),
            body,
        }),
        phase: phase
            .map(|p| {
                Phase::parse(&p).ok_or_else(|| CoreError::Corrupt(format!("unknown phase {p:?}")))
            })
            .transpose()?,
        owner: row.try_get("owner")?,
        target_date: row.try_get("target_date")?,
        notes: row.try_get("notes")?,
        dependencies: from_json("dependencies", &dependencies)?,
    })
}
