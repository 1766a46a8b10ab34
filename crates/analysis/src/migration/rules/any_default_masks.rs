//! `migration-any-default-masks`: a backfill copies the legacy target with a constant default
//! for a new `SimpleAggregateFunction(any, …)` column, while the live side writes real values.
//! When one key has rows on both sides of the cutoff (the new target's sorting key has no day
//! bucket, or the cutoff is not at midnight), `any` merges the backfilled default with the live
//! value and may keep the default: the real value is lost, depending on merge order.

use super::sorting_key_group_by::key_columns;
use super::{push_at, Ctx};
use crate::migration::bucket::{Bucket, Repr, Unit};
use crate::migration::columns;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use syntax::chtype::Type;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "any_default_masks",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-any-default-masks",
        Warning,
        "A backfilled default merged with live values",
    )],
    examples: &[
        Example::reported(
            "migration-any-default-masks",
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
            WHERE ts > '2026-01-01 12:00:00'
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT date, session_id, device, ⟦CAST('' AS SimpleAggregateFunction(any, String)) AS env⟧, hits
            FROM sessions
            WHERE date < '2026-01-01'
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported(
            "migration-any-default-masks",
            concat!(
                base!(),
                new_target!(),
                live!(),
                quality_test!(),
                r#"
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT date, session_id, device, CAST('' AS SimpleAggregateFunction(any, String)) AS env, hits
            FROM sessions
            WHERE date < '2026-01-01'
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
        Example::reported(
            "migration-any-default-masks",
            r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `page` String,
            `env` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- datasources/hourly.datasource
        SCHEMA >
            `hour` DateTime,
            `page` String,
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "hour, page"
        //- pipes/hourly_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfHour(ts) AS hour, page, countState() AS hits
            FROM hits
            GROUP BY hour, page
        TYPE materialized
        DATASOURCE hourly
        //- datasources/hourly_2.datasource
        SCHEMA >
            `hour` DateTime,
            `page` String,
            `hits` AggregateFunction(count),
            `env` SimpleAggregateFunction(any, String)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "hour, page"
        //- pipes/hourly_2_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfHour(ts) AS hour, page, countState() AS hits, anySimpleState(env) AS env
            FROM hits
            WHERE ts >= '2026-01-01 12:30:00'
            GROUP BY hour, page
        TYPE materialized
        DATASOURCE hourly_2
        //- pipes/hourly_2_backfill.pipe
        NODE n
        SQL >
            SELECT hour, page, hits, ⟦CAST('' AS SimpleAggregateFunction(any, String)) AS env⟧
            FROM hourly
            WHERE hour < '2026-01-01 12:30:00'
        TYPE copy
        TARGET_DATASOURCE hourly_2
        //- tests/hourly_2.yaml
        - totals_match:
            max_bytes_read: null
            max_time: null
            sql: |
              SELECT
                (SELECT countMerge(hits) FROM hourly WHERE hour < '2026-01-01 12:30:00') AS legacy,
                (SELECT countMerge(hits) FROM hourly_2 WHERE hour < '2026-01-01 12:30:00') AS new
              WHERE legacy != new
        "#,
        ),
        Example::not_reported(
            "migration-any-default-masks",
            r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `page` String,
            `env` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- datasources/hourly.datasource
        SCHEMA >
            `hour` DateTime,
            `page` String,
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "hour, page"
        //- pipes/hourly_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfHour(ts) AS hour, page, countState() AS hits
            FROM hits
            GROUP BY hour, page
        TYPE materialized
        DATASOURCE hourly
        //- datasources/hourly_2.datasource
        SCHEMA >
            `hour` DateTime,
            `page` String,
            `hits` AggregateFunction(count),
            `env` SimpleAggregateFunction(any, String)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "hour, page"
        //- pipes/hourly_2_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfHour(ts) AS hour, page, countState() AS hits, anySimpleState(env) AS env
            FROM hits
            WHERE ts >= '2026-01-01 12:00:00'
            GROUP BY hour, page
        TYPE materialized
        DATASOURCE hourly_2
        //- pipes/hourly_2_backfill.pipe
        NODE n
        SQL >
            SELECT hour, page, hits, CAST('' AS SimpleAggregateFunction(any, String)) AS env
            FROM hourly
            WHERE hour < '2026-01-01 12:00:00'
        TYPE copy
        TARGET_DATASOURCE hourly_2
        //- tests/hourly_2.yaml
        - totals_match:
            max_bytes_read: null
            max_time: null
            sql: |
              SELECT
                (SELECT countMerge(hits) FROM hourly WHERE hour < '2026-01-01 12:00:00') AS legacy,
                (SELECT countMerge(hits) FROM hourly_2 WHERE hour < '2026-01-01 12:00:00') AS new
              WHERE legacy != new
        "#,
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else { continue };
        let new_cols = columns(p, m.new);
        let keys: Vec<String> = p.files[p.resources[m.new].file]
            .datafile
            .engine()
            .and_then(|e| e.param("sorting_key"))
            .map(|k| key_columns(&k.text))
            .unwrap_or_default();
        // A key column the live side computes as a bucket of its cut column (`toDate(ts) AS
        // date`, `toStartOfHour(ts) AS hour`): with the cutoff on one of its boundaries, in the
        // zone the buckets are computed in, no key has rows on both sides. A Date key column
        // is a day bucket whatever computes it.
        let day_key = keys.iter().any(|k| {
            new_cols
                .iter()
                .any(|c| &c.name == k && c.parsed.as_ref().is_some_and(Type::is_date))
        });
        let day = Bucket::new(Unit::Day, Repr::Date);
        let aligned = |bucket: &Bucket, b: &crate::migration::Bound| {
            let column_zone = b.column_zone.as_deref();
            let zone = bucket.zone(column_zone);
            b.instant()
                .and_then(|t| t.utc_seconds(column_zone))
                .is_none_or(|at| bucket.round_up(at, zone) == Some(at))
        };
        let separated = m.live.iter().all(|&li| {
            let w = &cx.m.writers[li];
            let buckets = key_buckets(cx, w, &keys);
            let mut lower = w.lower().peekable();
            if lower.peek().is_none() {
                return day_key;
            }
            lower.all(|b| {
                (day_key && aligned(&day, b))
                    || buckets
                        .iter()
                        .any(|(col, bucket)| col == &b.column && aligned(bucket, b))
            })
        });
        if separated {
            continue; // no key spans the cutoff
        }
        for &bi in &m.backfills {
            let b = &cx.m.writers[bi];
            if b.source.as_deref() != Some(cx.ds(legacy)) {
                continue;
            }
            let node = &p.resources[b.pipe].nodes[b.node];
            let Some(main) = node.sql.as_ref().and_then(|s| s.main.as_ref()) else {
                continue;
            };
            for item in &main.items {
                let Some(col) = new_cols.iter().find(|c| c.name == item.output_name) else {
                    continue;
                };
                let any = matches!(
                    &col.parsed,
                    Some(Type::SimpleAggregateFunction { function, .. }) if function == "any"
                );
                let constant = !item.functions.is_empty()
                    && item
                        .functions
                        .iter()
                        .all(|f| f.aggregate.is_none() && f.column_args.is_empty());
                if !any || !constant {
                    continue;
                }
                let why = if day_key {
                    "the cutoff is not at midnight, so a day's key has rows on both sides"
                } else {
                    "no column of the sorting key is a time bucket the cutoff starts, so a key can have rows on both sides of the cutoff"
                };
                let d = Diagnostic::warning(
                    "migration-any-default-masks",
                    node.file_range(item.range),
                    format!(
                        "`{}` is backfilled with a constant while the live side writes real values into `{}` (`{}`): {why}, and `any` keeps whichever row merges first, so the default can replace the real value. Cut where a bucket of the sorting key starts (midnight, with a day column in it), or read it with `anyIf({}, {} != defaultValueOfArgumentType({}))` (valid for every type).",
                        col.name, cx.ds(m.new), col.ty, col.name, col.name, col.name
                    ),
                );
                push_at(out, &b.path, d, node.included_site(item.range).as_ref());
            }
        }
    }
}

/// The key columns the writer's SELECT computes as buckets of a time column: (that column,
/// the bucket), seconds excluded (a raw time column in the key separates nothing).
fn key_buckets(cx: &Ctx, w: &crate::migration::Writer, keys: &[String]) -> Vec<(String, Bucket)> {
    let node = &cx.p.resources[w.pipe].nodes[w.node];
    let Some(main) = node.sql.as_ref().and_then(|s| s.main.as_ref()) else {
        return Vec::new();
    };
    main.items
        .iter()
        .filter(|i| keys.contains(&i.output_name))
        .filter_map(|i| {
            let text = node.sql_map.text.get(i.range.start..i.range.end)?;
            Bucket::of_item(i, text).filter(|(_, b)| b.unit != Unit::Second)
        })
        .collect()
}
