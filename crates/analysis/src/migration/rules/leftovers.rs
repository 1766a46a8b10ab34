//! `migration-leftover`: once a migration is complete and nothing but the migration and its
//! quality test reads the legacy target any more, what is left to remove: a backfill still
//! attached as a materialized view, and the legacy target with its materializing pipe.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::EdgeKind;
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
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else { continue };
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
                    "The migration into `{}` is done, but `{}` is still a materialized view: its trigger keeps writing rows up to the cutoff. Remove it once it has been populated and the quality test passes.",
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
