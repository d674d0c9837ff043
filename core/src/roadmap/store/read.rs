//! Reading the roadmap back from its tables: the whole roadmap, or one module
//! inside a transaction.

use std::collections::{BTreeMap, HashMap};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow};

use crate::db::codec::{flag, from_json, number, Corrupt};
use crate::error::CoreResult;
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
    let Some(row) = sqlx::query_as::<_, ModuleRow>("SELECT * FROM roadmap_modules WHERE slug = $1")
        .bind(slug.as_str())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut statuses: HashMap<String, BTreeMap<EnvName, ModuleStatus>> = HashMap::new();
    for status_row in sqlx::query_as::<_, StatusRow>(
        "SELECT module_slug, environment, status FROM roadmap_module_statuses WHERE module_slug = $1",
    )
    .bind(slug.as_str())
    .fetch_all(&mut *conn)
    .await?
    {
        status_row.add_to(&mut statuses)?;
    }
    Ok(Some(row.into_module(&mut statuses)?))
}

/// The position after the last module.
pub(crate) async fn next_position(conn: &mut AnyConnection) -> CoreResult<u32> {
    let next: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(position), -1) + 1 AS next FROM roadmap_modules")
            .fetch_one(&mut *conn)
            .await?;
    Ok(number("roadmap_modules.position", next)?)
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
    let meta_rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM roadmap_meta")
        .fetch_all(&mut *conn)
        .await?;
    let mut meta = DocumentMeta::default();
    let mut environments = Vec::new();
    let mut last_change: Option<String> = None;
    for (key, value) in meta_rows {
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
    for row in sqlx::query_as::<_, StatusRow>(
        "SELECT module_slug, environment, status FROM roadmap_module_statuses",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        row.add_to(&mut statuses)?;
    }

    let modules =
        sqlx::query_as::<_, ModuleRow>("SELECT * FROM roadmap_modules ORDER BY position, slug")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|row| row.into_module(&mut statuses))
            .collect::<Result<Vec<_>, _>>()?;

    let next_steps = sqlx::query_as::<_, NextStepRow>(
        "SELECT phase, text, completed, module_slug FROM roadmap_next_steps ORDER BY position",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(NextStep::try_from)
    .collect::<Result<Vec<_>, _>>()?;

    let mut costs = Vec::new();
    for row in
        sqlx::query_as::<_, CostSectionRow>("SELECT * FROM roadmap_cost_sections ORDER BY position")
            .fetch_all(&mut *conn)
            .await?
    {
        let items = sqlx::query_as::<_, CostItemRow>(
            "SELECT component, qualifier, low_cents, high_cents, module_slug FROM roadmap_cost_items \
             WHERE environment = $1 ORDER BY position",
        )
        .bind(&row.environment)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(CostItem::try_from)
        .collect::<Result<Vec<_>, _>>()?;
        costs.push(row.into_section(items)?);
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
#[derive(sqlx::FromRow)]
pub(crate) struct NextStepRow {
    phase: String,
    text: String,
    completed: i64,
    module_slug: Option<String>,
}

impl TryFrom<NextStepRow> for NextStep {
    type Error = Corrupt;

    fn try_from(row: NextStepRow) -> Result<Self, Corrupt> {
        Ok(NextStep {
            phase: Phase::parse(&row.phase).map_err(|_| {
                Corrupt::column(
                    "roadmap_next_steps.phase",
                    format_args!("unknown phase {:?}", row.phase),
                )
            })?,
            text: row.text,
            completed: flag(row.completed),
            module: optional_slug("roadmap_next_steps.module_slug", row.module_slug)?,
        })
    }
}

/// A next step from a row holding [`NextStepRow`]'s columns (and others).
pub(crate) fn next_step_from_row(row: &AnyRow) -> CoreResult<NextStep> {
    Ok(NextStep::try_from(NextStepRow::from_row(row)?)?)
}

fn optional_slug(column: &str, raw: Option<String>) -> Result<Option<ModuleSlug>, Corrupt> {
    raw.map(|s| ModuleSlug::parse(&s).map_err(|e| Corrupt::column(column, e)))
        .transpose()
}

/// A `roadmap_module_statuses` row.
#[derive(sqlx::FromRow)]
struct StatusRow {
    module_slug: String,
    environment: String,
    status: String,
}

impl StatusRow {
    /// Files this status under its module.
    fn add_to(
        self,
        statuses: &mut HashMap<String, BTreeMap<EnvName, ModuleStatus>>,
    ) -> Result<(), Corrupt> {
        let env = EnvName::parse(&self.environment)
            .map_err(|e| Corrupt::column("roadmap_module_statuses.environment", e))?;
        let status = ModuleStatus::parse(&self.status).map_err(|_| {
            Corrupt::column(
                "roadmap_module_statuses.status",
                format_args!("unknown status {:?}", self.status),
            )
        })?;
        statuses
            .entry(self.module_slug)
            .or_default()
            .insert(env, status);
        Ok(())
    }
}

/// A `roadmap_modules` row.
#[derive(sqlx::FromRow)]
struct ModuleRow {
    slug: String,
    name: String,
    section: String,
    grp: Option<String>,
    position: i64,
    path: Option<String>,
    path_note: Option<String>,
    purpose: Option<String>,
    features: String,
    priority: String,
    status_note: Option<String>,
    current_note: Option<String>,
    config_lang: Option<String>,
    config_body: Option<String>,
    phase: Option<String>,
    owner: Option<String>,
    target_date: Option<String>,
    notes: Option<String>,
    dependencies: String,
}

impl ModuleRow {
    /// The module, with its statuses taken from `statuses`.
    fn into_module(
        self,
        statuses: &mut HashMap<String, BTreeMap<EnvName, ModuleStatus>>,
    ) -> Result<Module, Corrupt> {
        Ok(Module {
            statuses: statuses.remove(&self.slug).unwrap_or_default(),
            slug: ModuleSlug::parse(&self.slug)
                .map_err(|e| Corrupt::column("roadmap_modules.slug", e))?,
            name: self.name,
            section: Section::parse(&self.section).map_err(|_| {
                Corrupt::column(
                    "roadmap_modules.section",
                    format_args!("unknown section {:?}", self.section),
                )
            })?,
            group: self.grp,
            position: number("roadmap_modules.position", self.position)?,
            path: self.path,
            path_note: self.path_note,
            purpose: self.purpose,
            features: from_json("roadmap_modules.features", &self.features)?,
            priority: from_json("roadmap_modules.priority", &self.priority)?,
            status_note: self.status_note,
            current_note: self.current_note,
            config: self.config_body.map(|body| ConfigBlock {
                lang: self.config_lang.unwrap_or_default(),
                body,
            }),
            phase: self
                .phase
                .map(|p| {
                    Phase::parse(&p).map_err(|_| {
                        Corrupt::column(
                            "roadmap_modules.phase",
                            format_args!("unknown phase {p:?}"),
                        )
                    })
                })
                .transpose()?,
            owner: self.owner,
            target_date: self.target_date,
            notes: self.notes,
            dependencies: from_json("roadmap_modules.dependencies", &self.dependencies)?,
        })
    }
}

/// A `roadmap_cost_sections` row.
#[derive(sqlx::FromRow)]
struct CostSectionRow {
    environment: String,
    title: String,
    projected: i64,
    total_low_cents: Option<i64>,
    total_high_cents: Option<i64>,
}

impl CostSectionRow {
    fn into_section(self, items: Vec<CostItem>) -> Result<CostSection, Corrupt> {
        Ok(CostSection {
            environment: EnvName::parse(&self.environment)
                .map_err(|e| Corrupt::column("roadmap_cost_sections.environment", e))?,
            title: self.title,
            projected: flag(self.projected),
            items,
            stated_total: self.total_low_cents.zip(self.total_high_cents).map(
                |(low_cents, high_cents)| CostRange {
                    low_cents,
                    high_cents,
                },
            ),
        })
    }
}

/// A `roadmap_cost_items` row.
#[derive(sqlx::FromRow)]
struct CostItemRow {
    component: String,
    qualifier: Option<String>,
    low_cents: i64,
    high_cents: i64,
    module_slug: Option<String>,
}

impl TryFrom<CostItemRow> for CostItem {
    type Error = Corrupt;

    fn try_from(row: CostItemRow) -> Result<Self, Corrupt> {
        Ok(CostItem {
            component: row.component,
            qualifier: row.qualifier,
            monthly: CostRange {
                low_cents: row.low_cents,
                high_cents: row.high_cents,
            },
            module: optional_slug("roadmap_cost_items.module_slug", row.module_slug)?,
        })
    }
}
