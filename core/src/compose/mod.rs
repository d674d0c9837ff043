//! Use cases and views that combine areas: the top of core's layers.
//!
//! Each area depends only on the areas below it (README, Architecture;
//! `core/tests/it/layers.rs` keeps it so). What needs two areas side by side
//! — the roadmap's projected bill beside the cost area's actuals, a module's
//! page beside the health area's drift, a drift correction — is composed
//! here, and nothing below imports this module.

pub mod roadmap;
