//! The document's `## ` sections, recognised by their keywords.

use super::grammar::strip_symbols;
use crate::roadmap::model::Section;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum SectionKind {
    Modules(Section),
    NextSteps,
    Costs,
    Notes,
    Updates,
}

impl SectionKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            SectionKind::Modules(Section::Implemented) => "Currently Implemented Modules",
            SectionKind::Modules(Section::Ready) => "Modules Ready but Not Deployed",
            SectionKind::Modules(Section::Future) => "Future Modules to Implement",
            SectionKind::NextSteps => "Next Steps",
            SectionKind::Costs => "Costs",
            SectionKind::Notes => "Notes",
            SectionKind::Updates => "Document Updates",
        }
    }
}

pub(super) const EXPECTED_SECTIONS: &str =
    "\"Current Date: …\", \"Currently Implemented Modules\", \
    \"Modules Ready but Not Deployed\", \"Future Modules to Implement\", \"Next Steps\", \
    \"Costs\", \"Notes\", \"Document Updates\"";

pub(super) enum Heading<'a> {
    CurrentDate(&'a str),
    Section(SectionKind),
}

/// Recognises a `## ` heading by its keywords, emoji and case aside.
pub(super) fn classify(heading: &str) -> Option<Heading<'_>> {
    let s = strip_symbols(heading).trim();
    const DATE: &str = "current date";
    if s.get(..DATE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(DATE))
    {
        let value = s.get(DATE.len()..).unwrap_or_default();
        return Some(Heading::CurrentDate(
            value.trim().trim_start_matches(':').trim(),
        ));
    }
    let lower = s.to_lowercase();
    let has_word = |w: &str| lower.split(|c: char| !c.is_alphanumeric()).any(|x| x == w);
    let kind = if lower.contains("currently implemented") {
        SectionKind::Modules(Section::Implemented)
    } else if lower.contains("ready but not deployed") {
        SectionKind::Modules(Section::Ready)
    } else if lower.contains("future modules") {
        SectionKind::Modules(Section::Future)
    } else if lower.contains("next steps") {
        SectionKind::NextSteps
    } else if has_word("costs") || has_word("cost") {
        SectionKind::Costs
    } else if lower.contains("document updates") {
        SectionKind::Updates
    } else if has_word("notes") {
        SectionKind::Notes
    } else {
        return None;
    };
    Some(Heading::Section(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_classified_by_keywords() {
        let kind = |h: &str| match classify(h) {
            Some(Heading::Section(k)) => Some(k),
            _ => None,
        };
        assert_eq!(
            kind("✅ Currently Implemented Modules"),
            Some(SectionKind::Modules(Section::Implemented))
        );
        assert_eq!(
            kind("📊 Current Infrastructure Costs (Estimated)"),
            Some(SectionKind::Costs)
        );
        assert_eq!(kind("notes"), Some(SectionKind::Notes));
        assert_eq!(kind("Installation"), None);
        assert!(matches!(
            classify("Current Date: November 2024"),
            Some(Heading::CurrentDate("November 2024"))
        ));
    }
}
