//! The audit log page (admins and approvers): filters, server-side pages,
//! CSV and JSON Lines export.

pub mod api;
pub mod page;
