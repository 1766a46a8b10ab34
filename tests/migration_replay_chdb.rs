//! Every action fixture with a `replay.json` beside its `steps.json` is replayed on ClickHouse
//! (chdb): the project's tables and views are created, rows land in the source long before the
//! cutoff, the steps run in order (each new table and view created as the step deploys it),
//! rows land around the cutoff (one second and one instant either side, exactly at it, late
//! ones before it) and after the backfill, and the backfill runs once. Then, per key of the
//! legacy target's sorting key, the merged value of every legacy column is the same in the new
//! target (no row lost or counted twice), and the generated quality test returns nothing.
//!
//! `replay.json`: `landing` (the datasource rows land in) and `values` (per column of it, the
//! values rows cycle through; other String columns get a few, numbers small ones, time columns
//! the row's instant).

#[path = "support/chdb_project.rs"]
mod chdb_project;

use actions::Request;
use analysis::db::Analysis;
use analysis::migration::columns;
use project::model::{Project, ResourceId};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use syntax::chtype::Type;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(dir: &Path) -> BTreeMap<String, String> {
    disk::walk(dir)
        .into_iter()
        .filter_map(|rel| Some((rel.clone(), std::fs::read_to_string(dir.join(&rel)).ok()?)))
        .collect()
}

fn parse_now(s: &str) -> i64 {
    analysis::migration::instant::parse_datetime(s)
        .unwrap_or_else(|| panic!("bad time {s}"))
        .0
}

fn resource(p: &Project, name: &str) -> ResourceId {
    p.resources
        .ids()
        .find(|&i| p.resources[i].name == name)
        .unwrap_or_else(|| panic!("no resource {name}"))
}

/// A row of the landing datasource at `at` (UTC seconds), the `i`-th of its instant.
fn row(p: &Project, landing: ResourceId, values: &Value, time: &str, at: i64, i: usize) -> String {
    let mut out = Vec::new();
    for c in columns(p, landing) {
        let ty = c.parsed.as_ref().map(Type::plain);
        let v = if let Some(list) = values[&c.name].as_array() {
            let v = &list[i % list.len()];
            match v {
                Value::String(s) => format!("'{}'", s.replace('\'', "\\'")),
                other => other.to_string(),
            }
        } else if c.name == time || ty.is_some_and(|t| t.is_datetime() || t.is_date()) {
            match ty {
                Some(t) if t.is_date() => format!("toDate(toDateTime({at}, 'UTC'))"),
                Some(Type::DateTime64 { precision, .. }) => {
                    format!("toDateTime64({at}, {precision})")
                }
                _ => format!("toDateTime({at})"),
            }
        } else if ty.is_some_and(Type::is_numeric) {
            (i % 5 + 1).to_string()
        } else {
            format!("'{}-{}'", c.name, i % 3)
        };
        out.push(v);
    }
    format!("({})", out.join(", "))
}

fn insert(
    p: &Project,
    landing: ResourceId,
    values: &Value,
    time: &str,
    instants: &[i64],
) -> String {
    let cols: Vec<String> = columns(p, landing)
        .iter()
        .map(|c| format!("`{}`", c.name))
        .collect();
    let mut rows = Vec::new();
    for &at in instants {
        for i in 0..4 {
            rows.push(row(p, landing, values, time, at, i));
        }
    }
    format!(
        "INSERT INTO `{}` ({}) VALUES {}",
        p.resources[landing].name,
        cols.join(", "),
        rows.join(", ")
    )
}

/// Per key of `key` (the legacy target's sorting key), the merged value of each column of
/// `cols` in `table`, as text.
fn merged(p: &Project, table: &str, engine: &str, key: &str, cols: &[(String, Type)]) -> String {
    let _ = p;
    if engine.contains("Replacing") || engine.contains("Collapsing") {
        let all: Vec<String> = cols
            .iter()
            .map(|(c, _)| format!("toString(`{c}`)"))
            .collect();
        return format!(
            "SELECT {} FROM `{table}` FINAL ORDER BY ALL",
            all.join(", ")
        );
    }
    let mut items = vec![format!("toString(tuple({key})) AS k")];
    for (c, t) in cols {
        let e = match t.plain() {
            Type::AggregateFunction { function, .. } => {
                let (name, params) = match function.split_once('(') {
                    Some((n, rest)) => (n, format!("({rest}")),
                    None => (function.as_str(), String::new()),
                };
                format!("{name}Merge{params}(`{c}`)")
            }
            Type::SimpleAggregateFunction { function, .. } => format!("{function}(`{c}`)"),
            other if engine.contains("Summing") && other.is_numeric() => format!("sum(`{c}`)"),
            _ if engine.contains("Aggregating") || engine.contains("Summing") => {
                format!("groupUniqArray(`{c}`)")
            }
            _ => format!("count(`{c}`)"),
        };
        items.push(format!("toString({e})"));
    }
    format!(
        "SELECT {} FROM `{table}` GROUP BY k ORDER BY k",
        items.join(", ")
    )
}

