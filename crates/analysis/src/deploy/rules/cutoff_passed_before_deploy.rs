//! `cutoff-passed-before-deploy` (Classic): a live side cut at an instant that has already
//! passed, in a pipe this change adds (or whose cutoff this change sets). The pipe starts
//! writing when it is deployed, so the rows after the cutoff that arrived before the deploy
//! reach neither it nor the backfill (which stops at the cutoff): lost (migration-strategies.md
//! F3). Without a base, `migration-cutoff-in-past` can only say "if it is not deployed yet";
//! the plan knows, so this rule replaces that hint on the same cutoff. It also covers a live
//! side and its backfill added together once the cutoff has passed; while the cutoff is still
//! ahead, `migration-backfill-too-early` reports the backfill.

use super::Ctx;
use crate::deploy::ChangeKind;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::{push_at, FileDiagnostics};
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "cutoff_passed_before_deploy",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "cutoff-passed-before-deploy",
        Warning,
        "A live side not deployed yet, cut at an instant that has passed",
    )],
    examples: &[
        Example::reported(
            "cutoff-passed-before-deploy",
            r#"
            //- dialect: classic
            //- now: 2026-02-01 00:00:00
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
                SELECT toDate(ts) AS d, count() AS n FROM events GROUP BY d
            TYPE materialized
            DATASOURCE daily
            //- datasources/daily_1.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_mv_1.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ts > ⟦'2026-01-01 00:00:00'⟧
                GROUP BY d
            TYPE materialized
            DATASOURCE daily_1
            //- added: datasources/daily_1.datasource
            //- added: pipes/daily_mv_1.pipe
        "#,
        ),
        // The same live side, already deployed (in the base): nothing new is lost by deploying.
        Example::not_reported(
            "cutoff-passed-before-deploy",
            r#"
            //- dialect: classic
            //- now: 2026-02-01 00:00:00
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
                SELECT toDate(ts) AS d, count() AS n FROM events GROUP BY d
            TYPE materialized
            DATASOURCE daily
            //- datasources/daily_1.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_mv_1.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ts > '2026-01-01 00:00:00'
                GROUP BY d
            TYPE materialized
            DATASOURCE daily_1
            //- base: pipes/unrelated.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
        // Added with a cutoff still ahead: nothing (the cutoff is after the deploy).
        Example::not_reported(
            "cutoff-passed-before-deploy",
            r#"
            //- dialect: classic
            //- now: 2025-12-01 00:00:00
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily_1.datasource
            SCHEMA >
                `d` Date,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_mv_1.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, count() AS n FROM events
                WHERE ts > '2026-01-01 00:00:00'
                GROUP BY d
            TYPE materialized
            DATASOURCE daily_1
            //- added: datasources/daily_1.datasource
            //- added: pipes/daily_mv_1.pipe
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Classic {
        return;
    }
    let Some(now) = cx.now else { return };
    let (bp, bm) = (&cx.base.project, &cx.base.migrations);
    for w in cx.migrations.writers.iter() {
        if !w.is_live_with_cutoff() {
            continue;
        }
        let pipe = &cx.head.resources[w.pipe];
        let Some(change) = cx
            .plan
            .changes
            .iter()
            .find(|c| c.kind == ResourceKind::Pipe && c.resource == pipe.name)
        else {
            continue; // unchanged: deployed as it is
        };
        // The cutoffs the deployed version of the pipe already had take no new effect.
        let deployed: Vec<String> = match change.change {
            ChangeKind::Added => vec![],
            _ => bp
                .named(&pipe.name)
                .filter(|(_, r)| r.kind == ResourceKind::Pipe)
                .flat_map(|(bi, _)| bm.by_pipe.get(&bi).into_iter().flatten())
                .flat_map(|&bw| bm.writers[bw].lower())
                .map(|b| b.value_text.clone())
                .collect(),
        };
        for low in w.lower() {
            let Some(t) = low.instant() else { continue };
            if deployed.contains(&low.value_text) {
                continue;
            }
            let Some(at) = t.utc_seconds(low.column_zone.as_deref()) else {
                continue;
            };
            if at >= now {
                continue;
            }
            let d = Diagnostic::warning(
                "cutoff-passed-before-deploy",
                low.value_range,
                format!(
                    "`{}` is not deployed yet ({} against {}) and its cutoff '{t}' has passed: it writes only the rows that arrive after it is deployed, and the backfill stops at the cutoff, so the rows after '{t}' that arrive before the deploy are lost. Choose a cutoff after the deployment",
                    pipe.name,
                    if change.change == ChangeKind::Added { "added" } else { "its cutoff is new" },
                    cx.base_label()
                ),
            );
            // This says for certain what `migration-cutoff-in-past` could only suppose.
            let (file, range) = match &low.value_included {
                Some(s) => (s.path.as_ref(), s.range),
                None => (w.path.as_ref(), d.range),
            };
            if let Some(found) = out.get_mut(file) {
                found.retain(|o| o.code != "migration-cutoff-in-past" || o.range != range);
            }
            push_at(out, &w.path, d, low.value_included.as_ref());
        }
    }
}
