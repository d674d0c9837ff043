//! Reading Cost Explorer into the store: on a schedule, and on an admin's
//! demand (at most once per `admin_min_interval`). Each Cost Explorer request
//! costs money, so refreshes are single-flight: whoever asks while one is
//! running waits for that one and gets its outcome; it is never repeated.
//!
//! One refresh sends, one after the other: GetCostAndUsage DAILY, then
//! MONTHLY, over the same 13 calendar months (`W0` = the first day of the
//! month 12 months before the end date's month, `W1` = end date + 1, End
//! exclusive), metric and grouping (SERVICE × the cost tag); then, when the
//! end date's month is incomplete, one GetCostForecast (one attempt) for the
//! rest of it. The window is stored only when both answers are complete; a
//! failure keeps the last good window and logs the reason, which the review
//! shows beside it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures::future::{BoxFuture, Shared};
use futures::FutureExt;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::ingest;
use super::model::{CostMetric, ForecastSource, YearMonth};
use super::store;
use crate::aws::cost_explorer::{self, CostGranularity};
use crate::aws::AwsClients;
use crate::db::Db;
use crate::environments::model::RoleArn;
use crate::error::CoreError;

/// How cost data is read.
#[derive(Debug, Clone)]
pub struct CostSettings {
    pub metric: CostMetric,
    /// The cost-allocation tag whose values name the environments.
    pub tag_key: String,
    /// Assumed for Cost Explorer (e.g. a cost-reader role in the payer
    /// account); none = Gantry's own credentials.
    pub role_arn: Option<RoleArn>,
    /// An admin's refresh is refused within this long of the previous one.
    pub admin_min_interval: Duration,
    /// Pins the last day to read (E). None = yesterday (UTC) at each
    /// refresh, so a long-running server moves on day by day. Pinned by the
    /// tests and the demo, whose stand-in answers only the exact requests it
    /// was seeded with.
    pub end_date: Option<NaiveDate>,
}

impl Default for CostSettings {
    fn default() -> Self {
        Self {
            metric: CostMetric::Unblended,
            tag_key: "environment".to_owned(),
            role_arn: None,
            admin_min_interval: Duration::from_secs(300),
            end_date: None,
        }
    }
}

/// The last day to read at `now`: `pinned`, or yesterday (UTC).
pub fn end_date(pinned: Option<NaiveDate>, now: DateTime<Utc>) -> NaiveDate {
    pinned.unwrap_or_else(|| now.date_naive() - chrono::Duration::days(1))
}

/// The period read for the end date `end`: `[W0, W1)`, the 13 calendar
/// months up to and including `end`'s (W1 exclusive).
pub fn period(end: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        YearMonth::of(end).plus(-12).first_day(),
        end + chrono::Duration::days(1),
    )
}

/// Who asked for a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTrigger {
    Schedule,
    Admin,
}

impl RefreshTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Admin => "admin",
        }
    }
}

/// A successful refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshOutcome {
    pub at: DateTime<Utc>,
    /// Days of daily data stored.
    pub days: usize,
    /// Rows stored (daily + monthly + forecast).
    pub rows: usize,
    /// Where the current month's forecast comes from; none when the end
    /// date's month is complete.
    pub forecast: Option<ForecastSource>,
    /// Cost Explorer requests sent (attempts, pages and the forecast included).
    pub upstream_requests: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// An admin asked again too soon (within `admin_min_interval` of the
    /// latest refresh).
    #[error("cost data was refreshed moments ago: try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Cost Explorer failed; the reason says what to do. The last good data
    /// is kept.
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl crate::error::Refusal for RefreshError {
    /// Too soon is a 429 with `Retry-After`, a Cost Explorer failure a 502
    /// with the reason; the rest is the core's.
    fn answer(&self) -> crate::error::Answer {
        use crate::error::Answer;
        match self {
            Self::RateLimited { retry_after_secs } => Answer::RateLimited {
                message: self.to_string(),
                retry_after_secs: *retry_after_secs,
            },
            Self::Upstream(reason) => Answer::Upstream(reason.clone()),
            Self::Core(core) => core.answer(),
        }
    }
}

