//! The deployed version of a project, read from git with gix (no `git` binary): the files of
//! the project's folder at a revision, for the deploy plan and the change-aware rules.

use analysis::db::ProjectDb;
use std::path::Path;

/// The project's files at a revision.
pub struct BaseFiles {
    /// The commit, full hex.
    pub commit: String,
    /// How the commit was chosen, for messages (`main`, `merge-base of HEAD and origin/main`).
    pub label: String,
    /// Project-relative paths and texts of the files a project database reads.
    pub files: Vec<(String, String)>,
    /// The repository is a shallow clone: a base before its history cannot be read.
    pub shallow: bool,
}

fn err(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

/// The default base when none is given: the merge-base of HEAD with its upstream branch (what
/// a pull request is compared with), else HEAD.
fn default_base(repo: &gix::Repository) -> Result<(gix::ObjectId, String), String> {
    let head = repo
        .head_id()
        .map_err(|e| err("the repository has no commit yet", e))?
        .detach();
    let upstream = repo.head_name().ok().flatten().and_then(|name| {
        let tracking = repo
            .branch_remote_tracking_ref_name(name.as_ref(), gix::remote::Direction::Fetch)?
            .ok()?;
        let mut r = repo.find_reference(tracking.as_ref()).ok()?;
        let id = r.peel_to_id().ok()?.detach();
        Some((id, tracking.shorten().to_string()))
    });
    if let Some((up, name)) = upstream {
        if let Ok(Some(base)) = repo.merge_base(head, up) {
            return Ok((base.detach(), format!("merge-base of HEAD and {name}")));
        }
    }
    Ok((head, "HEAD".to_string()))
}

/// The base a revision names, without reading its files: cheap enough to ask again whenever
/// HEAD may have moved, and re-read the files only when the commit differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The commit, full hex.
    pub commit: String,
    pub label: String,
    pub shallow: bool,
    /// The repository's working tree: every project in it resolves a revision to the same
    /// commit, so a caller with several projects resolves once per working tree.
    pub workdir: std::path::PathBuf,
}

/// The repository holding `project_root`, the project's folder inside its working tree, the
/// commit `rev` names (the default base when `None`) and how it was chosen.
fn locate(
    project_root: &Path,
    rev: Option<&str>,
) -> Result<
    (
        gix::Repository,
        std::path::PathBuf,
        gix::ObjectId,
        String,
        bool,
    ),
    String,
> {
    let root = std::path::absolute(project_root).unwrap_or_else(|_| project_root.to_path_buf());
    let repo = gix::discover(&root)
        .map_err(|_| format!("`{}` is not in a git repository", project_root.display()))?;
    let shallow = repo.is_shallow().unwrap_or(false);
    let workdir = repo
        .workdir()
        .ok_or("the git repository has no working tree (a bare repository)")?;
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let prefix = canonical(&root)
        .strip_prefix(canonical(workdir))
        .map(|p| p.to_path_buf())
        .map_err(|_| "the project folder is outside the repository's working tree".to_string())?;
    let (commit_id, label) = match rev {
        Some(rev) => {
            let id = repo.rev_parse_single(rev).map_err(|e| {
                if shallow {
                    format!("`{rev}` is not a revision of this shallow clone (fetch more history, e.g. `git fetch --unshallow`): {e}")
                } else {
                    format!("`{rev}` is not a revision of the repository: {e}")
                }
            })?;
            (id.detach(), rev.to_string())
        }
        None => default_base(&repo)?,
    };
    Ok((repo, prefix, commit_id, label, shallow))
}

/// The commit `rev` (or the default base) names for the project at `project_root`.
pub fn resolve(project_root: &Path, rev: Option<&str>) -> Result<Resolved, String> {
    let (repo, _, id, label, shallow) = locate(project_root, rev)?;
    let workdir = repo
        .workdir()
        .map(|w| w.canonicalize().unwrap_or_else(|_| w.to_path_buf()))
        .unwrap_or_default();
    let commit = repo
        .find_object(id)
        .map_err(|e| err("cannot read the base commit", e))?
        .peel_to_commit()
        .map_err(|e| err("the base revision is not a commit", e))?;
    Ok(Resolved {
        commit: commit.id.to_string(),
        label,
        shallow,
        workdir,
    })
}

/// Reads the files of the project at `project_root` as they are at `rev` (any revision git
/// understands: a branch, a tag, `HEAD~2`, a hash), or at the default base when `rev` is
/// `None`. Errors say what is missing: no repository, an unknown revision (in a shallow clone:
/// one outside its history), the project folder absent at that revision (then the base is
/// empty, not an error: the project is new).
pub fn read_base(project_root: &Path, rev: Option<&str>) -> Result<BaseFiles, String> {
    let (repo, prefix, commit_id, label, shallow) = locate(project_root, rev)?;
    let commit = repo
        .find_object(commit_id)
        .map_err(|e| err("cannot read the base commit", e))?
        .peel_to_commit()
        .map_err(|e| err("the base revision is not a commit", e))?;
    let tree = commit
        .tree()
        .map_err(|e| err("cannot read the base commit's files", e))?;
    let project_tree = if prefix.as_os_str().is_empty() {
        Some(tree)
    } else {
        match tree
            .lookup_entry_by_path(&prefix)
            .map_err(|e| err("cannot read the base commit's files", e))?
        {
            Some(entry) if entry.mode().is_tree() => Some(
                entry
                    .object()
                    .map_err(|e| err("cannot read the base commit's files", e))?
                    .into_tree(),
            ),
            _ => None,
        }
    };
    let mut files = vec![];
    if let Some(tree) = project_tree {
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .map_err(|e| err("cannot read the base commit's files", e))?;
        for entry in recorder.records {
            if !entry.mode.is_blob() {
                continue;
            }
            let rel = entry.filepath.to_string();
            if !ProjectDb::is_relevant(&rel) {
                continue;
            }
            let text = if ProjectDb::needs_text(&rel) {
                let blob = repo
                    .find_blob(entry.oid)
                    .map_err(|e| err(&format!("cannot read `{rel}` at the base"), e))?;
                if blob.data.len() > analysis::db::MAX_FILE_BYTES {
                    continue;
                }
                String::from_utf8_lossy(&blob.data).into_owned()
            } else {
                String::new()
            };
            files.push((rel, text));
        }
    }
    Ok(BaseFiles {
        commit: commit.id.to_string(),
        label,
        files,
        shallow,
    })
}

/// The base files analysed by a [`ProjectDb`] like the project's own (INCLUDEs resolve among
/// the base's files), as the base of the deploy rules and the plan.
pub fn analyse_base(base: &BaseFiles, dialect: Option<syntax::Dialect>) -> analysis::deploy::Base {
    let mut db = ProjectDb::new("/base", dialect);
    for (rel, text) in &base.files {
        db.set_file(rel, std::sync::Arc::from(text.as_str()));
    }
    let files = &base.files;
    db.analyze(&|p: &str| {
        let p = p.trim_start_matches("/base/");
        files.iter().find(|(f, _)| f == p).map(|(_, t)| t.clone())
    });
    let a = db.take_analysis().expect("an analysis was just made");
    analysis::deploy::Base::from_analysis(base.commit.clone(), a)
}
