//! A ReplacingMergeTree fed by change events (ENGINE_VER `updated_at`), migrated on ClickHouse
//! (chdb): the generated steps cut on the version's column, and after late updates of old
//! orders the new target's merged rows equal the legacy target's, and the generated quality test
//! (which compares merged rows and versions) returns nothing. The same migration cut on
//! `created_at`, which the add-column step refuses, loses the update of an old order: the
//! reason for the refusal, shown.

#[path = "support/chdb_project.rs"]
mod chdb_project;

use actions::add_column::{AddColumn, NewColumn};
use actions::backfill::Backfill;
use actions::{format_utc, Request};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

fn load() -> BTreeMap<String, String> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/actions/replacing-project");
    disk::walk(&dir)
        .into_iter()
        .filter_map(|rel| Some((rel.clone(), std::fs::read_to_string(dir.join(&rel)).ok()?)))
        .collect()
}

fn step(files: &mut BTreeMap<String, String>, req: Request, now: i64) -> actions::Change {
    let a = chdb_project::analyse(files, None);
    let change =
        chdb_project::run_request(files, &a, &req, now, 60).unwrap_or_else(|e| panic!("{e}"));
    let read = |p: &str| files.get(p).map(|t| Arc::from(t.as_str()));
    for (path, text) in change.apply(&read).unwrap() {
        match text {
            Some(t) => files.insert(path, t),
            None => files.remove(&path),
        };
    }
    change
}

/// A change event: order `id` with `status`, created and updated at those instants.
fn event(id: &str, status: &str, created: i64, updated: i64) -> String {
    format!(
        "('{id}', '{status}', 'web', '{}', '{}')",
        format_utc(created),
        format_utc(updated)
    )
}

fn insert(rows: &[String]) -> String {
    format!(
        "INSERT INTO orders_cdc (id, status, channel, created_at, updated_at) VALUES {}",
        rows.join(", ")
    )
}

const T: i64 = 1_772_449_200; // 2026-03-02 11:00:00 UTC

fn before() -> Vec<String> {
    vec![
        event("a", "new", T - 5 * 86_400, T - 5 * 86_400),
        event("b", "new", T - 3600, T - 3600),
        event("b", "paid", T - 3600, T - 60),
    ]
}

/// Arriving once the live side exists: updates of old orders after the cutoff, one exactly at
/// it, a new order.
fn after() -> Vec<String> {
    vec![
        event("a", "shipped", T - 5 * 86_400, T + 3600),
        event("b", "shipped", T - 3600, T),
        event("c", "new", T + 7200, T + 7200),
    ]
}

fn merged(table: &str) -> String {
    format!("SELECT id, status, updated_at FROM {table} FINAL ORDER BY id")
}

#[test]
fn cut_on_the_version_column_the_migration_keeps_every_update() {
    let mut files = load();
    let base = chdb_project::analyse(&files, None);
    let mut sql: Vec<(String, bool)> = chdb_project::schema(&base.project)
        .into_iter()
        .map(|s| (s, false))
        .collect();
    sql.push((insert(&before()), false));
    step(
        &mut files,
        Request::AddColumn(AddColumn {
            datasource: "orders".into(),
            column: Some(NewColumn {
                name: "channel".into(),
                ty: "String".into(),
                expression: "channel".into(),
            }),
            cutoff: Some(format_utc(T)),
            ..AddColumn::default()
        }),
        T - 3 * 3600,
    );
    let step1 = chdb_project::analyse(&files, None);
    assert!(
        files["pipes/orders_latest_1.pipe"].contains("updated_at > '2026-03-02 11:00:00'"),
        "{}",
        files["pipes/orders_latest_1.pipe"]
    );
    for s in chdb_project::schema(&step1.project) {
        if !chdb_project::schema(&base.project).contains(&s) {
            sql.push((s, false));
        }
    }
    sql.push((insert(&after()), false));
    step(
        &mut files,
        Request::Backfill(Backfill {
            datasource: "orders_1".into(),
            from: None,
            form: None,
        }),
        T + 3 * 3600,
    );
    let step2 = chdb_project::analyse(&files, None);
    let run = chdb_project::run_writer(&step2.project, "orders_1_backfill").expect("copy SQL");
    sql.push((run, false));
    let (_, quality) = chdb_project::quality_tests(&step2.project)
        .into_iter()
        .find(|(name, _)| name.contains("_matches_"))
        .expect("a generated quality test");
    let at = sql.len();
    sql.push((merged("orders"), true));
    sql.push((merged("orders_1"), true));
    sql.push((quality, true));
    let out = chdb_project::run(&sql);
    for ((stmt, _), o) in sql.iter().zip(&out) {
        assert!(o.ok, "ClickHouse rejects\n{stmt}\n{}", o.error);
    }
    let (legacy, new, test) = (&out[at].rows, &out[at + 1].rows, &out[at + 2].rows);
    assert_eq!(legacy.len(), 3, "{legacy:?}");
    assert_eq!(legacy, new, "merged rows differ");
    let status_of =
        |rows: &[Vec<Value>], id: &str| rows.iter().find(|r| r[0] == id).map(|r| r[1].clone());
    assert_eq!(status_of(new, "a"), Some(Value::from("shipped")));
    assert_eq!(status_of(new, "b"), Some(Value::from("shipped")));
    assert!(test.is_empty(), "the quality test fails: {test:?}");
}

/// What the refusal prevents: the same split on `created_at` sends the late update of order
/// `a` (created before the cutoff, updated after it) to neither side.
#[test]
fn cut_on_the_creation_time_an_update_of_an_old_order_is_lost() {
    let files = load();
    let base = chdb_project::analyse(&files, None);
    let mut sql: Vec<(String, bool)> = chdb_project::schema(&base.project)
        .into_iter()
        .map(|s| (s, false))
        .collect();
    let cut = format!("'{}'", format_utc(T));
    sql.push((insert(&before()), false));
    sql.push((
        "CREATE TABLE orders_x (id String, status String, created_at DateTime, updated_at DateTime) ENGINE = ReplacingMergeTree(updated_at) ORDER BY id".into(),
        false,
    ));
    sql.push((
        format!("CREATE MATERIALIZED VIEW orders_x_live TO orders_x AS SELECT id, status, created_at, updated_at FROM orders_cdc WHERE created_at > {cut}"),
        false,
    ));
    sql.push((insert(&after()), false));
    sql.push((
        format!("INSERT INTO orders_x SELECT id, status, created_at, updated_at FROM orders_cdc WHERE created_at <= {cut}"),
        false,
    ));
    // The backfill ran; a later update of the old order `a` arrives.
    sql.push((
        insert(&[event("a", "returned", T - 5 * 86_400, T + 7200)]),
        false,
    ));
    let at = sql.len();
    sql.push((merged("orders"), true));
    sql.push((merged("orders_x"), true));
    let out = chdb_project::run(&sql);
    for ((stmt, _), o) in sql.iter().zip(&out) {
        assert!(o.ok, "ClickHouse rejects\n{stmt}\n{}", o.error);
    }
    let status_of =
        |rows: &[Vec<Value>], id: &str| rows.iter().find(|r| r[0] == id).map(|r| r[1].clone());
    assert_eq!(status_of(&out[at].rows, "a"), Some(Value::from("returned")));
    assert_eq!(
        status_of(&out[at + 1].rows, "a"),
        Some(Value::from("shipped")),
        "the update after the backfill should be lost when cut on created_at"
    );
}
