//! Markdown → [`Roadmap`]: reads the team's status document.
//!
//! The document's grammar, as the team writes it (see
//! `fixtures/infrastructure-status.md`):
//!
//! ```text
//! # Title
//! ## Current Date: November 2024
//! intro paragraph(s)
//! ## ✅ Currently Implemented Modules     (### group headings, "- **Name** (`path`)" bullets)
//! ## 🚧 Modules Ready but Not Deployed    ("### Name" headings, "**Key**: value" fields)
//! ## 📋 Future Modules to Implement       (same, "### 1. Name")
//! ## 🎯 Next Steps Recommendations        ("### Immediate (This Week)", numbered steps)
//! ## 📊 Current Infrastructure Costs      ("### Development Environment", "- X: ~$15/month")
//! ## 📝 Notes                             ("- " bullets)
//! ## 🔄 Document Updates                  ("- **Created**: November 2024")
//! ---
//! *footer*
//! ```
//!
//! Every line outside code blocks first goes through
//! [`demojibake`](super::mojibake::demojibake), so the mangled emoji of the
//! original document read like clean ones. Anything the grammar has no place
//! for is an error naming its line: nothing is dropped silently.
//!
//! The parser is split by responsibility: `lines` cuts the text into lines
//! and code blocks, `grammar` reads the small line forms, `document` walks
//! the `## ` sections (`sections`) and hands each to its reader: `prose`
//! for the intro, footer, notes and updates, `implemented` and `headed`
//! for the module sections (with `modules` and `fields`), `next_steps`
//! and `costs`; `vocab` holds the words for environments, priorities,
//! statuses and phases.

mod costs;
mod document;
mod fields;
mod grammar;
mod headed;
mod implemented;
mod lines;
mod modules;
mod next_steps;
mod prose;
mod sections;
mod vocab;

use crate::roadmap::model::Roadmap;
use crate::shared::EnvName;
use document::DocParser;
use lines::tokenize;

pub(super) use costs::parse_cost_heading;
pub(super) use fields::{path_in_note, FieldKey};
pub(super) use vocab::ENV_WORDS;

/// What the document itself does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The environments the roadmap tracks; every module gets a status in each.
    pub environments: Vec<EnvName>,
    /// Refuse a module listed twice instead of merging the two entries.
    pub strict: bool,
}

/// A document read, with what was merged on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub roadmap: Roadmap,
    /// One per module listed twice (merged into one), naming both lines.
    pub warnings: Vec<ParseError>,
}

pub use crate::error::ParseError;

type Result<T> = std::result::Result<T, ParseError>;

/// Parses the status document into a [`Roadmap`].
///
/// Next steps and cost items are linked to modules by the heuristics of the
/// `linking` module; a module's phase, unless a `Phase` field sets it, is the
/// earliest phase of the steps linked to it (not for implemented modules).
pub fn parse_document(text: &str, opts: &ImportOptions) -> Result<Roadmap> {
    parse_edition(text, opts).map(|parsed| parsed.roadmap)
}

/// Parses an edition of the status document: the roadmap and the warnings
/// of what was merged (a module listed twice is one module, unless
/// `opts.strict` refuses it).
pub fn parse_edition(text: &str, opts: &ImportOptions) -> Result<Parsed> {
    let items = tokenize(text)?;
    let mut parser = DocParser::new(opts);
    parser.run(&items)?;
    let warnings = std::mem::take(&mut parser.warnings);
    Ok(Parsed {
        roadmap: parser.finish()?,
        warnings,
    })
}
