//! `check` on fixture projects (tests/fixtures/check/<name>/) against the expected human output
//! in tests/fixtures/check/<name>.expected, and `graph --format json` against
//! <name>.graph.json. Set UPDATE_SNAPSHOTS=1 to rewrite them.

mod common;

use analysis::migration::instant::parse_datetime;
use cli::{
    check::{check_path, CheckOptions},
    render,
};
use project::graph::Graph;
use std::path::Path;

#[test]
fn check_output_matches_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let mut failures = Vec::new();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        n += 1;
        // `<name>.now` fixes "now" for the time-dependent rules.
        let now = std::fs::read_to_string(entry.path().with_extension("now"))
            .ok()
            .and_then(|t| parse_datetime(t.trim()))
            .map(|(secs, _, _)| secs);
        let report = check_path(
            &entry.path(),
            CheckOptions {
                now,
                ..Default::default()
            },
        )
        .unwrap();
        let graph = Graph::of(&report.projects[0].project).to_json() + "\n";
        let outputs = [
            (
                render::human(&report, false),
                entry.path().with_extension("expected"),
            ),
            (graph, entry.path().with_extension("graph.json")),
        ];
        for (actual, expected_path) in outputs {
            failures.extend(common::snapshot_difference(&expected_path, &actual));
        }
    }
    assert!(n > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every code `check` reports on the fixtures and the shared corpora is declared in the rule
/// registry, with the severity it declares (unless it declares that the severity varies).
#[test]
fn every_reported_code_is_declared_with_its_severity() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![
        root.join("tests/fixtures/check"),
        root.join("tests/fixtures/ide"),
        root.join("examples"),
    ];
    for shared in ["corpus", "corpus-extra", "conformance"] {
        let d = root.join("../shared").join(shared);
        if d.exists() {
            dirs.push(d);
        }
    }
    let mut problems = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    for dir in dirs {
        for dialect in [None, Some(syntax::Dialect::Forward)] {
            let now = parse_datetime("2026-06-01 00:00:00").map(|(s, _, _)| s);
            let report = check_path(
                &dir,
                CheckOptions {
                    dialect,
                    now,
                    ..Default::default()
                },
            )
            .unwrap();
            for f in report.files() {
                for d in &f.diagnostics {
                    seen.insert(d.code);
                    match analysis::registry::code(d.code) {
                        None => {
                            problems.insert(format!("`{}` is not in the registry", d.code));
                        }
                        Some(c) if c.varies.is_none() && c.severity != d.severity => {
                            problems.insert(format!(
                                "`{}` is reported as {:?}, the registry says {:?} ({})",
                                d.code, d.severity, c.severity, f.path
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }
    assert!(seen.len() > 30, "only {} codes seen", seen.len());
    assert!(
        problems.is_empty(),
        "{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}
