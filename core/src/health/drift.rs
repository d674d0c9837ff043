//! Drift: where the roadmap and AWS disagree about a module in an environment.
//!
//! The roadmap says, per module and environment, whether it is deployed; the
//! latest health snapshot says what AWS shows. Only modules whose presence a
//! poll can see are compared ([`Evidence::for_module`]); for the others
//! (networking, CloudFront, WAF…) Gantry has no evidence and flags nothing.
//!
//! Pure: the pages pass in the roadmap's modules and the latest snapshot.

use serde::{Deserialize, Serialize};

use super::model::SourceErrorKind;
use super::snapshot::EnvironmentSnapshot;
use crate::roadmap::model::{Module, ModuleStatus};

/// What a poll can see of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// `modules/ecs-cluster/` and `modules/ecs-service/`: the ECS services.
    EcsServices,
    /// `modules/ecs-task-definition/`: a task definition behind a service.
    TaskDefinition,
    /// `modules/alb/`: a load balancer target group behind a service.
    LoadBalancer,
    /// `modules/rds/`: the environment's RDS instance.
    Database,
    /// "Parameter Store": parameters under the environment's SSM prefix.
    Parameters,
    /// `modules/monitoring/`: CloudWatch alarms on the services.
    Alarms,
}

impl Evidence {
    /// Which evidence speaks for `module`, by its Terraform path's last folder
    /// (`modules/ecs-service/` → `ecs-service`) or, without a path, its name.
    pub fn for_module(module: &Module) -> Option<Self> {
        let key = module
            .path
            .as_deref()
            .and_then(|p| p.trim_end_matches('/').rsplit('/').next())
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| module.name.to_ascii_lowercase());
        match key.as_str() {
            "ecs-cluster" | "ecs-service" => Some(Self::EcsServices),
            "ecs-task-definition" => Some(Self::TaskDefinition),
            "alb" => Some(Self::LoadBalancer),
            "rds" => Some(Self::Database),
            "parameter store" | "ssm" => Some(Self::Parameters),
            "monitoring" => Some(Self::Alarms),
            _ => None,
        }
    }

    /// What the snapshot shows: `Some(true)` present, `Some(false)` absent,
    /// `None` when the poll could not tell (a source failed or was never read).
    pub fn observe(self, snap: &EnvironmentSnapshot) -> Option<bool> {
        let services = &snap.services;
        // Found in ECS, per service; None when ECS could not be read. An ECS
        // not-found error (cluster missing) counts as absent.
        let found: Vec<Option<bool>> = services
            .iter()
            .map(|s| match (&s.ecs.data, &s.ecs.error) {
                (_, Some(e)) if e.kind == SourceErrorKind::NotFound => Some(false),
                (_, Some(_)) => None,
                (Some(obs), None) => Some(obs.found),
                (None, None) => None,
            })
            .collect();
        let any_found = found.contains(&Some(true));
        let all_read = !found.is_empty() && found.iter().all(Option::is_some);
        // Present when seen; absent only when the poll could have seen it.
        let seen = |present: bool, could_tell: bool| match (present, could_tell) {
            (true, _) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        };
        match self {
            Self::EcsServices => seen(any_found, all_read),
            Self::TaskDefinition => seen(
                services.iter().any(|s| s.task_definition.is_some()),
                all_read,
            ),
            // Absent only when services run and none registers into a target
            // group (or has an alarm).
            Self::LoadBalancer => seen(
                services.iter().any(|s| s.targets.is_some()),
                all_read && any_found,
            ),
            Self::Alarms => seen(
                services.iter().any(|s| s.alarms.is_some()),
                all_read && any_found,
            ),
            Self::Database => {
                let db = snap.database.as_ref()?;
                match (&db.rds.data, &db.rds.error) {
                    (_, Some(e)) if e.kind == SourceErrorKind::NotFound => Some(false),
                    (_, Some(_)) => None,
                    (Some(obs), None) => Some(obs.found),
                    (None, None) => None,
                }
            }
            Self::Parameters => match (&snap.parameters.data, &snap.parameters.error) {
                (_, Some(_)) => None,
                (Some(list), None) => Some(!list.is_empty()),
                (None, None) => None,
            },
        }
    }

    /// "ECS services", for the flag's text.
    pub fn label(self) -> &'static str {
        match self {
            Self::EcsServices => "the ECS services",
            Self::TaskDefinition => "a task definition",
            Self::LoadBalancer => "a load balancer target group",
            Self::Database => "the RDS instance",
            Self::Parameters => "SSM parameters",
            Self::Alarms => "CloudWatch alarms",
        }
    }
}

/// One disagreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub module: String,
    pub module_name: String,
    pub environment: String,
    /// What the roadmap says.
    pub roadmap: ModuleStatus,
    /// Whether AWS shows it.
    pub aws_present: bool,
    /// "Roadmap says deployed, but AWS shows no RDS instance"
    pub message: String,
}

/// Every module of `modules` on which the roadmap and `snap` disagree:
/// - roadmap Deployed, AWS shows it absent;
/// - AWS shows it present, roadmap Planned or Ready (not yet deployed).
///
/// In progress and retired modules are never flagged (either state is
/// expected during a change), nor modules of environments the roadmap does not
/// track, nor any module the snapshot cannot tell about.
pub fn drift(modules: &[Module], snap: &EnvironmentSnapshot) -> Vec<Drift> {
    let mut out = Vec::new();
    for module in modules {
        let Some(evidence) = Evidence::for_module(module) else {
            continue;
        };
        let Some(status) = module
            .statuses
            .iter()
            .find(|(env, _)| env.as_str() == snap.environment)
            .map(|(_, s)| *s)
        else {
            continue;
        };
        let Some(present) = evidence.observe(snap) else {
            continue;
        };
        let message = match (status, present) {
            (ModuleStatus::Deployed, false) => format!(
                "Roadmap says deployed in {}, but AWS shows no {}",
                snap.environment,
                evidence
                    .label()
                    .trim_start_matches("the ")
                    .trim_start_matches("a ")
            ),
            (ModuleStatus::Planned | ModuleStatus::Ready, true) => format!(
                "AWS shows {} in {}, but the roadmap says {}",
                evidence.label(),
                snap.environment,
                status.label().to_ascii_lowercase()
            ),
            _ => continue,
        };
        out.push(Drift {
            module: module.slug.as_str().to_owned(),
            module_name: module.name.clone(),
            environment: snap.environment.clone(),
            roadmap: status,
            aws_present: present,
            message,
        });
    }
    out
}

#[cfg(test)]
mod tests;
