//! Components shared by every area's pages.

pub mod badge;
pub mod chart;
pub mod data;
pub mod form;
pub mod layout;
pub mod money;
pub mod not_found;
pub mod page;
pub mod search;
