//! `reads-materialized-pipe`: a node or test reads a materialized pipe. A materialized pipe is
//! not a readable table (datafile-spec §9.2); read the datasource it materializes into.

use super::{push, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::{EdgeKind, PipeKind, Source, Target};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "reads_materialized_pipe",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new(
        "reads-materialized-pipe",
        Warning,
        "Reading a materialized pipe",
    )],
    examples: &[
        Example::reported(
            "reads-materialized-pipe",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d FROM events
            TYPE materialized
            DATASOURCE daily
            //- pipes/api.pipe
            NODE n
            SQL >
                SELECT d FROM ⟦daily_mv⟧
        "#,
        ),
        Example::not_reported(
            "reads-materialized-pipe",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d FROM events
            TYPE materialized
            DATASOURCE daily
            //- pipes/api.pipe
            NODE n
            SQL >
                SELECT d FROM daily
        "#,
        ),
    ],
};
pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for e in &p.edges {
        if !matches!(e.kind, EdgeKind::Reads | EdgeKind::TestReads) {
            continue;
        }
        let Target::Resource(i) = e.target else {
            continue;
        };
        let pipe = &p.resources[i];
        if pipe.pipe_kind != Some(PipeKind::Materialized) {
            continue;
        }
        let targets: Vec<&str> = p
            .edges
            .iter()
            .filter(|t| t.from == Source::Resource(i) && t.kind == EdgeKind::MaterializesInto)
            .map(|t| &*t.to)
            .collect();
        let hint = match targets.as_slice() {
            [] => String::new(),
            [one] => format!(": read its target datasource `{one}`"),
            many => format!(": read one of its target datasources {}", many.join(", ")),
        };
        let mut d = Diagnostic::warning(
            "reads-materialized-pipe",
            e.range,
            format!(
                "`{}` is a materialized pipe, not a readable table{hint}",
                e.to
            ),
        );
        d = d.with_related(
            Some(pipe.path.to_string()),
            pipe.name_range,
            "the materialized pipe",
        );
        push(out, &e.path, d);
    }
}
