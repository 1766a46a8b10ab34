//! `tinybird-lsp check [PATH]`: analyse every datafile of a project (or one file) from disk,
//! through the same [`ProjectDb`](analysis::db::ProjectDb) the language server uses.

use project::model::Project;
use project::{self, DialectGuess};
use std::path::{Path, PathBuf};
use syntax::diagnostics::{Diagnostic, Severity};
use syntax::Dialect;

pub struct FileReport {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// One project found under the checked path.
pub struct ProjectReport {
    pub root: PathBuf,
    pub dialect: DialectGuess,
    /// File paths are relative to the checked path (for one project at the checked path:
    /// relative to the project root).
    pub files: Vec<FileReport>,
    /// The project model (all of the project's files, even when one file was checked).
    pub project: Project,
    /// What deploying it does to the base version (with a base).
    pub plan: Option<std::sync::Arc<analysis::deploy::Plan>>,
    /// How the base was chosen (`main`, `merge-base of HEAD and origin/main`), with a base.
    pub base_label: Option<String>,
    /// Said once to the user, on standard error: why there is no base, a shallow clone.
    pub notes: Vec<String>,
    /// Put in front of its paths: the project's folder below the checked one.
    pub prefix: String,
    /// The configuration's ignores that took a diagnostic away in this project.
    pub ignores_used: std::collections::BTreeSet<usize>,
}

pub struct CheckReport {
    pub projects: Vec<ProjectReport>,
}

impl CheckReport {
    pub fn files(&self) -> impl Iterator<Item = &FileReport> {
        self.projects.iter().flat_map(|p| &p.files)
    }
    pub fn count(&self, severity: Severity) -> usize {
        self.files()
            .flat_map(|f| &f.diagnostics)
            .filter(|d| d.severity == severity)
            .count()
    }
}

#[derive(Debug)]
pub struct CheckError(pub String);

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How to check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Overrides the detected dialect.
    pub dialect: Option<Dialect>,
    /// "Now" for the time-dependent migration rules (seconds since the epoch, UTC); `None`
    /// leaves those rules out.
    pub now: Option<i64>,
    /// The project configuration's rule levels and ignores, applied to every file's
    /// diagnostics.
    pub config: Option<std::sync::Arc<analysis::config::Config>>,
    /// Compare with the deployed version read from git: `Some(Some(rev))` at a revision,
    /// `Some(None)` at the default base (the merge-base of HEAD with its upstream, else HEAD).
    pub base: Option<Option<String>>,
    /// Report only the files changed against a git revision (`Some(None)`: the default base),
    /// committed or not, and new files; the whole project is still analysed.
    pub changed: Option<Option<String>>,
}

pub fn check_path(path: &Path, opts: CheckOptions) -> Result<CheckReport, CheckError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CheckError(format!("cannot read `{}`: {e}", path.display())))?;
    if !meta.is_dir() {
        if !project::is_datafile(&path.to_string_lossy()) {
            return Err(CheckError(format!(
                "`{}` is not a Tinybird datafile (.datasource, .pipe, .incl or .connection)",
                path.display()
            )));
        }
        // Absolute, so that the project marker is found above the current folder too
        // (`check p.pipe` inside `pipes/`).
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let path = absolute.as_path();
        let root = disk::root_of_file(path);
        let rel = path
            .strip_prefix(&root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| path.to_string_lossy().to_string());
        let all = disk::walk(&root);
        let project = check_project(&root, &all, &[], Some(&rel), &opts, "")?;
        return Ok(CheckReport {
            projects: vec![project],
        });
    }
    // A folder that is not itself a project (a repository holding one or more): every folder
    // below it with a project marker is a project, and so is every folder of datafiles outside
    // them (disk::project_roots).
    let all = disk::walk(path);
    let roots = disk::project_roots(path, &all);
    let mut projects = Vec::new();
    for r in &roots {
        let exclude = disk::nested_in(&roots, r);
        if r.is_empty() {
            projects.push(check_project(path, &all, &exclude, None, &opts, "")?);
        } else {
            let sub = path.join(r);
            let files = disk::below(&all, r);
            projects.push(check_project(
                &sub,
                &files,
                &exclude,
                None,
                &opts,
                &format!("{r}/"),
            )?);
        }
    }
    // The configuration's ignores that ignored nothing in any project checked: said once, so
    // that stale ones do not pile up.
    let unused: Vec<String> = match &opts.config {
        Some(config) if opts.changed.is_none() => config
            .ignores
            .iter()
            .enumerate()
            .filter(|(i, _)| !projects.iter().any(|p| p.ignores_used.contains(i)))
            .map(|(i, ig)| {
                format!(
                    "the configuration's `ignore[{i}]` ({}) ignored nothing in the files checked: remove it if it is stale",
                    ig.reason
                )
            })
            .collect(),
        _ => vec![],
    };
    if let Some(first) = projects.first_mut() {
        first.notes.extend(unused);
    }
    Ok(CheckReport { projects })
}

