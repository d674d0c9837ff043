//! Roadmap pages: the module × environment matrix, the board by phase and the
//! module detail page.

pub mod api;
pub mod bill;
pub mod board;
pub mod detail;
pub mod dto;
pub mod edit;
pub mod editions;
pub mod matrix;
pub mod progress;
pub mod steps;
pub mod timeline;