fn apply(files: &mut BTreeMap<String, String>, change: &actions::Change) {
    let read = |p: &str| files.get(p).map(|t| Arc::from(t.as_str()));
    for (path, text) in change.apply(&read).unwrap() {
        match text {
            Some(t) => files.insert(path, t),
            None => files.remove(&path),
        };
    }
}

/// The statements that create what `after` has and `before` had not.
fn deployed(before: &Analysis, after: &Analysis) -> Vec<String> {
    let old = chdb_project::schema(&before.project);
    chdb_project::schema(&after.project)
        .into_iter()
        .filter(|s| !old.contains(s))
        .collect()
}

fn replay(dir: &Path) {
    let case = dir.file_name().unwrap().to_string_lossy().to_string();
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("steps.json")).unwrap()).unwrap();
    let rp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("replay.json")).unwrap()).unwrap();
    let mut files = load(&manifest().join(spec["project"].as_str().unwrap()));
    // The replay's instants are the steps' `now`, not the clock: a view that reads `now()`
    // would keep or drop rows by the day the suite runs.
    for (path, text) in &files {
        assert!(
            !text.to_ascii_lowercase().contains("now()"),
            "{case}: {path} calls now(); a replayed project must not depend on the clock"
        );
    }
    let values = &rp["values"];
    let mut before = chdb_project::analyse(&files, None);
    let mut sql: Vec<(String, bool)> = chdb_project::schema(&before.project)
        .into_iter()
        .map(|s| (s, false))
        .collect();
    let mut cutoff: Option<(i64, String, String)> = None; // (instant, time column, legacy)
    let mut new_target = None;
    let mut backfilled = false;
    for (n, step) in spec["steps"].as_array().unwrap().iter().enumerate() {
        if let Some(w) = step.get("write") {
            files.insert(
                w["path"].as_str().unwrap().to_string(),
                w["text"].as_str().unwrap().to_string(),
            );
            before = chdb_project::analyse(&files, None);
            continue;
        }
        if step.get("error").is_some() || step.get("request").is_none() {
            continue;
        }
        let now = parse_now(step["now"].as_str().unwrap());
        let a = chdb_project::analyse(&files, Some(now));
        let req: Request = serde_json::from_value(step["request"].clone()).unwrap();
        let delay = step["delayMinutes"].as_u64().unwrap_or(60);
        let change = chdb_project::run_request(&files, &a, &req, now, delay)
            .unwrap_or_else(|e| panic!("{case} step {}: {e}", n + 1));
        apply(&mut files, &change);
        let after = chdb_project::analyse(&files, Some(now));
        match &req {
            Request::AddColumn(r) => {
                let m = after
                    .migrations
                    .migrations
                    .iter()
                    .find(|m| {
                        m.legacy
                            .is_some_and(|l| after.project.resources[l].name == r.datasource)
                    })
                    .unwrap_or_else(|| panic!("{case}: no migration after step {}", n + 1));
                let live = &after.migrations.writers[m.live[0]];
                let b = live.lower().next().expect("a cutoff");
                let at = b
                    .instant()
                    .and_then(|t| t.utc_seconds(b.column_zone.as_deref()))
                    .expect("the cutoff's instant");
                new_target = Some(after.project.resources[m.new].name.clone());
                let landing = resource(&before.project, rp["landing"].as_str().unwrap());
                // History, on the legacy pipeline only.
                let history = [at - 40 * 86_400, at - 2 * 86_400, at - 3 * 3600, at - 1];
                sql.push((
                    insert(&before.project, landing, values, &b.column, &history),
                    false,
                ));
                sql.extend(deployed(&before, &after).into_iter().map(|s| (s, false)));
                // Around the cutoff, with both pipelines live: late rows too.
                let around = [at - 1, at, at + 1, at + 3600, at - 7200];
                sql.push((
                    insert(&before.project, landing, values, &b.column, &around),
                    false,
                ));
                cutoff = Some((at, b.column.clone(), r.datasource.clone()));
            }
            Request::Backfill(_) if !backfilled => {
                let created = deployed(&before, &after);
                sql.extend(created.iter().cloned().map(|s| (s, false)));
                for w in &after.migrations.writers {
                    let name = &after.project.resources[w.pipe].name;
                    if before
                        .project
                        .resources
                        .ids()
                        .any(|i| &before.project.resources[i].name == name)
                    {
                        continue;
                    }
                    let run = chdb_project::run_writer(&after.project, name)
                        .unwrap_or_else(|| panic!("{case}: cannot run {name}"));
                    sql.push((run, false));
                }
                backfilled = true;
                let (at, time, _) = cutoff.as_ref().expect("add-column before the backfill");
                let landing = resource(&after.project, rp["landing"].as_str().unwrap());
                sql.push((
                    insert(&after.project, landing, values, time, &[at + 7200]),
                    false,
                ));
                before = after;
                break;
            }
            _ => {}
        }
        before = after;
    }
    assert!(
        backfilled,
        "{case}: the replay needs an add-column and a backfill step"
    );
    let (_, _, legacy) = cutoff.unwrap();
    let new = new_target.unwrap();
    let p = &before.project;
    let l = resource(p, &legacy);
    let engine_of = |id: ResourceId| {
        p.files[p.resources[id].file]
            .datafile
            .engine()
            .and_then(|e| e.name.as_ref())
            .map(|v| v.text.clone())
            .unwrap_or_default()
    };
    let key = p.files[p.resources[l].file]
        .datafile
        .engine()
        .and_then(|e| e.param("sorting_key"))
        .map(|v| v.text.clone())
        .unwrap_or_else(|| "tuple()".into());
    let cols: Vec<(String, Type)> = columns(p, l)
        .iter()
        .filter_map(|c| Some((c.name.clone(), c.parsed.clone()?)))
        .collect();
    let engine = engine_of(l);
    let at = sql.len();
    sql.push((merged(p, &legacy, &engine, &key, &cols), true));
    sql.push((merged(p, &new, &engine, &key, &cols), true));
    let tests = chdb_project::quality_tests(p);
    assert!(!tests.is_empty(), "{case}: no quality test generated");
    for (_, q) in &tests {
        sql.push((q.clone(), true));
    }
    let out = chdb_project::run(&sql);
    for ((stmt, _), o) in sql.iter().zip(&out) {
        assert!(o.ok, "{case}: ClickHouse rejects\n{stmt}\n{}", o.error);
    }
    let (lrows, nrows) = (&out[at].rows, &out[at + 1].rows);
    assert!(
        lrows.len() > 1,
        "{case}: the legacy target is empty: {lrows:?}"
    );
    if lrows != nrows {
        let only = |a: &Vec<Vec<Value>>, b: &Vec<Vec<Value>>| {
            a.iter()
                .filter(|r| !b.contains(r))
                .cloned()
                .collect::<Vec<_>>()
        };
        panic!(
            "{case}: `{new}` differs from `{legacy}`\n  only in the legacy: {:?}\n  only in the new: {:?}",
            only(lrows, nrows),
            only(nrows, lrows)
        );
    }
    for (i, (name, _)) in tests.iter().enumerate() {
        let rows = &out[at + 2 + i].rows;
        assert!(
            rows.is_empty(),
            "{case}: the quality test {name} fails: {rows:?}"
        );
    }
}

