//! The vocabulary of field values: environments, priorities, statuses and
//! phases.

use crate::roadmap::model::{ModuleStatus, Phase, Priority, PriorityLevel};
use crate::shared::EnvName;

/// The words that name the usual environments: `(canonical name, words)`.
pub(in crate::roadmap::markdown) const ENV_WORDS: [(&str, &[&str]); 3] = [
    ("dev", &["dev", "development"]),
    ("staging", &["staging", "stage"]),
    ("prod", &["prod", "production"]),
];

/// The environment a word names: a configured environment's exact name, or a
/// word of [`ENV_WORDS`] (then the configured environment of that family, or
/// the canonical name when none is configured).
pub(super) fn resolve_env(word: &str, configured: &[EnvName]) -> Option<EnvName> {
    let word = word.trim().to_lowercase();
    if let Some(env) = configured.iter().find(|e| e.as_str() == word) {
        return Some(env.clone());
    }
    let (canonical, family) = ENV_WORDS
        .iter()
        .find(|(_, family)| family.contains(&word.as_str()))?;
    configured
        .iter()
        .find(|e| family.contains(&e.as_str()))
        .cloned()
        .or_else(|| EnvName::parse(canonical).ok())
}

/// Recognises a phase: "Immediate", "Short Term", "short", "Long term".
pub(super) fn phase_from_words(text: &str) -> Option<Phase> {
    let lower = text.trim().to_lowercase();
    let lower = lower.strip_suffix(" term").unwrap_or(&lower).trim();
    Phase::parse(lower).ok()
}

/// "High", "High for Production", "Low for Dev, High for Prod",
/// "High, Low for Dev", "Medium for Dev and Staging".
pub(super) fn parse_priority(raw: &str, envs: &[EnvName]) -> std::result::Result<Priority, String> {
    let mut priority = Priority::default();
    if raw.trim().is_empty() {
        return Ok(priority);
    }
    let unreadable = || {
        format!(
            "cannot read priority {raw:?}: expected a level (Low, Medium or High), optionally per \
             environment, e.g. \"High\", \"High for Production\" or \"Low for Dev, High for Prod\""
        )
    };
    for part in raw.split(',') {
        let part = part.trim();
        let lower = part.to_lowercase();
        let Some(at) = lower.find(" for ") else {
            let level = PriorityLevel::parse(part).map_err(|_| unreadable())?;
            if priority.default.is_some() {
                return Err(format!(
                    "priority {raw:?} gives more than one level for all environments"
                ));
            }
            priority.default = Some(level);
            continue;
        };
        let level = lower
            .get(..at)
            .and_then(|level| PriorityLevel::parse(level).ok())
            .ok_or_else(unreadable)?;
        let env_words = lower.get(at + " for ".len()..).unwrap_or_default();
        let env_words = env_words.replace(" and ", "&");
        for word in env_words.split(['&', '/']).map(str::trim) {
            let env = resolve_env(word, envs).ok_or_else(|| {
                format!(
                    "unknown environment {word:?} in priority {raw:?}: expected dev/development, \
                     staging/stage, prod/production or one of the roadmap's environments ({})",
                    env_list(envs)
                )
            })?;
            if priority.per_env.insert(env.clone(), level).is_some() {
                return Err(format!(
                    "priority {raw:?} names environment {env} more than once"
                ));
            }
        }
    }
    Ok(priority)
}

