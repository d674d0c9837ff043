//! Production approvals in the UI: the job page's approvals panel (who
//! asked and why, the decisions so far, approve / reject with a reason,
//! break-glass for admins) and `/approvals`, the inbox of requests waiting
//! for the signed-in person, their decisions and the break-glass runs to
//! review.

pub mod api;
pub mod dto;
pub mod inbox;
pub mod panel;
