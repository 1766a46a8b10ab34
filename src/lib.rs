//! tinybird-lsp: a language server and checker for Tinybird data projects.
//!
//! The core (`text`, `diagnostics`, `syntax`, `sql`, `project`) is pure: plain data in, plain data out,
//! no I/O and no LSP types. The command line (`cli`) and the language server (`server`) do the
//! I/O, sharing the disk access in `fs`.

pub mod actions;
pub mod cli;
pub mod diagnostics;
pub mod fs;
pub mod ide;
pub mod migration;
pub mod project;
pub mod server;
pub mod sql;
pub mod syntax;
pub mod text;
