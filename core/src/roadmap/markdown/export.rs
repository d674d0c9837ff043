//! [`Roadmap`] → markdown: writes the team's status document.
//!
//! The output has the shape of the original document (see the importer's
//! grammar) with clean emoji. Whatever the model holds beyond what the
//! original shows (per-environment statuses that differ from the section's
//! default, owner, target date, notes, dependencies, a phase that linking
//! would not derive) is written as extra fields the importer reads back, so
//! `parse_document(render_document(r))` gives `r` again for any roadmap that
//! came from a document.

use std::collections::BTreeMap;

use super::super::model::{
    ConfigBlock, CostRange, EnvName, Module, ModuleSlug, Phase, Priority, Roadmap, Section,
};
use super::import::{parse_cost_heading, path_in_note, FieldKey, ENV_WORDS};
use super::linking::{earliest_phases, Linker};

/// Writes the roadmap as the team's markdown status document.
pub fn render_document(roadmap: &Roadmap) -> String {
    let mut w = Writer::default();
    let envs = &roadmap.environments;

    w.line(format!("# {}", one_line(&roadmap.meta.title)).trim_end());
    if let Some(date) = &roadmap.meta.current_date {
        w.blank();
        w.line(format!("## Current Date: {}", one_line(date)));
    }
    if let Some(intro) = &roadmap.meta.intro {
        w.blank();
        for line in intro.lines() {
            w.line(line.trim());
        }
    }

    let derived = derived_phases(roadmap);
    let mut modules: Vec<&Module> = roadmap.modules.iter().collect();
    modules.sort_by_key(|m| (m.section, m.position));
    for section in Section::ALL {
        w.section(section_heading(section));
        let in_section: Vec<&Module> = modules
            .iter()
            .copied()
            .filter(|m| m.section == section)
            .collect();
        if section == Section::Implemented {
            write_implemented(&mut w, &in_section, envs);
            continue;
        }
        for (index, m) in in_section.iter().enumerate() {
            let ctx = ModuleContext {
                envs,
                derived_phase: derived.get(&import_slug(m)).copied(),
            };
            let number = (section == Section::Future).then_some(index + 1);
            write_headed_module(&mut w, m, number, &ctx);
        }
    }

    let horizons = &roadmap.meta.phase_horizons;
    if !roadmap.next_steps.is_empty() || !horizons.is_empty() {
        w.section("🎯 Next Steps Recommendations");
        for phase in Phase::ALL {
            let steps: Vec<_> = roadmap
                .next_steps
                .iter()
                .filter(|s| s.phase == phase && !s.text.trim().is_empty())
                .collect();
            let horizon = horizons.get(&phase).map(|h| one_line(h));
            if steps.is_empty() && horizon.is_none() {
                continue;
            }
            w.blank();
            match horizon {
                Some(h) => w.line(format!("### {} ({h})", phase.title())),
                None => w.line(format!("### {}", phase.title())),
            }
            for (i, step) in steps.iter().enumerate() {
                let text = one_line(&step.text);
                if step.completed {
                    w.line(format!("{}. ✅ {text} (COMPLETED)", i + 1));
                } else {
                    w.line(format!("{}. {text}", i + 1));
                }
            }
        }
    }

    if !roadmap.costs.is_empty() {
        w.section("📊 Current Infrastructure Costs (Estimated)");
        for costs in &roadmap.costs {
            w.blank();
            let title = cost_title(&costs.title, &costs.environment, envs);
            if costs.projected {
                w.line(format!("### {title} (Projected)"));
            } else {
                w.line(format!("### {title}"));
            }
            for item in &costs.items {
                let qualifier = item
                    .qualifier
                    .as_deref()
                    .map(|q| format!(" ({})", one_line(q)))
                    .unwrap_or_default();
                w.line(format!(
                    "- {}{qualifier}: {}",
                    one_line(&item.component),
                    format_amount(item.monthly)
                ));
            }
            if let Some(total) = costs.stated_total {
                w.line(format!("- **Total**: {}", format_amount(total)));
            }
        }
    }

    let notes: Vec<String> = roadmap
        .meta
        .notes
        .iter()
        .map(|n| one_line(n))
        .filter(|n| !n.is_empty())
        .collect();
    if !notes.is_empty() {
        w.section("📝 Notes");
        for note in notes {
            w.line(format!("- {note}"));
        }
    }

    if !roadmap.meta.updates.is_empty() {
        w.section("🔄 Document Updates");
        for (key, value) in &roadmap.meta.updates {
            w.line(format!("- **{}**: {}", one_line(key), one_line(value)).trim_end());
        }
    }

    if let Some(footer) = &roadmap.meta.footer {
        let lines: Vec<&str> = footer
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if !lines.is_empty() {
            w.blank();
            w.line("---");
            w.line("");
            w.line(format!("*{}*", lines.join("\n")));
        }
    }

    w.finish()
}

