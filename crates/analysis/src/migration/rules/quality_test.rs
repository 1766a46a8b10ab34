//! `migration-without-quality-test`: a Classic migration whose live side and backfill are in
//! place, with no test comparing the legacy and new targets. Nothing then shows that the
//! backfill neither lost nor duplicated rows before dependents are moved.

use super::{push, Ctx};
use crate::migration::compares_with_legacy;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, Target};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Info;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "quality_test",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-without-quality-test",
        Info,
        "No test compares the legacy and new targets",
    )],
    examples: &[
        Example::reported(
            "migration-without-quality-test",
            concat!(base!(), new_target!(), live!(), backfill!()),
        ),
        Example::not_reported("migration-without-quality-test", migrated!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    if p.dialect != Dialect::Classic {
        return;
    }
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else { continue };
        let Some(&bi) = m.backfills.first() else {
            continue;
        };
        if m.live.is_empty() {
            continue;
        }
        // A test case reading the legacy target and the new one, or a materialized pipe
        // writing into either (`reads-materialized-pipe` then says which table to read).
        let compared = p
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::TestReads && e.target == Target::Resource(legacy))
            .any(|e| {
                p.edges_from_source(&e.from).any(|o| {
                    o.kind == EdgeKind::TestReads
                        && o.from_node == e.from_node
                        && compares_with_legacy(p, o, m)
                })
            });
        if compared {
            continue;
        }
        let b = &cx.m.writers[bi];
        let d = Diagnostic::info(
            "migration-without-quality-test",
            b.target_range,
            format!(
                "No test compares `{}` with `{}`: add one to tests/ that returns rows when their totals differ (for example the `countMerge` of the same state column in both), so the backfill is verified before dependents move.",
                cx.ds(legacy),
                cx.ds(m.new)
            ),
        );
        push(out, &b.path, d);
    }
}
