//! Reading projects from disk: finding project roots, listing their files, loading them into a
//! [`ProjectDb`]. Shared by the command line and the language server (the core does no I/O).

pub mod git;

use analysis::db::ProjectDb;
use project::{self, is_datafile};
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use syntax::Dialect;

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
        if is_root(dot_if_empty(d)) {
            return Some(dot_if_empty(d).to_path_buf());
        }
        cur = d.parent();
    }
    None
}

/// The project configuration file (`tinybird-lsp.toml`) of the project at `root`: in it or
/// the nearest parent folder holding one.
pub fn find_config(root: &Path) -> Option<PathBuf> {
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    root.ancestors()
        .map(|d| d.join(analysis::config::FILE_NAME))
        .find(|f| f.is_file())
}

/// The project root of a file: its marked root, else its own folder.
pub fn root_of_file(file: &Path) -> PathBuf {
    marked_root_of_file(file)
        .unwrap_or_else(|| dot_if_empty(file.parent().unwrap_or(Path::new("."))).to_path_buf())
}

/// `.` for the empty parent of a relative name (`x.pipe`), which no file call accepts.
fn dot_if_empty(d: &Path) -> &Path {
    if d.as_os_str().is_empty() {
        Path::new(".")
    } else {
        d
    }
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
/// when it is a project; otherwise every outermost folder below it with a project marker, and
/// every outermost folder of datafiles outside all of them (a folder of `.pipe` and
/// `.datasource` files with no datasources/ or pipes/ folder is a project of its own, not files
/// of the folder above). `all` is [`walk`] of the folder. A project's files are those below its
/// root minus the projects nested in it ([`nested_in`]).
pub fn project_roots(path: &Path, all: &[String]) -> Vec<String> {
    if is_root(path) {
        return vec![String::new()];
    }
    let mut marked: Vec<String> = Vec::new();
    let mut loose: Vec<String> = Vec::new();
    let folder_of = |d: &Path| d.to_string_lossy().replace('\\', "/");
    for rel in all.iter().filter(|p| is_datafile(p)) {
        let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
        let mut dir = Some(parent);
        let mut found = None;
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if is_root(&path.join(d)) {
                found = Some(folder_of(d));
                break;
            }
            dir = d.parent();
        }
        let (list, root) = match found {
            Some(r) => (&mut marked, r),
            None => (&mut loose, folder_of(parent)),
        };
        if !list.contains(&root) {
            list.push(root);
        }
    }
    let within = |r: &str, o: &str| o != r && (o.is_empty() || r.starts_with(&format!("{o}/")));
    let snapshot = marked.clone();
    marked.retain(|r| !snapshot.iter().any(|o| within(r, o)));
    let snapshot = loose.clone();
    loose.retain(|r| !snapshot.iter().any(|o| within(r, o)));
    let mut roots = loose;
    roots.extend(marked);
    roots.sort();
    if roots.is_empty() {
        roots.push(String::new());
    }
    roots
}

/// The roots of `roots` nested inside `root` (both relative to the checked folder), relative
/// to `root`: the files a project leaves to the projects inside it.
pub fn nested_in(roots: &[String], root: &str) -> Vec<String> {
    roots
        .iter()
        .filter(|o| o.as_str() != root)
        .filter_map(|o| {
            if root.is_empty() {
                Some(o.clone())
            } else {
                o.strip_prefix(&format!("{root}/")).map(str::to_string)
            }
        })
        .collect()
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

/// Reads a file as text (invalid UTF-8 replaced, so nothing is refused). Only regular files
/// are opened (a FIFO or a device named `x.incl` would block or never end), and none larger
/// than the project database analyses.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is not a regular file (a FIFO, socket or device), so it is never opened",
        ));
    }
    let limit = analysis::db::MAX_FILE_BYTES as u64;
    if meta.len() > limit {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "it is {} MiB: files over {} MiB are not analysed",
                meta.len() / (1024 * 1024),
                limit / (1024 * 1024)
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // Bounded even if the file grows while it is read.
    fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
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
        if !ProjectDb::needs_text(rel) {
            db.set_file(rel, Arc::from(""));
            continue;
        }
        // A file that cannot be read (gone since the walk, a FIFO, too large) costs that
        // file only.
        match read_text(&root.join(rel)) {
            Ok(text) => {
                db.set_file(rel, Arc::from(text));
            }
            Err(e) => db.set_unreadable(rel, e.to_string()),
        }
    }
    db.set_secrets(read_env_local(root));
    Ok(db)
}

/// Replaces the text of an existing file without ever leaving it half written: the new text
/// goes to a temporary file in the same folder, which takes the file's permissions and is then
/// renamed over it (through a symbolic link, the file it points to is replaced). On an error
/// the file is as it was and no temporary file is left.
pub fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let target = std::fs::canonicalize(path)?;
    let permissions = std::fs::metadata(&target)?.permissions();
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tinybird-lsp-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// One file of a change to write: its new text (`None`: delete it), whether it must not exist
/// yet, and whether it is a script to make executable.
pub struct PlannedWrite {
    pub path: String,
    pub text: Option<String>,
    pub create_new: bool,
    pub executable: bool,
}

