//! The roadmap's data model: what the team's status document says, structured.
//!
//! A [`Roadmap`] is the whole document; [`Module`]s are its rows. Everything the
//! markdown carries has a field here, so import → export → import is lossless.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::shared::EnvName;

/// A module's stable identifier: its Terraform folder name when it has a path
/// (`modules/ecs-service/` → `ecs-service`), otherwise a slug of its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ModuleSlug(String);

impl ModuleSlug {
    /// Slug for a module: from its path if any, else from its name.
    pub fn derive(name: &str, path: Option<&str>) -> Self {
        let from_path = path
            .and_then(|p| p.trim_end_matches('/').rsplit('/').next())
            .map(slugify)
            .filter(|s| !s.is_empty());
        Self(from_path.unwrap_or_else(|| slugify(strip_module_suffix(name))))
    }

    /// Parses a slug coming from a URL or a form.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("invalid module id {raw:?}"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModuleSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn strip_module_suffix(name: &str) -> &str {
    name.trim().strip_suffix(" Module").unwrap_or(name.trim())
}

/// Lowercase ASCII, runs of anything else collapsed to one `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

pub use gantry_wire::{ModuleStatus, Phase, PriorityLevel, Section};

/// A module's priority: one level for every environment, or per environment
/// ("Low for Dev, High for Prod"), or both ("High, Low for Dev").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Priority {
    /// Applies to every environment without an entry in `per_env`.
    pub default: Option<PriorityLevel>,
    pub per_env: BTreeMap<EnvName, PriorityLevel>,
}

impl Priority {
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.per_env.is_empty()
    }

    /// The priority that applies in `env`.
    pub fn for_env(&self, env: &EnvName) -> Option<PriorityLevel> {
        self.per_env.get(env).copied().or(self.default)
    }

    /// The highest level in any environment (for sorting and the board).
    pub fn highest(&self) -> Option<PriorityLevel> {
        self.per_env.values().copied().chain(self.default).max()
    }
}

/// One infrastructure module (a Terraform module or a supporting piece).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    pub slug: ModuleSlug,
    /// As written: "Networking Module", "ECR Repository", "CloudFront CDN Module".
    pub name: String,
    pub section: Section,
    /// The `###` group inside the implemented section ("Core Infrastructure").
    pub group: Option<String>,
    /// Order within the whole document (0-based).
    pub position: u32,
    /// Terraform path, "modules/networking/".
    pub path: Option<String>,
    /// Remark after the path: "needs creation".
    pub path_note: Option<String>,
    pub purpose: Option<String>,
    pub features: Vec<String>,
    pub priority: Priority,
    /// Free text after "Status:", emoji removed: "Deployed and operational".
    pub status_note: Option<String>,
    /// Free text after "Current:" ("Module exists at `modules/codepipeline/`").
    pub current_note: Option<String>,
    /// A fenced configuration block (HCL) with its language tag.
    pub config: Option<ConfigBlock>,
    /// Status per environment. Every roadmap environment has an entry.
    pub statuses: BTreeMap<EnvName, ModuleStatus>,
    /// Earliest next-steps phase that names this module, or set by hand.
    pub phase: Option<Phase>,
    pub owner: Option<String>,
    /// ISO date (YYYY-MM-DD).
    pub target_date: Option<String>,
    pub notes: Option<String>,
    pub dependencies: Vec<ModuleSlug>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigBlock {
    /// The fence's info string: "hcl".
    pub lang: String,
    /// The block's lines exactly as written (trailing spaces kept), joined by '\n'.
    pub body: String,
}

/// One numbered item of a next-steps phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    pub phase: Phase,
    /// Text without the number, emoji and "(COMPLETED)" marker.
    pub text: String,
    pub completed: bool,
    /// The module this step is about, when one is recognisable.
    pub module: Option<ModuleSlug>,
}

/// A money amount as the document states it: "~$15" or "~$150-200" (whole cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostRange {
    pub low_cents: i64,
    pub high_cents: i64,
}

impl CostRange {
    pub fn exact(cents: i64) -> Self {
        Self {
            low_cents: cents,
            high_cents: cents,
        }
    }
}

