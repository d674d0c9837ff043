//! The "Ready" and "Future" module sections: `### [1.] Name` headings with
//! `**Key**: value` fields.

use super::document::DocParser;
use super::fields::FieldKey;
use super::grammar::{bold_field, bullet, heading3};
use super::lines::Item;
use super::modules::{attach_config, Draft};
use super::sections::SectionKind;
use super::{ParseError, Result};
use crate::roadmap::model::Section;

impl DocParser<'_> {
    /// "Ready" and "Future": `### [1.] Name` then `**Key**: value` fields,
    /// `- ` bullets after `**Features**:`, a code block after
    /// `**Configuration Needed**:`.
    pub(super) fn parse_headed_modules(&mut self, section: Section, items: &[&Item]) -> Result<()> {
        let section_name = SectionKind::Modules(section).name();
        let mut current: Option<Draft> = None;
        let mut in_features = false;
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
                        "unexpected code block: a configuration block follows a module's \"**Configuration Needed**:\" line",
                    )?;
                    in_features = false;
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
                    "expected a ``` code block after \"**Configuration Needed**:\"",
                ));
            }
            if let Some(heading) = heading3(text) {
                self.finish_module(current.take())?;
                in_features = false;
                let name = strip_order_number(heading);
                if name.is_empty() {
                    return Err(ParseError::new(
                        no,
                        "empty module heading: expected '### Name'",
                    ));
                }
                current = Some(self.new_draft(no, name, section, None));
                continue;
            }
            if text.starts_with('#') {
                return Err(ParseError::new(
                    no,
                    format!("unexpected heading {text:?}: modules are '### ' headings"),
                ));
            }
            if let Some((key, value)) = bold_field(text) {
                let Some(draft) = current.as_mut() else {
                    return Err(ParseError::new(
                        no,
                        format!("module field {key:?} comes before any module: expected a '### Name' heading first"),
                    ));
                };
                let Some(field) = FieldKey::parse(key) else {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unknown field {key:?} in module {:?}: expected one of {}",
                            draft.module.name,
                            FieldKey::expected_list()
                        ),
                    ));
                };
                self.apply_field(draft, field, value, no)?;
                in_features = field == FieldKey::Features;
                if field == FieldKey::Configuration {
                    pending_config = Some(no);
                }
                continue;
            }
            if let Some((_, content)) = bullet(text) {
                match current.as_mut() {
                    Some(draft) if in_features => {
                        if content.is_empty() {
                            return Err(ParseError::new(no, "empty feature bullet"));
                        }
                        draft.module.features.push(content.to_owned());
                    }
                    Some(draft) => {
                        return Err(ParseError::new(
                            no,
                            format!(
                                "unexpected bullet {content:?} in module {:?}: feature bullets follow a \"**Features**:\" line",
                                draft.module.name
                            ),
                        ))
                    }
                    None => {
                        return Err(ParseError::new(
                            no,
                            format!("bullet {content:?} comes before any module: expected a '### Name' heading first"),
                        ))
                    }
                }
                continue;
            }
            return Err(ParseError::new(
                no,
                format!(
                    "unexpected text {:?} in {section_name:?}: expected a '### Name' heading, a '**Field**: value' line or a feature bullet",
                    text.trim()
                ),
            ));
        }
        if let Some(line) = pending_config {
            return Err(ParseError::new(
                line,
                "expected a ``` code block after \"**Configuration Needed**:\"",
            ));
        }
        self.finish_module(current)
    }
}

/// "1. CloudFront CDN Module" → "CloudFront CDN Module".
fn strip_order_number(heading: &str) -> &str {
    let digits = heading.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        if let Some(rest) = heading
            .get(digits..)
            .and_then(|r| r.strip_prefix('.').or_else(|| r.strip_prefix(')')))
            .filter(|r| r.starts_with(char::is_whitespace))
        {
            return rest.trim();
        }
    }
    heading.trim()
}
