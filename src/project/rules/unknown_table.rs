//! `unknown-table`: a node or test reads a name that is no datasource, pipe, node of the same
//! pipe, CTE, Tinybird service data source or table of another workspace.

use super::{did_you_mean, push, FileDiagnostics};
use crate::diagnostics::Diagnostic;
use crate::project::model::{EdgeKind, Project, Source, Target};

pub fn check(p: &Project, out: &mut FileDiagnostics) {
    for e in &p.edges {
        if e.target != Target::Unknown || !matches!(e.kind, EdgeKind::Reads | EdgeKind::TestReads) {
            continue;
        }
        let mut candidates: Vec<&str> = p.resources.iter().map(|r| r.name.as_str()).collect();
        if let Source::Resource(i) = e.from {
            candidates.extend(p.resources[i].nodes.iter().map(|n| n.name.as_str()));
        }
        let mut msg = if e.to.starts_with("tinybird.") || e.to.starts_with("organization.") {
            format!("`{}` is not a Tinybird service data source", e.to)
        } else {
            format!(
                "`{}` is not a datasource, pipe or node of this project: Tinybird will reject it at deploy time",
                e.to
            )
        };
        if let Some(s) = did_you_mean(&e.to, candidates.into_iter()) {
            msg.push_str(&format!(" (did you mean `{s}`?)"));
        }
        if let Some(b) = e.branch.as_ref().filter(|b| !b.taken_by_official) {
            msg.push_str(&format!("; read in the template branch `{}`", b.label));
        }
        push(
            out,
            &e.path,
            Diagnostic::warning("unknown-table", e.range, msg),
        );
    }
}
