//! Every aggregate mismatch `materialization-schema-mismatch` reports on our fixtures, replayed
//! on ClickHouse (chdb): the source table from its SCHEMA, a target column of the declared type,
//! the SELECT item as a materialized view, two inserts of random rows, a merge. ClickHouse must
//! refuse the view, fail the inserts, or hold something other than the aggregate over all rows:
//! a warning that says ClickHouse cannot store it or rows merge wrongly is one ClickHouse shows.

#[path = "support/chdb_project.rs"]
mod chdb_project;

use cli::check::{check_path, CheckOptions};
use project::model::{Project, ResourceId, ResourceKind, Target};
use std::path::Path;

const FIXTURES: &[&str] = &[
    "tests/fixtures/check/state-types",
    "tests/fixtures/check/precision-classic",
    "tests/fixtures/check/precision-forward",
];

/// The datasource a pipe's node holding `offset` reads in its main FROM.
fn source_of(p: &Project, pipe_path: &str, offset: usize) -> Option<ResourceId> {
    let (pi, pipe) = p
        .resources
        .iter_enumerated()
        .find(|(_, r)| &*r.path == pipe_path && r.kind == ResourceKind::Pipe)?;
    let node = pipe.nodes.iter().find(|n| {
        n.sql
            .as_ref()
            .and_then(|s| s.main.as_ref())
            .is_some_and(|m| {
                let r = n.file_range(m.range);
                r.start <= offset && offset <= r.end
            })
    })?;
    let from = node.sql.as_ref()?.main_from()?;
    match p.resolve(&from.full_name(), Some(pi)) {
        Target::Resource(ds) if p.resources[ds].kind == ResourceKind::Datasource => Some(ds),
        _ => None,
    }
}

