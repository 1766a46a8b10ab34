//! `reads-materialized-pipe`: a node or test reads a materialized pipe. A materialized pipe is
//! not a readable table (datafile-spec §9.2); read the datasource it materializes into.

use super::{push, FileDiagnostics};
use project::model::{EdgeKind, PipeKind, Project, Source, Target};
use syntax::diagnostics::Diagnostic;

pub fn check(p: &Project, out: &mut FileDiagnostics) {
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
