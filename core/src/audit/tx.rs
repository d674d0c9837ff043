//! [`AuditedTx`]: the one way to commit a change to Gantry's state.
//!
//! A change and the audit record that says who made it commit together or not
//! at all. Before this type every store wrote the same ritual by hand (begin,
//! take the append lock, change, append, commit, checkpoint), and a site that
//! forgot a step compiled and ran: a change without its record, a record whose
//! head was never checkpointed. Now a transaction that changes state is an
//! `AuditedTx`; its [`commit`](AuditedTx::commit) refuses (and rolls back)
//! when no record was appended, and checkpoints the chain's new head after the
//! commit. Dropping it rolls everything back, records included.
//!
//! The only writes that bypass it are the ones that are not actions: a job's
//! log lines and heartbeats, a session's role re-confirmation, the cost and
//! health caches.

use std::ops::{Deref, DerefMut};

use sqlx::{Any, AnyConnection, Transaction};

use super::model::{AuditRecord, NewAuditEntry};
use super::store;
use crate::db::{Backend, Db};
use crate::error::{CoreError, CoreResult};

/// An open write transaction that must record what it does in the audit log
/// before it may commit. It dereferences to the connection, so the change's
/// own SQL runs on `&mut *tx` (or `&mut tx` where a `&mut AnyConnection` is
/// expected), exactly as on a plain transaction.
pub struct AuditedTx<'d> {
    tx: Transaction<'static, Any>,
    db: &'d Db,
    last: Option<AuditRecord>,
}

impl<'d> AuditedTx<'d> {
    /// A write transaction: SQLite's write lock is taken now (`BEGIN
    /// IMMEDIATE`, so a transaction that reads before it writes never fails to
    /// upgrade); on PostgreSQL the audit chain's lock is taken by the first
    /// [`record`](Self::record), and rows are locked by the change itself
    /// (`FOR UPDATE`).
    pub async fn begin(db: &'d Db) -> CoreResult<Self> {
        let tx = match db.backend() {
            Backend::Sqlite => db.pool().begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => db.pool().begin().await?,
        };
        Ok(Self { tx, db, last: None })
    }

    /// [`begin`](Self::begin), then the audit chain's lock at once on
    /// PostgreSQL too (an advisory lock held to the end): for a change that
    /// reads, checks and then writes state no row lock covers (a roadmap
    /// edit's version, an environment's settings), so two such changes run
    /// one after the other on every backend.
    pub async fn begin_serialized(db: &'d Db) -> CoreResult<Self> {
        let mut tx = Self::begin(db).await?;
        store::lock_for_write(&mut tx.tx, db.backend()).await?;
        Ok(tx)
    }

    /// Appends `entry` to the audit chain inside this transaction and returns
    /// the record as it will be stored. Refused entries (see
    /// [`store::append`]) fail the call; the transaction stays open, and
    /// dropping it rolls back.
    pub async fn record(&mut self, entry: &NewAuditEntry) -> CoreResult<AuditRecord> {
        let record = store::append(&mut self.tx, self.db, entry).await?;
        self.last = Some(record.clone());
        Ok(record)
    }

    /// Whether a record has been appended yet.
    pub fn is_recorded(&self) -> bool {
        self.last.is_some()
    }

    /// Commits the change and its records, then checkpoints the chain's new
    /// head; returns the last record. Without any record the transaction is
    /// rolled back and [`CoreError::Unaudited`] returned: nothing commits
    /// unrecorded.
    pub async fn commit(self) -> CoreResult<AuditRecord> {
        let Some(last) = self.last else {
            self.tx.rollback().await?;
            return Err(CoreError::Unaudited(
                "a change reached commit without an audit record; it was rolled back".into(),
            ));
        };
        self.tx.commit().await?;
        store::checkpoint(self.db, &last).await;
        Ok(last)
    }

    /// Rolls the change and its records back (as dropping does, but waiting
    /// for the database to confirm).
    pub async fn rollback(self) -> CoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// [`record`](Self::record) `entry`, then [`commit`](Self::commit).
    pub async fn commit_with(mut self, entry: &NewAuditEntry) -> CoreResult<AuditRecord> {
        self.record(entry).await?;
        self.commit().await
    }

    /// Commits when something was recorded (returning the last record);
    /// otherwise rolls back and returns `None`. For a transaction that may turn
    /// out to change nothing (a seed whose every item already exists).
    pub async fn commit_if_recorded(self) -> CoreResult<Option<AuditRecord>> {
        if self.is_recorded() {
            self.commit().await.map(Some)
        } else {
            self.tx.rollback().await?;
            Ok(None)
        }
    }
}

impl Deref for AuditedTx<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for AuditedTx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
