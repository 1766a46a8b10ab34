//! Every diagnostic below error that `check` gives on ../shared/corpus and
//! ../shared/corpus-extra against the reviewed list in tests/fixtures/corpus-warnings.tsv (each
//! read in its file and judged true or false, with a reason). Fails when a diagnostic appears
//! that nobody reviewed, when one marked false comes back, or when one marked true is no longer
//! reported (a lost true finding).

mod common;

use cli::check::{check_path, CheckOptions};
use common::shared;
use std::collections::BTreeMap;
use std::path::Path;
use syntax::diagnostics::Severity;
use syntax::text::LineIndex;

/// (corpus, path, line, code) → (true?, why).
type Reviewed = BTreeMap<(String, String, usize, String), (bool, String)>;

fn reviewed() -> Reviewed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus-warnings.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Reviewed::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [corpus, path, line_no, code, verdict, why] = cols.as_slice() else {
            panic!("malformed reviewed line: {line}");
        };
        assert!(
            *verdict == "true" || *verdict == "false",
            "verdict must be true or false: {line}"
        );
        assert!(
            !why.trim().is_empty(),
            "a reviewed line needs its reason: {line}"
        );
        out.insert(
            (
                corpus.to_string(),
                path.to_string(),
                line_no.parse().unwrap(),
                code.to_string(),
            ),
            (*verdict == "true", why.to_string()),
        );
    }
    out
}

#[test]
fn every_corpus_warning_is_reviewed_and_true() {
    let reviewed = reviewed();
    let mut seen = Vec::new();
    for corpus in ["corpus", "corpus-extra"] {
        let report = check_path(&shared().join(corpus), CheckOptions::default()).unwrap();
        for f in report.files() {
            let index = LineIndex::new(&f.text);
            for d in f
                .diagnostics
                .iter()
                .filter(|d| d.severity != Severity::Error)
            {
                let line = index.line_of(d.range.start) + 1;
                seen.push((corpus.to_string(), f.path.clone(), line, d.code.to_string()));
            }
        }
    }
    let mut failures = Vec::new();
    for key in &seen {
        match reviewed.get(key) {
            None => failures.push(format!(
                "not reviewed: {}\t{}\t{}\t{}",
                key.0, key.1, key.2, key.3
            )),
            Some((false, why)) => failures.push(format!(
                "a warning reviewed as false is back: {}:{} {} ({why})",
                key.1, key.2, key.3
            )),
            Some((true, _)) => {}
        }
    }
    for (key, (true_, why)) in &reviewed {
        if *true_ && !seen.contains(key) {
            failures.push(format!(
                "a true finding is no longer reported: {}:{} {} ({why})",
                key.1, key.2, key.3
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences from tests/fixtures/corpus-warnings.tsv:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
