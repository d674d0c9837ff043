//! Audit: an append-only log of every state-changing action in Gantry.
//!
//! Each change writes, in the same transaction as the change itself
//! ([`store::append`] on `&mut *tx`), a record of who did what to which thing,
//! with the state before and after. Every record carries the SHA-256 of its
//! content and of the previous record's hash ([`chain`]), so [`store::verify`]
//! finds any record edited or removed behind the application's back; triggers
//! refuse UPDATE and DELETE in the database as well.
//!
//! Never put secrets (passwords, tokens, keys, session ids) in a record: the log
//! is kept forever and exported ([`export`]).

pub mod chain;
pub mod export;
pub mod model;
pub mod store;

pub use model::{AuditFilter, AuditPage, AuditRecord, NewAuditEntry, PageRequest, VerifyReport};
