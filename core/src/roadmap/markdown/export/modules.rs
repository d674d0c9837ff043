//! The module blocks: implemented modules as bullets, Ready and Future
//! modules as `### ` headings with `**Key**: value` fields.

use super::values::{dependencies_value, environments_value, phase_value, priority_value};
use super::writer::{one_line, Writer};
use crate::roadmap::markdown::import::{path_in_note, FieldKey};
use crate::roadmap::model::{Module, Phase};
use crate::shared::EnvName;

/// What writing a Ready or Future module needs besides the module.
pub(super) struct ModuleContext<'a> {
    pub(super) envs: &'a [EnvName],
    /// What the importer would set as phase without a `Phase` field.
    pub(super) derived_phase: Option<Phase>,
}

/// Implemented modules: groups in first-appearance order (modules without a
/// group first), bullet form or, for modules with nothing but a status,
/// inline form.
pub(super) fn write_implemented(w: &mut Writer, modules: &[&Module], envs: &[EnvName]) {
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
pub(super) fn write_headed_module(
    w: &mut Writer,
    m: &Module,
    number: Option<usize>,
    ctx: &ModuleContext<'_>,
) {
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
