//! `tinybird-lsp fmt [--check] [--sql] [PATH]`: formats the datafiles of a project (or one
//! file) in place with [`ide::format`] (`--sql`: SQL keywords upper-cased too), or with
//! `--check` only lists those that would change. Files are replaced through a temporary file
//! and a rename ([`disk::replace_file`]): never left half written.

use super::check::{check_path, CheckError, CheckOptions};
use ide::format::{format_with, FormatOptions};
use std::path::Path;
use syntax::{Dialect, FileKind};

/// The files that were (or, checking, would be) reformatted, as given relative to `path`.
pub fn fmt_path(
    path: &Path,
    check: bool,
    dialect: Option<Dialect>,
    opts: FormatOptions,
) -> Result<Vec<String>, CheckError> {
    let report = check_path(
        path,
        CheckOptions {
            dialect,
            ..Default::default()
        },
    )?;
    let single_file = !path.is_dir();
    let mut changed = Vec::new();
    for project in &report.projects {
        for f in &project.files {
            let Some(kind) = FileKind::detect(&f.path, &f.text) else {
                continue;
            };
            let formatted = format_with(&f.text, project.dialect.dialect, kind, opts);
            if formatted == f.text {
                continue;
            }
            let target = if single_file {
                path.to_path_buf()
            } else {
                path.join(&f.path)
            };
            if !check {
                disk::replace_file(&target, &formatted)
                    .map_err(|e| CheckError(format!("cannot write `{}`: {e}", target.display())))?;
            }
            changed.push(if single_file {
                path.display().to_string()
            } else {
                f.path.clone()
            });
        }
    }
    Ok(changed)
}
