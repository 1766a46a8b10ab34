//! `migration-without-quality-test`: a Classic migration whose live side and backfill are in
//! place, with no test comparing the legacy and new targets. Nothing then shows that the
//! backfill neither lost nor duplicated rows before dependents are moved.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceId, Source, Target};
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
        let reads = |t: ResourceId| {
            p.edges
                .iter()
                .filter(move |e| e.kind == EdgeKind::TestReads && e.target == Target::Resource(t))
                .filter_map(|e| match e.from {
                    Source::Test(i) => Some((i, e.from_node.clone())),
                    Source::Resource(_) => None,
                })
        };
        let compared = reads(legacy).any(|case| reads(m.new).any(|other| other == case));
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
