//! Environments: dev, staging, prod and short-lived preview environments, each
//! mapped to an AWS account and region, an ECS cluster and its services, an SSM
//! parameter path, a cost tag and budget, and a production approval policy.
//!
//! [`model`] holds the validated types and the raw [`model::EnvironmentInput`]
//! (the config file's `[[environments]]` tables, edit forms); [`service`] the
//! use cases (list, get, save, delete, seed from the config, expired previews),
//! each change audited in its own transaction; [`store`] the SQL.

pub mod model;
pub mod overlap;
pub mod service;
pub mod store;

pub use model::{
    ApprovalPolicy, AwsAccountId, AwsRegion, CostTag, Environment, EnvironmentInput, FreezeWindow,
    FreezeWindowInput, HealthUrl, RoleArn, ServiceInput, ServiceSpec, SsmPrefix,
};
