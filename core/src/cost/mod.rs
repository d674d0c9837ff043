//! Cost: Cost Explorer's daily and monthly spend by AWS service and by the
//! environments' cost-allocation tag, stored in the database and reviewed
//! from there.
//!
//! - [`model`]: the review's types ([`model::CostReview`] and its parts).
//! - [`store`]: the ingested window (replaced whole, in one transaction, per
//!   refresh) and the refresh log.
//! - [`analysis`]: the pure arithmetic: amounts, movers, anomalies, the
//!   month-end projection, budget burn, component → service mapping.
//! - [`service`]: [`service::review`] builds a month's review from the store,
//!   never calling AWS: many viewers cost no Cost Explorer request.
//! - [`refresh`]: [`refresh::CostRefresher`] reads Cost Explorer on a schedule
//!   and on an admin's demand (rate-limited), one request round at a time
//!   however many ask (single-flight).
//! - [`ingest`]: Cost Explorer's answers as rows.
//! - [`export`]: a review's tables as CSV.

pub mod analysis;
pub mod export;
pub mod fargate;
pub mod ingest;
pub mod model;
pub mod refresh;
pub mod service;
pub mod store;
