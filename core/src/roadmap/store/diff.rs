//! A module's fields as the text its history shows, and the field-by-field
//! differences between two versions of it. Pure: no I/O.

use std::collections::BTreeMap;

use crate::roadmap::model::{Module, ModuleSlug, ModuleStatus, Priority};

/// The module with every environment's status set to retired.
pub(crate) fn retired(module: &Module) -> Module {
    let mut retired = module.clone();
    for status in retired.statuses.values_mut() {
        *status = ModuleStatus::Retired;
    }
    retired
}

/// Field-by-field differences, as display text, for the history.
pub(crate) fn diff(old: &Module, new: &Module) -> Vec<(String, Option<String>, Option<String>)> {
    let before = describe(old);
    let mut after = describe(new);
    let mut changes = Vec::new();
    for (field, from) in before {
        let to = after.remove(&field).flatten();
        if from != to {
            changes.push((field, from, to));
        }
    }
    for (field, to) in after {
        if to.is_some() {
            changes.push((field, None, to));
        }
    }
    changes
}

fn describe(m: &Module) -> BTreeMap<String, Option<String>> {
    let mut fields: BTreeMap<String, Option<String>> = BTreeMap::from([
        ("name".into(), Some(m.name.clone())),
        ("section".into(), Some(m.section.as_str().into())),
        ("group".into(), m.group.clone()),
        ("path".into(), m.path.clone()),
        ("path_note".into(), m.path_note.clone()),
        ("purpose".into(), m.purpose.clone()),
        ("features".into(), non_empty(m.features.join("; "))),
        ("priority".into(), non_empty(priority_text(&m.priority))),
        ("status_note".into(), m.status_note.clone()),
        ("current_note".into(), m.current_note.clone()),
        ("config".into(), m.config.as_ref().map(|c| c.body.clone())),
        ("phase".into(), m.phase.map(|p| p.as_str().into())),
        ("owner".into(), m.owner.clone()),
        ("target_date".into(), m.target_date.clone()),
        ("notes".into(), m.notes.clone()),
        (
            "dependencies".into(),
            non_empty(
                m.dependencies
                    .iter()
                    .map(ModuleSlug::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
    ]);
    for (env, status) in &m.statuses {
        fields.insert(format!("status.{env}"), Some(status.as_str().into()));
    }
    fields
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// "high; dev: low" — for history and display.
pub fn priority_text(p: &Priority) -> String {
    let mut parts: Vec<String> = p.default.iter().map(|l| l.as_str().to_owned()).collect();
    parts.extend(
        p.per_env
            .iter()
            .map(|(env, l)| format!("{env}: {}", l.as_str())),
    );
    parts.join("; ")
}
