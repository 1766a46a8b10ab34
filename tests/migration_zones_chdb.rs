//! A migration whose legacy target counts days in Madrid, cut on the day clocks change, on
//! ClickHouse (chdb): the cutoff the add-column step chooses is a Madrid midnight, a UTC
//! midnight is refused, and with rows at local midnight on both sides of the cutoff, at the
//! cutoff and late, the backfill copied from the legacy target and the live side together
//! hold every row once.

#[path = "support/chdb_project.rs"]
mod chdb_project;

use actions::add_column::{AddColumn, BackfillFrom, NewColumn};
use actions::backfill::Backfill;
use actions::Request;
use std::collections::BTreeMap;
use std::sync::Arc;

fn project() -> BTreeMap<String, String> {
    [
        (
            "datasources/hits.datasource",
            "SCHEMA >\n    `ts` DateTime('Europe/Madrid'),\n    `visit` String,\n    `env` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n",
        ),
        (
            "datasources/daily.datasource",
            "SCHEMA >\n    `day` Date,\n    `visit` String,\n    `hits` AggregateFunction(count)\n\nENGINE \"AggregatingMergeTree\"\nENGINE_SORTING_KEY \"day, visit\"\n",
        ),
        (
            "pipes/daily_mv.pipe",
            "NODE n\nSQL >\n    SELECT toDate(ts) AS day, visit, countState() AS hits\n    FROM hits\n    GROUP BY day, visit\n\nTYPE materialized\nDATASOURCE daily\n",
        ),
        ("pipes/api.pipe", "NODE n\nSQL >\n    SELECT day, countMerge(hits) AS hits FROM daily GROUP BY day\n"),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t.to_string()))
    .collect()
}

fn at(s: &str) -> i64 {
    analysis::migration::instant::parse_datetime(s).unwrap().0
}

fn add_column(cutoff: &str) -> Request {
    Request::AddColumn(AddColumn {
        datasource: "daily".into(),
        column: Some(NewColumn {
            name: "env".into(),
            ty: "SimpleAggregateFunction(any, String)".into(),
            expression: "anySimpleState(env)".into(),
        }),
        cutoff: Some(cutoff.into()),
        backfill_from: Some(BackfillFrom::Legacy),
        ..AddColumn::default()
    })
}

/// Runs a request and applies its change to `files`.
fn step(files: &mut BTreeMap<String, String>, req: &Request, now: i64) -> Result<(), String> {
    let a = chdb_project::analyse(files, None);
    let change = chdb_project::run_request(files, &a, req, now, 60).map_err(|e| e.message)?;
    let read = |p: &str| files.get(p).map(|t| Arc::from(t.as_str()));
    for (path, text) in change.apply(&read).unwrap() {
        match text {
            Some(t) => files.insert(path, t),
            None => files.remove(&path),
        };
    }
    Ok(())
}

fn insert(rows: &[(&str, &str)]) -> String {
    let values: Vec<String> = rows
        .iter()
        .map(|(ts, visit)| format!("('{ts}', '{visit}', 'env-{visit}')"))
        .collect();
    format!(
        "INSERT INTO hits (ts, visit, env) VALUES {}",
        values.join(", ")
    )
}

#[test]
fn madrid_days_split_exactly_across_a_daylight_saving_change() {
    // Madrid's 2026-03-29 starts at 2026-03-28 23:00 UTC and lasts 23 hours.
    let before_cutoff = at("2026-03-28 20:00:00");
    let mut files = project();
    // A UTC midnight is no Madrid day boundary: refused, with why.
    let e = step(
        &mut files,
        &add_column("2026-03-29 00:00:00"),
        before_cutoff,
    )
    .unwrap_err();
    assert!(e.contains("day boundary in Europe/Madrid"), "{e}");
    let base = chdb_project::analyse(&files, None);
    let mut sql: Vec<(String, bool)> = chdb_project::schema(&base.project)
        .into_iter()
        .map(|s| (s, false))
        .collect();
    // Rows before step 1, all before the cutoff (local times, read in Madrid).
    sql.push((
        insert(&[
            ("2026-03-27 00:00:00", "a"),
            ("2026-03-28 00:00:00", "a"),
            ("2026-03-28 23:59:59", "b"),
        ]),
        false,
    ));
    step(
        &mut files,
        &add_column("2026-03-28 23:00:00"),
        before_cutoff,
    )
    .unwrap();
    let live = &files["pipes/daily_mv_1.pipe"];
    assert!(
        live.contains("ts >= toDateTime('2026-03-28 23:00:00', 'UTC')"),
        "{live}"
    );
    let after_step1 = chdb_project::analyse(&files, None);
    for s in chdb_project::schema(&after_step1.project) {
        if !chdb_project::schema(&base.project).contains(&s) {
            sql.push((s, false));
        }
    }
    // Rows once the live side exists: at the cutoff (local midnight), just after, after the
    // skipped hour, at the next local midnight, and late ones before the cutoff.
    sql.push((
        insert(&[
            ("2026-03-29 00:00:00", "c"),
            ("2026-03-29 00:00:01", "c"),
            ("2026-03-29 03:00:00", "d"),
            ("2026-03-30 00:00:00", "d"),
            ("2026-03-28 23:30:00", "b"),
            ("2026-03-28 12:00:00", "a"),
        ]),
        false,
    ));
    // The backfill copies the legacy target's days before the cutoff's.
    step(
        &mut files,
        &Request::Backfill(Backfill {
            datasource: "daily_1".into(),
            from: Some(BackfillFrom::Legacy),
            form: None,
        }),
        at("2026-03-29 02:00:00"),
    )
    .unwrap();
    let backfill = &files["pipes/daily_1_backfill.pipe"];
    assert!(backfill.contains("`day` < '2026-03-29'"), "{backfill}");
    let after_step2 = chdb_project::analyse(&files, None);
    sql.push((
        chdb_project::run_writer(&after_step2.project, "daily_1_backfill").expect("copy SQL"),
        false,
    ));
    let per_day = |t: &str| {
        (
            format!("SELECT day, visit, countMerge(hits) FROM {t} GROUP BY day, visit ORDER BY day, visit"),
            true,
        )
    };
    let (l, n) = (sql.len(), sql.len() + 1);
    sql.push(per_day("daily"));
    sql.push(per_day("daily_1"));
    let out = chdb_project::run(&sql);
    for ((stmt, _), o) in sql.iter().zip(&out) {
        assert!(o.ok, "ClickHouse rejects\n{stmt}\n{}", o.error);
    }
    assert_eq!(out[l].rows, out[n].rows, "per-day counts differ");
    let total: i64 = out[n]
        .rows
        .iter()
        .map(|r| {
            r[2].as_str()
                .map_or_else(|| r[2].as_i64().unwrap(), |s| s.parse().unwrap())
        })
        .sum();
    assert_eq!(total, 9, "{:?}", out[n].rows);
}