impl std::ops::Add for CostRange {
    type Output = CostRange;

    fn add(self, other: CostRange) -> CostRange {
        CostRange {
            low_cents: self.low_cents + other.low_cents,
            high_cents: self.high_cents + other.high_cents,
        }
    }
}

/// The cost estimate of one environment ("### Development Environment").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostSection {
    pub environment: EnvName,
    /// Heading as written without the "(Projected)" marker: "Production Environment".
    pub title: String,
    pub projected: bool,
    pub items: Vec<CostItem>,
    /// The document's own "**Total**" line (not necessarily the sum of the items).
    pub stated_total: Option<CostRange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostItem {
    /// "ECS Fargate"
    pub component: String,
    /// Parenthesised remark after the component: "3-10 tasks".
    pub qualifier: Option<String>,
    pub monthly: CostRange,
    /// The module this component's cost belongs to, when recognisable.
    pub module: Option<ModuleSlug>,
}

/// Everything in the document that is not a module, a next step or a cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMeta {
    /// "Infrastructure Status & Future Modules"
    pub title: String,
    /// "November 2024" (from "## Current Date: …")
    pub current_date: Option<String>,
    /// Paragraph(s) between the date and the first module section.
    pub intro: Option<String>,
    /// The horizon text of each phase heading: Immediate → "This Week".
    pub phase_horizons: BTreeMap<Phase, String>,
    /// "## Notes" bullets.
    pub notes: Vec<String>,
    /// "## Document Updates" bullets: ("Created", "November 2024").
    pub updates: Vec<(String, String)>,
    /// Text after the final `---` rule, emphasis markers removed.
    pub footer: Option<String>,
}

/// The whole roadmap: the document, structured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roadmap {
    pub meta: DocumentMeta,
    /// The environments the roadmap tracks, in display order.
    pub environments: Vec<EnvName>,
    /// In document order (`position` ascending).
    pub modules: Vec<Module>,
    /// In document order, grouped by phase.
    pub next_steps: Vec<NextStep>,
    pub costs: Vec<CostSection>,
}

impl Roadmap {
    pub fn module(&self, slug: &ModuleSlug) -> Option<&Module> {
        self.modules.iter().find(|m| &m.slug == slug)
    }

    /// Estimated monthly cost of a module in an environment: the sum of the cost
    /// items linked to it.
    pub fn estimated_cost(&self, slug: &ModuleSlug, env: &EnvName) -> Option<CostRange> {
        self.costs
            .iter()
            .filter(|c| &c.environment == env)
            .flat_map(|c| c.items.iter())
            .filter(|i| i.module.as_ref() == Some(slug))
            .map(|i| i.monthly)
            .reduce(|a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_prefers_the_terraform_folder() {
        assert_eq!(
            ModuleSlug::derive("ECS Service", Some("modules/ecs-service/")).as_str(),
            "ecs-service"
        );
        assert_eq!(
            ModuleSlug::derive("CloudFront CDN Module", None).as_str(),
            "cloudfront-cdn"
        );
        assert_eq!(
            ModuleSlug::derive("Redis/ElastiCache Module", None).as_str(),
            "redis-elasticache"
        );
    }

    #[test]
    fn env_names_are_validated() {
        assert!(EnvName::parse("prod").is_ok());
        assert!(EnvName::parse("preview-42").is_ok());
        assert!(EnvName::parse("Prod").is_err());
        assert!(EnvName::parse("").is_err());
        assert!(EnvName::parse("9x").is_err());
    }

    #[test]
    fn priority_per_env_overrides_default() {
        let dev = EnvName::parse("dev").unwrap();
        let prod = EnvName::parse("prod").unwrap();
        let p = Priority {
            default: Some(PriorityLevel::Medium),
            per_env: BTreeMap::from([(prod.clone(), PriorityLevel::High)]),
        };
        assert_eq!(p.for_env(&dev), Some(PriorityLevel::Medium));
        assert_eq!(p.for_env(&prod), Some(PriorityLevel::High));
        assert_eq!(p.highest(), Some(PriorityLevel::High));
    }
}
