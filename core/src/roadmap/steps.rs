//! Editing the next steps by hand: mark one done (or not), add one, reword
//! it, move it to another phase, link it to a module. Each change is one
//! transaction with its audit record (`roadmap.step.add`,
//! `roadmap.step.update`) and, for a step linked to a module, a row in that
//! module's history. The export writes them back in the document's shape
//! (`1. ✅ … (COMPLETED)` under its phase).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use super::model::{ModuleSlug, NextStep, Phase};
use super::store;
use crate::audit::AuditedTx;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::Actor;

/// A step's text: one line, 1 to this many characters.
pub const MAX_STEP_CHARS: usize = 300;

/// A stored step and its id (what the edit forms send back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStep {
    pub id: i64,
    pub step: NextStep,
}

/// A step as a form describes it, validated: every problem named once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInput {
    pub phase: Phase,
    pub text: String,
    pub completed: bool,
    pub module: Option<ModuleSlug>,
}

impl StepInput {
    /// From the form's fields. The module is checked against the stored
    /// ones when the change is written.
    pub fn parse(phase: &str, text: &str, completed: bool, module: &str) -> CoreResult<Self> {
        let mut problems = Vec::new();
        let phase = match Phase::parse(phase) {
            Ok(p) => Some(p),
            Err(_) => {
                problems.push(format!(
                    "phase: {:?} is not a phase (immediate, short, medium or long)",
                    phase.trim()
                ));
                None
            }
        };
        let text = text.trim();
        if text.is_empty() {
            problems.push("text: a next step needs its text".to_owned());
        } else if text.chars().count() > MAX_STEP_CHARS {
            problems.push(format!("text: at most {MAX_STEP_CHARS} characters"));
        } else if text.contains(['\n', '\r']) {
            problems.push("text: one line".to_owned());
        }
        let module = match module.trim() {
            "" => None,
            raw => match ModuleSlug::parse(raw) {
                Ok(slug) => Some(slug),
                Err(m) => {
                    problems.push(format!("module: {m}"));
                    None
                }
            },
        };
        match (phase, problems.is_empty()) {
            (Some(phase), true) => Ok(Self {
                phase,
                text: text.to_owned(),
                completed,
                module,
            }),
            _ => Err(CoreError::Invalid(problems.join("; "))),
        }
    }

    fn step(&self) -> NextStep {
        NextStep {
            phase: self.phase,
            text: self.text.clone(),
            completed: self.completed,
            module: self.module.clone(),
        }
    }
}

/// What `/roadmap/steps` shows: every step with its id, and the roadmap
/// (for the modules a step may link to).
pub async fn page(db: &Db) -> CoreResult<(Vec<StoredStep>, super::model::Roadmap)> {
    Ok((list(db).await?, store::load(db).await?))
}

/// Every step with its id, in document order.
pub async fn list(db: &Db) -> CoreResult<Vec<StoredStep>> {
    let rows = sqlx::query(
        "SELECT id, phase, text, completed, module_slug FROM roadmap_next_steps ORDER BY position, id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(stored_from_row).collect()
}

fn stored_from_row(row: &sqlx::any::AnyRow) -> CoreResult<StoredStep> {
    Ok(StoredStep {
        id: row.try_get("id")?,
        step: store::next_step_from_row(row)?,
    })
}

/// How a step reads in a module's history and the audit log.
fn describe(step: &NextStep) -> String {
    format!(
        "[{}] {}{}",
        step.phase.as_str(),
        step.text,
        if step.completed { " (completed)" } else { "" }
    )
}

async fn check_module(conn: &mut AnyConnection, module: Option<&ModuleSlug>) -> CoreResult<()> {
    if let Some(slug) = module {
        if store::load_module_with(conn, slug).await?.is_none() {
            return Err(CoreError::Invalid(format!(
                "module: no module {:?} on the roadmap",
                slug.as_str()
            )));
        }
    }
    Ok(())
}

/// The position after the last step of `phase` (the export groups by
/// phase and keeps this order within it).
async fn end_of(conn: &mut AnyConnection, phase: Phase) -> CoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(position), -1) + 1 AS next FROM roadmap_next_steps WHERE phase = $1",
    )
    .bind(phase.as_str())
    .fetch_one(&mut *conn)
    .await?)
}

