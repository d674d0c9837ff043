//! Drift corrections: where the health area finds the roadmap and AWS
//! disagreeing about a module in an environment, an operator may correct
//! the roadmap in one click — never applied silently. The correction is
//! re-checked against the latest snapshot when it is asked for: drift that
//! has gone since the page was drawn corrects nothing.

use super::model::{ModuleSlug, ModuleStatus};
use super::store;
use crate::audit;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::health::drift::Drift;
use crate::shared::{Actor, EnvName};
use chrono::{DateTime, Utc};

/// The status that ends `drift`: deployed where AWS shows the module, ready
/// where the roadmap says deployed and AWS shows nothing.
pub fn correction(drift: &Drift) -> ModuleStatus {
    if drift.aws_present {
        ModuleStatus::Deployed
    } else {
        ModuleStatus::Ready
    }
}

/// Corrects module `slug` in `environment` to what AWS shows (see
/// [`correction`]), recorded in its history (source "drift correction") and
/// audited as `roadmap.module.update`. Refused when the latest snapshot
/// shows no drift for it any more.
pub async fn correct_drift(
    db: &Db,
    actor: &Actor,
    slug: &ModuleSlug,
    environment: &str,
    now: DateTime<Utc>,
) -> CoreResult<ModuleStatus> {
    let env = EnvName::parse(environment)
        .map_err(|_| CoreError::Invalid(format!("unknown environment {environment:?}")))?;
    let roadmap = store::load(db).await?;
    let module = roadmap
        .module(slug)
        .ok_or_else(|| CoreError::NotFound(format!("module {:?}", slug.as_str())))?;
    if !module.statuses.contains_key(&env) {
        return Err(CoreError::Invalid(format!(
            "the roadmap does not track environment {env}"
        )));
    }
    let drift = crate::health::service::latest_drift(db, std::slice::from_ref(module))
        .await?
        .into_iter()
        .find(|d| d.environment == env.as_str())
        .ok_or_else(|| {
            CoreError::Invalid(format!(
                "nothing to correct: the roadmap and AWS agree about {} in {env} now",
                module.name
            ))
        })?;
    let status = correction(&drift);
    let mut tx = db.pool().begin().await?;
    audit::store::lock_for_write(&mut tx, db.backend()).await?;
    let current = store::load_module_with(&mut tx, slug)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("module {:?}", slug.as_str())))?;
    let mut updated = current.clone();
    updated.statuses.insert(env.clone(), status);
    let changes = store::diff(&current, &updated);
    if changes.is_empty() {
        return Ok(status);
    }
    let stamp = store::Stamp::new(&actor.name, "drift correction", now);
    store::write_change(&mut tx, &updated, &changes, &stamp).await?;
    let mut entry = actor.audit("roadmap.module.update", format!("module:{slug}"));
    entry.before = Some(
        serde_json::json!({ format!("status.{env}"): current.statuses.get(&env).map(|s| s.as_str()) }),
    );
    entry.after = Some(serde_json::json!({
        format!("status.{env}"): status.as_str(),
        "reason": drift.message,
    }));
    let record = audit::store::append(&mut tx, db, &entry).await?;
    audit::store::commit(tx, db, &record).await?;
    Ok(status)
}
