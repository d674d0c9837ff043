//! Roadmap storage: load the whole roadmap, apply an import in one transaction
//! (recording every change in each module's history), read a module's history.

use std::collections::{BTreeMap, HashMap};

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::{
    ConfigBlock, CostItem, CostRange, CostSection, DocumentMeta, Module, ModuleSlug, ModuleStatus,
    NextStep, Phase, Priority, Roadmap, Section,
};
use crate::audit::{self, NewAuditEntry};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::Actor;
use crate::shared::EnvName;

/// One recorded change of a module: who changed which field, from what to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    /// Where the change came from: "import: infrastructure-status.md", "ui".
    pub source: String,
    pub field: String,
    pub from: Option<String>,
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
}

impl ImportReport {
    pub fn is_noop(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.retired.is_empty()
    }
}

pub async fn is_empty(db: &Db) -> CoreResult<bool> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM roadmap_modules")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get::<i64, _>("n")? == 0)
}

pub async fn load(db: &Db) -> CoreResult<Roadmap> {
    let mut conn = db.pool().acquire().await?;
    load_with(&mut conn).await
}

pub async fn history(db: &Db, slug: &ModuleSlug) -> CoreResult<Vec<HistoryEntry>> {
    let rows = sqlx::query(
        "SELECT at, actor, source, field, from_value, to_value FROM roadmap_history \
         WHERE module_slug = $1 ORDER BY id DESC",
    )
    .bind(slug.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryEntry {
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                source: r.try_get("source")?,
                field: r.try_get("field")?,
                from: r.try_get("from_value")?,
                to: r.try_get("to_value")?,
            })
        })
        .collect()
}

