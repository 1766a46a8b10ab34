//! `script-populate-without-wait`: a script starts a populate (`tb pipe populate`, `tb push
//! --populate`, `tb deploy --populate`) without `--wait`. The command returns at once; if the
//! populate fails, Tinybird unlinks the materialized view and live rows stop reaching its target,
//! and the deployment carries on as if all went well.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "script_populate_without_wait",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "script-populate-without-wait",
        Warning,
        "A populate that does not wait",
    )],
    examples: &[
        Example::reported(
            "script-populate-without-wait",
            concat!(
                migrated!(),
                r#"
        //- deploy/1.0.1/cd-deploy.sh
        #!/usr/bin/env bash
        set -e
        ⟦tb pipe populate sessions_2_backfill⟧
        "#
            ),
        ),
        Example::not_reported(
            "script-populate-without-wait",
            concat!(
                migrated!(),
                r#"
        //- deploy/1.0.1/cd-deploy.sh
        #!/usr/bin/env bash
        set -e
        tb pipe populate sessions_2_backfill --wait
        "#
            ),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for s in &cx.p.scripts {
        for c in s
            .commands
            .iter()
            .filter(|c| c.populates() && !c.has("--wait"))
        {
            let also = if s.exits_on_error {
                ""
            } else {
                " The script does not stop on errors either: add `set -e`."
            };
            let d = Diagnostic::warning(
                "script-populate-without-wait",
                c.range,
                format!(
                    "This populate runs in the background: the script goes on before it ends, and if it fails Tinybird unlinks the materialized view, so live rows silently stop reaching its target. Add `--wait` so a failure fails the deployment.{also}"
                ),
            );
            push(out, &s.path, d);
        }
    }
}
