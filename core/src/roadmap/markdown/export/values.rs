//! Field values as the document writes them: environments, priorities,
//! dependencies, phases, cost headings and amounts.

use super::writer::one_line;
use crate::roadmap::markdown::import::{parse_cost_heading, ENV_WORDS};
use crate::roadmap::model::{CostRange, Module, ModuleSlug, Phase, Priority};
use crate::shared::EnvName;

/// The `Environments` value when some status differs from the section's default.
pub(super) fn environments_value(m: &Module, envs: &[EnvName]) -> Option<String> {
    let status = |env: &EnvName| {
        m.statuses
            .get(env)
            .copied()
            .unwrap_or_else(|| m.section.default_status(env.as_str()))
    };
    let differs = envs
        .iter()
        .any(|e| status(e) != m.section.default_status(e.as_str()));
    differs.then(|| {
        envs.iter()
            .map(|e| format!("{e} {}", status(e).label()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// "High", "High for Production", "Low for Dev, High for Prod".
pub(super) fn priority_value(p: &Priority, envs: &[EnvName]) -> String {
    let mut per_env: Vec<(&EnvName, _)> = p.per_env.iter().collect();
    per_env.sort_by_key(|(e, _)| {
        (
            envs.iter().position(|c| c == *e).unwrap_or(usize::MAX),
            (*e).clone(),
        )
    });
    let long = p.default.is_none() && per_env.len() == 1;
    p.default
        .map(|d| d.title().to_owned())
        .into_iter()
        .chain(
            per_env
                .into_iter()
                .map(|(e, level)| format!("{} for {}", level.title(), env_label(e, long))),
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// "Production"/"Prod" for the usual environments, the name otherwise.
fn env_label(env: &EnvName, long: bool) -> String {
    let family = ENV_WORDS
        .iter()
        .find(|(_, words)| words.contains(&env.as_str()))
        .map(|(canonical, _)| *canonical);
    match (family, long) {
        (Some("dev"), true) => "Development".to_owned(),
        (Some("dev"), false) => "Dev".to_owned(),
        (Some("staging"), _) => "Staging".to_owned(),
        (Some("prod"), true) => "Production".to_owned(),
        (Some("prod"), false) => "Prod".to_owned(),
        _ => env.to_string(),
    }
}

pub(super) fn dependencies_value(deps: &[ModuleSlug]) -> String {
    deps.iter()
        .map(ModuleSlug::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn phase_value(phase: Option<Phase>) -> &'static str {
    phase.map_or("None", Phase::title)
}

/// The cost heading: the title when it names the section's environment,
/// otherwise one that does.
pub(super) fn cost_title(title: &str, env: &EnvName, envs: &[EnvName]) -> String {
    let title = one_line(title);
    let reads_back = parse_cost_heading(&title, envs)
        .is_ok_and(|c| &c.environment == env && c.title == title && !c.projected);
    if reads_back {
        title
    } else if title.is_empty() {
        format!("{} Environment", env_label(env, true))
    } else {
        format!("{title} ({env})")
    }
}

/// "~$15/month", "~$150-200/month", "~$1,200.50/month".
pub(super) fn format_amount(range: CostRange) -> String {
    if range.low_cents == range.high_cents {
        format!("~${}/month", dollars(range.low_cents))
    } else {
        format!(
            "~${}-{}/month",
            dollars(range.low_cents),
            dollars(range.high_cents)
        )
    }
}

fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match cents % 100 {
        0 => format!("{sign}{grouped}"),
        frac => format!("{sign}{grouped}.{frac:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roadmap::model::PriorityLevel;

    fn env(name: &str) -> EnvName {
        EnvName::parse(name).unwrap()
    }

    #[test]
    fn amounts() {
        assert_eq!(format_amount(CostRange::exact(1500)), "~$15/month");
        assert_eq!(
            format_amount(CostRange {
                low_cents: 15000,
                high_cents: 20000
            }),
            "~$150-200/month"
        );
        assert_eq!(format_amount(CostRange::exact(120_050)), "~$1,200.50/month");
        assert_eq!(dollars(100_000_000), "1,000,000");
        assert_eq!(dollars(5), "0.05");
    }

    #[test]
    fn priorities() {
        let envs = vec![env("dev"), env("prod")];
        let mut p = Priority::default();
        p.per_env.insert(env("prod"), PriorityLevel::High);
        assert_eq!(priority_value(&p, &envs), "High for Production");
        p.per_env.insert(env("dev"), PriorityLevel::Low);
        assert_eq!(priority_value(&p, &envs), "Low for Dev, High for Prod");
        p.default = Some(PriorityLevel::Medium);
        assert_eq!(
            priority_value(&p, &envs),
            "Medium, Low for Dev, High for Prod"
        );
    }
}
