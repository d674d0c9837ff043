//! Heuristics that link next steps and cost items to modules.
//!
//! The document never names a module by its id: a step says "Set up CloudFront
//! CDN", a cost line says "ECS Fargate". The rules, in order:
//!
//! 1. **Keywords of a module**: the words of its slug and of its name,
//!    lowercased, split at anything that is not a letter or digit, minus
//!    [`GENERIC_WORDS`], one-letter words and pure numbers. "Redis/ElastiCache
//!    Module" at `modules/elasticache/` → {elasticache, redis}; "Auto-scaling
//!    Module Enhancements" → {auto, scaling}.
//! 2. **Score**: the number of a module's keywords that occur as words of the
//!    text, a plural "s" on either side ignored ("workers" hits "worker").
//! 3. **Winner**: the module with the highest score, when that score is at
//!    least 1 and no other module reaches it. A tie links nothing: "ECS" alone
//!    names three modules.
//! 4. **Cost items only**: [`COST_ALIASES`] first, for AWS product names that
//!    differ from module names; then the keyword rule on the component (never
//!    the qualifier: "3-10 tasks" is not about the task definition).
//!
//! A module's phase (when the document does not set it) is the earliest phase
//! of the steps linked to it, and only for modules not yet implemented.

use std::collections::{BTreeMap, BTreeSet};

use super::super::model::{Module, ModuleSlug, Phase};

/// Words that say nothing about which module is meant.
///
/// "security" is here because "Security hardening and compliance" is a
/// cross-cutting step, not the "Security Groups" module.
pub(super) const GENERIC_WORDS: &[&str] = &[
    "module",
    "modules",
    "service",
    "services",
    "enhancement",
    "enhancements",
    "management",
    "infrastructure",
    "security",
    "and",
    "the",
    "for",
    "of",
    "to",
    "in",
    "on",
    "with",
    "at",
    "by",
    "an",
    "or",
];

/// AWS product names on cost lines that differ from the module that pays
/// for them: `(word in the component, module slug)`. An alias only applies
/// when the roadmap has a module with that slug.
///
/// - "ECS Fargate" is the Fargate capacity the ECS service runs on → `ecs-service`.
/// - "SSM" (Parameter Store) → `parameter-store`.
/// - "NAT" (gateways of the VPC) → `networking`.
pub(super) const COST_ALIASES: &[(&str, &str)] = &[
    ("fargate", "ecs-service"),
    ("ssm", "parameter-store"),
    ("nat", "networking"),
];

/// The modules' keywords, ready to score texts against.
pub(super) struct Linker {
    modules: Vec<(ModuleSlug, BTreeSet<String>)>,
}

impl Linker {
    pub(super) fn new(modules: &[Module]) -> Self {
        Self::from_names(modules.iter().map(|m| (m.slug.clone(), m.name.as_str())))
    }

    /// From `(slug, name)` pairs.
    pub(super) fn from_names<'a>(modules: impl IntoIterator<Item = (ModuleSlug, &'a str)>) -> Self {
        Self {
            modules: modules
                .into_iter()
                .map(|(slug, name)| {
                    let keywords = keywords(slug.as_str(), name);
                    (slug, keywords)
                })
                .collect(),
        }
    }

    /// The module a next step is about (rules 1–3).
    pub(super) fn link_step(&self, text: &str) -> Option<ModuleSlug> {
        self.best_match(&words(text))
    }

    /// The module a cost component belongs to (rule 4, then rules 1–3).
    pub(super) fn link_cost(&self, component: &str) -> Option<ModuleSlug> {
        let words = words(component);
        let alias = COST_ALIASES.iter().find_map(|&(word, slug)| {
            words
                .iter()
                .any(|w| w == word)
                .then(|| self.modules.iter().find(|(s, _)| s.as_str() == slug))
                .flatten()
                .map(|(s, _)| s.clone())
        });
        alias.or_else(|| self.best_match(&words))
    }

    fn best_match(&self, words: &[String]) -> Option<ModuleSlug> {
        let mut best: Option<&ModuleSlug> = None;
        let mut best_score = 0;
        let mut tied = false;
        for (slug, keywords) in &self.modules {
            let score = keywords
                .iter()
                .filter(|k| words.iter().any(|w| same_word(w, k)))
                .count();
            if score > best_score {
                best = Some(slug);
                best_score = score;
                tied = false;
            } else if score == best_score && score > 0 {
                tied = true;
            }
        }
        if tied {
            None
        } else {
            best.cloned()
        }
    }
}

/// The earliest phase of each module from `(step phase, linked module)` pairs.
pub(super) fn earliest_phases<'a>(
    links: impl IntoIterator<Item = (Phase, Option<&'a ModuleSlug>)>,
) -> BTreeMap<ModuleSlug, Phase> {
    let mut phases: BTreeMap<ModuleSlug, Phase> = BTreeMap::new();
    for (phase, slug) in links {
        if let Some(slug) = slug {
            phases
                .entry(slug.clone())
                .and_modify(|p| *p = (*p).min(phase))
                .or_insert(phase);
        }
    }
    phases
}

/// Lowercased words of `text`: runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn keywords(slug: &str, name: &str) -> BTreeSet<String> {
    words(slug)
        .into_iter()
        .chain(words(name))
        .filter(|w| w.chars().count() > 1)
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| !GENERIC_WORDS.contains(&w.as_str()))
        .collect()
}

/// Equal, or equal but for a plural "s" on one side.
fn same_word(word: &str, keyword: &str) -> bool {
    word == keyword
        || word.strip_suffix('s') == Some(keyword)
        || keyword.strip_suffix('s') == Some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_drop_generic_words() {
        let k = keywords(
            "auto-scaling-module-enhancements",
            "Auto-scaling Module Enhancements",
        );
        assert_eq!(k, BTreeSet::from(["auto".to_owned(), "scaling".to_owned()]));
        let k = keywords("elasticache", "Redis/ElastiCache Module");
        assert_eq!(
            k,
            BTreeSet::from(["elasticache".to_owned(), "redis".to_owned()])
        );
    }

    #[test]
    fn plurals_match() {
        assert!(same_word("workers", "worker"));
        assert!(same_word("endpoint", "endpoints"));
        assert!(!same_word("cdn", "cd"));
    }
}
