//! `reads-materialized-pipe`: a node or test reads a materialized pipe. A materialized pipe is
//! not a readable table (datafile-spec §9.2); read the datasource it materializes into.

use super::{push_edge, FileDiagnostics, ProjectCtx};
use crate::migration::materialized_targets;
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::{EdgeKind, PipeKind, ResourceId, Target};
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, TextEdit};

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
        let targets: Vec<ResourceId> = materialized_targets(p, i).collect();
        // What the same node or test case reads besides: reading the pipe's own target there
        // too would compare a table with itself.
        let also_reads = |t: ResourceId| {
            p.edges_from_source(&e.from).any(|o| {
                o.from_node == e.from_node
                    && matches!(o.kind, EdgeKind::Reads | EdgeKind::TestReads)
                    && o.target == Target::Resource(t)
            })
        };
        let name = |t: ResourceId| p.resources[t].name.as_str();
        // A migration's comparison written against the pipe: it reads one target and names
        // the pipe writing into either; the table to read is the other target.
        let comparison = cx.migrations.migrations.iter().find_map(|m| {
            let l = m.legacy?;
            if !targets.iter().any(|&t| t == l || t == m.new) {
                return None;
            }
            if also_reads(l) {
                Some((m.new, l))
            } else if also_reads(m.new) {
                Some((l, m.new))
            } else {
                None
            }
        });
        let (hint, read) = match (comparison, targets.as_slice()) {
            (Some((other, read)), _) => (
                format!(
                    ": read `{}`, so that `{}` is compared with `{}` (`{}` writes into the table already read here)",
                    name(other),
                    name(read),
                    name(other),
                    e.to
                ),
                Some(other),
            ),
            (None, []) => (String::new(), None),
            (None, [one]) => (
                format!(": read its target datasource `{}`", name(*one)),
                (!also_reads(*one)).then_some(*one),
            ),
            (None, many) => (
                format!(
                    ": read one of its target datasources {}",
                    many.iter().map(|&t| name(t)).collect::<Vec<_>>().join(", ")
                ),
                None,
            ),
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
        if let Some(t) = read.filter(|_| e.written_here) {
            d = d.with_fix(
                format!("Read `{}`", name(t)),
                vec![TextEdit {
                    path: None,
                    range: e.range,
                    new_text: name(t).to_string(),
                }],
            );
        }
        push_edge(out, e, d);
    }
}
