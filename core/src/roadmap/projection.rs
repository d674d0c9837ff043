//! The projected bill: per environment, what the deployed modules are
//! estimated to cost a month today, and what it will be once the planned
//! rollout is done (deployed + in progress + ready + planned), from the
//! document's own cost lines. Lines that belong to no module (data
//! transfer, logs) are part of both. Pure.

use serde::{Deserialize, Serialize};

use super::model::{CostRange, ModuleSlug, ModuleStatus, Roadmap};
use crate::shared::EnvName;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentBill {
    pub environment: EnvName,
    /// The estimate lines of modules deployed here, plus the shared lines.
    pub today: CostRange,
    /// Every module that is not retired here, plus the shared lines.
    pub projected: CostRange,
    /// Lines that name no module ("Data Transfer").
    pub shared: CostRange,
    /// The document's own "Total" for this environment, as written.
    pub stated_total: Option<CostRange>,
    /// Modules counted in the projection that have no estimate here.
    pub unestimated: Vec<(ModuleSlug, String)>,
}

const ZERO: CostRange = CostRange {
    low_cents: 0,
    high_cents: 0,
};

/// The bill of each environment the roadmap tracks, in its order.
pub fn bills(roadmap: &Roadmap) -> Vec<EnvironmentBill> {
    roadmap
        .environments
        .iter()
        .map(|env| {
            let shared = roadmap
                .costs
                .iter()
                .filter(|c| &c.environment == env)
                .flat_map(|c| c.items.iter())
                .filter(|i| i.module.is_none())
                .fold(ZERO, |sum, i| sum + i.monthly);
            let mut today = shared;
            let mut projected = shared;
            let mut unestimated = Vec::new();
            for module in &roadmap.modules {
                let status = module.statuses.get(env).copied();
                if matches!(status, None | Some(ModuleStatus::Retired)) {
                    continue;
                }
                match roadmap.estimated_cost(&module.slug, env) {
                    Some(cost) => {
                        projected = projected + cost;
                        if status == Some(ModuleStatus::Deployed) {
                            today = today + cost;
                        }
                    }
                    None => unestimated.push((module.slug.clone(), module.name.clone())),
                }
            }
            EnvironmentBill {
                environment: env.clone(),
                today,
                projected,
                shared,
                stated_total: roadmap
                    .costs
                    .iter()
                    .find(|c| &c.environment == env)
                    .and_then(|c| c.stated_total),
                unestimated,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roadmap::markdown::import::{parse_document, ImportOptions};

    fn env(name: &str) -> EnvName {
        EnvName::parse(name).unwrap()
    }

    fn seed() -> Roadmap {
        parse_document(
            include_str!("../../../fixtures/infrastructure-status.md"),
            &ImportOptions {
                environments: vec![env("dev"), env("prod")],
                strict: false,
            },
        )
        .expect("the seed parses")
    }

    #[test]
    fn the_projection_adds_what_is_planned_to_what_is_deployed() {
        let roadmap = seed();
        let bills = bills(&roadmap);
        let (dev, prod) = (&bills[0], &bills[1]);
        // The document's own totals: dev ~$70-80, prod ~$365-475.
        assert_eq!(
            dev.stated_total,
            Some(CostRange {
                low_cents: 7_000,
                high_cents: 8_000
            })
        );
        assert_eq!(
            prod.stated_total,
            Some(CostRange {
                low_cents: 36_500,
                high_cents: 47_500
            })
        );
        // Nothing is deployed in prod yet: today is the shared lines only.
        assert_eq!(prod.today, prod.shared);
        assert!(prod.projected.low_cents > prod.today.low_cents);
        // In dev the implemented modules are deployed: today ≤ projected.
        assert!(dev.today.low_cents > dev.shared.low_cents, "{dev:?}");
        assert!(dev.today.high_cents <= dev.projected.high_cents);
        // The projection is every estimated line of the section.
        let lines: CostRange = roadmap
            .costs
            .iter()
            .filter(|c| c.environment == env("prod"))
            .flat_map(|c| c.items.iter())
            .fold(ZERO, |s, i| s + i.monthly);
        assert_eq!(prod.projected, lines);
        // Modules without a line are named (the WAF has no prod cost line).
        assert!(!prod.unestimated.is_empty());
    }

    #[test]
    fn retired_modules_leave_the_projection_and_deploying_moves_cost_to_today() {
        let mut roadmap = seed();
        let before = bills(&roadmap)[1].clone();
        let slug = roadmap
            .costs
            .iter()
            .filter(|c| c.environment == env("prod"))
            .flat_map(|c| c.items.iter())
            .find_map(|i| i.module.clone())
            .expect("a prod line with a module");
        let cost = roadmap.estimated_cost(&slug, &env("prod")).unwrap();
        let module = roadmap.modules.iter_mut().find(|m| m.slug == slug).unwrap();
        module.statuses.insert(env("prod"), ModuleStatus::Deployed);
        let deployed = bills(&roadmap)[1].clone();
        assert_eq!(deployed.today, before.today + cost);
        assert_eq!(deployed.projected, before.projected);
        let module = roadmap.modules.iter_mut().find(|m| m.slug == slug).unwrap();
        module.statuses.insert(env("prod"), ModuleStatus::Retired);
        let retired = bills(&roadmap)[1].clone();
        assert_eq!(retired.today, before.today);
        assert_eq!(
            retired.projected.low_cents,
            before.projected.low_cents - cost.low_cents
        );
    }
}
