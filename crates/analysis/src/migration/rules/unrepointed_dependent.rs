//! `migration-unrepointed-dependent`: once a migration is complete (a live side and a backfill
//! write the new target), an endpoint, pipe, copy, sink or test still reads the legacy target.
//! It keeps serving the old columns and goes stale when the legacy pipeline is removed.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::Source;
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, TextEdit};
use syntax::text::TextRange;

pub const RULE: Rule = Rule {
    name: "unrepointed_dependent",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-unrepointed-dependent",
        Warning,
        "Dependents still reading the legacy target",
    )],
    examples: &[
        Example::reported("migration-unrepointed-dependent", migrated!()),
        Example::not_reported(
            "migration-unrepointed-dependent",
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
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else { continue };
        let new_name = cx.ds(m.new);
        for e in super::legacy_dependents(cx, m) {
            let reader = match e.from {
                Source::Resource(r) => format!("`{}`", p.resources[r].name),
                Source::Test(t) => {
                    format!(
                        "the test `{}`",
                        e.from_node.as_deref().unwrap_or(&p.tests[t].file.path)
                    )
                }
            };
            let d = Diagnostic::warning(
                "migration-unrepointed-dependent",
                e.range,
                format!(
                    "{reader} still reads the legacy `{}`, which `{new_name}` replaces (its live side and backfill are in place): it does not see the new columns and goes stale when the legacy pipeline is removed. Read `{new_name}`.",
                    cx.ds(legacy)
                ),
            )
            .with_related(
                Some(p.resources[m.new].path.to_string()),
                TextRange::empty(0),
                "the new target",
            )
            ;
            // A reference written in an included `.incl` maps to the INCLUDE line: an edit
            // there would write over text it never read. The fix is only offered where the
            // name is written.
            let d = if e.written_here {
                d.with_fix(
                    format!("Repoint to `{new_name}`"),
                    vec![TextEdit {
                        path: None,
                        range: e.range,
                        new_text: new_name.to_string(),
                    }],
                )
            } else {
                Diagnostic {
                    message: format!(
                        "{} The reference is in a file this one INCLUDEs: repoint it there.",
                        d.message
                    ),
                    ..d
                }
            };
            push(out, &e.path, d);
        }
    }
}
