//! The "Next Steps" section: phase headings and numbered steps.

use super::document::DocParser;
use super::grammar::{bullet, heading3, non_empty, numbered, split_trailing_parens, strip_symbols};
use super::lines::Item;
use super::vocab::phase_from_words;
use super::{ParseError, Result};
use crate::roadmap::model::{NextStep, Phase};

impl DocParser<'_> {
    pub(super) fn parse_next_steps(&mut self, items: &[&Item]) -> Result<()> {
        let mut phase: Option<Phase> = None;
        for item in items {
            let (no, text) = match item {
                Item::Fence { no, .. } => {
                    return Err(ParseError::new(
                        *no,
                        "unexpected code block in \"Next Steps\"",
                    ))
                }
                Item::Line { no, text } => (*no, text.as_str()),
            };
            if text.trim().is_empty() {
                continue;
            }
            if let Some(heading) = heading3(text) {
                let (title, horizon) = split_trailing_parens(heading);
                let p = phase_from_words(title).ok_or_else(|| {
                    ParseError::new(
                        no,
                        format!("unknown phase {title:?}: expected Immediate, Short Term, Medium Term or Long Term"),
                    )
                })?;
                if let Some(first) = self.phases_seen.insert(p, no) {
                    return Err(ParseError::new(
                        no,
                        format!("duplicate phase {:?} (first at line {first})", p.title()),
                    ));
                }
                if let Some(horizon) = horizon.and_then(non_empty) {
                    self.meta.phase_horizons.insert(p, horizon);
                }
                phase = Some(p);
                continue;
            }
            let Some(content) = numbered(text).or_else(|| bullet(text).map(|(_, c)| c)) else {
                return Err(ParseError::new(
                    no,
                    format!(
                        "unexpected text {:?} in \"Next Steps\": expected a phase heading such as '### Immediate (This Week)' or a numbered step '1. …'",
                        text.trim()
                    ),
                ));
            };
            let Some(phase) = phase else {
                return Err(ParseError::new(
                    no,
                    "step comes before any phase heading: expected '### Immediate (This Week)' or similar first",
                ));
            };
            let (step_text, completed) = parse_step(content);
            if step_text.is_empty() {
                return Err(ParseError::new(no, "empty step"));
            }
            self.steps.push(NextStep {
                phase,
                text: step_text,
                completed,
                module: None,
            });
        }
        Ok(())
    }
}

/// "✅ Fix ALB health checks (COMPLETED)" → ("Fix ALB health checks", true).
fn parse_step(content: &str) -> (String, bool) {
    let text = strip_symbols(content);
    let marker = content
        .get(..content.len() - text.len())
        .unwrap_or_default();
    let mut completed = marker.contains(['✅', '✔', '☑']);
    let mut text = text.trim();
    const DONE: &str = "(completed)";
    if text.len() >= DONE.len() {
        let cut = text.len() - DONE.len();
        if let (Some(head), Some(tail)) = (text.get(..cut), text.get(cut..)) {
            if tail.eq_ignore_ascii_case(DONE) {
                completed = true;
                text = head.trim_end();
            }
        }
    }
    (text.to_owned(), completed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(
            parse_step("✅ Fix ALB health checks (COMPLETED)"),
            ("Fix ALB health checks".to_owned(), true)
        );
        assert_eq!(
            parse_step("Set up CloudFront CDN"),
            ("Set up CloudFront CDN".to_owned(), false)
        );
        assert_eq!(
            parse_step("Ship it (completed)"),
            ("Ship it".to_owned(), true)
        );
    }
}
