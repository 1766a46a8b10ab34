//! The migration actions, step by step, on fixture projects (tests/fixtures/actions/<case>/
//! steps.json): each step's change is compared with `expected.txt` (UPDATE_SNAPSHOTS=1 rewrites
//! it); after each step the project may only show the migration diagnostics the step lists as
//! allowed (those a later step resolves) and no error; every state's tables, materialized views,
//! copies and quality tests run on ClickHouse (chdb); every datafile an action writes is accepted
//! by the official parser of the project's dialect (../shared/tools/tb-oracle).

#[path = "support/chdb_project.rs"]
mod chdb_project;
mod common;

use actions::{self, offers, Request};
use analysis::db::Analysis;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use syntax::diagnostics::Severity;
use syntax::Dialect;

/// The diagnostics a step may leave: the migration rules' and what a half-done migration
/// shows in the project graph.
fn relevant_code(code: &str) -> bool {
    analysis::registry::is_migration_code(code)
        || matches!(code, "unknown-table" | "missing-target-datasource")
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file below `dir`, by relative path.
fn load(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for rel in disk::walk(dir) {
        if let Ok(t) = std::fs::read_to_string(dir.join(&rel)) {
            out.insert(rel, t);
        }
    }
    out
}

fn analyse(files: &BTreeMap<String, String>, now: i64) -> Analysis {
    chdb_project::analyse(files, Some(now))
}

fn parse_now(s: &str) -> i64 {
    analysis::migration::instant::parse_datetime(s).unwrap().0
}

/// What an action generated, for the official parser.
struct Generated {
    case: String,
    step: usize,
    dialect: Dialect,
    path: String,
    text: String,
}

/// Runs the state's writers and tests on ClickHouse: every statement must succeed.
fn check_on_clickhouse(a: &Analysis, context: &str) {
    let p = &a.project;
    let mut statements: Vec<(String, bool)> = chdb_project::schema(p)
        .into_iter()
        .map(|s| (s, false))
        .collect();
    for pipe in chdb_project::copy_pipes(p) {
        if let Some(sql) = chdb_project::run_writer(p, &pipe) {
            statements.push((sql, false));
        }
    }
    for r in &p.resources {
        let df = &p.files[r.file].datafile;
        if let Some(fq) = df
            .forward_query
            .as_ref()
            .filter(|_| r.kind == project::model::ResourceKind::Datasource)
        {
            statements.push((
                format!("SELECT * FROM ({} FROM `{}`)", fq.text.text, r.name),
                true,
            ));
        }
    }
    for (_, sql) in chdb_project::quality_tests(p) {
        statements.push((sql, true));
    }
    // Every endpoint that is plain SQL (a repointed reader must still compile).
    for id in p.resources.ids() {
        let r = &p.resources[id];
        if r.pipe_kind != Some(project::model::PipeKind::Endpoint) || r.nodes.is_empty() {
            continue;
        }
        if let Some(sql) = chdb_project::expand(p, id, r.nodes.len() - 1, 0) {
            statements.push((format!("SELECT * FROM ({sql}) LIMIT 0"), true));
        }
    }
    let outcomes = chdb_project::run(&statements);
    for ((sql, _), o) in statements.iter().zip(&outcomes) {
        assert!(o.ok, "{context}: ClickHouse rejects\n{sql}\n{}", o.error);
    }
}

fn render_step(
    n: usize,
    change: &actions::Change,
    new: &BTreeMap<String, Option<String>>,
) -> String {
    let mut out = format!("## step {n}: {}\n", change.title);
    for note in &change.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    for (path, text) in new {
        match text {
            None => out.push_str(&format!("--- delete {path}\n")),
            Some(t) => {
                let verb = if change.create.iter().any(|f| &f.path == path) {
                    if change
                        .create
                        .iter()
                        .any(|f| &f.path == path && f.executable)
                    {
                        "create (executable)"
                    } else {
                        "create"
                    }
                } else {
                    "edit"
                };
                out.push_str(&format!("--- {verb} {path}\n{t}"));
                if !t.ends_with('\n') {
                    out.push_str("\n[no newline at end]\n");
                }
            }
        }
    }
    out
}

fn run_case(dir: &Path, generated: &mut Vec<Generated>) -> String {
    let case = dir.file_name().unwrap().to_string_lossy().to_string();
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("steps.json")).unwrap()).unwrap();
    let mut files = load(&manifest().join(spec["project"].as_str().unwrap()));
    let mut out = String::new();
    for (n, step) in spec["steps"].as_array().unwrap().iter().enumerate() {
        let n = n + 1;
        if let Some(w) = step.get("write") {
            files.insert(
                w["path"].as_str().unwrap().to_string(),
                w["text"].as_str().unwrap().to_string(),
            );
            continue;
        }
        let now = parse_now(step["now"].as_str().unwrap());
        let a = analyse(&files, now);
        let request: Request = match (step.get("request"), step.get("quickFix")) {
            (Some(r), _) => serde_json::from_value(r.clone()).unwrap(),
            (None, Some(q)) => {
                let path = q["path"].as_str().unwrap();
                let code = q["code"].as_str().unwrap();
                let d = a.diagnostics[path]
                    .iter()
                    .find(|d| d.code == code)
                    .unwrap_or_else(|| panic!("{case} step {n}: no {code} in {path}"));
                let offered = offers::offers_at(
                    &a.project,
                    &a.migrations,
                    path,
                    d.range,
                    &a.diagnostics[path],
                );
                offered
                    .into_iter()
                    .find(|o| o.fixes.is_some_and(|(c, _)| c == code))
                    .unwrap_or_else(|| panic!("{case} step {n}: no quick fix offered for {code}"))
                    .request
            }
            _ => panic!("{case} step {n}: a step needs `request`, `quickFix` or `write`"),
        };
        let read = |p: &str| files.get(p).map(|t| Arc::from(t.as_str()));
        let delay = step["delayMinutes"].as_u64().unwrap_or(60);
        let result = chdb_project::run_request(&files, &a, &request, now, delay);
        if let Some(want) = step.get("error") {
            let e = result.expect_err("the step should fail");
            out.push_str(&format!("## step {n}: refused\nerror: {e}\n\n"));
            assert!(
                e.to_string().contains(want.as_str().unwrap()),
                "{case} step {n}: {e}"
            );
            continue;
        }
        let change = result.unwrap_or_else(|e| panic!("{case} step {n}: {e}"));
        let new = change.apply(&read).unwrap();
        out.push_str(&render_step(n, &change, &new));
        for (path, text) in &new {
            match text {
                Some(t) => {
                    files.insert(path.clone(), t.clone());
                    if path.ends_with(".pipe") || path.ends_with(".datasource") {
                        generated.push(Generated {
                            case: case.clone(),
                            step: n,
                            dialect: a.project.dialect,
                            path: path.clone(),
                            text: t.clone(),
                        });
                    }
                }
                None => {
                    files.remove(path);
                }
            }
        }
        // What the project shows now.
        let after = analyse(&files, now);
        let allowed: Vec<&str> = step["allow"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push_str("diagnostics after the step:\n");
        for (path, ds) in &after.diagnostics {
            for d in ds {
                let relevant = d.severity == Severity::Error || relevant_code(d.code);
                if !relevant {
                    continue;
                }
                out.push_str(&format!("  {path}: {:?} {}\n", d.severity, d.code));
                assert!(
                    d.severity != Severity::Error && allowed.contains(&d.code),
                    "{case} step {n}: unexpected {:?} {} in {path}: {}",
                    d.severity,
                    d.code,
                    d.message
                );
            }
        }
        out.push('\n');
        check_on_clickhouse(&after, &format!("{case} step {n}"));
    }
    out
}

