//! The Gantry server: configuration, HTTP routing and start-up. `main.rs` is
//! only the command line around it.

pub mod auth;
pub mod config;
pub mod forms;
pub mod http;
pub mod routes;
pub mod security;
pub mod startup;