/// Lines, with single blank lines between blocks.
#[derive(Default)]
struct Writer {
    lines: Vec<String>,
}

impl Writer {
    fn line(&mut self, text: impl Into<String>) {
        self.lines.push(text.into());
    }

    /// A blank line, unless the last line already is one (or there is none).
    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
    }

    /// A `## ` heading between blank lines.
    fn section(&mut self, heading: &str) {
        self.blank();
        self.line(format!("## {heading}"));
        self.line("");
    }

    fn field(&mut self, bold: bool, key: FieldKey, value: &str) {
        if bold {
            self.line(format!("**{}**: {value}", key.label()).trim_end());
        } else {
            self.line(format!("  - {}: {value}", key.label()).trim_end());
        }
    }

    fn fence(&mut self, config: &ConfigBlock, indent: &str) {
        let longest_run = config
            .body
            .lines()
            .map(|l| l.trim_start().chars().take_while(|c| *c == '`').count())
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(longest_run.max(2) + 1);
        self.line(format!("{indent}{fence}{}", one_line(&config.lang)));
        if !config.body.is_empty() {
            for line in config.body.split('\n') {
                self.line(format!("{indent}{line}"));
            }
        }
        self.line(format!("{indent}{fence}"));
    }

    fn finish(mut self) -> String {
        while self.lines.last().is_some_and(String::is_empty) {
            self.lines.pop();
        }
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }
}

fn section_heading(section: Section) -> &'static str {
    match section {
        Section::Implemented => "✅ Currently Implemented Modules",
        Section::Ready => "🚧 Modules Ready but Not Deployed",
        Section::Future => "📋 Future Modules to Implement",
    }
}

/// Text on one line (the document's fields are single lines).
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The slug the importer will give the module back.
fn import_slug(m: &Module) -> ModuleSlug {
    ModuleSlug::derive(&m.name, m.path.as_deref())
}

/// The phase the importer would derive for each module from the next steps.
fn derived_phases(roadmap: &Roadmap) -> BTreeMap<ModuleSlug, Phase> {
    let linker = Linker::from_names(
        roadmap
            .modules
            .iter()
            .map(|m| (import_slug(m), m.name.as_str())),
    );
    let links: Vec<(Phase, Option<ModuleSlug>)> = roadmap
        .next_steps
        .iter()
        .map(|s| (s.phase, linker.link_step(&one_line(&s.text))))
        .collect();
    earliest_phases(links.iter().map(|(p, s)| (*p, s.as_ref())))
}

struct ModuleContext<'a> {
    envs: &'a [EnvName],
    /// What the importer would set as phase without a `Phase` field.
    derived_phase: Option<Phase>,
}

