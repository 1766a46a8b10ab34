//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use syntax::diagnostics::{Diagnostic, Severity};
use syntax::{self, Dialect, FileKind, Parsed};

/// `../shared` beside the project (the official verdicts, corpus and conformance files).
pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    assert!(
        p.join("conformance").is_dir(),
        "the shared reference folder is missing: expected {} (it sits beside the project)",
        p.display()
    );
    p
}

/// Parses a file on disk as the official parser would when given that file.
pub fn parse_file(path: &Path, dialect: Dialect) -> Option<Parsed> {
    let text = std::fs::read_to_string(path).ok()?;
    let name = path.to_string_lossy().to_string();
    let kind = FileKind::detect(&name, &text)?;
    let base = path.parent().unwrap().to_string_lossy().to_string();
    let loader = |p: &str| std::fs::read_to_string(p).ok();
    let no_secrets = |_: &str| false;
    Some(syntax::parse(
        &text,
        &syntax::ParseOptions {
            dialect,
            kind,
            base_dir: &base,
            loader: Some(&loader),
            secret_defined: &no_secrets,
            fragment: name.ends_with(".incl"),
        },
    ))
}

/// Every file of ../shared/corpus and corpus-extra whose extension is one of `extensions`.
pub fn corpus_files(extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for corpus in ["corpus", "corpus-extra"] {
        let mut stack = vec![shared().join(corpus)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| extensions.contains(&x))
                {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

/// Whether the official CLI of `dialect` reads this file at all. The Classic CLI has no reader
/// for `.connection` files: its `tb connection create` writes one holding `TYPE` alone beside
/// the datafiles, and no command reads it back (the recorded Classic verdicts of such files
/// come from reading them as a pipe, which the CLI never does). What we say about them is the
/// `connection-in-classic` rule's examples.
pub fn official_reads(path: &Path, dialect: Dialect) -> bool {
    !(dialect == Dialect::Classic && path.extension().is_some_and(|e| e == "connection"))
}

pub fn errors(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter().filter(|d| d.severity == Severity::Error).collect()
}

pub fn dialects() -> [(Dialect, &'static str); 2] {
    [(Dialect::Classic, "classic"), (Dialect::Forward, "forward")]
}

pub fn set<'a>(items: &[&'a str]) -> HashSet<&'a str> {
    items.iter().copied().collect()
}

/// Compares `actual` with the snapshot at `expected_path` (UPDATE_SNAPSHOTS set: rewrites it
/// instead). The difference, when there is one.
pub fn snapshot_difference(expected_path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(expected_path, actual).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(expected_path).unwrap_or_default();
    (expected != actual).then(|| {
        format!(
            "{} differs:\n--- expected\n{expected}\n--- actual\n{actual}",
            expected_path.display()
        )
    })
}

/// The official parsers (../shared/tools/tb-oracle) on files given by absolute path, in one
/// batch: each file's JSON line (`file`, and the verdict under `cli`). Fails when an answer
/// is missing.
pub fn tb_oracle(paths: &[String], cli: &str) -> Vec<serde_json::Value> {
    if paths.is_empty() {
        return Vec::new();
    }
    let list_dir = tempfile::tempdir().unwrap();
    let list = list_dir.path().join("oracle-list.txt");
    let text: String = paths.iter().map(|p| format!("{p}\n")).collect();
    std::fs::write(&list, text).unwrap();
    let out = std::process::Command::new("python3")
        .arg(shared().join("tools/tb-oracle/tb_oracle.py"))
        .args([
            "--batch",
            &list.to_string_lossy(),
            "--cli",
            cli,
            "--compact",
        ])
        .output()
        .expect("run tb-oracle (../shared/tools/tb-oracle; setup.sh once)");
    let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(
        answers.len(),
        paths.len(),
        "tb-oracle answered {} of {} files (is it set up? ../shared/tools/tb-oracle/setup.sh): {}",
        answers.len(),
        paths.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    answers
}

/// Runs git in `dir` as a throwaway identity (no signing, branch `main` for `init`), failing
/// the test when git fails; its standard output, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A project of ../shared/corpus or corpus-extra, read in place: its corpus, root folder, files
/// (relative to the root) and the folders of projects nested in it (left out).
pub struct CorpusProject {
    pub corpus: &'static str,
    pub root: PathBuf,
    pub listing: Vec<String>,
    pub exclude: Vec<String>,
}

/// Every project of both corpora, in order.
pub fn corpus_projects() -> Vec<CorpusProject> {
    let mut out = vec![];
    for corpus in ["corpus", "corpus-extra"] {
        let top = shared().join(corpus);
        let all = disk::walk(&top);
        let roots = disk::project_roots(&top, &all);
        for r in &roots {
            out.push(CorpusProject {
                corpus,
                root: if r.is_empty() {
                    top.clone()
                } else {
                    top.join(r)
                },
                listing: if r.is_empty() {
                    all.clone()
                } else {
                    disk::below(&all, r)
                },
                exclude: disk::nested_in(&roots, r),
            });
        }
    }
    out
}