/// A history row on each module a step change concerns; the roadmap's last
/// change moves to the stamp's time either way.
async fn record(
    conn: &mut AnyConnection,
    stamp: &store::Stamp<'_>,
    modules: &[&ModuleSlug],
    from: Option<&NextStep>,
    to: &NextStep,
) -> CoreResult<()> {
    let mut seen: Vec<&ModuleSlug> = Vec::new();
    for slug in modules {
        if seen.contains(slug) {
            continue;
        }
        seen.push(slug);
        store::record_history(
            conn,
            slug,
            stamp,
            "next step",
            from.map(describe).as_deref(),
            Some(&describe(to)),
        )
        .await?;
    }
    store::touch(conn, &stamp.at).await
}

/// Adds a step at the end of its phase, at `now`. Returns its id.
pub async fn add(db: &Db, actor: &Actor, input: &StepInput, now: DateTime<Utc>) -> CoreResult<i64> {
    let mut tx = AuditedTx::begin_serialized(db).await?;
    check_module(&mut tx, input.module.as_ref()).await?;
    let position = end_of(&mut tx, input.phase).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO roadmap_next_steps (phase, position, text, completed, module_slug) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(input.phase.as_str())
    .bind(position)
    .bind(&input.text)
    .bind(i64::from(input.completed))
    .bind(input.module.as_ref().map(ModuleSlug::as_str))
    .fetch_one(&mut *tx)
    .await?;
    let step = input.step();
    let modules: Vec<&ModuleSlug> = step.module.iter().collect();
    let stamp = store::Stamp::new(&actor.name, &actor.source, now);
    record(&mut tx, &stamp, &modules, None, &step).await?;
    let mut entry = actor.audit("roadmap.step.add", format!("step:{id}"));
    entry.after = Some(serde_json::json!(step));
    tx.commit_with(&entry).await?;
    Ok(id)
}

/// Replaces step `id` with `input` (moved to the end of its new phase when
/// the phase changes). Unknown id: not found; nothing changed: no write.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &StepInput,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let mut tx = AuditedTx::begin_serialized(db).await?;
    let row = sqlx::query(
        "SELECT id, phase, text, completed, module_slug FROM roadmap_next_steps WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| CoreError::NotFound(format!("next step {id}")))?;
    let current = stored_from_row(&row)?.step;
    let wanted = input.step();
    if current == wanted {
        return Ok(());
    }
    check_module(&mut tx, wanted.module.as_ref()).await?;
    let position = if current.phase == wanted.phase {
        None
    } else {
        Some(end_of(&mut tx, wanted.phase).await?)
    };
    sqlx::query(
        "UPDATE roadmap_next_steps SET phase = $2, text = $3, completed = $4, module_slug = $5, \
         position = COALESCE($6, position) WHERE id = $1",
    )
    .bind(id)
    .bind(wanted.phase.as_str())
    .bind(&wanted.text)
    .bind(i64::from(wanted.completed))
    .bind(wanted.module.as_ref().map(ModuleSlug::as_str))
    .bind(position)
    .execute(&mut *tx)
    .await?;
    let modules: Vec<&ModuleSlug> = current.module.iter().chain(wanted.module.iter()).collect();
    let stamp = store::Stamp::new(&actor.name, &actor.source, now);
    record(&mut tx, &stamp, &modules, Some(&current), &wanted).await?;
    let mut entry = actor.audit("roadmap.step.update", format!("step:{id}"));
    entry.before = Some(serde_json::json!(current));
    entry.after = Some(serde_json::json!(wanted));
    tx.commit_with(&entry).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_name_each_problem_once() {
        let ok = StepInput::parse("medium", "  Deploy WAF  ", true, "waf").unwrap();
        assert_eq!(ok.text, "Deploy WAF");
        assert_eq!(ok.phase, Phase::Medium);
        assert_eq!(ok.module.as_ref().map(ModuleSlug::as_str), Some("waf"));
        let err = StepInput::parse("someday", " ", false, "Not A Slug")
            .unwrap_err()
            .public_message();
        assert_eq!(
            err,
            "phase: \"someday\" is not a phase (immediate, short, medium or long); \
             text: a next step needs its text; module: invalid module id \"Not A Slug\""
        );
        assert!(StepInput::parse("short", &"x".repeat(301), false, "").is_err());
        assert!(StepInput::parse("short", "two\nlines", false, "").is_err());
    }
}
