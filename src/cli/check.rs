//! `tinybird-lsp check [PATH]`: parse every datafile of a project (or one file) from disk.

use crate::diagnostics::{Diagnostic, Severity};
use crate::project::model::{Project, SourceFile};
use crate::project::{self, detect_dialect, rules, test_files, DialectGuess};
use crate::syntax::{self, model::Datafile, Dialect, FileKind};
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

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

const ROOT_MARKERS: &[&str] = &[
    ".tinyenv",
    "tinybird.json",
    "tinybird.config.json",
    "datasources",
    "pipes",
    "endpoints",
    ".tinyb",
];

/// The project root of a single file: the nearest folder above it with a project marker.
fn root_of_file(file: &Path) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut cur = Some(dir.as_path());
    while let Some(d) = cur {
        if ROOT_MARKERS.iter().any(|m| d.join(m).exists()) {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    dir
}

/// Every file below `root` (relative paths), skipping hidden and build folders.
pub fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
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
    out
}

fn read_env_local(root: &Path) -> HashSet<String> {
    fs::read_to_string(root.join(".env.local"))
        .map(|t| {
            t.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, _)| k.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Parses one file's text as a member of a project at `root`.
pub fn check_text(
    root: &Path,
    rel: &str,
    text: &str,
    dialect: Dialect,
    secrets: &HashSet<String>,
) -> Option<(Datafile, Vec<Diagnostic>)> {
    let kind = FileKind::detect(rel, text)?;
    let fragment = rel.ends_with(".incl");
    let abs = root.join(rel);
    let base_dir = abs
        .parent()
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_default();
    let loader = |p: &str| fs::read_to_string(p).ok();
    let secret_defined = |k: &str| secrets.contains(k);
    let parsed = syntax::parse(
        text,
        &syntax::ParseOptions {
            dialect,
            kind,
            base_dir: &base_dir,
            loader: Some(&loader),
            secret_defined: &secret_defined,
            fragment,
        },
    );
    let mut diagnostics = parsed.diagnostics;
    if !project::seen_by_cli(rel, dialect) && !rel.ends_with(".connection") {
        diagnostics.insert(
            0,
            Diagnostic {
                severity: Severity::Info,
                ..Diagnostic::error(
                    "outside-project-folders",
                    crate::text::TextRange::empty(0),
                    match dialect {
                        Dialect::Classic => "The Classic CLI does not read files in this folder (only the project root, datasources/, pipes/ and endpoints/)",
                        Dialect::Forward => "The Forward CLI does not read files more than three folders deep",
                    },
                )
            },
        );
    }
    Some((parsed.datafile, diagnostics))
}

fn is_root(dir: &Path) -> bool {
    ROOT_MARKERS.iter().any(|m| dir.join(m).exists())
}

pub fn check_path(path: &Path, dialect: Option<Dialect>) -> Result<CheckReport, CheckError> {
    let meta = fs::metadata(path)
        .map_err(|e| CheckError(format!("cannot read `{}`: {e}", path.display())))?;
    if !meta.is_dir() {
        if !project::is_datafile(&path.to_string_lossy()) {
            return Err(CheckError(format!(
                "`{}` is not a Tinybird datafile (.datasource, .pipe, .incl or .connection)",
                path.display()
            )));
        }
        let root = root_of_file(path);
        let rel = path
            .strip_prefix(&root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| path.to_string_lossy().to_string());
        let project = check_project(&root, Some(&rel), dialect, "")?;
        return Ok(CheckReport {
            projects: vec![project],
        });
    }
    // A folder that is not itself a project (a repository holding one or more): every folder
    // below it with a project marker is a project; datafiles outside any are checked with the
    // folder as their root.
    let all = walk(path);
    let mut roots: Vec<String> = Vec::new();
    if !is_root(path) {
        for rel in all.iter().filter(|p| project::is_datafile(p)) {
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
        // Keep the outermost roots only.
        let snapshot = roots.clone();
        roots.retain(|r| {
            !snapshot
                .iter()
                .any(|o| o != r && r.starts_with(&format!("{o}/")))
        });
    }
    let mut projects = Vec::new();
    for r in &roots {
        projects.push(check_project(
            &path.join(r),
            None,
            dialect,
            &format!("{r}/"),
        )?);
    }
    let outside = all
        .iter()
        .any(|p| project::is_datafile(p) && !roots.iter().any(|r| p.starts_with(&format!("{r}/"))));
    if roots.is_empty() || outside {
        let mut p = check_project(path, None, dialect, "")?;
        p.files
            .retain(|f| !roots.iter().any(|r| f.path.starts_with(&format!("{r}/"))));
        projects.insert(0, p);
    }
    Ok(CheckReport { projects })
}

/// Checks the datafiles of the project at `root` (only `only` when given). `prefix` is put in
/// front of reported paths.
fn check_project(
    root: &Path,
    only: Option<&str>,
    dialect: Option<Dialect>,
    prefix: &str,
) -> Result<ProjectReport, CheckError> {
    let all_paths = walk(root);
    let mut texts: Vec<(String, String)> = Vec::new();
    for rel in all_paths.iter().filter(|p| project::is_datafile(p)) {
        match fs::read(root.join(rel)) {
            Ok(bytes) => texts.push((rel.clone(), String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) => return Err(CheckError(format!("cannot read `{rel}`: {e}"))),
        }
    }
    let guess = match dialect {
        Some(d) => DialectGuess {
            dialect: d,
            reason: "set on the command line".into(),
        },
        None => detect_dialect(
            &all_paths,
            texts.iter().map(|(p, t)| (p.as_str(), t.as_str())),
        ),
    };
    let secrets = read_env_local(root);
    let mut files = Vec::new();
    let mut sources = Vec::new();
    for (rel, text) in texts {
        if let Some((datafile, diagnostics)) =
            check_text(root, &rel, &text, guess.dialect, &secrets)
        {
            sources.push(SourceFile {
                seen_by_cli: project::seen_by_cli(&rel, guess.dialect),
                path: rel.clone(),
                datafile,
            });
            files.push(FileReport {
                path: rel,
                text,
                diagnostics,
            });
        }
    }
    let tests: Vec<(String, String)> = all_paths
        .iter()
        .filter(|p| test_files::is_test_file(p))
        .filter_map(|p| Some((p.clone(), fs::read_to_string(root.join(p)).ok()?)))
        .collect();
    let model = Project::build(guess.dialect, sources, &tests);
    for (path, diagnostics) in rules::check(&model) {
        match files.iter_mut().find(|f| f.path == path) {
            Some(f) => {
                f.diagnostics.extend(diagnostics);
                f.diagnostics.sort_by_key(|d| (d.range.start, d.range.end));
            }
            None => {
                let text = tests
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default();
                files.push(FileReport {
                    path,
                    text,
                    diagnostics,
                });
            }
        }
    }
    files.retain(|f| only.is_none_or(|o| o == f.path));
    for f in &mut files {
        f.path = format!("{prefix}{}", f.path);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(ProjectReport {
        root: root.to_path_buf(),
        dialect: guess,
        files,
        project: model,
    })
}
