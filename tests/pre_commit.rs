//! The hooks of .pre-commit-hooks.yaml, run by pre-commit (from PyPI, installed beside chdb by
//! scripts/ensure-chdb) with `try-repo` on fixture repositories: `tinybird-lsp-check` fails on
//! a project with an error and passes on a clean one; `tinybird-lsp-fmt` formats the files and
//! fails the commit so that the formatted files are looked at.

use std::path::{Path, PathBuf};
use std::process::Command;

fn pre_commit() -> PathBuf {
    let python = std::env::var("CHDB_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/tinybird-lsp/venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let bin = Path::new(&python).with_file_name("pre-commit");
    assert!(
        bin.exists(),
        "pre-commit is missing at {}: run scripts/ensure-chdb",
        bin.display()
    );
    bin
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.email=test@example.com", "-c", "user.name=test"])
        .args(args)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

/// A git repository holding `files`, committed.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "fixture"]);
    dir
}

/// `pre-commit try-repo <this repository> <hook> --all-files` in `repo`, with our binary first
/// on PATH: (success, output).
fn try_hook(repo: &Path, hook: &str) -> (bool, String) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_tinybird-lsp"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = tempfile::tempdir().unwrap();
    // The hooks file as it is in the working tree, in a repository of its own (the checkout
    // running the tests need not be a git repository).
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks_repo = repository(&[(".pre-commit-hooks.yaml", &hooks)]);
    let out = Command::new(pre_commit())
        .current_dir(repo)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home.path())
        .args(["try-repo"])
        .arg(hooks_repo.path())
        .args([hook, "--all-files"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_pre_commit_hooks_check_and_format() {
    let broken = repository(&[(
        "pipes/p.pipe",
        "NODE n\nSQL >\n    %\n    SELECT 1 WHERE {{ DateTme(x) }}\n",
    )]);
    let (ok, out) = try_hook(broken.path(), "tinybird-lsp-check");
    assert!(!ok, "{out}");
    assert!(out.contains("error[template-syntax]"), "{out}");

    let clean = repository(&[
        (
            "datasources/events.datasource",
            "SCHEMA >\n    `ts` DateTime\n",
        ),
        (
            "pipes/p.pipe",
            "NODE n\nSQL >\n    SELECT count() FROM events\n",
        ),
    ]);
    let (ok, out) = try_hook(clean.path(), "tinybird-lsp-check");
    assert!(ok, "{out}");

    let unformatted = repository(&[("datasources/e.datasource", "schema >\n  `ts` DateTime\n")]);
    let (ok, out) = try_hook(unformatted.path(), "tinybird-lsp-fmt");
    assert!(!ok, "files were modified: {out}");
    assert_eq!(
        std::fs::read_to_string(unformatted.path().join("datasources/e.datasource")).unwrap(),
        "SCHEMA >\n    `ts` DateTime\n"
    );
    let (ok, out) = try_hook(unformatted.path(), "tinybird-lsp-fmt");
    assert!(ok, "formatted now: {out}");
}
