//! `duplicate-resource`: two files define a resource of the same name. Datasources and pipes
//! share one namespace (datafile-spec §9.2); connections have their own. Only files the CLI of
//! the dialect reads take part (a Classic `playgrounds/` copy is not deployed).

use super::{push, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "duplicate_resource",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new(
        "duplicate-resource",
        Warning,
        "Two resources with one name",
    )],
    examples: &[
        Example::reported(
            "duplicate-resource",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- pipes/events.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
        Example::not_reported(
            "duplicate-resource",
            r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- playgrounds/events.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
    ],
};
pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for &i in p.same_name_groups().flatten() {
        let r = &p.resources[i];
        if !r.seen_by_cli {
            continue;
        }
        let others: Vec<_> = p
            .named(&r.name)
            .filter(|(j, o)| {
                *j != i
                    && o.seen_by_cli
                    && (o.kind == ResourceKind::Connection) == (r.kind == ResourceKind::Connection)
            })
            .collect();
        if others.is_empty() {
            continue;
        }
        let mut d = Diagnostic::warning(
            "duplicate-resource",
            r.name_range,
            format!(
                "`{}` is defined {} times: datasources and pipes share one namespace, so only one can be deployed",
                r.name,
                others.len() + 1
            ),
        );
        for (_, o) in others {
            d = d.with_related(Some(o.path.to_string()), o.name_range, "also defined here");
        }
        push(out, &r.path, d);
    }
}
