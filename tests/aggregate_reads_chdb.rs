//! `aggregate-state-read` against ClickHouse (chdb): every aggregate call the rule flags in the
//! fixture tests/fixtures/check/aggregate-reads fails on ClickHouse with the fixture's schema,
//! and every one it leaves alone runs.

#[path = "support/chdb_project.rs"]
mod chdb_project;

use serde_json::{json, Value};
use std::path::Path;
use tinybird_lsp::cli::check::{check_path, CheckOptions};

#[test]
fn flagged_aggregate_reads_fail_on_clickhouse_and_the_others_run() {
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
    let verdicts = chdb_project::run_script("chdb_run.py", &Value::Array(input));
    let verdicts = verdicts.as_array().unwrap();
    for ((call, flagged), v) in cases.iter().zip(verdicts) {
        let ok = v["ok"].as_bool().unwrap();
        assert_eq!(*flagged, !ok, "{call}: flagged={flagged}, ClickHouse: {v}");
    }
}

/// The fixed result types the migration actions give a new column (`anySimpleState(x)` of a
/// column `x` a pipe computes with `JSONExtractString(...)`) are ClickHouse's own.
#[test]
fn fixed_return_types_are_clickhouses() {
    use tinybird_lsp::actions::sql_edit::RETURN_TYPES;
    let input: Vec<Value> = RETURN_TYPES
        .iter()
        .map(|(f, ty, args)| {
            json!({"query": format!(
                "SELECT throwIf(toTypeName({f}({args})) != '{ty}', concat('{f}: ', toTypeName({f}({args}))))"
            )})
        })
        .collect();
    let verdicts = chdb_project::run_script("chdb_run.py", &Value::Array(input));
    let wrong: Vec<String> = RETURN_TYPES
        .iter()
        .zip(verdicts.as_array().unwrap())
        .filter(|(_, v)| !v["ok"].as_bool().unwrap())
        .map(|((f, ty, _), v)| format!("{f} is not {ty}: {}", v["error"]))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
