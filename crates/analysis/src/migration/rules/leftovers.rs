//! `migration-leftover`: once a migration is complete and nothing but the migration and its
//! quality test reads the legacy target any more, what is left to remove: a backfill still
//! attached as a materialized view, and the legacy target with its materializing pipe.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceId};
use std::collections::HashMap;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Hint;

pub const RULE: Rule = Rule {
    name: "leftovers",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-leftover",
        Hint,
        "What a finished migration leaves behind",
    )],
    examples: &[
        Example::reported(
            "migration-leftover",
            concat!(
                migrated!(),
                r#"
        //- pipes/api.pipe
        NODE n
        SQL >
            SELECT date, countMerge(hits) AS hits FROM sessions_2 GROUP BY date
        "#
            ),
        ),
        Example::not_reported("migration-leftover", migrated!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    // The targets of the plain (unbounded) materialized views of each source, found once.
    let mut plain_views: HashMap<&str, Vec<ResourceId>> = HashMap::new();
    for w in &cx.m.writers {
        if w.kind == EdgeKind::MaterializesInto && w.bounds.is_empty() {
            if let Some(s) = w.source.as_deref() {
                plain_views.entry(s).or_default().push(w.target);
            }
        }
    }
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else {
            legacy_gone(cx, m, &plain_views, out);
            continue;
        };
        if m.live.is_empty()
            || m.backfills.is_empty()
            || super::legacy_dependents(cx, m).next().is_some()
        {
            continue;
        }
        for &bi in &m.backfills {
            let b = &cx.m.writers[bi];
            if b.kind != EdgeKind::MaterializesInto {
                continue;
            }
            let d = Diagnostic::hint(
                "migration-leftover",
                b.target_range,
                format!(
                    "The migration into `{}` is done, but `{}` is still a materialized view: its trigger keeps writing rows up to the cutoff. Remove it once it has been populated, the quality test passes and the lateness you expect has passed.",
                    cx.ds(m.new),
                    cx.name(b)
                ),
            );
            push(out, &b.path, d);
        }
        for w in cx.m.writers_into(legacy) {
            if w.kind != EdgeKind::MaterializesInto {
                continue;
            }
            let d = Diagnostic::hint(
                "migration-leftover",
                w.target_range,
                format!(
                    "Nothing reads `{}` any more (`{}` replaces it): once the quality test passes, remove `{}` and `{}`.",
                    cx.ds(legacy),
                    cx.ds(m.new),
                    cx.ds(legacy),
                    p.resources[w.pipe].name
                ),
            );
            push(out, &w.path, d);
        }
    }
}

/// The legacy side is gone (no datasource is fed any more by a plain view of the live side's
/// source) and the cutoff has passed: a backfill still attached as a materialized view is
/// what the migration left behind.
fn legacy_gone(
    cx: &Ctx,
    m: &super::super::Migration,
    plain_views: &HashMap<&str, Vec<ResourceId>>,
    out: &mut FileDiagnostics,
) {
    let Some(now) = cx.now else { return };
    let sources: Vec<&str> = m
        .live
        .iter()
        .filter_map(|&li| cx.m.writers[li].source.as_deref())
        .collect();
    let another_view_of_the_source = sources.iter().any(|s| {
        plain_views
            .get(s)
            .is_some_and(|targets| targets.iter().any(|t| *t != m.new))
    });
    if m.live.is_empty() || another_view_of_the_source {
        return;
    }
    for &bi in &m.backfills {
        let b = &cx.m.writers[bi];
        let passed = b.upper().any(|up| {
            up.instant()
                .and_then(|t| t.utc_seconds(up.column_zone.as_deref()))
                .is_some_and(|at| at < now)
        });
        if b.kind != EdgeKind::MaterializesInto || !passed {
            continue;
        }
        let d = Diagnostic::hint(
            "migration-leftover",
            b.target_range,
            format!(
                "No legacy target of `{}` is left and its cutoff has passed, but `{}` is still a materialized view: its trigger keeps writing the late rows up to the cutoff. It is a leftover of the migration: remove it once it has been populated and the lateness you expect has passed.",
                cx.ds(m.new),
                cx.name(b)
            ),
        );
        push(out, &b.path, d);
    }
}
