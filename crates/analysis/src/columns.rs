//! What a table offers, when it is known for certain: the columns a name in a node's FROM
//! brings (a datasource's SCHEMA and connector columns, or a node's SELECT over such a table).
//! The rules that say a name is *not* a column (`unknown-column`, add-column's check) use only
//! this: where anything is uncertain it answers `None`, and they say nothing.

use crate::migration::columns;

/// The known column closest to `name` (for "did you mean"), when one is close enough.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .filter(|k| !k.contains(['(', ' ', '*']))
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}
use project::model::{Project, ResourceId, ResourceKind, Target};
/// Every column `name` offers, when all of them are known for certain: a datasource's SCHEMA
/// (and its connector's columns), or a node (of `pipe`, before `before_node`, or a pipe's last)
/// whose one SELECT reads one table (no JOIN, ARRAY JOIN or UNION, no template) whose columns are
/// known in turn. `None` for anything else: a check built on it then says nothing.
pub fn complete_columns(
    p: &Project,
    name: &str,
    pipe: Option<ResourceId>,
    before_node: Option<usize>,
    depth: usize,
) -> Option<Vec<String>> {
    if depth > 16 {
        return None;
    }
    let of_node = |pi: ResourceId, ni: usize| -> Option<Vec<String>> {
        let node = &p.resources[pi].nodes[ni];
        let sql = node.sql.as_ref()?;
        let main = sql.main.as_ref()?;
        // One SELECT over one table, no template: what `column_reads` is only given for.
        let from = &sql.column_reads.as_ref()?.table;
        let inner = || complete_columns(p, from, Some(pi), Some(ni), depth + 1);
        let mut out = Vec::new();
        for item in &main.items {
            if item.output_name == "*" {
                out.extend(inner()?.into_iter().filter(|c| !item.except.contains(c)));
            } else if item.output_name.ends_with('*') || item.output_name.is_empty() {
                return None;
            } else {
                out.push(item.output_name.clone());
            }
        }
        Some(out)
    };
    match p.resolve(name, pipe) {
        Target::Node(ni) if before_node.is_none_or(|b| ni < b) => of_node(pipe?, ni),
        Target::Resource(i) => {
            let r = &p.resources[i];
            // A file the official parser rejects (an INCLUDE that did not load, ...) may
            // define fewer columns than meant.
            if r.defined_by_file() && p.files[r.file].rejected {
                return None;
            }
            match r.kind {
                ResourceKind::Datasource if r.defined_by_file() => {
                    let cols = columns(p, i);
                    if cols.is_empty() {
                        return None;
                    }
                    let df = &p.files[r.file].datafile;
                    Some(
                        cols.iter()
                            .map(|c| c.name.clone())
                            .chain(df.connector_columns().iter().map(|c| c.to_string()))
                            .collect(),
                    )
                }
                ResourceKind::Pipe if !r.nodes.is_empty() => of_node(i, r.nodes.len() - 1),
                _ => None,
            }
        }
        _ => None,
    }
}
