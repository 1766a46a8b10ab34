//! `script-rerun-after-delete`: a script deletes rows from (or truncates) a datasource and then
//! runs a copy or populate into it again. With insert deduplication, blocks identical to ones
//! inserted before are silently dropped, so the re-run can write fewer rows than it should.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "script_rerun_after_delete",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "script-rerun-after-delete",
        Warning,
        "Re-running a backfill after deleting its rows",
    )],
    examples: &[
        Example::reported(
            "script-rerun-after-delete",
            concat!(
                migrated!(),
                r#"
        //- deploy/1.0.1/cd-deploy.sh
        #!/usr/bin/env bash
        set -e
        tb datasource truncate sessions_2 --yes
        tb pipe copy run sessions_2_backfill --wait
        "#
            ),
        ),
        Example::not_reported(
            "script-rerun-after-delete",
            concat!(
                migrated!(),
                r#"
        //- deploy/1.0.1/cd-deploy.sh
        #!/usr/bin/env bash
        set -e
        tb pipe copy run sessions_2_backfill --wait
        "#
            ),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for s in &p.scripts {
        let mut emptied: Vec<(String, syntax::text::TextRange)> = Vec::new();
        for c in &s.commands {
            if c.is(&["datasource", "delete"]) || c.is(&["datasource", "truncate"]) {
                if let Some((name, _)) = c.words.get(2) {
                    emptied.push((name.clone(), c.range));
                }
                continue;
            }
            let runs = c.is(&["pipe", "copy", "run"]) || c.is(&["pipe", "populate"]);
            let Some((pipe, _)) = c
                .words
                .get(if c.is(&["pipe", "copy", "run"]) { 3 } else { 2 })
            else {
                continue;
            };
            if !runs || emptied.is_empty() {
                continue;
            }
            let Some((pi, _)) = p.named(pipe).find(|(_, r)| r.kind == ResourceKind::Pipe) else {
                continue;
            };
            for w in cx.m.writers.iter().filter(|w| w.pipe == pi) {
                let target = cx.ds(w.target);
                let Some((_, deleted_at)) = emptied.iter().find(|(d, _)| d == target) else {
                    continue;
                };
                let d = Diagnostic::warning(
                    "script-rerun-after-delete",
                    c.range,
                    format!(
                        "`{pipe}` writes into `{target}` again after this script deleted rows from it: with insert deduplication, blocks identical to ones inserted before are silently dropped, so rows can go missing. Change the chunking or set `insert_deduplication_token`, and compare counts afterwards."
                    ),
                )
                .with_related(None, *deleted_at, "the rows deleted here");
                push(out, &s.path, d);
                break;
            }
        }
    }
}
