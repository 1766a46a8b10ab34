//! The command line: loading projects from disk and rendering results. The only I/O layer
//! besides the (future) server.

pub mod check;
pub mod ci;
pub mod fmt;
pub mod migrate;
pub mod plan;
pub mod render;
