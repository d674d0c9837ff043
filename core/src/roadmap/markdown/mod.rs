//! The team's markdown status document: import ([`parse_document`]) and export
//! ([`render_document`]).
//!
//! The importer accepts the document as the team writes it, including emoji
//! mangled by a Mac Roman round trip ([`demojibake`]); the exporter writes the
//! same shape with clean emoji, so import → export → import is lossless.

pub mod export;
pub mod import;
mod linking;
pub mod mojibake;

pub use export::render_document;
pub use import::{parse_document, parse_edition, ImportOptions, ParseError, Parsed};
pub use mojibake::demojibake;
