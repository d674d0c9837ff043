//! The Gantry server: configuration, HTTP routing and start-up. `main.rs` is
//! only the command line around it.

pub mod config;
pub mod http;
pub mod startup;
