//! `script-data-derived-cutoff`: a populate condition or copy parameter computed when the script
//! runs (`$(date …)`, a query for `min(ts)` or the creation time in `datasources_ops_log`). The
//! seam then depends on the clock and timezone of the machine, or on the data being in time
//! order: one late row moves it and opens a gap or an overlap.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "script_data_derived_cutoff",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "script-data-derived-cutoff",
        Warning,
        "A cutoff computed when the script runs",
    )],
    examples: &[
        Example::reported(
            "script-data-derived-cutoff",
            concat!(
                migrated!(),
                r#"
        //- deploy/1.0.1/cd-deploy.sh
        #!/usr/bin/env bash
        set -e
        tb pipe copy run sessions_2_backfill ⟦--param⟧ cutoff="$(date -u +%F)" --wait
        "#
            ),
        ),
        Example::not_reported(
            "script-data-derived-cutoff",
            concat!(
                migrated!(),
                r#"
        //- deploy/1.0.1/cd-deploy.sh
        #!/usr/bin/env bash
        set -e
        tb pipe copy run sessions_2_backfill --param cutoff="2026-01-01 00:00:00" --wait
        "#
            ),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for s in &cx.p.scripts {
        for c in &s.commands {
            for (flag, value, range) in &c.flags {
                if !matches!(
                    flag.as_str(),
                    "--sql-condition" | "--populate-sql-condition" | "--param"
                ) {
                    continue;
                }
                let Some(v) = value else { continue };
                let lower = v.to_ascii_lowercase();
                let computed = v.contains("$(")
                    || v.contains('`')
                    || v.contains("${")
                    || lower.contains("min(")
                    || lower.contains("datasources_ops_log");
                if !computed {
                    continue;
                }
                let d = Diagnostic::warning(
                    "script-data-derived-cutoff",
                    *range,
                    format!(
                        "`{flag}` is computed when the script runs (`{v}`): the cutoff then depends on the machine's clock and timezone or on the data arriving in time order, and one late row moves it. Use the fixed cutoff the live side declares."
                    ),
                );
                push(out, &s.path, d);
            }
        }
    }
}
