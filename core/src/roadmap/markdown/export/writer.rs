//! The line buffer the document is written into.

use crate::roadmap::markdown::import::FieldKey;
use crate::roadmap::model::ConfigBlock;

/// Lines, with single blank lines between blocks.
#[derive(Default)]
pub(super) struct Writer {
    lines: Vec<String>,
}

impl Writer {
    pub(super) fn line(&mut self, text: impl Into<String>) {
        self.lines.push(text.into());
    }

    /// A blank line, unless the last line already is one (or there is none).
    pub(super) fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
    }

    /// A `## ` heading between blank lines.
    pub(super) fn section(&mut self, heading: &str) {
        self.blank();
        self.line(format!("## {heading}"));
        self.line("");
    }

    pub(super) fn field(&mut self, bold: bool, key: FieldKey, value: &str) {
        if bold {
            self.line(format!("**{}**: {value}", key.label()).trim_end());
        } else {
            self.line(format!("  - {}: {value}", key.label()).trim_end());
        }
    }

    pub(super) fn fence(&mut self, config: &ConfigBlock, indent: &str) {
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

    pub(super) fn finish(mut self) -> String {
        while self.lines.last().is_some_and(String::is_empty) {
            self.lines.pop();
        }
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }
}

/// Text on one line (the document's fields are single lines).
pub(super) fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
