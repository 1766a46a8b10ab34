//! The safe migration really loses and duplicates nothing, on ClickHouse (chdb). The example
//! project's tables and materialized views are built from its datafiles; rows arrive before the
//! cutoff, step 1 (the generated new target and live view) is applied, rows arrive after the
//! cutoff, exactly at it and late (before it), the generated backfill runs, and then the
//! generated quality test returns no rows and every aggregate of the new target equals the
//! legacy one's (plus the new column). Twice: backfilling from the source, and from the legacy
//! target with history older than the source's TTL.

#[path = "support/chdb_project.rs"]
mod chdb_project;

use actions::add_column::{AddColumn, BackfillFrom, NewColumn};
use actions::backfill::Backfill;
use actions::{self, format_utc, Request};
use analysis::db::Analysis;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

fn load() -> BTreeMap<String, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/web-sessions");
    disk::walk(&dir)
        .into_iter()
        .filter_map(|rel| Some((rel.clone(), std::fs::read_to_string(dir.join(&rel)).ok()?)))
        .collect()
}

fn analyse(files: &BTreeMap<String, String>) -> Analysis {
    chdb_project::analyse(files, None)
}

/// Runs a request on the files, applies its change; returns the change.
fn step(files: &mut BTreeMap<String, String>, req: Request, now: i64) -> actions::Change {
    let a = analyse(files);
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

/// A page event as the collector sends it: visit `v` always has the same device and country.
fn event(at: i64, v: u32, kind: &str) -> String {
    format!(
        "('{}', 'visitor-{v}', 'v{v}', '{kind}', '{{\"path\": \"/p{v}\", \"device\": \"device-{}\", \"country\": \"country-{v}\"}}')",
        format_utc(at),
        v % 3
    )
}

fn insert(rows: &[String]) -> String {
    format!(
        "INSERT INTO page_events (event_time, visitor_id, visit_id, event_kind, payload) VALUES {}",
        rows.join(", ")
    )
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Outcome {
    quality: Vec<Vec<Value>>,
    legacy: Vec<Vec<Value>>,
    new: Vec<Vec<Value>>,
    raw_views: Vec<Vec<Value>>,
    new_views: Vec<Vec<Value>>,
    countries: Vec<Vec<Value>>,
    source_rows: Vec<Vec<Value>>,
}

/// The whole migration on chdb. `before`: rows inserted before step 1 (and `expire`: then the
/// source's TTL applied); `after`: rows inserted once the live view exists.
fn migrate(
    from: BackfillFrom,
    cutoff: i64,
    before: Vec<String>,
    expire: bool,
    after: Vec<String>,
) -> (Outcome, BTreeMap<String, String>) {
    let mut files = load();
    let base = analyse(&files);
    let mut sql: Vec<(String, bool)> = chdb_project::schema(&base.project)
        .into_iter()
        .map(|s| (s, false))
        .collect();
    let fetch = |sql: &mut Vec<(String, bool)>, q: String| {
        sql.push((q, true));
        sql.len() - 1
    };
    sql.push((insert(&before), false));
    if expire {
        sql.push(("OPTIMIZE TABLE page_events FINAL".into(), false));
    }
    // Step 1: the new target and its live view.
    step(
        &mut files,
        Request::AddColumn(AddColumn {
            datasource: "visits_mv".into(),
            column: Some(NewColumn {
                name: "country".into(),
                ty: "SimpleAggregateFunction(any, String)".into(),
                expression: "anySimpleState(country)".into(),
            }),
            cutoff: Some(format_utc(cutoff)),
            backfill_from: Some(from),
            ..AddColumn::default()
        }),
        cutoff - 3 * 3600,
    );
    let after_step1 = analyse(&files);
    for s in chdb_project::schema(&after_step1.project) {
        if !chdb_project::schema(&base.project).contains(&s) {
            sql.push((s, false));
        }
    }
    sql.push((insert(&after), false));
    // Step 2: the backfill, run once, after the cutoff.
    let change = step(
        &mut files,
        Request::Backfill(Backfill {
            datasource: "visits_mv_1".into(),
            from: Some(from),
            form: None,
        }),
        cutoff + 3600,
    );
    let backfill_pipe = change
        .create
        .iter()
        .find(|f| f.path.ends_with("_backfill.pipe"))
        .map(|f| {
            f.path
                .trim_start_matches("pipes/")
                .trim_end_matches(".pipe")
                .to_string()
        })
        .expect("a backfill pipe");
    let after_step2 = analyse(&files);
    let run = chdb_project::run_writer(&after_step2.project, &backfill_pipe).expect("copy SQL");
    sql.push((run, false));
    let tests = chdb_project::quality_tests(&after_step2.project);
    let (_, quality_sql) = tests
        .iter()
        .find(|(name, _)| name.contains("_matches_"))
        .expect("a generated quality test");
    let per_key = |t: &str| {
        format!(
            "SELECT day, visit_id, countMerge(views), min(first_seen), max(last_seen), any(device) FROM {t} GROUP BY day, visit_id ORDER BY day, visit_id"
        )
    };
    let q = fetch(&mut sql, quality_sql.clone());
    let l = fetch(&mut sql, per_key("visits_mv"));
    let n = fetch(&mut sql, per_key("visits_mv_1"));
    let raw = fetch(
        &mut sql,
        "SELECT countMerge(views) FROM visits_mv".to_string(),
    );
    let nv = fetch(
        &mut sql,
        "SELECT countMerge(views) FROM visits_mv_1".to_string(),
    );
    let c = fetch(
        &mut sql,
        "SELECT day, visit_id, any(country) FROM visits_mv_1 GROUP BY day, visit_id ORDER BY day, visit_id".to_string(),
    );
    let s = fetch(&mut sql, "SELECT count() FROM page_events".to_string());
    let out = chdb_project::run(&sql);
    for ((stmt, _), o) in sql.iter().zip(&out) {
        assert!(o.ok, "ClickHouse rejects\n{stmt}\n{}", o.error);
    }
    (
        Outcome {
            quality: out[q].rows.clone(),
            legacy: out[l].rows.clone(),
            new: out[n].rows.clone(),
            raw_views: out[raw].rows.clone(),
            new_views: out[nv].rows.clone(),
            countries: out[c].rows.clone(),
            source_rows: out[s].rows.clone(),
        },
        files,
    )
}

fn num(v: &[Vec<Value>]) -> i64 {
    let x = &v[0][0];
    x.as_i64()
        .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
        .unwrap()
}

#[test]
fn backfill_from_the_source_loses_and_duplicates_nothing() {
    // A cutoff a few hours ahead, inside the source's 30 days.
    let t = (now() / 3600 + 3) * 3600 + 1800;
    let before: Vec<String> = vec![
        event(t - 5 * 86_400, 1, "page_view"),
        event(t - 5 * 86_400 + 60, 1, "page_view"),
        event(t - 3600, 2, "page_view"),
        event(t - 1, 3, "page_view"),
        event(t - 1, 3, "click"),
        event(t, 4, "page_view"), // exactly at the cutoff, before the live view exists
    ];
    let after: Vec<String> = vec![
        event(t, 4, "page_view"),     // exactly at the cutoff
        event(t, 5, "page_view"),     // exactly at the cutoff
        event(t + 1, 5, "page_view"), // just after
        event(t + 3600, 6, "page_view"),
        event(t - 7200, 2, "page_view"), // late: before the cutoff, after step 1
        event(t + 60, 6, "click"),
    ];
    let page_views = 10;
    let (o, _) = migrate(BackfillFrom::Source, t, before, false, after);
    assert!(
        o.quality.is_empty(),
        "the quality test returns {:?}",
        o.quality
    );
    assert_eq!(o.legacy, o.new, "per-key aggregates differ");
    assert_eq!(num(&o.raw_views), page_views);
    assert_eq!(num(&o.new_views), page_views);
    // The new column has its real value everywhere (backfilled from the source).
    for row in &o.countries {
        let visit = row[1].as_str().unwrap().trim_start_matches('v');
        assert_eq!(
            row[2].as_str().unwrap(),
            format!("country-{visit}"),
            "{row:?}"
        );
    }
}

#[test]
fn backfill_from_the_legacy_target_keeps_history_older_than_the_source_ttl() {
    // A cutoff on a day boundary (the legacy target's buckets), tomorrow.
    let d = (now() + 3600).div_euclid(86_400) * 86_400 + 86_400;
    let before: Vec<String> = vec![
        event(d - 40 * 86_400, 1, "page_view"), // older than page_events' 30 days
        event(d - 40 * 86_400 + 5, 1, "page_view"),
        event(d - 2 * 86_400, 2, "page_view"),
        event(d - 1, 3, "page_view"),
        // No row at or after the cutoff arrives before the live view exists: the cutoff is in
        // the future when it is deployed, and the legacy target cannot split a day (a row
        // of day d stored before then would be in neither the live side nor the copy).
    ];
    let after: Vec<String> = vec![
        event(d, 4, "page_view"),
        event(d + 1, 5, "page_view"),
        event(d + 7200, 5, "page_view"),
        event(d - 3600, 3, "page_view"), // late: before the cutoff, after step 1
    ];
    let (o, files) = migrate(BackfillFrom::Legacy, d, before, true, after);
    // The TTL removed the old rows from the source: only the legacy target still has them.
    assert_eq!(num(&o.source_rows), 6, "the source's TTL did not apply");
    assert!(
        o.quality.is_empty(),
        "the quality test returns {:?}",
        o.quality
    );
    assert_eq!(o.legacy, o.new, "per-key aggregates differ");
    assert_eq!(num(&o.raw_views), 8);
    assert_eq!(num(&o.new_views), 8);
    // The new column: the default for the days copied from the legacy target, real values
    // from the cutoff on.
    let day_of_cutoff = &format_utc(d)[..10];
    for row in &o.countries {
        let day = row[0].as_str().unwrap();
        let visit = row[1].as_str().unwrap().trim_start_matches('v');
        let want = if day < day_of_cutoff {
            String::new()
        } else {
            format!("country-{visit}")
        };
        assert_eq!(row[2].as_str().unwrap(), want, "{row:?}");
    }
    assert!(files.contains_key("pipes/visits_mv_1_backfill.pipe"));
}
