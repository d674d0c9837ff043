//! The server's integration tests, one binary (one link) with one shared
//! harness (`common`): each module is a former `tests/*.rs` file, named as it
//! was. cargo-nextest still runs every test in its own process, which the
//! tests rendering Leptos pages rely on.

#![expect(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod common;
#[path = "../../../core/tests/it/support/fake_aws.rs"]
mod fake_aws;

mod approvals_binary;
mod auth;
mod cli;
mod cost;
mod editions;
mod health;
mod jobs;
mod jobs_crash;
mod jobs_faults;
mod jobs_replicas;
mod oidc_tokens;
mod router;
mod sso;
