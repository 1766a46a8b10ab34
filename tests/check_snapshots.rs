//! `check` on fixture projects (tests/fixtures/check/<name>/) against the expected human output
//! in tests/fixtures/check/<name>.expected. Set UPDATE_SNAPSHOTS=1 to rewrite them.

use std::path::Path;
use tinybird_lsp::cli::{check::check_path, render};

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
        let report = check_path(&entry.path(), None).unwrap();
        let actual = render::human(&report, false);
        let expected_path = entry.path().with_extension("expected");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                entry.path().display()
            ));
        }
    }
    assert!(n > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
