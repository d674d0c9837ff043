//! Health in the UI: the live panel of an environment page and the badges
//! the environments overview shows (`panel.rs`), the server functions behind
//! them (`api.rs`: one environment's live health, "Check health now"), and
//! their wire types (`dto.rs`). Everything is read from the poller's stored
//! snapshots: a page view never calls AWS.

pub mod api;
pub mod dto;
pub mod panel;