pub(super) fn env_list(envs: &[EnvName]) -> String {
    if envs.is_empty() {
        "none configured".to_owned()
    } else {
        envs.iter()
            .map(EnvName::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// "dev deployed, prod in progress".
pub(super) fn parse_env_statuses(
    raw: &str,
    envs: &[EnvName],
) -> std::result::Result<Vec<(EnvName, ModuleStatus)>, String> {
    let mut out: Vec<(EnvName, ModuleStatus)> = Vec::new();
    for part in raw.split(',').map(str::trim) {
        let Some((word, status)) = part.split_once(char::is_whitespace) else {
            return Err(format!(
                "cannot read {part:?} in Environments: expected \"<environment> <status>\", e.g. \"dev deployed, prod in progress\""
            ));
        };
        let word = word.trim_end_matches(':');
        let env = resolve_env(word, envs)
            .filter(|e| envs.contains(e))
            .ok_or_else(|| {
                format!(
                    "unknown environment {word:?} in Environments: the roadmap's environments are {}",
                    env_list(envs)
                )
            })?;
        let status = ModuleStatus::parse(status).map_err(|_| {
            format!(
                "unknown status {:?} for {env}: expected planned, ready, in progress, deployed or retired",
                status.trim()
            )
        })?;
        if out.iter().any(|(e, _)| e == &env) {
            return Err(format!("environment {env} appears twice in Environments"));
        }
        out.push((env, status));
    }
    Ok(out)
}

/// "Short Term", "short", "None".
pub(super) fn parse_phase_value(raw: &str) -> std::result::Result<Option<Phase>, String> {
    let v = raw.trim();
    if v.eq_ignore_ascii_case("none") || v == "-" {
        return Ok(None);
    }
    phase_from_words(v).map(Some).ok_or_else(|| {
        format!(
            "unknown phase {v:?}: expected Immediate, Short Term, Medium Term, Long Term or None"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envs() -> Vec<EnvName> {
        vec![
            EnvName::parse("dev").unwrap(),
            EnvName::parse("prod").unwrap(),
        ]
    }

    fn env(name: &str) -> EnvName {
        EnvName::parse(name).unwrap()
    }

    #[test]
    fn priorities() {
        let p = parse_priority("High", &envs()).unwrap();
        assert_eq!(p.default, Some(PriorityLevel::High));
        assert!(p.per_env.is_empty());

        let p = parse_priority("High for Production", &envs()).unwrap();
        assert_eq!(p.default, None);
        assert_eq!(p.per_env.get(&env("prod")), Some(&PriorityLevel::High));

        let p = parse_priority("Low for Dev, Medium for Prod", &envs()).unwrap();
        assert_eq!(p.per_env.get(&env("dev")), Some(&PriorityLevel::Low));
        assert_eq!(p.per_env.get(&env("prod")), Some(&PriorityLevel::Medium));

        let p = parse_priority("high, low for development and staging", &envs()).unwrap();
        assert_eq!(p.default, Some(PriorityLevel::High));
        assert_eq!(p.per_env.get(&env("dev")), Some(&PriorityLevel::Low));
        assert_eq!(p.per_env.get(&env("staging")), Some(&PriorityLevel::Low));

        assert!(parse_priority("Very High", &envs()).is_err());
        assert!(parse_priority("High for Mars", &envs()).is_err());
        assert!(parse_priority("High, Low", &envs()).is_err());
        assert!(parse_priority("High for Dev, Low for Development", &envs()).is_err());
    }

    #[test]
    fn configured_env_names_resolve() {
        let configured = vec![env("production"), env("preview-42")];
        assert_eq!(resolve_env("Prod", &configured), Some(env("production")));
        assert_eq!(
            resolve_env("preview-42", &configured),
            Some(env("preview-42"))
        );
        assert_eq!(resolve_env("Dev", &configured), Some(env("dev")));
        assert_eq!(resolve_env("qa", &configured), None);
    }

    #[test]
    fn env_statuses() {
        let s = parse_env_statuses("dev deployed, prod in progress", &envs()).unwrap();
        assert_eq!(
            s,
            vec![
                (env("dev"), ModuleStatus::Deployed),
                (env("prod"), ModuleStatus::InProgress)
            ]
        );
        assert!(parse_env_statuses("staging deployed", &envs()).is_err());
        assert!(parse_env_statuses("dev done", &envs()).is_err());
        assert!(parse_env_statuses("dev", &envs()).is_err());
    }
}
