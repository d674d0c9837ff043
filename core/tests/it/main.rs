//! gantry-core's integration tests, one binary (one link) with one shared
//! harness: each module is a former `tests/*.rs` file, named as it was.

#![expect(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod support;

mod approvals;
mod audit_store;
mod aws_changes;
mod aws_errors;
mod aws_health;
mod aws_health_degraded;
mod cost_faults;
mod cost_moto;
mod cost_store;
mod environments_store;
mod health_poll;
mod health_probe;
mod health_store;
mod jobs_deploy;
mod jobs_provision;
mod jobs_scale;
mod jobs_stall;
mod jobs_store;
mod jobs_worker;
mod layers;
mod markdown_roundtrip;
mod roadmap_edit;
mod roadmap_editions;
mod roadmap_store;