#[test]
fn every_reported_state_mismatch_is_one_clickhouse_shows() {
    let mut replayed = 0;
    let mut failures = Vec::new();
    for fixture in FIXTURES {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
        let report = check_path(&root, CheckOptions::default()).unwrap();
        let p = &report.projects[0].project;
        for f in report.files() {
            for d in &f.diagnostics {
                if d.code != "materialization-schema-mismatch" || !d.message.contains("ClickHouse")
                {
                    continue;
                }
                let item = &f.text[d.range.start..d.range.end];
                let (expr, _) = item
                    .rsplit_once(" AS ")
                    .or_else(|| item.rsplit_once(" as "))
                    .unwrap_or((item, ""));
                let related = &d.related[0];
                let target_path = related.path.as_deref().unwrap();
                let target_text = report
                    .files()
                    .find(|t| t.path == target_path)
                    .map(|t| t.text.clone())
                    .unwrap();
                let declared = &target_text[related.range.start..related.range.end];
                let ds = source_of(p, &f.path, d.range.start)
                    .unwrap_or_else(|| panic!("{fixture}/{}: no source for `{item}`", f.path));
                let source = &p.resources[ds].name;
                let columns = analysis::migration::columns(p, ds);
                let names: Vec<String> = columns.iter().map(|c| format!("`{}`", c.name)).collect();
                let plain = !declared.contains("Aggregate");
                let engine = if plain {
                    "MergeTree"
                } else {
                    "AggregatingMergeTree"
                };
                // Rows whose values differ per row and per insert (random data hides wrong
                // merges of extreme values).
                let insert = |seed: u32| {
                    let values: Vec<String> = columns
                        .iter()
                        .map(|c| format!("CAST((number * 7 + {seed}) % 23 + {seed} AS {})", c.ty))
                        .collect();
                    format!(
                        "INSERT INTO `{source}` ({}) SELECT {} FROM numbers(30)",
                        names.join(", "),
                        values.join(", ")
                    )
                };
                // The aggregate the item stands for, over all rows at once.
                let direct = expr
                    .trim()
                    .replacen("SimpleState", "", 1)
                    .replacen("State", "", 1);
                let read = if declared.starts_with("AggregateFunction") {
                    "finalizeAggregation(v)"
                } else {
                    "v"
                };
                let final_ = if plain { "" } else { " FINAL" };
                let statements = vec![
                    (chdb_project::create_table(p, ds).unwrap(), false),
                    (
                        format!("CREATE TABLE __target (k UInt8, v {declared}) ENGINE = {engine} ORDER BY k"),
                        false,
                    ),
                    (
                        format!("CREATE MATERIALIZED VIEW __mv TO __target AS SELECT 0 AS k, {expr} AS v FROM `{source}` GROUP BY k"),
                        false,
                    ),
                    (insert(1), false),
                    (insert(2), false),
                    (format!("OPTIMIZE TABLE __target{}", final_), false),
                    (format!("SELECT toString({read}) FROM __target{final_}"), true),
                    (format!("SELECT toString({direct}) FROM `{source}`"), true),
                ];
                let out = chdb_project::run(&statements);
                assert!(out[0].ok && out[1].ok, "{fixture}: setup failed: {out:?}");
                let refused = !out[2].ok;
                let inserts_fail = out[2].ok && (!out[3].ok || !out[4].ok);
                let stored_differs = out[2].ok
                    && out[3].ok
                    && out[4].ok
                    && (!out[6].ok || out[6].rows != out[7].rows);
                replayed += 1;
                if !(refused || inserts_fail || stored_differs) {
                    failures.push(format!(
                        "{fixture}/{}: `{item}` into `{declared}` is reported, but ClickHouse stores it and merges to the aggregate ({:?} = {:?}): {}",
                        f.path, out[6].rows, out[7].rows, d.message
                    ));
                }
            }
        }
    }
    assert!(replayed >= 4, "only {replayed} mismatches replayed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `aggregating-key-mismatch` says rows that differ only in a grouped column outside the
/// sorting key are combined when parts merge: two parts with two values of that column and
/// the same key merge into one row on ClickHouse (and ClickHouse 26 refuses the table unless
/// `allow_dimensions_outside_sorting_key` is set).
#[test]
fn every_reported_key_mismatch_merges_rows_on_clickhouse() {
    let mut replayed = 0;
    for fixture in FIXTURES {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
        let report = check_path(&root, CheckOptions::default()).unwrap();
        let p = &report.projects[0].project;
        for f in report.files() {
            for d in f
                .diagnostics
                .iter()
                .filter(|d| d.code == "aggregating-key-mismatch")
            {
                let column = d.message.split("groups by `").nth(1).unwrap();
                let column = column.split('`').next().unwrap();
                let target_path = d.related[0].path.as_deref().unwrap();
                let (ds, r) = p
                    .resources
                    .iter_enumerated()
                    .find(|(_, r)| &*r.path == target_path && r.kind == ResourceKind::Datasource)
                    .unwrap();
                let df = &p.files[r.file].datafile;
                let key = df.engine().and_then(|e| e.param("sorting_key")).unwrap();
                let keys: Vec<&str> = key
                    .text
                    .trim_matches(|c| c == '(' || c == ')')
                    .split(',')
                    .map(str::trim)
                    .collect();
                let cols = analysis::migration::columns(p, ds);
                let ty = |name: &str| &cols.iter().find(|c| c.name == name).unwrap().ty;
                let row = |v: u32| {
                    let names: Vec<String> = keys
                        .iter()
                        .chain([&column])
                        .map(|c| format!("`{c}`"))
                        .collect();
                    let values: Vec<String> = keys
                        .iter()
                        .map(|k| format!("CAST(1 AS {})", ty(k)))
                        .chain([format!("CAST({v} AS {})", ty(column))])
                        .collect();
                    format!(
                        "INSERT INTO `{}` ({}) SELECT {}",
                        r.name,
                        names.join(", "),
                        values.join(", ")
                    )
                };
                // Recent ClickHouse refuses such a table outright (code 36); with the setting
                // that allows it, the rows merge as the warning says.
                let create = chdb_project::create_table(p, ds).unwrap();
                let refused = chdb_project::run(&[(create.clone(), false)]);
                assert!(
                    !refused[0].ok && refused[0].error.contains("Code: 36"),
                    "{fixture}: {refused:?}"
                );
                let out = chdb_project::run(&[
                    (
                        format!("{create} SETTINGS allow_dimensions_outside_sorting_key = 1"),
                        false,
                    ),
                    (row(1), false),
                    (row(2), false),
                    (format!("OPTIMIZE TABLE `{}` FINAL", r.name), false),
                    (format!("SELECT count() FROM `{}`", r.name), true),
                ]);
                assert!(out.iter().all(|o| o.ok), "{fixture}: {out:?}");
                assert_eq!(
                    out[4].rows,
                    vec![vec![serde_json::json!(1)]],
                    "{fixture}/{}: rows differing in `{column}` were not merged: {}",
                    f.path,
                    d.message
                );
                replayed += 1;
            }
        }
    }
    assert!(replayed >= 1, "no key mismatch replayed");
}
