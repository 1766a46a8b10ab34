//! `dependency-cycle`: resources that depend on each other in a loop. The official CLI deploys
//! in dependency order (a topological sort), which a cycle makes impossible.

use super::{push_edge, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::{EdgeKind, Target};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "dependency_cycle",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new("dependency-cycle", Warning, "A dependency cycle")],
    examples: &[
        Example::reported(
            "dependency-cycle",
            r#"
            //- pipes/a.pipe
            NODE n
            SQL >
                SELECT * FROM ⟦b⟧
            //- pipes/b.pipe
            NODE n
            SQL >
                SELECT * FROM ⟦a⟧
        "#,
        ),
        Example::not_reported(
            "dependency-cycle",
            r#"
            //- pipes/a.pipe
            NODE n
            SQL >
                SELECT 1 AS x
            //- pipes/b.pipe
            NODE n
            SQL >
                SELECT * FROM a
        "#,
        ),
    ],
};
pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for cycle in cx.cycles.get(p).iter() {
        let names: Vec<&str> = cycle
            .iter()
            .map(|&i| p.resources[i].name.as_str())
            .collect();
        let shown = format!("{} → {}", names.join(" → "), names[0]);
        for (k, &i) in cycle.iter().enumerate() {
            let next = cycle[(k + 1) % cycle.len()];
            let edge = p
                .edges_from(i)
                .find(|e| e.target == Target::Resource(next) && e.kind != EdgeKind::TestReads);
            if let Some(e) = edge {
                push_edge(
                    out,
                    e,
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
