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
/// whose output columns are known in every rendering of its template, from tables whose columns
/// are known in turn ([`syntax::sql::scopes`]). `None` for anything else: a check built on it
/// then says nothing.
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
        let sql = p.resources[pi].nodes[ni].sql.as_ref()?;
        if sql.renderings_truncated {
            return None;
        }
        let table = |db: Option<&str>, t: &str| match db {
            None => complete_columns(p, t, Some(pi), Some(ni), depth + 1),
            Some(_) => None,
        };
        // Every rendering's columns: a downstream read of a column one branch adds is no error.
        let mut out: Vec<String> = Vec::new();
        for scopes in &sql.column_scopes {
            for c in scopes.as_ref()?.output_columns(&table)? {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        (!out.is_empty()).then_some(out)
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

/// A name a node reads as a column that nothing in its scope provides
/// ([`syntax::sql::scopes::ColumnScopes::unknown_reads`]), in one rendering of its template.
#[derive(Clone, Debug)]
pub struct NodeUnknownRead {
    /// The rendering ([`syntax::sql::renderings`]) it is read in (the first one for a read
    /// several renderings share).
    pub rendering: usize,
    /// Its range is in the node's SQL text.
    pub read: syntax::sql::scopes::Read,
    pub table: Option<String>,
    /// The tables (by name) it is judged against ([`syntax::sql::scopes::UnknownRead`]).
    pub tables: Vec<String>,
    pub known: Vec<String>,
}

/// The unknown reads of node `node` of pipe `pipe`, once per range. In a template, a name that
/// any rendering defines (an alias in one branch) is never one: renderings pair branches as no
/// real request may.
pub fn unknown_reads(p: &Project, pipe: ResourceId, node: usize) -> Vec<NodeUnknownRead> {
    let Some(sql) = p.resources[pipe].nodes[node]
        .sql
        .as_ref()
        .filter(|s| !s.renderings_truncated)
    else {
        return vec![];
    };
    let table = |db: Option<&str>, t: &str| match db {
        None => complete_columns(p, t, Some(pipe), Some(node), 0),
        Some(_) => None,
    };
    let defined: Vec<&str> = if sql.templated {
        sql.column_scopes
            .iter()
            .flatten()
            .flat_map(|s| s.all_names())
            .collect()
    } else {
        vec![]
    };
    let mut out: Vec<NodeUnknownRead> = vec![];
    for (rendering, scopes) in sql.column_scopes.iter().enumerate() {
        let Some(scopes) = scopes else {
            continue;
        };
        for u in scopes.unknown_reads(&table) {
            if defined.contains(&u.read.name.as_str())
                || out.iter().any(|o| o.read.range == u.read.range)
            {
                continue;
            }
            out.push(NodeUnknownRead {
                rendering,
                read: u.read.clone(),
                table: u.table,
                tables: u.tables,
                known: u.known,
            });
        }
    }
    out
}
