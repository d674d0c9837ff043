//! How far the rollout has come: modules deployed out of those planned, per
//! environment and per phase, and one module's own path through the
//! statuses with the dates its history gives. Pure.

use serde::{Deserialize, Serialize};

use super::model::{Module, ModuleStatus};
use super::store::HistoryEntry;
use crate::shared::EnvName;

/// Deployed out of the modules that count (every status but retired).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub deployed: usize,
    pub total: usize,
}

impl Tally {
    fn add(&mut self, status: Option<ModuleStatus>) {
        match status {
            Some(ModuleStatus::Retired) | None => {}
            Some(ModuleStatus::Deployed) => {
                self.deployed += 1;
                self.total += 1;
            }
            Some(_) => self.total += 1,
        }
    }

    /// Whole percent, rounded down (0 of 0 is 0 %).
    pub fn percent(&self) -> usize {
        (self.deployed * 100).checked_div(self.total).unwrap_or(0)
    }
}

/// Each environment's tally over `modules` (the whole roadmap, a phase's
/// column of the board, …).
pub fn by_environment(environments: &[EnvName], modules: &[&Module]) -> Vec<(EnvName, Tally)> {
    environments
        .iter()
        .map(|env| {
            let mut tally = Tally::default();
            for module in modules {
                tally.add(module.statuses.get(env).copied());
            }
            (env.clone(), tally)
        })
        .collect()
}

/// One step of a module's path in an environment: the status it reached and
/// when (the history's timestamp).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathStep {
    pub status: ModuleStatus,
    pub at: String,
}

/// The statuses the module went through in each environment, oldest first,
/// from its history: the status it was created with (dated by the
/// `created` row), then each `status.<env>` change. Without a `created` row
/// the first status is undated (`at` empty).
pub fn path(
    environments: &[EnvName],
    current: impl Fn(&EnvName) -> Option<ModuleStatus>,
    history: &[HistoryEntry],
) -> Vec<(EnvName, Vec<PathStep>)> {
    let created = history
        .iter()
        .filter(|h| h.field == "created")
        .map(|h| h.at.clone())
        .min()
        .unwrap_or_default();
    environments
        .iter()
        .map(|env| {
            let field = format!("status.{env}");
            let mut changes: Vec<&HistoryEntry> =
                history.iter().filter(|h| h.field == field).collect();
            changes.sort_by(|a, b| a.at.cmp(&b.at));
            let first = match changes.first() {
                Some(change) => change
                    .from
                    .as_deref()
                    .and_then(|from| ModuleStatus::parse(from).ok()),
                None => current(env),
            };
            let mut steps: Vec<PathStep> = first
                .map(|status| PathStep {
                    status,
                    at: created.clone(),
                })
                .into_iter()
                .collect();
            steps.extend(changes.into_iter().filter_map(|h| {
                Some(PathStep {
                    status: ModuleStatus::parse(h.to.as_deref()?).ok()?,
                    at: h.at.clone(),
                })
            }));
            (env.clone(), steps)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roadmap::model::Phase;

    fn env(name: &str) -> EnvName {
        EnvName::parse(name).unwrap()
    }

    fn entry(at: &str, field: &str, from: Option<&str>, to: &str) -> HistoryEntry {
        HistoryEntry {
            at: at.into(),
            actor: "x".into(),
            source: "ui".into(),
            field: field.into(),
            from: from.map(str::to_owned),
            to: Some(to.into()),
        }
    }

    #[test]
    fn tallies_count_deployed_out_of_all_but_retired() {
        let mut t = Tally::default();
        for s in [
            Some(ModuleStatus::Deployed),
            Some(ModuleStatus::Planned),
            Some(ModuleStatus::Retired),
            Some(ModuleStatus::InProgress),
            None,
        ] {
            t.add(s);
        }
        assert_eq!(
            t,
            Tally {
                deployed: 1,
                total: 3
            }
        );
        assert_eq!(t.percent(), 33);
        assert_eq!(Tally::default().percent(), 0);
    }

    #[test]
    fn the_seed_documents_progress() {
        let roadmap = crate::roadmap::markdown::import::parse_document(
            include_str!("../../../fixtures/infrastructure-status.md"),
            &crate::roadmap::markdown::import::ImportOptions {
                environments: vec![env("dev"), env("prod")],
                strict: false,
            },
        )
        .expect("the seed parses");
        let every: Vec<&Module> = roadmap.modules.iter().collect();
        let all = by_environment(&roadmap.environments, &every);
        let (dev, prod) = (all[0].1, all[1].1);
        assert_eq!(all[0].0, env("dev"));
        // Implemented modules are deployed in dev and ready in prod.
        assert!(dev.deployed > 0 && dev.deployed < dev.total, "{dev:?}");
        assert_eq!(prod.deployed, 0);
        assert_eq!(dev.total, roadmap.modules.len());
        // The phases and the modules without one add up to the whole.
        let mut summed = 0;
        for phase in Phase::ALL.iter().copied().map(Some).chain([None]) {
            let of_phase: Vec<&Module> = roadmap
                .modules
                .iter()
                .filter(|m| m.phase == phase)
                .collect();
            summed += by_environment(&roadmap.environments, &of_phase)[0].1.total;
        }
        assert_eq!(summed, dev.total);
    }

    #[test]
    fn a_modules_path_follows_its_history_in_date_order() {
        let history = vec![
            entry(
                "2024-12-03T10:00:00Z",
                "status.prod",
                Some("in_progress"),
                "deployed",
            ),
            entry("2024-11-01T09:00:00Z", "created", None, "CDN"),
            entry(
                "2024-11-20T09:00:00Z",
                "status.prod",
                Some("ready"),
                "in_progress",
            ),
            entry("2024-11-20T09:00:00Z", "owner", None, "platform"),
        ];
        let envs = [env("dev"), env("prod")];
        let path = path(&envs, |_| Some(ModuleStatus::Planned), &history);
        let steps = |i: usize| -> Vec<(ModuleStatus, String)> {
            path[i].1.iter().map(|s| (s.status, s.at.clone())).collect()
        };
        // No change in dev: its status since the module was created.
        assert_eq!(
            steps(0),
            vec![(ModuleStatus::Planned, "2024-11-01T09:00:00Z".into())]
        );
        assert_eq!(
            steps(1),
            vec![
                (ModuleStatus::Ready, "2024-11-01T09:00:00Z".into()),
                (ModuleStatus::InProgress, "2024-11-20T09:00:00Z".into()),
                (ModuleStatus::Deployed, "2024-12-03T10:00:00Z".into()),
            ]
        );
        // Without a created row, the first status is undated.
        let undated = super::path(&envs, |_| Some(ModuleStatus::Ready), &[]);
        assert_eq!(
            undated[1].1,
            vec![PathStep {
                status: ModuleStatus::Ready,
                at: String::new()
            }]
        );
    }
}
