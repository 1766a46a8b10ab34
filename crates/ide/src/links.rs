//! Document links: INCLUDE paths open the included file; resource names written as datafile
//! values (`DATASOURCE x`, `TARGET_DATASOURCE x`, `EXPORT_CONNECTION_NAME x`,
//! `KAFKA_CONNECTION_NAME x`, ...) open the resource's file.

use super::file_index;
use project::model::ResourceId;
use project::model::{EdgeKind, Project, ResourceKind, Target};
use syntax::text::TextRange;

/// `(range in the file, path of the file it opens)`, in file order.
pub fn document_links(p: &Project, path: &str) -> Vec<(TextRange, String)> {
    let Some(fi) = file_index(p, path) else {
        return Vec::new();
    };
    let f = &p.files[fi];
    let mut out: Vec<(TextRange, String)> = f
        .datafile
        .includes
        .iter()
        // Paths written in this file, not those of the files it includes.
        .filter(|i| !i.nested)
        .map(|i| (i.path.range, i.resolved.clone()))
        .collect();
    let file_of = |i: ResourceId| p.resources.get(i).map(|r| r.path.to_string());
    // Writes and sinks: the datafile values naming their target.
    for e in p.edges.iter().filter(|e| {
        &*e.path == path
            && matches!(
                e.kind,
                EdgeKind::MaterializesInto | EdgeKind::CopiesInto | EdgeKind::Sinks
            )
    }) {
        if let Target::Resource(t) = e.target {
            out.extend(file_of(t).map(|to| (e.range, to)));
        }
    }
    // Connections named by connector settings.
    for node in &f.datafile.nodes {
        for s in &node.settings {
            if !s.key.ends_with("_connection_name") || s.key == "export_connection_name" {
                continue;
            }
            let connection = p
                .resources
                .iter_enumerated()
                .find(|(_, r)| r.kind == ResourceKind::Connection && r.name == s.value.text)
                .map(|(i, _)| i);
            out.extend(connection.and_then(file_of).map(|to| (s.value.range, to)));
        }
    }
    out.retain(|(_, to)| to != path);
    out.sort_by_key(|(r, _)| (r.start, r.end));
    out.dedup();
    out
}
