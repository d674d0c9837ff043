//! Health use cases over what the poller stored (never an AWS call).

use super::drift::{drift, Drift};
use super::store;
use crate::db::Db;
use crate::error::CoreResult;
use crate::roadmap::model::Module;

/// Where the roadmap and AWS disagree, per the latest stored snapshot of
/// every environment: each module × environment at most once.
pub async fn latest_drift(db: &Db, modules: &[Module]) -> CoreResult<Vec<Drift>> {
    Ok(store::latest_all(db)
        .await?
        .iter()
        .flat_map(|snap| drift(modules, snap))
        .collect())
}