/// Writes every planned file or none: new texts go to a staging folder inside `root` first;
/// then each is moved into place (a created file is linked in, which fails if a file appeared
/// there meanwhile), the files it replaces or deletes moved aside. On any error every step
/// done is undone in reverse order, so the project is as it was. Paths must be relative and
/// stay inside `root`.
pub fn write_all_or_nothing(root: &Path, plan: &[PlannedWrite]) -> Result<(), String> {
    for w in plan {
        if !actions::is_safe_relative(&w.path) {
            return Err(format!(
                "refusing to write `{}`: not a path inside the project",
                w.path
            ));
        }
        if !stays_inside(root, &w.path) {
            return Err(format!(
                "refusing to write `{}`: a symbolic link leads it out of the project folder",
                w.path
            ));
        }
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let staging = root.join(format!(
        ".tinybird-lsp-staging-{}-{stamp}",
        std::process::id()
    ));
    fs::create_dir(&staging).map_err(|e| format!("cannot create `{}`: {e}", staging.display()))?;
    let result = stage_and_commit(root, &staging, plan);
    let _ = fs::remove_dir_all(&staging);
    result
}

/// Whether writing `rel` under `root` stays inside `root` on disk: the file is no symbolic link
/// and its deepest existing folder, links resolved, is inside the root (a `deploy` folder that
/// is a link to elsewhere would take the write out of the project).
pub fn stays_inside(root: &Path, rel: &str) -> bool {
    let Ok(real_root) = root.canonicalize() else {
        // A root that is not on disk has no link to follow out of it.
        return !root.exists();
    };
    let mut p = root.join(rel);
    if fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
        return false;
    }
    while fs::symlink_metadata(&p).is_err() {
        if !p.pop() {
            return false;
        }
    }
    p.canonicalize().is_ok_and(|c| c.starts_with(&real_root))
}

/// What was done, to undo it.
enum Done {
    /// A file moved into place where none was.
    Created(PathBuf),
    /// A file moved aside (to the staging folder) from where it was.
    MovedAside { from: PathBuf, to: PathBuf },
    /// A folder created for a new file.
    Folder(PathBuf),
}

fn stage_and_commit(root: &Path, staging: &Path, plan: &[PlannedWrite]) -> Result<(), String> {
    let io = |path: &str, e: std::io::Error| format!("cannot write `{path}`: {e}");
    // 1. Every new text into the staging folder.
    let mut staged = Vec::new();
    for (i, w) in plan.iter().enumerate() {
        if let Some(text) = &w.text {
            let tmp = staging.join(format!("new-{i}"));
            fs::write(&tmp, text).map_err(|e| io(&w.path, e))?;
            #[cfg(unix)]
            if w.executable {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
                    .map_err(|e| io(&w.path, e))?;
            }
            staged.push(Some(tmp));
        } else {
            staged.push(None);
        }
    }
    // 2. Move them in, keeping what they replace.
    let mut done: Vec<Done> = Vec::new();
    let mut commit = || -> Result<(), String> {
        for (i, w) in plan.iter().enumerate() {
            let full = root.join(&w.path);
            if let Some(dir) = full.parent() {
                let mut missing = Vec::new();
                let mut d = Some(dir);
                while let Some(x) = d.filter(|x| !x.exists()) {
                    missing.push(x.to_path_buf());
                    d = x.parent();
                }
                for m in missing.into_iter().rev() {
                    fs::create_dir(&m).map_err(|e| io(&w.path, e))?;
                    done.push(Done::Folder(m));
                }
            }
            match &staged[i] {
                Some(tmp) if w.create_new => {
                    // A hard link fails when the name exists: never replace a file that
                    // appeared since the change was computed.
                    fs::hard_link(tmp, &full).map_err(|e| io(&w.path, e))?;
                    done.push(Done::Created(full));
                }
                Some(tmp) => {
                    if full.exists() {
                        let aside = staging.join(format!("old-{i}"));
                        fs::rename(&full, &aside).map_err(|e| io(&w.path, e))?;
                        done.push(Done::MovedAside {
                            from: full.clone(),
                            to: aside,
                        });
                    }
                    fs::rename(tmp, &full).map_err(|e| io(&w.path, e))?;
                    done.push(Done::Created(full));
                }
                None => {
                    if full.is_file() {
                        let aside = staging.join(format!("old-{i}"));
                        fs::rename(&full, &aside).map_err(|e| io(&w.path, e))?;
                        done.push(Done::MovedAside {
                            from: full,
                            to: aside,
                        });
                    }
                }
            }
        }
        Ok(())
    };
    let result = commit();
    if result.is_err() {
        for step in done.into_iter().rev() {
            match step {
                Done::Created(p) => {
                    let _ = fs::remove_file(p);
                }
                Done::MovedAside { from, to } => {
                    let _ = fs::rename(to, from);
                }
                Done::Folder(d) => {
                    let _ = fs::remove_dir(d);
                }
            }
        }
    }
    result
}

#[cfg(all(test, unix))]
mod tests {
    use super::stays_inside;

    #[test]
    fn links_out_of_the_root_are_outside() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("pipes")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("deploy")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("x.pipe"),
            root.path().join("pipes/link.pipe"),
        )
        .unwrap();
        assert!(stays_inside(root.path(), "pipes/new.pipe"));
        assert!(stays_inside(root.path(), "new/folder/file.pipe"));
        assert!(!stays_inside(root.path(), "deploy/0.0.2/cd-deploy.sh"));
        assert!(
            !stays_inside(root.path(), "pipes/link.pipe"),
            "a link as the file itself"
        );
        assert!(stays_inside(
            std::path::Path::new("/no/such/root"),
            "a.pipe"
        ));
    }
}
