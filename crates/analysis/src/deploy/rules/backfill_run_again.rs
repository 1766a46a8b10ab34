//! `backfill-run-again` (Classic): a deployment script this change adds (or changes) runs a copy
//! or a populate of a pipe that a script of the deployed version already runs, and the pipe has
//! not changed. The backfill already wrote its rows; running it again over the same data writes
//! them a second time (counted twice), or, where insert deduplication recognises identical
//! blocks, drops some of them (migration-strategies.md F21): either way, not what the new
//! deployment means to do. Scripts get copied from one `deploy/<version>/` folder to the next;
//! this is how a backfill survives the copy.
//!
//! Not reported when the script empties the target first (`datasource truncate`/`delete`,
//! `--truncate`: `script-rerun-after-delete` looks at that), or when the copy replaces the
//! target's content (`COPY_MODE replace`).

use super::{push, Ctx};
use crate::deploy::ChangeKind;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, Project, ResourceKind};
use project::scripts::TbCommand;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "backfill_run_again",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "backfill-run-again",
        Warning,
        "A backfill the deployed version already ran, run again",
    )],
    examples: &[
        Example::reported(
            "backfill-run-again",
            r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_backfill.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ts < '2026-01-01 00:00:00'
                GROUP BY d
            TYPE copy
            TARGET_DATASOURCE daily
            //- deploy/0.0.1/cd-deploy.sh
            #!/usr/bin/env bash
            set -e
            tb deploy
            tb pipe copy run daily_backfill --wait --yes
            //- deploy/0.0.2/cd-deploy.sh
            #!/usr/bin/env bash
            set -e
            tb deploy
            ⟦tb pipe copy run daily_backfill --wait --yes⟧
            //- added: deploy/0.0.2/cd-deploy.sh
        "#,
        ),
        // The new script runs another pipe: nothing is run twice.
        Example::not_reported(
            "backfill-run-again",
            r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_backfill.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ts < '2026-01-01 00:00:00'
                GROUP BY d
            TYPE copy
            TARGET_DATASOURCE daily
            //- deploy/0.0.1/cd-deploy.sh
            #!/usr/bin/env bash
            set -e
            tb deploy
            tb pipe copy run daily_backfill --wait --yes
            //- deploy/0.0.2/cd-deploy.sh
            #!/usr/bin/env bash
            set -e
            tb deploy
            //- added: deploy/0.0.2/cd-deploy.sh
        "#,
        ),
        // Emptied first: a deliberate re-run (script-rerun-after-delete has its own concerns).
        Example::not_reported(
            "backfill-run-again",
            r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_backfill.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ts < '2026-01-01 00:00:00'
                GROUP BY d
            TYPE copy
            TARGET_DATASOURCE daily
            //- deploy/0.0.1/cd-deploy.sh
            #!/usr/bin/env bash
            set -e
            tb deploy
            tb pipe copy run daily_backfill --wait --yes
            //- deploy/0.0.2/cd-deploy.sh
            #!/usr/bin/env bash
            set -e
            tb deploy
            tb datasource truncate daily --yes
            tb pipe copy run daily_backfill --wait --yes
            //- added: deploy/0.0.2/cd-deploy.sh
        "#,
        ),
    ],
};

/// The pipe a command runs once to write data: `pipe copy run P`, `pipe populate P`,
/// `push pipes/P.pipe --populate`; with the verb for messages.
fn backfill_run(c: &TbCommand) -> Option<(&'static str, String)> {
    if c.is(&["pipe", "copy", "run"]) {
        return Some(("copy", c.words.get(3)?.0.clone()));
    }
    if c.is(&["pipe", "populate"]) {
        return Some(("populate", c.words.get(2)?.0.clone()));
    }
    if c.is(&["push"]) && c.has("--populate") {
        let file = &c.words.get(1)?.0;
        let name = file.rsplit('/').next()?.strip_suffix(".pipe")?;
        return Some(("populate", name.to_string()));
    }
    None
}

/// The datasources pipe `name` writes, and whether every copy into them replaces the content.
fn targets(p: &Project, m: &crate::migration::Migrations, name: &str) -> (Vec<String>, bool) {
    let Some((pi, _)) = p.named(name).find(|(_, r)| r.kind == ResourceKind::Pipe) else {
        return (vec![], false);
    };
    let ws: Vec<_> = m
        .by_pipe
        .get(&pi)
        .into_iter()
        .flatten()
        .map(|&w| &m.writers[w])
        .collect();
    let replaces = !ws.is_empty()
        && ws.iter().all(|w| {
            w.kind == EdgeKind::CopiesInto
                && w.copy_mode
                    .as_ref()
                    .is_some_and(|(mode, _)| mode == "replace")
        });
    let mut names: Vec<String> = ws
        .iter()
        .map(|w| p.resources[w.target].name.clone())
        .collect();
    names.dedup();
    (names, replaces)
}

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Classic {
        return;
    }
    let base = &cx.base.project;
    // Every backfill the deployed version's scripts run: (verb, pipe) → the script.
    let mut ran: Vec<(&'static str, String, &str)> = vec![];
    for s in &base.scripts {
        for c in &s.commands {
            if let Some((verb, pipe)) = backfill_run(c) {
                ran.push((verb, pipe, s.path.as_str()));
            }
        }
    }
    if ran.is_empty() {
        return;
    }
    for s in &cx.head.scripts {
        // A script the deployed version has as it is runs nothing new.
        let deployed = base.scripts.iter().find(|b| b.path == s.path);
        if deployed.is_some_and(|b| b.commands == s.commands) {
            continue;
        }
        let mut emptied: Vec<String> = vec![];
        for c in &s.commands {
            if c.is(&["datasource", "delete"]) || c.is(&["datasource", "truncate"]) {
                emptied.extend(c.words.get(2).map(|(w, _)| w.clone()));
                continue;
            }
            let Some((verb, pipe)) = backfill_run(c) else {
                continue;
            };
            // Present in this very script at the deployed version: not new.
            if deployed.is_some_and(|b| {
                b.commands
                    .iter()
                    .any(|o| backfill_run(o) == Some((verb, pipe.clone())))
            }) {
                continue;
            }
            let Some((_, _, before)) = ran.iter().find(|(v, p, _)| *v == verb && *p == pipe) else {
                continue;
            };
            // The pipe changed: a new query, another run.
            let changed = cx.plan.changes.iter().any(|ch| {
                ch.kind == ResourceKind::Pipe
                    && ch.resource == pipe
                    && ch.change != ChangeKind::Unchanged
            });
            if changed || c.has("--truncate") {
                continue;
            }
            let (into, replaces) = targets(cx.head, cx.migrations, &pipe);
            if replaces || into.is_empty() || into.iter().any(|t| emptied.contains(t)) {
                continue;
            }
            push(
                out,
                &s.path,
                Diagnostic::warning(
                    "backfill-run-again",
                    c.range,
                    format!(
                        "The deployed version ({}) already runs this {verb} of `{pipe}` ({before}), and `{pipe}` has not changed: run again, it writes the same rows into {} a second time (counted twice), or drops some of them where insert deduplication recognises identical blocks. Remove the command from this script",
                        cx.base_label(),
                        into.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
                    ),
                ),
            );
        }
    }
}
