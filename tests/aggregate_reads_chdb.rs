//! `aggregate-state-read` against ClickHouse (chdb): every aggregate call the rule flags in the
//! fixture tests/fixtures/check/aggregate-reads fails on ClickHouse with the fixture's schema,
//! and every one it leaves alone runs.

#[path = "support/chdb_project.rs"]
mod chdb_project;

use cli::check::{check_path, CheckOptions};
use serde_json::{json, Value};
use std::path::Path;

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
    use actions::sql_edit::RETURN_TYPES;
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

/// The types hover and completion give computed columns (`actions::sql_edit::
/// infer_type`: aggregates, -If and -Merge over states) are ClickHouse's own `toTypeName`.
#[test]
fn inferred_column_types_are_clickhouses() {
    use actions::sql_edit::{infer_type, item_expression};
    let columns = [
        ("s", "String"),
        ("n", "UInt32"),
        ("i", "Int16"),
        ("f", "Float32"),
        ("d", "DateTime"),
        ("c", "AggregateFunction(count)"),
        ("u", "AggregateFunction(uniq, String)"),
        ("mx", "AggregateFunction(max, DateTime)"),
        ("sm", "AggregateFunction(sum, UInt32)"),
        ("av", "AggregateFunction(avg, Float32)"),
    ];
    let calls = [
        "count()",
        "countIf(n > 1)",
        "sum(n)",
        "sum(i)",
        "sum(f)",
        "sumIf(n, n > 1)",
        "min(d)",
        "maxIf(s, n > 1)",
        "any(s)",
        "anyLast(n)",
        "argMax(s, d)",
        "avg(n)",
        "uniq(s)",
        "uniqExact(s)",
        "uniqIf(s, n > 1)",
        "countMerge(c)",
        "uniqMerge(u)",
        "uniqMergeIf(u, 1)",
        "maxMerge(mx)",
        "sumMerge(sm)",
        "avgMerge(av)",
        "countState()",
        "uniqState(s)",
        "anySimpleState(s)",
        "toDate(d)",
    ];
    let type_of = |c: &str| {
        columns
            .iter()
            .find(|(n, _)| *n == c)
            .and_then(|(_, t)| syntax::chtype::Type::parse(t))
    };
    let mut statements = vec![
        (
            format!(
                "CREATE TABLE t ({}) ENGINE = Memory",
                columns
                    .iter()
                    .map(|(n, t)| format!("{n} {t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            false,
        ),
        (
            // One row, so that plain functions give a type too.
            "INSERT INTO t SELECT 'a', 1, -1, 0.5, now(), countState(), uniqState('a'), \
         maxState(now()), sumState(toUInt32(1)), avgState(toFloat32(1))"
                .to_string(),
            false,
        ),
    ];
    let mut expected = Vec::new();
    for call in calls {
        let sql = format!("SELECT {call} AS x FROM t");
        let analysis = syntax::sql::analyze(&sql);
        let item = &analysis.main.as_ref().unwrap().items[0];
        let expr = item_expression(&sql[item.range.start..item.range.end], item).unwrap();
        let ours = infer_type(item, expr, type_of);
        assert!(ours.is_some(), "no type inferred for {call}");
        expected.push((call, ours.unwrap().to_string()));
        statements.push((format!("SELECT toTypeName({call}) FROM t"), true));
    }
    let outcomes = chdb_project::run(&statements);
    assert!(outcomes[0].ok && outcomes[1].ok, "{outcomes:?}");
    let wrong: Vec<String> = expected
        .iter()
        .zip(&outcomes[2..])
        .filter_map(|((call, ours), o)| {
            let theirs = o
                .rows
                .first()
                .and_then(|r| r.first())
                .and_then(|v| v.as_str());
            (theirs != Some(ours.as_str()))
                .then(|| format!("{call}: ours {ours}, ClickHouse {theirs:?} {}", o.error))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A scalar subquery's type as ClickHouse gives it: Nullable where the column's type can be.
#[test]
fn scalar_subquery_types_are_clickhouses() {
    use actions::sql_edit::scalar_subquery_type;
    let types = [
        "String",
        "UInt64",
        "Nullable(UInt8)",
        "LowCardinality(String)",
        "LowCardinality(Nullable(String))",
        "Array(String)",
        "Map(String, UInt8)",
        "Tuple(a UInt8, b String)",
        "AggregateFunction(count)",
        "SimpleAggregateFunction(any, String)",
        "Decimal(10, 2)",
        "DateTime64(3)",
        "Date",
        "UUID",
        "Dynamic",
    ];
    let mut statements = Vec::new();
    for (i, ty) in types.iter().enumerate() {
        statements.push((format!("CREATE TABLE t{i} (x {ty}) ENGINE = Memory"), false));
        statements.push((
            format!("INSERT INTO t{i} SELECT defaultValueOfTypeName('{ty}')"),
            false,
        ));
        statements.push((
            format!("SELECT toTypeName((SELECT x FROM t{i} LIMIT 1))"),
            true,
        ));
    }
    let outcomes = chdb_project::run(&statements);
    let wrong: Vec<String> = types
        .iter()
        .zip(outcomes.chunks(3))
        .filter_map(|(ty, o)| {
            let theirs = o[2]
                .rows
                .first()
                .and_then(|r| r.first())
                .and_then(|v| v.as_str());
            let ours = scalar_subquery_type(&syntax::chtype::Type::parse(ty).unwrap()).to_string();
            (theirs != Some(ours.as_str()))
                .then(|| format!("{ty}: ours {ours}, ClickHouse {theirs:?} {}", o[2].error))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
