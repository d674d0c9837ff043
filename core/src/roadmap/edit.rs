//! Editing the roadmap by hand: a module's status per environment, priority,
//! phase, owner, target date and notes; adding and retiring modules. Each
//! change is one transaction holding the change, its history rows and its
//! audit record.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::json;

use super::model::{Module, ModuleSlug, ModuleStatus, Phase, Priority, PriorityLevel, Section};
use super::store;
use crate::audit::AuditedTx;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::Actor;
use crate::shared::EnvName;

/// The hand-editable fields of a module, as the edit form sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEdit {
    pub statuses: BTreeMap<EnvName, ModuleStatus>,
    pub priority: Priority,
    pub phase: Option<Phase>,
    pub owner: Option<String>,
    pub target_date: Option<String>,
    pub notes: Option<String>,
}

const MAX_OWNER: usize = 100;
const MAX_NOTES: usize = 4000;
const MAX_NAME: usize = 120;

fn clean(value: Option<String>, field: &str, max: usize) -> CoreResult<Option<String>> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(v) = &value {
        if v.chars().count() > max {
            return Err(CoreError::Invalid(format!(
                "{field}: at most {max} characters"
            )));
        }
        if v.contains('\0') {
            return Err(CoreError::Invalid(format!(
                "{field}: contains a NUL character"
            )));
        }
    }
    Ok(value)
}

impl ModuleEdit {
    /// Validates every field; the first problem is reported with its field name.
    pub fn validated(self, environments: &[EnvName]) -> CoreResult<Self> {
        for env in self.statuses.keys().chain(self.priority.per_env.keys()) {
            if !environments.contains(env) {
                return Err(CoreError::Invalid(format!(
                    "environment {env:?} is not tracked by the roadmap"
                )));
            }
        }
        let target_date = clean(self.target_date, "target date", 10)?;
        if let Some(date) = &target_date {
            NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
                CoreError::Invalid(format!("target date: {date:?} is not a date (YYYY-MM-DD)"))
            })?;
        }
        Ok(Self {
            owner: clean(self.owner, "owner", MAX_OWNER)?,
            notes: clean(self.notes, "notes", MAX_NOTES)?.map(|n| n.replace(['\r', '\n'], " ")),
            target_date,
            ..self
        })
    }
}

/// Applies an edit to a module. Returns the updated module; an edit that
/// changes nothing writes nothing.
#[tracing::instrument(skip(db, edit), fields(actor = %actor.name))]
pub async fn update_module(
    db: &Db,
    environments: &[EnvName],
    actor: &Actor,
    slug: &ModuleSlug,
    edit: ModuleEdit,
    now: DateTime<Utc>,
) -> CoreResult<Module> {
    let edit = edit.validated(environments)?;
    let mut tx = AuditedTx::begin_serialized(db).await?;
    let current = store::load_module_with(&mut tx, slug)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("module {:?}", slug.as_str())))?;
    let mut updated = current.clone();
    for (env, status) in &edit.statuses {
        updated.statuses.insert(env.clone(), *status);
    }
    updated.priority = edit.priority;
    updated.phase = edit.phase;
    updated.owner = edit.owner;
    updated.target_date = edit.target_date;
    updated.notes = edit.notes;
    let changes = store::diff(&current, &updated);
    if changes.is_empty() {
        return Ok(current);
    }
    let stamp = store::Stamp::new(&actor.name, &actor.source, now);
    store::write_change(&mut tx, &updated, &changes, &stamp).await?;
    let (before, after) = change_json(&changes);
    let mut entry = actor.audit("roadmap.module.update", format!("module:{slug}"));
    entry.before = Some(before);
    entry.after = Some(after);
    tx.commit_with(&entry).await?;
    Ok(updated)
}

/// A new module, as the add form sends it.
#[derive(Debug, Clone)]
pub struct NewModule {
    pub name: String,
    pub section: Section,
    pub path: Option<String>,
    pub purpose: Option<String>,
    pub priority: Option<PriorityLevel>,
}

pub async fn add_module(
    db: &Db,
    environments: &[EnvName],
    actor: &Actor,
    new: NewModule,
    now: DateTime<Utc>,
) -> CoreResult<Module> {
    let name = clean(Some(new.name), "name", MAX_NAME)?
        .ok_or_else(|| CoreError::Invalid("name: required".to_owned()))?;
    let path = clean(new.path, "path", 200)?;
    if let Some(p) = &path {
        if p.starts_with('/') || p.contains("..") || p.contains(char::is_whitespace) {
            return Err(CoreError::Invalid(format!(
                "path: {p:?} must be a relative Terraform path like modules/elasticache/"
            )));
        }
    }
    let slug = ModuleSlug::derive(&name, path.as_deref());
    if slug.as_str().is_empty() {
        return Err(CoreError::Invalid(
            "name: needs at least one letter or digit".to_owned(),
        ));
    }
    let mut tx = AuditedTx::begin_serialized(db).await?;
    if store::load_module_with(&mut tx, &slug).await?.is_some() {
        return Err(CoreError::Invalid(format!(
            "a module with id {:?} already exists",
            slug.as_str()
        )));
    }
    let module = Module {
        statuses: environments
            .iter()
            .map(|env| (env.clone(), new.section.default_status(env.as_str())))
            .collect(),
        slug: slug.clone(),
        name,
        section: new.section,
        group: None,
        position: store::next_position(&mut tx).await?,
        path,
        path_note: None,
        purpose: clean(new.purpose, "purpose", 500)?,
        features: Vec::new(),
        priority: Priority {
            default: new.priority,
            per_env: BTreeMap::new(),
        },
        status_note: None,
        current_note: None,
        config: None,
        phase: None,
        owner: None,
        target_date: None,
        notes: None,
        dependencies: Vec::new(),
    };
    let stamp = store::Stamp::new(&actor.name, &actor.source, now);
    store::create(&mut tx, &module, &stamp).await?;
    let mut entry = actor.audit("roadmap.module.create", format!("module:{slug}"));
    entry.after = Some(
        json!({ "name": module.name, "section": module.section.as_str(), "path": module.path }),
    );
    tx.commit_with(&entry).await?;
    Ok(module)
}

/// Retires a module everywhere (it stays in the roadmap, with its history).
pub async fn retire_module(
    db: &Db,
    actor: &Actor,
    slug: &ModuleSlug,
    now: DateTime<Utc>,
) -> CoreResult<Module> {
    let mut tx = AuditedTx::begin_serialized(db).await?;
    let current = store::load_module_with(&mut tx, slug)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("module {:?}", slug.as_str())))?;
    let retired = store::retired(&current);
    let changes = store::diff(&current, &retired);
    if changes.is_empty() {
        return Ok(current);
    }
    let stamp = store::Stamp::new(&actor.name, &actor.source, now);
    store::write_change(&mut tx, &retired, &changes, &stamp).await?;
    let (before, after) = change_json(&changes);
    let mut entry = actor.audit("roadmap.module.retire", format!("module:{slug}"));
    entry.before = Some(before);
    entry.after = Some(after);
    tx.commit_with(&entry).await?;
    Ok(retired)
}

/// `{field: value}` before and after, for the audit record.
fn change_json(
    changes: &[(String, Option<String>, Option<String>)],
) -> (serde_json::Value, serde_json::Value) {
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (field, from, to) in changes {
        before.insert(field.clone(), json!(from));
        after.insert(field.clone(), json!(to));
    }
    (before.into(), after.into())
}
