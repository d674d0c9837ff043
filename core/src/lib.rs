//! Gantry's server-only core: the domain of each area and its storage.
//!
//! Nothing here depends on Leptos or compiles to WebAssembly; the `app` crate
//! reaches it only through its `ssr` feature, the `server` crate directly.

pub mod approvals;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod backoff;
pub mod clock;
pub mod compose;
pub mod cost;
pub mod db;
pub mod environments;
pub mod error;
pub mod health;
pub mod image;
pub mod jobs;
pub mod outbox;
pub mod roadmap;
pub mod shared;

pub use clock::Clock;
pub use db::Db;
pub use error::{CoreError, CoreResult};

/// Everything a request handler needs from the core, cloned into each request.
#[derive(Debug, Clone)]
pub struct Services {
    pub db: Db,
    pub roadmap: roadmap::service::RoadmapSettings,
    /// How often the health poller reads AWS; the live pages refresh at this
    /// pace.
    pub health_poll_interval: std::time::Duration,
    /// The one source of "now" for pages and use cases (fixed in tests).
    pub clock: Clock,
    /// What Fargate tasks cost: prices a plan's compute change.
    pub fargate: cost::fargate::FargatePrices,
    /// The groups the role mapping makes approvers or admins: the only
    /// ones an approval policy may name.
    pub approver_groups: Vec<String>,
}