/// Replaces the roadmap with `incoming` in one transaction: new modules are
/// created, changed ones updated field by field (each change in the module's
/// history), modules absent from `incoming` retired. Next steps, costs and the
/// document's prose are replaced. Applying the same roadmap twice changes nothing.
pub async fn apply_import(db: &Db, incoming: &Roadmap, who: &Actor) -> CoreResult<ImportReport> {
    let (actor, source) = (who.name.as_str(), who.source.as_str());
    let mut tx = db.pool().begin().await?;
    audit::store::lock_for_write(&mut tx, db.backend()).await?;
    let current = load_with(&mut tx).await?;
    let now = now();
    let mut report = ImportReport::default();

    let existing: HashMap<&ModuleSlug, &Module> =
        current.modules.iter().map(|m| (&m.slug, m)).collect();
    for module in &incoming.modules {
        match existing.get(&module.slug) {
            None => {
                create(&mut tx, module, actor, source).await?;
                report.created.push(module.slug.clone());
            }
            Some(old) => {
                let changes = diff(old, module);
                if !changes.is_empty() {
                    write_change(&mut tx, module, &changes, actor, source).await?;
                    report.updated.push((
                        module.slug.clone(),
                        changes.into_iter().map(|c| c.0).collect(),
                    ));
                } else {
                    if old.position != module.position {
                        update_module(&mut tx, module, &now).await?;
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
            write_change(&mut tx, &retired, &changes, actor, source).await?;
            report.retired.push(old.slug.clone());
        }
    }

    replace_document(&mut tx, incoming).await?;
    let mut entry = NewAuditEntry::new(actor, "roadmap.import", "roadmap");
    entry.role = who.role.clone();
    entry.request_id = who.request_id.clone();
    entry.after = Some(serde_json::json!({
        "source": source,
        "created": report.created,
        "updated": report.updated.iter().map(|(slug, fields)| serde_json::json!({ "module": slug, "fields": fields })).collect::<Vec<_>>(),
        "retired": report.retired,
        "unchanged": report.unchanged,
    }));
    let record = audit::store::append(&mut tx, db, &entry).await?;
    audit::store::commit(tx, db, &record).await?;
    Ok(report)
}

/// The module with every environment's status set to retired.
pub(crate) fn retired(module: &Module) -> Module {
    let mut retired = module.clone();
    for status in retired.statuses.values_mut() {
        *status = ModuleStatus::Retired;
    }
    retired
}

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

/// Writes a changed module and one history row per changed field.
pub(crate) async fn write_change(
    conn: &mut AnyConnection,
    module: &Module,
    changes: &[(String, Option<String>, Option<String>)],
    actor: &str,
    source: &str,
) -> CoreResult<()> {
    let now = now();
    update_module(conn, module, &now).await?;
    for (field, from, to) in changes {
        record(
            conn,
            &module.slug,
            &now,
            actor,
            source,
            field,
            from.as_deref(),
            to.as_deref(),
        )
        .await?;
    }
    Ok(())
}

/// Inserts a new module with its "created" history row.
pub(crate) async fn create(
    conn: &mut AnyConnection,
    module: &Module,
    actor: &str,
    source: &str,
) -> CoreResult<()> {
    let now = now();
    insert_module(conn, module, &now).await?;
    record(
        conn,
        &module.slug,
        &now,
        actor,
        source,
        "created",
        None,
        Some(&module.name),
    )
    .await
}

/// The position after the last module.
pub(crate) async fn next_position(conn: &mut AnyConnection) -> CoreResult<u32> {
    let row = sqlx::query("SELECT COALESCE(MAX(position), -1) + 1 AS next FROM roadmap_modules")
        .fetch_one(&mut *conn)
        .await?;
    let next: i64 = row.try_get("next")?;
    u32::try_from(next).map_err(|e| CoreError::Corrupt(e.to_string()))
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Field-by-field differences, as display text, for the history.
pub(crate) fn diff(old: &Module, new: &Module) -> Vec<(String, Option<String>, Option<String>)> {
    let before = describe(old);
    let mut after = describe(new);
    let mut changes = Vec::new();
    for (field, from) in before {
        let to = after.remove(&field).flatten();
        if from != to {
            changes.push((field, from, to));
        }
    }
    for (field, to) in after {
        if to.is_some() {
            changes.push((field, None, to));
        }
    }
    changes
}

fn describe(m: &Module) -> BTreeMap<String, Option<String>> {
    let mut fields: BTreeMap<String, Option<String>> = BTreeMap::from([
        ("name".into(), Some(m.name.clone())),
        ("section".into(), Some(m.section.as_str().into())),
        ("group".into(), m.group.clone()),
        ("path".into(), m.path.clone()),
        ("path_note".into(), m.path_note.clone()),
        ("purpose".into(), m.purpose.clone()),
        ("features".into(), non_empty(m.features.join("; "))),
        ("priority".into(), non_empty(priority_text(&m.priority))),
        ("status_note".into(), m.status_note.clone()),
        ("current_note".into(), m.current_note.clone()),
        ("config".into(), m.config.as_ref().map(|c| c.body.clone())),
        ("phase".into(), m.phase.map(|p| p.as_str().into())),
        ("owner".into(), m.owner.clone()),
        ("target_date".into(), m.target_date.clone()),
        ("notes".into(), m.notes.clone()),
        (
            "dependencies".into(),
            non_empty(
                m.dependencies
                    .iter()
                    .map(ModuleSlug::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
    ]);
    for (env, status) in &m.statuses {
        fields.insert(format!("status.{env}"), Some(status.as_str().into()));
    }
    fields
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// "high; dev: low" — for history and display.
pub fn priority_text(p: &Priority) -> String {
    let mut parts: Vec<String> = p.default.iter().map(|l| l.as_str().to_owned()).collect();
    parts.extend(
        p.per_env
            .iter()
            .map(|(env, l)| format!("{env}: {}", l.as_str())),
    );
    parts.join("; ")
}

#[expect(clippy::too_many_arguments, reason = "one history row's columns")]
async fn record(
    conn: &mut AnyConnection,
    slug: &ModuleSlug,
    at: &str,
    actor: &str,
    source: &str,
    field: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO roadmap_history (module_slug, at, actor, source, field, from_value, to_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(slug.as_str())
    .bind(at)
    .bind(actor)
    .bind(source)
    .bind(field)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> CoreResult<String> {
    serde_json::to_string(value).map_err(|e| CoreError::Corrupt(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(column: &str, raw: &str) -> CoreResult<T> {
    serde_json::from_str(raw).map_err(|e| CoreError::Corrupt(format!("{column}: {e}")))
}

async fn insert_module(conn: &mut AnyConnection, m: &Module, now: &str) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO roadmap_modules (slug, name, section, grp, position, path, path_note, purpose, \
         features, priority, status_note, current_note, config_lang, config_body, phase, owner, \
         target_date, notes, dependencies, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)",
    )
    .bind(m.slug.as_str())
    .bind(&m.name)
    .bind(m.section.as_str())
    .bind(m.group.as_deref())
    .bind(i64::from(m.position))
    .bind(m.path.as_deref())
    .bind(m.path_note.as_deref())
    .bind(m.purpose.as_deref())
    .bind(to_json(&m.features)?)
    .bind(to_json(&m.priority)?)
    .bind(m.status_note.as_deref())
    .bind(m.current_note.as_deref())
    .bind(m.config.as_ref().map(|c| c.lang.clone()))
    .bind(m.config.as_ref().map(|c| c.body.clone()))
    .bind(m.phase.map(Phase::as_str))
    .bind(m.owner.as_deref())
    .bind(m.target_date.as_deref())
    .bind(m.notes.as_deref())
    .bind(to_json(&m.dependencies)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    write_statuses(conn, m).await
}

async fn update_module(conn: &mut AnyConnection, m: &Module, now: &str) -> CoreResult<()> {
    sqlx::query(
        "UPDATE roadmap_modules SET name = $2, section = $3, grp = $4, position = $5, path = $6, \
         path_note = $7, purpose = $8, features = $9, priority = $10, status_note = $11, \
         current_note = $12, config_lang = $13, config_body = $14, phase = $15, owner = $16, \
         target_date = $17, notes = $18, dependencies = $19, updated_at = $20 WHERE slug = $1",
    )
    .bind(m.slug.as_str())
    .bind(&m.name)
    .bind(m.section.as_str())
    .bind(m.group.as_deref())
    .bind(i64::from(m.position))
    .bind(m.path.as_deref())
    .bind(m.path_note.as_deref())
    .bind(m.purpose.as_deref())
    .bind(to_json(&m.features)?)
    .bind(to_json(&m.priority)?)
    .bind(m.status_note.as_deref())
    .bind(m.current_note.as_deref())
    .bind(m.config.as_ref().map(|c| c.lang.clone()))
    .bind(m.config.as_ref().map(|c| c.body.clone()))
    .bind(m.phase.map(Phase::as_str))
    .bind(m.owner.as_deref())
    .bind(m.target_date.as_deref())
    .bind(m.notes.as_deref())
    .bind(to_json(&m.dependencies)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM roadmap_module_statuses WHERE module_slug = $1")
        .bind(m.slug.as_str())
        .execute(&mut *conn)
        .await?;
    write_statuses(conn, m).await
}

async fn write_statuses(conn: &mut AnyConnection, m: &Module) -> CoreResult<()> {
    for (env, status) in &m.statuses {
        sqlx::query(
            "INSERT INTO roadmap_module_statuses (module_slug, environment, status) VALUES ($1, $2, $3)",
        )
        .bind(m.slug.as_str())
        .bind(env.as_str())
        .bind(status.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replaces the document-level parts: prose, environments, next steps, costs.
async fn replace_document(conn: &mut AnyConnection, roadmap: &Roadmap) -> CoreResult<()> {
    for (key, value) in [
        ("document", to_json(&roadmap.meta)?),
        ("environments", to_json(&roadmap.environments)?),
    ] {
        sqlx::query(
            "INSERT INTO roadmap_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM roadmap_next_steps")
        .execute(&mut *conn)
        .await?;
    for (position, step) in roadmap.next_steps.iter().enumerate() {
        sqlx::query(
            "INSERT INTO roadmap_next_steps (phase, position, text, completed, module_slug) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(step.phase.as_str())
        .bind(position as i64)
        .bind(&step.text)
        .bind(i64::from(step.completed))
        .bind(step.module.as_ref().map(ModuleSlug::as_str))
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM roadmap_cost_items")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM roadmap_cost_sections")
        .execute(&mut *conn)
        .await?;
    for (position, section) in roadmap.costs.iter().enumerate() {
        sqlx::query(
            "INSERT INTO roadmap_cost_sections (environment, position, title, projected, \
             total_low_cents, total_high_cents) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(section.environment.as_str())
        .bind(position as i64)
        .bind(&section.title)
        .bind(i64::from(section.projected))
        .bind(section.stated_total.map(|t| t.low_cents))
        .bind(section.stated_total.map(|t| t.high_cents))
        .execute(&mut *conn)
        .await?;
        for (item_position, item) in section.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO roadmap_cost_items (environment, position, component, qualifier, \
                 low_cents, high_cents, module_slug) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(section.environment.as_str())
            .bind(item_position as i64)
            .bind(&item.component)
            .bind(item.qualifier.as_deref())
            .bind(item.monthly.low_cents)
            .bind(item.monthly.high_cents)
            .bind(item.module.as_ref().map(ModuleSlug::as_str))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn load_with(conn: &mut AnyConnection) -> CoreResult<Roadmap> {
    let meta_rows = sqlx::query("SELECT key, value FROM roadmap_meta")
        .fetch_all(&mut *conn)
        .await?;
    let mut meta = DocumentMeta::default();
    let mut environments = Vec::new();
    for row in &meta_rows {
        let key: String = row.try_get("key")?;
        let value: String = row.try_get("value")?;
        match key.as_str() {
            "document" => meta = from_json("roadmap_meta.document", &value)?,
            "environments" => environments = from_json("roadmap_meta.environments", &value)?,
            _ => {}
        }
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
    .map(|row| {
        let phase: String = row.try_get("phase")?;
        Ok(NextStep {
            phase: Phase::parse(&phase)
                .ok_or_else(|| CoreError::Corrupt(format!("unknown phase {phase:?}")))?,
            text: row.try_get("text")?,
            completed: row.try_get::<i64, _>("completed")? != 0,
            module: optional_slug(row, "module_slug")?,
        })
    })
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
