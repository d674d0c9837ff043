//! Drift corrections, the roadmap's half: a module's status in one
//! environment set to what AWS shows, in its history (source "drift
//! correction") and audited as `roadmap.module.update`. Finding the drift
//! (the health area) and deciding the status is `compose::roadmap`'s.

use super::model::{ModuleSlug, ModuleStatus};
use super::store;
use crate::audit::AuditedTx;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::shared::{Actor, EnvName};
use chrono::{DateTime, Utc};

/// Sets module `slug`'s status in `env` to `status` because of drift
/// (`reason`: the drift's message, kept in the audit record). Nothing is
/// written when the module has that status already.
pub async fn apply(
    db: &Db,
    actor: &Actor,
    slug: &ModuleSlug,
    env: &EnvName,
    status: ModuleStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let mut tx = AuditedTx::begin_serialized(db).await?;
    let current = store::load_module_with(&mut tx, slug)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("module {:?}", slug.as_str())))?;
    let mut updated = current.clone();
    updated.statuses.insert(env.clone(), status);
    let changes = store::diff(&current, &updated);
    if changes.is_empty() {
        return Ok(());
    }
    let stamp = store::Stamp::new(&actor.name, "drift correction", now);
    store::write_change(&mut tx, &updated, &changes, &stamp).await?;
    let mut entry = actor.audit("roadmap.module.update", format!("module:{slug}"));
    entry.before = Some(
        serde_json::json!({ format!("status.{env}"): current.statuses.get(env).map(|s| s.as_str()) }),
    );
    entry.after = Some(serde_json::json!({
        format!("status.{env}"): status.as_str(),
        "reason": reason,
    }));
    tx.commit_with(&entry).await?;
    Ok(())
}
