//! `dependency-cycle`: resources that depend on each other in a loop. The official CLI deploys
//! in dependency order (a topological sort), which a cycle makes impossible.

use super::{push, FileDiagnostics};
use project::graph::cycles;
use project::model::{EdgeKind, Project, Source, Target};
use syntax::diagnostics::Diagnostic;

pub fn check(p: &Project, out: &mut FileDiagnostics) {
    for cycle in cycles(p) {
        let names: Vec<&str> = cycle
            .iter()
            .map(|&i| p.resources[i].name.as_str())
            .collect();
        let shown = format!("{} → {}", names.join(" → "), names[0]);
        for (k, &i) in cycle.iter().enumerate() {
            let next = cycle[(k + 1) % cycle.len()];
            let edge = p.edges.iter().find(|e| {
                e.from == Source::Resource(i)
                    && e.target == Target::Resource(next)
                    && e.kind != EdgeKind::TestReads
            });
            if let Some(e) = edge {
                push(
                    out,
                    &e.path,
                    Diagnostic::warning(
                        "dependency-cycle",
                        e.range,
                        format!("dependency cycle: {shown}; Tinybird cannot order the deployment"),
                    ),
                );
            }
        }
    }
}
