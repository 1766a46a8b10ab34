//! Analysis of a whole project: [`db::ProjectDb`] (texts in, the project model and every file's
//! diagnostics out, incrementally), the project rules ([`rules`]) and the migration model with
//! its rules ([`migration`]).
//!
//! Architecture invariant: pure. No I/O (the caller gives texts and a loader for INCLUDE
//! files), no LSP types; analysis never fails as a whole and never panics on any input.

pub mod columns;
pub mod config;
pub mod db;
pub mod deploy;
pub mod fixture;
pub mod migration;
pub mod registry;
pub mod rules;
pub mod suppress;
pub mod types;
