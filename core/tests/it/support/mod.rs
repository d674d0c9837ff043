//! Helpers shared by the test modules.

pub mod fake_aws;
