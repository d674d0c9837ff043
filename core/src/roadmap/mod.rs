//! Roadmap: the infrastructure modules, their status per environment, the
//! rollout phases and the cost estimates, imported from and exported to the
//! team's markdown status document.

pub mod correct;
pub mod edit;
pub mod editions;
pub mod identity;
pub mod markdown;
pub mod model;
pub mod progress;
pub mod projection;
pub mod realise;
pub mod service;
pub mod steps;
pub mod store;
pub mod timeline;