/// The `Environments` value when some status differs from the section's default.
fn environments_value(m: &Module, envs: &[EnvName]) -> Option<String> {
    let status = |env: &EnvName| {
        m.statuses
            .get(env)
            .copied()
            .unwrap_or_else(|| m.section.default_status(env))
    };
    let differs = envs
        .iter()
        .any(|e| status(e) != m.section.default_status(e));
    differs.then(|| {
        envs.iter()
            .map(|e| format!("{e} {}", status(e).label()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// "High", "High for Production", "Low for Dev, High for Prod".
fn priority_value(p: &Priority, envs: &[EnvName]) -> String {
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

fn dependencies_value(deps: &[ModuleSlug]) -> String {
    deps.iter()
        .map(ModuleSlug::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn phase_value(phase: Option<Phase>) -> &'static str {
    phase.map_or("None", Phase::title)
}

/// Implemented modules: groups in first-appearance order (modules without a
/// group first), bullet form or, for modules with nothing but a status,
/// inline form.
fn write_implemented(w: &mut Writer, modules: &[&Module], envs: &[EnvName]) {
    let mut groups: Vec<Option<String>> = vec![None];
    for m in modules {
        let g = group_of(m);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for group in groups {
        let members: Vec<&&Module> = modules.iter().filter(|m| group_of(m) == group).collect();
        if members.is_empty() {
            continue;
        }
        if let Some(g) = &group {
            w.blank();
            w.line(format!("### {g}"));
        }
        let mut previous_inline: Option<bool> = None;
        for m in members {
            let inline = is_inline(m, envs);
            if previous_inline.is_some_and(|p| !(p && inline)) {
                w.blank();
            }
            previous_inline = Some(inline);
            write_implemented_module(w, m, inline, envs);
        }
    }
}

fn group_of(m: &Module) -> Option<String> {
    m.group.as_deref().map(one_line).filter(|g| !g.is_empty())
}

fn is_inline(m: &Module, envs: &[EnvName]) -> bool {
    m.path.is_none()
        && m.path_note.is_none()
        && m.features.iter().all(|f| f.trim().is_empty())
        && m.purpose.is_none()
        && m.priority.is_empty()
        && m.current_note.is_none()
        && m.config.is_none()
        && environments_value(m, envs).is_none()
        && m.phase.is_none()
        && m.owner.is_none()
        && m.target_date.is_none()
        && m.notes.is_none()
        && m.dependencies.is_empty()
}

fn write_implemented_module(w: &mut Writer, m: &Module, inline: bool, envs: &[EnvName]) {
    let name = one_line(&m.name);
    if inline {
        match m.status_note.as_deref().map(one_line) {
            Some(note) => w.line(format!("- **{name}**: ✅ {note}")),
            None => w.line(format!("- **{name}**")),
        }
        return;
    }
    let mut header = format!("- **{name}**");
    if let Some(path) = &m.path {
        header.push_str(&format!(" (`{}`)", one_line(path)));
    }
    if let Some(note) = &m.path_note {
        header.push_str(&format!(" ({})", one_line(note)));
    }
    w.line(header);
    for feature in m
        .features
        .iter()
        .map(|f| one_line(f))
        .filter(|f| !f.is_empty())
    {
        w.line(format!("  - {feature}"));
    }
    if let Some(note) = &m.status_note {
        w.field(false, FieldKey::Status, &format!("✅ {}", one_line(note)));
    }
    write_common_fields(w, m, false, envs, m.phase.is_some());
    if let Some(config) = &m.config {
        w.field(false, FieldKey::Configuration, "");
        w.fence(config, "    ");
    }
}

/// The fields both forms share, in the document's order.
fn write_common_fields(
    w: &mut Writer,
    m: &Module,
    bold: bool,
    envs: &[EnvName],
    write_phase: bool,
) {
    if !m.priority.is_empty() {
        w.field(bold, FieldKey::Priority, &priority_value(&m.priority, envs));
    }
    if let Some(purpose) = &m.purpose {
        w.field(bold, FieldKey::Purpose, &one_line(purpose));
    }
    if let Some(current) = &m.current_note {
        w.field(bold, FieldKey::Current, &one_line(current));
    }
    if bold {
        if let Some(note) = &m.status_note {
            w.field(bold, FieldKey::Status, &one_line(note));
        }
    }
    if let Some(value) = environments_value(m, envs) {
        w.field(bold, FieldKey::Environments, &value);
    }
    if write_phase {
        w.field(bold, FieldKey::Phase, phase_value(m.phase));
    }
    if let Some(owner) = &m.owner {
        w.field(bold, FieldKey::Owner, &one_line(owner));
    }
    if let Some(target) = &m.target_date {
        w.field(bold, FieldKey::Target, &one_line(target));
    }
    if !m.dependencies.is_empty() {
        w.field(
            bold,
            FieldKey::DependsOn,
            &dependencies_value(&m.dependencies),
        );
    }
    if let Some(notes) = &m.notes {
        w.field(bold, FieldKey::Notes, &one_line(notes));
    }
}

/// Ready and Future modules: `### [n. ]Name` and `**Key**: value` fields.
fn write_headed_module(w: &mut Writer, m: &Module, number: Option<usize>, ctx: &ModuleContext<'_>) {
    w.blank();
    let name = one_line(&m.name);
    match number {
        Some(n) => w.line(format!("### {n}. {name}")),
        None => w.line(format!("### {name}")),
    }
    if let Some(value) = path_value(m) {
        w.field(true, FieldKey::Path, &value);
    }
    write_common_fields(w, m, true, ctx.envs, m.phase != ctx.derived_phase);
    if let Some(group) = group_of(m) {
        w.field(true, FieldKey::Group, &group);
    }
    let features: Vec<String> = m
        .features
        .iter()
        .map(|f| one_line(f))
        .filter(|f| !f.is_empty())
        .collect();
    if !features.is_empty() {
        w.field(true, FieldKey::Features, "");
        for feature in features {
            w.line(format!("- {feature}"));
        }
    }
    if let Some(config) = &m.config {
        w.field(true, FieldKey::Configuration, "");
        w.fence(config, "");
    }
}

/// The `**Path**:` value, or `None` when the importer finds the path anyway
/// (in the Current note, as for CodePipeline) or there is nothing to say.
fn path_value(m: &Module) -> Option<String> {
    let from_current = m.current_note.as_deref().and_then(path_in_note);
    let note = m
        .path_note
        .as_deref()
        .map(|n| format!(" ({})", one_line(n)))
        .unwrap_or_default();
    match (&m.path, from_current) {
        (Some(path), Some(found)) if *path == found && m.path_note.is_none() => None,
        (Some(path), _) => Some(format!("`{}`{note}", one_line(path))),
        (None, Some(_)) => Some(format!("none{note}")),
        (None, None) if note.is_empty() => None,
        (None, None) => Some(note.trim_start().to_owned()),
    }
}

/// The cost heading: the title when it names the section's environment,
/// otherwise one that does.
fn cost_title(title: &str, env: &EnvName, envs: &[EnvName]) -> String {
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
fn format_amount(range: CostRange) -> String {
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
