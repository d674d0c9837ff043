//! A module being read: its draft, its fields applied one by one, and its id
//! checked when it is complete.

use super::document::DocParser;
use super::fields::{
    parse_dependencies, parse_path_value, parse_target_date, path_in_note, FieldKey,
};
use super::grammar::{non_empty, strip_symbols};
use super::sections::SectionKind;
use super::vocab::{parse_env_statuses, parse_phase_value, parse_priority};
use super::{ParseError, Result};
use crate::roadmap::identity::{merge, same_module, Sameness};
use crate::roadmap::model::{ConfigBlock, Module, ModuleSlug, Priority, Section};

/// A fenced block is a module's configuration only right after its
/// "Configuration Needed" line (`pending` holds that line's number); anywhere
/// else it is an error saying `misplaced`.
pub(super) fn attach_config(
    pending: Option<usize>,
    current: Option<&mut Draft>,
    no: usize,
    lang: &str,
    body: &str,
    misplaced: &str,
) -> Result<()> {
    match (pending, current) {
        (Some(_), Some(draft)) => {
            draft.module.config = Some(ConfigBlock {
                lang: lang.to_owned(),
                body: body.to_owned(),
            });
            Ok(())
        }
        _ => Err(ParseError::new(no, misplaced)),
    }
}

/// A module being read, with what the finishing step needs.
pub(super) struct Draft {
    pub(super) line: usize,
    pub(super) module: Module,
    pub(super) seen: Vec<FieldKey>,
    pub(super) explicit_phase: bool,
    pub(super) explicit_no_path: bool,
}

impl DocParser<'_> {
    pub(super) fn new_draft(
        &self,
        line: usize,
        name: &str,
        section: Section,
        group: Option<String>,
    ) -> Draft {
        let statuses = self
            .envs()
            .iter()
            .map(|e| (e.clone(), section.default_status(e.as_str())))
            .collect();
        Draft {
            line,
            module: Module {
                slug: ModuleSlug::derive(name, None),
                name: name.to_owned(),
                section,
                group,
                position: 0,
                path: None,
                path_note: None,
                purpose: None,
                features: Vec::new(),
                priority: Priority::default(),
                status_note: None,
                current_note: None,
                config: None,
                statuses,
                phase: None,
                owner: None,
                target_date: None,
                notes: None,
                dependencies: Vec::new(),
            },
            seen: Vec::new(),
            explicit_phase: false,
            explicit_no_path: false,
        }
    }

    /// Derives the slug and stores the module, merged into its twin when
    /// the document lists it twice.
    pub(super) fn finish_module(&mut self, draft: Option<Draft>) -> Result<()> {
        let Some(mut draft) = draft else {
            return Ok(());
        };
        let m = &mut draft.module;
        if m.path.is_none() && !draft.explicit_no_path && m.section != Section::Implemented {
            m.path = m.current_note.as_deref().and_then(path_in_note);
        }
        m.slug = ModuleSlug::derive(&m.name, m.path.as_deref());
        if m.slug.as_str().is_empty() {
            return Err(ParseError::new(
                draft.line,
                format!(
                    "module {:?} has no letters or digits to derive its id from",
                    m.name
                ),
            ));
        }
        if let Some(twin) = self.twin_of(&draft.module) {
            return self.merge_twin(twin, draft);
        }
        draft.module.position = u32::try_from(self.modules.len()).unwrap_or(u32::MAX);
        self.modules.push(draft);
        Ok(())
    }

    /// The module already read that `module` is another entry of.
    fn twin_of(&self, module: &Module) -> Option<(usize, Sameness)> {
        self.modules
            .iter()
            .enumerate()
            .find_map(|(i, d)| same_module(&d.module, module).map(|why| (i, why)))
    }

    /// A module listed twice is one module (the more advanced entry wins,
    /// see [`merge`]), with a warning naming both lines; in strict mode, an
    /// error instead.
    fn merge_twin(&mut self, (index, why): (usize, Sameness), draft: Draft) -> Result<()> {
        let first = &self.modules[index];
        let why = why.describe();
        let merged = merge(&first.module, &draft.module);
        let message = format!(
            "{:?} is the same module as {:?} (line {}): {why}",
            draft.module.name, first.module.name, first.line
        );
        if self.opts.strict {
            return Err(ParseError::new(
                draft.line,
                format!("duplicate module: {message} (strict: refused, nothing imported)"),
            ));
        }
        let statuses = merged
            .statuses
            .iter()
            .map(|(env, status)| format!("{env} {}", status.label()))
            .collect::<Vec<_>>()
            .join(", ");
        self.warnings.push(ParseError::new(
            draft.line,
            format!(
                "{message}; imported once, in {:?} ({statuses})",
                SectionKind::Modules(merged.section).name()
            ),
        ));
        let kept = &mut self.modules[index];
        kept.explicit_phase |= draft.explicit_phase;
        kept.module = merged;
        Ok(())
    }

    /// Applies one field to the module being read.
    pub(super) fn apply_field(
        &self,
        draft: &mut Draft,
        key: FieldKey,
        value: &str,
        line: usize,
    ) -> Result<()> {
        if draft.seen.contains(&key) {
            return Err(ParseError::new(
                line,
                format!(
                    "duplicate field {:?} in module {:?}",
                    key.label(),
                    draft.module.name
                ),
            ));
        }
        draft.seen.push(key);
        let at = |message: String| ParseError::new(line, message);
        let m = &mut draft.module;
        match key {
            FieldKey::Path => {
                let v = parse_path_value(value).map_err(at)?;
                m.path = v.path;
                m.path_note = v.note;
                draft.explicit_no_path = v.explicit_none;
            }
            FieldKey::Priority => m.priority = parse_priority(value, self.envs()).map_err(at)?,
            FieldKey::Purpose => m.purpose = non_empty(value),
            FieldKey::Current => m.current_note = non_empty(value),
            FieldKey::Status => m.status_note = non_empty(strip_symbols(value)),
            FieldKey::Environments => {
                for (env, status) in parse_env_statuses(value, self.envs()).map_err(at)? {
                    m.statuses.insert(env, status);
                }
            }
            FieldKey::Phase => {
                m.phase = parse_phase_value(value).map_err(at)?;
                draft.explicit_phase = true;
            }
            FieldKey::Owner => m.owner = non_empty(value),
            FieldKey::Target => m.target_date = parse_target_date(value).map_err(at)?,
            FieldKey::DependsOn => m.dependencies = parse_dependencies(value).map_err(at)?,
            FieldKey::Notes => m.notes = non_empty(value),
            FieldKey::Group => m.group = non_empty(value),
            FieldKey::Features | FieldKey::Configuration => {
                if !value.trim().is_empty() {
                    return Err(at(format!(
                        "{:?} takes no value on its line: the {} follow on the next lines",
                        key.label(),
                        if key == FieldKey::Features {
                            "features (\"- \" bullets)"
                        } else {
                            "configuration (a ``` code block)"
                        }
                    )));
                }
            }
        }
        Ok(())
    }
}
