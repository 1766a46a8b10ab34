//! `script-destructive-deploy`: a script deploys with `--allow-destructive-operations`, which lets
//! a Forward deployment drop datasources and history (a replay from a source whose TTL is
//! shorter, a deleted datasource) without stopping.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "script_destructive_deploy",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "script-destructive-deploy",
        Warning,
        "--allow-destructive-operations in a script",
    )],
    examples: &[
        Example::reported(
            "script-destructive-deploy",
            concat!(
                base!(),
                r#"
        //- scripts/deploy.sh
        #!/usr/bin/env bash
        set -e
        tb --cloud deploy ⟦--allow-destructive-operations⟧ --wait
        "#
            ),
        ),
        Example::not_reported(
            "script-destructive-deploy",
            concat!(
                base!(),
                r#"
        //- scripts/deploy.sh
        #!/usr/bin/env bash
        set -e
        tb --cloud deploy --wait
        "#
            ),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for s in &cx.p.scripts {
        for c in &s.commands {
            let Some(flag) = c.flag("--allow-destructive-operations") else {
                continue;
            };
            let d = Diagnostic::warning(
                "script-destructive-deploy",
                flag.2,
                "`--allow-destructive-operations` lets every deployment this script runs delete datasources and drop history without stopping. Run it by hand, for the one deployment that needs it, after checking the plan with `--check`.",
            );
            push(out, &s.path, d);
        }
    }
}
