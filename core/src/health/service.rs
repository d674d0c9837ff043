//! Health use cases over what the poller stored (never an AWS call): what the
//! environment pages and the roadmap's drift flags show, each one call.

use super::drift::{drift, Drift};
use super::snapshot::{EnvironmentSnapshot, HealthTransition};
use super::store;
use crate::db::Db;
use crate::environments::model::Environment;
use crate::error::CoreResult;
use crate::roadmap::model::Module;
use crate::shared::EnvName;

/// Status changes an environment page shows.
pub const RECENT_TRANSITIONS: u32 = 10;

/// Where the roadmap and AWS disagree, per the latest stored snapshot of
/// every environment: each module × environment at most once.
pub async fn latest_drift(db: &Db, modules: &[Module]) -> CoreResult<Vec<Drift>> {
    Ok(store::latest_all(db)
        .await?
        .iter()
        .flat_map(|snap| drift(modules, snap))
        .collect())
}

/// One environment on the overview: its settings, its latest snapshot (none
/// before the first poll) and where that snapshot and the roadmap disagree.
#[derive(Debug, Clone)]
pub struct EnvironmentOverview {
    pub environment: Environment,
    pub latest: Option<EnvironmentSnapshot>,
    pub drift: Vec<Drift>,
}

/// Every environment with its latest health and drift (the `/environments`
/// page): three reads, whatever the number of environments.
pub async fn overview(db: &Db) -> CoreResult<Vec<EnvironmentOverview>> {
    let environments = crate::environments::service::list(db).await?;
    let mut snapshots = store::latest_all(db).await?;
    let modules = crate::roadmap::service::roadmap(db).await?.modules;
    Ok(environments
        .into_iter()
        .map(|environment| {
            let latest = snapshots
                .iter()
                .position(|s| s.environment == environment.name.as_str())
                .map(|i| snapshots.swap_remove(i));
            let drift = latest
                .as_ref()
                .map(|snap| drift(&modules, snap))
                .unwrap_or_default();
            EnvironmentOverview {
                environment,
                latest,
                drift,
            }
        })
        .collect())
}

/// The live part of one environment's page.
#[derive(Debug, Clone)]
pub struct EnvironmentHealth {
    pub environment: Environment,
    /// None before the first poll.
    pub snapshot: Option<EnvironmentSnapshot>,
    /// Where the snapshot and the roadmap disagree.
    pub drift: Vec<Drift>,
    /// The latest [`RECENT_TRANSITIONS`] status changes, newest first.
    pub transitions: Vec<HealthTransition>,
}

/// The environment `name`, its latest snapshot, drift and recent status
/// changes. `NotFound` for an unknown environment.
pub async fn environment_health(db: &Db, name: &EnvName) -> CoreResult<EnvironmentHealth> {
    let environment = crate::environments::service::get(db, name).await?;
    let snapshot = store::latest(db, environment.name.as_str()).await?;
    let (drift, transitions) = match &snapshot {
        Some(snap) => {
            let modules = crate::roadmap::service::roadmap(db).await?.modules;
            let transitions =
                store::transitions(db, environment.name.as_str(), RECENT_TRANSITIONS).await?;
            (drift(&modules, snap), transitions)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(EnvironmentHealth {
        environment,
        snapshot,
        drift,
        transitions,
    })
}