impl RefreshError {
    /// A copy for the other callers of a shared refresh (a database error is
    /// not `Clone`: they get its public text as a corrupt-data error, which
    /// is shown as "internal error" all the same).
    fn duplicate(&self) -> Self {
        match self {
            Self::RateLimited { retry_after_secs } => Self::RateLimited {
                retry_after_secs: *retry_after_secs,
            },
            Self::Upstream(reason) => Self::Upstream(reason.clone()),
            Self::Core(CoreError::Invalid(m)) => Self::Core(CoreError::Invalid(m.clone())),
            Self::Core(CoreError::NotFound(m)) => Self::Core(CoreError::NotFound(m.clone())),
            Self::Core(e) => Self::Core(CoreError::Corrupt(e.to_string())),
        }
    }
}

type SharedRefresh = Shared<BoxFuture<'static, Result<RefreshOutcome, Arc<RefreshError>>>>;

/// Reads Cost Explorer into the store. Cheap to clone (an `Arc` inside);
/// make one per process.
#[derive(Debug, Clone)]
pub struct CostRefresher {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    clients: AwsClients,
    settings: CostSettings,
    clock: crate::Clock,
    in_flight: Mutex<Option<SharedRefresh>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CostRefresher")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl CostRefresher {
    /// A refresher that reads the date from `clock` (the services' clock).
    pub fn new(db: Db, clients: AwsClients, settings: CostSettings, clock: crate::Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                clients,
                settings,
                clock,
                in_flight: Mutex::new(None),
            }),
        }
    }

    /// The last day a refresh at `now` reads (E): the pinned day, or the day
    /// before `now` (UTC). Cost Explorer's figures for today are still moving.
    pub fn end_date_at(&self, now: DateTime<Utc>) -> NaiveDate {
        end_date(self.inner.settings.end_date, now)
    }

    /// The last day a refresh now would read.
    pub fn end_date(&self) -> NaiveDate {
        self.end_date_at(self.inner.clock.now())
    }

    pub fn settings(&self) -> &CostSettings {
        &self.inner.settings
    }

    /// Refreshes now, or joins the refresh already running and gets its
    /// outcome. An admin's request within `admin_min_interval` of the latest
    /// refresh's start is refused (unless one is running: then it joins).
    /// The refresh runs to its end even if every caller stops waiting.
    #[tracing::instrument(skip(self))]
    pub async fn refresh(&self, trigger: RefreshTrigger) -> Result<RefreshOutcome, RefreshError> {
        let shared = {
            let mut slot = self.inner.in_flight.lock().await;
            match slot.as_ref() {
                Some(running) => running.clone(),
                None => {
                    if trigger == RefreshTrigger::Admin {
                        self.check_rate(self.inner.clock.now()).await?;
                    }
                    let this = self.clone();
                    let task = tokio::spawn(async move {
                        let result = this.run(trigger).await.map_err(Arc::new);
                        *this.inner.in_flight.lock().await = None;
                        result
                    });
                    let running: SharedRefresh = async move {
                        task.await.unwrap_or_else(|e| {
                            Err(Arc::new(RefreshError::Upstream(format!(
                                "the cost refresh stopped unexpectedly: {e}"
                            ))))
                        })
                    }
                    .boxed()
                    .shared();
                    *slot = Some(running.clone());
                    running
                }
            }
        };
        shared.await.map_err(|e| e.duplicate())
    }

    async fn check_rate(&self, now: DateTime<Utc>) -> Result<(), RefreshError> {
        let min = self.inner.settings.admin_min_interval;
        let Some(last) = store::refreshes(&self.inner.db, 1)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(());
        };
        let since = (now - last.started_at).to_std().unwrap_or_default();
        if since < min {
            let wait = (min - since).as_secs_f64().ceil() as u64;
            return Err(RefreshError::RateLimited {
                retry_after_secs: wait.max(1),
            });
        }
        Ok(())
    }

    /// Cost Explorer requests counted so far (every attempt).
    fn ce_requests(&self) -> u64 {
        self.inner
            .clients
            .calls()
            .by_operation()
            .iter()
            .filter(|((service, _), _)| service == "ce")
            .map(|(_, n)| n)
            .sum()
    }

    async fn run(&self, trigger: RefreshTrigger) -> Result<RefreshOutcome, RefreshError> {
        let inner = &self.inner;
        let s = &inner.settings;
        let db = &inner.db;
        let id = store::start_refresh(
            db,
            trigger.as_str(),
            s.metric,
            &s.tag_key,
            inner.clock.now(),
        )
        .await?;
        let before = self.ce_requests();
        let client = inner.clients.cost_explorer(s.role_arn.as_ref()).await;
        let end = self.end_date();
        let (w0, w1) = period(end);
        let read = async {
            let daily = cost_explorer::cost_and_usage(
                &client,
                CostGranularity::Daily,
                w0,
                w1,
                s.metric,
                &s.tag_key,
            )
            .await?;
            let monthly = cost_explorer::cost_and_usage(
                &client,
                CostGranularity::Monthly,
                w0,
                w1,
                s.metric,
                &s.tag_key,
            )
            .await?;
            Ok::<_, crate::aws::AwsError>((daily, monthly))
        };
        let (daily, monthly) = match read.await {
            Ok(answers) => answers,
            Err(e) => {
                let reason = cost_explorer::explain(&e);
                tracing::warn!(%reason, "cost refresh failed");
                let sent = self.ce_requests().saturating_sub(before);
                store::fail_refresh(db, id, &reason, sent, inner.clock.now()).await?;
                return Err(RefreshError::Upstream(reason));
            }
        };
        if daily.is_empty() && monthly.is_empty() {
            tracing::info!("Cost Explorer answered no cost for the period");
        }
        let mut window = ingest::window(&daily, &monthly, &s.tag_key);

        // The end date's month, if incomplete: forecast its rest.
        let month = YearMonth::of(end);
        let forecast = if end < month.last_day() {
            match cost_explorer::cost_forecast(&client, w1, month.next().first_day(), s.metric)
                .await
            {
                Ok(rest) => {
                    window.forecasts = ingest::split_forecast(&window.daily, month, rest);
                    Some(if window.forecasts.is_empty() {
                        ForecastSource::LocalProjection
                    } else {
                        ForecastSource::CostExplorer
                    })
                }
                Err(e) => {
                    tracing::info!(error = %e, "no Cost Explorer forecast: projecting locally");
                    Some(ForecastSource::LocalProjection)
                }
            }
        } else {
            None
        };
        let sent = self.ce_requests().saturating_sub(before);
        let at = inner.clock.now();
        store::replace_window(db, id, &window, forecast, sent, at).await?;
        let outcome = RefreshOutcome {
            at,
            days: window.days(),
            rows: window.rows(),
            forecast,
            upstream_requests: sent,
        };
        tracing::info!(
            days = outcome.days,
            rows = outcome.rows,
            requests = sent,
            "cost data refreshed"
        );
        Ok(outcome)
    }

    /// Refreshes at once, then every `interval`, until `shutdown`. Refreshes
    /// a previous process left running are marked failed first.
    pub fn spawn(self, interval: Duration, shutdown: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(async move {
            if let Err(e) = store::abandon_running(&self.inner.db, self.inner.clock.now()).await {
                tracing::warn!(error = %e, "could not close interrupted cost refreshes");
            }
            let mut ticks = tokio::time::interval(interval.max(Duration::from_secs(1)));
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = ticks.tick() => {}
                }
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    result = self.refresh(RefreshTrigger::Schedule) => {
                        if let Err(e) = result {
                            tracing::warn!(error = %e, "scheduled cost refresh failed");
                        }
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn the_end_date_rolls_with_the_clock_unless_pinned() {
        assert_eq!(
            end_date(None, at("2026-11-26T00:00:01Z")),
            day("2026-11-25")
        );
        assert_eq!(
            end_date(None, at("2026-11-26T23:59:59Z")),
            day("2026-11-25")
        );
        // The next day reads one more day: a server left running moves on.
        assert_eq!(
            end_date(None, at("2026-11-27T00:00:00Z")),
            day("2026-11-26")
        );
        assert_eq!(
            end_date(None, at("2027-01-01T08:00:00Z")),
            day("2026-12-31")
        );
        let pinned = Some(day("2026-10-15"));
        assert_eq!(
            end_date(pinned, at("2026-11-27T00:00:00Z")),
            day("2026-10-15")
        );
        assert_eq!(
            end_date(pinned, at("2030-01-01T00:00:00Z")),
            day("2026-10-15")
        );
    }

    #[test]
    fn the_period_is_thirteen_calendar_months_to_the_end_date() {
        assert_eq!(
            period(day("2026-11-25")),
            (day("2025-11-01"), day("2026-11-26"))
        );
        // A month's last day: W1 is the next month's first.
        assert_eq!(
            period(day("2026-12-31")),
            (day("2025-12-01"), day("2027-01-01"))
        );
        assert_eq!(
            period(day("2027-01-01")),
            (day("2026-01-01"), day("2027-01-02"))
        );
    }
}
