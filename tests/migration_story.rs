//! The add-column-to-a-materialized-view story walked step by step (tests/fixtures/migration/):
//! each state of the project, correct and with the typical mistakes, gives exactly the
//! diagnostics in `steps/<name>.expected` through `check`, and the same ones through the
//! language server. Set UPDATE_SNAPSHOTS=1 to rewrite the expected files.

mod common;
#[path = "support/lsp_client.rs"]
mod lsp_client;

use analysis::migration::instant::parse_datetime;
use cli::check::{check_path, CheckOptions};
use cli::render;
use lsp_client::{client_caps, uri, LspClient};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use syntax::text::{Encoding, LineIndex};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migration")
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('_') {
            continue;
        }
        let target = to.join(&name);
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else {
            std::fs::write(&target, std::fs::read(e.path()).unwrap()).unwrap();
        }
    }
}

/// Writes the state of step `name` (its bases first) into `dir`.
fn assemble(name: &str, dir: &Path) {
    let step = if name == "base" {
        fixtures().join("base")
    } else {
        fixtures().join("steps").join(name)
    };
    if name != "base" {
        let base = std::fs::read_to_string(step.join("_base")).unwrap();
        assemble(base.trim(), dir);
    }
    copy_dir(&step, dir);
    if let Ok(list) = std::fs::read_to_string(step.join("_delete")) {
        for p in list.lines().filter(|l| !l.trim().is_empty()) {
            let _ = std::fs::remove_file(dir.join(p.trim()));
        }
    }
}