#[test]
fn every_replayed_migration_loses_and_doubles_nothing() {
    let root = manifest().join("tests/fixtures/actions");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|d| d.join("replay.json").exists())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 3,
        "replay fixtures missing under {}",
        root.display()
    );
    for dir in cases {
        replay(&dir);
    }
}

/// Why add-column refuses a state in a view that does not group (actions::add_column's
/// `check_aggregation`): ClickHouse rejects the SELECT it would make, with code 215.
#[test]
fn an_aggregate_beside_plain_columns_without_group_by_is_code_215() {
    let out = chdb_project::run(&[
        (
            "CREATE TABLE hits (ts DateTime, session_id String, env String) ENGINE = MergeTree ORDER BY ts".into(),
            false,
        ),
        (
            "SELECT ts, session_id, uniqState(env) AS envs FROM hits".into(),
            true,
        ),
        (
            "SELECT ts, session_id, upper(env) AS envs FROM hits".into(),
            true,
        ),
    ]);
    assert!(out[0].ok, "{}", out[0].error);
    assert!(
        !out[1].ok && out[1].error.contains("Code: 215"),
        "{:?}",
        out[1]
    );
    assert!(out[2].ok, "{}", out[2].error);
}

/// Why add-column refuses an expression reading a column the source lacks
/// (actions::add_column's `check_reads_known_columns`): ClickHouse rejects the live pipe's
/// SELECT with code 47; the near name, a lambda's parameter and the node's own alias are read.
#[test]
fn an_unknown_column_in_the_new_expression_is_code_47() {
    let live = |expr: &str| {
        format!(
            "SELECT toDate(ts) AS day, session_id, countState() AS hits, {expr} AS referrer FROM (SELECT * FROM hits) GROUP BY day, session_id"
        )
    };
    let out = chdb_project::run(&[
        (
            "CREATE TABLE hits (ts DateTime, session_id String, referer String, tags Array(String)) ENGINE = MergeTree ORDER BY ts".into(),
            false,
        ),
        (live("anySimpleState(referrer)"), true),
        (live("anySimpleState(referer)"), true),
        (
            live("anySimpleState(arrayStringConcat(arrayMap(t -> upper(t), tags)))"),
            true,
        ),
        (live("anySimpleState(toString(day))"), true),
    ]);
    assert!(out[0].ok, "{}", out[0].error);
    assert!(
        !out[1].ok && out[1].error.contains("Code: 47"),
        "{:?}",
        out[1]
    );
    for o in &out[2..] {
        assert!(o.ok, "{}", o.error);
    }
}
