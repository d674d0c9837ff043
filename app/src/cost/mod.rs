//! Cost: the monthly cost review page (by environment and service, trends,
//! budget and forecast, roadmap estimates against actual, movers, anomalies),
//! its CSV exports and the admin's "Refresh now". Figures come from what the
//! core's refresher stored; a page view never calls AWS.

pub mod api;
pub mod dto;
pub mod page;
mod sections;
