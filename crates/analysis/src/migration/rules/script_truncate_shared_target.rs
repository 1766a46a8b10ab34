//! `script-truncate-shared-target`: `tb pipe populate <pipe> --truncate` empties the pipe's
//! target before populating it. When another node (a live materialized view) also writes into
//! that target, its rows are erased.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceKind};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "script_truncate_shared_target",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "script-truncate-shared-target",
        Warning,
        "--truncate on a target another view writes",
    )],
    examples: &[
        Example::reported(
            "script-truncate-shared-target",
            concat!(
                base!(),
                new_target!(),
                live!(),
                quality_test!(),
                r#"
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts <= '2026-01-01 00:00:00'
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        //- deploy/1.0.1/cd-deploy.sh
        #!/usr/bin/env bash
        set -e
        tb pipe populate sessions_2_backfill ⟦--truncate⟧ --wait
        "#
            ),
        ),
        Example::not_reported(
            "script-truncate-shared-target",
            concat!(
                base!(),
                new_target!(),
                live!(),
                quality_test!(),
                r#"
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts <= '2026-01-01 00:00:00'
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
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
    let p = cx.p;
    for s in &p.scripts {
        for c in &s.commands {
            if !c.is(&["pipe", "populate"]) || !c.has("--truncate") {
                continue;
            }
            let Some((name, _)) = c.words.get(2) else {
                continue;
            };
            let name = name
                .trim_end_matches(".pipe")
                .rsplit('/')
                .next()
                .unwrap_or(name);
            let Some((pi, _)) = p.named(name).find(|(_, r)| r.kind == ResourceKind::Pipe) else {
                continue;
            };
            for w in cx.m.writers.iter().filter(|w| w.pipe == pi) {
                let Some(other) =
                    cx.m.writers_into(w.target)
                        .find(|o| o.pipe != pi && o.kind == EdgeKind::MaterializesInto)
                else {
                    continue;
                };
                let d = Diagnostic::warning(
                    "script-truncate-shared-target",
                    c.flag("--truncate").map_or(c.range, |f| f.2),
                    format!(
                        "`--truncate` empties `{}` before the populate, erasing the rows `{}` also writes into it. Populate without `--truncate` (with a condition that keeps the two apart).",
                        cx.ds(w.target),
                        cx.name(other)
                    ),
                )
                .with_related(Some(other.path.to_string()), other.target_range, "the other writer");
                push(out, &s.path, d);
                break;
            }
        }
    }
}
