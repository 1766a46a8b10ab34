//! `tinybird-lsp migrate …`: the migration actions from the command line. Loads the project
//! from disk, computes the [`Change`] the language server would offer, and writes it (or only
//! prints it with `--dry-run`). Nothing is written when any part fails: a file to create that
//! already exists, a path outside the project.

use actions::add_column::Clock;
use actions::{self, ActionError, Change, Request, Workspace};
use std::path::Path;
use std::sync::Arc;
use syntax::Dialect;

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
    let all = disk::walk(root);
    let mut db = disk::load_project(root, &all, &[], opts.dialect).map_err(ActionError::new)?;
    db.analyze(&disk::disk_loader);
    let analysis = db.take_analysis().expect("just analysed");
    let read = |path: &str| -> Option<Arc<str>> {
        if !actions::is_safe_relative(path) {
            return None;
        }
        db.text(path)
            .or_else(|| disk::read_text(&root.join(path)).ok().map(Arc::from))
    };
    let ws = Workspace {
        project: &analysis.project,
        migrations: &analysis.migrations,
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

/// Writes the new texts, creates folders, sets executable bits and deletes files: all or
/// nothing. Every new text is first written to a staging folder inside the project (same file
/// system, so moving it in is a rename); then each file is moved into place, the ones it
/// replaces or deletes kept aside; an error on the way puts every file back as it was.
fn write(
    root: &Path,
    change: &Change,
    files: &std::collections::BTreeMap<String, Option<String>>,
) -> Result<(), ActionError> {
    let plan: Vec<disk::PlannedWrite> = files
        .iter()
        .map(|(path, text)| disk::PlannedWrite {
            path: path.clone(),
            text: text.clone(),
            create_new: change.create.iter().any(|f| &f.path == path),
            executable: change
                .create
                .iter()
                .any(|f| &f.path == path && f.executable),
        })
        .collect();
    disk::write_all_or_nothing(root, &plan).map_err(ActionError::new)
}
