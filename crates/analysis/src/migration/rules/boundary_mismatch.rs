//! `migration-boundary-mismatch`: the live side's lower bound and a backfill's upper bound on
//! the same target do not meet exactly: different columns or conversions, different
//! timezones, different instants, or operators that count the rows at the cutoff twice
//! (`>=` with `<=`) or never (`>` with `<`).

use super::{push_at, Ctx};
use crate::migration::bucket::{Bucket, Unit};
use crate::migration::instant::{format_seconds, local_to_utc, Granularity};
use crate::migration::Bound;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceId};
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, Severity, TextEdit};
use syntax::sql::facts::CompareOp;

/// How the legacy target's column `column` buckets the live side's time column `time`, when
/// its materializing SELECT computes it from that column (`toDate(ts) AS date`).
fn legacy_bucket(cx: &Ctx, legacy: ResourceId, column: &str, time: &str) -> Option<Bucket> {
    cx.m.writers_into(legacy)
        .filter(|w| w.kind == EdgeKind::MaterializesInto)
        .find_map(|w| {
            let node = &cx.p.resources[w.pipe].nodes[w.node];
            let main = node.sql.as_ref()?.main.as_ref()?;
            let item = main.items.iter().find(|i| i.output_name == column)?;
            let text = node.sql_map.text.get(item.range.start..item.range.end)?;
            let (source, bucket) = Bucket::of_item(item, text)?;
            (source == time && bucket.unit != Unit::Second).then_some(bucket)
        })
}

/// A backfill copying whole buckets of the legacy target (`date < '2024-05-28'`, `hour <
/// '2024-05-28 13:00:00'`) against a live side on the raw time column (`ts >= …`): exact only
/// when the backfill's last bucket ends where the live side starts, in the zone the buckets
/// are computed in. `None` when it is exact.
fn bucket_mismatch(lo: &Bound, up: &Bound, bucket: &Bucket) -> Option<(Severity, String)> {
    let (a, b) = (lo.instant()?, up.instant()?);
    let zone = bucket.zone(lo.column_zone.as_deref());
    let start = a.utc_seconds(lo.column_zone.as_deref())?;
    // Where the bucket named by the backfill's value starts: a date names the bucket starting
    // at its midnight in the buckets' zone; a date-time is read in its own column's zone.
    let named = if b.granularity == Granularity::Date {
        local_to_utc(b.local_seconds, zone)?
    } else {
        b.utc_seconds(up.column_zone.as_deref())?
    };
    // The backfill's end (exclusive).
    let end = match up.op {
        CompareOp::Lt => bucket.round_up(named, zone)?,
        CompareOp::Le => bucket.round_up(bucket.floor(named, zone)? + 1, zone)?,
        _ => return None,
    };
    let end_text = bucket.literal(end, zone, up.column_zone.as_deref())?;
    let unit = bucket.unit.as_str();
    let a_unit = bucket.unit.a();
    let in_zone = if zone == "UTC" {
        String::new()
    } else {
        format!(" ({zone})")
    };
    let boundary = bucket.round_up(start, zone)? == start;
    if end == start && a.nanos == 0 {
        return (lo.op == CompareOp::Gt).then(|| (Severity::Warning, format!(
            "this backfill's {unit}s{in_zone} end where the live side starts, after '{a}' (`>`): rows at exactly '{a}' are lost. Use `>=` on the live side."
        )));
    }
    if !boundary {
        return Some((Severity::Warning, format!(
            "this backfill reads whole {unit}s{in_zone} of the legacy target (`{}`), so it cannot stop at '{a}', inside {a_unit}: the rows of that {unit} {} the cutoff are {}. Put the cutoff where {a_unit} starts, with `>=` on the live side and `{} <` that {unit} here.",
            up.column_expr(),
            if end > start { "after" } else { "before" },
            if end > start { "written twice" } else { "lost" },
            up.column_expr()
        )));
    }
    let live_bucket = bucket.literal(start, zone, up.column_zone.as_deref())?;
    Some((
        Severity::Warning,
        if end > start {
            format!("this backfill's {unit}s{in_zone} run to {end_text}, past the live side's cutoff '{a}': the rows in between are written twice. Use `{} < {live_bucket}` here.", up.column_expr())
        } else {
            format!("this backfill's {unit}s{in_zone} end at {end_text}, before the live side's cutoff '{a}': the rows in between are lost. Use `{} < {live_bucket}` here.", up.column_expr())
        },
    ))
}

