//! `materialized-source-changed`: the materialized node of a deployed Forward pipe now reads
//! another table (its FROM): Tinybird refuses to change the source of an existing
//! materialized pipe (deploy-plan.md §1). A new pipe (another name) can read the new source.

use super::{push, Ctx};
use crate::deploy::table::What;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "materialized_source_changed",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "materialized-source-changed",
        Warning,
        "A deployed materialized pipe that reads another source",
    )],
    examples: &[
        Example::reported(
            "materialized-source-changed",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/events_v2.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_mv.pipe
            NODE n
            ⟦SQL⟧ >
                SELECT toDate(ts) AS d FROM events_v2
            TYPE materialized
            DATASOURCE daily
            //- base: pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d FROM events
            TYPE materialized
            DATASOURCE daily
        "#,
        ),
        Example::not_reported(
            "materialized-source-changed",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "d"
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d FROM events WHERE ts > '2020-01-01 00:00:00'
            TYPE materialized
            DATASOURCE daily
            //- base: pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d FROM events
            TYPE materialized
            DATASOURCE daily
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Forward {
        return;
    }
    for c in &cx.plan.changes {
        for d in c
            .details
            .iter()
            .filter(|d| d.what == What::MaterializedSourceChanged)
        {
            let Some(range) = d.range else { continue };
            push(
                out,
                &c.path,
                Diagnostic::warning(
                    "materialized-source-changed",
                    range,
                    format!(
                        "Against the deployed version ({}), {}: Tinybird refuses to change the source of an existing materialized pipe. Materialize from the new source in a new pipe",
                        cx.base_label(),
                        d.text
                    ),
                ),
            );
        }
    }
}
