//! The "Currently Implemented Modules" section: `### Group` headings and
//! `- **Name** (`path`)` bullets with indented sub-bullets.

use super::document::DocParser;
use super::fields::FieldKey;
use super::grammar::{
    bold_field, bullet, code_span, heading3, non_empty, paren_groups, strip_symbols,
};
use super::lines::Item;
use super::modules::{attach_config, Draft};
use super::{ParseError, Result};
use crate::roadmap::model::Section;

impl DocParser<'_> {
    /// "Currently Implemented": `### Group`, `- **Name** (`path`)` with
    /// indented sub-bullets, or `- **Name**: ✅ status`.
    pub(super) fn parse_implemented(&mut self, items: &[&Item]) -> Result<()> {
        let mut group: Option<String> = None;
        let mut current: Option<Draft> = None;
        let mut pending_config: Option<usize> = None;
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, lang, body } => {
                    attach_config(
                        pending_config.take(),
                        current.as_mut(),
                        *no,
                        lang,
                        body,
                        "unexpected code block: a configuration block follows a \"- Configuration Needed:\" line of a module",
                    )?;
                    continue;
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            if let Some(line) = pending_config {
                return Err(ParseError::new(
                    line,
                    "expected a ``` code block after \"Configuration Needed:\"",
                ));
            }
            if let Some(name) = heading3(text) {
                self.finish_module(current.take())?;
                if name.is_empty() {
                    return Err(ParseError::new(no, "empty group heading"));
                }
                group = Some(name.to_owned());
                continue;
            }
            if text.starts_with('#') {
                return Err(ParseError::new(
                    no,
                    format!("unexpected heading {text:?}: expected a '### ' group heading"),
                ));
            }
            match bullet(text) {
                Some((0, content)) => {
                    self.finish_module(current.take())?;
                    current = Some(self.implemented_header(no, content, group.clone())?);
                }
                Some((_, content)) => {
                    let Some(draft) = current.as_mut() else {
                        return Err(ParseError::new(
                            no,
                            format!("{content:?} comes before any module: expected a module bullet '- **Name** (`path`)' first"),
                        ));
                    };
                    let field = content
                        .split_once(':')
                        .and_then(|(k, v)| Some((FieldKey::parse(k)?, v)))
                        .or_else(|| {
                            bold_field(content).and_then(|(k, v)| Some((FieldKey::parse(k)?, v)))
                        })
                        .filter(|(k, _)| k.is_implemented_field());
                    match field {
                        Some((FieldKey::Configuration, value)) => {
                            self.apply_field(draft, FieldKey::Configuration, value, no)?;
                            pending_config = Some(no);
                        }
                        Some((key, value)) => self.apply_field(draft, key, value, no)?,
                        None if content.is_empty() => {
                            return Err(ParseError::new(no, "empty feature bullet"))
                        }
                        None => draft.module.features.push(content.to_owned()),
                    }
                }
                None => {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unexpected text {:?} in \"Currently Implemented Modules\": expected a '### ' group, \
                             a module bullet '- **Name** (`path`)' or an indented '- ' line under a module",
                            text.trim()
                        ),
                    ))
                }
            }
        }
        if let Some(line) = pending_config {
            return Err(ParseError::new(
                line,
                "expected a ``` code block after \"Configuration Needed:\"",
            ));
        }
        self.finish_module(current)
    }

    /// `**Name** (`path`) (note)` or `**Name**: ✅ status`.
    fn implemented_header(&self, no: usize, content: &str, group: Option<String>) -> Result<Draft> {
        let expected = "expected a module bullet '- **Name** (`path`)' or '- **Name**: ✅ status'";
        let Some((name, rest)) = content.strip_prefix("**").and_then(|c| c.split_once("**")) else {
            return Err(ParseError::new(
                no,
                format!("unexpected bullet {content:?}: {expected}"),
            ));
        };
        let (name, rest) = match name.trim().strip_suffix(':') {
            Some(name) => (name.trim(), format!(":{rest}")),
            None => (name.trim(), rest.trim().to_owned()),
        };
        if name.is_empty() {
            return Err(ParseError::new(
                no,
                format!("empty module name: {expected}"),
            ));
        }
        let mut draft = self.new_draft(no, name, Section::Implemented, group);
        if let Some(status) = rest.strip_prefix(':') {
            draft.module.status_note = non_empty(strip_symbols(status));
            draft.seen.push(FieldKey::Status);
            return Ok(draft);
        }
        let groups = paren_groups(&rest).map_err(|e| {
            ParseError::new(no, format!("cannot read module {name:?}: {e}; {expected}"))
        })?;
        let (path, note) = match groups.as_slice() {
            [] => (None, None),
            [first] => match code_span(first) {
                Some(path) => (non_empty(path), None),
                None => (None, non_empty(first)),
            },
            [first, note] => match code_span(first) {
                Some(path) => (non_empty(path), non_empty(note)),
                None => {
                    return Err(ParseError::new(
                        no,
                        format!(
                        "cannot read module {name:?}: the path goes in backticks: (`modules/x/`)"
                    ),
                    ))
                }
            },
            _ => {
                return Err(ParseError::new(
                    no,
                    format!("cannot read module {name:?}: {expected}"),
                ))
            }
        };
        draft.module.path = path;
        draft.module.path_note = note;
        Ok(draft)
    }
}
