//! `migration-missing-backfill`: a live node writes into a datasource only after a cutoff and
//! nothing writes the rows before it. Information while the cutoff is in the future (the
//! backfill must wait for it), a warning once it has passed.

use super::{push_at, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    name: "missing_backfill",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-missing-backfill",
        Warning,
        "Nothing fills the rows before the cutoff",
    )
    .varies("an information while the cutoff is in the future (the backfill must wait for it)")],
    examples: &[
        Example::reported(
            "migration-missing-backfill",
            concat!(
                "//- now: 2026-02-01 00:00:00\n",
                base!(),
                new_target!(),
                live!()
            ),
        ),
        Example::not_reported(
            "migration-missing-backfill",
            concat!("//- now: 2026-02-01 00:00:00\n", migrated!()),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for m in &cx.m.migrations {
        // Without a legacy target, a cutoff may just be where the view's history starts.
        if !m.backfills.is_empty() || m.legacy.is_none() {
            continue;
        }
        for &li in &m.live {
            let live = &cx.m.writers[li];
            let Some(cut) = live.lower().find(|b| b.instant().is_some()) else {
                continue;
            };
            let instant = cut.instant().expect("filtered");
            let passed = cx
                .now
                .zip(instant.utc_seconds(cut.column_zone.as_deref()))
                .map(|(now, at)| now > at);
            let legacy = m
                .legacy
                .map(|l| format!(" (`{}` still holds them)", cx.ds(l)))
                .unwrap_or_default();
            let (severity, when) = match passed {
                Some(true) => (
                    Severity::Warning,
                    "The cutoff has passed: backfill them now",
                ),
                _ => (Severity::Info, "Once the cutoff has passed, backfill them"),
            };
            let d = Diagnostic::new(
                severity,
                "migration-missing-backfill",
                cut.range,
                format!(
                    "`{}` only writes rows with `{} {} '{instant}'` into `{}`; nothing writes the rows before the cutoff{legacy}. {when} with the same SELECT and `{} {} '{instant}'`.",
                    cx.name(live),
                    cut.column_expr(),
                    cut.op.as_str(),
                    cx.ds(m.new),
                    cut.column_expr(),
                    if cut.op == syntax::sql::facts::CompareOp::Gt { "<=" } else { "<" },
                ),
            );
            push_at(out, &live.path, d, cut.included.as_ref());
        }
    }
}
