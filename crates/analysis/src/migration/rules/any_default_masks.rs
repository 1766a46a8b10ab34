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
        let day_key = keys.iter().any(|k| {
            new_cols
                .iter()
                .any(|c| &c.name == k && c.parsed.as_ref().is_some_and(Type::is_date))
        });
        // Midnight where the days are counted: in the time column's zone.
        let day = Bucket::new(Unit::Day, Repr::Date);
        let cut_at_midnight = m.live.iter().all(|&li| {
            cx.m.writers[li].lower().all(|b| {
                let zone = b.column_zone.as_deref();
                b.instant()
                    .and_then(|t| t.utc_seconds(zone))
                    .is_none_or(|at| day.round_up(at, zone.unwrap_or("UTC")) == Some(at))
            })
        });
        if day_key && cut_at_midnight {
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
                    "the sorting key has no day bucket, so a key can have rows on both sides of the cutoff"
                };
                let d = Diagnostic::warning(
                    "migration-any-default-masks",
                    node.file_range(item.range),
                    format!(
                        "`{}` is backfilled with a constant while the live side writes real values into `{}` (`{}`): {why}, and `any` keeps whichever row merges first, so the default can replace the real value. Cut at midnight with a day column in the sorting key, or read it with `anyIf({}, {} != defaultValueOfArgumentType({}))` (valid for every type).",
                        col.name, cx.ds(m.new), col.ty, col.name, col.name, col.name
                    ),
                );
                push_at(out, &b.path, d, node.included_site(item.range).as_ref());
            }
        }
    }
}
