//! `unknown-table`: a node or test reads a name that is no datasource, pipe, node of the same
//! pipe, CTE, Tinybird service data source or table of another workspace.

use super::{best_match, push_edge, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::{EdgeKind, Source, Target};
use std::collections::HashSet;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "unknown_table",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new(
        "unknown-table",
        Warning,
        "A table that does not exist",
    )],
    examples: &[
        Example::reported(
            "unknown-table",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT count() FROM ⟦evnts⟧
        "#,
        ),
        Example::reported(
            "unknown-table",
            r#"
            //- datasources/events.datasource
            VERSION 2
            SCHEMA >
                `ts` DateTime
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT count() FROM ⟦events__v1⟧
        "#,
        ),
        Example::not_reported(
            "unknown-table",
            r#"
            //- datasources/events.datasource
            VERSION 2
            SCHEMA >
                `ts` DateTime
            //- pipes/p.pipe
            NODE n
            SQL >
                WITH recent AS (SELECT ts FROM events__v2)
                SELECT count() FROM recent
                UNION ALL
                SELECT count() FROM events_quarantine
        "#,
        ),
    ],
};
pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    let (p, suggestions) = (cx.p, cx.suggestions);
    // A Forward test file names its pipe once, by its file name: one warning per file.
    let mut files_named_after: HashSet<&str> = HashSet::new();
    for e in &p.edges {
        if e.target != Target::Unknown || !matches!(e.kind, EdgeKind::Reads | EdgeKind::TestReads) {
            continue;
        }
        // A file the CLI does not read (a Classic playgrounds/ copy) is never deployed; a
        // file the parser rejects has its error already (a misspelt NODE line leaves its
        // node undefined: the reads of it are that error's consequence).
        if let Source::Resource(i) = e.from {
            let r = &p.resources[i];
            if !r.seen_by_cli || p.files[r.file].rejected {
                continue;
            }
        }
        let named_by_file = match e.from {
            Source::Test(ti) => e.context.is_none() && p.tests[ti].file.forward,
            Source::Resource(_) => false,
        };
        if named_by_file && !files_named_after.insert(&e.path) {
            continue;
        }
        // The closest resource (memoised), or a closer node of the same pipe.
        let resource = suggestions.resource_like(p, &e.to);
        let node = match e.from {
            Source::Resource(i) => {
                best_match(&e.to, p.resources[i].nodes.iter().map(|n| n.name.as_str()))
            }
            Source::Test(_) => None,
        };
        let suggestion = match (resource, node) {
            (Some(r), Some((score, n))) => {
                if strsim::jaro_winkler(&e.to, &r) >= score {
                    Some(r)
                } else {
                    Some(n.to_string())
                }
            }
            (r, n) => r.or(n.map(|(_, n)| n.to_string())),
        };
        let stale = p.stale_version(&e.to);
        let mut msg = if let Some((ri, version)) = stale {
            let r = &p.resources[ri];
            let now = match version {
                Some(v) => format!("is at VERSION {v}, deployed as `{}__v{v}`", r.name),
                None => format!("has no VERSION, deployed as `{}`", r.name),
            };
            format!(
                "`{}` names another version of `{}` than its file: {} {now}. This reads the table of a version that nothing in the project defines or writes any more",
                e.to, r.name, r.path
            )
        } else if named_by_file {
            format!(
                "this test file is named after the pipe `{}`, which is not a pipe of this project: its tests cannot run",
                e.to
            )
        } else if e.to.starts_with("tinybird.") || e.to.starts_with("organization.") {
            format!("`{}` is not a Tinybird service data source", e.to)
        } else if p.dialect == Dialect::Classic {
            // Classic workspaces hold datasources created outside the files (UI, API).
            format!(
                "`{}` is not a datasource, pipe or node of this project's files: unless the workspace has it (created outside these files), Tinybird rejects the pipe at deploy time",
                e.to
            )
        } else {
            format!(
                "`{}` is not a datasource, pipe or node of this project: Tinybird will reject it at deploy time",
                e.to
            )
        };
        if let (Some(s), None) = (suggestion, stale) {
            msg.push_str(&format!(" (did you mean `{s}`?)"));
        }
        if let Some(b) = e.branch.as_ref().filter(|b| !b.taken_by_official) {
            msg.push_str(&format!("; read in the template branch `{}`", b.label));
        }
        push_edge(out, e, Diagnostic::warning("unknown-table", e.range, msg));
    }
}
