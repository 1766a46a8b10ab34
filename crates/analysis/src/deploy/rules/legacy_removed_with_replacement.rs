//! `legacy-removed-with-replacement` (Classic): the change that creates a new target deletes the
//! datasource it replaces. The rows before the cutoff exist only in the legacy target (or in a
//! source that may no longer keep them), and the change removes it before a backfill has run
//! and a quality test has compared the two: whatever the backfill has not copied is gone
//! (migration-strategies.md, F19). The story's order is backfill → verify → repoint → remove,
//! each in its own deployment.
//!
//! The pair is recognised as the migration rules recognise it: the new target's
//! `# tinybird-lsp: replaces` marker, a name made from the legacy's (`L_1`, `L_v2`, `new_L`),
//! or a live side materialized from the same source the deployed legacy target was, with
//! (nearly) all its columns; of several new datasources, the strongest and closest. A legacy
//! target whose replacement the deployed version already has (a migration in the base) is
//! removed at the right time: nothing is reported, whatever else the change adds.

use super::{push, Ctx};
use crate::deploy::ChangeKind;
use crate::deploy::ResourceChange;
use crate::migration::{columns, named_after, replacement_score};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceKind};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::text::TextRange;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "legacy_removed_with_replacement",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "legacy-removed-with-replacement",
        Warning,
        "The legacy target deleted in the change that creates its replacement",
    )],
    examples: &[
        Example::reported(
            "legacy-removed-with-replacement",
            r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
            //- datasources/daily_1.datasource
            ⟦SCHEMA⟧ >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d, country"
            //- pipes/daily_mv_1.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, country, count() AS n FROM events
                WHERE ts > '2026-01-01 00:00:00'
                GROUP BY d, country
            TYPE materialized
            DATASOURCE daily_1
            //- added: datasources/daily_1.datasource
            //- added: pipes/daily_mv_1.pipe
            //- base: datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- base: pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events GROUP BY d
            TYPE materialized
            DATASOURCE daily
        "#,
        ),
        // The legacy target stays until a later change: nothing is reported.
        Example::not_reported(
            "legacy-removed-with-replacement",
            r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events GROUP BY d
            TYPE materialized
            DATASOURCE daily
            //- datasources/daily_1.datasource
            SCHEMA >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d, country"
            //- pipes/daily_mv_1.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, country, count() AS n FROM events
                WHERE ts > '2026-01-01 00:00:00'
                GROUP BY d, country
            TYPE materialized
            DATASOURCE daily_1
            //- added: datasources/daily_1.datasource
            //- added: pipes/daily_mv_1.pipe
        "#,
        ),
        // The replacement was deployed before (the base has the migration): removing the
        // legacy target now is the last step, even beside a new sibling from the same source.
        Example::not_reported(
            "legacy-removed-with-replacement",
            r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily_1.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_mv_1.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ts > '2026-01-01 00:00:00'
                GROUP BY d
            TYPE materialized
            DATASOURCE daily_1
            //- datasources/daily_eu.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_eu_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events GROUP BY d
            TYPE materialized
            DATASOURCE daily_eu
            //- added: datasources/daily_eu.datasource
            //- added: pipes/daily_eu_mv.pipe
            //- base: datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- base: pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events GROUP BY d
            TYPE materialized
            DATASOURCE daily
        "#,
        ),
        // An unrelated datasource removed beside a new one: not a replacement.
        Example::not_reported(
            "legacy-removed-with-replacement",
            r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/sessions.datasource
            SCHEMA >
                `ts` DateTime
            //- added: datasources/sessions.datasource
            //- base: datasources/old_exports.datasource
            SCHEMA >
                `id` String
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Classic {
        return;
    }
    let datasources = |kind: ChangeKind| {
        cx.plan
            .changes
            .iter()
            .filter(move |c| c.kind == ResourceKind::Datasource && c.change == kind)
    };
    let (bp, bm) = (&cx.base.project, &cx.base.migrations);
    let unstarted = bm.unstarted(bp);
    for legacy in datasources(ChangeKind::Removed) {
        let Some((li, _)) = bp
            .named(&legacy.resource)
            .find(|(_, r)| r.kind == ResourceKind::Datasource && r.defined_by_file())
        else {
            continue;
        };
        // Its replacement was deployed before this change: removing it is the last step.
        if bm.migrations.iter().any(|m| m.legacy == Some(li))
            || unstarted.iter().any(|&(_, l)| l == li)
        {
            continue;
        }
        let legacy_cols: Vec<&str> = columns(bp, li).iter().map(|c| c.name.as_str()).collect();
        let legacy_sources: Vec<&str> = bm
            .writers_into(li)
            .filter(|w| w.kind == EdgeKind::MaterializesInto)
            .filter_map(|w| w.source.as_deref())
            .collect();
        // The new datasources that replace it, the strongest sign first: the marker naming it,
        // a name made from its name, or a live side from its source with (nearly) all its
        // columns, the closest name winning.
        let mut best: Option<(&ResourceChange, f64)> = None;
        for new in datasources(ChangeKind::Added) {
            let Some((ni, nr)) = cx
                .head
                .named(&new.resource)
                .find(|(_, r)| r.kind == ResourceKind::Datasource && r.defined_by_file())
            else {
                continue;
            };
            let marked = cx.head.files[nr.file]
                .replaces
                .as_ref()
                .is_some_and(|(n, _)| *n == legacy.resource);
            let score = if marked {
                4.0
            } else if named_after(&new.resource, &legacy.resource) {
                3.0
            } else {
                let same_source = cx.migrations.writers_into(ni).any(|w| {
                    w.kind == EdgeKind::MaterializesInto
                        && !w.is_bounded_backfill()
                        && w.source
                            .as_deref()
                            .is_some_and(|s| legacy_sources.contains(&s))
                });
                let new_cols: Vec<&str> = columns(cx.head, ni)
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                let score =
                    replacement_score(&new.resource, &new_cols, &legacy.resource, &legacy_cols);
                match score {
                    Some(s) if same_source => s,
                    _ => continue,
                }
            };
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((new, score));
            }
        }
        let Some((new, _)) = best else { continue };
        let at = cx
            .datafile(new)
            .and_then(|df| df.schema())
            .map(|s| TextRange::new(s.range.start, s.range.start + "SCHEMA".len()))
            .unwrap_or_default();
        push(
            out,
            &new.path,
            Diagnostic::warning(
                "legacy-removed-with-replacement",
                at,
                format!(
                    "This change creates `{}` and deletes `{}` ({}), the datasource it replaces: its rows before the cutoff are deleted before a backfill has copied them and a test has compared the two. Keep `{}` until `{}` is backfilled and checked, and delete it in a later change",
                    new.resource,
                    legacy.resource,
                    legacy.path,
                    legacy.resource,
                    new.resource
                ),
            ),
        );
    }
}
