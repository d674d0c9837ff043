//! The roadmap beside cost and health: the projected bill with its actual
//! cost, a module's page with its drift, and correcting the roadmap from
//! drift.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::cost::model::YearMonth;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::health::drift::Drift;
use crate::roadmap::model::{ModuleSlug, ModuleStatus, Roadmap};
use crate::roadmap::projection::{bills, EnvironmentBill};
use crate::roadmap::realise::Realiser;
use crate::roadmap::store::{self, HistoryEntry};
use crate::shared::{Actor, EnvName};

/// An environment's bill beside what it actually costs (from the cost
/// area): the last full month and this month's forecast, never a few days of
/// month-to-date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillWithActuals {
    pub bill: EnvironmentBill,
    /// (month, cents) of the last full month; `None` without cost data.
    pub last_full_month: Option<(YearMonth, i64)>,
    pub forecast_cents: Option<i64>,
}

/// The projected bill of each environment beside its actual cost: the
/// roadmap's estimates ([`bills`]) and the cost area's stored figures for the
/// last full month and this month's forecast. A cost read that fails leaves
/// the actuals out, not the bill.
pub async fn bill(db: &Db, today: NaiveDate) -> CoreResult<Vec<BillWithActuals>> {
    let roadmap = store::load(db).await?;
    let month = YearMonth::of(today);
    // Reads the roadmap once: the cost review gets the one loaded here.
    let review = match crate::environments::service::list(db).await {
        Ok(environments) => {
            crate::cost::service::review(db, month, today, &environments, &roadmap).await
        }
        Err(e) => Err(e),
    };
    let costs = match review {
        Ok(review) => review.environments,
        Err(e) => {
            tracing::warn!(error = %e, "the projected bill's actuals could not be read");
            Vec::new()
        }
    };
    Ok(bills(&roadmap)
        .into_iter()
        .map(|bill| {
            let actual = costs
                .iter()
                .find(|c| c.environment == bill.environment.as_str());
            BillWithActuals {
                last_full_month: actual.map(|c| (month.previous(), c.previous_month_cents)),
                forecast_cents: actual.and_then(|c| c.forecast_cents),
                bill,
            }
        })
        .collect())
}

/// What a module's page shows: the roadmap (for its costs and steps), the
/// module's history and what realises it in AWS.
pub struct ModulePage {
    pub roadmap: Roadmap,
    pub history: Vec<HistoryEntry>,
    pub realisers: Vec<Realiser>,
    /// Where the latest health polls disagree with the roadmap about it.
    pub drift: Vec<Drift>,
}

pub async fn module_page(db: &Db, slug: &ModuleSlug) -> CoreResult<ModulePage> {
    let roadmap = store::load(db).await?;
    let drift = match roadmap.module(slug) {
        Some(m) => crate::health::service::latest_drift(db, std::slice::from_ref(m)).await?,
        None => Vec::new(),
    };
    Ok(ModulePage {
        history: store::history(db, slug).await?,
        realisers: crate::roadmap::realise::of_module(db, slug).await?,
        drift,
        roadmap,
    })
}

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
/// audited as `roadmap.module.update`
/// ([`crate::roadmap::correct::apply`]). Refused when the latest snapshot
/// shows no drift for it any more: drift that has gone since the page was
/// drawn corrects nothing.
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
    crate::roadmap::correct::apply(db, actor, slug, &env, status, &drift.message, now).await?;
    Ok(status)
}