/// What is wrong between a lower bound `lo` (live) and an upper bound `up` (backfill).
fn mismatch(lo: &Bound, up: &Bound) -> Option<(Severity, String)> {
    let (Some(a), Some(b)) = (lo.instant(), up.instant()) else {
        return None;
    };
    if lo.column_expr() != up.column_expr() {
        return Some((Severity::Warning, format!(
            "the live side cuts on `{}` and this backfill on `{}`: rows between the two readings of the cutoff are written twice or never. Filter the same raw column on both sides.",
            lo.column_expr(),
            up.column_expr()
        )));
    }
    // The instants, each read in its zone (a zone nobody knows: ClickHouse refuses it, and
    // nothing can be said of the boundary).
    let (za, zb) = (lo.zone().unwrap_or("UTC"), up.zone().unwrap_or("UTC"));
    let ua = (a.utc_seconds(lo.column_zone.as_deref())?, a.nanos);
    let ub = (b.utc_seconds(up.column_zone.as_deref())?, b.nanos);
    if ua != ub {
        let read = |i: &crate::migration::instant::Instant, z: &str, utc: i64| {
            if z == "UTC" {
                format!("'{i}'")
            } else {
                format!("'{i}' {z} ({} UTC)", format_seconds(utc))
            }
        };
        let (ta, tb) = (read(a, za, ua.0), read(b, zb, ub.0));
        let effect = if ua < ub {
            format!("rows between {ta} and {tb} are written by both: counted twice")
        } else {
            format!("rows between {tb} and {ta} are written by neither: lost")
        };
        return Some((
            Severity::Warning,
            format!("the live side cuts at {ta} and this backfill at {tb}: {effect}. Use one cutoff on both sides."),
        ));
    }
    match (lo.op, up.op) {
        (CompareOp::Gt, CompareOp::Le) => None,
        (CompareOp::Ge, CompareOp::Le) => Some((Severity::Warning, format!(
            "`>=` on the live side and `<=` here both include '{a}': rows at exactly the cutoff are written twice. Use `>` on the live side (or `<` here)."
        ))),
        (CompareOp::Gt, CompareOp::Lt) => Some((Severity::Warning, format!(
            "`>` on the live side and `<` here both exclude '{a}': rows at exactly the cutoff are lost. Use `<=` here."
        ))),
        (CompareOp::Ge, CompareOp::Lt) => {
            let aligned = a.is_midnight() || a.is_hour();
            (!aligned).then(|| (Severity::Info, format!(
                "`>=` with `<` is exact only when no row at exactly '{a}' was stored before the live side was deployed; `>` on the live side with `<=` here is exact in every case."
            )))
        }
        _ => None,
    }
}

