//! The audit page's use case: one page of the log, newest first.

use super::model::{AuditFilter, AuditPage, PageRequest};
use crate::db::Db;
use crate::error::CoreResult;

/// Records per page of the audit page.
pub const PAGE_SIZE: u32 = 50;

/// The page of records matching `filter` older than record `before` (the
/// previous page's `next_before_id`), [`PAGE_SIZE`] at most. Empty filter
/// fields match everything; a malformed date is refused with its field named.
pub async fn page(db: &Db, filter: &AuditFilter, before: Option<i64>) -> CoreResult<AuditPage> {
    super::store::query(
        db,
        filter,
        &PageRequest {
            before_id: before,
            limit: PAGE_SIZE,
        },
    )
    .await
}
