//! `migration-materialized-backfill`: a backfill written as a materialized view (TYPE
//! materialized with `ts <= T`) and populated. While it is attached, its trigger also writes the
//! new rows with a time up to the cutoff (late events), and a populate running at the same time
//! reads them from the source again: they are written twice. A copy pipe run once has no
//! trigger.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::EdgeKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Info;

pub const RULE: Rule = Rule {
    name: "materialized_backfill",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-materialized-backfill",
        Info,
        "A backfill written as a materialized view",
    )],
    examples: &[
        Example::reported(
            "migration-materialized-backfill",
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
        DATASOURCE ⟦sessions_2⟧
        "#
            ),
        ),
        Example::not_reported("migration-materialized-backfill", migrated!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for m in &cx.m.migrations {
        if m.live.is_empty() {
            continue;
        }
        for &bi in &m.backfills {
            let b = &cx.m.writers[bi];
            if b.kind != EdgeKind::MaterializesInto || b.upper().next().is_none() {
                continue;
            }
            let d = Diagnostic::info(
                "migration-materialized-backfill",
                b.target_range,
                format!(
                    "`{}` backfills `{}` as a materialized view: while it is attached, its trigger also writes new rows up to the cutoff (late events), and a populate running at the same time reads them again, so they are written twice. A copy pipe (TYPE copy, run once) has no trigger; otherwise populate it soon after deploying it and remove it afterwards.",
                    cx.name(b),
                    cx.ds(m.new)
                ),
            );
            push(out, &b.path, d);
        }
    }
}
