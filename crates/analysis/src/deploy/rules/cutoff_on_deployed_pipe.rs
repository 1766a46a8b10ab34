//! `cutoff-on-deployed-pipe` (Classic): a materialized pipe that the deployed version already
//! has, writing into the same datasource without a cutoff, gets one (`WHERE ts > T`). The rows
//! it wrote between its deploy and `T` are already in the target, and the backfill up to the
//! cutoff writes them again: counted twice (migration-strategies.md, F8). The story's way is a
//! new live pipe, cut at `T`, beside the old one until the switch.

use super::Ctx;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::{push_at, FileDiagnostics};
use project::model::{EdgeKind, ResourceKind};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "cutoff_on_deployed_pipe",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "cutoff-on-deployed-pipe",
        Warning,
        "A cutoff added to a materialized pipe that is already deployed",
    )],
    examples: &[
        Example::reported(
            "cutoff-on-deployed-pipe",
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
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ⟦ts > '2026-01-01 00:00:00'⟧
                GROUP BY d
            TYPE materialized
            DATASOURCE daily
            //- base: pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                GROUP BY d
            TYPE materialized
            DATASOURCE daily
        "#,
        ),
        Example::not_reported(
            "cutoff-on-deployed-pipe",
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
            //- pipes/daily_mv_live.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ts > '2026-01-01 00:00:00'
                GROUP BY d
            TYPE materialized
            DATASOURCE daily
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                GROUP BY d
            TYPE materialized
            DATASOURCE daily
            //- added: pipes/daily_mv_live.pipe
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Classic {
        return;
    }
    let (bp, bm) = (&cx.base.project, &cx.base.migrations);
    for w in cx.migrations.writers.iter() {
        if !w.is_live_with_cutoff() {
            continue;
        }
        let pipe = &cx.head.resources[w.pipe];
        let target = &cx.head.resources[w.target].name;
        let Some((bi, _)) = bp
            .named(&pipe.name)
            .find(|(_, r)| r.kind == ResourceKind::Pipe && r.defined_by_file())
        else {
            continue;
        };
        // The deployed pipe wrote into the same datasource with no cutoff.
        let deployed_uncut = bm.by_pipe.get(&bi).into_iter().flatten().any(|&bw| {
            let bw = &bm.writers[bw];
            bw.kind == EdgeKind::MaterializesInto
                && bp.resources[bw.target].name == *target
                && bw.lower().next().is_none()
        });
        if !deployed_uncut {
            continue;
        }
        for b in w.lower().filter(|b| b.instant().is_some()) {
            let d = Diagnostic::warning(
                "cutoff-on-deployed-pipe",
                b.range,
                format!(
                    "`{}` is already deployed (base {}) and has been writing into `{target}` without this cutoff: the rows it wrote before {} are in `{target}` already, and a backfill up to the cutoff writes them again. Keep this pipe as it is and put the cutoff in a new live pipe",
                    pipe.name,
                    cx.base_label(),
                    b.value_text
                ),
            );
            push_at(
                out,
                &w.path,
                d,
                b.included.as_ref().filter(|_| !b.written_here),
            );
        }
    }
}