/// Checks the datafiles of the project at `root` (only `only` when given). `prefix` is put in
/// front of reported paths.
fn check_project(
    root: &Path,
    all: &[String],
    exclude: &[String],
    only: Option<&str>,
    opts: &CheckOptions,
    prefix: &str,
) -> Result<ProjectReport, CheckError> {
    let mut db = disk::load_project(root, all, exclude, opts.dialect).map_err(CheckError)?;
    db.set_now(opts.now);
    db.set_config(opts.config.clone());
    let mut notes = vec![];
    let mut base_label = None;
    if let Some(rev) = &opts.base {
        match disk::git::read_base(root, rev.as_deref()) {
            Ok(base) => {
                if base.shallow {
                    notes.push(format!(
                        "the repository is a shallow clone: the base {} ({}) was read, but an older one may not be",
                        analysis::deploy::short_rev(&base.commit),
                        base.label
                    ));
                }
                base_label = Some(base.label.clone());
                let dialect = db.dialect().dialect;
                db.set_base(Some(std::sync::Arc::new(disk::git::analyse_base(
                    &base,
                    Some(dialect),
                ))));
            }
            Err(e) => notes.push(format!(
                "no base to compare with ({e}): the rules about what a deploy changes are left out"
            )),
        }
    }
    let changed =
        opts.changed
            .as_ref()
            .and_then(|rev| match changed_files(root, rev.as_deref(), &db) {
                Ok(set) => Some(set),
                Err(e) => {
                    notes.push(format!(
                        "cannot tell which files changed ({e}): every file is reported"
                    ));
                    None
                }
            });
    db.analyze(&disk::disk_loader);
    let analysis = db.take_analysis().expect("just analysed");
    let mut diagnostics = analysis.diagnostics;
    // Every datafile is reported; test files only when something is wrong in them.
    let mut paths: Vec<String> = db
        .paths()
        .filter(|p| project::is_datafile(p))
        .map(str::to_string)
        .collect();
    paths.extend(diagnostics.keys().cloned());
    paths.sort();
    paths.dedup();
    let mut files: Vec<FileReport> = paths
        .into_iter()
        .filter(|path| only.is_none_or(|o| o == path))
        .filter(|path| changed.as_ref().is_none_or(|(set, _)| set.contains(path)))
        .map(|path| FileReport {
            text: db.text(&path).map(|t| t.to_string()).unwrap_or_default(),
            diagnostics: diagnostics.remove(&path).unwrap_or_default(),
            path: format!("{prefix}{path}"),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some((_, label)) = &changed {
        notes.push(format!(
            "only the files changed against {label} are reported: {}",
            match files.len() {
                0 => "none changed".to_string(),
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            }
        ));
    }
    Ok(ProjectReport {
        root: root.to_path_buf(),
        dialect: analysis.dialect,
        files,
        project: analysis.project,
        plan: analysis.plan,
        base_label,
        notes,
        prefix: prefix.to_string(),
        ignores_used: analysis.ignores_used.unwrap_or_default(),
    })
}

/// The project's files (relative to `root`, as loaded in `db`) that differ from the revision
/// `rev` (the default base when `None`): changed, committed or not, and new; and how the
/// revision was chosen. Deleted files have nothing left to report.
fn changed_files(
    root: &Path,
    rev: Option<&str>,
    db: &analysis::db::ProjectDb,
) -> Result<(std::collections::BTreeSet<String>, String), String> {
    let base = disk::git::read_base(root, rev)?;
    let before: std::collections::HashMap<&str, &str> = base
        .files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let mut out = std::collections::BTreeSet::new();
    for rel in db.paths() {
        let differs = match before.get(rel) {
            None => true,
            Some(old) if analysis::db::ProjectDb::needs_text(rel) => {
                db.text(rel).is_none_or(|now| *now != **old)
            }
            Some(_) => false,
        };
        if differs {
            out.insert(rel.to_string());
        }
    }
    let label = format!(
        "{} ({})",
        base.label,
        analysis::deploy::short_rev(&base.commit)
    );
    Ok((out, label))
}