/// The step folders, sorted.
fn step_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("steps"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

/// The state of step `name` in a fresh temporary folder named `story` (a fixed name: it
/// appears in the output). Keep the TempDir alive while using the path.
fn story(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("story");
    std::fs::create_dir(&dir).unwrap();
    assemble(name, &dir);
    (tmp, dir)
}

/// The state of step `name` loaded into a project database, analysed once at `now`; also the
/// folder's listing.
fn story_db(
    name: &str,
    now: Option<i64>,
) -> (tempfile::TempDir, Vec<String>, analysis::db::ProjectDb) {
    let (tmp, dir) = story(name);
    let files = disk::walk(&dir);
    let mut db = disk::load_project(&dir, &files, &[], None).unwrap();
    db.set_now(now);
    db.analyze(&disk::disk_loader);
    (tmp, files, db)
}

/// (path, line, severity, code) of every diagnostic.
type Finding = (String, u32, String, String);

fn via_server(dir: &Path, now: &str) -> BTreeSet<Finding> {
    let mut c = LspClient::spawn(&[]);
    c.initialize(
        dir,
        client_caps(true),
        json!({"diagnostics": {"debounceMs": 0}, "migration": {"now": now}}),
    );
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    c.drain(Duration::from_millis(200));
    let mut out = BTreeSet::new();
    let prefix = uri(dir) + "/";
    let uris: BTreeSet<String> = c
        .received
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .map(|m| m["params"]["uri"].as_str().unwrap().to_string())
        .collect();
    for u in uris {
        let d = c.last_diagnostics(&u).unwrap();
        for diag in d["diagnostics"].as_array().unwrap() {
            let severity = match diag["severity"].as_i64() {
                Some(1) => "error",
                Some(2) => "warning",
                Some(3) => "info",
                _ => "hint",
            };
            out.insert((
                u.strip_prefix(&prefix).unwrap_or(&u).to_string(),
                diag["range"]["start"]["line"].as_u64().unwrap() as u32,
                severity.to_string(),
                diag["code"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

#[test]
fn every_step_of_the_story_gives_the_expected_diagnostics() {
    let steps = fixtures().join("steps");
    let names = step_names();
    assert!(names.len() >= 10);
    let mut failures = Vec::new();
    for name in &names {
        let (_tmp, dir) = story(name);
        let now_text = std::fs::read_to_string(steps.join(name).join("_now")).unwrap();
        let now = parse_datetime(now_text.trim()).map(|(s, _, _)| s);
        let report = check_path(
            &dir,
            CheckOptions {
                now,
                ..Default::default()
            },
        )
        .unwrap();
        let actual = render::human(&report, false);
        let expected_path = steps.join(format!("{name}.expected"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&expected_path, &actual).unwrap();
        } else {
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            if expected != actual {
                failures.push(format!(
                    "{name}:\n--- expected\n{expected}\n--- actual\n{actual}"
                ));
            }
        }
        // The server publishes the same findings.
        let from_check: BTreeSet<Finding> = report
            .files()
            .flat_map(|f| {
                let index = LineIndex::new(&f.text);
                f.diagnostics.iter().map(move |d| {
                    let severity = format!("{:?}", d.severity).to_lowercase();
                    (
                        f.path.clone(),
                        index.position(&f.text, d.range.start, Encoding::Utf8).line,
                        severity,
                        d.code.to_string(),
                    )
                })
            })
            .collect();
        let from_server = via_server(&dir, now_text.trim());
        if from_check != from_server {
            failures.push(format!(
                "{name}: check and server differ:\ncheck:  {from_check:?}\nserver: {from_server:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The migration rules' codes; `SELECT *` into a target is advice, reviewed with every other
/// corpus warning in tests/corpus_warnings.rs.
fn migration_code(code: &str) -> bool {
    analysis::registry::is_migration_code(code) && code != "materialization-select-star"
}

/// Findings of the migration rules on ../shared/corpus that are true (file, code): none of
/// those projects is in the middle of a migration, and their materializations match their
/// targets. A new entry needs its explanation here.
const CORPUS_TRUE_FINDINGS: &[(&str, &str)] = &[];

#[test]
fn no_migration_diagnostics_on_corpus_projects_not_migrating() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.exists() {
        eprintln!("../shared/corpus not found: skipped");
        return;
    }
    let now = parse_datetime("2026-01-01 00:00:00").map(|(s, _, _)| s);
    let mut found = Vec::new();
    let mut projects = 0;
    for e in std::fs::read_dir(&corpus).unwrap().flatten() {
        if !e.path().is_dir() {
            continue;
        }
        projects += 1;
        let report = check_path(
            &e.path(),
            CheckOptions {
                now,
                ..Default::default()
            },
        )
        .unwrap();
        for f in report.files() {
            for d in &f.diagnostics {
                if migration_code(d.code)
                    && !CORPUS_TRUE_FINDINGS.contains(&(f.path.as_str(), d.code))
                {
                    found.push(format!("{}: {}: {}", f.path, d.code, d.message));
                }
            }
        }
    }
    assert!(projects > 20);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Applies edits (byte ranges) to a text, last first.
fn apply(text: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

#[test]
fn every_quick_fix_removes_its_diagnostic() {
    let steps = fixtures().join("steps");
    let names = step_names();
    let mut applied = 0;
    for name in &names {
        let now_text = std::fs::read_to_string(steps.join(name).join("_now")).unwrap();
        let now = parse_datetime(now_text.trim()).map(|(s, _, _)| s);
        let (_tmp, dir) = story(name);
        let report = check_path(
            &dir,
            CheckOptions {
                now,
                ..Default::default()
            },
        )
        .unwrap();
        let before: Vec<(String, &'static str)> = report
            .files()
            .flat_map(|f| f.diagnostics.iter().map(move |d| (f.path.clone(), d.code)))
            .collect();
        for f in report.files() {
            for d in f.diagnostics.iter().filter(|d| !d.fixes.is_empty()) {
                for fix in &d.fixes {
                    // Apply the fix to a fresh copy of the project.
                    let (_tmp2, dir2) = story(name);
                    let mut by_file: std::collections::BTreeMap<
                        String,
                        Vec<(usize, usize, String)>,
                    > = Default::default();
                    for e in &fix.edits {
                        let path = e.path.clone().unwrap_or_else(|| f.path.clone());
                        by_file.entry(path).or_default().push((
                            e.range.start,
                            e.range.end,
                            e.new_text.clone(),
                        ));
                    }
                    for (path, edits) in by_file {
                        let p = dir2.join(&path);
                        let text = std::fs::read_to_string(&p).unwrap();
                        std::fs::write(&p, apply(&text, edits)).unwrap();
                    }
                    let after = check_path(
                        &dir2,
                        CheckOptions {
                            now,
                            ..Default::default()
                        },
                    )
                    .unwrap();
                    let count = |r: &[(String, &'static str)]| {
                        r.iter()
                            .filter(|(p, c)| *p == f.path && *c == d.code)
                            .count()
                    };
                    let after_list: Vec<(String, &'static str)> = after
                        .files()
                        .flat_map(|x| x.diagnostics.iter().map(move |d| (x.path.clone(), d.code)))
                        .collect();
                    assert!(
                        count(&after_list) < count(&before),
                        "{name}: `{}` did not remove {} in {}",
                        fix.title,
                        d.code,
                        f.path
                    );
                    assert_eq!(
                        after.count(syntax::diagnostics::Severity::Error),
                        0,
                        "{name}: `{}` introduced errors",
                        fix.title
                    );
                    applied += 1;
                }
            }
        }
    }
    assert!(applied >= 10, "only {applied} fixes applied");
}

/// The migration rules keep per-pipe results between analyses: after each edit, the incremental
/// result must equal a fresh analysis of the same texts.
#[test]
fn incremental_migration_analysis_equals_a_fresh_one() {
    use analysis::db::ProjectDb;
    use disk::disk_loader;
    use std::sync::Arc;
    let now = parse_datetime("2023-11-08 09:00:00").map(|(s, _, _)| s);
    let mut checked = 0;
    for name in [
        "2-backfill",
        "2-from-legacy",
        "1-wrong-states",
        "2-wrong-ttl",
    ] {
        let (_tmp, files, mut db) = story_db(name, now);
        let paths: Vec<String> = db.paths().map(str::to_string).collect();
        for rel in paths
            .iter()
            .filter(|p| p.ends_with(".pipe") || p.ends_with(".datasource"))
        {
            let text = db.text(rel).unwrap().to_string();
            let edits = [
                text.replace("timestamp > '", "timestamp >= '"),
                text.replace("<= '2023-11-07 12:30:00'", "< '2023-11-07 12:31:00'"),
                text.replace("anySimpleState(environment)", "anyState(environment)"),
                text.replace("`hits` AggregateFunction(count)", "`hits` UInt64"),
                text.replace(
                    "FROM analytics_sessions_mv",
                    "FROM new_analytics_sessions_mv",
                ),
                text.clone(),
            ];
            for edit in edits {
                db.set_file(rel, Arc::from(edit.as_str()));
                let incremental = format!("{:?}", db.analyze(&disk_loader).diagnostics);
                let mut fresh = ProjectDb::new(db.root(), None);
                fresh.set_now(now);
                for p in &paths {
                    fresh.set_file(p, db.text(p).unwrap());
                }
                for p in files.iter().filter(|p| !db.contains(p)) {
                    fresh.set_file(p, Arc::from(""));
                }
                let full = format!("{:?}", fresh.analyze(&disk_loader).diagnostics);
                assert_eq!(incremental, full, "{name}: after editing {rel}");
                checked += 1;
            }
        }
    }
    assert!(checked > 50);
}

/// The migration rules never panic, whatever the files say: every line of every story state
/// deleted, duplicated or cut in half, one at a time, still gives a report.
#[test]
fn migration_rules_survive_broken_files() {
    use disk::disk_loader;
    use std::sync::Arc;
    let now = parse_datetime("2023-11-08 09:00:00").map(|(s, _, _)| s);
    let mut runs = 0;
    for name in [
        "2-backfill",
        "2-from-legacy",
        "2-wrong-scripts",
        "2-wrong-test-merges",
    ] {
        let (_tmp, _, mut db) = story_db(name, now);
        let paths: Vec<String> = db.paths().map(str::to_string).collect();
        for rel in &paths {
            let text = db.text(rel).unwrap().to_string();
            let lines: Vec<&str> = text.lines().collect();
            for i in 0..lines.len() {
                let mut half = lines[i].len() / 2;
                while !lines[i].is_char_boundary(half) {
                    half -= 1;
                }
                let cut = &lines[i][..half];
                for variant in [
                    [&lines[..i], &lines[i + 1..]].concat().join("\n"),
                    [&lines[..=i], &lines[i..]].concat().join("\n"),
                    [&lines[..i], &[cut][..], &lines[i + 1..]]
                        .concat()
                        .join("\n"),
                ] {
                    db.set_file(rel, Arc::from(variant.as_str()));
                    db.analyze(&disk_loader);
                    runs += 1;
                }
            }
            db.set_file(rel, Arc::from(text.as_str()));
        }
    }
    assert!(runs > 500, "{runs}");
}

/// The story as a sequence of commits, each step planned and checked against the one before
/// (`plan --base HEAD`, `check --base HEAD` at the step's "now"), then committed: in order, the
/// deploy plan shows one safe deployment per step; the whole migration in one change, or a live
/// side whose cutoff passed before it was deployed, get the deploy rules' warnings. Snapshot in
/// tests/fixtures/deploy/story.txt.
#[test]
fn the_story_walked_as_commits() {
    let walks: [(&str, &[&str]); 3] = [
        (
            "one step per deployment",
            &[
                "1-live",
                "2-backfill",
                "3-repointed",
                "4-finished-with-sibling",
            ],
        ),
        (
            "the whole migration in one change",
            &["4-finished-with-sibling"],
        ),
        (
            "a live side deployed after its cutoff",
            &["1-wrong-cutoff-in-past"],
        ),
    ];
    let tb = |dir: &Path, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tinybird-lsp"))
            .args(args)
            .current_dir(dir)
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap();
        format!(
            "{}{}(exit {})\n",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            out.status.code().unwrap_or(-1)
        )
    };
    let mut snapshot = String::new();
    for (title, steps) in walks {
        snapshot.push_str(&format!("# {title}\n"));
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("story");
        std::fs::create_dir(&dir).unwrap();
        assemble("base", &dir);
        common::git(&dir, &["init", "-q"]);
        common::git(&dir, &["add", "-A"]);
        common::git(&dir, &["commit", "-q", "-m", "base"]);
        for (i, step) in steps.iter().enumerate() {
            // The working tree becomes the step's state.
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                if e.file_name() == ".git" {
                    continue;
                }
                if e.path().is_dir() {
                    std::fs::remove_dir_all(e.path()).unwrap();
                } else {
                    std::fs::remove_file(e.path()).unwrap();
                }
            }
            assemble(step, &dir);
            let now =
                std::fs::read_to_string(fixtures().join("steps").join(step).join("_now")).unwrap();
            let head = common::git(&dir, &["rev-parse", "--short=7", "HEAD"]);
            let stable = |t: String| t.replace(&head, &format!("STEP{i}"));
            snapshot.push_str(&format!(
                "\n## {step} (now {})\n\n$ tinybird-lsp plan --base HEAD\n{}\n$ tinybird-lsp check --base HEAD\n{}",
                now.trim(),
                stable(tb(&dir, &["plan", "--base", "HEAD"])),
                stable(tb(&dir, &["check", "--base", "HEAD", "--now", now.trim()]))
            ));
            common::git(&dir, &["add", "-A"]);
            common::git(&dir, &["commit", "-q", "-m", step]);
        }
        snapshot.push('\n');
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deploy/story.txt");
    if let Some(d) = common::snapshot_difference(&path, &snapshot) {
        panic!("{d}");
    }
}