pub const RULE: Rule = Rule {
    name: "boundary_mismatch",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-boundary-mismatch",
        Warning,
        "Live and backfill bounds that do not meet",
    )
    .varies("an information for `>=` with `<` off a whole hour: exact unless a row at exactly the cutoff was stored before the live side was deployed")],
    examples: &[
        Example::reported(
            "migration-boundary-mismatch",
            concat!(
                base!(),
                new_target!(),
                live!(),
                quality_test!(),
                r#"
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts < '2026-01-01 00:00:00'
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported("migration-boundary-mismatch", migrated!()),
        // One instant written in two zones.
        Example::not_reported(
            "migration-boundary-mismatch",
            concat!(
                base!(),
                new_target!(),
                quality_test!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts > toDateTime('2026-01-01 01:00:00', 'Europe/Madrid')
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts <= '2026-01-01 00:00:00'
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
        // Whole Madrid days copied from the legacy target, the live side cut at midnight UTC on
        // the day clocks change: the Madrid day started an hour earlier, that hour is lost.
        Example::reported(
            "migration-boundary-mismatch",
            concat!(
                base!(),
                new_target!(),
                quality_test!(),
                madrid_hits!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts >= toDateTime('2026-03-29 00:00:00', 'UTC')
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT date, session_id, device, CAST('' AS SimpleAggregateFunction(any, String)) AS env, hits
            FROM sessions
            WHERE ⟦date < '2026-03-29'⟧
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported(
            "migration-boundary-mismatch",
            concat!(
                base!(),
                new_target!(),
                quality_test!(),
                madrid_hits!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts >= '2026-03-29 00:00:00'
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT date, session_id, device, CAST('' AS SimpleAggregateFunction(any, String)) AS env, hits
            FROM sessions
            WHERE date < '2026-03-29'
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
        // Whole hours of an hourly legacy target (a DateTime bucket), cut where an hour starts.
        Example::not_reported(
            "migration-boundary-mismatch",
            r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `n` UInt32
        //- datasources/hourly.datasource
        SCHEMA >
            `hour` DateTime,
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "hour"
        //- pipes/hourly_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfHour(ts) AS hour, countState() AS hits FROM hits GROUP BY hour
        TYPE materialized
        DATASOURCE hourly
        //- datasources/hourly_2.datasource
        # tinybird-lsp: replaces hourly
        SCHEMA >
            `hour` DateTime,
            `hits` AggregateFunction(count),
            `total` SimpleAggregateFunction(sum, UInt64)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "hour"
        //- pipes/hourly_2_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfHour(ts) AS hour, countState() AS hits, sumSimpleState(n) AS total
            FROM hits
            WHERE ts >= '2026-01-01 13:00:00'
            GROUP BY hour
        TYPE materialized
        DATASOURCE hourly_2
        //- pipes/hourly_2_backfill.pipe
        NODE n
        SQL >
            SELECT hour, hits, CAST(0 AS SimpleAggregateFunction(sum, UInt64)) AS total
            FROM hourly
            WHERE hour < '2026-01-01 13:00:00'
        TYPE copy
        TARGET_DATASOURCE hourly_2
        "#,
        ),
        // One hour too many copied from the hourly legacy target: written twice.
        Example::reported(
            "migration-boundary-mismatch",
            r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `n` UInt32
        //- datasources/hourly.datasource
        SCHEMA >
            `hour` DateTime,
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "hour"
        //- pipes/hourly_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfHour(ts) AS hour, countState() AS hits FROM hits GROUP BY hour
        TYPE materialized
        DATASOURCE hourly
        //- datasources/hourly_2.datasource
        # tinybird-lsp: replaces hourly
        SCHEMA >
            `hour` DateTime,
            `hits` AggregateFunction(count),
            `total` SimpleAggregateFunction(sum, UInt64)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "hour"
        //- pipes/hourly_2_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfHour(ts) AS hour, countState() AS hits, sumSimpleState(n) AS total
            FROM hits
            WHERE ts >= '2026-01-01 13:00:00'
            GROUP BY hour
        TYPE materialized
        DATASOURCE hourly_2
        //- pipes/hourly_2_backfill.pipe
        NODE n
        SQL >
            SELECT hour, hits, CAST(0 AS SimpleAggregateFunction(sum, UInt64)) AS total
            FROM hourly
            WHERE ⟦hour < '2026-01-01 14:00:00'⟧
        TYPE copy
        TARGET_DATASOURCE hourly_2
        "#,
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for m in &cx.m.migrations {
        for &li in &m.live {
            let live = &cx.m.writers[li];
            for &bi in &m.backfills {
                let back = &cx.m.writers[bi];
                for up in back.upper() {
                    // Compare with the live bound on the same column, else the first one.
                    let Some(lo) = live
                        .lower()
                        .filter(|l| l.instant().is_some())
                        .find(|l| l.column == up.column)
                        .or_else(|| live.lower().find(|l| l.instant().is_some()))
                    else {
                        continue;
                    };
                    // Backfilling whole buckets from the legacy target (migration-strategies
                    // C5): its column computed from the live side's time column.
                    let bucket = m
                        .legacy
                        .filter(|&l| back.source.as_deref() == Some(cx.ds(l)))
                        .filter(|_| up.column != lo.column)
                        .and_then(|l| legacy_bucket(cx, l, &up.column, &lo.column));
                    let by_bucket = bucket.is_some();
                    let found = match &bucket {
                        Some(b) => bucket_mismatch(lo, up, b),
                        None => mismatch(lo, up),
                    };
                    let Some((severity, why)) = found else {
                        continue;
                    };
                    let d = Diagnostic::new(
                        severity,
                        "migration-boundary-mismatch",
                        up.range,
                        format!(
                            "`{}` and `{}` do not meet at one instant: {why}",
                            cx.name(back),
                            cx.name(live)
                        ),
                    )
                    .with_related(
                        Some(lo.written_at(&live.path).0),
                        lo.written_at(&live.path).1,
                        "the live side's cutoff",
                    );
                    // The exact pair: `>` on the live side, `<=` here, the live side's column
                    // and value on both.
                    // Only comparisons whose text is known are edited: in the pipes, or in an
                    // `.incl` only that pipe includes (never on an INCLUDE line).
                    let up_site = super::edit_site(
                        cx.p,
                        &back.path,
                        up.range,
                        up.written_here,
                        up.included.as_ref(),
                    );
                    let lo_site = super::edit_site(
                        cx.p,
                        &live.path,
                        lo.range,
                        lo.written_here,
                        lo.included.as_ref(),
                    );
                    let d = match (&lo.column_text, up.between || by_bucket, up_site) {
                        (Some(column), false, Some((up_path, up_range))) => {
                            let backfill = format!("{column} <= {}", lo.value_text);
                            let mut edits = vec![TextEdit {
                                path: up_path,
                                range: up_range,
                                new_text: backfill.clone(),
                            }];
                            if lo.op == CompareOp::Gt {
                                d.with_fix(format!("Align cutoff boundary: `{backfill}`"), edits)
                            } else if let Some((lo_path, lo_range)) = lo_site {
                                edits.push(TextEdit {
                                    path: Some(lo_path.unwrap_or_else(|| live.path.to_string())),
                                    range: lo_range,
                                    new_text: format!("{column} > {}", lo.value_text),
                                });
                                d.with_fix(
                                    format!(
                                        "Align cutoff boundary at {}: `>` live, `<=` backfill",
                                        lo.value_text
                                    ),
                                    edits,
                                )
                            } else {
                                d
                            }
                        }
                        _ => d,
                    };
                    push_at(out, &back.path, d, up.included.as_ref());
                }
            }
        }
    }
}