#[test]
fn every_action_step_gives_the_expected_change() {
    let root = manifest().join("tests/fixtures/actions");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("steps.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "fixture cases are missing");
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let mut generated = Vec::new();
    let mut failures = Vec::new();
    for dir in &cases {
        let got = run_case(dir, &mut generated);
        let expected_path = dir.join("expected.txt");
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{}: the change differs from expected.txt (UPDATE_SNAPSHOTS=1 rewrites it)\n{}",
                dir.display(),
                first_difference(&want, &got)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    official_parser_accepts(&generated);
}

fn first_difference(want: &str, got: &str) -> String {
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            return format!("line {}:\n  expected: {w}\n  got:      {g}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} lines, got {}",
        want.lines().count(),
        got.lines().count()
    )
}

/// Every generated datafile through the official parser of its project's dialect.
fn official_parser_accepts(generated: &[Generated]) {
    let oracle = common::shared().join("tools/tb-oracle/tb_oracle.py");
    let tmp = tempfile::tempdir().unwrap();
    for (dialect, cli) in common::dialects() {
        let mine: Vec<&Generated> = generated.iter().filter(|g| g.dialect == dialect).collect();
        if mine.is_empty() {
            continue;
        }
        let mut list = String::new();
        for g in &mine {
            let path = tmp
                .path()
                .join(format!("{}-{}", g.case, g.step))
                .join(&g.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &g.text).unwrap();
            list.push_str(&format!("{}\n", path.display()));
        }
        let list_path = tmp.path().join(format!("{cli}.txt"));
        std::fs::write(&list_path, list).unwrap();
        let out = std::process::Command::new("python3")
            .arg(&oracle)
            .args([
                "--batch",
                &list_path.to_string_lossy(),
                "--cli",
                cli,
                "--compact",
            ])
            .output()
            .expect("run tb-oracle (../shared/tools/tb-oracle; setup.sh once)");
        let text = String::from_utf8_lossy(&out.stdout);
        let verdicts: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert_eq!(
            verdicts.len(),
            mine.len(),
            "tb-oracle answered {} of {} files (is it set up? ../shared/tools/tb-oracle/setup.sh): {}",
            verdicts.len(),
            mine.len(),
            String::from_utf8_lossy(&out.stderr)
        );
        for v in &verdicts {
            let verdict = &v[cli];
            assert!(
                verdict["ok"].as_bool() == Some(true),
                "the official {cli} parser rejects {}: {}",
                v["file"],
                verdict["error"]
            );
        }
    }
}
