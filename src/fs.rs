//! Reading projects from disk: finding project roots, listing their files, loading them into a
//! [`ProjectDb`]. Shared by the command line and the language server (the core does no I/O).

use crate::project::db::ProjectDb;
use crate::project::{self, is_datafile};
use crate::syntax::Dialect;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files or folders whose presence marks a project root.
pub const ROOT_MARKERS: &[&str] = &[
    ".tinyenv",
    "tinybird.json",
    "tinybird.config.json",
    "datasources",
    "pipes",
    "endpoints",
    ".tinyb",
];

pub fn is_root(dir: &Path) -> bool {
    ROOT_MARKERS.iter().any(|m| dir.join(m).exists())
}

/// The project root of a file: the nearest folder above it with a project marker, if any.
pub fn marked_root_of_file(file: &Path) -> Option<PathBuf> {
    let mut cur = file.parent();
    while let Some(d) = cur {
        if is_root(d) {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

/// The project root of a file: its marked root, else its own folder.
pub fn root_of_file(file: &Path) -> PathBuf {
    marked_root_of_file(file)
        .unwrap_or_else(|| file.parent().unwrap_or(Path::new(".")).to_path_buf())
}

/// Every file below `root` (relative paths, `/`-separated, sorted), skipping hidden and build
/// folders.
pub fn walk(root: &Path) -> Vec<String> {
    walk_bounded(root, usize::MAX).0
}

/// [`walk`], stopping after `max` files (the language server must not read a whole home folder
/// because a project marker sits there). Returns the files and whether it stopped early.
pub fn walk_bounded(root: &Path, max: usize) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if out.len() >= max {
            out.sort();
            return (out, true);
        }
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !project::SKIPPED_DIRS.contains(&name.as_str()) && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    (out, false)
}

/// The files of a [`walk`] listing below the subfolder `dir` (relative to it).
pub fn below(all: &[String], dir: &str) -> Vec<String> {
    let prefix = format!("{dir}/");
    all.iter()
        .filter_map(|p| p.strip_prefix(&prefix).map(str::to_string))
        .collect()
}

/// The projects in a folder, as folders relative to it (`""` for the folder itself): the folder
/// when it is a project; otherwise every outermost folder below it with a project marker, plus
/// the folder itself when datafiles lie outside all of them (or there are none). `all` is
/// [`walk`] of the folder.
pub fn project_roots(path: &Path, all: &[String]) -> Vec<String> {
    if is_root(path) {
        return vec![String::new()];
    }
    let mut roots: Vec<String> = Vec::new();
    for rel in all.iter().filter(|p| is_datafile(p)) {
        let mut dir = Path::new(rel).parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if is_root(&path.join(d)) {
                let d = d.to_string_lossy().replace('\\', "/");
                if !roots.contains(&d) {
                    roots.push(d);
                }
                break;
            }
            dir = d.parent();
        }
    }
    let snapshot = roots.clone();
    roots.retain(|r| {
        !snapshot
            .iter()
            .any(|o| o != r && r.starts_with(&format!("{o}/")))
    });
    let outside = all
        .iter()
        .any(|p| is_datafile(p) && !roots.iter().any(|r| p.starts_with(&format!("{r}/"))));
    if roots.is_empty() || outside {
        roots.insert(0, String::new());
    }
    roots
}

/// Names defined in the project's `.env.local` (Forward local secrets).
pub fn read_env_local(root: &Path) -> HashSet<String> {
    fs::read_to_string(root.join(".env.local"))
        .map(|t| {
            t.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, _)| k.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a file as text (invalid UTF-8 replaced, so nothing is refused).
pub fn read_text(path: &Path) -> std::io::Result<String> {
    fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Loads INCLUDE files from disk.
pub fn disk_loader(path: &str) -> Option<String> {
    read_text(Path::new(path)).ok()
}

/// The path string a [`ProjectDb`] for `root` resolves INCLUDEs against.
pub fn db_root(root: &Path) -> String {
    root.to_string_lossy().replace('\\', "/")
}

/// Loads every file of the project at `root` that the project reads. `files` is [`walk`] of
/// the root; files below `exclude` (nested projects, relative) are left out.
pub fn load_project(
    root: &Path,
    files: &[String],
    exclude: &[String],
    dialect: Option<Dialect>,
) -> Result<ProjectDb, String> {
    let mut db = ProjectDb::new(db_root(root), dialect);
    for rel in files {
        if exclude
            .iter()
            .any(|x| !x.is_empty() && rel.starts_with(&format!("{x}/")))
            || !ProjectDb::is_relevant(rel)
        {
            continue;
        }
        let text = if ProjectDb::needs_text(rel) {
            read_text(&root.join(rel)).map_err(|e| format!("cannot read `{rel}`: {e}"))?
        } else {
            String::new()
        };
        db.set_file(rel, Arc::from(text));
    }
    db.set_secrets(read_env_local(root));
    Ok(db)
}
