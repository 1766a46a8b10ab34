//! `aggregate-state-read` against ClickHouse (chdb): every aggregate call the rule flags in the
//! fixture tests/fixtures/check/aggregate-reads fails on ClickHouse with the fixture's schema,
//! and every one it leaves alone runs.

use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use tinybird_lsp::cli::check::{check_path, CheckOptions};

fn chdb_python() -> String {
    std::env::var("CHDB_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tinybird-lsp/venv/bin/python")
    })
}

#[test]
fn flagged_aggregate_reads_fail_on_clickhouse_and_the_others_run() {
    let python = chdb_python();
    assert!(
        Path::new(&python).exists(),
        "chdb's Python is missing at {python}: run scripts/ensure-chdb (or set CHDB_PYTHON)"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/aggregate-reads");
    let report = check_path(&root, CheckOptions::default()).unwrap();
    let setup = vec![
        "CREATE TABLE daily (date Date, device SimpleAggregateFunction(any, String), visitors AggregateFunction(uniq, String), hits AggregateFunction(count)) ENGINE = AggregatingMergeTree ORDER BY date".to_string(),
        "INSERT INTO daily SELECT toDate('2024-01-01') + number % 3, toString(number), uniqState(toString(number)), countState() FROM numbers(10) GROUP BY number".to_string(),
    ];
    // Each aggregate call of both endpoints, on its own.
    let mut cases = Vec::new();
    for f in report.files().filter(|f| f.path.starts_with("pipes/")) {
        for (line_no, line) in f.text.lines().enumerate() {
            for call in [
                "sum(hits)",
                "uniqMerge(hits)",
                "anyMerge(device)",
                "any(device)",
                "uniqMerge(visitors)",
                "countMerge(hits)",
            ] {
                if !line.contains(call) {
                    continue;
                }
                let offset: usize = f
                    .text
                    .lines()
                    .take(line_no)
                    .map(|l| l.len() + 1)
                    .sum::<usize>()
                    + line.find(call).unwrap();
                let flagged = f.diagnostics.iter().any(|d| {
                    d.code == "aggregate-state-read"
                        && d.range.start >= offset
                        && d.range.start < offset + call.len()
                });
                cases.push((call, flagged));
            }
        }
    }
    assert!(cases.len() >= 6, "{cases:?}");
    assert!(cases.iter().any(|c| c.1) && cases.iter().any(|c| !c.1));
    let input: Vec<Value> = cases
        .iter()
        .map(|(call, _)| json!({"setup": setup, "query": format!("SELECT {call} FROM daily GROUP BY date")}))
        .collect();
    let mut child = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/chdb_run.py"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run chdb");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&input).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "chdb_run.py failed");
    let verdicts: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for ((call, flagged), v) in cases.iter().zip(&verdicts) {
        let ok = v["ok"].as_bool().unwrap();
        assert_eq!(*flagged, !ok, "{call}: flagged={flagged}, ClickHouse: {v}");
    }
}
