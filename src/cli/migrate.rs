//! `tinybird-lsp migrate …`: the migration actions from the command line. Loads the project
//! from disk, computes the [`Change`] the language server would offer, and writes it (or only
//! prints it with `--dry-run`). Nothing is written when any part fails: a file to create that
//! already exists, a path outside the project.

use crate::actions::add_column::Clock;
use crate::actions::{self, ActionError, Change, Request, Workspace};
use crate::fs;
use crate::syntax::Dialect;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Copy, Debug)]
pub struct MigrateOptions {
    pub dialect: Option<Dialect>,
    pub clock: Clock,
    /// Print the change without writing it.
    pub dry_run: bool,
}

/// Computes the change for `req` on the project at `root`, and writes it unless `dry_run`.
pub fn migrate(root: &Path, req: &Request, opts: MigrateOptions) -> Result<Change, ActionError> {
    if !root.is_dir() {
        return Err(ActionError::new(format!(
            "`{}` is not a project folder",
            root.display()
        )));
    }
    let all = fs::walk(root);
    let mut db = fs::load_project(root, &all, &[], opts.dialect).map_err(ActionError::new)?;
    db.analyze(&fs::disk_loader);
    let analysis = db.take_analysis().expect("just analysed");
    let read = |path: &str| -> Option<Arc<str>> {
        if !actions::is_safe_relative(path) {
            return None;
        }
        db.text(path)
            .or_else(|| fs::read_text(&root.join(path)).ok().map(Arc::from))
    };
    let ws = Workspace {
        project: &analysis.project,
        read: &read,
    };
    let change = actions::run(&ws, req, opts.clock)?;
    if opts.dry_run {
        return Ok(change);
    }
    let files = change.apply(&read)?;
    write(root, &change, &files)?;
    Ok(change)
}

/// Writes the new texts, creates folders, sets executable bits and deletes files.
fn write(
    root: &Path,
    change: &Change,
    files: &std::collections::BTreeMap<String, Option<String>>,
) -> Result<(), ActionError> {
    let io =
        |path: &str, e: std::io::Error| ActionError::new(format!("cannot write `{path}`: {e}"));
    for (path, text) in files {
        let full = root.join(path);
        match text {
            Some(text) => {
                if let Some(dir) = full.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| io(path, e))?;
                }
                let is_new = change.create.iter().any(|f| &f.path == path);
                if is_new {
                    // create_new: never replace a file that appeared meanwhile.
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&full)
                        .map_err(|e| io(path, e))?;
                    f.write_all(text.as_bytes()).map_err(|e| io(path, e))?;
                } else {
                    std::fs::write(&full, text).map_err(|e| io(path, e))?;
                }
                #[cfg(unix)]
                if change
                    .create
                    .iter()
                    .any(|f| &f.path == path && f.executable)
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o755))
                        .map_err(|e| io(path, e))?;
                }
            }
            None => {
                if full.is_file() {
                    std::fs::remove_file(&full).map_err(|e| io(path, e))?;
                }
            }
        }
    }
    Ok(())
}
