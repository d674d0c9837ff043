//! Audit: an append-only log of every state-changing action in Gantry.
//!
//! Each change writes, in the same transaction as the change itself
//! (an [`AuditedTx`], which commits a change only with its record), a record of who did what to which thing,
//! with the state before and after. Every record carries an HMAC-SHA256 of its
//! content and of the previous record's MAC ([`chain`]), under a key kept
//! outside the database ([`keys`]), so [`store::verify`] finds any record edited
//! or removed behind the application's back, even by someone who can write to
//! the database; the chain's head is also appended to a checkpoint file
//! ([`checkpoint`]) so that removing the newest records is found too. Triggers
//! refuse UPDATE and DELETE in the database as well. Records written before a
//! key was configured stay verifiable as legacy SHA-256 records.
//!
//! Never put secrets (passwords, tokens, keys, session ids) in a record: the log
//! is kept forever and exported ([`export`]).

pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod keys;
pub mod model;
pub mod service;
pub mod store;
pub mod tx;

pub use keys::{AuditKey, AuditKeyring, AuditSettings};
pub use model::{
    AuditFilter, AuditPage, AuditRecord, CheckpointCheck, NewAuditEntry, PageRequest, VerifyReport,
};
pub use tx::AuditedTx;
