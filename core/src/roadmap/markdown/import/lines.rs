//! Line scanning: the document cut into lines and fenced code blocks.

use super::{ParseError, Result};
use crate::roadmap::markdown::mojibake::demojibake;

#[derive(Debug)]
pub(super) enum Item {
    /// A line outside code blocks: mojibake repaired, trailing whitespace trimmed.
    Line { no: usize, text: String },
    /// A fenced code block, its body exactly as written (minus the fence's
    /// own indentation).
    Fence {
        no: usize,
        lang: String,
        body: String,
    },
}

impl Item {
    pub(super) fn no(&self) -> usize {
        match self {
            Item::Line { no, .. } | Item::Fence { no, .. } => *no,
        }
    }

    pub(super) fn is_blank(&self) -> bool {
        matches!(self, Item::Line { text, .. } if text.trim().is_empty())
    }
}

struct FenceOpen {
    indent: usize,
    marker: char,
    len: usize,
    lang: String,
}

fn fence_open(line: &str) -> Option<FenceOpen> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == marker).count();
    let info = trimmed.get(len..)?;
    if len < 3 || (marker == '`' && info.contains('`')) {
        return None;
    }
    Some(FenceOpen {
        indent,
        marker,
        len,
        lang: info.trim().to_owned(),
    })
}

fn is_fence_close(line: &str, open: &FenceOpen) -> bool {
    let t = line.trim();
    t.chars().count() >= open.len && t.chars().all(|c| c == open.marker)
}

/// Removes up to `indent` leading spaces.
fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.chars().take(indent).take_while(|c| *c == ' ').count();
    line.get(spaces..).unwrap_or(line)
}

pub(super) fn tokenize(text: &str) -> Result<Vec<Item>> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let raw: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(&line) = raw.get(i) {
        let no = i + 1;
        let Some(open) = fence_open(line) else {
            items.push(Item::Line {
                no,
                text: demojibake(line).trim_end().to_owned(),
            });
            i += 1;
            continue;
        };
        let mut body = Vec::new();
        let mut j = i + 1;
        loop {
            match raw.get(j) {
                None => {
                    let fence: String = std::iter::repeat_n(open.marker, open.len).collect();
                    return Err(ParseError::new(
                        no,
                        format!("code block opened here is never closed: expected a closing {fence} line"),
                    ));
                }
                Some(l) if is_fence_close(l, &open) => break,
                Some(l) => body.push(strip_indent(l, open.indent)),
            }
            j += 1;
        }
        items.push(Item::Fence {
            no,
            lang: open.lang,
            body: body.join("\n"),
        });
        i = j + 1;
    }
    Ok(items)
}
