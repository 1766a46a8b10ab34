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
        let report = check_path(&entry.path(), CheckOptions { dialect: None, now }).unwrap();
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
