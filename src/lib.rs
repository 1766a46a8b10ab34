//! tinybird-lsp: a language server and checker for Tinybird data projects.
//!
//! The core (`text`, `diagnostics`, `syntax`, `sql`, `project`) is pure: plain data in, plain data out,
//! no I/O and no LSP types. The command line (`cli`) does the I/O.

pub mod cli;
pub mod diagnostics;
pub mod project;
pub mod sql;
pub mod syntax;
pub mod text;
