//! Environments: where Gantry deploys (account, region, cluster, services, SSM
//! prefix, cost tag, budget) and under which approval rules.

pub mod api;
pub mod detail;
pub mod dto;
pub mod edit;
pub mod list;
