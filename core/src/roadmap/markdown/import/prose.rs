//! The prose around the modules: the intro, the footer, the notes and the
//! document updates.

use super::document::DocParser;
use super::grammar::{bold_field, bullet, non_empty};
use super::lines::Item;
use super::{ParseError, Result};

impl DocParser<'_> {
    pub(super) fn parse_preamble(&mut self, items: &[&Item]) -> Result<()> {
        let mut paragraph: Vec<&str> = Vec::new();
        for item in items {
            match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(
                        *no,
                        "unexpected code block before the first section",
                    ))
                }
                Item::Line { no, text } if text.trim_start().starts_with('#') => {
                    return Err(ParseError::new(
                        *no,
                        format!(
                            "unexpected heading {:?} before the first section: sections are '## ' headings",
                            text.trim()
                        ),
                    ))
                }
                Item::Line { text, .. } if text.trim().is_empty() => {
                    if !paragraph.is_empty() {
                        self.intro.push(paragraph.join("\n"));
                        paragraph.clear();
                    }
                }
                Item::Line { text, .. } => paragraph.push(text.trim()),
            }
        }
        if !paragraph.is_empty() {
            self.intro.push(paragraph.join("\n"));
        }
        Ok(())
    }

    pub(super) fn parse_footer(&mut self, items: &[&Item]) -> Result<()> {
        let mut lines: Vec<&str> = Vec::new();
        for item in items {
            match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(
                        *no,
                        "unexpected code block after the closing '---' rule",
                    ))
                }
                Item::Line { no, text } if text.trim_start().starts_with('#') => {
                    return Err(ParseError::new(
                        *no,
                        format!(
                            "unexpected heading {:?} after the closing '---' rule",
                            text.trim()
                        ),
                    ))
                }
                Item::Line { text, .. } if !text.trim().is_empty() => lines.push(text.trim()),
                Item::Line { .. } => {}
            }
        }
        let text = lines.join("\n");
        let mut footer = text.as_str();
        for marker in ['*', '_'] {
            if let Some(inner) = footer
                .strip_prefix(marker)
                .and_then(|f| f.strip_suffix(marker))
            {
                footer = inner;
                break;
            }
        }
        self.meta.footer = non_empty(footer);
        Ok(())
    }

    pub(super) fn parse_notes(&mut self, items: &[&Item]) -> Result<()> {
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(*no, "unexpected code block in \"Notes\""))
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            match bullet(text) {
                Some((_, note)) if !note.is_empty() => self.meta.notes.push(note.to_owned()),
                _ => {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unexpected text {:?} in \"Notes\": expected '- ' bullets",
                            text.trim()
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    pub(super) fn parse_updates(&mut self, items: &[&Item]) -> Result<()> {
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(
                        *no,
                        "unexpected code block in \"Document Updates\"",
                    ))
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            let entry = bullet(text).and_then(|(_, c)| {
                bold_field(c).or_else(|| c.split_once(':').map(|(k, v)| (k.trim(), v.trim())))
            });
            match entry {
                Some((key, value)) if !key.is_empty() => self
                    .meta
                    .updates
                    .push((key.to_owned(), value.to_owned())),
                _ => {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unexpected text {:?} in \"Document Updates\": expected '- **Created**: November 2024' lines",
                            text.trim()
                        ),
                    ))
                }
            }
        }
        Ok(())
    }
}
