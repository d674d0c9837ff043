//! [`Roadmap`] → markdown: writes the team's status document.
//!
//! The output has the shape of the original document (see the importer's
//! grammar) with clean emoji. Whatever the model holds beyond what the
//! original shows (per-environment statuses that differ from the section's
//! default, owner, target date, notes, dependencies, a phase that linking
//! would not derive) is written as extra fields the importer reads back, so
//! `parse_document(render_document(r))` gives `r` again for any roadmap that
//! came from a document.
//!
//! The writer is split by responsibility: this file lays out the document,
//! `modules` writes the module blocks, `values` formats field values
//! (priorities, environments, amounts) and `writer` holds the line buffer.

mod modules;
mod values;
mod writer;

use std::collections::BTreeMap;

use super::linking::{earliest_phases, Linker};
use crate::roadmap::model::{Module, ModuleSlug, Phase, Roadmap, Section};
use modules::{write_headed_module, write_implemented, ModuleContext};
use values::{cost_title, format_amount};
use writer::{one_line, Writer};

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
    for section in Section::ALL.iter().copied() {
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
        for phase in Phase::ALL.iter().copied() {
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

fn section_heading(section: Section) -> &'static str {
    match section {
        Section::Implemented => "✅ Currently Implemented Modules",
        Section::Ready => "🚧 Modules Ready but Not Deployed",
        Section::Future => "📋 Future Modules to Implement",
    }
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
