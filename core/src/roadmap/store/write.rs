//! Writing the roadmap inside a caller's transaction: modules and their
//! statuses, one history row per changed field, and the document-level parts
//! (prose, environments, next steps, costs).

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::db::codec::{timestamp, to_json};
use crate::error::CoreResult;
use crate::roadmap::model::{Module, ModuleSlug, NextStep, Phase, Roadmap};

/// Who changes the roadmap, from where, and when: the stamp on every
/// history row a change writes. `at` comes from the caller's clock (or an
/// imported edition's date), never from the wall clock here.
#[derive(Debug, Clone)]
pub(crate) struct Stamp<'a> {
    pub actor: &'a str,
    pub source: &'a str,
    pub at: String,
}

impl<'a> Stamp<'a> {
    pub(crate) fn new(actor: &'a str, source: &'a str, at: DateTime<Utc>) -> Self {
        Self {
            actor,
            source,
            at: timestamp(at),
        }
    }
}

/// Writes a changed module and one history row per changed field.
pub(crate) async fn write_change(
    conn: &mut AnyConnection,
    module: &Module,
    changes: &[(String, Option<String>, Option<String>)],
    stamp: &Stamp<'_>,
) -> CoreResult<()> {
    update_module(conn, module, &stamp.at).await?;
    for (field, from, to) in changes {
        record_history(
            conn,
            &module.slug,
            stamp,
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
    stamp: &Stamp<'_>,
) -> CoreResult<()> {
    insert_module(conn, module, &stamp.at).await?;
    record_history(
        conn,
        &module.slug,
        stamp,
        "created",
        None,
        Some(&module.name),
    )
    .await
}

/// One history row on module `slug`; the roadmap's last change is then at
/// least `stamp.at`.
pub(crate) async fn record_history(
    conn: &mut AnyConnection,
    slug: &ModuleSlug,
    stamp: &Stamp<'_>,
    field: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO roadmap_history (module_slug, at, actor, source, field, from_value, to_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(slug.as_str())
    .bind(&stamp.at)
    .bind(stamp.actor)
    .bind(stamp.source)
    .bind(field)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    touch(conn, &stamp.at).await
}

/// Moves the roadmap's last change (what the export's "Last Updated" says)
/// forward to `at`; never back. RFC 3339 UTC stamps of one format order as
/// text, on both backends.
pub(crate) async fn touch(conn: &mut AnyConnection, at: &str) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO roadmap_meta (key, value) VALUES ('last_change', $1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value \
         WHERE roadmap_meta.value < excluded.value",
    )
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A module row's 20 values, `$1` (the slug) to `$20` (the time), in the
/// order both [`insert_module`] and [`update_module`] name them.
fn bind_module<'q>(
    query: ModuleQuery<'q>,
    m: &'q Module,
    now: &'q str,
) -> CoreResult<ModuleQuery<'q>> {
    Ok(query
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
        .bind(now))
}

type ModuleQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

async fn insert_module(conn: &mut AnyConnection, m: &Module, now: &str) -> CoreResult<()> {
    let insert = sqlx::query(
        "INSERT INTO roadmap_modules (slug, name, section, grp, position, path, path_note, purpose, \
         features, priority, status_note, current_note, config_lang, config_body, phase, owner, \
         target_date, notes, dependencies, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)",
    );
    bind_module(insert, m, now)?.execute(&mut *conn).await?;
    write_statuses(conn, m).await
}

pub(super) async fn update_module(
    conn: &mut AnyConnection,
    m: &Module,
    now: &str,
) -> CoreResult<()> {
    let update = sqlx::query(
        "UPDATE roadmap_modules SET name = $2, section = $3, grp = $4, position = $5, path = $6, \
         path_note = $7, purpose = $8, features = $9, priority = $10, status_note = $11, \
         current_note = $12, config_lang = $13, config_body = $14, phase = $15, owner = $16, \
         target_date = $17, notes = $18, dependencies = $19, updated_at = $20 WHERE slug = $1",
    );
    bind_module(update, m, now)?.execute(&mut *conn).await?;
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

/// Replaces the next steps with `steps`, keeping the id of each stored step
/// whose text an incoming one repeats (case aside): a steps page left open
/// across an import still saves to the same step. Steps no longer listed are
/// deleted; new ones inserted.
async fn replace_next_steps(conn: &mut AnyConnection, steps: &[NextStep]) -> CoreResult<()> {
    let stored: Vec<(i64, String)> =
        sqlx::query("SELECT id, text FROM roadmap_next_steps ORDER BY id")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("id")?, row.try_get("text")?)))
            .collect::<CoreResult<_>>()?;
    let mut free: Vec<(i64, String)> = stored;
    // Each incoming step with the stored id it keeps, if any.
    let mut rows: Vec<(Option<i64>, usize)> = Vec::new();
    for (position, step) in steps.iter().enumerate() {
        let kept = free
            .iter()
            .position(|(_, text)| text.eq_ignore_ascii_case(&step.text))
            .map(|i| free.remove(i).0);
        rows.push((kept, position));
    }
    for (id, _) in &free {
        sqlx::query("DELETE FROM roadmap_next_steps WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    for (id, position) in rows {
        let step = &steps[position];
        let sql = if id.is_some() {
            "UPDATE roadmap_next_steps SET phase = $1, position = $2, text = $3, completed = $4, \
             module_slug = $5 WHERE id = $6"
        } else {
            "INSERT INTO roadmap_next_steps (phase, position, text, completed, module_slug) \
             VALUES ($1, $2, $3, $4, $5)"
        };
        let query = sqlx::query(sql)
            .bind(step.phase.as_str())
            .bind(position as i64)
            .bind(&step.text)
            .bind(i64::from(step.completed))
            .bind(step.module.as_ref().map(ModuleSlug::as_str));
        match id {
            Some(id) => query.bind(id),
            None => query,
        }
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replaces the document-level parts: prose, environments, next steps, costs.
pub(super) async fn replace_document(
    conn: &mut AnyConnection,
    roadmap: &Roadmap,
) -> CoreResult<()> {
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
    replace_next_steps(conn, &roadmap.next_steps).await?;
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
