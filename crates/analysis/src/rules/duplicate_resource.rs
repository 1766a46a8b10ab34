//! `duplicate-resource`: two files define a resource of the same name. Datasources and pipes
//! share one namespace (datafile-spec §9.2); connections have their own. Only files the CLI of
//! the dialect reads take part (a Classic `playgrounds/` copy is not deployed).

use super::{push, FileDiagnostics};
use project::model::{Project, ResourceKind};
use syntax::diagnostics::Diagnostic;

pub fn check(p: &Project, out: &mut FileDiagnostics) {
    for (i, r) in p.resources.iter().enumerate() {
        if !r.seen_by_cli || p.named(&r.name).nth(1).is_none() {
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
