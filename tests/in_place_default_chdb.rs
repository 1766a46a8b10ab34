//! Adding a `SimpleAggregateFunction(f, T)` column in place (Forward, FORWARD_QUERY) gives every
//! existing row the type's default. Whether that default can replace the real values the view
//! writes for the same key when parts merge is ClickHouse's answer (chdb), and the in-place
//! action refuses exactly the types where it can.

#[path = "support/chdb_project.rs"]
mod chdb_project;

use actions::add_column::{AddColumn, Clock, NewColumn};
use actions::{Request, Workspace};
use analysis::fixture::Fixture;
use std::sync::Arc;

/// A Forward project whose aggregating view could get the column in place.
const PROJECT: &str = r#"
//- dialect: forward
//- datasources/hits.datasource
SCHEMA >
    `ts` DateTime,
    `session_id` String,
    `v` String
ENGINE "MergeTree"
ENGINE_SORTING_KEY "ts"
//- datasources/sessions.datasource
SCHEMA >
    `session_id` String,
    `hits` AggregateFunction(count)
ENGINE "AggregatingMergeTree"
ENGINE_SORTING_KEY "session_id"
//- pipes/sessions_mv.pipe
NODE n
SQL >
    SELECT session_id, countState() AS hits FROM hits GROUP BY session_id
TYPE materialized
DATASOURCE sessions
"#;

/// Whether the in-place action refuses a column of type `ty`.
fn refused(ty: &str) -> bool {
    let f = Fixture::parse(PROJECT);
    let a = f.analyze();
    let read = |p: &str| f.text(p).map(Arc::from);
    let ws = Workspace {
        project: &a.project,
        migrations: &a.migrations,
        read: &read,
    };
    let req = Request::ForwardAddColumn(AddColumn {
        datasource: "sessions".into(),
        column: Some(NewColumn {
            name: "x".into(),
            ty: ty.into(),
            expression: "anySimpleState(v)".into(),
        }),
        ..AddColumn::default()
    });
    let clock = Clock {
        now: 0,
        cutoff_delay_minutes: 60,
    };
    match actions::run(&ws, &req, clock) {
        Ok(_) => false,
        Err(e) => {
            assert!(e.message.contains("Nullable"), "{}", e.message);
            true
        }
    }
}

/// Whether, on ClickHouse, an existing row holding the default of `ty` can win the merge over
/// a real value `real` of the same key (in either insertion order).
fn default_wins(ty: &str, real: &str) -> bool {
    let mut sql: Vec<(String, bool)> = Vec::new();
    for (i, first_default) in [true, false].into_iter().enumerate() {
        let t = format!("t{i}");
        sql.push((
            format!("CREATE TABLE {t} (k String, x {ty}) ENGINE = AggregatingMergeTree ORDER BY k"),
            false,
        ));
        let default = format!("INSERT INTO {t} SELECT 'a', defaultValueOfTypeName('{ty}')");
        let value = format!("INSERT INTO {t} SELECT 'a', {real}");
        let (one, two) = if first_default {
            (default, value)
        } else {
            (value, default)
        };
        sql.push((one, false));
        sql.push((two, false));
        sql.push((format!("OPTIMIZE TABLE {t} FINAL"), false));
        sql.push((
            format!("SELECT toString(x) = toString({real}) FROM {t}"),
            true,
        ));
    }
    let out = chdb_project::run(&sql);
    for ((stmt, _), o) in sql.iter().zip(&out) {
        assert!(o.ok, "ClickHouse rejects\n{stmt}\n{}", o.error);
    }
    out.iter()
        .zip(&sql)
        .filter(|(_, (_, fetch))| *fetch)
        .any(|(o, _)| o.rows != vec![vec![serde_json::json!(1)]])
}

#[test]
fn the_action_refuses_exactly_the_defaults_that_win_merges() {
    let cases = [
        ("SimpleAggregateFunction(any, String)", "'ios'"),
        ("SimpleAggregateFunction(anyLast, String)", "'ios'"),
        (
            "SimpleAggregateFunction(min, DateTime)",
            "toDateTime('2026-01-01 00:00:00')",
        ),
        ("SimpleAggregateFunction(max, Int64)", "toInt64(-5)"),
        ("SimpleAggregateFunction(max, UInt64)", "toUInt64(5)"),
        ("SimpleAggregateFunction(sum, UInt64)", "toUInt64(5)"),
        ("SimpleAggregateFunction(any, Nullable(String))", "'ios'"),
        (
            "SimpleAggregateFunction(min, Nullable(DateTime))",
            "toDateTime('2026-01-01 00:00:00')",
        ),
    ];
    for (ty, real) in cases {
        let wins = default_wins(ty, real);
        assert_eq!(
            refused(ty),
            wins,
            "{ty}: the default {} the merge on ClickHouse",
            if wins { "wins" } else { "never wins" }
        );
    }
}
